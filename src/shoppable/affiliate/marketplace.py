"""The affiliate marketplace: the active products a creator may promote, each with the best rate open to them,
searchable and sortable by commission, price, sales and age.

The rates come from the plans (ours); the products, their search and their order from the catalog, asked
through a ``ProductScope``. Sorting by commission walks the distinct rates from the highest down, one scoped
catalog query per rate (there are as many rates as plans at most), so every page is a keyset page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import plans as plan_store
from shoppable.affiliate.models import Promotion
from shoppable.affiliate.rules import Plan, PlanKind, best_rate
from shoppable.catalog import service as catalog
from shoppable.kit.clock import utcnow
from shoppable.kit.pagination import decode_cursor, encode_cursor

Sort = Literal["commission", "relevance", "newest", "price_asc", "price_desc", "best_selling"]


@dataclass(frozen=True, slots=True)
class _Rates:
    """The rate open to one creator on every product they may promote: per product where a product-level plan
    or their own promotion makes it particular, else per shop (its shop plans)."""

    by_shop: dict[str, int]
    by_product: dict[str, int]

    def rate(self, product: dict[str, Any]) -> int:
        return self.by_product.get(product["id"]) or self.by_shop[product["shop_id"]]

    def scope(self, bps: int | None = None) -> catalog.ProductScope:
        """All the products (or those at rate ``bps``)."""
        shops = [s for s, r in self.by_shop.items() if bps is None or r == bps]
        products = [p for p, r in self.by_product.items() if bps is None or r == bps]
        # A product with its own rate is never listed again through its shop's rate.
        except_ids = list(self.by_product) if shops else []
        return catalog.ProductScope(shop_ids=shops, product_ids=products, except_product_ids=except_ids)

    def distinct_rates(self) -> list[int]:
        return sorted({*self.by_shop.values(), *self.by_product.values()}, reverse=True)


async def _rates_for(session: AsyncSession, creator_id: str, at: datetime, notice: timedelta) -> _Rates:
    plans = await plan_store.plans_open_to(session, creator_id, at)
    since = {
        product_id: started
        for product_id, started in await session.execute(
            select(Promotion.product_id, Promotion.since).where(Promotion.creator_id == creator_id)
        )
    }
    shop_plans: dict[str, list[Plan]] = defaultdict(list)
    listing: dict[str, list[Plan]] = defaultdict(list)  # product -> the open and targeted plans listing it
    particular: dict[str, str] = {}  # product -> its shop
    for plan in plans:
        if plan.kind == PlanKind.SHOP:
            shop_plans[plan.shop_id].append(plan)
        for product_id in plan.product_ids:
            listing[product_id].append(plan)
            particular[product_id] = plan.shop_id
    # A product the creator already promotes under a shop plan has its own rate: a cut reaches them later.
    promoted = [p for p in since if p not in particular]
    for product_id, summary in (await catalog.product_summaries(session, promoted)).items():
        if summary.shop_id in shop_plans:
            particular[product_id] = summary.shop_id
    by_product = {}
    for product_id, shop_id in particular.items():
        choice = best_rate(
            [*listing[product_id], *shop_plans.get(shop_id, [])],
            creator_id=creator_id,
            product_id=product_id,
            shop_id=shop_id,
            at=at,
            promoting_since=since.get(product_id),
            notice=notice,
        )
        if choice is not None:
            by_product[product_id] = choice.commission_bps
    by_shop = {shop_id: max(p.published_bps(at) for p in own) for shop_id, own in shop_plans.items()}
    return _Rates(by_shop, by_product)


async def marketplace(
    session: AsyncSession,
    creator_id: str,
    *,
    notice: timedelta,
    q: str | None,
    category: str | None,
    min_price: int | None,
    max_price: int | None,
    sort: Sort | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    rates = await _rates_for(session, creator_id, utcnow(), notice)
    filters: dict[str, Any] = {"q": q, "category": category, "min_price": min_price, "max_price": max_price}
    sort = sort or "commission"
    if sort != "commission":
        items, next_cursor = await catalog.search_products(
            session, **filters, sort=sort, limit=limit, cursor=cursor, scope=rates.scope()
        )
        return [_item(p, rates) for p in items], next_cursor
    inner_sort: catalog.Sort = "relevance" if q and q.strip() else "newest"
    tiers = rates.distinct_rates()
    start_bps, inner_cursor = decode_cursor(cursor, 2) if cursor else [None, None]
    if start_bps is not None:
        tiers = [bps for bps in tiers if bps <= int(start_bps)]
    page: list[dict[str, Any]] = []
    for bps in tiers:
        items, inner_next = await catalog.search_products(
            session,
            **filters,
            sort=inner_sort,
            limit=limit - len(page),
            cursor=inner_cursor if bps == start_bps else None,
            scope=rates.scope(bps),
        )
        page += [_item(p, rates) for p in items]
        if inner_next is not None:
            return page, encode_cursor([bps, inner_next])
        if len(page) >= limit:
            later = [b for b in tiers if b < bps]
            return page, encode_cursor([later[0], None]) if later else None
    return page, None


def _item(product: dict[str, Any], rates: _Rates) -> dict[str, Any]:
    return {**product, "commission_bps": rates.rate(product)}
