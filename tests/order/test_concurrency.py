"""Nothing oversold, nothing bought twice: many concurrent buyers against real stock rows.

On PostgreSQL the requests truly overlap (a pool of connections); on SQLite writers queue on the database
lock, and the same invariants must hold.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select

from shoppable.kit.db import Database
from shoppable.ledger import service as ledger
from shoppable.order.models import Order, OrderLine
from tests.helpers import Account, buy, list_product, register, stock_of, unique


async def _variants(client: httpx.AsyncClient, *stocks: int) -> tuple[str, list[str]]:
    listing = await list_product(client, *((1500, stock) for stock in stocks))
    return listing.product["id"], listing.variant_ids


async def _paid_units(database: Database, variant_id: str) -> int:
    async with database.session(write=False) as session:
        units = await session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.variant_id == variant_id, Order.status == "paid")
        )
    return int(units or 0)


async def _verified(database: Database) -> None:
    async with database.session(write=False) as session:
        assert await ledger.verify(session) == []


async def test_a_hundred_buyers_for_ten_units(client: httpx.AsyncClient, database: Database) -> None:
    product_id, (variant,) = await _variants(client, 10)
    buyers = await asyncio.gather(*(register(client) for _ in range(100)))
    responses = await asyncio.gather(*(buy(client, b, [{"variant_id": variant, "quantity": 1}]) for b in buyers))
    outcomes = Counter((r.status_code, r.json().get("code")) for r in responses)
    assert outcomes == {(201, None): 10, (409, "out_of_stock"): 90}, outcomes
    assert await stock_of(client, product_id, variant) == 0
    assert await _paid_units(database, variant) == 10
    await _verified(database)


async def test_the_last_unit_of_two_variants_in_one_order(client: httpx.AsyncClient, database: Database) -> None:
    """Orders naming the same two variants in opposite orders: locks in id order, so no deadlock; exactly
    one buyer gets both last units, and no one gets only one of them."""
    product_id, (first, second) = await _variants(client, 1, 1)
    buyers = await asyncio.gather(*(register(client) for _ in range(20)))

    async def attempt(n: int, buyer: Account) -> httpx.Response:
        pair = [{"variant_id": first, "quantity": 1}, {"variant_id": second, "quantity": 1}]
        return await buy(client, buyer, pair if n % 2 else pair[::-1])

    responses = await asyncio.gather(*(attempt(n, b) for n, b in enumerate(buyers)))
    outcomes = Counter((r.status_code, r.json().get("code")) for r in responses)
    assert outcomes == {(201, None): 1, (409, "out_of_stock"): 19}, outcomes
    assert await stock_of(client, product_id, first) == 0
    assert await stock_of(client, product_id, second) == 0
    assert await _paid_units(database, first) == await _paid_units(database, second) == 1
    await _verified(database)


async def test_twenty_retries_with_one_key_make_one_order(client: httpx.AsyncClient, database: Database) -> None:
    product_id, (variant,) = await _variants(client, 50)
    buyer = await register(client)
    key = unique("key")
    responses = await asyncio.gather(
        *(buy(client, buyer, [{"variant_id": variant, "quantity": 2}], key=key) for _ in range(20))
    )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["orders"][0]["id"] for r in responses}) == 1
    assert await stock_of(client, product_id, variant) == 48
    assert await _paid_units(database, variant) == 2
    await _verified(database)


async def test_concurrent_refunds_never_return_more_than_was_paid(
    client: httpx.AsyncClient, database: Database
) -> None:
    listing = await list_product(client, (1001, 10))
    seller, product = listing.seller, listing.product
    buyer = await register(client)
    response = await buy(client, buyer, [{"variant_id": product["variants"][0]["id"], "quantity": 3}])
    order = response.json()["orders"][0]
    line = order["lines"][0]["id"]

    async def refund_one() -> httpx.Response:
        return await client.post(
            f"/api/v1/orders/{order['id']}/refunds",
            json={"lines": [{"line_id": line, "quantity": 1}], "reason": "race"},
            headers=seller.headers,
        )

    responses = await asyncio.gather(*(refund_one() for _ in range(12)))
    outcomes = Counter((r.status_code, r.json().get("code")) for r in responses)
    assert outcomes == {(201, None): 3, (422, "refund_exceeds_line"): 9}, outcomes
    assert [r.json()["amount"] for r in responses if r.status_code == 201] == [1001, 1001, 1001]
    final = (await client.get(f"/api/v1/orders/{order['id']}", headers=seller.headers)).json()
    assert (final["refunded_total"], final["refund_status"], final["payment"]["status"]) == (3003, "full", "refunded")
    await _verified(database)
