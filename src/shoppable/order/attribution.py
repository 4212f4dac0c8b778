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
from shoppable.order.rules import Item, OrderDraft


async def attribute_purchase(
    session: AsyncSession,
    *,
    buyer_id: str,
    items: Sequence[Item],
    drafts: Sequence[OrderDraft],
    clicks: Sequence[ClickToken],
    now: datetime,
    settings: Settings,
) -> list[dict[str, Any] | None]:
    """The attribution decision of every line of the drafts, in order (None where nothing led to it).

    An explicit link source counts as a tap at the time the item was added (only for the link's own product).
    Video, live and showcase sources are resolved by the content and live modules once they exist; until then
    such a source is kept on the line as given and credits no one.
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
            if item.source and item.source.get("type") == SourceType.LINK.value:
                link = linked.get(str(item.source["id"]))
                if link is not None and link[1] == line.product_id:
                    at = item.touched_at or now
                    touches.append(Touch(link[0], SourceType.LINK, str(item.source["id"]), at))
            lines.append(attribution.LineToAttribute(line.product_id, draft.shop_id, line.total, tuple(touches)))
    return await attribution.decide(
        session,
        buyer_id=buyer_id,
        lines=lines,
        at=now,
        window=timedelta(days=settings.attribution_window_days),
        notice=timedelta(days=settings.rate_cut_notice_days),
    )
