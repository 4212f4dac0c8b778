"""What the catalog does when other domains' events arrive through the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog import stock
from shoppable.kit.outbox import Event


async def count_sales(session: AsyncSession, events: list[Event]) -> None:
    """``order.paid``: add the units sold to their products' sales counts (off the checkout's hot path, and
    one update per product per batch however many orders it sold in)."""
    units: dict[str, int] = {}
    for event in events:
        for line in event.payload["lines"]:
            units[line["product_id"]] = units.get(line["product_id"], 0) + int(line["quantity"])
    await stock.count_sales(session, units)
