"""The dashboard's rollups kept in step with the orders: a quarter hour of a shop's sales is recomputed from the
orders, lines and commissions paid in it (read through queries, as everything analytics reads) and written over
its rollup rows. Recomputing rather than adding makes an event handled twice, or out of order, harmless; the
only tables written are analytics' own. Workers recomputing one shop take turns (a transaction-long lock)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import String, and_, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate.models import Commission
from shoppable.analytics.models import ShopCredits, ShopSales
from shoppable.analytics.rules import BUCKET, DAY, bucket_of, day_of
from shoppable.kit.db import UTCDateTime
from shoppable.order.models import Order, OrderLine

CHUNK = 1000


async def refresh(session: AsyncSession, shop_id: str, start: datetime, end: datetime) -> int:
    """Recompute the shop's rollups for the quarter hours in [start, end) (both on quarter hours); how many of
    its orders were counted."""
    if session.get_bind().dialect.name == "postgresql":
        # Two workers recomputing one shop's quarter hours take turns (SQLite has one writer at a time anyway).
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"analytics:{shop_id}"))))
    counted = and_(Order.shop_id == shop_id, Order.paid_at >= start, Order.paid_at < end, Order.status != "cancelled")
    orders = list(
        await session.execute(
            select(
                Order.id, Order.paid_at, Order.currency, Order.total - Order.shipping_total, Order.refunded_total
            ).where(counted)
        )
    )
    units = dict(
        (
            await session.execute(
                select(OrderLine.order_id, func.sum(OrderLine.quantity))
                .join(Order, Order.id == OrderLine.order_id)
                .where(counted)
                .group_by(OrderLine.order_id)
            )
        ).all()
    )
    credits = list(
        await session.execute(
            select(
                Commission.order_id,
                Commission.currency,
                Commission.creator_id,
                Commission.source_type,
                Commission.source_id,
                Commission.base,
            )
            .join(Order, Order.id == Commission.order_id)
            .where(counted, Commission.shop_id == shop_id)
        )
    )
    bucket_by_order: dict[str, datetime] = {}
    sales: dict[tuple[datetime, str], list[int]] = {}
    for order_id, paid_at, currency, gmv, refunded in orders:
        assert paid_at is not None  # counted orders were paid
        bucket = bucket_of(paid_at)
        bucket_by_order[order_id] = bucket
        row = sales.setdefault((bucket, currency), [0, 0, 0, 0])
        row[0] += 1
        row[1] += int(gmv)
        row[2] += int(refunded)
        row[3] += int(units.get(order_id) or 0)
    by_source: dict[tuple[datetime, str, str, str, str], tuple[list[int], set[str]]] = {}
    for order_id, currency, creator_id, source_type, source_id, base in credits:
        bucket = bucket_by_order[order_id]
        # the content's row, and the creator's own (all its content: an order counted once however credited)
        for key in ((bucket, currency, creator_id, source_type, source_id), (bucket, currency, creator_id, "", "")):
            total, order_ids = by_source.setdefault(key, ([0], set()))
            total[0] += int(base)
            order_ids.add(order_id)
    await session.execute(
        delete(ShopSales).where(ShopSales.shop_id == shop_id, ShopSales.bucket >= start, ShopSales.bucket < end)
    )
    await session.execute(
        delete(ShopCredits).where(
            ShopCredits.shop_id == shop_id,
            ShopCredits.span == "q",
            ShopCredits.bucket >= start,
            ShopCredits.bucket < end,
        )
    )
    sales_rows = [
        {"shop_id": shop_id, "bucket": b, "currency": c, "orders": n, "gmv": g, "refunded": r, "units": u}
        for (b, c), (n, g, r, u) in sales.items()
    ]
    credit_rows = [
        {
            "shop_id": shop_id,
            "span": "q",
            "bucket": b,
            "currency": c,
            "creator_id": creator_id,
            "source_type": source_type,
            "source_id": source_id,
            "gmv": total[0],
            "orders": len(order_ids),
        }
        for (b, c, creator_id, source_type, source_id), (total, order_ids) in by_source.items()
    ]
    for table, rows in ((ShopSales, sales_rows), (ShopCredits, credit_rows)):
        for i in range(0, len(rows), CHUNK):
            await session.execute(insert(table), rows[i : i + CHUNK])
    day = day_of(start)
    while day < end:
        await _sum_day(session, shop_id, day)
        day += DAY
    return len(orders)


async def _sum_day(session: AsyncSession, shop_id: str, day: datetime) -> None:
    """The shop's credits of one UTC day, summed from its quarter hours (analytics' own rows)."""
    await session.execute(
        delete(ShopCredits).where(ShopCredits.shop_id == shop_id, ShopCredits.span == "d", ShopCredits.bucket == day)
    )
    quarters = (
        select(
            ShopCredits.shop_id,
            literal("d", String(1)),
            literal(day, UTCDateTime()),
            ShopCredits.currency,
            ShopCredits.creator_id,
            ShopCredits.source_type,
            ShopCredits.source_id,
            func.sum(ShopCredits.gmv),
            func.sum(ShopCredits.orders),
        )
        .where(
            ShopCredits.shop_id == shop_id,
            ShopCredits.span == "q",
            ShopCredits.bucket >= day,
            ShopCredits.bucket < day + DAY,
        )
        .group_by(
            ShopCredits.shop_id,
            ShopCredits.currency,
            ShopCredits.creator_id,
            ShopCredits.source_type,
            ShopCredits.source_id,
        )
    )
    columns = ["shop_id", "span", "bucket", "currency", "creator_id", "source_type", "source_id", "gmv", "orders"]
    await session.execute(insert(ShopCredits).from_select(columns, quarters))


async def refresh_orders(session: AsyncSession, order_ids: Iterable[str]) -> int:
    """Recompute the quarter hours the given orders were paid in (unpaid ones have none); how many."""
    ids = sorted(set(order_ids))
    buckets: set[tuple[str, datetime]] = set()
    for i in range(0, len(ids), CHUNK):
        rows = await session.execute(
            select(Order.shop_id, Order.paid_at).where(Order.id.in_(ids[i : i + CHUNK]), Order.paid_at.is_not(None))
        )
        buckets |= {(shop_id, bucket_of(paid_at)) for shop_id, paid_at in rows if paid_at is not None}
    for shop_id, bucket in sorted(buckets):
        await refresh(session, shop_id, bucket, bucket + BUCKET)
    return len(buckets)


async def rebuild(session: AsyncSession, shop_id: str, *, step: timedelta = timedelta(days=1)) -> int:
    """Recompute all of a shop's rollups from its orders, a day at a time (a backfill); how many orders."""
    first, last = (
        await session.execute(select(func.min(Order.paid_at), func.max(Order.paid_at)).where(Order.shop_id == shop_id))
    ).one()
    await session.execute(delete(ShopSales).where(ShopSales.shop_id == shop_id))
    await session.execute(delete(ShopCredits).where(ShopCredits.shop_id == shop_id))
    if first is None or last is None:
        return 0
    counted = 0
    start = bucket_of(first)
    while start <= last:
        counted += await refresh(session, shop_id, start, start + step)
        start += step
    return counted
