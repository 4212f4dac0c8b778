"""The live room in two real Chromium windows: both see the host's pin at once; one signs in and buys, and the
other sees the purchase banner."""

from __future__ import annotations

import httpx

from tests.e2e.test_shop_pages import CHROMIUM, CHROMIUM_ARGS, pytestmark, server  # noqa: F401 - fixture, skip mark
from tests.helpers import register
from tests.live.helpers import on_air


async def test_two_browsers_watch_and_one_buys(client: httpx.AsyncClient, server: str) -> None:  # noqa: F811
    from playwright.async_api import async_playwright

    air = await on_air(client)
    buyer = await register(client, name="Ana Lima")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            first, second = await browser.new_page(), await (await browser.new_context()).new_page()
            for page in (first, second):
                await page.goto(f"{server}/lives/{air.live['id']}")
                await page.wait_for_function("document.getElementById('status').textContent === 'live'")
            async with httpx.AsyncClient(base_url=server) as http:
                pinned = await http.post(
                    f"{air.path}/pin", json={"product_id": air.listing.product["id"]}, headers=air.host.headers
                )
                assert pinned.status_code == 200, pinned.text
            for page in (first, second):
                await page.wait_for_selector("#pinned:not([hidden])")
                assert await page.inner_text("#pinned-title") == air.listing.product["title"]
            await first.fill("#signin input[name=email]", buyer.email)
            await first.fill("#signin input[name=password]", "correct horse")
            await first.click("#signin button")
            await first.wait_for_selector("#say:not([hidden])")
            await first.click("#buy")
            await first.wait_for_function("document.getElementById('bought').textContent !== ''")
            assert (await first.inner_text("#bought")).startswith("Ordered: SP-"), await first.inner_text("#bought")
            await second.wait_for_function(
                "document.getElementById('banners').textContent.includes('Ana L. is buying')"
            )
            await first.fill("#say input[name=text]", "just bought it")
            await first.click("#say button")
            await second.wait_for_function("document.getElementById('messages').textContent.includes('just bought it')")
        finally:
            await browser.close()
    orders = (await client.get("/api/v1/orders", headers=buyer.headers)).json()["items"]
    assert orders[0]["lines"][0]["attribution"]["source_type"] == "live"
