"""Commissions: accrued when an attributed order is paid (the rate frozen at placement), reversed pro rata by
refunds, settled when the order completes; read by their creator and by the shop that funds them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import books
from shoppable.affiliate.models import AffiliatePlan, Commission, Link, PlanRate
from shoppable.affiliate.rules import commission, commission_reversed
from shoppable.catalog import service as catalog
from shoppable.catalog.shops import can_act_for, require_shop
from shoppable.identity.rules import Principal
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import core_execute, queue_insert
from shoppable.kit.errors import not_found
from shoppable.kit.ids import new_id
from shoppable.kit.money import Money
from shoppable.kit.pagination import newest_first
from shoppable.ledger import service as ledger

PENDING, SETTLED, REVERSED = "pending", "settled", "reversed"


@dataclass(frozen=True, slots=True)
class PaidLine:
    """An order line just paid, with the attribution decided when it was placed."""

    order_id: str
    line_id: str
    shop_id: str
    product_id: str
    currency: str
    paid: int  # what the buyer paid for the line: after discounts, without shipping and tax
    units: int
    attribution: Mapping[str, Any]


def is_credited(attribution: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    return attribution is not None and "creator_id" in attribution


async def accrue(session: AsyncSession, lines: Sequence[PaidLine]) -> dict[str, int]:
    """A pending commission for every credited line, funded by the shop's pending payable: the commission
    on each line id."""
    rows, postings, earned = [], [], {}
    now = utcnow()
    for line in lines:
        credit = line.attribution
        if not is_credited(credit):
            continue
        amount = commission(line.paid, int(credit["commission_bps"]))
        earned[line.line_id] = amount
        commission_id = new_id("com")
        rows.append(
            {
                "id": commission_id,
                "creator_id": credit["creator_id"],
                "shop_id": line.shop_id,
                "order_id": line.order_id,
                "line_id": line.line_id,
                "product_id": line.product_id,
                "currency": line.currency,
                "base": line.paid,
                "units": line.units,
                "commission_bps": int(credit["commission_bps"]),
                "earned": amount,
                "reversed_amount": 0,
                "units_reversed": 0,
                "status": PENDING,
                "source_type": credit["source_type"],
                "source_id": credit["source_id"],
                "click_id": credit.get("click_id"),
                "touched_at": datetime.fromisoformat(str(credit["touched_at"]).replace("Z", "+00:00")),
                "plan_id": credit["plan_id"],
                "why": str(credit.get("why", ""))[:1000],
                "created_at": now,
                "settles_at": None,
                "settled_at": None,
            }
        )
        if amount:
            postings.append((commission_id, line.shop_id, str(credit["creator_id"]), Money(amount, line.currency)))
    queue_insert(session, Commission.__table__, rows)  # type: ignore[arg-type]
    await books.accrue(session, postings)
    return earned


async def reverse(session: AsyncSession, refund_id: str, units_by_line: Mapping[str, int]) -> dict[str, int]:
    """Take back the refunded units' share of their lines' pending commissions (all that is left when the last
    units go): what was reversed on each line id. A settled commission is final: a refund after the order
    completed (a goodwill gesture by the shop) does not reach the creator."""
    if not units_by_line:
        return {}
    found = (
        await session.execute(
            select(Commission)
            .where(Commission.line_id.in_(list(units_by_line)), Commission.status == PENDING)
            .with_for_update()
        )
    ).scalars()
    reversed_by_line, postings = {}, []
    for item in found:
        units_now = units_by_line[item.line_id]
        amount = commission_reversed(
            commission_total=item.earned,
            units=item.units,
            units_refunded=item.units_reversed,
            reversed_so_far=item.reversed_amount,
            units_now=units_now,
        )
        item.units_reversed += units_now
        item.reversed_amount += amount
        if item.units_reversed >= item.units:
            item.status = REVERSED
        reversed_by_line[item.line_id] = amount
        if amount:
            postings.append((f"{item.id}:{refund_id}", item.shop_id, item.creator_id, Money(amount, item.currency)))
    await session.flush()
    await books.reverse(session, postings)
    return reversed_by_line


async def schedule_settlement(session: AsyncSession, order_id: str, settles_at: datetime) -> None:
    """The order was delivered: its commissions settle when its return window ends."""
    await core_execute(
        session,
        update(Commission)
        .where(Commission.order_id == order_id, Commission.status == PENDING)
        .values(settles_at=settles_at),
    )


async def settle_order(session: AsyncSession, order_id: str) -> int:
    """The order completed: its pending commissions become available to their creators. Returns what the
    order's commissions kept in all (the part of the shop's payable they took)."""
    items = list(
        (await session.execute(select(Commission).where(Commission.order_id == order_id).with_for_update())).scalars()
    )
    now = utcnow()
    postings = []
    for item in items:
        if item.status != PENDING:
            continue
        item.status = SETTLED
        item.settled_at = now
        kept = item.earned - item.reversed_amount
        if kept:
            postings.append((item.id, item.shop_id, item.creator_id, Money(kept, item.currency)))
    await session.flush()
    await books.settle(session, postings)
    return sum(item.earned - item.reversed_amount for item in items)


# --- reading ----------------------------------------------------------------------------------------------------


def serialize(item: Commission, *, for_shop: bool = False) -> dict[str, Any]:
    read = {
        "id": item.id,
        "order_id": item.order_id,
        "line_id": item.line_id,
        "product_id": item.product_id,
        "amount": item.earned - item.reversed_amount,
        "currency": item.currency,
        "status": item.status,
        "commission_bps": item.commission_bps,
        "base": item.base,
        "earned": item.earned,
        "reversed_amount": item.reversed_amount,
        "source_type": item.source_type,
        "source_id": item.source_id,
        "created_at": isoformat(item.created_at),
        "settles_at": isoformat(item.settles_at),
        "settled_at": isoformat(item.settled_at),
    }
    if for_shop:
        read["creator_id"] = item.creator_id
    return read


async def creator_commissions(
    session: AsyncSession, creator_id: str, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    query = select(Commission).where(Commission.creator_id == creator_id)
    if status is not None:
        query = query.where(Commission.status == status)
    page, next_cursor = await newest_first(session, query, Commission.id, limit=limit, cursor=cursor)
    return [serialize(item) for item in page], next_cursor


async def shop_commissions(
    session: AsyncSession, principal: Principal, shop_id: str, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    await require_shop(session, principal, shop_id)
    query = select(Commission).where(Commission.shop_id == shop_id)
    if status is not None:
        query = query.where(Commission.status == status)
    page, next_cursor = await newest_first(session, query, Commission.id, limit=limit, cursor=cursor)
    return [serialize(item, for_shop=True) for item in page], next_cursor


async def explain(
    session: AsyncSession, principal: Principal, creator_id: str | None, commission_id: str, settings_url: str
) -> dict[str, Any]:
    """The whole chain behind a commission, for its creator or the shop that funds it (404 for anyone else):
    the click or content that led to the sale, the order line, the plan and why its rate won, and every
    ledger transaction that moved the money."""
    item = await session.get(Commission, commission_id)
    if item is None or not (item.creator_id == creator_id or await can_act_for(session, principal, item.shop_id)):
        raise not_found("Commission")
    plan = await session.get(AffiliatePlan, item.plan_id)
    assert plan is not None
    rates = await session.execute(
        select(PlanRate.at, PlanRate.commission_bps).where(PlanRate.plan_id == plan.id).order_by(PlanRate.at)
    )
    source: dict[str, Any] = {"type": item.source_type, "id": item.source_id, "touched_at": isoformat(item.touched_at)}
    if item.source_type == "link":
        link = await session.get(Link, item.source_id)
        if link is not None:
            source["link"] = {"id": link.id, "code": link.code, "url": f"{settings_url}/l/{link.code}"}
        source["click_id"] = item.click_id
    product = (await catalog.product_summaries(session, [item.product_id])).get(item.product_id)
    return {
        "commission": serialize(item, for_shop=True),
        "source": source,
        "order_line": {
            "order_id": item.order_id,
            "line_id": item.line_id,
            "product_id": item.product_id,
            "product_title": product.title if product else None,
            "units": item.units,
            "units_refunded": item.units_reversed,
            "paid": item.base,
            "currency": item.currency,
        },
        "plan": {
            "id": plan.id,
            "kind": plan.kind,
            "name": plan.name,
            "commission_bps": item.commission_bps,
            "rate_history": [{"at": isoformat(at), "commission_bps": bps} for at, bps in rates],
            "ends_at": isoformat(plan.ends_at),
        },
        "why": item.why,
        "calculation": (
            f"{item.base} × {item.commission_bps} bps = {item.earned} (half-even); "
            f"{item.reversed_amount} reversed for {item.units_reversed} of {item.units} units refunded"
        ),
        "ledger": [
            {**txn, "at": isoformat(txn["at"])}  # type: ignore[arg-type]
            for txn in await ledger.transactions_about(session, [item.id])
        ],
    }
