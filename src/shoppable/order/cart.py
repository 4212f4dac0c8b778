"""The cart: one per user, lines across shops and currencies, priced at today's prices when read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog import stock
from shoppable.kit.clock import utcnow
from shoppable.kit.db import core_execute, insert_ignoring_conflicts
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.order.models import CartLine
from shoppable.order.rules import MAX_QUANTITY

MAX_LINES = 100


async def add_item(
    session: AsyncSession, user_id: str, *, variant_id: str, quantity: int, source: dict[str, Any] | None
) -> None:
    """Add units of a variant (adding to a line already there; a newer source replaces the older)."""
    variant = (await stock.variants_for_sale(session, [variant_id])).get(variant_id)
    if variant is None or not variant.is_buyable:
        raise ShoppableError(
            "variant_not_found" if variant is None else "product_unavailable",
            422,
            f"Variant {variant_id} is not for sale.",
            errors=[{"loc": ["body", "variant_id"], "msg": "not for sale"}],
        )
    now = utcnow()
    row = {
        "id": new_id("cl"),
        "user_id": user_id,
        "variant_id": variant_id,
        "quantity": 0,
        "source": source,
        "created_at": now,
        "updated_at": now,
    }
    if await insert_ignoring_conflicts(session, CartLine.__table__, [row], returning=CartLine.id):  # type: ignore[arg-type]
        count = await session.scalar(select(CartLine.id).where(CartLine.user_id == user_id).offset(MAX_LINES).limit(1))
        if count is not None:
            raise ShoppableError("cart_full", 422, f"A cart holds at most {MAX_LINES} lines.")
    changes: dict[str, Any] = {"quantity": CartLine.quantity + quantity, "updated_at": now}
    if source is not None:
        changes["source"] = source
    new_quantity = await session.scalar(
        update(CartLine)
        .where(CartLine.user_id == user_id, CartLine.variant_id == variant_id)
        .values(changes)
        .returning(CartLine.quantity)
        .execution_options(synchronize_session=False)
    )
    if new_quantity is None or new_quantity > MAX_QUANTITY:
        raise ShoppableError(
            "invalid_quantity",
            422,
            f"A cart line holds at most {MAX_QUANTITY} units.",
            errors=[{"loc": ["body", "quantity"], "msg": f"at most {MAX_QUANTITY} in all"}],
        )


async def set_quantity(session: AsyncSession, user_id: str, line_id: str, quantity: int) -> None:
    """Change a line's quantity; zero removes it."""
    if quantity == 0:
        await remove_line(session, user_id, line_id)
        return
    changed = await session.scalar(
        update(CartLine)
        .where(CartLine.id == line_id, CartLine.user_id == user_id)
        .values(quantity=quantity, updated_at=utcnow())
        .returning(CartLine.id)
        .execution_options(synchronize_session=False)
    )
    if changed is None:
        raise not_found("Cart line")


async def remove_line(session: AsyncSession, user_id: str, line_id: str) -> None:
    removed = await session.scalar(
        delete(CartLine).where(CartLine.id == line_id, CartLine.user_id == user_id).returning(CartLine.id)
    )
    if removed is None:
        raise not_found("Cart line")


async def lines_for_checkout(session: AsyncSession, user_id: str) -> list[CartLine]:
    lines = list(
        (
            await session.execute(
                select(CartLine).where(CartLine.user_id == user_id).order_by(CartLine.created_at, CartLine.id)
            )
        ).scalars()
    )
    if not lines:
        raise ShoppableError("cart_empty", 422, "The cart is empty.")
    return lines


async def remove_lines(session: AsyncSession, line_ids: list[str]) -> None:
    await core_execute(session, delete(CartLine).where(CartLine.id.in_(line_ids)))


async def read_cart(session: AsyncSession, user_id: str) -> dict[str, Any]:
    """The cart at today's prices: lines, whether each can be bought now, and totals per currency."""
    lines = list(
        (
            await session.execute(
                select(CartLine).where(CartLine.user_id == user_id).order_by(CartLine.created_at, CartLine.id)
            )
        ).scalars()
    )
    variants = await stock.variants_for_sale(session, [line.variant_id for line in lines])
    items: list[dict[str, Any]] = []
    totals: dict[str, int] = {}
    for line in lines:
        variant = variants.get(line.variant_id)
        available = variant is not None and variant.is_buyable and variant.in_stock >= line.quantity
        item: dict[str, Any] = {
            "id": line.id,
            "variant_id": line.variant_id,
            "quantity": line.quantity,
            "source": line.source,
            "available": available,
        }
        if variant is not None:
            total = variant.price * line.quantity
            item |= {
                "product_id": variant.product_id,
                "shop_id": variant.shop_id,
                "sku": variant.sku,
                "title": variant.product_title,
                "variant_title": variant.variant_title,
                "image_url": variant.image_url,
                "unit_price": variant.price,
                "total": total,
                "currency": variant.currency,
                "in_stock": variant.in_stock,
            }
            if available:
                totals[variant.currency] = totals.get(variant.currency, 0) + total
        items.append(item)
    return {
        "lines": items,
        "totals": [{"currency": currency, "subtotal": total} for currency, total in sorted(totals.items())],
    }


async def count_lines(session: AsyncSession, user_id: str) -> int:
    """How many lines the cart holds (the page header shows it)."""
    return int(await session.scalar(select(func.count()).select_from(CartLine).where(CartLine.user_id == user_id)) or 0)
