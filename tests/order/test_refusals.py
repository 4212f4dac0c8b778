"""Every refusal of the order endpoints and services that the flow tests do not already prove."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from shoppable.identity.rules import Principal
from shoppable.kit import idempotency
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import Money
from shoppable.order import checkout, lifecycle
from shoppable.order.cart import MAX_LINES
from shoppable.order.models import Order
from shoppable.order.rules import Item
from shoppable.payment import service as payments
from shoppable.payment.provider import Authorization, Capture
from shoppable.payment.test_provider import TestPaymentProvider
from tests.helpers import ADDRESS, Account, bought, buy, list_product, register, stock_of, unique


async def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def test_cart_refusals(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, *((100, 5) for _ in range(MAX_LINES + 1)))
    archived = await list_product(client, (100, 5))
    await client.delete(f"/api/v1/products/{archived.product['id']}", headers=archived.seller.headers)
    buyer = await register(client)

    async def add(variant_id: str, quantity: int = 1) -> httpx.Response:
        body = {"variant_id": variant_id, "quantity": quantity}
        return await client.post("/api/v1/cart/items", json=body, headers=buyer.headers)

    assert await _code(await add("var_missing")) == (422, "variant_not_found")
    assert await _code(await add(archived.variant_ids[0])) == (422, "product_unavailable")
    first = listing.variant_ids[0]
    assert (await add(first, 999)).status_code == 200
    assert await _code(await add(first, 1)) == (422, "invalid_quantity")  # 1,000 units on one line
    for variant_id in listing.variant_ids[1:MAX_LINES]:
        assert (await add(variant_id)).status_code == 200
    assert await _code(await add(listing.variant_ids[MAX_LINES])) == (422, "cart_full")
    cart = (await client.get("/api/v1/cart", headers=buyer.headers)).json()
    assert len(cart["lines"]) == MAX_LINES
    assert (await client.delete("/api/v1/cart/items/cl_missing", headers=buyer.headers)).status_code == 404


async def test_buying_needs_a_user_not_a_shop_key(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (100, 5))
    created = await client.post(f"/api/v1/shops/{listing.shop['id']}/api-keys", headers=listing.seller.headers)
    as_key = Account(id="key", email="", token=created.json()["key"])
    response = await buy(client, as_key, [{"variant_id": listing.variant_ids[0], "quantity": 1}])
    assert await _code(response) == (403, "user_required")


async def test_unknown_orders_and_returns_are_404_and_strangers_cannot_decide_returns(
    client: httpx.AsyncClient,
) -> None:
    listing = await list_product(client, (100, 5))
    buyer = await register(client)
    assert (await client.get("/api/v1/orders/ord_missing", headers=buyer.headers)).status_code == 404
    order = await bought(client, buyer, listing.variant_ids[0])
    seller = listing.seller
    await client.post(
        f"/api/v1/orders/{order['id']}/ship", json={"carrier": "UPS", "tracking_number": "1"}, headers=seller.headers
    )
    await client.post(f"/api/v1/orders/{order['id']}/deliver", headers=seller.headers)
    body = {"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "broken"}
    requested = await client.post(f"/api/v1/orders/{order['id']}/returns", json=body, headers=buyer.headers)
    stranger = await register(client)
    for action, payload in (("approve", {}), ("reject", {"reason": "no"})):
        decided = await client.post(
            f"/api/v1/returns/{requested.json()['id']}/{action}", json=payload, headers=stranger.headers
        )
        assert decided.status_code == 404
        missing = await client.post(f"/api/v1/returns/ret_missing/{action}", json=payload, headers=seller.headers)
        assert missing.status_code == 404


async def test_a_cancelled_order_cannot_be_refunded(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (100, 5))
    buyer = await register(client)
    order = await bought(client, buyer, listing.variant_ids[0])
    await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)
    body = {"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "again"}
    refund = await client.post(f"/api/v1/orders/{order['id']}/refunds", json=body, headers=listing.seller.headers)
    assert await _code(refund) == (409, "invalid_transition")


async def test_units_that_were_paid_nothing_have_nothing_to_refund(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (0, 5), (500, 5))
    free, paid = listing.variant_ids
    buyer = await register(client)
    response = await buy(client, buyer, [{"variant_id": free, "quantity": 1}, {"variant_id": paid, "quantity": 1}])
    order = response.json()["orders"][0]
    free_line = next(line for line in order["lines"] if line["variant_id"] == free)
    body = {"lines": [{"line_id": free_line["id"], "quantity": 1}], "reason": "free gift"}
    refund = await client.post(f"/api/v1/orders/{order['id']}/refunds", json=body, headers=listing.seller.headers)
    assert await _code(refund) == (422, "nothing_to_refund")


async def test_a_return_after_the_window_is_409(client: httpx.AsyncClient, database: Database) -> None:
    """The window passed but the completion job has not run yet: the request is still refused."""
    listing = await list_product(client, (100, 5))
    buyer = await register(client)
    order = await bought(client, buyer, listing.variant_ids[0])
    seller = listing.seller
    await client.post(
        f"/api/v1/orders/{order['id']}/ship", json={"carrier": "UPS", "tracking_number": "1"}, headers=seller.headers
    )
    await client.post(f"/api/v1/orders/{order['id']}/deliver", headers=seller.headers)
    async with database.session() as session:
        await session.execute(
            update(Order).where(Order.id == order["id"]).values(return_window_ends_at=utcnow() - timedelta(seconds=1))
        )
    body = {"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "late"}
    late = await client.post(f"/api/v1/orders/{order['id']}/returns", json=body, headers=buyer.headers)
    assert await _code(late) == (409, "return_window_closed")


class _SlowCapture(TestPaymentProvider):
    """A capture so slow that the expiry job cancels the order meanwhile (only possible past the unpaid TTL)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def capture(self, authorization: Authorization, *, amount: Money, reference: str) -> Capture:
        await lifecycle.expire_unpaid(
            self.database, self, unpaid_ttl=timedelta(minutes=30), now=utcnow() + timedelta(minutes=31)
        )
        return await super().capture(authorization, amount=amount, reference=reference)


async def test_an_order_expired_while_its_payment_was_captured_is_409_and_keeps_nothing(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    listing = await list_product(client, (100, 5))
    buyer = await register(client)
    purchase = checkout.Purchase(
        buyer=Principal(user_id=buyer.id),
        items=[Item(listing.variant_ids[0], 2)],
        shipping_address=ADDRESS,
        payment_token="tok_visa",
    )
    with pytest.raises(ShoppableError) as refused:
        await checkout.place_orders(database, _SlowCapture(database), app.state.settings, purchase)
    assert (refused.value.status, refused.value.code) == (409, "order_expired")
    (order,) = (await client.get("/api/v1/orders", headers=buyer.headers)).json()["items"]
    assert (order["status"], order["timeline"][-1]["event"]) == ("cancelled", "expired")
    assert await stock_of(client, listing.product["id"], listing.variant_ids[0]) == 5


async def test_a_key_whose_first_request_is_unfinished_is_409_with_retry_after(database: Database) -> None:
    key = {"principal": f"user:{unique('u')}", "key": unique("key"), "request_fingerprint": "fp"}
    async with database.session() as session:
        assert await idempotency.claim(session, **key) is None
    with pytest.raises(ShoppableError) as refused:
        async with database.session() as session:
            await idempotency.claim(session, **key)
    assert (refused.value.status, refused.value.code) == (409, "idempotency_in_progress")
    assert refused.value.headers == {"Retry-After": "1"}


async def test_a_payment_never_refunds_more_than_it_captured(client: httpx.AsyncClient, database: Database) -> None:
    listing = await list_product(client, (700, 5))
    buyer = await register(client)
    order = await bought(client, buyer, listing.variant_ids[0])
    provider = TestPaymentProvider()
    with pytest.raises(ShoppableError) as refused:
        async with database.session() as session:
            await payments.refund(
                session, provider, payment_id=order["payment"]["id"], amount=Money(701, "USD"), reference=unique()
            )
    assert (refused.value.status, refused.value.code) == (409, "refund_exceeds_payment")
