"""What analytics does when order events arrive through the outbox: the quarter hours they touch are
recomputed in the dashboard's rollups (the only tables analytics writes)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.analytics import rollup
from shoppable.kit.outbox import Event

TOPICS = ("order.paid", "order.cancelled", "order.refunded")
"""The events that change what a paid order counts for: paid, cancelled (out of GMV), refunded (net sales)."""


async def count_orders(session: AsyncSession, events: list[Event]) -> None:
    """``order.paid``, ``order.cancelled``, ``order.refunded``: recompute the quarter hours those orders were paid
    in, once each however many events of the batch fall in them."""
    await rollup.refresh_orders(session, (str(event.payload["order_id"]) for event in events))
