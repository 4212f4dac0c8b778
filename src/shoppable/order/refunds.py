"""Refunds by line and quantity, and buyers' return requests that the shop approves (refunds) or rejects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import commissions
from shoppable.catalog import shops, stock
from shoppable.identity.rules import Principal
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import core_execute
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.money import Money
from shoppable.kit.outbox import emit
from shoppable.kit.pagination import newest_first
from shoppable.order import books
from shoppable.order.models import Order, OrderLine, Refund, ReturnRequest
from shoppable.order.orders import lines_of, order_event, order_for, record_timeline
from shoppable.order.rules import Actor, OrderStatus, refund_amount, refund_fee
from shoppable.payment import service as payments
from shoppable.payment.provider import PaymentProvider

REFUNDABLE = {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}


def _requested_units(requested: Sequence[tuple[str, int]], lines: Sequence[OrderLine]) -> dict[str, int]:
    """Units per line id, 422 for a line not on the order; a line named twice counts once per mention."""
    on_order = {line.id for line in lines}
    units: dict[str, int] = {}
    for index, (line_id, quantity) in enumerate(requested):
        if line_id not in on_order:
            raise ShoppableError(
                "line_not_found",
                422,
                f"Line {line_id} is not on this order.",
                errors=[{"loc": ["body", "lines", index, "line_id"], "msg": "not on this order"}],
            )
        units[line_id] = units.get(line_id, 0) + quantity
    return units


async def refund_lines(
    session: AsyncSession,
    provider: PaymentProvider,
    principal: Principal,
    order_id: str,
    requested: Sequence[tuple[str, int]],
    *,
    reason: str,
    return_id: str | None = None,
) -> dict[str, Any]:
    """Refund units of an order's lines (shop only): each line pro rata, never more than was paid."""
    order, _ = await order_for(session, principal, order_id, need=Actor.SHOP)
    return await refund_units(session, provider, principal.key, order, requested, reason=reason, return_id=return_id)


async def refund_units(
    session: AsyncSession,
    provider: PaymentProvider,
    actor_name: str,
    order: Order,
    requested: Sequence[tuple[str, int]],
    *,
    reason: str,
    return_id: str | None = None,
) -> dict[str, Any]:
    """Refund units of a locked order's lines: each line's share pro rata (``rules.refund_amount``), the
    payment refunded by that much, the ledger booked, and the units restocked if they never left the shop."""
    status = OrderStatus(order.status)
    if status not in REFUNDABLE:
        raise ShoppableError("invalid_transition", 409, f"An order that is {status.value} cannot be refunded.")
    lines = await lines_of(session, [order.id], lock=True)
    units = _requested_units(requested, lines)
    refund_id = new_id("re")
    amount = fee = 0
    refunded_lines = []
    credited: dict[str, int] = {}  # units refunded on lines that earn a commission
    for line in lines:
        quantity = units.get(line.id)
        if quantity is None:
            continue
        line_amount = refund_amount(
            line_total=line.total,
            line_quantity=line.quantity,
            refunded_quantity=line.refunded_quantity,
            refunded_amount=line.refunded_amount,
            quantity=quantity,
        )
        line_fee = refund_fee(
            line_fee=line.fee,
            line_quantity=line.quantity,
            refunded_quantity=line.refunded_quantity,
            refunded_fee=line.refunded_fee,
            quantity=quantity,
        )
        line.refunded_quantity += quantity
        line.refunded_amount += line_amount
        line.refunded_fee += line_fee
        await core_execute(
            session,
            update(OrderLine)
            .where(OrderLine.id == line.id)
            .values(
                refunded_quantity=line.refunded_quantity,
                refunded_amount=line.refunded_amount,
                refunded_fee=line.refunded_fee,
            ),
        )
        if commissions.is_credited(line.attribution):
            credited[line.id] = quantity
        amount += line_amount
        fee += line_fee
        refunded_lines.append({"line_id": line.id, "quantity": quantity, "amount": line_amount})
    if amount == 0:
        raise ShoppableError("nothing_to_refund", 422, "These units were paid nothing; there is nothing to refund.")
    provider_refund_id = await payments.refund(
        session, provider, payment_id=order.payment_id, amount=Money(amount, order.currency), reference=refund_id
    )
    await books.book_refund(
        session, order, reference=refund_id, amount=amount, fee_returned=fee, completed=status == OrderStatus.COMPLETED
    )
    await _reverse_commissions(session, refund_id, lines, credited)
    if status == OrderStatus.PAID:  # nothing has left the shop: the units go back on sale
        await restock(session, lines, units, actor_name)
    order.refunded_total += amount
    order.refunded_fee_total += fee
    await core_execute(
        session,
        update(Order)
        .where(Order.id == order.id)
        .values(
            refunded_total=order.refunded_total,
            refunded_fee_total=order.refunded_fee_total,
            updated_at=utcnow(),
        ),
    )
    refund = Refund(
        id=refund_id,
        order_id=order.id,
        amount=amount,
        fee_reversed=fee,
        currency=order.currency,
        reason=reason,
        lines=refunded_lines,
        provider_refund_id=provider_refund_id,
        return_id=return_id,
        created_by=actor_name,
        created_at=utcnow(),
    )
    session.add(refund)
    await session.flush()
    await record_timeline(
        session, [(order.id, "refunded", actor_name, {"refund_id": refund_id, "amount": amount, "reason": reason})]
    )
    await emit(session, [order_event("order.refunded", order, lines, refund_id=refund_id, amount=amount)])
    return serialize_refund(refund)


async def _reverse_commissions(
    session: AsyncSession, refund_id: str, lines: Sequence[OrderLine], units_by_line: dict[str, int]
) -> None:
    """The refunded units' share of their lines' commissions goes back to the shop; the lines show what the
    creator still earns."""
    if not units_by_line:
        return
    taken_back = await commissions.reverse(session, refund_id, units_by_line)
    for line in lines:
        if taken_back.get(line.id) and line.attribution is not None:
            line.attribution = {**line.attribution, "commission": line.attribution["commission"] - taken_back[line.id]}
            await core_execute(
                session, update(OrderLine).where(OrderLine.id == line.id).values(attribution=line.attribution)
            )


def serialize_refund(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "order_id": refund.order_id,
        "amount": refund.amount,
        "currency": refund.currency,
        "platform_fee_reversed": refund.fee_reversed,
        "reason": refund.reason,
        "lines": refund.lines,
        "return_id": refund.return_id,
        "status": "succeeded",
        "created_at": isoformat(refund.created_at),
    }


async def restock(
    session: AsyncSession, lines: list[OrderLine], units_by_line: dict[str, int], actor_name: str
) -> None:
    """Put units of lines back in stock (units that never left the shop)."""
    quantities: dict[str, int] = {}
    for line in lines:
        units = units_by_line.get(line.id, 0)
        if units <= 0:
            continue
        quantities[line.variant_id] = quantities.get(line.variant_id, 0) + units
        line.restocked_quantity += units
        await core_execute(
            session,
            update(OrderLine).where(OrderLine.id == line.id).values(restocked_quantity=line.restocked_quantity),
        )
    await stock.release_stock(session, quantities, reason="order cancelled or refunded", actor=actor_name)


# --- returns ----------------------------------------------------------------------------------------------------


def serialize_return(request: ReturnRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "order_id": request.order_id,
        "status": request.status,
        "lines": request.lines,
        "reason": request.reason,
        "decision_reason": request.decision_reason,
        "refund_id": request.refund_id,
        "created_at": isoformat(request.created_at),
        "decided_at": isoformat(request.decided_at),
    }


async def request_return(
    session: AsyncSession, principal: Principal, order_id: str, requested: Sequence[tuple[str, int]], *, reason: str
) -> dict[str, Any]:
    """A buyer asks to return units of a delivered order, within the return window (``return_window_days``)."""
    order, _ = await order_for(session, principal, order_id, need=Actor.BUYER)
    if order.status != OrderStatus.DELIVERED or order.return_window_ends_at is None:
        raise ShoppableError("invalid_transition", 409, "Only a delivered order can be returned.")
    if utcnow() >= order.return_window_ends_at:
        raise ShoppableError("return_window_closed", 409, "The return window of this order has closed.")
    lines = await lines_of(session, [order.id])
    units = _requested_units(requested, lines)
    pending = await session.execute(
        select(ReturnRequest.lines).where(ReturnRequest.order_id == order.id, ReturnRequest.status == "requested")
    )
    asked: dict[str, int] = {}
    for (request_lines,) in pending:
        for entry in request_lines:
            asked[entry["line_id"]] = asked.get(entry["line_id"], 0) + entry["quantity"]
    for index, line in enumerate(lines):
        wanted = units.get(line.id, 0)
        left = line.quantity - line.refunded_quantity - asked.get(line.id, 0)
        if wanted and not 0 < wanted <= left:
            raise ShoppableError(
                "return_exceeds_line",
                422,
                f"{wanted} units of line {line.id} cannot be returned: {left} may be.",
                errors=[{"loc": ["body", "lines", index, "quantity"], "msg": f"at most {left}"}],
            )
    request = ReturnRequest(
        id=new_id("ret"),
        order_id=order.id,
        buyer_id=order.buyer_id,
        shop_id=order.shop_id,
        status="requested",
        lines=[{"line_id": line_id, "quantity": quantity} for line_id, quantity in units.items()],
        reason=reason,
        decision_reason=None,
        refund_id=None,
        created_at=utcnow(),
        decided_at=None,
    )
    session.add(request)
    await session.flush()
    await record_timeline(session, [(order.id, "return_requested", principal.key, {"return_id": request.id})])
    return serialize_return(request)


async def shop_returns(
    session: AsyncSession, principal: Principal, shop_id: str, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A shop's return requests, newest first (``status=requested``: the ones waiting for a decision)."""
    await shops.require_shop(session, principal, shop_id)
    query = select(ReturnRequest).where(ReturnRequest.shop_id == shop_id)
    if status is not None:
        query = query.where(ReturnRequest.status == status)
    page, next_cursor = await newest_first(session, query, ReturnRequest.id, limit=limit, cursor=cursor)
    return [serialize_return(r) for r in page], next_cursor


async def order_returns(session: AsyncSession, principal: Principal, order_id: str) -> list[dict[str, Any]]:
    """The return requests of the buyer's own order, oldest first, with the lines and units each asks for."""
    order, _ = await order_for(session, principal, order_id, need=Actor.BUYER)
    rows = await session.scalars(
        select(ReturnRequest)
        .where(ReturnRequest.order_id == order.id)
        .order_by(ReturnRequest.created_at, ReturnRequest.id)
    )
    return [serialize_return(r) for r in rows]


async def shop_of_return(session: AsyncSession, return_id: str) -> str | None:
    """The shop a return request was made to (None for no such request): pages check it against their URL."""
    return await session.scalar(select(ReturnRequest.shop_id).where(ReturnRequest.id == return_id))


async def _return_for_shop(session: AsyncSession, principal: Principal, return_id: str) -> tuple[ReturnRequest, Order]:
    request = (
        await session.execute(select(ReturnRequest).where(ReturnRequest.id == return_id).with_for_update())
    ).scalar_one_or_none()
    if request is None:
        raise not_found("Return")
    order, _ = await order_for(session, principal, request.order_id, need=Actor.SHOP)
    if request.status != "requested":
        raise ShoppableError("invalid_transition", 409, f"This return was already {request.status}.")
    return request, order


async def approve_return(
    session: AsyncSession, provider: PaymentProvider, principal: Principal, return_id: str
) -> dict[str, Any]:
    request, order = await _return_for_shop(session, principal, return_id)
    refund = await refund_units(
        session,
        provider,
        principal.key,
        order,
        [(entry["line_id"], entry["quantity"]) for entry in request.lines],
        reason=f"return: {request.reason}"[:500],
        return_id=request.id,
    )
    request.status, request.refund_id, request.decided_at = "approved", refund["id"], utcnow()
    await session.flush()
    await record_timeline(session, [(order.id, "return_approved", principal.key, {"return_id": request.id})])
    return serialize_return(request)


async def reject_return(session: AsyncSession, principal: Principal, return_id: str, *, reason: str) -> dict[str, Any]:
    request, order = await _return_for_shop(session, principal, return_id)
    request.status, request.decision_reason, request.decided_at = "rejected", reason, utcnow()
    await session.flush()
    await record_timeline(
        session, [(order.id, "return_rejected", principal.key, {"return_id": request.id, "reason": reason})]
    )
    return serialize_return(request)
