"""The Seller Center's order, return, plan and live pages in Chromium, at a phone's width and a desktop's: a
seller who signed up in the browser works through them by role and name, and every page passes ``Tab.check()``
(no console error, no failed request, no sideways scroll, no serious axe violation)."""

from __future__ import annotations

import re

import httpx

from tests.e2e.browser import Tab
from tests.e2e.test_shopper_journeys import api_token, sign_up
from tests.helpers import Account, create_product, unique
from tests.web.seller_helpers import SellerAtWork, attributed_order


async def _seller(client: httpx.AsyncClient, tab: Tab) -> SellerAtWork:
    email = await sign_up(tab, name="Mara Seller")
    headers = await api_token(client, email)
    me = (await client.get("/api/v1/me", headers=headers)).json()
    account = Account(id=me["id"], email=email, token=headers["Authorization"].split()[1])
    shop = await client.post(
        "/api/v1/shops", json={"name": unique("Mara's Ceramics "), "currency": "USD"}, headers=headers
    )
    assert shop.status_code == 201, shop.text
    return SellerAtWork(account, "", shop.json())


async def test_orders_returns_plans_and_lives_pages(client: httpx.AsyncClient, phone: Tab, desktop: Tab) -> None:
    seller = await _seller(client, phone)
    order, creator, buyer = await attributed_order(client, seller, quantity=2, price=2500)
    page = phone.page

    await phone.goto(f"{seller.base}/orders")
    await phone.check()
    await page.get_by_label("Status").select_option("paid")
    await page.get_by_role("button", name="Filter").click()
    await page.wait_for_url(re.compile(r"status=paid"))
    await phone.check()
    await page.get_by_role("link", name=order["number"]).click()
    await page.wait_for_url(f"**{seller.base}/orders/{order['id']}")
    await phone.check()
    await page.get_by_role("listitem", name=order["lines"][0]["title"]).get_by_label("Units to refund").fill("1")
    await page.get_by_role("button", name="Refund").dblclick()
    await page.get_by_role("status").filter(has_text="Refund made").wait_for()
    await page.wait_for_load_state("networkidle")
    await phone.check()
    refunded = (await client.get(f"/api/v1/orders/{order['id']}", headers=seller.account.headers)).json()
    assert refunded["refunded_total"] == 2500
    phone.allow(f"{seller.base}/orders/{order['id']}/ship", 422)
    await page.get_by_label("Carrier").fill("DHL")
    await page.get_by_role("button", name="Ship").click()  # no tracking number: the error sits beside its field
    await page.locator("#f-tracking-number-error").wait_for()
    await phone.check()
    await page.get_by_label("Tracking number").fill("JD014600006281234567")
    await page.get_by_role("button", name="Ship").click()
    await page.get_by_role("button", name="Mark delivered").wait_for()
    await phone.check()
    await page.get_by_role("button", name="Mark delivered").click()
    await page.wait_for_load_state("networkidle")
    asked = await client.post(
        f"/api/v1/orders/{order['id']}/returns",
        json={"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "It doesn't fit"},
        headers=buyer.headers,
    )
    assert asked.status_code == 201, asked.text
    await phone.goto(f"{seller.base}/returns")
    await phone.check()
    request = page.get_by_role("listitem").filter(has_text=order["number"])
    await request.get_by_role("button", name="Approve").click()
    await page.wait_for_url(f"**{seller.base}/returns")
    await phone.check()

    plans = (
        await client.get(f"/api/v1/shops/{seller.shop['id']}/affiliate-plans", headers=seller.account.headers)
    ).json()
    (plan,) = plans["items"]
    await phone.goto(f"{seller.base}/plans")
    await phone.check()
    await page.get_by_role("link", name=plan["name"]).click()
    await page.wait_for_url(f"**{seller.base}/plans/{plan['id']}")
    await phone.check()
    assert "it reaches the 1 creator already promoting" in await page.locator("#rate-rule").inner_text()
    await page.get_by_label("Commission (%)").fill("10")
    await page.get_by_role("button", name="Save rate").click()
    await page.get_by_role("button", name="Confirm the cut").wait_for()
    await phone.check()
    await page.get_by_role("button", name="Confirm the cut").click()
    await page.get_by_role("status").filter(has_text="Rate saved").wait_for()
    await phone.check()

    product = await create_product(client, seller.account, seller.shop["id"], title="Celadon Vase")
    await phone.goto(f"{seller.base}/lives")
    await phone.check()
    await page.get_by_label("Title").fill("Kiln opening")
    await page.get_by_role("checkbox", name="Celadon Vase").check()
    await page.get_by_role("button", name="Schedule live").click()
    await page.get_by_role("button", name="Go live").wait_for()
    await phone.check()
    await page.get_by_role("button", name="Go live").click()
    await page.get_by_role("button", name="End live").wait_for()
    await phone.check()
    live = (await client.get("/api/v1/lives?status=live")).json()["items"]
    assert any(item["title"] == "Kiln opening" and item["products"][0]["id"] == product["id"] for item in live)

    # The same pages at a desktop's width, signed in as the same seller.
    await desktop.context.add_cookies(await phone.context.cookies())
    base = seller.base
    pages = (base, f"{base}/orders", f"{base}/orders/{order['id']}", f"{base}/returns?status=all", f"{base}/plans")
    for path in (*pages, f"{base}/lives", "/seller"):
        await desktop.goto(path)
        await desktop.check()
    await desktop.goto(f"{seller.base}/orders/{order['id']}")
    assert (
        f"@{creator['handle']}"
        in await desktop.page.get_by_role("listitem", name=order["lines"][0]["title"]).inner_text()
    )
