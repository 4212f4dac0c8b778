"""Pure order rules: pricing over a frozen snapshot, the lifecycle state machine, refund arithmetic. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoppable.catalog.stock import VariantForSale
from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import apply_bps, share_of_remaining


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


# Orders a buyer can no longer cancel because they have left the shop: their state forbids it (409), not who the
# buyer is, and a return is what is left to them.
_SHIPPED_FOR_BUYER = frozenset({S.SHIPPED, S.DELIVERED})


def next_status(status: OrderStatus, event: OrderEvent, actor: Actor) -> OrderStatus:
    """The status after ``event``; a 409 ``invalid_transition`` when the order is not in a state for it (a buyer
    cancelling an order that has shipped: it is their order, its state forbids it), or a 403 when this actor may
    never cause it (a buyer shipping)."""
    if event == E.CANCEL and actor == A.BUYER and status in _SHIPPED_FOR_BUYER:
        raise ShoppableError(
            "invalid_transition",
            409,
            "This order has already shipped, so it can no longer be cancelled: request a return instead.",
        )
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
    return share_of_remaining(
        total=line_total,
        units=line_quantity,
        units_done=refunded_quantity,
        amount_done=refunded_amount,
        units_now=quantity,
    )


def refund_status(total: int, refunded: int) -> str:
    """How much of an order went back: ``none``, ``partial`` or ``full`` (derived, never stored)."""
    return "none" if refunded == 0 else "full" if refunded == total else "partial"


def refund_fee(*, line_fee: int, line_quantity: int, refunded_quantity: int, refunded_fee: int, quantity: int) -> int:
    """The part of a line's platform fee given back with ``quantity`` refunded units: pro rata, exact at the end."""
    return refund_amount(
        line_total=line_fee,
        line_quantity=line_quantity,
        refunded_quantity=refunded_quantity,
        refunded_amount=refunded_fee,
        quantity=quantity,
    )


# --- pricing -------------------------------------------------------------------------------------------------

MAX_QUANTITY = 999


@dataclass(frozen=True, slots=True)
class Item:
    """What the buyer asked for: a variant, how many, and what made them buy (stored as given)."""

    variant_id: str
    quantity: int
    source: Mapping[str, Any] | None = None
    touched_at: datetime | None = None  # when the source was tapped (a cart line's last change); None: now


@dataclass(frozen=True, slots=True)
class PricedLine:
    variant_id: str
    product_id: str
    sku: str | None
    title: str
    image_url: str | None
    quantity: int
    unit_price: int
    discount: int
    total: int
    fee: int
    source: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """One shop's part of a purchase, priced: what the order will say and what the buyer pays."""

    shop_id: str
    currency: str
    lines: tuple[PricedLine, ...]
    subtotal: int
    discount_total: int
    shipping_total: int
    total: int
    fee_total: int


def _item_error(index: int, code: str, status: int, message: str) -> ShoppableError:
    return ShoppableError(code, status, message, errors=[{"loc": ["body", "items", index], "msg": message}])


def merge_items(items: Sequence[Item]) -> list[Item]:
    """One item per variant: quantities of repeated variants add up; the first source given is kept."""
    merged: dict[str, Item] = {}
    for item in items:
        seen = merged.get(item.variant_id)
        merged[item.variant_id] = (
            item
            if seen is None
            else Item(
                item.variant_id,
                seen.quantity + item.quantity,
                seen.source or item.source,
                seen.touched_at if seen.source else item.touched_at,
            )
        )
    return list(merged.values())


def price_orders(
    items: Sequence[Item],
    variants: Mapping[str, VariantForSale],
    *,
    fee_bps: int,
    special_prices: Mapping[str, int] | None = None,
) -> list[OrderDraft]:
    """Split a purchase into one priced order per shop, in the order shops first appear.

    Each line costs its variant's current price times the quantity; no discount or shipping is charged
    yet (coupons and shipping profiles come with promotions). The platform's referral fee is ``fee_bps``
    (setting ``platform_fee_bps``) of each line's total, rounded half-even. Unknown or unsellable variants
    are 422s naming the item; asking for more than the snapshot holds is 409 ``out_of_stock`` (the stock
    reservation decides for real). A variant in ``special_prices`` (a flash sale) sells at that price from its
    own quota, so its stock is not checked here.
    """
    special = special_prices or {}
    if not items:
        raise ShoppableError("empty_order", 422, "There is nothing to buy.")
    by_shop: dict[str, list[PricedLine]] = {}
    for index, item in enumerate(merge_items(items)):
        variant = variants.get(item.variant_id)
        if variant is None:
            raise _item_error(index, "variant_not_found", 422, f"There is no variant {item.variant_id}.")
        if not variant.is_buyable:
            raise _item_error(index, "product_unavailable", 422, f"{variant.product_title} is not for sale.")
        if not 1 <= item.quantity <= MAX_QUANTITY:
            raise _item_error(index, "invalid_quantity", 422, f"Quantity must be 1 to {MAX_QUANTITY}.")
        if item.variant_id not in special and item.quantity > variant.in_stock:
            raise ShoppableError(
                "out_of_stock",
                409,
                f"Only {variant.in_stock} of {variant.product_title} left; {item.quantity} wanted.",
                errors=[{"loc": ["body", "items", index, "quantity"], "msg": "more than is in stock"}],
            )
        unit_price = special.get(item.variant_id, variant.price)
        total = unit_price * item.quantity
        title = variant.product_title
        if variant.variant_title and variant.variant_title != "Default Title":
            title = f"{title} - {variant.variant_title}"
        by_shop.setdefault(variant.shop_id, []).append(
            PricedLine(
                variant_id=variant.variant_id,
                product_id=variant.product_id,
                sku=variant.sku,
                title=title,
                image_url=variant.image_url,
                quantity=item.quantity,
                unit_price=unit_price,
                discount=0,
                total=total,
                fee=apply_bps(total, fee_bps),
                source=item.source,
            )
        )
    drafts = []
    for shop_id, lines in by_shop.items():
        subtotal = sum(line.unit_price * line.quantity for line in lines)
        discount_total = sum(line.discount for line in lines)
        drafts.append(
            OrderDraft(
                shop_id=shop_id,
                currency=variants[lines[0].variant_id].currency,
                lines=tuple(lines),
                subtotal=subtotal,
                discount_total=discount_total,
                shipping_total=0,
                total=subtotal - discount_total,
                fee_total=sum(line.fee for line in lines),
            )
        )
    return drafts
