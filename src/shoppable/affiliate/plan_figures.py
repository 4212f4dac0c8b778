"""What a shop sees of each of its plans: the creators promoting what it covers, the orders it credited and the
commission it earned them; and whom a rate cut would reach, and when (the notice rule of ``rules.earned_bps``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate.models import AffiliatePlan, Commission, PlanCreator, PlanProduct, Promotion
from shoppable.affiliate.rules import PlanKind
from shoppable.catalog import service as catalog


@dataclass(frozen=True, slots=True)
class PlanFigures:
    creators_promoting: int
    orders: int
    commission: dict[str, int]  # per currency: earned less what refunds reversed


def _promoters(plan: AffiliatePlan, *, since_before: datetime | None = None) -> Any:
    """The creators promoting something the plan covers (those it names, for a targeted plan)."""
    products: Any
    if plan.kind == PlanKind.SHOP.value:
        products = catalog.shop_product_ids(plan.shop_id)
    else:
        products = select(PlanProduct.product_id).where(PlanProduct.plan_id == plan.id)
    query = select(func.count(distinct(Promotion.creator_id))).where(Promotion.product_id.in_(products))
    if plan.kind == PlanKind.TARGETED.value:
        query = query.where(
            Promotion.creator_id.in_(select(PlanCreator.creator_id).where(PlanCreator.plan_id == plan.id))
        )
    if since_before is not None:
        query = query.where(Promotion.since <= since_before)
    return query


async def figures(session: AsyncSession, plan_ids: Sequence[str]) -> dict[str, PlanFigures]:
    """Each plan's figures, by id (the caller has checked who may see them)."""
    ids = list(plan_ids)
    if not ids:
        return {}
    plans = list(await session.scalars(select(AffiliatePlan).where(AffiliatePlan.id.in_(ids))))
    credited = await session.execute(
        select(
            Commission.plan_id,
            Commission.currency,
            func.count(distinct(Commission.order_id)),
            func.coalesce(func.sum(Commission.earned - Commission.reversed_amount), 0),
        )
        .where(Commission.plan_id.in_(ids))
        .group_by(Commission.plan_id, Commission.currency)
    )
    orders: dict[str, int] = {}
    money: dict[str, dict[str, int]] = {}
    for plan_id, currency, count, amount in credited:
        orders[plan_id] = orders.get(plan_id, 0) + int(count)
        money.setdefault(plan_id, {})[currency] = int(amount)
    out = {}
    for plan in plans:
        promoting = int(await session.scalar(_promoters(plan)) or 0)
        out[plan.id] = PlanFigures(promoting, orders.get(plan.id, 0), money.get(plan.id, {}))
    return out


@dataclass(frozen=True, slots=True)
class CutReach:
    creators: int  # already promoting: they keep the old rate until ``on``
    on: datetime


async def cut_reach(session: AsyncSession, plan_id: str, *, now: datetime, notice: timedelta) -> CutReach:
    """Whom a cut made now reaches late: the creators promoting the plan's products already, on ``now + notice``."""
    plan = await session.get(AffiliatePlan, plan_id)
    if plan is None:
        return CutReach(0, now + notice)
    creators = int(await session.scalar(_promoters(plan, since_before=now)) or 0)
    return CutReach(creators, now + notice)
