"""Hypothesis: any sequence of orders, refunds, cancellations, shipping and completions keeps the books right.

Some purchases come through a creator's link under an 80 % shop plan. After every step: the ledger verifies; no
shop payable and no creator balance is negative; every commission is its half-even share of what was paid, less
what refunds took back; the creator's pending and available balances are exactly their commissions; no order has
refunded more than it took; stock plus units sold equals the stock the shop started with. Steps that are not
allowed at that point (cancelling a completed order, refunding more than is left) must be refused with a 4xx,
never a 500.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoppable.app import create_app
from shoppable.config import get_settings
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from shoppable.worker import Worker
from tests.conftest import DATABASE_URL
from tests.helpers import (
    attribution_cookie,
    become_creator,
    buy,
    click,
    link_for,
    list_product,
    open_plan,
    register,
    stock_of,
)

STOCK = 6
BPS = 8000  # the highest rate a plan may offer: the shop's payable must still never go negative

steps = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(0, 1), st.integers(1, 3), st.booleans()),
        st.tuples(st.just("refund"), st.integers(0, 7), st.integers(0, 1), st.integers(1, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 7), st.booleans()),
        st.tuples(st.just("ship"), st.integers(0, 7)),
        st.tuples(st.just("deliver"), st.integers(0, 7)),
        st.tuples(
            st.just("complete"),
        ),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(script=steps)
def test_any_sequence_keeps_the_books_right(migrated: None, script: list[tuple[Any, ...]]) -> None:
    asyncio.run(_play(script))


async def _play(script: list[tuple[Any, ...]]) -> None:
    database = Database(DATABASE_URL, pooled=False)
    app = create_app(get_settings(), database=database)
    worker = Worker(database, app.state.settings, app.state.payment_provider)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            listing = await list_product(client, (999, STOCK), (1, STOCK))
            seller, shop, product, variants = listing.seller, listing.shop, listing.product, listing.variant_ids
            await open_plan(client, seller, shop["id"], kind="shop", bps=BPS)
            creator = await register(client)
            await become_creator(client, creator)
            link = await link_for(client, creator, product["id"])
            cookie = attribution_cookie(await click(client, link["code"]))
            buyer = await register(client)
            orders: list[str] = []
            for step in script:
                response = await _step(client, worker, seller, buyer, variants, orders, step, cookie)
                if response is not None:
                    assert response.status_code < 500, response.text
                await _check(client, database, shop["id"], seller, product["id"], variants, orders)
                await _check_commissions(client, creator)
    finally:
        await database.dispose()


async def _step(
    client: httpx.AsyncClient,
    worker: Worker,
    seller: Any,
    buyer: Any,
    variants: list[str],
    orders: list[str],
    step: tuple[Any, ...],
    cookie: str,
) -> httpx.Response | None:
    kind = step[0]
    if kind == "buy":
        item = {"variant_id": variants[step[1]], "quantity": step[2]}
        response = await buy(client, buyer, [item], cookie=cookie if step[3] else None)
        if response.status_code == 201:
            orders.append(response.json()["orders"][0]["id"])
        return response
    if kind == "complete":
        await worker.run_once(now=utcnow() + timedelta(days=16))
        return None
    if not orders:
        return None
    order_id = orders[step[1] % len(orders)]
    path = f"/api/v1/orders/{order_id}"
    if kind == "refund":
        order = (await client.get(path, headers=seller.headers)).json()
        line = order["lines"][step[2] % len(order["lines"])]
        body = {"lines": [{"line_id": line["id"], "quantity": step[3]}], "reason": "hypothesis"}
        return await client.post(f"{path}/refunds", json=body, headers=seller.headers)
    if kind == "cancel":
        who = seller if step[2] else buyer
        return await client.post(f"{path}/cancel", json={}, headers=who.headers)
    if kind == "ship":
        body = {"carrier": "UPS", "tracking_number": "1Z"}
        return await client.post(f"{path}/ship", json=body, headers=seller.headers)
    return await client.post(f"{path}/deliver", json={}, headers=seller.headers)


async def _check(
    client: httpx.AsyncClient,
    database: Database,
    shop_id: str,
    seller: Any,
    product_id: str,
    variants: list[str],
    orders: list[str],
) -> None:
    refs = [accounts.shop_pending(shop_id, "USD").ref, accounts.shop_available(shop_id, "USD").ref]
    async with database.session(write=False) as session:
        assert await ledger.verify(session) == []
        owed = await ledger.balances(session, refs)
    assert all(-money.amount >= 0 for money in owed.values()), owed  # credit-normal: what the shop is owed
    held = {variant: 0 for variant in variants}
    for order_id in orders:
        order = (await client.get(f"/api/v1/orders/{order_id}", headers=seller.headers)).json()
        assert 0 <= order["refunded_total"] <= order["total"]
        for line in order["lines"]:
            assert 0 <= line["refunded_amount"] <= line["total"]
            held[line["variant_id"]] += line["quantity"]
    restocked = await _restocked(database, orders)
    for variant in variants:
        assert await stock_of(client, product_id, variant) + held[variant] - restocked.get(variant, 0) == STOCK


async def _check_commissions(client: httpx.AsyncClient, creator: Any) -> None:
    response = await client.get("/api/v1/creators/me/commissions", params={"limit": 200}, headers=creator.headers)
    items = response.json()["items"]
    balance = (await client.get("/api/v1/creators/me/balance", headers=creator.headers)).json()
    money = balance.get("USD", {"pending": 0, "available": 0})
    for item in items:
        assert item["earned"] == int(
            (Decimal(item["base"]) * BPS / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        )
        assert 0 <= item["amount"] <= item["earned"]
        assert item["amount"] == item["earned"] - item["reversed_amount"]
        if item["status"] == "reversed":
            assert item["amount"] == 0
    assert money["pending"] == sum(i["amount"] for i in items if i["status"] == "pending")
    assert money["available"] == sum(i["amount"] for i in items if i["status"] == "settled")


async def _restocked(database: Database, orders: list[str]) -> dict[str, int]:
    from sqlalchemy import func, select

    from shoppable.order.models import OrderLine

    if not orders:
        return {}
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(OrderLine.variant_id, func.sum(OrderLine.restocked_quantity))
            .where(OrderLine.order_id.in_(orders))
            .group_by(OrderLine.variant_id)
        )
        return {variant: int(total) for variant, total in rows}
