"""Creator money: balances per currency and payouts out of the available balance.

A payout is two short transactions around the provider call, like checkout: (1) claim the idempotency key,
move the amount from available to in transit (a guarded conditional update: two payouts racing for the
same balance cannot both pass) and write the payout as ``processing``; (2) send it, holding no lock;
(3) mark it ``paid`` (money leaves the clearing account) or, if the provider refused, ``failed`` with the
money back in available. An unknown outcome (the provider did not answer) leaves it ``processing`` with the
money in transit: never paid twice, never lost.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import books
from shoppable.affiliate.models import Commission, Payout
from shoppable.identity.rules import CallingCreator
from shoppable.kit import idempotency
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import Database, core_execute
from shoppable.kit.errors import ShoppableError
from shoppable.kit.ids import new_id
from shoppable.kit.money import Money, check_currency
from shoppable.kit.pagination import newest_first
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from shoppable.payment.payout_provider import PayoutProvider, PayoutRefused

PROCESSING, PAID, FAILED = "processing", "paid", "failed"
log = logging.getLogger("shoppable.payouts")


def serialize(payout: Any) -> dict[str, Any]:
    return {
        "id": payout.id,
        "amount": payout.amount,
        "currency": payout.currency,
        "status": payout.status,
        "provider": payout.provider,
        "provider_reference": payout.provider_reference,
        "failure_reason": payout.failure_reason,
        "created_at": isoformat(payout.created_at),
        "updated_at": isoformat(payout.updated_at),
    }


async def request_payout(
    database: Database,
    provider: PayoutProvider,
    creator: CallingCreator,
    amount: Money,
    *,
    idempotency_key: str | None,
    request_fingerprint: str,
) -> tuple[int, dict[str, Any]]:
    if amount.amount <= 0:
        raise ShoppableError(
            "invalid_amount", 422, "A payout is a positive amount.", errors=[{"loc": ["body", "amount"], "msg": "> 0"}]
        )
    check_currency(amount.currency)
    key = {"principal": creator.key, "key": idempotency_key} if idempotency_key else None
    payout_id = new_id("po")
    async with database.session() as session:
        if key is not None:
            stored = await idempotency.claim(session, **key, request_fingerprint=request_fingerprint)
            if stored is not None:
                return stored
        now = utcnow()
        session.add(
            Payout(
                id=payout_id,
                creator_id=creator.creator_id,
                amount=amount.amount,
                currency=amount.currency,
                status=PROCESSING,
                provider=provider.name,
                provider_reference=None,
                failure_reason=None,
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        try:
            await books.reserve_payout(session, payout_id, creator.creator_id, amount)
        except ShoppableError as error:
            if error.code == "insufficient_balance":
                raise ShoppableError(
                    "insufficient_balance",
                    409,
                    f"Only available earnings can be paid out; {amount.format()} is more than is available.",
                ) from None
            raise
    changes: dict[str, Any]
    try:
        reference = await provider.send(reference=payout_id, creator_id=creator.creator_id, amount=amount)
        changes = {"status": PAID, "provider_reference": reference}
    except PayoutRefused as refusal:
        changes = {"status": FAILED, "failure_reason": refusal.reason[:500]}
    except Exception as error:  # no answer: the money may or may not have left; keep it in transit
        log.exception("payout %s: the provider did not answer", payout_id)
        raise ShoppableError(
            "payout_provider_error",
            502,
            f"The payout provider did not answer; payout {payout_id} stays processing with its money set aside "
            "until it is reconciled. Do not retry with a new key.",
        ) from error
    async with database.session() as session:
        if changes["status"] == PAID:
            await books.payout_sent(session, payout_id, creator.creator_id, amount)
        else:
            await books.payout_returned(session, payout_id, creator.creator_id, amount)
        await core_execute(session, update(Payout).where(Payout.id == payout_id).values(**changes, updated_at=utcnow()))
        payout = await session.get(Payout, payout_id, populate_existing=True)
        body = serialize(payout)
        if key is not None:
            await idempotency.complete(session, **key, status_code=201, body=body)
    return 201, body


async def creator_payouts(
    session: AsyncSession, creator_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    page, next_cursor = await newest_first(
        session, select(Payout).where(Payout.creator_id == creator_id), Payout.id, limit=limit, cursor=cursor
    )
    return [serialize(p) for p in page], next_cursor


async def balance(session: AsyncSession, creator_id: str) -> list[dict[str, Any]]:
    """Per currency the creator ever earned in: pending (orders not completed), available (may be paid out),
    in transit (payouts being sent) and paid out."""
    currencies = set(
        (await session.execute(select(Commission.currency).where(Commission.creator_id == creator_id).distinct()))
        .scalars()
        .all()
    )
    paid = dict(
        (
            await session.execute(
                select(Payout.currency, func.sum(Payout.amount))
                .where(Payout.creator_id == creator_id, Payout.status == PAID)
                .group_by(Payout.currency)
            )
        ).all()
    )
    currencies |= set(paid)
    out = []
    for currency in sorted(currencies):
        refs = [
            accounts.creator_pending(creator_id, currency).ref,
            accounts.creator_available(creator_id, currency).ref,
            accounts.payouts_in_transit(creator_id, currency).ref,
        ]
        found = await ledger.balances(session, refs)
        pending, available, transit = (-found[ref].amount for ref in refs)
        out.append(
            {
                "currency": currency,
                "pending": pending,
                "available": available,
                "in_transit": transit,
                "paid_out": int(paid.get(currency, 0)),
            }
        )
    return out
