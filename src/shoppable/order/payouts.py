"""Shop money: what a shop is owed per currency, read from the ledger, and its withdrawals (payouts) out of the
available payable through the payout provider.

A payout works as creators' payouts do (affiliate/payouts.py): (1) in one transaction, claim the idempotency key,
move the amount from the shop's available payable to its ``payouts_in_transit`` account (a guarded conditional
update: two withdrawals racing for one balance cannot both pass) and write the payout as ``processing``; (2) send
it, holding no lock; (3) mark it ``paid`` (the money leaves the clearing account) or, if the provider refused,
``failed`` with the money back in available. No answer from the provider leaves it ``processing`` with the money
in transit: never paid twice, never lost.

The figures: ``pending`` (orders not completed yet), ``available`` (may be withdrawn), ``in_transit``, ``paid_out``
(payouts the provider confirmed), and how they came to be: ``sales`` (captured payments), ``refunds``,
``fees`` (the platform's referral fee kept) and ``commissions`` (creators' commissions kept), so that
sales - refunds - fees - commissions = pending + available + in transit + paid out.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog import shops
from shoppable.identity.rules import Principal
from shoppable.kit import idempotency
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import Database, core_execute
from shoppable.kit.errors import ShoppableError
from shoppable.kit.ids import new_id
from shoppable.kit.money import Money, check_currency
from shoppable.kit.pagination import newest_first
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from shoppable.ledger.rules import Leg
from shoppable.ledger.service import AccountRef, Posting
from shoppable.order.models import Order, Refund, ShopPayout
from shoppable.payment.payout_provider import PayoutProvider, PayoutRefused

PROCESSING, PAID, FAILED = "processing", "paid", "failed"
RESERVE, SENT, RETURNED = "shop_payout.reserve", "shop_payout.sent", "shop_payout.returned"
SALES_KINDS = ("order.capture",)
REFUND_KINDS = ("order.refund",)
FEE_KINDS = ("order.fee", "order.fee_refund")
COMMISSION_KINDS = ("commission.accrue", "commission.reverse")
FIGURES = ("pending", "available", "in_transit", "paid_out", "sales", "refunds", "fees", "commissions")
log = logging.getLogger("shoppable.payouts")


def serialize(payout: Any) -> dict[str, Any]:
    return {
        "id": payout.id,
        "shop_id": payout.shop_id,
        "amount": payout.amount,
        "currency": payout.currency,
        "status": payout.status,
        "provider": payout.provider,
        "provider_reference": payout.provider_reference,
        "failure_reason": payout.failure_reason,
        "requested_by": payout.requested_by,
        "created_at": isoformat(payout.created_at),
        "updated_at": isoformat(payout.updated_at),
    }


def request_fingerprint(shop_id: str, amount: Money) -> str:
    """What makes two withdrawals "the same request" for an idempotency key (the API's and the page's alike)."""
    return idempotency.fingerprint("shop-payout", shop_id, amount.amount, amount.currency)


# --- the books ----------------------------------------------------------------------------------------------------


def _posting(kind: str, reference: str, debit: str, credit: str, amount: Money) -> Posting:
    return Posting(kind, reference, [Leg(debit, amount), Leg(credit, Money(-amount.amount, amount.currency))])


async def _payout_accounts(session: AsyncSession, shop_id: str, currency: str) -> list[str]:
    return await ledger.open_accounts(
        session,
        [
            accounts.shop_available(shop_id, currency),
            accounts.shop_payouts_in_transit(shop_id, currency),
            accounts.clearing(currency),
        ],
    )


async def _book(session: AsyncSession, kind: str, payout_id: str, shop_id: str, amount: Money) -> None:
    available, transit, clear = await _payout_accounts(session, shop_id, amount.currency)
    debit, credit = {RESERVE: (available, transit), SENT: (transit, clear), RETURNED: (transit, available)}[kind]
    await ledger.post_many(session, [_posting(kind, payout_id, debit, credit, amount)])


# --- payouts ------------------------------------------------------------------------------------------------------


async def request_payout(
    database: Database,
    provider: PayoutProvider,
    principal: Principal,
    shop_id: str,
    amount: Money,
    *,
    idempotency_key: str | None,
) -> tuple[int, dict[str, Any]]:
    """Withdraw ``amount`` of the shop's available payable (owner only): 201 and the payout, or the first answer
    again for a key already used. 409 ``insufficient_balance`` for more than is available."""
    if amount.amount <= 0:
        raise ShoppableError(
            "invalid_amount", 422, "A payout is a positive amount.", errors=[{"loc": ["body", "amount"], "msg": "> 0"}]
        )
    check_currency(amount.currency)
    key = {"principal": principal.key, "key": idempotency_key} if idempotency_key else None
    payout_id = new_id("spo")
    async with database.session() as session:
        await shops.require_shop(session, principal, shop_id, owner_only=True)
        assert principal.user_id is not None  # owners are people: a shop key is never owner_only
        if key is not None:
            stored = await idempotency.claim(session, **key, request_fingerprint=request_fingerprint(shop_id, amount))
            if stored is not None:
                return stored
        now = utcnow()
        session.add(
            ShopPayout(
                id=payout_id,
                shop_id=shop_id,
                amount=amount.amount,
                currency=amount.currency,
                status=PROCESSING,
                provider=provider.name,
                provider_reference=None,
                failure_reason=None,
                requested_by=principal.user_id,
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        try:
            await _book(session, RESERVE, payout_id, shop_id, amount)
        except ShoppableError as error:
            if error.code == "insufficient_balance":
                raise ShoppableError(
                    "insufficient_balance",
                    409,
                    f"Only the available balance can be withdrawn; {amount.format()} is more than is available.",
                    errors=[{"loc": ["body", "amount"], "msg": "more than the available balance"}],
                ) from None
            raise
    changes: dict[str, Any]
    try:
        # The provider's protocol names its recipient creator_id: a shop's id (shop_...) never meets a creator's.
        reference = await provider.send(reference=payout_id, creator_id=shop_id, amount=amount)
        changes = {"status": PAID, "provider_reference": reference}
    except PayoutRefused as refusal:
        changes = {"status": FAILED, "failure_reason": refusal.reason[:500]}
    except Exception as error:  # no answer: the money may or may not have left; keep it in transit
        log.exception("shop payout %s: the provider did not answer", payout_id)
        raise ShoppableError(
            "payout_provider_error",
            502,
            f"The payout provider did not answer; payout {payout_id} stays processing with its money set aside "
            "until it is reconciled. Do not retry with a new key.",
        ) from error
    async with database.session() as session:
        await _book(session, SENT if changes["status"] == PAID else RETURNED, payout_id, shop_id, amount)
        await core_execute(
            session, update(ShopPayout).where(ShopPayout.id == payout_id).values(**changes, updated_at=utcnow())
        )
        payout = await session.get(ShopPayout, payout_id, populate_existing=True)
        body = serialize(payout)
        if key is not None:
            await idempotency.complete(session, **key, status_code=201, body=body)
    return 201, body


async def shop_payouts(
    session: AsyncSession, principal: Principal, shop_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The shop's payouts, newest first (any member or the shop's API key)."""
    await shops.require_shop(session, principal, shop_id)
    page, next_cursor = await newest_first(
        session, select(ShopPayout).where(ShopPayout.shop_id == shop_id), ShopPayout.id, limit=limit, cursor=cursor
    )
    return [serialize(p) for p in page], next_cursor


# --- the figures --------------------------------------------------------------------------------------------------


def _refs(shop_id: str, currency: str) -> dict[str, AccountRef]:
    return {
        "pending": accounts.shop_pending(shop_id, currency).ref,
        "available": accounts.shop_available(shop_id, currency).ref,
        "in_transit": accounts.shop_payouts_in_transit(shop_id, currency).ref,
    }


async def finance(session: AsyncSession, principal: Principal, shop_id: str) -> list[dict[str, Any]]:
    """Per currency the shop ever had money in (its own currency always first): the figures the module's
    docstring names, in minor units, each as the shop reads it (what it is owed is positive)."""
    shop = await shops.require_shop(session, principal, shop_id)
    currencies = {ref.currency for ref in await ledger.accounts_of(session, "shop", shop.id)}
    paid = dict(
        (
            await session.execute(
                select(ShopPayout.currency, func.sum(ShopPayout.amount))
                .where(ShopPayout.shop_id == shop.id, ShopPayout.status == PAID)
                .group_by(ShopPayout.currency)
            )
        ).all()
    )
    currencies |= set(paid)
    out = []
    for currency in [shop.currency, *sorted(currencies - {shop.currency})]:
        refs = _refs(shop.id, currency)
        found = await ledger.balances(session, list(refs.values()))
        by_kind = await ledger.sums_by_kind(session, list(refs.values()))

        def total(kinds: tuple[str, ...], by_kind: dict[tuple[AccountRef, str], int] = by_kind) -> int:
            return sum(amount for (_, kind), amount in by_kind.items() if kind in kinds)

        out.append(
            {
                "currency": currency,
                "pending": -found[refs["pending"]].amount,
                "available": -found[refs["available"]].amount,
                "in_transit": -found[refs["in_transit"]].amount,
                "paid_out": int(paid.get(currency, 0)),
                "sales": -total(SALES_KINDS),
                "refunds": total(REFUND_KINDS),
                "fees": total(FEE_KINDS),
                "commissions": total(COMMISSION_KINDS),
            }
        )
    return out


def _figure_filter(shop_id: str, currency: str, figure: str) -> tuple[list[AccountRef], list[str] | None]:
    refs = _refs(shop_id, currency)
    payable = [refs["pending"], refs["available"]]
    return {
        "pending": ([refs["pending"]], None),
        "available": ([refs["available"]], None),
        "in_transit": ([refs["in_transit"]], None),
        "paid_out": ([refs["in_transit"]], [SENT]),
        "sales": (payable, list(SALES_KINDS)),
        "refunds": (payable, list(REFUND_KINDS)),
        "fees": (payable, list(FEE_KINDS)),
        "commissions": (payable, list(COMMISSION_KINDS)),
    }.get(figure, (list(refs.values()), None))


async def transactions(
    session: AsyncSession,
    principal: Principal,
    shop_id: str,
    currency: str,
    *,
    figure: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The ledger transactions behind the shop's figures in a currency, newest first (all of them, or those
    behind one of ``FIGURES``): each with how it moved the shop's pending, available and in-transit money
    (positive: the shop is owed more) and the order it is about, where it is about one."""
    shop = await shops.require_shop(session, principal, shop_id)
    check_currency(currency)
    refs = _refs(shop.id, currency)
    chosen, kinds = _figure_filter(shop.id, currency, figure or "")
    found, next_cursor = await ledger.transactions_touching(session, chosen, kinds=kinds, limit=limit, cursor=cursor)
    names = {ref: name for name, ref in refs.items()}
    orders = await _orders_behind(session, shop.id, [str(txn["reference"]) for txn in found])
    out = []
    for txn in found:
        moves = dict.fromkeys(refs, 0)
        entries = txn["entries"]
        assert isinstance(entries, list)
        for entry in entries:
            name = names.get(entry["account"])
            if name is not None:
                moves[name] -= int(entry["amount"])
        order = orders.get(str(txn["reference"]))
        out.append(
            {
                "id": txn["id"],
                "kind": txn["kind"],
                "reference": txn["reference"],
                "at": txn["at"],
                "order_id": order[0] if order else None,
                "order_number": order[1] if order else None,
                **moves,
            }
        )
    return out, next_cursor


async def _orders_behind(session: AsyncSession, shop_id: str, references: list[str]) -> dict[str, tuple[str, str]]:
    """(order id, order number) of this shop's order behind each reference that names one: an order's own id,
    a refund's id, or a commission reversal's ``{commission}:{refund}``."""
    refund_ids = {ref.rpartition(":")[2] for ref in references}
    refund_orders = dict(
        (await session.execute(select(Refund.id, Refund.order_id).where(Refund.id.in_(refund_ids)))).all()
    )
    order_of = {ref: refund_orders.get(ref.rpartition(":")[2], ref) for ref in references}
    numbers = dict(
        (
            await session.execute(
                select(Order.id, Order.number).where(Order.id.in_(set(order_of.values())), Order.shop_id == shop_id)
            )
        ).all()
    )
    return {ref: (order, numbers[order]) for ref, order in order_of.items() if order in numbers}
