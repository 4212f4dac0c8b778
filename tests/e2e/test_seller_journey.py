"""The Seller Center's whole journey in Chromium at a phone's width, on a freshly seeded demo: the demo seller
signs in, imports a real Shopify export and watches it finish (the report's counts are the API's), opens an open
plan at 15 % for two of the imported products; a shopper buys one through a creator's link; the seller finds the
order with its attribution and ships it with a tracking number, and the shopper's order page shows it shipped.
Every page visited passes ``Tab.check()``."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shoppable.demo.seed import CREATOR, SELLER, SHOPPER
from tests.conftest import ON_POSTGRES, ROOT, SHARED_DATA
from tests.e2e.browser import Tab
from tests.helpers import serving

EXPORT = SHARED_DATA / "shopify-csv" / "apparel.csv"
SHOP = "everyday-market"

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the journey runs on a fresh SQLite demo: once, in the SQLite pass")


@pytest.fixture(scope="module")
async def demo_site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A server on a freshly seeded demo of its own (`shoppable demo --no-serve` on a new SQLite file)."""
    if not EXPORT.is_file():
        pytest.skip(f"shared sample data not found at {EXPORT}")
    where = tmp_path_factory.mktemp("demo")
    demo = {
        "SHOPPABLE_DATABASE_URL": f"sqlite+aiosqlite:///{where / 'demo.db'}",
        "SHOPPABLE_VAR_DIR": str(where / "var"),
        "SHOPPABLE_WORKER_IN_PROCESS": "true",  # the import runs in the background, as in `make demo`
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shoppable.cli", "demo", "--no-serve", cwd=ROOT, env=dict(os.environ, **demo),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode == 0, output.decode(errors="replace")
    async with serving(**demo) as base:
        yield base


async def _token(http: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    answer = await http.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def _sign_in(tab: Tab, email: str, password: str, then: str) -> None:
    await tab.goto(f"/signin?next={then}")
    await tab.check()
    page = tab.page
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{tab.base}{then}")


async def test_import_plan_sale_and_shipping(demo_site: str, chromium: Any) -> None:
    seller_tab = await Tab.open(chromium, demo_site, width=390, height=844)
    shopper_tab = await Tab.open(chromium, demo_site, width=390, height=844)
    async with httpx.AsyncClient(base_url=demo_site) as http:
        try:
            await _journey(http, seller_tab, shopper_tab)
        finally:
            await seller_tab.close()
            await shopper_tab.close()


async def _journey(http: httpx.AsyncClient, seller_tab: Tab, shopper_tab: Tab) -> None:
    seller_api = await _token(http, SELLER.email, SELLER.password)
    page = seller_tab.page

    # The demo seller signs in and picks the shop.
    await _sign_in(seller_tab, SELLER.email, SELLER.password, "/seller")
    await seller_tab.check()
    await page.get_by_role("link", name="Everyday Market").click()
    await page.wait_for_url(f"**/seller/{SHOP}")
    await seller_tab.check()

    # Imports a real Shopify export and watches it finish.
    await page.get_by_role("navigation", name="Seller Center").get_by_role("link", name="Imports").click()
    await page.wait_for_url(f"**/seller/{SHOP}/imports")
    await seller_tab.check()
    await page.get_by_label("Export file").set_input_files(str(EXPORT))
    await page.get_by_role("button", name="Import").click()
    await page.wait_for_url(re.compile(rf"/seller/{SHOP}/imports/imp_\w+"))
    import_id = page.url.rsplit("/", 1)[1].split("?")[0]
    report = page.get_by_role("region", name="Import finished")
    await report.wait_for(timeout=120_000)
    await seller_tab.check()
    record = (await http.get(f"/api/v1/imports/{import_id}", headers=seller_api)).json()
    assert record["status"] == "succeeded", record
    expected = {"created": record["created"], "updated": record["updated"], "skipped": len(record["skipped"])}
    assert expected["created"] == 20
    for count, value in expected.items():
        assert int((await page.locator(f"[data-count={count}]").inner_text()).strip()) == value, count
    shop = (await http.get(f"/api/v1/shops/{record['shop_id']}")).json()
    imported = (await http.get(f"/api/v1/shops/{shop['id']}/products?limit=100", headers=seller_api)).json()["items"]
    by_handle = {p["handle"]: p for p in imported}
    bag, jacket = by_handle["black-leather-bag"], by_handle["classic-leather-jacket"]

    # Opens an open plan at 15 % for two of those products.
    await seller_tab.goto(f"/seller/{SHOP}/plans")
    await seller_tab.check()
    await page.get_by_label("Plan kind").select_option("open")
    await page.get_by_label("Name", exact=True).fill("Apparel launch")
    await page.get_by_label("Commission (%)").fill("15")
    await page.get_by_role("checkbox", name=bag["title"], exact=True).check()
    await page.get_by_role("checkbox", name=jacket["title"], exact=True).check()
    await page.get_by_role("button", name="Create plan").click()
    await page.wait_for_url(f"**/seller/{SHOP}/plans")
    await seller_tab.check()
    plans = (await http.get(f"/api/v1/shops/{shop['id']}/affiliate-plans", headers=seller_api)).json()["items"]
    plan = next(p for p in plans if p["name"] == "Apparel launch")
    assert (plan["kind"], plan["commission_bps"], sorted(plan["product_ids"])) == (
        "open",
        1500,
        sorted([bag["id"], jacket["id"]]),
    )

    # A shopper buys the bag through the demo creator's link (saved address and card: two taps).
    creator_api = await _token(http, CREATOR.email, CREATOR.password)
    link = await http.post("/api/v1/affiliate/links", json={"product_id": bag["id"]}, headers=creator_api)
    assert link.status_code in (200, 201), link.text
    await _sign_in(shopper_tab, SHOPPER.email, SHOPPER.password, "/orders")
    shop_page = shopper_tab.page
    await shopper_tab.goto(f"/l/{link.json()['code']}")
    await shop_page.wait_for_url(re.compile(rf"/products/{bag['id']}"))
    await shopper_tab.check()
    await shop_page.get_by_role("button", name="Buy now").click()
    await shop_page.wait_for_url(re.compile(r"/checkout\?buy="))
    await shopper_tab.check()
    await shop_page.get_by_role("button", name="Place order").click()
    await shop_page.wait_for_url("**/checkout/done?orders=*")
    await shopper_tab.check()
    shopper_api = await _token(http, SHOPPER.email, SHOPPER.password)
    order = (await http.get("/api/v1/orders", headers=shopper_api)).json()["items"][0]
    assert order["lines"][0]["product_id"] == bag["id"]

    # The seller sees the order with its attribution and ships it with a tracking number.
    await seller_tab.goto(f"/seller/{SHOP}/orders?status=paid")
    await seller_tab.check()
    await page.get_by_role("link", name=order["number"]).click()
    await page.wait_for_url(f"**/seller/{SHOP}/orders/{order['id']}")
    await seller_tab.check()
    line = page.get_by_role("listitem", name=bag["title"])
    assert "Credited to @ana" in await line.inner_text()
    assert "commission 15 %" in await line.inner_text()
    await page.get_by_label("Carrier").fill("UPS")
    await page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    await page.get_by_role("button", name="Ship").click()
    await page.wait_for_url(f"**/seller/{SHOP}/orders/{order['id']}")
    await seller_tab.check()

    # The shopper's order page shows it shipped, with the tracking.
    await shopper_tab.goto(f"/orders/{order['id']}")
    await shopper_tab.check()
    assert "Shipped" in await shop_page.locator(".order-head__badges").inner_text()
    assert await shop_page.locator(".tracking-number").inner_text() == "1Z999AA10123456784"
