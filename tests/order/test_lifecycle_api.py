"""After the sale, through HTTP: ship, deliver, cancel, refund, return; who may do what; the timed jobs."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from shoppable.identity.rules import Principal
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.kit.money import Money
from shoppable.kit.outbox import events_for
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from shoppable.order import checkout
from shoppable.order.rules import Item
from shoppable.payment.provider import Authorization
from shoppable.payment.test_provider import TestPaymentProvider
from shoppable.worker import Worker
from tests.helpers import (
    ADDRESS,
    Account,
    add_staff,
    bought,
    buy,
    create_product,
    create_shop,
    list_product,
    register,
    run_shoppable,
    stock_of,
    unique,
)


@pytest.fixture
async def sale(client: httpx.AsyncClient) -> dict[str, object]:
    listing = await list_product(client, (1000, 10), (333, 10))
    seller, shop, product = listing.seller, listing.shop, listing.product
    buyer = await register(client)
    variants = [v["id"] for v in product["variants"]]
    response = await buy(
        client, buyer, [{"variant_id": variants[0], "quantity": 2}, {"variant_id": variants[1], "quantity": 3}]
    )
    assert response.status_code == 201, response.text
    (order,) = response.json()["orders"]
    return {"seller": seller, "shop": shop, "product": product, "buyer": buyer, "order": order, "variants": variants}


def _worker(app: FastAPI, database: Database) -> Worker:
    return Worker(database, app.state.settings, app.state.payment_provider)


async def _post(client: httpx.AsyncClient, path: str, who: Account, body: object = None) -> httpx.Response:
    return await client.post(path, json=body if body is not None else {}, headers=who.headers)


async def _balances(database: Database, shop_id: str) -> tuple[int, int]:
    pending, available = accounts.shop_pending(shop_id, "USD").ref, accounts.shop_available(shop_id, "USD").ref
    async with database.session(write=False) as session:
        found = await ledger.balances(session, [pending, available])
    return -found[pending].amount, -found[available].amount


async def test_ship_deliver_complete_settles_the_shop(
    client: httpx.AsyncClient, app: FastAPI, database: Database, sale: dict
) -> None:
    seller, buyer, order = sale["seller"], sale["buyer"], sale["order"]
    oid = order["id"]
    assert order["total"] == 2999
    fee = 120 + 60  # 6 % of 2000, and of 999 rounded half-even
    assert await _balances(database, sale["shop"]["id"]) == (2999 - fee, 0)
    shipped = await _post(client, f"/api/v1/orders/{oid}/ship", seller, {"carrier": "UPS", "tracking_number": "1Z9"})
    assert shipped.status_code == 200, shipped.text
    assert (shipped.json()["status"], shipped.json()["carrier"], shipped.json()["tracking_number"]) == (
        "shipped",
        "UPS",
        "1Z9",
    )
    delivered = await _post(client, f"/api/v1/orders/{oid}/deliver", seller)
    assert delivered.json()["status"] == "delivered"
    assert delivered.json()["return_window_ends_at"] is not None
    worker = _worker(app, database)
    await worker.run_once()
    assert (await client.get(f"/api/v1/orders/{oid}", headers=buyer.headers)).json()["status"] == "delivered"
    later = utcnow() + timedelta(days=16)
    await worker.run_once(now=later)
    final = (await client.get(f"/api/v1/orders/{oid}", headers=buyer.headers)).json()
    assert final["status"] == "completed"
    assert [e["event"] for e in final["timeline"]] == ["created", "paid", "shipped", "delivered", "completed"]
    assert await _balances(database, sale["shop"]["id"]) == (0, 2999 - fee)
    async with database.session(write=False) as session:
        topics = [event.topic for event in await events_for(session, oid)]
        assert await ledger.verify(session) == []
    assert topics == ["order.created", "order.paid", "order.shipped", "order.delivered", "order.completed"]


async def test_who_may_do_what(client: httpx.AsyncClient, sale: dict) -> None:
    seller, buyer, order, shop = sale["seller"], sale["buyer"], sale["order"], sale["shop"]
    oid = order["id"]
    stranger = await register(client)
    other_seller = await register(client)
    await create_shop(client, other_seller)
    # Another shop, or a stranger, does not see the order at all.
    for who in (stranger, other_seller):
        assert (await client.get(f"/api/v1/orders/{oid}", headers=who.headers)).status_code == 404
        shipped = await _post(client, f"/api/v1/orders/{oid}/ship", who, {"carrier": "x", "tracking_number": "y"})
        assert shipped.status_code == 404
        assert (await _post(client, f"/api/v1/orders/{oid}/cancel", who)).status_code == 404
    listing = await client.get(f"/api/v1/shops/{shop['id']}/orders", headers=other_seller.headers)
    assert listing.status_code == 403
    assert oid not in {o["id"] for o in (await client.get("/api/v1/orders", headers=stranger.headers)).json()["items"]}
    # The buyer sees it but may not ship, deliver or refund it.
    ship = await _post(client, f"/api/v1/orders/{oid}/ship", buyer, {"carrier": "x", "tracking_number": "y"})
    assert ship.status_code == 403
    assert (await _post(client, f"/api/v1/orders/{oid}/deliver", buyer)).status_code == 403
    line = order["lines"][0]["id"]
    refund = await _post(
        client, f"/api/v1/orders/{oid}/refunds", buyer, {"lines": [{"line_id": line, "quantity": 1}], "reason": "x"}
    )
    assert refund.status_code == 403
    # The shop's staff and API key act for the shop; the shop lists its orders by status.
    staff = await register(client)
    await add_staff(client, seller, shop["id"], staff)
    assert (await client.get(f"/api/v1/orders/{oid}", headers=staff.headers)).status_code == 200
    key = (await client.post(f"/api/v1/shops/{shop['id']}/api-keys", headers=seller.headers)).json()["key"]
    as_key = Account(id="key", email="", token=key)
    paid = await client.get(f"/api/v1/shops/{shop['id']}/orders?status=paid", headers=as_key.headers)
    assert [o["id"] for o in paid.json()["items"]] == [oid]
    shipped_only = await client.get(f"/api/v1/shops/{shop['id']}/orders?status=shipped", headers=seller.headers)
    assert shipped_only.json()["items"] == []
    # An invalid transition is a 409.
    deliver = await _post(client, f"/api/v1/orders/{oid}/deliver", as_key)
    assert (deliver.status_code, deliver.json()["code"]) == (409, "invalid_transition")


async def test_buyer_cancels_before_shipping_and_gets_everything_back(
    client: httpx.AsyncClient, database: Database, sale: dict
) -> None:
    buyer, order, product, variants = sale["buyer"], sale["order"], sale["product"], sale["variants"]
    assert await stock_of(client, product["id"], variants[0]) == 8
    cancelled = await _post(client, f"/api/v1/orders/{order['id']}/cancel", buyer, {"reason": "changed my mind"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["status"], body["refund_status"], body["refunded_total"]) == ("cancelled", "full", 2999)
    assert body["payment"]["status"] == "refunded"
    assert await stock_of(client, product["id"], variants[0]) == 10
    assert await stock_of(client, product["id"], variants[1]) == 10
    assert await _balances(database, sale["shop"]["id"]) == (0, 0)
    again = await _post(client, f"/api/v1/orders/{order['id']}/cancel", buyer)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


async def test_after_shipping_only_the_shop_cancels_and_stock_stays_out(client: httpx.AsyncClient, sale: dict) -> None:
    seller, buyer, order, product, variants = (
        sale["seller"],
        sale["buyer"],
        sale["order"],
        sale["product"],
        sale["variants"],
    )
    oid = order["id"]
    await _post(client, f"/api/v1/orders/{oid}/ship", seller, {"carrier": "DHL", "tracking_number": "1"})
    by_buyer = await _post(client, f"/api/v1/orders/{oid}/cancel", buyer)
    assert (by_buyer.status_code, by_buyer.json()["code"]) == (409, "invalid_transition")
    assert "already shipped" in by_buyer.json()["detail"]
    assert "return" in by_buyer.json()["detail"]
    cancelled = await _post(client, f"/api/v1/orders/{oid}/cancel", seller, {"reason": "lost in transit"})
    assert cancelled.json()["status"] == "cancelled"
    assert await stock_of(client, product["id"], variants[0]) == 8  # the parcel left: nothing to put back


async def test_a_delivered_order_is_a_return_not_a_cancel_for_the_buyer(client: httpx.AsyncClient, sale: dict) -> None:
    seller, buyer, oid = sale["seller"], sale["buyer"], sale["order"]["id"]
    await _post(client, f"/api/v1/orders/{oid}/ship", seller, {"carrier": "DHL", "tracking_number": "1"})
    assert (await _post(client, f"/api/v1/orders/{oid}/deliver", seller)).json()["status"] == "delivered"
    by_buyer = await _post(client, f"/api/v1/orders/{oid}/cancel", buyer)
    assert (by_buyer.status_code, by_buyer.json()["code"]) == (409, "invalid_transition")
    assert "request a return" in by_buyer.json()["detail"]
    assert (await client.get(f"/api/v1/orders/{oid}", headers=buyer.headers)).json()["status"] == "delivered"


async def test_partial_refunds_are_pro_rata_and_never_exceed_what_was_paid(
    client: httpx.AsyncClient, database: Database, sale: dict
) -> None:
    seller, order, product, variants = sale["seller"], sale["order"], sale["product"], sale["variants"]
    oid = order["id"]
    thirds = next(line for line in order["lines"] if line["unit_price"] == 333)
    path = f"/api/v1/orders/{oid}/refunds"
    key = {"Idempotency-Key": unique("key")}
    first = await client.post(
        path,
        json={"lines": [{"line_id": thirds["id"], "quantity": 1}], "reason": "damaged"},
        headers={**seller.headers, **key},
    )
    assert first.status_code == 201, first.text
    assert (first.json()["amount"], first.json()["platform_fee_reversed"]) == (333, 20)
    replay = await client.post(
        path,
        json={"lines": [{"line_id": thirds["id"], "quantity": 1}], "reason": "damaged"},
        headers={**seller.headers, **key},
    )
    assert replay.json() == first.json()
    # Unshipped units go back on sale.
    assert await stock_of(client, product["id"], variants[1]) == 8
    too_many = await _post(client, path, seller, {"lines": [{"line_id": thirds["id"], "quantity": 3}], "reason": "x"})
    assert (too_many.status_code, too_many.json()["code"]) == (422, "refund_exceeds_line")
    unknown = await _post(client, path, seller, {"lines": [{"line_id": "line_nope", "quantity": 1}], "reason": "x"})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "line_not_found")
    rest = await _post(
        client,
        path,
        seller,
        {
            "lines": [
                {"line_id": line["id"], "quantity": line["quantity"] - line["refunded_quantity"]}
                for line in (await client.get(f"/api/v1/orders/{oid}", headers=seller.headers)).json()["lines"]
            ],
            "reason": "out of business",
        },
    )
    assert rest.status_code == 201, rest.text
    assert rest.json()["amount"] == 2999 - 333
    final = (await client.get(f"/api/v1/orders/{oid}", headers=seller.headers)).json()
    assert (final["refund_status"], final["refunded_total"]) == ("full", 2999)
    assert [line["refunded_amount"] for line in final["lines"]] == [line["total"] for line in final["lines"]]
    assert await _balances(database, sale["shop"]["id"]) == (0, 0)
    nothing_left = await _post(
        client, path, seller, {"lines": [{"line_id": thirds["id"], "quantity": 1}], "reason": "x"}
    )
    assert nothing_left.status_code == 422


async def test_returns_within_the_window_approved_or_rejected(
    client: httpx.AsyncClient, app: FastAPI, database: Database, sale: dict
) -> None:
    seller, buyer, order = sale["seller"], sale["buyer"], sale["order"]
    oid = order["id"]
    line = next(line for line in order["lines"] if line["unit_price"] == 1000)
    early = await _post(
        client,
        f"/api/v1/orders/{oid}/returns",
        buyer,
        {"lines": [{"line_id": line["id"], "quantity": 1}], "reason": "too big"},
    )
    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    await _post(client, f"/api/v1/orders/{oid}/ship", seller, {"carrier": "UPS", "tracking_number": "1"})
    await _post(client, f"/api/v1/orders/{oid}/deliver", seller)
    body = {"lines": [{"line_id": line["id"], "quantity": 1}], "reason": "too big"}
    by_shop = await _post(client, f"/api/v1/orders/{oid}/returns", seller, body)
    assert by_shop.status_code == 403
    requested = await _post(client, f"/api/v1/orders/{oid}/returns", buyer, body)
    assert requested.status_code == 201, requested.text
    assert requested.json()["status"] == "requested"
    too_many = await _post(
        client,
        f"/api/v1/orders/{oid}/returns",
        buyer,
        {"lines": [{"line_id": line["id"], "quantity": 2}], "reason": "x"},
    )
    assert (too_many.status_code, too_many.json()["code"]) == (422, "return_exceeds_line")
    return_id = requested.json()["id"]
    waiting = await client.get(f"/api/v1/shops/{sale['shop']['id']}/returns?status=requested", headers=seller.headers)
    assert [r["id"] for r in waiting.json()["items"]] == [return_id]
    other_shop_owner = await register(client)
    await create_shop(client, other_shop_owner)
    peek = await client.get(f"/api/v1/shops/{sale['shop']['id']}/returns", headers=other_shop_owner.headers)
    assert peek.status_code == 403
    # An open return holds completion back, even past the window.
    worker = _worker(app, database)
    await worker.run_once(now=utcnow() + timedelta(days=30))
    assert (await client.get(f"/api/v1/orders/{oid}", headers=buyer.headers)).json()["status"] == "delivered"
    assert (await _post(client, f"/api/v1/returns/{return_id}/approve", buyer)).status_code == 403
    approved = await _post(client, f"/api/v1/returns/{return_id}/approve", seller)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["refund_id"]
    twice = await _post(client, f"/api/v1/returns/{return_id}/approve", seller)
    assert (twice.status_code, twice.json()["code"]) == (409, "invalid_transition")
    second = await _post(client, f"/api/v1/orders/{oid}/returns", buyer, body)
    rejected = await _post(client, f"/api/v1/returns/{second.json()['id']}/reject", seller, {"reason": "worn"})
    assert (rejected.json()["status"], rejected.json()["decision_reason"]) == ("rejected", "worn")
    after = (await client.get(f"/api/v1/orders/{oid}", headers=buyer.headers)).json()
    assert (after["refund_status"], after["refunded_total"]) == ("partial", 1000)
    await worker.run_once(now=utcnow() + timedelta(days=30))
    completed = (await client.get(f"/api/v1/orders/{oid}", headers=buyer.headers)).json()
    assert completed["status"] == "completed"
    fee_kept = 180 - 60  # the fee on the returned unit goes back with it
    assert await _balances(database, sale["shop"]["id"]) == (0, 2999 - 1000 - fee_kept)
    # After the window, no more returns.
    closed = await _post(client, f"/api/v1/orders/{oid}/returns", buyer, body)
    assert closed.status_code == 409


class _DyingProvider(TestPaymentProvider):
    """A provider call that never returns an answer: what the checkout sees when its process dies mid-way."""

    async def authorize(self, *, token: str, amount: Money, reference: str) -> Authorization:
        raise RuntimeError("process killed")


async def test_unpaid_orders_expire_and_give_their_stock_back(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    """A checkout that died between placing its order and charging it: the order waits for payment until the
    unpaid TTL, then the worker cancels it, gives the stock back and frees the idempotency key."""
    listing = await list_product(client, (500, 3))
    product, variant = listing.product, listing.variant_ids[0]
    buyer = await register(client)
    principal = Principal(user_id=buyer.id)
    purchase = checkout.Purchase(
        buyer=principal,
        items=[Item(variant, 2)],
        shipping_address=ADDRESS,
        payment_token="tok_visa",
        idempotency_key="dying-key",
        request_fingerprint="fp",
    )
    with pytest.raises(RuntimeError):
        await checkout.place_orders(database, _DyingProvider(), app.state.settings, purchase)
    (order,) = (await client.get("/api/v1/orders", headers=buyer.headers)).json()["items"]
    assert order["status"] == "pending_payment"
    assert order["expires_at"] is not None
    assert await stock_of(client, product["id"], variant) == 1
    worker = _worker(app, database)
    await worker.run_once()
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()[
        "status"
    ] == "pending_payment"
    await worker.run_once(now=utcnow() + timedelta(minutes=31))
    expired = (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()
    assert expired["status"] == "cancelled"
    assert expired["timeline"][-1]["event"] == "expired"
    assert expired["payment"]["status"] == "voided"
    assert await stock_of(client, product["id"], variant) == 3
    # The abandoned key is free again: the retry buys.
    status, body = await checkout.place_orders(database, app.state.payment_provider, app.state.settings, purchase)
    assert status == 201
    assert body["orders"][0]["status"] == "paid"


async def test_the_worker_command_runs_a_round(client: httpx.AsyncClient, database: Database) -> None:
    listing = await list_product(client, (100, 5))
    order = await bought(client, await register(client), listing.variant_ids[0])
    code, output = await run_shoppable("worker", "--once")
    assert code == 0, output
    assert re.search(r"dispatched [1-9]\d* event", output), output
    async with database.session(write=False) as session:
        events = await events_for(session, order["id"])
    assert [(e.topic, e.dispatched_at is not None) for e in events] == [("order.created", True), ("order.paid", True)]


async def test_sales_are_counted_for_best_selling_once_the_worker_runs(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    seller = await register(client)
    shop = await create_shop(client, seller)
    slow = await create_product(
        client, seller, shop["id"], options=[], variants=[{"price": 100, "inventory_quantity": 9}]
    )
    fast = await create_product(
        client, seller, shop["id"], options=[], variants=[{"price": 100, "inventory_quantity": 9}]
    )
    buyer = await register(client)
    await buy(client, buyer, [{"variant_id": fast["variants"][0]["id"], "quantity": 3}])
    await buy(client, buyer, [{"variant_id": slow["variants"][0]["id"], "quantity": 1}])

    async def ranking() -> list[str]:
        page = await client.get(f"/api/v1/products?shop_id={shop['id']}&sort=best_selling")
        return [p["id"] for p in page.json()["items"]]

    await _worker(app, database).run_once()
    assert await ranking() == [fast["id"], slow["id"]]
    await buy(client, buyer, [{"variant_id": slow["variants"][0]["id"], "quantity": 5}])
    await _worker(app, database).run_once()
    assert await ranking() == [slow["id"], fast["id"]]


async def test_order_lists_page_newest_first_without_repeats(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (100, 9))
    seller, shop = listing.seller, listing.shop
    buyer = await register(client)
    placed = [(await bought(client, buyer, listing.variant_ids[0]))["id"] for _ in range(3)]
    first = (await client.get("/api/v1/orders?limit=2", headers=buyer.headers)).json()
    assert [o["id"] for o in first["items"]] == placed[:0:-1]
    second = (await client.get(f"/api/v1/orders?limit=2&cursor={first['next_cursor']}", headers=buyer.headers)).json()
    assert ([o["id"] for o in second["items"]], second["next_cursor"]) == ([placed[0]], None)
    shop_page = (await client.get(f"/api/v1/shops/{shop['id']}/orders?limit=3", headers=seller.headers)).json()
    assert ([o["id"] for o in shop_page["items"]], shop_page["next_cursor"]) == (placed[::-1], None)
    bad = await client.get("/api/v1/orders?cursor=not-a-cursor", headers=buyer.headers)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")
