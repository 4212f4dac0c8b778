"""A shop's dashboard: GMV, net sales, orders and units today and over 30 days, the 30 days one by one, what
waits for the shop (orders to ship, returns to decide), and the creators and content that sold most.

GMV is what buyers paid for the lines of paid orders (an order's total less its shipping; no tax is charged),
counted on the local day of payment in the shop's time zone, cancelled orders left out and refunds not
subtracted; net sales is GMV less what was refunded of those lines. Attribution comes from the commissions: one
per credited line, with the creator, the content that drove it and the line's paid amount.

The figures are read from the rollups (`analytics.models`: a shop's sales per quarter hour, kept by the outbox
subscriber in `analytics.tasks`, so as fresh as the worker's last poll); the same figures computed from the
orders themselves (``from_rollup=False``, and for a day that does not start on a quarter hour) are the check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate.models import Commission, Link
from shoppable.analytics.models import ShopCredits, ShopSales
from shoppable.analytics.rules import day_starts, on_buckets, split_days, zone_of
from shoppable.catalog.models import Product
from shoppable.content.models import Collection, Video
from shoppable.identity.models import Creator
from shoppable.live.models import Live
from shoppable.order.models import Order, OrderLine, ReturnRequest

DAYS = 30
TOP = 5
# A creator's own credit rows, named by a literal so PostgreSQL picks their partial index.
CREATOR_ROWS: ColumnElement[str] = literal_column("''")


@dataclass(frozen=True, slots=True)
class Totals:
    gmv: int
    net_sales: int
    orders: int
    units: int


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    gmv: int
    orders: int


@dataclass(frozen=True, slots=True)
class TopCreator:
    creator_id: str
    handle: str
    gmv: int
    orders: int


@dataclass(frozen=True, slots=True)
class TopContent:
    kind: str  # video, live, showcase, link
    source_id: str
    label: str
    gmv: int
    orders: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    currency: str
    today: Totals
    month: Totals
    days: list[Day]
    to_ship: int
    returns_waiting: int
    top_creators: list[TopCreator]
    top_content: list[TopContent]

    @property
    def is_empty(self) -> bool:
        return self.month.orders == 0 and self.to_ship == 0 and self.returns_waiting == 0


def _counted(shop_id: str, start: datetime, end: datetime) -> Any:
    return and_(
        Order.shop_id == shop_id,
        Order.paid_at >= start,
        Order.paid_at < end,
        Order.status != "cancelled",
    )


async def shop_dashboard(
    session: AsyncSession,
    shop_id: str,
    *,
    currency: str,
    time_zone: str | None,
    now: datetime,
    from_rollup: bool | None = None,
) -> Dashboard:
    """The dashboard as of ``now``: from the rollups unless ``from_rollup`` is False (or the zone's days do not
    start on quarter hours), else from the orders themselves."""
    dates, bounds = day_starts(now, zone_of(time_zone), DAYS)
    start, end = bounds[0], bounds[-1]
    if from_rollup is None:
        from_rollup = on_buckets(bounds)
    if from_rollup:
        by_day, units, top_creators, top_content = await _from_rollup(session, shop_id, currency, bounds)
    else:
        by_day, units = await _from_orders(session, shop_id, currency, bounds)
        top_creators = await _top_creators(session, shop_id, currency, start, end)
        top_content = await _top_content(session, shop_id, currency, start, end)
    days = [Day(d, by_day.get(i, (0, 0, 0))[1], by_day.get(i, (0, 0, 0))[0]) for i, d in enumerate(dates)]
    today_n, today_gmv, today_refunded = by_day.get(DAYS - 1, (0, 0, 0))
    month_n = sum(n for n, _, _ in by_day.values())
    month_gmv = sum(g for _, g, _ in by_day.values())
    month_refunded = sum(r for _, _, r in by_day.values())
    return Dashboard(
        currency=currency,
        today=Totals(today_gmv, today_gmv - today_refunded, today_n, units.get(1, 0)),
        month=Totals(month_gmv, month_gmv - month_refunded, month_n, units.get(0, 0) + units.get(1, 0)),
        days=days,
        to_ship=int(
            await session.scalar(
                select(func.count()).select_from(Order).where(Order.shop_id == shop_id, Order.status == "paid")
            )
            or 0
        ),
        returns_waiting=int(
            await session.scalar(
                select(func.count())
                .select_from(ReturnRequest)
                .where(ReturnRequest.shop_id == shop_id, ReturnRequest.status == "requested")
            )
            or 0
        ),
        top_creators=top_creators,
        top_content=top_content,
    )


ByDay = dict[int, tuple[int, int, int]]  # day index: (orders, GMV, refunded)
Units = dict[int, int]  # 1: today's units, 0: the other days'


async def _from_rollup(
    session: AsyncSession, shop_id: str, currency: str, bounds: list[datetime]
) -> tuple[ByDay, Units, list[TopCreator], list[TopContent]]:
    start, end = bounds[0], bounds[-1]
    day_of = case(*((ShopSales.bucket < bound, i) for i, bound in enumerate(bounds[1:])), else_=DAYS)
    rows = await session.execute(
        select(
            day_of.label("day"),
            func.sum(ShopSales.orders),
            func.sum(ShopSales.gmv),
            func.sum(ShopSales.refunded),
            func.sum(ShopSales.units),
        )
        .where(
            ShopSales.shop_id == shop_id,
            ShopSales.currency == currency,
            ShopSales.bucket >= start,
            ShopSales.bucket < end,
        )
        .group_by("day")
    )
    by_day: ByDay = {}
    units: Units = {}
    for i, n, gmv, refunded, sold in rows:
        by_day[int(i)] = (int(n or 0), int(gmv or 0), int(refunded or 0))
        key = 1 if int(i) == DAYS - 1 else 0
        units[key] = units.get(key, 0) + int(sold or 0)
    first, last = split_days(start, end)  # whole UTC days read from day rows, the edges from quarter hours
    in_range = and_(
        ShopCredits.shop_id == shop_id,
        ShopCredits.currency == currency,
        or_(
            and_(ShopCredits.span == "d", ShopCredits.bucket >= first, ShopCredits.bucket < last),
            and_(ShopCredits.span == "q", ShopCredits.bucket >= start, ShopCredits.bucket < first),
            and_(ShopCredits.span == "q", ShopCredits.bucket >= last, ShopCredits.bucket < end),
        ),
    )
    gmv = func.sum(ShopCredits.gmv)
    creators = list(
        await session.execute(
            select(ShopCredits.creator_id, gmv, func.sum(ShopCredits.orders))
            .where(in_range, ShopCredits.source_type == CREATOR_ROWS)
            .group_by(ShopCredits.creator_id)
            .order_by(gmv.desc(), ShopCredits.creator_id)
            .limit(TOP)
        )
    )
    content = list(
        await session.execute(
            select(
                ShopCredits.source_type,
                ShopCredits.source_id,
                ShopCredits.creator_id,
                gmv,
                func.sum(ShopCredits.orders),
            )
            .where(in_range, ShopCredits.source_type != CREATOR_ROWS)
            .group_by(ShopCredits.source_type, ShopCredits.source_id, ShopCredits.creator_id)
            .order_by(gmv.desc(), ShopCredits.source_type, ShopCredits.source_id)
            .limit(TOP)
        )
    )
    return by_day, units, await _creators(session, creators), await _content(session, content)


async def _from_orders(
    session: AsyncSession, shop_id: str, currency: str, bounds: list[datetime]
) -> tuple[ByDay, Units]:
    start, end = bounds[0], bounds[-1]
    day_of = case(*((Order.paid_at < bound, i) for i, bound in enumerate(bounds[1:])), else_=DAYS)
    paid = Order.total - Order.shipping_total
    rows = await session.execute(
        select(day_of.label("day"), func.count(), func.sum(paid), func.sum(Order.refunded_total))
        .where(_counted(shop_id, start, end), Order.currency == currency)
        .group_by("day")
    )
    by_day = {int(i): (int(n), int(gmv or 0), int(refunded or 0)) for i, n, gmv, refunded in rows}
    units_rows = await session.execute(
        select(case((Order.paid_at >= bounds[-2], 1), else_=0).label("is_today"), func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(_counted(shop_id, start, end), Order.currency == currency)
        .group_by("is_today")
    )
    units = {int(is_today): int(n or 0) for is_today, n in units_rows}
    return by_day, units


def _credited(shop_id: str, currency: str, start: datetime, end: datetime) -> Any:
    """Commissions of the counted orders: one per credited line."""
    return and_(
        Commission.shop_id == shop_id,
        Commission.currency == currency,
        Commission.order_id.in_(select(Order.id).where(_counted(shop_id, start, end))),
    )


async def _top_creators(
    session: AsyncSession, shop_id: str, currency: str, start: datetime, end: datetime
) -> list[TopCreator]:
    gmv = func.sum(Commission.base)
    rows = list(
        await session.execute(
            select(Commission.creator_id, gmv, func.count(func.distinct(Commission.order_id)))
            .where(_credited(shop_id, currency, start, end))
            .group_by(Commission.creator_id)
            .order_by(gmv.desc(), Commission.creator_id)
            .limit(TOP)
        )
    )
    return await _creators(session, rows)


async def _creators(session: AsyncSession, rows: list[Any]) -> list[TopCreator]:
    handles = dict(
        (await session.execute(select(Creator.id, Creator.handle).where(Creator.id.in_([r[0] for r in rows])))).all()
    )
    return [TopCreator(creator_id, handles.get(creator_id, "?"), int(g), int(n)) for creator_id, g, n in rows]


async def _top_content(
    session: AsyncSession, shop_id: str, currency: str, start: datetime, end: datetime
) -> list[TopContent]:
    gmv = func.sum(Commission.base)
    rows = list(
        await session.execute(
            select(
                Commission.source_type,
                Commission.source_id,
                Commission.creator_id,
                gmv,
                func.count(func.distinct(Commission.order_id)),
            )
            .where(_credited(shop_id, currency, start, end))
            .group_by(Commission.source_type, Commission.source_id, Commission.creator_id)
            .order_by(gmv.desc(), Commission.source_type, Commission.source_id)
            .limit(TOP)
        )
    )
    return await _content(session, rows)


async def _content(session: AsyncSession, rows: list[Any]) -> list[TopContent]:
    return [
        TopContent(kind, source_id, label, int(g), int(n))
        for (kind, source_id, _, g, n), label in zip(rows, await _labels(session, rows), strict=True)
    ]


async def _labels(session: AsyncSession, rows: list[Any]) -> list[str]:
    """What a person calls each piece of content: a video's or live's title, whose showcase or link it is."""
    ids = {kind: [r[1] for r in rows if r[0] == kind] for kind in ("video", "live", "showcase", "link")}
    videos = dict((await session.execute(select(Video.id, Video.title).where(Video.id.in_(ids["video"])))).all())
    lives = dict((await session.execute(select(Live.id, Live.title).where(Live.id.in_(ids["live"])))).all())
    collections = dict(
        (await session.execute(select(Collection.id, Collection.title).where(Collection.id.in_(ids["showcase"])))).all()
    )
    handles = dict(
        (await session.execute(select(Creator.id, Creator.handle).where(Creator.id.in_([r[2] for r in rows])))).all()
    )
    linked = dict(
        (
            await session.execute(
                select(Link.id, Product.title)
                .join(Product, Product.id == Link.product_id)
                .where(Link.id.in_(ids["link"]))
            )
        ).all()
    )
    labels = []
    for kind, source_id, creator_id, _, _ in rows:
        who = f"@{handles.get(creator_id, '?')}"
        if kind == "video":
            labels.append(f"{videos.get(source_id, 'A video')} ({who})")
        elif kind == "live":
            labels.append(f"{lives.get(source_id, 'A live')} ({who})")
        elif kind == "showcase":
            labels.append(
                f"{collections[source_id]} ({who}'s collection)" if source_id in collections else f"{who}'s showcase"
            )
        elif source_id in linked:
            labels.append(f"{who}'s link to {linked[source_id]}")
        else:
            labels.append(f"{who}'s link")
    return labels
