"""Stock for orders: what a variant costs and holds now, reserving it and giving it back.

Reservations are conditional updates that never take stock below zero, one per variant in id order (two
orders for the same variants lock them in the same order, so they cannot deadlock). On PostgreSQL the update
and its movement row are one statement, so a hot variant's row lock is held for one round trip to COMMIT.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog.models import InventoryMovement, Product, Shop, Variant
from shoppable.kit.clock import utcnow
from shoppable.kit.db import UTCDateTime, bulk_insert, core_execute
from shoppable.kit.errors import ShoppableError
from shoppable.kit.ids import new_id
from shoppable.kit.read_cache import invalidate_after_commit


@dataclass(frozen=True, slots=True)
class VariantForSale:
    """A variant as a buyer would pay for it now: the snapshot an order is priced from."""

    variant_id: str
    product_id: str
    shop_id: str
    sku: str | None
    product_title: str
    variant_title: str
    price: int
    currency: str
    in_stock: int
    image_url: str | None
    is_buyable: bool  # product active and shop open


# Built once: checkout runs it on every purchase.
_FOR_SALE = (
    select(
        Variant.id,
        Variant.product_id,
        Variant.shop_id,
        Variant.sku,
        Variant.title,
        Variant.price,
        Variant.currency,
        Variant.inventory_quantity,
        Variant.image_url,
        Product.title.label("product_title"),
        Product.status,
        Product.images,
        Shop.status.label("shop_status"),
    )
    .join(Product, Product.id == Variant.product_id)
    .join(Shop, Shop.id == Variant.shop_id)
    .where(Variant.id.in_(bindparam("ids", expanding=True)))
)


async def variants_for_sale(session: AsyncSession, variant_ids: Iterable[str]) -> dict[str, VariantForSale]:
    """Snapshots of the given variants (unknown ids are absent), in one query."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    rows = await core_execute(session, _FOR_SALE, {"ids": ids})
    snapshots = {}
    for row in rows:
        image = row.image_url or (row.images[0]["url"] if row.images else None)
        snapshots[row.id] = VariantForSale(
            variant_id=row.id,
            product_id=row.product_id,
            shop_id=row.shop_id,
            sku=row.sku,
            product_title=row.product_title,
            variant_title=row.title,
            price=row.price,
            currency=row.currency,
            in_stock=row.inventory_quantity,
            image_url=image,
            is_buyable=row.status == "active" and row.shop_status == "active",
        )
    return snapshots


def out_of_stock(variant_id: str, wanted: int) -> ShoppableError:
    return ShoppableError(
        "out_of_stock",
        409,
        f"Not enough stock for variant {variant_id}: {wanted} wanted.",
        errors=[{"loc": ["body", "items"], "msg": f"variant {variant_id} is out of stock"}],
    )


_RESERVE_WITH_MOVEMENT = text(
    """
    WITH moved AS (
        UPDATE variants
        SET inventory_quantity = inventory_quantity - CAST(:quantity AS BIGINT), updated_at = :now
        WHERE id = :variant_id AND inventory_quantity >= CAST(:quantity AS BIGINT)
        RETURNING id, shop_id, product_id, inventory_quantity
    ), logged AS (
        INSERT INTO inventory_movements (id, variant_id, shop_id, delta, quantity_after, reason, actor, created_at)
        SELECT :movement_id, id, shop_id, -CAST(:quantity AS BIGINT), inventory_quantity, :reason, :actor, :now
        FROM moved
    )
    SELECT product_id FROM moved
    """
).bindparams(bindparam("now", type_=UTCDateTime()))


async def reserve_stock(session: AsyncSession, quantities: Mapping[str, int], *, reason: str, actor: str) -> None:
    """Take ``quantities`` (variant id → units) out of stock, or raise 409 ``out_of_stock`` (the caller's
    transaction then rolls back whatever was already taken)."""
    now = utcnow()
    products: list[str] = []
    for variant_id in sorted(quantities):
        quantity = quantities[variant_id]
        if session.get_bind().dialect.name == "postgresql":
            product_id = (
                await core_execute(
                    session,
                    _RESERVE_WITH_MOVEMENT,
                    {
                        "variant_id": variant_id,
                        "quantity": quantity,
                        "now": now,
                        "movement_id": new_id("mov"),
                        "reason": reason,
                        "actor": actor,
                    },
                )
            ).scalar()
        else:
            product_id = await _move_stock(session, variant_id, -quantity, reason=reason, actor=actor)
        if product_id is None:
            raise out_of_stock(variant_id, quantity)
        products.append(product_id)
    invalidate_after_commit(session, products)


async def release_stock(session: AsyncSession, quantities: Mapping[str, int], *, reason: str, actor: str) -> None:
    """Put units back (a cancelled or expired order, a refund before shipping)."""
    products = []
    for variant_id in sorted(quantities):
        if quantities[variant_id] > 0:
            product_id = await _move_stock(session, variant_id, quantities[variant_id], reason=reason, actor=actor)
            if product_id is not None:  # a variant deleted since has no stock to return to
                products.append(product_id)
    invalidate_after_commit(session, products)


async def _move_stock(session: AsyncSession, variant_id: str, delta: int, *, reason: str, actor: str) -> str | None:
    now = utcnow()
    row = (
        await core_execute(
            session,
            update(Variant)
            .where(Variant.id == variant_id, Variant.inventory_quantity + delta >= 0)
            .values(inventory_quantity=Variant.inventory_quantity + delta, updated_at=now)
            .returning(Variant.shop_id, Variant.product_id, Variant.inventory_quantity),
        )
    ).first()
    if row is None:
        return None
    await bulk_insert(
        session,
        InventoryMovement.__table__,  # type: ignore[arg-type]
        [
            {
                "id": new_id("mov"),
                "variant_id": variant_id,
                "shop_id": row.shop_id,
                "delta": delta,
                "quantity_after": row.inventory_quantity,
                "reason": reason,
                "actor": actor,
                "created_at": now,
            }
        ],
    )
    return str(row.product_id)


async def count_sales(session: AsyncSession, units_by_product: Mapping[str, int]) -> None:
    """Add sold units to products' sales counts (the "best selling" sort)."""
    for product_id in sorted(units_by_product):
        await core_execute(
            session,
            update(Product)
            .where(Product.id == product_id)
            .values(sales_count=Product.sales_count + units_by_product[product_id]),
        )
