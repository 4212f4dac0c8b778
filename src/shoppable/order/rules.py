"""Pure order rules: the lifecycle state machine and refund arithmetic. No I/O."""

from __future__ import annotations

from enum import StrEnum

from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import round_half_even


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OrderEvent(StrEnum):
    PAY = "pay"
    SHIP = "ship"
    DELIVER = "deliver"
    COMPLETE = "complete"
    CANCEL = "cancel"
    EXPIRE = "expire"


class Actor(StrEnum):
    BUYER = "buyer"
    SHOP = "shop"
    SYSTEM = "system"  # jobs, payment confirmations, carrier webhooks


S, E, A = OrderStatus, OrderEvent, Actor

# (from, event) -> (to, who may cause it). Buyers cancel until the order ships; shops until it is delivered.
_TRANSITIONS: dict[tuple[OrderStatus, OrderEvent], tuple[OrderStatus, frozenset[Actor]]] = {
    (S.PENDING_PAYMENT, E.PAY): (S.PAID, frozenset({A.SYSTEM})),
    (S.PENDING_PAYMENT, E.EXPIRE): (S.CANCELLED, frozenset({A.SYSTEM})),
    (S.PENDING_PAYMENT, E.CANCEL): (S.CANCELLED, frozenset({A.BUYER, A.SHOP, A.SYSTEM})),
    (S.PAID, E.SHIP): (S.SHIPPED, frozenset({A.SHOP})),
    (S.PAID, E.CANCEL): (S.CANCELLED, frozenset({A.BUYER, A.SHOP, A.SYSTEM})),
    (S.SHIPPED, E.DELIVER): (S.DELIVERED, frozenset({A.SHOP, A.SYSTEM})),
    (S.SHIPPED, E.CANCEL): (S.CANCELLED, frozenset({A.SHOP})),
    (S.DELIVERED, E.COMPLETE): (S.COMPLETED, frozenset({A.SYSTEM})),
}


def next_status(status: OrderStatus, event: OrderEvent, actor: Actor) -> OrderStatus:
    """The status after ``event``; a 409 ``invalid_transition`` when the order is not in a state for it, or a
    403 when this actor may not cause it (a buyer shipping, a buyer cancelling a shipped order)."""
    rule = _TRANSITIONS.get((status, event))
    if rule is None:
        raise ShoppableError(
            "invalid_transition", 409, f"An order that is {status.value.replace('_', ' ')} cannot {event.value}."
        )
    target, actors = rule
    if actor not in actors:
        raise ShoppableError(
            "forbidden", 403, f"The {actor.value} cannot {event.value} an order that is {status.value}."
        )
    return target


def allowed_events(status: OrderStatus, actor: Actor) -> list[OrderEvent]:
    return [event for (source, event), (_, actors) in _TRANSITIONS.items() if source == status and actor in actors]


def refund_amount(
    *, line_total: int, line_quantity: int, refunded_quantity: int, refunded_amount: int, quantity: int
) -> int:
    """What refunding ``quantity`` more units of a line gives back, in minor units.

    The part of the line not yet refunded is shared over the units not yet refunded, rounded half-even,
    so partial refunds never exceed what was paid and refunding every unit returns the line total exactly
    (the last refund takes the remainder of the rounding).
    """
    remaining_units = line_quantity - refunded_quantity
    if quantity <= 0 or quantity > remaining_units:
        raise ShoppableError(
            "refund_exceeds_line", 422, f"{quantity} units cannot be refunded: {remaining_units} are left on the line."
        )
    remaining_amount = line_total - refunded_amount
    if quantity == remaining_units:
        return remaining_amount
    return round_half_even(remaining_amount * quantity, remaining_units)
