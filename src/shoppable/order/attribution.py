"""Who gets the credit for each line of a purchase: the touches (link clicks from the shopper's attribution
cookie, explicit in-app sources on the items) resolved to creators, then decided by the affiliate engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import attribution
from shoppable.affiliate.rules import SourceType, Touch
from shoppable.affiliate.tokens import ClickToken
from shoppable.config import Settings
from shoppable.content import sources
from shoppable.order.live_sales import LiveSales
from shoppable.order.rules import Item, OrderDraft


async def _tapped(
    session: AsyncSession,
    item: Item,
    product_id: str,
    linked: dict[str, tuple[str, str]],
    now: datetime,
    live_sales: LiveSales | None,
) -> Touch | None:
    """The touch an item's explicit source makes for this product, if it names something that showed it."""
    if not item.source:
        return None
    kind, source_id = str(item.source.get("type")), str(item.source.get("id"))
    creator: str | None = None
    if kind == SourceType.LINK.value:
        link = linked.get(source_id)
        creator = link[0] if link is not None and link[1] == product_id else None
    elif kind == SourceType.VIDEO.value:
        creator = await sources.video_creator(session, source_id, product_id)
    elif kind == SourceType.SHOWCASE.value:
        creator = await sources.showcase_creator(session, source_id, product_id)
    elif kind == SourceType.LIVE.value and live_sales is not None:
        creator = await live_sales.creator_for(session, source_id, product_id)
    if creator is None:
        return None
    return Touch(creator, SourceType(kind), source_id, item.touched_at or now)


async def attribute_purchase(
    session: AsyncSession,
    *,
    buyer_id: str,
    items: Sequence[Item],
    drafts: Sequence[OrderDraft],
    clicks: Sequence[ClickToken],
    now: datetime,
    settings: Settings,
    live_sales: LiveSales | None = None,
) -> list[dict[str, Any] | None]:
    """The attribution decision of every line of the drafts, in order (None where nothing led to it).

    An explicit source counts as a tap at the time the item was added, and only for a product it showed: a
    link for its own product, a video that anchors (or tiles) the product, a showcase that holds it, a live
    that shows it (through ``live_sales``).
    """
    sources = {item.variant_id: item for item in items}
    link_ids = [
        str(item.source["id"]) for item in items if item.source and item.source.get("type") == SourceType.LINK.value
    ]
    linked = await attribution.links_by_id(session, link_ids) if link_ids else {}
    lines = []
    for draft in drafts:
        for line in draft.lines:
            touches = attribution.token_touches(clicks, line.product_id)
            item = sources[line.variant_id]
            tapped = await _tapped(session, item, line.product_id, linked, now, live_sales)
            if tapped is not None:
                touches.append(tapped)
            lines.append(attribution.LineToAttribute(line.product_id, draft.shop_id, line.total, tuple(touches)))
    return await attribution.decide(
        session,
        buyer_id=buyer_id,
        lines=lines,
        at=now,
        window=timedelta(days=settings.attribution_window_days),
        notice=settings.rate_cut_notice,
    )
