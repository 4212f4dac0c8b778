"""The dashboard in Chromium at a phone's width and a desktop's: a seller who signed up in the browser sees the
empty shop's first steps, then, once the worker has passed a sale and a refund on, the figures, the top creator and
content, the chart and its table of 30 days, and follows "Orders to ship"; every page passes ``Tab.check()`` (no
console error, no failed request, no sideways scroll, no serious axe violation)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from shoppable.kit.db import Database
from shoppable.worker import Worker
from tests.e2e.browser import Tab
from tests.e2e.test_seller_pages import _seller
from tests.e2e.test_shopper_journeys import PASSWORD
from tests.web.seller_helpers import attributed_order


async def test_a_seller_reads_the_dashboard_on_a_phone_and_a_desktop(
    app: FastAPI, database: Database, client: httpx.AsyncClient, phone: Tab, desktop: Tab
) -> None:
    seller = await _seller(client, phone)
    page = phone.page
    await phone.goto(seller.base)
    await page.get_by_role("heading", name="Get your first sale").wait_for()
    await phone.check()

    order, creator, _ = await attributed_order(client, seller, quantity=2, price=2500)
    refund = await client.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "chipped"},
        headers=seller.account.headers,
    )
    assert refund.status_code == 201, refund.text
    await Worker(database, app.state.settings, app.state.payment_provider).dispatch()

    await phone.goto(seller.base)
    month = page.get_by_role("region", name="Last 30 days")
    assert await month.locator('[data-figure="month_gmv"]').inner_text() == "$50.00"
    assert await month.locator('[data-figure="month_net_sales"]').inner_text() == "$25.00"
    assert await page.get_by_role("img", name="GMV of each of the last 30 days").count() == 1
    await page.get_by_role("link", name=f"@{creator['handle']}").wait_for()
    await page.get_by_text("The numbers, day by day").click()
    days = page.get_by_role("region", name="GMV by day").get_by_role("row")
    assert await days.count() == 31  # the heading row and 30 days
    await phone.check()
    await page.get_by_role("link", name="Orders to ship").click()
    await page.wait_for_url(f"**{seller.base}/orders?status=paid")
    await page.get_by_role("link", name=order["number"]).wait_for()
    await phone.check()

    # the same page at a desktop's width, signed in as the same seller
    await desktop.goto("/signin")
    await desktop.page.get_by_label("Email").fill(seller.account.email)
    await desktop.page.get_by_label("Password").fill(PASSWORD)
    await desktop.page.get_by_role("button", name="Sign in").click()
    await desktop.page.wait_for_load_state("networkidle")
    await desktop.goto(seller.base)
    await desktop.page.get_by_role("heading", name="Top content, 30 days").wait_for()
    await desktop.check()
