"""Products and variants: batched writes shared by the API and the importers, and reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Row, Table, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog import search
from shoppable.catalog.models import InventoryMovement, Product, Variant
from shoppable.catalog.rules import ProductSpec, VariantSpec, first_free, price_floor, slugify, variant_title
from shoppable.kit.clock import utcnow
from shoppable.kit.db import bulk_insert, bulk_update_by_id, core_execute
from shoppable.kit.errors import ShoppableError
from shoppable.kit.ids import new_id
from shoppable.kit.read_cache import invalidate_after_commit

PRODUCT_COLUMNS = tuple(Product.__table__.c)
VARIANT_COLUMNS = tuple(Variant.__table__.c)


@dataclass(slots=True)
class _Plan:
    product_id: str
    created: bool
    product: dict[str, Any]
    variant_inserts: list[dict[str, Any]] = field(default_factory=list)
    variant_updates: list[dict[str, Any]] = field(default_factory=list)
    variant_deletes: list[str] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SavedProduct:
    product_id: str
    handle: str
    created: bool


async def products_by_handle(session: AsyncSession, shop_id: str, handles: Iterable[str]) -> dict[str, Row[Any]]:
    handles = list(handles)
    if not handles:
        return {}
    rows = await core_execute(
        session, select(*PRODUCT_COLUMNS).where(Product.shop_id == shop_id, Product.handle.in_(handles))
    )
    return {row.handle: row for row in rows}


async def variants_of(session: AsyncSession, product_ids: Iterable[str]) -> dict[str, list[Row[Any]]]:
    ids = list(product_ids)
    grouped: dict[str, list[Row[Any]]] = {pid: [] for pid in ids}
    if not ids:
        return grouped
    rows = await core_execute(
        session,
        select(*VARIANT_COLUMNS).where(Variant.product_id.in_(ids)).order_by(Variant.product_id, Variant.position),
    )
    for row in rows:
        grouped[row.product_id].append(row)
    return grouped


def _match_variants(
    existing: list[Row[Any]], wanted: Sequence[VariantSpec], option_names: list[str]
) -> list[Row[Any] | None]:
    """For each wanted variant, the existing variant it updates: by id, else SKU, else option values."""
    by_id = {v.id: v for v in existing}
    by_sku = {v.sku: v for v in existing if v.sku}
    by_options = {tuple(v.options.get(n) for n in option_names): v for v in existing}
    used: set[str] = set()
    matches: list[Row[Any] | None] = []
    for index, spec in enumerate(wanted):
        match = None
        if spec.id is not None:
            match = by_id.get(spec.id)
            if match is None:
                raise ShoppableError(
                    "unknown_variant",
                    422,
                    f"Variant {spec.id!r} is not a variant of this product.",
                    errors=[{"loc": ["body", "variants", index, "id"], "msg": "not a variant of this product"}],
                )
        elif spec.sku and spec.sku in by_sku:
            match = by_sku[spec.sku]
        else:
            match = by_options.get(tuple(spec.options.get(n) for n in option_names))
        if match is not None and match.id in used:
            match = None
        if match is not None:
            used.add(match.id)
        matches.append(match)
    return matches


def _plan(
    *,
    shop_id: str,
    currency: str,
    current: Row[Any] | None,
    current_variants: list[Row[Any]],
    spec: ProductSpec,
    now: datetime,
    actor: str,
    reason: str,
) -> _Plan:
    product_id = current.id if current is not None else new_id("prod")
    option_names = [name for name, _ in spec.options]
    product = {
        "id": product_id,
        "shop_id": shop_id,
        "handle": spec.handle,
        "title": spec.title,
        "description_html": spec.description_html,
        "vendor": spec.vendor,
        "category": spec.category,
        "tags": list(spec.tags),
        "status": spec.status,
        "images": [{"url": url, "alt": alt} for url, alt in spec.images],
        "options": [{"name": name, "values": list(values)} for name, values in spec.options],
        "price_min": price_floor([v.price for v in spec.variants]),
        "updated_at": now,
    }
    if current is None:
        product |= {"created_at": now, "sales_count": 0}
    plan = _Plan(product_id=product_id, created=current is None, product=product)
    matches = _match_variants(current_variants, spec.variants, option_names)
    kept = {m.id for m in matches if m is not None}
    plan.variant_deletes = [v.id for v in current_variants if v.id not in kept]
    for position, (variant, match) in enumerate(zip(spec.variants, matches, strict=True)):
        values = {
            "position": position,
            "sku": variant.sku,
            "title": variant_title(variant.options, option_names),
            "options": dict(variant.options),
            "price": variant.price,
            "compare_at_price": variant.compare_at_price,
            "currency": currency,
            "weight_grams": variant.weight_grams,
            "image_url": variant.image_url,
            "updated_at": now,
        }
        if match is None:
            variant_id = new_id("var")
            quantity = variant.inventory_quantity or 0
            plan.variant_inserts.append(
                values
                | {
                    "id": variant_id,
                    "product_id": product_id,
                    "shop_id": shop_id,
                    "inventory_quantity": quantity,
                    "created_at": now,
                }
            )
            delta = quantity
        else:
            variant_id = match.id
            quantity = match.inventory_quantity if variant.inventory_quantity is None else variant.inventory_quantity
            plan.variant_updates.append(values | {"id": variant_id, "inventory_quantity": quantity})
            delta = quantity - match.inventory_quantity
        if delta:
            plan.movements.append(
                {
                    "id": new_id("mov"),
                    "variant_id": variant_id,
                    "shop_id": shop_id,
                    "delta": delta,
                    "quantity_after": quantity,
                    "reason": reason,
                    "actor": actor,
                    "created_at": now,
                }
            )
    return plan


async def _apply(session: AsyncSession, plans: list[_Plan]) -> None:
    products, variants, movements = (cast(Table, m.__table__) for m in (Product, Variant, InventoryMovement))
    await bulk_insert(session, products, [p.product for p in plans if p.created])
    await bulk_update_by_id(session, products, [p.product for p in plans if not p.created])
    deletes = [vid for p in plans for vid in p.variant_deletes]
    if deletes:
        await session.execute(delete(variants).where(variants.c.id.in_(deletes)))
    await bulk_update_by_id(session, variants, [v for p in plans for v in p.variant_updates])
    await bulk_insert(session, variants, [v for p in plans for v in p.variant_inserts])
    await bulk_insert(session, movements, [m for p in plans for m in p.movements])
    await search.index_products(session, [p.product for p in plans])
    invalidate_after_commit(session, [p.product_id for p in plans])


async def save_products(
    session: AsyncSession,
    *,
    shop_id: str,
    currency: str,
    specs: Sequence[ProductSpec],
    actor: str,
    reason: str,
) -> list[SavedProduct]:
    """Create or update products by handle, with their variants, stock movements and search index.

    The same path serves one API call and a batch of an import: a few set-based statements per batch.
    Handles must be unique within ``specs``.
    """
    now = utcnow()
    current = await products_by_handle(session, shop_id, [s.handle for s in specs])
    current_variants = await variants_of(session, [row.id for row in current.values()])
    plans = [
        _plan(
            shop_id=shop_id,
            currency=currency,
            current=current.get(spec.handle),
            current_variants=current_variants.get(current[spec.handle].id, []) if spec.handle in current else [],
            spec=spec,
            now=now,
            actor=actor,
            reason=reason,
        )
        for spec in specs
    ]
    await _apply(session, plans)
    return [SavedProduct(p.product_id, p.product["handle"], p.created) for p in plans]


async def free_handle(session: AsyncSession, shop_id: str, title: str) -> str:
    """A handle derived from the title that no product of the shop has yet ("tee", "tee-2", ...)."""
    base = slugify(title) or "product"
    taken = set(
        await session.scalars(
            select(Product.handle).where(
                Product.shop_id == shop_id, (Product.handle == base) | Product.handle.like(f"{base}-%")
            )
        )
    )
    return first_free(base, taken)


# Written as text with typed result columns: its cache key is the string, where the equivalent select()
# spent more time building its cache key on every call than the database spent answering.
_WITH_VARIANTS = text(
    "SELECT "
    + ", ".join(f"products.{c.name}" for c in PRODUCT_COLUMNS)
    + ", "
    + ", ".join(f"variants.{c.name} AS variant_{c.name}" for c in VARIANT_COLUMNS)
    + " FROM products LEFT OUTER JOIN variants ON variants.product_id = products.id"
    " WHERE products.id = :product_id ORDER BY variants.position"
).columns(*PRODUCT_COLUMNS, *(c.label(f"variant_{c.name}") for c in VARIANT_COLUMNS))
_VARIANT_FIELDS = [(c.name, f"variant_{c.name}") for c in VARIANT_COLUMNS]


async def product_with_variants(session: AsyncSession, product_id: str) -> dict[str, Any] | None:
    """The serialized product, read in one statement (the hottest read: one round trip, no transaction)."""
    rows = (await core_execute(session, _WITH_VARIANTS, {"product_id": product_id})).all()
    if not rows:
        return None
    variants = [
        SimpleNamespace(**{name: row._mapping[label] for name, label in _VARIANT_FIELDS})
        for row in rows
        if row.variant_id is not None
    ]
    return serialize_product(rows[0], variants)


async def archive_product(session: AsyncSession, product_id: str) -> None:
    await session.execute(
        update(Product).where(Product.id == product_id).values(status="archived", updated_at=utcnow())
    )
    invalidate_after_commit(session, [product_id])


def serialize_product(row: Any, variants: Sequence[Any]) -> dict[str, Any]:
    """The public product shape (shared/API.md), built straight from rows for the hot read path."""
    return {
        "id": row.id,
        "shop_id": row.shop_id,
        "handle": row.handle,
        "title": row.title,
        "description_html": row.description_html,
        "vendor": row.vendor,
        "category": row.category,
        "tags": row.tags,
        "status": row.status,
        "images": row.images,
        "options": row.options,
        "variants": [serialize_variant(v) for v in variants],
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def serialize_variant(v: Any) -> dict[str, Any]:
    return {
        "id": v.id,
        "sku": v.sku,
        "title": v.title,
        "options": v.options,
        "price": v.price,
        "compare_at_price": v.compare_at_price,
        "currency": v.currency,
        "inventory_quantity": v.inventory_quantity,
        "weight_grams": v.weight_grams,
        "image_url": v.image_url,
    }


async def serialize_products(session: AsyncSession, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    variants = await variants_of(session, [r.id for r in rows])
    return [serialize_product(r, variants[r.id]) for r in rows]
