"""Orders as stored: writing new ones, who may act on one, moving them through the lifecycle, serialising them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog import shops
from shoppable.identity.rules import Principal
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import core_execute, flush_queued, queue_insert
from shoppable.kit.errors import forbidden, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.outbox import Event
from shoppable.order.models import Order, OrderLine, OrderTimelineEntry
from shoppable.order.rules import Actor, OrderDraft, OrderEvent, OrderStatus, next_status, refund_status

_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def order_number() -> str:
    """A short number a buyer can read out on the phone (50 random bits; unique in the table)."""
    return "SP-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(10))


async def insert_orders(
    session: AsyncSession,
    drafts: Sequence[OrderDraft],
    *,
    buyer_id: str,
    payment_ids: dict[str, str],
    shipping_address: dict[str, Any],
    expires_at: datetime,
    now: datetime,
    attributions: Sequence[dict[str, Any] | None],
) -> tuple[list[str], list[OrderLine]]:
    """Write new orders awaiting payment (``payment_ids`` by currency): their ids in the drafts' order, and
    their lines as written (not attached to the session). ``attributions`` go on the lines, in order."""
    orders, lines = [], []
    decisions = iter(attributions)
    for draft in drafts:
        order_id = new_id("ord")
        orders.append(
            {
                "id": order_id,
                "number": order_number(),
                "shop_id": draft.shop_id,
                "buyer_id": buyer_id,
                "payment_id": payment_ids[draft.currency],
                "status": OrderStatus.PENDING_PAYMENT.value,
                "currency": draft.currency,
                "subtotal": draft.subtotal,
                "discount_total": draft.discount_total,
                "shipping_total": draft.shipping_total,
                "total": draft.total,
                "fee_total": draft.fee_total,
                "refunded_total": 0,
                "refunded_fee_total": 0,
                "shipping_address": shipping_address,
                "carrier": None,
                "tracking_number": None,
                "created_at": now,
                "updated_at": now,
                "expires_at": expires_at,
                "paid_at": None,
                "shipped_at": None,
                "delivered_at": None,
                "return_window_ends_at": None,
                "completed_at": None,
                "cancelled_at": None,
            }
        )
        for position, line in enumerate(draft.lines):
            lines.append(
                {
                    "id": new_id("line"),
                    "order_id": order_id,
                    "position": position,
                    "variant_id": line.variant_id,
                    "product_id": line.product_id,
                    "sku": line.sku,
                    "title": line.title[:512],
                    "image_url": line.image_url,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "discount": line.discount,
                    "total": line.total,
                    "fee": line.fee,
                    "refunded_quantity": 0,
                    "refunded_amount": 0,
                    "refunded_fee": 0,
                    "restocked_quantity": 0,
                    "source": dict(line.source) if line.source is not None else None,
                    "attribution": next(decisions),
                }
            )
    queue_insert(session, Order.__table__, orders)  # type: ignore[arg-type]
    queue_insert(session, OrderLine.__table__, lines)  # type: ignore[arg-type]
    return [str(row["id"]) for row in orders], [OrderLine(**line) for line in lines]


async def record_timeline(
    session: AsyncSession, entries: Iterable[tuple[str, str, str, dict[str, Any]]], *, at: datetime | None = None
) -> None:
    """Append (order id, event, actor, detail) entries to orders' timelines."""
    moment = at or utcnow()
    queue_insert(
        session,
        OrderTimelineEntry.__table__,  # type: ignore[arg-type]
        [
            {"order_id": order_id, "at": moment, "event": event, "actor": actor, "detail": detail}
            for order_id, event, actor, detail in entries
        ],
    )


async def lock_order(session: AsyncSession, order_id: str) -> Order:
    """The order, locked for the rest of the transaction (lifecycle changes and refunds queue on it)."""
    query = select(Order).where(Order.id == order_id).with_for_update()
    order = (await session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()
    if order is None:
        raise not_found("Order")
    return order


_LINES_OF = (
    select(OrderLine)
    .where(OrderLine.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(OrderLine.order_id, OrderLine.position)
    .execution_options(populate_existing=True)
)
_LINES_OF_LOCKED = _LINES_OF.with_for_update()


async def lines_of(session: AsyncSession, order_ids: Sequence[str], *, lock: bool = False) -> list[OrderLine]:
    query = _LINES_OF_LOCKED if lock else _LINES_OF
    return list((await session.execute(query, {"ids": list(order_ids)})).scalars())


async def transition(
    session: AsyncSession,
    order: Order,
    event: OrderEvent,
    actor: Actor,
    *,
    actor_name: str,
    detail: dict[str, Any] | None = None,
    **changes: Any,
) -> OrderStatus:
    """Move a locked order through the lifecycle (409 ``invalid_transition``, 403 for the wrong actor) and
    note it on the timeline."""
    status = next_status(OrderStatus(order.status), event, actor)
    now = utcnow()
    values = {"status": status.value, "updated_at": now, **changes}
    await core_execute(session, update(Order).where(Order.id == order.id).values(values))
    for name, value in values.items():
        setattr(order, name, value)
    timeline_event = {OrderEvent.EXPIRE: "expired"}.get(event, status.value)
    await record_timeline(session, [(order.id, timeline_event, actor_name, detail or {})], at=now)
    return status


def order_event(topic: str, order: Order, lines: Sequence[OrderLine], **extra: Any) -> Event:
    """An outbox event about an order: enough for a subscriber to act without reading our tables."""
    return Event(
        topic,
        order.id,
        {
            "order_id": order.id,
            "number": order.number,
            "shop_id": order.shop_id,
            "buyer_id": order.buyer_id,
            "status": order.status,
            "currency": order.currency,
            "total": order.total,
            "lines": [
                {
                    "line_id": line.id,
                    "product_id": line.product_id,
                    "variant_id": line.variant_id,
                    "quantity": line.quantity,
                    "total": line.total,
                }
                for line in lines
                if line.order_id == order.id
            ],
            **extra,
        },
    )


# --- who may act on an order ---


async def actors_for(session: AsyncSession, principal: Principal, order: Order) -> set[Actor]:
    """In which roles the caller may act on this order: its buyer, its shop, both or neither."""
    actors = set()
    if principal.user_id is not None and principal.user_id == order.buyer_id:
        actors.add(Actor.BUYER)
    if await shops.can_act_for(session, principal, order.shop_id):
        actors.add(Actor.SHOP)
    return actors


async def order_for(
    session: AsyncSession, principal: Principal, order_id: str, *, need: Actor | None = None, lock: bool = True
) -> tuple[Order, set[Actor]]:
    """The order and the caller's roles on it: 404 if the caller is neither its buyer nor its shop (never
    reveal another tenant's order), 403 if the caller sees it but ``need`` is not one of their roles."""
    if lock:
        order = await lock_order(session, order_id)
    else:
        found = (await session.execute(select(Order).where(Order.id == order_id))).scalar_one_or_none()
        if found is None:
            raise not_found("Order")
        order = found
    actors = await actors_for(session, principal, order)
    if not actors:
        raise not_found("Order")
    if need is not None and need not in actors:
        raise forbidden(f"Only the order's {need.value} may do this.")
    return order, actors


# --- reading --------------------------------------------------------------------------------------------------


def serialize_line(line: OrderLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "variant_id": line.variant_id,
        "product_id": line.product_id,
        "sku": line.sku,
        "title": line.title,
        "image_url": line.image_url,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount": line.discount,
        "total": line.total,
        "platform_fee": line.fee,
        "refunded_quantity": line.refunded_quantity,
        "refunded_amount": line.refunded_amount,
        "source": line.source,
        "attribution": public_attribution(line.attribution),
    }


_PUBLIC_ATTRIBUTION = ("creator_id", "source_type", "source_id", "plan_id", "commission_bps", "commission")


def public_attribution(decision: dict[str, Any] | None) -> dict[str, Any] | None:
    """Who the line credits and at what rate (the decision's inputs stay with us); None when no one."""
    if decision is None or "creator_id" not in decision:
        return None
    return {name: decision.get(name) for name in _PUBLIC_ATTRIBUTION}


def serialize_order(
    order: Order, lines: Sequence[OrderLine], timeline: Sequence[OrderTimelineEntry], payment_status: str | None
) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "shop_id": order.shop_id,
        "buyer_id": order.buyer_id,
        "status": order.status,
        "refund_status": refund_status(order.total, order.refunded_total),
        "currency": order.currency,
        "subtotal": order.subtotal,
        "discount_total": order.discount_total,
        "shipping_total": order.shipping_total,
        "total": order.total,
        "refunded_total": order.refunded_total,
        "platform_fee_total": order.fee_total,
        "payment": {"id": order.payment_id, "status": payment_status},
        "shipping_address": order.shipping_address,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "lines": [serialize_line(line) for line in lines],
        "created_at": isoformat(order.created_at),
        "updated_at": isoformat(order.updated_at),
        "expires_at": isoformat(order.expires_at) if order.status == OrderStatus.PENDING_PAYMENT else None,
        "paid_at": isoformat(order.paid_at),
        "shipped_at": isoformat(order.shipped_at),
        "delivered_at": isoformat(order.delivered_at),
        "return_window_ends_at": isoformat(order.return_window_ends_at),
        "completed_at": isoformat(order.completed_at),
        "cancelled_at": isoformat(order.cancelled_at),
        "timeline": [
            {"at": isoformat(entry.at), "event": entry.event, "actor": entry.actor, "detail": entry.detail}
            for entry in timeline
        ],
    }


async def read_orders(
    session: AsyncSession,
    orders: Sequence[Order],
    payment_statuses: dict[str, str],
    *,
    lines: Sequence[OrderLine] | None = None,
    timeline: Sequence[OrderTimelineEntry] | None = None,
) -> list[dict[str, Any]]:
    """Orders with their lines and timelines: two more queries whatever their number, fewer when the caller
    already holds them."""
    ids = [order.id for order in orders]
    if not ids:
        return []
    await flush_queued(session)
    if lines is None:
        lines = await lines_of(session, ids)
    if timeline is None:
        timeline = list(
            (
                await session.execute(
                    select(OrderTimelineEntry)
                    .where(OrderTimelineEntry.order_id.in_(ids))
                    .order_by(OrderTimelineEntry.id)
                )
            ).scalars()
        )
    lines_by: dict[str, list[OrderLine]] = {}
    for line in lines:
        lines_by.setdefault(line.order_id, []).append(line)
    timeline_by: dict[str, list[OrderTimelineEntry]] = {}
    for entry in timeline:
        timeline_by.setdefault(entry.order_id, []).append(entry)
    return [
        serialize_order(o, lines_by.get(o.id, []), timeline_by.get(o.id, []), payment_statuses.get(o.payment_id))
        for o in orders
    ]
