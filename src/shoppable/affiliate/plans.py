"""Affiliate plans: opened, re-rated and ended by their shop; loaded as ``rules.Plan`` snapshots for the rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate.models import AffiliatePlan, PlanCreator, PlanProduct, PlanRate, Promotion
from shoppable.affiliate.rules import (
    Plan,
    PlanKind,
    RateChange,
    RateChoice,
    best_rate,
    check_bps,
    check_discount_bps,
)
from shoppable.catalog import service as catalog
from shoppable.catalog.shops import can_act_for, require_shop
from shoppable.identity import service as identity
from shoppable.identity.rules import Principal
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import core_execute, insert_ignoring_conflicts
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.pagination import newest_first

MAX_PLAN_PRODUCTS = 1000
MAX_PLAN_CREATORS = 1000


def _invalid(field: str, index: int | None, message: str, code: str = "validation_error") -> ShoppableError:
    loc: list[str | int] = ["body", field] if index is None else ["body", field, index]
    return ShoppableError(code, 422, message, errors=[{"loc": loc, "msg": message}])


async def _check_members(
    session: AsyncSession, shop_id: str, kind: PlanKind, product_ids: Sequence[str], creator_ids: Sequence[str]
) -> None:
    if kind == PlanKind.SHOP and (product_ids or creator_ids):
        raise _invalid("product_ids", None, "A shop plan covers every product for every creator: list none.")
    if kind == PlanKind.OPEN and creator_ids:
        raise _invalid("creator_ids", None, "An open plan is for every creator: list none (or make it targeted).")
    if kind != PlanKind.SHOP and not product_ids:
        raise _invalid("product_ids", None, f"A {kind.value} plan needs at least one product.")
    if kind == PlanKind.TARGETED and not creator_ids:
        raise _invalid("creator_ids", None, "A targeted plan needs at least one creator.")
    if len(product_ids) > MAX_PLAN_PRODUCTS or len(creator_ids) > MAX_PLAN_CREATORS:
        raise _invalid("product_ids", None, f"A plan lists at most {MAX_PLAN_PRODUCTS} products and creators.")
    products = await catalog.product_summaries(session, product_ids)
    for index, product_id in enumerate(product_ids):
        product = products.get(product_id)
        if product is None or product.shop_id != shop_id:
            raise _invalid("product_ids", index, f"This shop has no product {product_id}.", "product_not_found")
        if product.status == "archived":
            raise _invalid("product_ids", index, f"{product.title} is archived.", "product_unavailable")
    creators = await identity.creators_by_id(session, creator_ids)
    for index, creator_id in enumerate(creator_ids):
        if creator_id not in creators:
            raise _invalid("creator_ids", index, f"There is no creator {creator_id}.", "creator_not_found")


async def create_plan(
    session: AsyncSession,
    principal: Principal,
    shop_id: str,
    *,
    kind: PlanKind,
    name: str,
    commission_bps: int,
    product_ids: Sequence[str],
    creator_ids: Sequence[str],
    starts_at: datetime | None,
    ends_at: datetime | None,
    host_discount_bps: int = 0,
) -> dict[str, Any]:
    await require_shop(session, principal, shop_id)
    check_bps(commission_bps)
    check_discount_bps(host_discount_bps, "host_discount_bps")
    product_ids, creator_ids = list(dict.fromkeys(product_ids)), list(dict.fromkeys(creator_ids))
    await _check_members(session, shop_id, kind, product_ids, creator_ids)
    now = utcnow()
    starts = max(starts_at or now, now)  # a plan cannot cover orders already placed
    if ends_at is not None and ends_at <= starts:
        raise _invalid("ends_at", None, "ends_at must be after starts_at (and after now).")
    plan = AffiliatePlan(
        id=new_id("plan"),
        shop_id=shop_id,
        kind=kind.value,
        name=name.strip(),
        commission_bps=commission_bps,
        host_discount_bps=host_discount_bps,
        starts_at=starts,
        ends_at=ends_at,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    await session.flush()
    session.add(PlanRate(plan_id=plan.id, at=starts, commission_bps=commission_bps))
    session.add_all(PlanProduct(plan_id=plan.id, product_id=p) for p in product_ids)
    session.add_all(PlanCreator(plan_id=plan.id, creator_id=c) for c in creator_ids)
    await session.flush()
    return await read_plan(session, plan)


async def _plan_of_shop(session: AsyncSession, principal: Principal, plan_id: str) -> AffiliatePlan:
    """The plan, locked, if the caller acts for its shop; 404 otherwise (never reveal another shop's plans)."""
    plan = await session.scalar(select(AffiliatePlan).where(AffiliatePlan.id == plan_id).with_for_update())
    if plan is None:
        raise not_found("Plan")
    if not await can_act_for(session, principal, plan.shop_id):
        raise not_found("Plan")
    return plan


async def get_plan(session: AsyncSession, principal: Principal, plan_id: str) -> dict[str, Any]:
    """A plan as its shop reads it; 404 for anyone else."""
    plan = await session.get(AffiliatePlan, plan_id)
    if plan is None or not await can_act_for(session, principal, plan.shop_id):
        raise not_found("Plan")
    return await read_plan(session, plan)


def _status(plan: AffiliatePlan, now: datetime) -> str:
    if plan.ends_at is not None and plan.ends_at <= now:
        return "ended"
    return "scheduled" if plan.starts_at > now else "active"


async def change_rate(
    session: AsyncSession,
    principal: Principal,
    plan_id: str,
    *,
    commission_bps: int | None,
    name: str | None,
    host_discount_bps: int | None = None,
) -> dict[str, Any]:
    """A new published rate from now on (None keeps it). A raise reaches everyone at once; a cut reaches
    creators already promoting the product only ``rate_cut_notice_days`` later (the rule lives in
    ``rules.earned_bps``). A new ``host_discount_bps`` applies to flash sales started from now on."""
    plan = await _plan_of_shop(session, principal, plan_id)
    if commission_bps is not None:
        check_bps(commission_bps)
    if host_discount_bps is not None:
        check_discount_bps(host_discount_bps, "host_discount_bps")
    now = utcnow()
    if _status(plan, now) == "ended":
        raise ShoppableError("plan_ended", 409, "This plan has ended; open a new one.")
    if host_discount_bps is not None:
        plan.host_discount_bps = host_discount_bps
    if commission_bps is not None and commission_bps != plan.commission_bps:
        at = max(now, plan.starts_at)
        await insert_ignoring_conflicts(
            session,
            PlanRate.__table__,  # type: ignore[arg-type]
            [{"plan_id": plan.id, "at": at, "commission_bps": commission_bps}],
        )
        await core_execute(
            session,
            update(PlanRate)
            .where(PlanRate.plan_id == plan.id, PlanRate.at == at)
            .values(commission_bps=commission_bps),
        )
        plan.commission_bps = commission_bps
    if name is not None:
        plan.name = name.strip()
    plan.updated_at = now
    await session.flush()
    return await read_plan(session, plan)


async def end_plan(session: AsyncSession, principal: Principal, plan_id: str) -> dict[str, Any]:
    """End the plan now: no new order is attributed under it; commissions already accrued keep their rate."""
    plan = await _plan_of_shop(session, principal, plan_id)
    now = utcnow()
    if plan.ends_at is None or plan.ends_at > now:
        plan.ends_at = max(now, plan.starts_at)
        plan.updated_at = now
        await session.flush()
    return await read_plan(session, plan)


async def shop_plans(
    session: AsyncSession, principal: Principal, shop_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    await require_shop(session, principal, shop_id)
    page, next_cursor = await newest_first(
        session,
        select(AffiliatePlan).where(AffiliatePlan.shop_id == shop_id),
        AffiliatePlan.id,
        limit=limit,
        cursor=cursor,
    )
    return await read_plans(session, page), next_cursor


async def read_plan(session: AsyncSession, plan: AffiliatePlan) -> dict[str, Any]:
    (read,) = await read_plans(session, [plan])
    return read


async def read_plans(session: AsyncSession, plans: Sequence[AffiliatePlan]) -> list[dict[str, Any]]:
    ids = [p.id for p in plans]
    if not ids:
        return []
    members = await _members(session, ids)
    now = utcnow()
    return [
        {
            "id": p.id,
            "shop_id": p.shop_id,
            "kind": p.kind,
            "name": p.name,
            "commission_bps": p.commission_bps,
            "host_discount_bps": p.host_discount_bps,
            "status": _status(p, now),
            "product_ids": members[p.id][0],
            "creator_ids": members[p.id][1],
            "rate_history": [{"at": isoformat(r.at), "commission_bps": r.bps} for r in members[p.id][2]],
            "starts_at": isoformat(p.starts_at),
            "ends_at": isoformat(p.ends_at),
            "created_at": isoformat(p.created_at),
            "updated_at": isoformat(p.updated_at),
        }
        for p in plans
    ]


async def _members(
    session: AsyncSession,
    plan_ids: Sequence[str],
    *,
    products: Iterable[str] | None = None,
    creators: Iterable[str] | None = None,
) -> dict[str, tuple[list[str], list[str], list[RateChange]]]:
    """Each plan's products, creators and rate history (products and creators limited to those given)."""
    out: dict[str, tuple[list[str], list[str], list[RateChange]]] = {i: ([], [], []) for i in plan_ids}
    product_query = select(PlanProduct.plan_id, PlanProduct.product_id).where(PlanProduct.plan_id.in_(plan_ids))
    if products is not None:
        product_query = product_query.where(PlanProduct.product_id.in_(list(products)))
    creator_query = select(PlanCreator.plan_id, PlanCreator.creator_id).where(PlanCreator.plan_id.in_(plan_ids))
    if creators is not None:
        creator_query = creator_query.where(PlanCreator.creator_id.in_(list(creators)))
    for plan_id, product_id in await session.execute(product_query.order_by(PlanProduct.product_id)):
        out[plan_id][0].append(product_id)
    for plan_id, creator_id in await session.execute(creator_query.order_by(PlanCreator.creator_id)):
        out[plan_id][1].append(creator_id)
    rates = select(PlanRate.plan_id, PlanRate.at, PlanRate.commission_bps).where(PlanRate.plan_id.in_(plan_ids))
    for plan_id, at, bps in await session.execute(rates.order_by(PlanRate.plan_id, PlanRate.at)):
        out[plan_id][2].append(RateChange(at, bps))
    return out


def _active_at(at: datetime) -> Any:
    return (AffiliatePlan.starts_at <= at) & (AffiliatePlan.ends_at.is_(None) | (AffiliatePlan.ends_at > at))


async def _snapshots(
    session: AsyncSession,
    rows: Sequence[AffiliatePlan],
    *,
    products: Iterable[str] | None = None,
    creators: Iterable[str] | None = None,
) -> list[Plan]:
    members = await _members(session, [r.id for r in rows], products=products, creators=creators)
    return [
        Plan(
            id=r.id,
            shop_id=r.shop_id,
            kind=PlanKind(r.kind),
            rates=tuple(members[r.id][2]),
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            product_ids=frozenset(members[r.id][0]),
            creator_ids=frozenset(members[r.id][1]),
            host_discount_bps=r.host_discount_bps,
        )
        for r in rows
    ]


async def plans_covering(
    session: AsyncSession,
    *,
    shop_ids: Iterable[str],
    product_ids: Iterable[str],
    creator_ids: Iterable[str],
    at: datetime,
) -> list[Plan]:
    """Snapshots of the plans active at ``at`` that may cover these products for these creators (their
    product and creator lists cut down to the ones asked about)."""
    shops, products, creators = list(set(shop_ids)), list(set(product_ids)), list(set(creator_ids))
    if not shops or not products or not creators:
        return []
    listing = select(PlanProduct.plan_id).where(PlanProduct.product_id.in_(products))
    rows = list(
        (
            await session.execute(
                select(AffiliatePlan).where(
                    AffiliatePlan.shop_id.in_(shops),
                    _active_at(at),
                    or_(AffiliatePlan.kind == PlanKind.SHOP.value, AffiliatePlan.id.in_(listing)),
                )
            )
        ).scalars()
    )
    return await _snapshots(session, rows, products=products, creators=creators)


async def plans_open_to(session: AsyncSession, creator_id: str, at: datetime) -> list[Plan]:
    """Snapshots of every plan active at ``at`` that covers something for this creator."""
    invited = select(PlanCreator.plan_id).where(PlanCreator.creator_id == creator_id)
    rows = list(
        (
            await session.execute(
                select(AffiliatePlan).where(
                    _active_at(at),
                    or_(AffiliatePlan.kind != PlanKind.TARGETED.value, AffiliatePlan.id.in_(invited)),
                )
            )
        ).scalars()
    )
    return await _snapshots(session, rows, creators=[creator_id])


# --- who promotes what, since when ---------------------------------------------------------------------------


async def note_promotion(session: AsyncSession, *, creator_id: str, product_id: str, at: datetime) -> None:
    """The creator promotes the product from ``at`` (their first link or showcase entry for it counts)."""
    await insert_ignoring_conflicts(
        session,
        Promotion.__table__,  # type: ignore[arg-type]
        [{"creator_id": creator_id, "product_id": product_id, "since": at}],
    )


async def promoting_since(session: AsyncSession, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
    """Since when each (creator, product) pair has been promoted; pairs never promoted are left out."""
    wanted = set(pairs)
    if not wanted:
        return {}
    creators = {c for c, _ in wanted}
    products = {p for _, p in wanted}
    rows = await session.execute(
        select(Promotion.creator_id, Promotion.product_id, Promotion.since).where(
            Promotion.creator_id.in_(creators), Promotion.product_id.in_(products)
        )
    )
    return {(c, p): since for c, p, since in rows if (c, p) in wanted}


async def rates_open_to(
    session: AsyncSession, creator_id: str, products: Sequence[tuple[str, str]], *, at: datetime, notice: timedelta
) -> dict[str, RateChoice | None]:
    """For (product, shop) pairs: the rate open to the creator on each product at ``at``, None where no active
    plan covers it."""
    if not products:
        return {}
    covering = await plans_covering(
        session,
        shop_ids=[shop for _, shop in products],
        product_ids=[product for product, _ in products],
        creator_ids=[creator_id],
        at=at,
    )
    since = await promoting_since(session, [(creator_id, product) for product, _ in products])
    return {
        product: best_rate(
            covering,
            creator_id=creator_id,
            product_id=product,
            shop_id=shop,
            at=at,
            promoting_since=since.get((creator_id, product)),
            notice=notice,
        )
        for product, shop in products
    }
