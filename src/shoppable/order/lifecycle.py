"""After the sale: reading orders, shipping, delivery, cancellation, and the timed jobs (expiry of unpaid
orders, completion after the return window)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import commissions
from shoppable.catalog import shops
from shoppable.identity.rules import Principal
from shoppable.kit import idempotency
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.kit.outbox import emit
from shoppable.kit.pagination import newest_first
from shoppable.order import books, refunds
from shoppable.order.models import Order, OrderLine, ReturnRequest
from shoppable.order.orders import lines_of, lock_order, order_event, order_for, read_orders, transition
from shoppable.order.rules import Actor, OrderEvent, OrderStatus, next_status
from shoppable.payment import service as payments
from shoppable.payment.provider import PaymentProvider


async def _read_one(session: AsyncSession, order: Order, lines: list[OrderLine] | None = None) -> dict[str, Any]:
    statuses = await payments.statuses(session, [order.payment_id])
    (body,) = await read_orders(session, [order], statuses, lines=lines)
    return body


async def get_order(session: AsyncSession, principal: Principal, order_id: str) -> dict[str, Any]:
    order, _ = await order_for(session, principal, order_id, lock=False)
    return await _read_one(session, order)


async def _page(
    session: AsyncSession, query: Any, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    orders, next_cursor = await newest_first(session, query, Order.id, limit=limit, cursor=cursor)
    statuses = await payments.statuses(session, [o.payment_id for o in orders])
    return await read_orders(session, orders, statuses), next_cursor


async def buyer_orders(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    return await _page(session, select(Order).where(Order.buyer_id == principal.user_id), limit=limit, cursor=cursor)


async def shop_orders(
    session: AsyncSession, principal: Principal, shop_id: str, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    await shops.require_shop(session, principal, shop_id)
    query = select(Order).where(Order.shop_id == shop_id)
    if status is not None:
        query = query.where(Order.status == status)
    return await _page(session, query, limit=limit, cursor=cursor)


async def _shop_step(
    session: AsyncSession,
    principal: Principal,
    order_id: str,
    event: OrderEvent,
    topic: str,
    *,
    detail: dict[str, Any] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """A lifecycle step only the order's shop takes: transition, outbox event, the order as it now is."""
    order, _ = await order_for(session, principal, order_id, need=Actor.SHOP)
    await transition(session, order, event, Actor.SHOP, actor_name=principal.key, detail=detail, **changes)
    lines = await lines_of(session, [order.id])
    await emit(session, [order_event(topic, order, lines)])
    return await _read_one(session, order, lines)


async def ship(
    session: AsyncSession, principal: Principal, order_id: str, *, carrier: str, tracking_number: str
) -> dict[str, Any]:
    return await _shop_step(
        session,
        principal,
        order_id,
        OrderEvent.SHIP,
        "order.shipped",
        detail={"carrier": carrier, "tracking_number": tracking_number},
        carrier=carrier,
        tracking_number=tracking_number,
        shipped_at=utcnow(),
    )


async def deliver(
    session: AsyncSession, principal: Principal, order_id: str, *, return_window_days: int
) -> dict[str, Any]:
    now = utcnow()
    ends_at = now + timedelta(days=return_window_days)
    delivered = await _shop_step(
        session,
        principal,
        order_id,
        OrderEvent.DELIVER,
        "order.delivered",
        delivered_at=now,
        return_window_ends_at=ends_at,
    )
    if any(commissions.is_credited(line["attribution"]) for line in delivered["lines"]):
        await commissions.schedule_settlement(session, order_id, ends_at)
    return delivered


async def cancel(
    session: AsyncSession, provider: PaymentProvider, principal: Principal, order_id: str, *, reason: str
) -> dict[str, Any]:
    """Cancel as the shop when the caller acts for it, else as the buyer (buyers only until shipping)."""
    order, actors = await order_for(session, principal, order_id)
    actor = Actor.SHOP if Actor.SHOP in actors else Actor.BUYER
    lines = await _cancel(session, provider, order, OrderEvent.CANCEL, actor, actor_name=principal.key, reason=reason)
    return await _read_one(session, order, lines)


async def _cancel(
    session: AsyncSession,
    provider: PaymentProvider,
    order: Order,
    event: OrderEvent,
    actor: Actor,
    *,
    actor_name: str,
    reason: str,
) -> list[OrderLine]:
    """Cancel a locked order: refund what was paid and not yet refunded (a refund like any other, with its
    record and ledger entries), void a payment never captured, and put back the stock that never left."""
    was = OrderStatus(order.status)
    next_status(was, event, actor)  # refuse before refunding anything
    # The session's identity map keeps these objects current through the refund below.
    lines = await lines_of(session, [order.id], lock=True)
    if was != OrderStatus.PENDING_PAYMENT and order.refunded_total < order.total:
        left = [
            (line.id, line.quantity - line.refunded_quantity)
            for line in lines
            if line.refunded_quantity < line.quantity
        ]
        await refunds.refund_units(session, provider, actor_name, order, left, reason=f"cancelled: {reason}"[:500])
    await transition(
        session, order, event, actor, actor_name=actor_name, detail={"reason": reason}, cancelled_at=utcnow()
    )
    if was == OrderStatus.PENDING_PAYMENT:
        await payments.void(session, provider, payment_id=order.payment_id)
    if was in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID):
        units = {line.id: line.quantity - line.restocked_quantity for line in lines}
        await refunds.restock(session, lines, units, actor_name)
    await emit(session, [order_event("order.cancelled", order, lines, reason=reason)])
    return lines


# --- timed jobs -------------------------------------------------------------------------------------------------


async def expire_unpaid(
    database: Database,
    provider: PaymentProvider,
    *,
    unpaid_ttl: timedelta,
    now: datetime | None = None,
    batch: int = 100,
) -> int:
    """Cancel orders still awaiting payment past their expiry and give their stock back; how many."""
    now = now or utcnow()
    expired = 0
    async with database.session() as session:
        query = (
            select(Order.id)
            .where(Order.status == OrderStatus.PENDING_PAYMENT.value, Order.expires_at <= now)
            .order_by(Order.expires_at)
            .limit(batch)
        )
        if not database.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        for order_id in list((await session.execute(query)).scalars()):
            order = await lock_order(session, order_id)
            await _cancel(
                session, provider, order, OrderEvent.EXPIRE, Actor.SYSTEM, actor_name="system", reason="unpaid"
            )
            expired += 1
        await idempotency.purge_abandoned(session, now - unpaid_ttl)
    return expired


async def complete_due(database: Database, *, now: datetime | None = None, batch: int = 100) -> int:
    """Complete delivered orders whose return window has passed with no return request open; settle the
    shop's payable for each. How many were completed."""
    now = now or utcnow()
    completed = 0
    open_return = exists().where(ReturnRequest.order_id == Order.id, ReturnRequest.status == "requested")
    async with database.session() as session:
        query = (
            select(Order.id)
            .where(Order.status == OrderStatus.DELIVERED.value, Order.return_window_ends_at <= now, ~open_return)
            .order_by(Order.return_window_ends_at)
            .limit(batch)
        )
        if not database.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        for order_id in list((await session.execute(query)).scalars()):
            order = await lock_order(session, order_id)
            await transition(session, order, OrderEvent.COMPLETE, Actor.SYSTEM, actor_name="system", completed_at=now)
            kept = await commissions.settle_order(session, order.id)
            await books.book_settlement(session, order, commission_kept=kept)
            await emit(session, [order_event("order.completed", order, await lines_of(session, [order.id]))])
            completed += 1
    return completed
