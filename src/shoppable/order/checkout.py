"""Placing orders (buy now, or the cart at checkout) in two short transactions around the payment.

1. Place: claim the idempotency key, price the items from a snapshot, write the orders awaiting payment
   and reserve stock, the contended row locks last, so they are held only until COMMIT.
2. Charge the payment with the provider, holding no database lock.
3. Confirm: record the capture, mark the orders paid, post the ledger, write the outbox events, empty the
   cart, store the response for the idempotency key. A refused payment instead deletes the orders and
   returns their stock: no order is kept and no stock is held.

If the process dies between 1 and 3, the orders stay awaiting payment until the expiry job cancels them
(``order_unpaid_ttl_minutes``) and gives their stock back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, update

from shoppable.affiliate import commissions, tokens
from shoppable.affiliate.tokens import ClickToken
from shoppable.catalog import stock
from shoppable.catalog.stock import VariantForSale
from shoppable.config import Settings
from shoppable.identity.rules import Principal
from shoppable.kit import idempotency
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database, core_execute, flush_queued
from shoppable.kit.errors import ShoppableError
from shoppable.kit.http import problem_body
from shoppable.kit.ids import new_id
from shoppable.kit.money import Money
from shoppable.kit.outbox import emit
from shoppable.order import books, cart
from shoppable.order.attribution import attribute_purchase
from shoppable.order.live_sales import LiveLine, LiveSales, SpecialPrice
from shoppable.order.models import Order, OrderLine, OrderTimelineEntry
from shoppable.order.orders import insert_orders, order_event, read_orders, record_timeline
from shoppable.order.rules import Item, OrderDraft, OrderStatus, merge_items, price_orders
from shoppable.payment import service as payments
from shoppable.payment.provider import PaymentProvider

# How long a retry waits for the first request with its key to finish before answering 409.
_IN_PROGRESS_WAIT_S = 10.0


def attribution_clicks(cookie: str | None, settings: Settings) -> tuple[ClickToken, ...]:
    """The verified link clicks of a shopper's attribution cookie, within the attribution window."""
    window = timedelta(days=settings.attribution_window_days)
    return tuple(tokens.read_all(cookie, settings.verification_keys, now=utcnow(), window=window))


@dataclass(frozen=True, slots=True)
class Purchase:
    buyer: Principal
    items: Sequence[Item] | None  # None: the buyer's cart
    shipping_address: dict[str, Any]
    payment_token: str
    coupon_code: str | None = None
    idempotency_key: str | None = None
    request_fingerprint: str = ""
    clicks: tuple[ClickToken, ...] = ()  # verified link clicks from the shopper's attribution cookie
    live_sales: LiveSales | None = None


@dataclass(frozen=True, slots=True)
class _Placed:
    order_ids: list[str]
    lines: list[OrderLine]
    payment_amounts: dict[str, Money]
    quantities: dict[str, int]
    cart_line_ids: list[str]
    special: dict[str, SpecialPrice]
    live_lines: list[LiveLine]


async def place_orders(
    database: Database, provider: PaymentProvider, settings: Settings, purchase: Purchase
) -> tuple[int, dict[str, Any]]:
    """Buy: 201 with ``{orders, payment}``, or the stored response of an earlier request with the same key."""
    if purchase.coupon_code:
        raise ShoppableError(
            "coupon_not_found",
            422,
            f"There is no coupon {purchase.coupon_code[:40]!r}.",
            errors=[{"loc": ["body", "coupon_code"], "msg": "unknown coupon"}],
        )
    deadline = asyncio.get_running_loop().time() + _IN_PROGRESS_WAIT_S
    while True:
        try:
            placed = await _place(database, provider.name, settings, purchase)
            break
        except ShoppableError as error:
            # The first request with this key is between its transactions: wait for its answer.
            if error.code != "idempotency_in_progress" or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)
    if isinstance(placed, tuple):
        return placed
    try:
        charges = await payments.charge(provider, token=purchase.payment_token, amounts=placed.payment_amounts)
    except ShoppableError as refusal:
        await _discard(database, purchase, placed, refusal)
        raise
    return await _confirm(database, provider, purchase, placed, charges)


async def _place(
    database: Database, provider_name: str, settings: Settings, purchase: Purchase
) -> _Placed | tuple[int, Any]:
    buyer_id = purchase.buyer.user_id
    assert buyer_id is not None
    async with database.session() as session:
        if purchase.idempotency_key is not None:
            stored = await idempotency.claim(
                session,
                principal=purchase.buyer.key,
                key=purchase.idempotency_key,
                request_fingerprint=purchase.request_fingerprint,
            )
            if stored is not None:
                return stored
        cart_line_ids: list[str] = []
        if purchase.items is None:
            cart_lines = await cart.lines_for_checkout(session, buyer_id)
            items: Sequence[Item] = [
                Item(line.variant_id, line.quantity, line.source, line.updated_at) for line in cart_lines
            ]
            cart_line_ids = [line.id for line in cart_lines]
        else:
            items = purchase.items
        merged = merge_items(items)
        variants = await stock.variants_for_sale(session, [item.variant_id for item in merged])
        now = utcnow()
        sales = purchase.live_sales
        special = await sales.quote(session, merged, now=now) if sales is not None else {}
        drafts = price_orders(
            merged,
            variants,
            fee_bps=settings.platform_fee_bps,
            special_prices={v: offer.price for v, offer in special.items()},
        )
        amounts = _amounts_by_currency(drafts)
        payment_ids = {currency: new_id("pay") for currency in amounts}
        payment_amounts = {payment_ids[currency]: amount for currency, amount in amounts.items()}
        decisions = await attribute_purchase(
            session,
            buyer_id=buyer_id,
            items=merged,
            drafts=drafts,
            clicks=purchase.clicks,
            now=now,
            settings=settings,
            live_sales=sales,
        )
        await payments.open_payments(
            session,
            buyer_id=buyer_id,
            provider=provider_name,
            amounts=payment_amounts,
        )
        order_ids, lines = await insert_orders(
            session,
            drafts,
            buyer_id=buyer_id,
            payment_ids=payment_ids,
            shipping_address=purchase.shipping_address,
            expires_at=now + timedelta(minutes=settings.order_unpaid_ttl_minutes),
            now=now,
            attributions=decisions,
        )
        await record_timeline(
            session, [(order_id, "created", purchase.buyer.key, {}) for order_id in order_ids], at=now
        )
        quantities = {item.variant_id: item.quantity for item in merged if item.variant_id not in special}
        taken = {item.variant_id: item.quantity for item in merged if item.variant_id in special}
        await flush_queued(session)  # everything written before the contended stock rows are locked
        await stock.reserve_stock(session, quantities, reason="order placed", actor=purchase.buyer.key)
        if taken:
            assert sales is not None
            await sales.take(session, buyer_id=buyer_id, prices=special, units=taken, now=now)
    return _Placed(
        order_ids=order_ids,
        lines=lines,
        payment_amounts=payment_amounts,
        quantities=quantities,
        cart_line_ids=cart_line_ids,
        special=special,
        live_lines=_live_lines(merged, variants),
    )


def _live_lines(items: Sequence[Item], variants: Mapping[str, VariantForSale]) -> list[LiveLine]:
    return [
        LiveLine(str(item.source["id"]), variants[item.variant_id].product_id, item.variant_id, item.quantity)
        for item in items
        if item.source and item.source.get("type") == "live" and item.variant_id in variants
    ]


def _paid_lines(orders: dict[str, Order], lines: Sequence[OrderLine]) -> list[commissions.PaidLine]:
    return [
        commissions.PaidLine(
            order_id=line.order_id,
            line_id=line.id,
            shop_id=orders[line.order_id].shop_id,
            product_id=line.product_id,
            currency=orders[line.order_id].currency,
            paid=line.total,
            units=line.quantity,
            attribution=line.attribution,
        )
        for line in lines
        if commissions.is_credited(line.attribution)
    ]


def _amounts_by_currency(drafts: Sequence[OrderDraft]) -> dict[str, Money]:
    totals: dict[str, int] = {}
    for draft in drafts:
        totals[draft.currency] = totals.get(draft.currency, 0) + draft.total
    return {currency: Money(total, currency) for currency, total in totals.items()}


async def _discard(database: Database, purchase: Purchase, placed: _Placed, refusal: ShoppableError) -> None:
    """Undo a placement whose payment was refused: delete the orders, return the stock, settle the key."""
    async with database.session() as session:
        deleted = list(
            (
                await core_execute(
                    session,
                    delete(Order)
                    .where(Order.id.in_(placed.order_ids), Order.status == OrderStatus.PENDING_PAYMENT.value)
                    .returning(Order.id),
                )
            ).scalars()
        )
        if len(deleted) == len(placed.order_ids):  # else the expiry job got there first and returned the stock
            await stock.release_stock(session, placed.quantities, reason="payment refused", actor="system")
            if placed.special and purchase.live_sales is not None:
                units = {line.variant_id: line.quantity for line in placed.lines if line.variant_id in placed.special}
                await purchase.live_sales.give_back(
                    session, buyer_id=str(purchase.buyer.user_id), prices=placed.special, units=units
                )
        await payments.mark_failed(session, list(placed.payment_amounts))
        if purchase.idempotency_key is not None:
            key = {"principal": purchase.buyer.key, "key": purchase.idempotency_key}
            if refusal.status == 402:  # the bank's answer is final: a retry with the key gets it again
                body = problem_body(refusal.status, refusal.code, refusal.detail, refusal.errors)
                await idempotency.complete(session, **key, status_code=refusal.status, body=body)
            else:  # the provider could not answer: the same key may try again
                await idempotency.release(session, **key)


_MARK_PAID = (
    update(Order)
    .where(Order.id.in_(bindparam("ids", expanding=True)), Order.status == OrderStatus.PENDING_PAYMENT.value)
    .values(status=OrderStatus.PAID.value, paid_at=bindparam("now"), updated_at=bindparam("now"), expires_at=None)
    .returning(*Order.__table__.c)
)


class _ExpiredMeanwhile(Exception):
    """The expiry job cancelled an order while its payment was being charged (only after the unpaid TTL)."""


async def _confirm(
    database: Database,
    provider: PaymentProvider,
    purchase: Purchase,
    placed: _Placed,
    charges: list[payments.Charge],
) -> tuple[int, dict[str, Any]]:
    now = utcnow()
    try:
        async with database.session() as session:
            rows = await core_execute(session, _MARK_PAID, {"ids": placed.order_ids, "now": now})
            by_id = {row.id: Order(**row._mapping) for row in rows}
            if len(by_id) != len(placed.order_ids):
                raise _ExpiredMeanwhile
            orders = [by_id[order_id] for order_id in placed.order_ids]
            await payments.record_charges(session, charges)
            await record_timeline(session, [(order_id, "paid", "system", {}) for order_id in placed.order_ids], at=now)
            await books.book_paid_orders(session, orders)
            lines = placed.lines
            await commissions.accrue(session, _paid_lines(by_id, lines))
            await emit(
                session,
                [order_event(topic, order, lines) for order in orders for topic in ("order.created", "order.paid")],
            )
            if placed.cart_line_ids:
                await cart.remove_lines(session, placed.cart_line_ids)
            if placed.live_lines and purchase.live_sales is not None:
                await purchase.live_sales.sold(session, buyer_id=str(purchase.buyer.user_id), lines=placed.live_lines)
            timeline = [
                OrderTimelineEntry(order_id=order.id, at=at, event=event, actor=actor, detail={})
                for order in orders
                for at, event, actor in ((order.created_at, "created", purchase.buyer.key), (now, "paid", "system"))
            ]
            captured = {c.payment_id: "captured" for c in charges}
            body = {
                "orders": await read_orders(session, orders, captured, lines=lines, timeline=timeline),
                "payment": {
                    "status": "captured",
                    "payments": [
                        {
                            "id": c.payment_id,
                            "amount": c.capture.amount.amount,
                            "currency": c.capture.amount.currency,
                            "status": "captured",
                        }
                        for c in charges
                    ],
                },
            }
            if purchase.idempotency_key is not None:
                await idempotency.complete(
                    session, principal=purchase.buyer.key, key=purchase.idempotency_key, status_code=201, body=body
                )
    except _ExpiredMeanwhile:
        for done in charges:
            await provider.refund(done.capture, amount=done.capture.amount, reference=f"expired:{done.payment_id}")
        raise ShoppableError(
            "order_expired", 409, "The order expired before its payment was confirmed; the charge was refunded."
        ) from None
    return 201, body
