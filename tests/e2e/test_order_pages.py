"""The buyer's orders in Chromium at a phone's width: cancelling before the shop ships, following the parcel and
asking for a return after delivery, and the page that was open when the shop shipped. Controls are found by
role and name as shared/PAGES.md binds them; every page visited is checked."""

from __future__ import annotations

import re

import httpx

from tests.e2e.browser import Tab
from tests.e2e.test_shopper_journeys import api_token, sign_up
from tests.helpers import Account, Listing, bought, list_product, stock_of, unique


async def _signed_up_buyer(client: httpx.AsyncClient, tab: Tab) -> Account:
    """A person signed up in the browser, and the same person on the API."""
    email = await sign_up(tab)
    await tab.check()  # the home page signing up lands on
    headers = await api_token(client, email)
    return Account(id="", email=email, token=headers["Authorization"].removeprefix("Bearer "))


async def _ship(client: httpx.AsyncClient, listing: Listing, order_id: str, tracking: str) -> None:
    shipped = await client.post(
        f"/api/v1/orders/{order_id}/ship",
        json={"carrier": "DHL Express", "tracking_number": tracking},
        headers=listing.seller.headers,
    )
    assert shipped.status_code == 200, shipped.text


async def test_cancel_an_order_before_it_ships(client: httpx.AsyncClient, phone: Tab) -> None:
    listing = await list_product(client, (1800, 4), title=unique("Rattan basket "))
    variant = listing.variant_ids[0]
    buyer = await _signed_up_buyer(client, phone)
    order = await bought(client, buyer, variant, quantity=3)
    assert await stock_of(client, listing.product["id"], variant) == 1
    page = phone.page

    await phone.open_menu()
    await page.get_by_role("link", name="Orders").click()
    await page.wait_for_url("**/orders")
    await phone.check()
    card = page.get_by_role("listitem", name=f"Order {order['number']}")
    assert "Paid" in await card.inner_text()
    assert "$54.00" in await card.inner_text()
    await card.get_by_role("link", name=f"Order {order['number']}").click()
    await page.wait_for_url(f"**/orders/{order['id']}")
    await phone.check()

    await page.get_by_role("button", name="Cancel order").click()
    await page.wait_for_url(f"**/orders/{order['id']}")
    await page.locator(".order-head .status--cancelled").wait_for()
    assert await page.locator(".order-head .status").first.inner_text() == "Cancelled"
    assert await page.get_by_role("button", name="Cancel order").count() == 0
    await page.get_by_text("You cancelled the order.").wait_for()
    await phone.check()

    answer = await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)
    assert answer.json()["status"] == "cancelled"
    assert answer.json()["refund_status"] == "full"
    assert await stock_of(client, listing.product["id"], variant) == 4


async def test_follow_the_parcel_and_return_a_line_after_delivery(client: httpx.AsyncClient, phone: Tab) -> None:
    title = unique("Wool scarf ")
    listing = await list_product(client, (4200, 5), title=title)
    buyer = await _signed_up_buyer(client, phone)
    order = await bought(client, buyer, listing.variant_ids[0], quantity=2)
    (line,) = order["lines"]
    tracking = unique("JD").upper()
    await _ship(client, listing, order["id"], tracking)
    delivered = await client.post(f"/api/v1/orders/{order['id']}/deliver", headers=listing.seller.headers)
    assert delivered.status_code == 200, delivered.text
    page = phone.page

    await phone.goto(f"/orders/{order['id']}")
    await phone.check()
    tracking_panel = page.get_by_role("region", name="Tracking")
    assert tracking in await tracking_panel.inner_text()
    assert "DHL Express" in await tracking_panel.inner_text()
    history = await page.get_by_role("region", name="Timeline").inner_text()
    for sentence in (
        "You placed the order.",
        "Your payment went through.",
        f"The shop shipped it with DHL Express, tracking number {tracking}.",
        "It was delivered.",
    ):
        assert sentence in history
    await page.get_by_text("You can ask to return items until").wait_for()

    item = page.get_by_role("listitem", name=line["title"])
    assert title in line["title"]
    assert await item.get_by_label("Quantity to return").get_attribute("max") == "2"
    await item.get_by_label("Quantity to return").fill("1")
    await item.get_by_label("Reason").select_option("It arrived damaged")
    await item.get_by_role("button", name="Request a return").click()
    await page.get_by_text("Return requested. The shop will answer soon.").wait_for()
    await page.get_by_role("region", name="Returns").get_by_text("Waiting for the shop").wait_for()
    assert f"1 × {line['title']}" in await page.get_by_role("region", name="Returns").inner_text()
    # One of two units is asked for: the form offers the other one only.
    assert await item.get_by_label("Quantity to return").get_attribute("max") == "1"
    await phone.check()

    returns = await client.get(
        f"/api/v1/shops/{listing.shop['id']}/returns", params={"status": "requested"}, headers=listing.seller.headers
    )
    assert returns.status_code == 200, returns.text
    (request,) = returns.json()["items"]
    assert request["order_id"] == order["id"]
    assert request["lines"] == [{"line_id": line["id"], "quantity": 1}]
    assert request["reason"] == "It arrived damaged"


async def test_a_shipped_order_is_not_cancelled_even_from_a_stale_page(client: httpx.AsyncClient, phone: Tab) -> None:
    listing = await list_product(client, (900, 6), title=unique("Clay mug "))
    buyer = await _signed_up_buyer(client, phone)
    shipped_first = await bought(client, buyer, listing.variant_ids[0])
    stale = await bought(client, buyer, listing.variant_ids[0])
    await _ship(client, listing, shipped_first["id"], unique("TRK").upper())
    page = phone.page

    await phone.goto(f"/orders/{shipped_first['id']}")
    await phone.check()
    assert await page.get_by_role("button", name="Cancel order").count() == 0
    assert await page.get_by_role("button", name="Request a return").count() == 0

    await phone.goto(f"/orders/{stale['id']}")
    await phone.check()
    cancel = page.get_by_role("button", name="Cancel order")
    await cancel.wait_for()
    await _ship(client, listing, stale["id"], unique("TRK").upper())  # the shop ships while the page is open
    await cancel.click()
    alert = page.get_by_role("alert").filter(has_text=re.compile("already shipped"))
    await alert.wait_for()
    assert await alert.inner_text() == "This order has already shipped: request a return instead."
    assert await page.get_by_role("button", name="Cancel order").count() == 0
    await phone.check()

    answer = await client.get(f"/api/v1/orders/{stale['id']}", headers=buyer.headers)
    assert answer.json()["status"] == "shipped"
    assert answer.json()["refund_status"] == "none"
