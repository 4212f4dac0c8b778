"""Catalog use cases called by the API, the CLI and other domains."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Row, Select, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog import search
from shoppable.catalog.models import InventoryMovement, Product, Variant
from shoppable.catalog.products import (
    PRODUCT_COLUMNS,
    SavedProduct,
    archive_product,
    free_handle,
    product_with_variants,
    save_products,
    serialize_product,
    serialize_products,
    serialize_variant,
    variants_of,
)
from shoppable.catalog.rules import FieldError, ProductSpec, VariantSpec, duplicate_skus, resolve_options, sanitize_html
from shoppable.catalog.schemas import InventoryChange, ProductCreate, ProductUpdate, VariantIn
from shoppable.catalog.shops import can_act_for, get_shop, require_shop
from shoppable.identity.rules import Principal
from shoppable.kit.clock import utcnow
from shoppable.kit.db import core_execute
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.pagination import decode_cursor, encode_cursor
from shoppable.kit.read_cache import invalidate_after_commit

Sort = Literal["relevance", "newest", "price_asc", "price_desc", "best_selling"]


@dataclass(frozen=True, slots=True)
class ProductScope:
    """Limits a search to the products of some shops (less some products) plus some named products: how the
    affiliate marketplace asks for "what this creator may promote"."""

    shop_ids: Sequence[str] = ()
    product_ids: Sequence[str] = ()
    except_product_ids: Sequence[str] = ()

    def where(self, params: dict[str, Any]) -> str:
        def marks(name: str, values: Sequence[str]) -> str:
            params.update({f"{name}{i}": v for i, v in enumerate(values)})
            return ", ".join(f":{name}{i}" for i in range(len(values)))

        parts = []
        if self.shop_ids:
            in_shops = f"products.shop_id IN ({marks('scope_shop', self.shop_ids)})"
            if self.except_product_ids:
                in_shops += f" AND products.id NOT IN ({marks('scope_not', self.except_product_ids)})"
            parts.append(f"({in_shops})")
        if self.product_ids:
            parts.append(f"products.id IN ({marks('scope_product', self.product_ids)})")
        return f"({' OR '.join(parts)})" if parts else "1 = 0"


@dataclass(frozen=True, slots=True)
class ProductSummary:
    id: str
    shop_id: str
    title: str
    status: str
    image_url: str | None


async def product_summaries(session: AsyncSession, product_ids: Iterable[str]) -> dict[str, ProductSummary]:
    """Title, shop and status of products by id (any status; unknown ids are left out)."""
    ids = list(set(product_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Product.id, Product.shop_id, Product.title, Product.status, Product.images).where(Product.id.in_(ids))
    )
    return {
        row.id: ProductSummary(
            row.id, row.shop_id, row.title, row.status, (row.images[0].get("url") if row.images else None)
        )
        for row in rows
    }


def _actor(principal: Principal) -> str:
    return principal.key


def _validation_failed(errors: list[FieldError]) -> ShoppableError:
    return ShoppableError(
        "validation_error",
        422,
        "The product has invalid fields; see errors.",
        errors=[e.as_dict() for e in errors],
    )


def _variant_specs(variants: list[VariantIn], currency: str) -> tuple[VariantSpec, ...]:
    errors = [
        FieldError(("variants", i, "currency"), f"must be the shop's currency, {currency}")
        for i, v in enumerate(variants)
        if v.currency is not None and v.currency != currency
    ]
    errors += [
        FieldError(("variants", i, "sku"), f"same SKU as variant {first}")
        for i, first in duplicate_skus([v.sku for v in variants])
    ]
    if errors:
        raise _validation_failed(errors)
    return tuple(
        VariantSpec(
            id=v.id,
            sku=v.sku,
            options=dict(v.options),
            price=v.price,
            compare_at_price=v.compare_at_price,
            inventory_quantity=v.inventory_quantity,
            weight_grams=v.weight_grams,
            image_url=v.image_url,
        )
        for v in variants
    )


def _spec(body: ProductCreate, handle: str, currency: str) -> ProductSpec:
    variants = _variant_specs(body.variants, currency)
    options, errors = resolve_options(
        [(o.name, list(o.values) if o.values is not None else None) for o in body.options],
        [v.options for v in variants],
    )
    if errors:
        raise _validation_failed(errors)
    return ProductSpec(
        handle=handle,
        title=body.title,
        description_html=sanitize_html(body.description_html),
        vendor=body.vendor,
        category=body.category,
        tags=tuple(dict.fromkeys(body.tags)),
        status=body.status,
        images=tuple((i.url, i.alt) for i in body.images),
        options=tuple((name, tuple(values)) for name, values in options),
        variants=variants,
    )


async def create_product(
    session: AsyncSession, principal: Principal, shop_id: str, body: ProductCreate
) -> dict[str, Any]:
    shop = await require_shop(session, principal, shop_id)
    if body.handle is not None:
        if await session.scalar(select(Product.id).where(Product.shop_id == shop.id, Product.handle == body.handle)):
            raise ShoppableError("handle_taken", 409, f"This shop already has a product with handle {body.handle!r}.")
        handle = body.handle
    else:
        handle = await free_handle(session, shop.id, body.title)
    spec = _spec(body, handle, shop.currency)
    if any(v.id is not None for v in spec.variants):
        raise _validation_failed([FieldError(("variants", 0, "id"), "a new product's variants have no id yet")])
    [saved] = await _save_one(session, shop.id, shop.currency, spec, _actor(principal), "product created")
    return await read_product(session, saved.product_id)


async def _save_one(
    session: AsyncSession, shop_id: str, currency: str, spec: ProductSpec, actor: str, reason: str
) -> list[SavedProduct]:
    """Save one product; a handle that a concurrent request took first is a 409, not a 500."""
    try:
        async with session.begin_nested():
            return await save_products(
                session, shop_id=shop_id, currency=currency, specs=[spec], actor=actor, reason=reason
            )
    except IntegrityError:
        raise ShoppableError(
            "conflict", 409, "Another request just used this handle in the shop; reload and retry."
        ) from None


async def _product_for_shop(session: AsyncSession, principal: Principal, product_id: str) -> Row[Any]:
    """The product if the caller acts for its shop; otherwise it does not exist for them (404)."""
    row = (await session.execute(select(*PRODUCT_COLUMNS).where(Product.id == product_id))).first()
    if row is None or not await can_act_for(session, principal, row.shop_id):
        raise not_found("Product")
    return row


async def update_product(
    session: AsyncSession, principal: Principal, product_id: str, body: ProductUpdate
) -> dict[str, Any]:
    row = await _product_for_shop(session, principal, product_id)
    shop = await get_shop(session, row.shop_id)
    current_variants = (await variants_of(session, [row.id]))[row.id]
    changes = body.model_dump(exclude_unset=True)
    if changes.get("handle") not in (None, row.handle) and await session.scalar(
        select(Product.id).where(Product.shop_id == shop.id, Product.handle == changes["handle"])
    ):
        raise ShoppableError("handle_taken", 409, f"This shop already has a product with handle {body.handle!r}.")
    if "variants" in changes and "options" not in changes:
        changes["options"] = [{"name": o["name"]} for o in row.options]  # values follow the new variants
    current = serialize_product(row, current_variants)
    current = {name: current[name] for name in ProductCreate.model_fields}
    current["variants"] = [
        {k: v for k, v in variant.items() if k not in ("title", "currency")} for variant in current["variants"]
    ]
    try:
        merged = ProductCreate.model_validate(current | changes)
    except ValidationError as error:  # e.g. a required field set to null
        raise _validation_failed(
            [FieldError(tuple(e["loc"]), e["msg"]) for e in error.errors(include_url=False)]
        ) from None
    spec = _spec(merged, merged.handle or row.handle, shop.currency)
    if spec.handle != row.handle:
        await session.execute(update(Product).where(Product.id == row.id).values(handle=spec.handle))
    await _save_one(session, shop.id, shop.currency, spec, _actor(principal), "product updated")
    return await read_product(session, row.id)


async def delete_product(session: AsyncSession, principal: Principal, product_id: str) -> dict[str, Any]:
    row = await _product_for_shop(session, principal, product_id)
    await archive_product(session, row.id)
    return await read_product(session, row.id)


async def read_product(session: AsyncSession, product_id: str) -> dict[str, Any]:
    product = await product_with_variants(session, product_id)
    if product is None:
        raise not_found("Product")
    return product


async def view_product(session: AsyncSession, principal: Principal | None, product_id: str) -> dict[str, Any]:
    """A product as the caller may see it: active ones for everyone, any status for its own shop."""
    product = await product_with_variants(session, product_id)
    if product is None or (
        product["status"] != "active" and not await can_act_for(session, principal, product["shop_id"])
    ):
        raise not_found("Product")
    return product


_KEYSET: dict[str, tuple[str, ...]] = {
    # sort: (column, direction) pairs rendered below; every order ends on the unique id.
    "newest": ("id", "desc"),
    "price_asc": ("price_min", "asc"),
    "price_desc": ("price_min", "desc"),
    "best_selling": ("sales_count", "desc"),
}


async def search_products(
    session: AsyncSession,
    *,
    q: str | None = None,
    shop_id: str | None = None,
    category: str | None = None,
    min_price: int | None = None,
    max_price: int | None = None,
    sort: Sort | None = None,
    limit: int,
    cursor: str | None = None,
    statuses: tuple[str, ...] = ("active",),
    scope: ProductScope | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Products matching the filters, one page at a time (keyset cursors; relevance pages by offset)."""
    where = []
    params: dict[str, Any] = {"limit": limit + 1}
    if scope is not None:
        where.append(scope.where(params))
    status_marks = ", ".join(f":status{i}" for i in range(len(statuses)))
    where.append(f"products.status IN ({status_marks})")
    params |= {f"status{i}": s for i, s in enumerate(statuses)}
    if shop_id is not None:
        where.append("products.shop_id = :shop_id")
        params["shop_id"] = shop_id
    if category is not None:
        where.append("products.category = :category")
        params["category"] = category
    if min_price is not None:
        where.append("products.price_min >= :min_price")
        params["min_price"] = min_price
    if max_price is not None:
        where.append("products.price_min <= :max_price")
        params["max_price"] = max_price
    match = search.matches(session, q) if q and q.strip() else None
    if q and q.strip() and match is None:
        return [], None
    sort = sort or ("relevance" if match else "newest")
    if sort == "relevance" and match is None:
        sort = "newest"
    source = "products"
    if match is not None:
        source = f"products JOIN ({match[0]}) AS hits ON hits.product_id = products.id"
        params |= match[1]
    columns = ", ".join(f"products.{c.name}" for c in PRODUCT_COLUMNS)
    if sort == "relevance":
        assert match is not None
        offset = int(decode_cursor(cursor, 1)[0]) if cursor else 0
        if offset < 0:
            raise ShoppableError("invalid_cursor", 400, "The cursor is not one this API gave out.")
        params["offset"] = offset
        sql = (
            f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)} "
            "ORDER BY hits.rank ASC, products.id ASC LIMIT :limit OFFSET :offset"
        )
        rows = list(await core_execute(session, text(sql).columns(*PRODUCT_COLUMNS), params))
        next_cursor = encode_cursor([offset + limit]) if len(rows) > limit else None
        return await serialize_products(session, rows[:limit]), next_cursor
    column, direction = _KEYSET[sort]
    op = "<" if direction == "desc" else ">"
    if cursor:
        after = decode_cursor(cursor, 2)
        if column == "id":
            where.append(f"products.id {op} :after_id")
        else:
            where.append(
                f"(products.{column} {op} :after_value OR "
                f"(products.{column} = :after_value AND products.id {op} :after_id))"
            )
            params["after_value"] = after[0]
        params["after_id"] = str(after[1])
    order = f"products.{column} {direction.upper()}" + ("" if column == "id" else f", products.id {direction.upper()}")
    sql = f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit"
    rows = list(await core_execute(session, text(sql).columns(*PRODUCT_COLUMNS), params))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([getattr(last, column), last.id])
    return await serialize_products(session, rows[:limit]), next_cursor


ALL_STATUSES = ("active", "draft", "archived")


async def list_shop_products(
    session: AsyncSession,
    principal: Principal,
    shop_id: str,
    *,
    limit: int,
    cursor: str | None,
    q: str | None = None,
    statuses: tuple[str, ...] = ALL_STATUSES,
) -> tuple[list[dict[str, Any]], str | None]:
    """The shop's products of any status (or of those named), newest first or by relevance to ``q``."""
    await require_shop(session, principal, shop_id)
    return await search_products(
        session, q=q, shop_id=shop_id, sort=None, limit=limit, cursor=cursor, statuses=statuses
    )


# --- inventory -----------------------------------------------------------------------------------


async def _variant_for_shop(session: AsyncSession, principal: Principal, variant_id: str) -> Any:
    row = (
        await session.execute(select(Variant.id, Variant.shop_id, Variant.product_id).where(Variant.id == variant_id))
    ).first()
    if row is None or not await can_act_for(session, principal, row.shop_id):
        raise not_found("Variant")
    return row


async def change_inventory(
    session: AsyncSession, principal: Principal, variant_id: str, change: InventoryChange
) -> dict[str, Any]:
    """Set or adjust stock with one conditional update (never below zero) and log the movement."""
    variant = await _variant_for_shop(session, principal, variant_id)
    now = utcnow()
    quantity = Variant.inventory_quantity
    if change.set is not None:
        before = await session.scalar(select(quantity).where(Variant.id == variant_id).with_for_update())
        assert before is not None
        statement = (
            update(Variant).where(Variant.id == variant_id).values(inventory_quantity=change.set, updated_at=now)
        )
        delta = change.set - before
        reason = change.reason or "stock set"
    else:
        assert change.adjust is not None
        delta = change.adjust
        statement = (
            update(Variant)
            .where(Variant.id == variant_id, quantity + delta >= 0)
            .values(inventory_quantity=quantity + delta, updated_at=now)
        )
        reason = change.reason or "stock adjusted"
    after = await session.scalar(statement.returning(quantity).execution_options(synchronize_session=False))
    if after is None:
        raise ShoppableError("insufficient_stock", 409, f"Stock cannot go below zero (adjust by {delta}).")
    invalidate_after_commit(session, [variant.product_id])
    if delta:
        session.add(
            InventoryMovement(
                id=new_id("mov"),
                variant_id=variant_id,
                shop_id=variant.shop_id,
                delta=delta,
                quantity_after=after,
                reason=reason,
                actor=_actor(principal),
                created_at=now,
            )
        )
        await session.flush()
    row = (await session.execute(select(*Variant.__table__.c).where(Variant.id == variant_id))).one()
    return serialize_variant(row)


async def inventory_movements(
    session: AsyncSession, principal: Principal, variant_id: str, *, limit: int, cursor: str | None
) -> tuple[list[InventoryMovement], str | None]:
    await _variant_for_shop(session, principal, variant_id)
    query = select(InventoryMovement).where(InventoryMovement.variant_id == variant_id)
    if cursor:
        query = query.where(InventoryMovement.id < str(decode_cursor(cursor, 1)[0]))
    rows = list(await session.scalars(query.order_by(InventoryMovement.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def shop_product_ids(shop_id: str) -> Select[str]:
    """The ids of every product of the shop, as a query other packages nest in theirs (``IN (...)``) instead of
    reading the catalog's tables themselves."""
    return select(Product.id).where(Product.shop_id == shop_id)
