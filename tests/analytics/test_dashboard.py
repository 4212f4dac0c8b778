"""The dashboard's figures: days counted in the shop's time zone (DST too); and after a scripted set of orders,
a cancellation, refunds, a return and a completion, the 30-day GMV and net sales equal what the ledger booked for
the same orders, cancelled ones left out, another shop's orders never counted; the page shows the same figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import insert, select, update

from shoppable.affiliate.models import Commission
from shoppable.analytics import rollup
from shoppable.analytics.dashboard import shop_dashboard
from shoppable.analytics.rules import bucket_of, day_starts, on_buckets
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.ledger import service as ledger
from shoppable.order.models import Order
from shoppable.worker import Worker
from tests.helpers import bought, list_product, register
from tests.web.seller_helpers import HTML, attributed_order, page_seller


def test_day_starts_follow_the_zone_and_its_daylight_saving() -> None:
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    dates, bounds = day_starts(now, ZoneInfo("Asia/Tokyo"), 3)
    assert [d.isoformat() for d in dates] == ["2026-10-31", "2026-11-01", "2026-11-02"]
    assert bounds[0] == datetime(2026, 10, 30, 15, 0, tzinfo=UTC)  # midnight in Tokyo
    assert len(bounds) == 4
    _, new_york = day_starts(now, ZoneInfo("America/New_York"), 2)
    assert new_york[1] - new_york[0] == timedelta(hours=25)  # 1 November 2026: clocks go back


async def _ledger_figures(database: Database, kept: list[str], refund_ids: list[str]) -> tuple[int, int]:
    """(what the ledger booked as captured for these orders, what it booked as refunded by these refunds)."""
    async with database.session(write=False) as session:
        captured = await ledger.transactions_about(session, kept)
        refunded = await ledger.transactions_about(session, refund_ids)

    def shop_side(transactions: list[dict[str, Any]], kind: str) -> int:
        return sum(
            -int(entry["amount"]) if kind == "order.capture" else int(entry["amount"])
            for txn in transactions
            if txn["kind"] == kind
            for entry in txn["entries"]
            if str(entry["account"]).startswith("shop:")
        )

    return shop_side(captured, "order.capture"), shop_side(refunded, "order.refund")


async def test_thirty_day_gmv_and_net_sales_equal_the_ledger(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    seller = await page_seller(client)
    headers = seller.account.headers
    a, _, _ = await attributed_order(client, seller, quantity=2, price=2500)
    b, _, buyer_b = await attributed_order(client, seller, quantity=3, price=1000)
    c, _, _ = await attributed_order(client, seller, quantity=1, price=9900)
    d, _, buyer_d = await attributed_order(client, seller, quantity=1, price=4000)
    refund_ids = []
    # a: shipped, delivered and completed (its return window closed): the money settles
    for step, body in (("ship", {"carrier": "UPS", "tracking_number": "T1"}), ("deliver", None)):
        assert (await client.post(f"/api/v1/orders/{a['id']}/{step}", json=body, headers=headers)).status_code == 200
    # b: one of its three units refunded
    refund = await client.post(
        f"/api/v1/orders/{b['id']}/refunds",
        json={"lines": [{"line_id": b["lines"][0]["id"], "quantity": 1}], "reason": "scratched"},
        headers=headers,
    )
    assert refund.status_code == 201, refund.text
    refund_ids.append(refund.json()["id"])
    # c: cancelled by the shop: out of GMV
    assert (await client.post(f"/api/v1/orders/{c['id']}/cancel", json={}, headers=headers)).status_code == 200
    # d: delivered, returned and the return approved
    for step, body in (("ship", {"carrier": "UPS", "tracking_number": "T2"}), ("deliver", None)):
        assert (await client.post(f"/api/v1/orders/{d['id']}/{step}", json=body, headers=headers)).status_code == 200
    asked = await client.post(
        f"/api/v1/orders/{d['id']}/returns",
        json={"lines": [{"line_id": d["lines"][0]["id"], "quantity": 1}], "reason": "too big"},
        headers=buyer_d.headers,
    )
    approved = await client.post(f"/api/v1/returns/{asked.json()['id']}/approve", headers=headers)
    assert approved.status_code == 200, approved.text
    refund_ids.append(approved.json()["refund_id"])
    # another shop's sale never counts
    other = await list_product(client, (7000, 3))
    await bought(client, await register(client), other.variant_ids[0])
    async with database.session() as session:
        await session.execute(
            update(Order).where(Order.id == a["id"]).values(return_window_ends_at=utcnow() - timedelta(seconds=1))
        )
    from shoppable.order.lifecycle import complete_due

    assert await complete_due(database) >= 1

    gmv_booked, refunds_booked = await _ledger_figures(database, [a["id"], b["id"], d["id"]], refund_ids)
    assert (gmv_booked, refunds_booked) == (5000 + 3000 + 4000, 1000 + 4000)
    # the worker hands the order events to analytics, which recomputes the rollups the dashboard reads
    worker = Worker(database, app.state.settings, app.state.payment_provider)
    assert await worker.dispatch() > 0
    now = utcnow()
    async with database.session(write=False) as session:
        figures = await shop_dashboard(session, seller.shop["id"], currency="USD", time_zone="UTC", now=now)
        from_orders = await shop_dashboard(
            session, seller.shop["id"], currency="USD", time_zone="UTC", now=now, from_rollup=False
        )
    assert figures == from_orders  # the rollups say what the orders say
    assert figures.month.gmv == gmv_booked
    assert figures.month.net_sales == gmv_booked - refunds_booked
    assert (figures.month.orders, figures.month.units) == (3, 6)
    async with database.session(write=False) as session:
        paid = dict(
            (
                await session.execute(select(Order.id, Order.paid_at).where(Order.id.in_([a["id"], b["id"], d["id"]])))
            ).all()
        )
    today = {a["id"]: 5000, b["id"]: 3000, d["id"]: 4000}
    assert figures.today.gmv == sum(g for i, g in today.items() if paid[i].date() == now.date())  # days in UTC
    assert sum(day.gmv for day in figures.days) == gmv_booked
    assert len(figures.days) == 30
    assert figures.to_ship == 1  # b: paid, not shipped
    assert figures.returns_waiting == 0
    # each order credits its own creator: the cancelled one's is out, refunds are not subtracted, biggest first
    assert [creator.gmv for creator in figures.top_creators] == [5000, 4000, 3000]
    assert [item.kind for item in figures.top_content] == ["link", "link", "link"]

    page = await client.get(seller.base, headers=HTML)
    assert page.status_code == 200
    assert re.search(r'data-figure="month_gmv">\$120\.00<', page.text)
    assert re.search(r'data-figure="month_net_sales">\$70\.00<', page.text)
    assert re.search(r'data-figure="to_ship">1<', page.text)
    assert 'role="img"' in page.text
    assert "The numbers, day by day" in page.text


async def test_a_day_is_the_shop_s_local_day(client: httpx.AsyncClient, database: Database) -> None:
    seller = await page_seller(client)
    order, _, _ = await attributed_order(client, seller, quantity=1, price=1000)
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 08:30 on 2 December in Tokyo
    async with database.session() as session:
        await session.execute(update(Order).where(Order.id == order["id"]).values(paid_at=late))
        assert await rollup.rebuild(session, seller.shop["id"]) == 1  # the backfill after a change by hand
        now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
        for from_rollup in (True, False):
            in_utc = await shop_dashboard(
                session, seller.shop["id"], currency="USD", time_zone="UTC", now=now, from_rollup=from_rollup
            )
            in_tokyo = await shop_dashboard(
                session, seller.shop["id"], currency="USD", time_zone="Asia/Tokyo", now=now, from_rollup=from_rollup
            )
            assert (in_utc.today.gmv, in_utc.days[-2].gmv) == (0, 1000)
            assert (in_tokyo.today.gmv, in_tokyo.today.orders, in_tokyo.days[-2].gmv) == (1000, 1, 0)
            assert in_tokyo.month.gmv == in_utc.month.gmv == 1000
            assert in_tokyo.days[-1].day.isoformat() == "2026-12-02"


def test_every_zone_s_days_start_on_quarter_hours_today_so_the_rollups_answer() -> None:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    for name in ("UTC", "Asia/Tokyo", "Asia/Kathmandu", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"):
        assert on_buckets(day_starts(now, ZoneInfo(name), 30)[1]), name
    # Kathmandu kept UTC+5:41:16 in 1900: such days are not on quarter hours, so the orders are read instead
    assert not on_buckets(day_starts(datetime(1900, 1, 15, 12, 0, tzinfo=UTC), ZoneInfo("Asia/Kathmandu"), 2)[1])
    assert bucket_of(datetime(2026, 12, 1, 23, 44, 59, 999999, tzinfo=UTC)) == datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


async def test_an_empty_shop_says_how_to_start(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    page = await client.get(seller.base, headers=HTML)
    assert "Get your first sale" in page.text
    assert "No sales in the last 30 days yet" in page.text


async def test_the_rollups_equal_the_orders_over_whole_days_edges_and_several_credits(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Orders at the 30 days' first edge, in the middle and today, one of them credited to its creator twice
    (a second line through a video): the rollups' day rows and quarter hours give what the orders give, in zones
    whose days start at several hours of UTC, and the creator's order is counted once."""
    seller = await page_seller(client)
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    placed = [await attributed_order(client, seller, quantity=2, price=1500) for _ in range(3)]
    paid_at = [now - timedelta(days=29, hours=9, minutes=30), now - timedelta(days=12, hours=3), now]
    async with database.session() as session:
        for (order, _, _), at in zip(placed, paid_at, strict=True):
            await session.execute(update(Order).where(Order.id == order["id"]).values(paid_at=at))
        (first,) = (await session.scalars(select(Commission).where(Commission.order_id == placed[1][0]["id"]))).all()
        second = {column.key: getattr(first, column.key) for column in Commission.__table__.columns}
        second |= {"id": "com_test_" + first.id, "line_id": "lin_test_" + first.line_id, "base": 700}
        second |= {"source_type": "video", "source_id": "vid_test_none"}
        await session.execute(insert(Commission).values(**second))
        assert await rollup.rebuild(session, seller.shop["id"]) == 3
        for zone in ("UTC", "Asia/Tokyo", "America/New_York", "Asia/Kathmandu"):
            kwargs: dict[str, Any] = {"currency": "USD", "time_zone": zone, "now": now}
            rolled = await shop_dashboard(session, seller.shop["id"], from_rollup=True, **kwargs)
            assert rolled == await shop_dashboard(session, seller.shop["id"], from_rollup=False, **kwargs), zone
        in_utc = await shop_dashboard(session, seller.shop["id"], currency="USD", time_zone="UTC", now=now)
    assert (in_utc.month.orders, in_utc.today.orders) == (3, 1)
    creator = next(c for c in in_utc.top_creators if c.creator_id == first.creator_id)
    assert (creator.gmv, creator.orders) == (3000 + 700, 1)
    assert sorted(item.kind for item in in_utc.top_content) == ["link", "link", "link", "video"]
