"""Affiliate links: one stable link per creator and product, and what each has earned."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import plans as plan_store
from shoppable.affiliate.models import Click, Commission, Link
from shoppable.affiliate.rules import RateChoice
from shoppable.catalog import service as catalog
from shoppable.identity.rules import CallingCreator
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import core_execute
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.pagination import newest_first

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"  # no 0/O, 1/l/I
CODE_LENGTH = 8  # 57^8: about 1.1e14 codes; guessing one at random is hopeless


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def rate_for(
    session: AsyncSession, creator_id: str, product_id: str, shop_id: str, notice: timedelta
) -> RateChoice:
    """The rate open to the creator on the product now; 403 ``not_affiliated`` when no active plan covers both."""
    rates = await plan_store.rates_open_to(session, creator_id, [(product_id, shop_id)], at=utcnow(), notice=notice)
    choice = rates[product_id]
    if choice is None:
        raise ShoppableError("not_affiliated", 403, "No active affiliate plan of the shop covers you for this product.")
    return choice


def serialize(link: Any, public_url: str, commission_bps: int | None = None) -> dict[str, Any]:
    read = {
        "id": link.id,
        "code": link.code,
        "url": f"{public_url}/l/{link.code}",
        "product_id": link.product_id,
        "shop_id": link.shop_id,
        "created_at": isoformat(link.created_at),
    }
    if commission_bps is not None:
        read["commission_bps"] = commission_bps
    return read


async def get_or_create_link(
    session: AsyncSession, creator: CallingCreator, product_id: str, *, public_url: str, notice: timedelta
) -> tuple[bool, dict[str, Any]]:
    """The creator's link for the product (created: True the first time). The product must be active and
    covered for the creator by an active plan."""
    product = (await catalog.product_summaries(session, [product_id])).get(product_id)
    if product is None or product.status != "active":
        raise not_found("Product")
    choice = await rate_for(session, creator.creator_id, product_id, product.shop_id, notice)
    existing = await _link_of(session, creator.creator_id, product_id)
    if existing is not None:
        return False, serialize(existing, public_url, choice.commission_bps)
    now = utcnow()
    link = Link(
        id=new_id("lnk"),
        code=new_code(),
        creator_id=creator.creator_id,
        product_id=product_id,
        shop_id=product.shop_id,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(link)
            await session.flush()
    except IntegrityError:  # the same creator asked twice at once (or, once in 10^14, the code was taken)
        existing = await _link_of(session, creator.creator_id, product_id)
        if existing is None:
            raise ShoppableError("link_conflict", 409, "Please try again.", headers={"Retry-After": "1"}) from None
        return False, serialize(existing, public_url, choice.commission_bps)
    await plan_store.note_promotion(session, creator_id=creator.creator_id, product_id=product_id, at=now)
    return True, serialize(link, public_url, choice.commission_bps)


async def _link_of(session: AsyncSession, creator_id: str, product_id: str) -> Link | None:
    return await session.scalar(select(Link).where(Link.creator_id == creator_id, Link.product_id == product_id))


async def creator_links(
    session: AsyncSession, creator_id: str, *, public_url: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The creator's links, newest first, each with counted clicks, orders, GMV and commission."""
    page, next_cursor = await newest_first(
        session, select(Link).where(Link.creator_id == creator_id), Link.id, limit=limit, cursor=cursor
    )
    stats = await _stats(session, [link.id for link in page])
    return [{**serialize(link, public_url), **stats.get(link.id, _NO_STATS)} for link in page], next_cursor


_NO_STATS = {"clicks": 0, "orders": 0, "gmv": 0, "commission": 0, "currency": None}


async def _stats(session: AsyncSession, link_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not link_ids:
        return {}
    out: dict[str, dict[str, Any]] = {i: dict(_NO_STATS) for i in link_ids}
    counted = func.sum(case((Click.is_bot | Click.is_repeat | Click.is_throttled, 0), else_=1))
    for link_id, clicks in await session.execute(
        select(Click.link_id, counted).where(Click.link_id.in_(link_ids)).group_by(Click.link_id)
    ):
        out[link_id]["clicks"] = int(clicks or 0)
    sales = (
        select(
            Commission.source_id,
            Commission.currency,
            func.count(func.distinct(Commission.order_id)),
            func.sum(case((Commission.status == "reversed", 0), else_=Commission.base)),
            func.sum(Commission.earned - Commission.reversed_amount),
        )
        .where(Commission.source_type == "link", Commission.source_id.in_(link_ids))
        .group_by(Commission.source_id, Commission.currency)
    )
    for link_id, currency, orders, gmv, earned in await session.execute(sales):
        out[link_id].update(orders=int(orders), gmv=int(gmv), commission=int(earned), currency=currency)
    return out


_LINK_BY_CODE = select(Link.id, Link.creator_id, Link.product_id).where(Link.code == bindparam("code"))


async def link_for_code(session: AsyncSession, code: str) -> tuple[str, str, str] | None:
    """(link id, creator id, product id) of a link code, or None."""
    row = (await core_execute(session, _LINK_BY_CODE, {"code": code})).first()
    return (row.id, row.creator_id, row.product_id) if row else None


async def links_of(
    session: AsyncSession, creator_id: str, product_ids: Sequence[str], *, public_url: str
) -> dict[str, dict[str, Any]]:
    """The creator's links for these products, by product (products without one are left out)."""
    if not product_ids:
        return {}
    found = await session.execute(
        select(Link).where(Link.creator_id == creator_id, Link.product_id.in_(list(product_ids)))
    )
    return {link.product_id: serialize(link, public_url) for link in found.scalars()}
