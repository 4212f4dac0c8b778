"""Buying through HTTP: buy now, the cart and checkout, payments refused, idempotency, and the books after."""

from __future__ import annotations

import httpx
import pytest

from shoppable.kit.db import Database
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from tests.helpers import (
    ADDRESS,
    Account,
    buy,
    list_product,
    register,
    stock_of,
    unique,
)


async def _shop_with_stock(
    client: httpx.AsyncClient, *, stock: int = 5, price: int = 1999, currency: str = "USD"
) -> tuple[Account, dict, dict, str]:
    listing = await list_product(
        client, (price, stock), currency=currency, images=[{"url": "https://img.example.com/tee.jpg", "alt": "A tee"}]
    )
    return listing.seller, listing.shop, listing.product, listing.variant_ids[0]


async def _balance(database: Database, ref: ledger.AccountRef) -> int:
    async with database.session(write=False) as session:
        return (await ledger.balances(session, [ref]))[ref].amount


async def test_buy_now_splits_orders_by_shop_and_books_the_payment(
    client: httpx.AsyncClient, database: Database
) -> None:
    _, shop_a, product_a, variant_a = await _shop_with_stock(client, price=1999)
    _, shop_b, product_b, variant_b = await _shop_with_stock(client, price=1000, currency="EUR")
    buyer = await register(client)
    response = await buy(
        client,
        buyer,
        [
            {"variant_id": variant_a, "quantity": 2, "source": {"type": "video", "id": "vid_1"}},
            {"variant_id": variant_b, "quantity": 1},
        ],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["payment"]["status"] == "captured"
    assert sorted((p["amount"], p["currency"]) for p in body["payment"]["payments"]) == [(1000, "EUR"), (3998, "USD")]
    orders = {order["shop_id"]: order for order in body["orders"]}
    assert set(orders) == {shop_a["id"], shop_b["id"]}
    usd = orders[shop_a["id"]]
    assert usd["status"] == "paid"
    assert usd["refund_status"] == "none"
    assert (usd["currency"], usd["subtotal"], usd["discount_total"], usd["shipping_total"], usd["total"]) == (
        "USD",
        3998,
        0,
        0,
        3998,
    )
    (line,) = usd["lines"]
    assert (line["quantity"], line["unit_price"], line["total"], line["platform_fee"]) == (2, 1999, 3998, 240)
    assert line["source"] == {"type": "video", "id": "vid_1"}
    assert line["attribution"] is None
    assert line["image_url"] == "https://img.example.com/tee.jpg"
    assert [entry["event"] for entry in usd["timeline"]] == ["created", "paid"]
    assert usd["number"].startswith("SP-")
    assert usd["shipping_address"]["country"] == "US"
    assert await stock_of(client, product_a["id"], variant_a) == 3
    assert await stock_of(client, product_b["id"], variant_b) == 4
    # The books: the shop is owed the total less the 6 % fee, the platform earned the fee.
    assert await _balance(database, accounts.shop_pending(shop_a["id"], "USD").ref) == -(3998 - 240)
    assert await _balance(database, accounts.shop_pending(shop_b["id"], "EUR").ref) == -(1000 - 60)
    fetched = await client.get(f"/api/v1/orders/{usd['id']}", headers=buyer.headers)
    assert fetched.status_code == 200
    assert fetched.json() == usd
    mine = (await client.get("/api/v1/orders", headers=buyer.headers)).json()
    assert {order["id"] for order in mine["items"]} == {o["id"] for o in body["orders"]}


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [("tok_chargeDeclined", 402, "payment_declined"), ("tok_processingError", 502, "payment_provider_error")],
)
async def test_a_refused_payment_keeps_no_order_and_holds_no_stock(
    client: httpx.AsyncClient, token: str, status: int, code: str
) -> None:
    _, _, product, variant = await _shop_with_stock(client, stock=3)
    buyer = await register(client)
    response = await buy(client, buyer, [{"variant_id": variant, "quantity": 2}], token=token)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert await stock_of(client, product["id"], variant) == 3
    assert (await client.get("/api/v1/orders", headers=buyer.headers)).json()["items"] == []


async def test_bad_purchases_are_clear_errors(client: httpx.AsyncClient) -> None:
    seller, shop, product, variant = await _shop_with_stock(client, stock=2)
    buyer = await register(client)

    async def code(items: list[dict[str, object]], **kwargs: object) -> tuple[int, str]:
        response = await buy(client, buyer, items, **kwargs)  # type: ignore[arg-type]
        return response.status_code, response.json()["code"]

    assert await code([{"variant_id": variant, "quantity": 3}]) == (409, "out_of_stock")
    assert await code([{"variant_id": "var_missing", "quantity": 1}]) == (422, "variant_not_found")
    assert await code([{"variant_id": variant, "quantity": 0}]) == (422, "validation_error")
    assert await code([]) == (422, "validation_error")
    assert await code([{"variant_id": variant, "quantity": 1}], token="tok_bogus") == (422, "invalid_payment_token")
    archived = await client.delete(f"/api/v1/products/{product['id']}", headers=seller.headers)
    assert archived.status_code == 200
    assert await code([{"variant_id": variant, "quantity": 1}]) == (422, "product_unavailable")
    with_coupon = await client.post(
        "/api/v1/orders",
        json={
            "items": [{"variant_id": variant, "quantity": 1}],
            "shipping_address": ADDRESS,
            "payment": {"token": "tok_visa"},
            "coupon_code": "SAVE10",
        },
        headers=buyer.headers,
    )
    assert (with_coupon.status_code, with_coupon.json()["code"]) == (422, "coupon_not_found")
    bad_country = await client.post(
        "/api/v1/orders",
        json={
            "items": [{"variant_id": variant, "quantity": 1}],
            "shipping_address": {**ADDRESS, "country": "XX"},
            "payment": {"token": "tok_visa"},
        },
        headers=buyer.headers,
    )
    assert bad_country.status_code == 422
    assert bad_country.json()["errors"][0]["loc"][-1] == "country"


async def test_the_same_key_returns_the_first_answer_and_buys_once(client: httpx.AsyncClient) -> None:
    _, _, product, variant = await _shop_with_stock(client, stock=5)
    buyer = await register(client)
    key = unique("key")
    first = await buy(client, buyer, [{"variant_id": variant, "quantity": 1}], key=key)
    again = await buy(client, buyer, [{"variant_id": variant, "quantity": 1}], key=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert await stock_of(client, product["id"], variant) == 4
    other_body = await buy(client, buyer, [{"variant_id": variant, "quantity": 2}], key=key)
    assert (other_body.status_code, other_body.json()["code"]) == (422, "idempotency_key_reused")
    # Keys belong to their principal: another buyer's identical key is a new purchase.
    other_buyer = await register(client)
    assert (await buy(client, other_buyer, [{"variant_id": variant, "quantity": 1}], key=key)).status_code == 201
    assert await stock_of(client, product["id"], variant) == 3


async def test_a_declined_key_answers_the_decline_again_and_a_provider_error_may_be_retried(
    client: httpx.AsyncClient,
) -> None:
    _, _, product, variant = await _shop_with_stock(client, stock=5)
    buyer = await register(client)
    declined_key, failed_key = unique("key"), unique("key")
    items = [{"variant_id": variant, "quantity": 1}]
    assert (await buy(client, buyer, items, token="tok_chargeDeclined", key=declined_key)).status_code == 402
    replay = await buy(client, buyer, items, token="tok_chargeDeclined", key=declined_key)
    assert (replay.status_code, replay.json()["code"]) == (402, "payment_declined")
    assert (await buy(client, buyer, items, token="tok_processingError", key=failed_key)).status_code == 502
    # The same key and body after a provider failure runs again (the test token still fails the same way).
    assert (await buy(client, buyer, items, token="tok_processingError", key=failed_key)).status_code == 502
    assert await stock_of(client, product["id"], variant) == 5


async def test_cart_lines_across_shops_then_checkout_empties_the_cart(client: httpx.AsyncClient) -> None:
    _, shop_a, product_a, variant_a = await _shop_with_stock(client, price=500)
    _, shop_b, _, variant_b = await _shop_with_stock(client, price=250, currency="JPY")
    buyer: Account = await register(client)
    added = await client.post(
        "/api/v1/cart/items", json={"variant_id": variant_a, "quantity": 1}, headers=buyer.headers
    )
    assert added.status_code == 200, added.text
    await client.post(
        "/api/v1/cart/items",
        json={"variant_id": variant_a, "quantity": 2, "source": {"type": "showcase", "id": "sc_1"}},
        headers=buyer.headers,
    )
    cart = (
        await client.post("/api/v1/cart/items", json={"variant_id": variant_b, "quantity": 1}, headers=buyer.headers)
    ).json()
    lines = {line["variant_id"]: line for line in cart["lines"]}
    assert lines[variant_a]["quantity"] == 3
    assert lines[variant_a]["source"] == {"type": "showcase", "id": "sc_1"}
    assert cart["totals"] == [{"currency": "JPY", "subtotal": 250}, {"currency": "USD", "subtotal": 1500}]
    patched = await client.patch(
        f"/api/v1/cart/items/{lines[variant_a]['id']}", json={"quantity": 2}, headers=buyer.headers
    )
    assert patched.json()["totals"][1] == {"currency": "USD", "subtotal": 1000}
    stranger = await register(client)
    foreign = await client.patch(
        f"/api/v1/cart/items/{lines[variant_a]['id']}", json={"quantity": 1}, headers=stranger.headers
    )
    assert foreign.status_code == 404
    checkout = await client.post(
        "/api/v1/checkout",
        json={"shipping_address": ADDRESS, "payment": {"token": "tok_visa"}},
        headers={**buyer.headers, "Idempotency-Key": unique("key")},
    )
    assert checkout.status_code == 201, checkout.text
    orders = {order["shop_id"]: order for order in checkout.json()["orders"]}
    assert orders[shop_a["id"]]["total"] == 1000
    assert orders[shop_a["id"]]["lines"][0]["source"] == {"type": "showcase", "id": "sc_1"}
    assert orders[shop_b["id"]]["total"] == 250
    assert orders[shop_b["id"]]["currency"] == "JPY"
    assert (await client.get("/api/v1/cart", headers=buyer.headers)).json() == {"lines": [], "totals": []}
    assert await stock_of(client, product_a["id"], variant_a) == 3
    empty = await client.post(
        "/api/v1/checkout", json={"shipping_address": ADDRESS, "payment": {"token": "tok_visa"}}, headers=buyer.headers
    )
    assert (empty.status_code, empty.json()["code"]) == (422, "cart_empty")


async def test_a_declined_checkout_keeps_the_cart(client: httpx.AsyncClient) -> None:
    _, _, _, variant = await _shop_with_stock(client)
    buyer = await register(client)
    await client.post("/api/v1/cart/items", json={"variant_id": variant, "quantity": 1}, headers=buyer.headers)
    declined = await client.post(
        "/api/v1/checkout",
        json={"shipping_address": ADDRESS, "payment": {"token": "tok_chargeDeclined"}},
        headers=buyer.headers,
    )
    assert declined.status_code == 402
    assert len((await client.get("/api/v1/cart", headers=buyer.headers)).json()["lines"]) == 1
