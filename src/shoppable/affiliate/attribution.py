"""Attribution at order time: loads what the pure rule needs (plans, staff, who promotes since when), runs
``rules.attribute_line`` for each line and returns the decision, with its inputs, to be stored on the line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import plans as plan_store
from shoppable.affiliate.models import Link
from shoppable.affiliate.rules import Credit, SourceType, Touch, attribute_line, commission
from shoppable.affiliate.tokens import ClickToken
from shoppable.identity import service as identity
from shoppable.kit.clock import isoformat


@dataclass(frozen=True, slots=True)
class LineToAttribute:
    product_id: str
    shop_id: str
    paid: int
    touches: tuple[Touch, ...]


def token_touches(tokens: Sequence[ClickToken], product_id: str) -> list[Touch]:
    """The link clicks (from the shopper's attribution cookie) that were for this product."""
    return [
        Touch(t.creator_id, SourceType.LINK, t.link_id, t.clicked_at, click_id=t.click_id)
        for t in tokens
        if t.product_id == product_id
    ]


async def links_by_id(session: AsyncSession, link_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(creator id, product id) of links named as an explicit ``source: {type: link, id}``."""
    if not link_ids:
        return {}
    rows = await session.execute(
        select(Link.id, Link.creator_id, Link.product_id).where(Link.id.in_(list(set(link_ids))))
    )
    return {row.id: (row.creator_id, row.product_id) for row in rows}


def _touch_json(touch: Touch) -> dict[str, Any]:
    return {
        "creator_id": touch.creator_id,
        "source_type": touch.source_type.value,
        "source_id": touch.source_id,
        "at": isoformat(touch.at),
        "click_id": touch.click_id,
    }


async def decide(
    session: AsyncSession,
    *,
    buyer_id: str,
    lines: Sequence[LineToAttribute],
    at: datetime,
    window: timedelta,
    notice: timedelta,
) -> list[dict[str, Any] | None]:
    """The attribution of each line: a credit (creator, source, plan, frozen rate, expected commission), a
    refusal with its reason, or None when nothing led the buyer to the product (no query is made then)."""
    if not any(line.touches for line in lines):
        return [None] * len(lines)
    touched = [line for line in lines if line.touches]
    creators = {t.creator_id for line in touched for t in line.touches}
    buyer_creator = await identity.creator_of_user(session, buyer_id)
    staff = await identity.staff_of_shops(session, [line.shop_id for line in touched])
    plans = await plan_store.plans_covering(
        session,
        shop_ids=[line.shop_id for line in touched],
        product_ids=[line.product_id for line in touched],
        creator_ids=creators,
        at=at,
    )
    since = await plan_store.promoting_since(session, [(c, line.product_id) for line in touched for c in creators])
    decisions: list[dict[str, Any] | None] = []
    for line in lines:
        if not line.touches:
            decisions.append(None)
            continue
        result = attribute_line(
            line.touches,
            buyer_id=buyer_id,
            buyer_creator_id=buyer_creator.id if buyer_creator else None,
            shop_staff_ids=staff.get(line.shop_id, frozenset()),
            product_id=line.product_id,
            shop_id=line.shop_id,
            ordered_at=at,
            plans=plans,
            promoting_since={c: s for (c, p), s in since.items() if p == line.product_id},
            window=window,
            notice=notice,
        )
        touches = [_touch_json(t) for t in line.touches]
        if isinstance(result, Credit):
            decisions.append(
                {
                    "creator_id": result.creator_id,
                    "source_type": result.source_type.value,
                    "source_id": result.source_id,
                    "click_id": result.click_id,
                    "touched_at": isoformat(result.touched_at),
                    "plan_id": result.plan_id,
                    "commission_bps": result.commission_bps,
                    "commission": commission(line.paid, result.commission_bps),
                    "why": result.why,
                    "touches": touches,
                }
            )
        else:
            decisions.append({"credited": False, "reason": result.reason, "why": result.why, "touches": touches})
    return decisions
