"""The buyer's order pages over HTTP: only the buyer sees an order, forms need the CSRF token, cancelling and
asking for a return go through the order services; and the sentences the timeline is told in."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shoppable.web import orders as order_pages
from shoppable.web.orders import can_cancel, describe_event, return_window_open, returnable_units, waiting_units
from tests.helpers import Account, bought, list_product, register, stock_of
from tests.web.session_helpers import PAGE_PASSWORD, sign_up_page

HTML = {"Accept": "text/html"}


async def _page_buyer(client: httpx.AsyncClient) -> tuple[Account, str]:
    """A buyer signed in on the client's cookies, with a bearer token for the API too; and the pages' CSRF token."""
    email, csrf = await sign_up_page(client)
    token = await client.post("/api/v1/auth/token", data={"username": email, "password": PAGE_PASSWORD})
    assert token.status_code == 200, token.text
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    return Account(id=me.json()["id"], email=email, token=token.json()["access_token"]), csrf


async def test_signed_out_orders_pages_send_to_sign_in(client: httpx.AsyncClient) -> None:
    listing = await client.get("/orders", headers=HTML)
    assert listing.status_code == 303
    assert listing.headers["location"] == "/signin?next=/orders"
    detail = await client.get("/orders/ord_whatever", headers=HTML)
    assert detail.status_code == 303
    assert detail.headers["location"] == "/signin?next=/orders/ord_whatever"


async def test_the_buyer_sees_their_orders_and_no_one_elses(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (2500, 5), title="Walnut desk lamp")
    stranger = await register(client)
    theirs = await bought(client, stranger, listing.variant_ids[0])
    buyer, csrf = await _page_buyer(client)
    empty = await client.get("/orders", headers=HTML)
    assert "No orders yet" in empty.text

    mine = await bought(client, buyer, listing.variant_ids[0], quantity=2)
    page = await client.get("/orders", headers=HTML)
    assert page.status_code == 200
    assert f"Order {mine['number']}" in page.text
    assert theirs["number"] not in page.text
    assert listing.shop["name"] in page.text
    assert "$50.00" in page.text
    assert "status--paid" in page.text
    assert "2 × Walnut desk lamp" in page.text

    detail = await client.get(f"/orders/{mine['id']}", headers=HTML)
    assert detail.status_code == 200
    assert 'aria-label="Walnut desk lamp' in detail.text
    assert "1 Main St" in detail.text
    assert "United States" in detail.text
    assert "You placed the order." in detail.text
    assert "Your payment went through." in detail.text
    assert ">Cancel order</button>" in detail.text
    assert "Request a return" not in detail.text

    other = await client.get(f"/orders/{theirs['id']}", headers=HTML)
    assert other.status_code == 404
    assert "We couldn&#39;t find that page" in other.text or "We couldn't find that page" in other.text
    refused = await client.post(f"/orders/{theirs['id']}/cancel", data={"csrf_token": csrf}, headers=HTML)
    assert refused.status_code == 404
    still = await client.get(f"/api/v1/orders/{theirs['id']}", headers=stranger.headers)
    assert still.json()["status"] == "paid"


async def test_cancelling_needs_the_csrf_token(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1200, 3))
    buyer, csrf = await _page_buyer(client)
    order = await bought(client, buyer, listing.variant_ids[0], quantity=2)
    variant = listing.variant_ids[0]
    assert await stock_of(client, listing.product["id"], variant) == 1

    forged = await client.post(f"/orders/{order['id']}/cancel", data={"reason": ""}, headers=HTML)
    assert forged.status_code == 403
    wrong = await client.post(f"/orders/{order['id']}/cancel", data={"csrf_token": "x" * 40}, headers=HTML)
    assert wrong.status_code == 403
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()["status"] == "paid"
    assert await stock_of(client, listing.product["id"], variant) == 1

    done = await client.post(
        f"/orders/{order['id']}/cancel", data={"csrf_token": csrf, "reason": "I ordered by mistake"}, headers=HTML
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/orders/{order['id']}"
    assert client.cookies.get("shoppable_toast") == "order_cancelled"
    after = (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()
    assert after["status"] == "cancelled"
    (cancelled,) = [entry for entry in after["timeline"] if entry["event"] == "cancelled"]
    assert cancelled["detail"]["reason"] == "I ordered by mistake"
    assert await stock_of(client, listing.product["id"], variant) == 3
    page = await client.get(f"/orders/{order['id']}", headers=HTML)
    assert "Order cancelled." in page.text  # the toast
    assert "You cancelled the order: I ordered by mistake." in page.text
    assert ">Cancel order</button>" not in page.text


async def test_a_shipped_order_cannot_be_cancelled_and_a_delivered_line_can_be_returned(
    client: httpx.AsyncClient,
) -> None:
    listing = await list_product(client, (3000, 5), title="Canvas tote")
    buyer, csrf = await _page_buyer(client)
    order = await bought(client, buyer, listing.variant_ids[0], quantity=2)
    (line,) = order["lines"]
    shipped = await client.post(
        f"/api/v1/orders/{order['id']}/ship",
        json={"carrier": "DHL", "tracking_number": "JD0146000033"},
        headers=listing.seller.headers,
    )
    assert shipped.status_code == 200, shipped.text

    late = await client.post(f"/orders/{order['id']}/cancel", data={"csrf_token": csrf}, headers=HTML)
    assert late.status_code == 200
    assert 'role="alert">This order has already shipped: request a return instead.' in late.text
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()["status"] == "shipped"

    page = await client.get(f"/orders/{order['id']}", headers=HTML)
    assert "JD0146000033" in page.text
    assert "DHL" in page.text
    assert "The shop shipped it with DHL, tracking number JD0146000033." in page.text
    assert ">Cancel order</button>" not in page.text
    assert "Request a return" not in page.text  # not delivered yet

    delivered = await client.post(f"/api/v1/orders/{order['id']}/deliver", headers=listing.seller.headers)
    assert delivered.status_code == 200, delivered.text
    page = await client.get(f"/orders/{order['id']}", headers=HTML)
    assert "You can ask to return items until" in page.text
    assert f'max="{line["quantity"]}"' in page.text

    too_many = await client.post(
        f"/orders/{order['id']}/returns",
        data={"csrf_token": csrf, "line_id": line["id"], "quantity": "3", "reason": "It doesn't fit"},
        headers=HTML,
    )
    assert too_many.status_code == 200
    assert f'id="return-error-{line["id"]}" role="alert"' in too_many.text
    assert "You can return at most 2 of this item" in too_many.text
    not_a_number = await client.post(
        f"/orders/{order['id']}/returns",
        data={"csrf_token": csrf, "line_id": line["id"], "quantity": "two", "reason": "It doesn't fit"},
        headers=HTML,
    )
    assert "Enter how many units to return, as a whole number." in not_a_number.text
    unsigned = await client.post(
        f"/orders/{order['id']}/returns", data={"line_id": line["id"], "quantity": "1", "reason": "x"}, headers=HTML
    )
    assert unsigned.status_code == 403

    asked = await client.post(
        f"/orders/{order['id']}/returns",
        data={"csrf_token": csrf, "line_id": line["id"], "quantity": "1", "reason": "It doesn't fit"},
        headers=HTML,
    )
    assert asked.status_code == 303
    assert client.cookies.get("shoppable_toast") == "return_requested"
    returns = await client.get(
        f"/api/v1/shops/{listing.shop['id']}/returns", params={"status": "requested"}, headers=listing.seller.headers
    )
    (request,) = returns.json()["items"]
    assert request["order_id"] == order["id"]
    assert request["lines"] == [{"line_id": line["id"], "quantity": 1}]
    assert request["reason"] == "It doesn't fit"
    page = await client.get(f"/orders/{order['id']}", headers=HTML)
    assert "Waiting for the shop" in page.text
    assert "You asked to return items." in page.text


async def test_orders_are_paged_newest_first(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(order_pages, "PAGE_SIZE", 1)
    listing = await list_product(client, (700, 5))
    buyer, _ = await _page_buyer(client)
    older = await bought(client, buyer, listing.variant_ids[0])
    newer = await bought(client, buyer, listing.variant_ids[0])

    first = await client.get("/orders", headers=HTML)
    assert newer["number"] in first.text
    assert older["number"] not in first.text
    more = re.search(r'href="(/orders\?cursor=[^"]+)">More orders</a>', first.text)
    assert more, first.text
    second = await client.get(html.unescape(more.group(1)), headers=HTML)
    assert older["number"] in second.text
    assert newer["number"] not in second.text
    tampered = await client.get("/orders", params={"cursor": "not-a-cursor"}, headers=HTML)
    assert tampered.status_code == 200
    assert newer["number"] in tampered.text


def test_what_the_page_offers_follows_the_order() -> None:
    now = datetime(2030, 5, 1, 12, tzinfo=UTC)
    later = (now + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    earlier = (now - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert can_cancel({"status": "pending_payment"})
    assert can_cancel({"status": "paid"})
    assert not any(can_cancel({"status": s}) for s in ("shipped", "delivered", "completed", "cancelled"))
    assert return_window_open({"status": "delivered", "return_window_ends_at": later}, now)
    assert not return_window_open({"status": "delivered", "return_window_ends_at": earlier}, now)
    assert not return_window_open({"status": "completed", "return_window_ends_at": later}, now)
    assert not return_window_open({"status": "shipped", "return_window_ends_at": None}, now)


def test_the_timeline_reads_as_sentences() -> None:
    def said(event: str, actor: str = "user:u1", **detail: object) -> str:
        entry = {"at": "2030-05-01T12:00:00Z", "event": event, "actor": actor, "detail": detail}
        return describe_event(entry, currency="EUR", buyer_key="user:u1")

    assert said("created") == "You placed the order."
    assert said("shipped", "key:k", carrier="UPS", tracking_number="1Z999") == (
        "The shop shipped it with UPS, tracking number 1Z999."
    )
    assert said("cancelled", reason="") == "You cancelled the order."
    assert said("cancelled", "user:seller", reason="out of stock") == "The shop cancelled the order: out of stock."
    assert said("expired", "system", reason="unpaid") == "It was cancelled: the payment did not go through in time."
    assert said("refunded", "user:seller", amount=1250) == "€12.50 was refunded to your card."
    assert said("return_rejected", "user:seller", reason="worn") == "The shop declined your return: worn."
    assert said("something_new") == "Something new."

    returns = [
        {"status": "requested", "lines": [{"line_id": "l1", "quantity": 1}, {"line_id": "l2", "quantity": 2}]},
        {"status": "requested", "lines": [{"line_id": "l1", "quantity": 1}]},
        {"status": "rejected", "lines": [{"line_id": "l2", "quantity": 5}]},
    ]
    assert waiting_units(returns) == {"l1": 2, "l2": 2}
    assert returnable_units({"quantity": 3, "refunded_quantity": 1}, waiting=2) == 0
    assert returnable_units({"quantity": 3, "refunded_quantity": 0}, waiting=1) == 2
