"""How low creators may price a shop's products in their lives: per plan (``host_discount_bps``) and per product
(the product's own setting wins), decided for the plan that would pay the creator's commission. Live checks a
host's flash-sale price here; each sale below the variant's own price is recorded for the shop and announced
(outbox ``host_discount.used``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import plans
from shoppable.affiliate.models import AllowanceUse, ProductAllowance
from shoppable.affiliate.rules import (
    AllowanceSource,
    HostAllowance,
    check_discount_bps,
    discount_bps,
    host_allowance,
    is_host_price_allowed,
    lowest_host_price,
)
from shoppable.catalog import service as catalog
from shoppable.catalog.shops import can_act_for, require_shop
from shoppable.identity.rules import Principal
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import core_execute, insert_ignoring_conflicts, queue_insert
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.money import Money
from shoppable.kit.outbox import Event, emit
from shoppable.kit.pagination import newest_first

USED_TOPIC = "host_discount.used"


# --- a product's own setting (its shop) -------------------------------------------------------------------------


async def _own_product(session: AsyncSession, principal: Principal, product_id: str) -> catalog.ProductSummary:
    """The product if the caller acts for its shop; otherwise it does not exist for them (404)."""
    found = (await catalog.product_summaries(session, [product_id])).get(product_id)
    if found is None or not await can_act_for(session, principal, found.shop_id):
        raise not_found("Product")
    return found


def _read_setting(
    product: catalog.ProductSummary, max_discount_bps: int | None, updated_at: datetime | None
) -> dict[str, Any]:
    return {
        "product_id": product.id,
        "shop_id": product.shop_id,
        "max_discount_bps": max_discount_bps,
        "updated_at": isoformat(updated_at),
    }


async def product_allowance(session: AsyncSession, principal: Principal, product_id: str) -> dict[str, Any]:
    product = await _own_product(session, principal, product_id)
    row = await session.get(ProductAllowance, product.id)
    return _read_setting(product, row.max_discount_bps if row else None, row.updated_at if row else None)


async def set_product_allowance(
    session: AsyncSession, principal: Principal, product_id: str, *, max_discount_bps: int
) -> dict[str, Any]:
    """The product's own limit on creators' live discounts, from now on (it wins over every plan's)."""
    product = await _own_product(session, principal, product_id)
    check_discount_bps(max_discount_bps, "max_discount_bps")
    now = utcnow()
    values = {"shop_id": product.shop_id, "max_discount_bps": max_discount_bps, "updated_at": now}
    await insert_ignoring_conflicts(
        session,
        ProductAllowance.__table__,  # type: ignore[arg-type]
        [{"product_id": product.id, **values}],
    )
    await core_execute(
        session, update(ProductAllowance).where(ProductAllowance.product_id == product.id).values(**values)
    )
    return _read_setting(product, max_discount_bps, now)


async def clear_product_allowance(session: AsyncSession, principal: Principal, product_id: str) -> None:
    """Drop the product's own limit: the covering plan's ``host_discount_bps`` applies again."""
    product = await _own_product(session, principal, product_id)
    await core_execute(session, delete(ProductAllowance).where(ProductAllowance.product_id == product.id))


# --- what a creator may do (live asks) --------------------------------------------------------------------------


async def host_allowances(
    session: AsyncSession,
    *,
    creator_id: str,
    products: Sequence[tuple[str, str]],
    at: datetime,
    notice: timedelta,
) -> dict[str, HostAllowance]:
    """For (product, shop) pairs: the discount the creator may run on each in their lives at ``at``."""
    if not products:
        return {}
    product_ids = [product for product, _ in products]
    covering = await plans.plans_covering(
        session, shop_ids=[shop for _, shop in products], product_ids=product_ids, creator_ids=[creator_id], at=at
    )
    since = await plans.promoting_since(session, [(creator_id, product) for product in product_ids])
    own = {
        (row.product_id, row.shop_id): row.max_discount_bps
        for row in (
            await session.execute(select(ProductAllowance).where(ProductAllowance.product_id.in_(product_ids)))
        ).scalars()
    }
    return {
        product: host_allowance(
            covering,
            creator_id=creator_id,
            product_id=product,
            shop_id=shop,
            at=at,
            promoting_since=since.get((creator_id, product)),
            notice=notice,
            product_bps=own.get((product, shop)),
        )
        for product, shop in products
    }


def percent(bps: int) -> str:
    """Basis points as people read them: 3000 -> "30 %", 1250 -> "12.5 %"."""
    return f"{(Decimal(bps) / 100).normalize():f} %"


def _refusal(allowance: HostAllowance, base: Money) -> ShoppableError:
    lowest = Money(lowest_host_price(base.amount, allowance.max_discount_bps), base.currency)
    if allowance.source == AllowanceSource.NONE:
        detail = (
            f"No active affiliate plan of the shop covers you for this product, so you may not sell it below its "
            f"price of {base.format()}."
        )
    elif allowance.max_discount_bps == 0:
        detail = f"The shop does not let hosts sell this product below its price of {base.format()}."
    else:
        detail = (
            f"The shop lets hosts take at most {percent(allowance.max_discount_bps)} off this product: the lowest "
            f"price you may set is {lowest.format()} (its price is {base.format()})."
        )
    return ShoppableError(
        "price_not_allowed",
        403,
        detail,
        errors=[{"loc": ["body", "price"], "msg": f"at least {lowest.amount}"}],
    )


async def authorise_host_price(
    session: AsyncSession,
    *,
    creator_id: str,
    shop_id: str,
    product_id: str,
    variant_id: str,
    base_price: int,
    price: int,
    currency: str,
    live_id: str,
    notice: timedelta,
) -> dict[str, Any] | None:
    """May the creator hosting ``live_id`` sell the variant at ``price``? 403 ``price_not_allowed`` (naming the
    lowest price allowed) when it is a larger discount off ``base_price`` than the shop allows them. A price
    below the base that is allowed is recorded for the shop and announced (``host_discount.used``): that
    record; None at or above the base price (nothing to record)."""
    if price >= base_price:
        return None
    now = utcnow()
    allowance = (
        await host_allowances(session, creator_id=creator_id, products=[(product_id, shop_id)], at=now, notice=notice)
    )[product_id]
    if not is_host_price_allowed(base_price=base_price, price=price, allowance_bps=allowance.max_discount_bps):
        raise _refusal(allowance, Money(base_price, currency))
    assert allowance.plan_id is not None  # an allowance above nothing comes from a covering plan
    use: dict[str, Any] = {
        "id": new_id("hdu"),
        "shop_id": shop_id,
        "creator_id": creator_id,
        "live_id": live_id,
        "product_id": product_id,
        "variant_id": variant_id,
        "base_price": base_price,
        "price": price,
        "currency": currency,
        "discount_bps": discount_bps(base_price, price),
        "allowed_bps": allowance.max_discount_bps,
        "allowance": allowance.source.value,
        "plan_id": allowance.plan_id,
        "created_at": now,
    }
    queue_insert(session, AllowanceUse.__table__, [use])  # type: ignore[arg-type]
    read = _read_use(use)
    await emit(session, [Event(USED_TOPIC, use["id"], read)])
    return read


# --- what the shop sees -----------------------------------------------------------------------------------------


def _read_use(use: dict[str, Any]) -> dict[str, Any]:
    return {**use, "created_at": isoformat(use["created_at"])}


async def shop_host_discounts(
    session: AsyncSession, principal: Principal, shop_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The discounts creators ran on the shop's products in their lives, newest first."""
    await require_shop(session, principal, shop_id)
    page, next_cursor = await newest_first(
        session,
        select(AllowanceUse).where(AllowanceUse.shop_id == shop_id),
        AllowanceUse.id,
        limit=limit,
        cursor=cursor,
    )
    columns = [c.key for c in AllowanceUse.__table__.columns]
    return [_read_use({name: getattr(row, name) for name in columns}) for row in page], next_cursor
