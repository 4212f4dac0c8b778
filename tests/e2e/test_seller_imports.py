"""A seller's import in Chromium at a phone's width: they upload a real Shopify export on the imports page, watch the
progress bar reach done, read the report's counts (the API's import record), then find the products it made and a
variant's stock history. Controls are found by role and name as shared/PAGES.md binds them; every page is checked."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.e2e.browser import Tab
from tests.e2e.test_shopper_journeys import api_token, sign_up
from tests.helpers import Account, unique
from tests.web.seller_helpers import SellerAtWork

SHOPIFY_EXPORT = Path(__file__).parents[3] / "shared" / "data" / "shopify-csv" / "apparel.csv"


async def _seller(client: httpx.AsyncClient, tab: Tab) -> SellerAtWork:
    email = await sign_up(tab, name="Iris Importer")
    headers = await api_token(client, email)
    me = (await client.get("/api/v1/me", headers=headers)).json()
    account = Account(id=me["id"], email=email, token=headers["Authorization"].split()[1])
    shop = await client.post(
        "/api/v1/shops", json={"name": unique("Iris Apparel "), "currency": "USD"}, headers=headers
    )
    assert shop.status_code == 201, shop.text
    return SellerAtWork(account, "", shop.json())


async def test_import_a_real_shopify_export_and_read_the_report(client: httpx.AsyncClient, phone: Tab) -> None:
    if not SHOPIFY_EXPORT.exists():
        pytest.skip("../shared/data is absent")
    seller = await _seller(client, phone)
    page = phone.page

    await phone.goto(f"{seller.base}/imports")
    await phone.check()
    await page.get_by_label("Export file").set_input_files(str(SHOPIFY_EXPORT))
    await page.get_by_role("button", name="Import").click()
    await page.wait_for_url(re.compile(r"/imports/imp_[^/]+$"))
    import_id = page.url.rsplit("/", 1)[1]
    await phone.check()  # as it opens: the bar, or already the report

    await page.get_by_role("heading", name="Import finished").wait_for()
    bar = page.locator("progress")
    assert await bar.get_attribute("value") == "100"
    assert await bar.get_attribute("max") == "100"
    await page.wait_for_load_state("networkidle")
    await phone.check()
    record = (await client.get(f"/api/v1/imports/{import_id}", headers=seller.account.headers)).json()
    assert record["status"] == "succeeded"
    assert record["created"] > 0

    async def figure(label: str) -> int:
        return int(await page.locator(".figure").filter(has_text=label).locator("dd").inner_text())

    assert await figure("Rows read") == record["rows_total"]
    assert await figure("Products created") == record["created"]
    assert await figure("Products updated") == record["updated"]
    assert await figure("Rows skipped") == len({s["row"] for s in record["skipped"]})
    assert await figure("Warnings") == len(record["warnings"])

    await page.get_by_role("link", name="All imports").click()
    await page.wait_for_url(f"**{seller.base}/imports")
    await phone.check()
    assert await page.get_by_role("link", name="apparel.csv").count() == 1

    await page.get_by_role("link", name="Products", exact=True).click()
    await page.wait_for_url(f"**{seller.base}/products")
    await phone.check()
    listing = (await client.get(f"/api/v1/shops/{seller.shop['id']}/products", headers=seller.account.headers)).json()
    product = listing["items"][0]
    await page.get_by_role("link", name=product["title"], exact=True).click()
    await page.wait_for_url(f"**{seller.base}/products/{product['id']}")
    await phone.check()
    assert await page.get_by_role("button", name="Save product").count() == 1
    await page.get_by_role("link", name=re.compile(r"^Change stock and see its history")).first.click()
    await page.wait_for_url(re.compile(r"/variants/var_"))
    await phone.check()
    await page.get_by_label("Add or remove units").fill("4")
    await page.get_by_label("Reason", exact=True).fill("Found in the back room")
    await page.get_by_role("button", name="Adjust stock").click()
    await page.get_by_role("status").filter(has_text="Stock changed").wait_for()
    await page.get_by_role("cell", name="Found in the back room").wait_for()
    await phone.check()


async def test_add_a_product_with_four_variants(client: httpx.AsyncClient, phone: Tab) -> None:
    """By hand on a phone: the product form's three empty variant rows, one more added, saved with "Save product"."""
    seller = await _seller(client, phone)
    page = phone.page
    await phone.goto(f"{seller.base}/products")
    await phone.check()
    await page.get_by_role("link", name="Add product").click()
    await page.wait_for_url(f"**{seller.base}/products/new")
    await phone.check()
    await page.get_by_label("Title", exact=True).fill("Rib Knit Beanie")
    await page.get_by_label("Option 1 name").fill("Colour")
    await page.get_by_role("button", name="Add another variant").click()
    for number, (colour, price) in enumerate((("Rust", "24"), ("Moss", "24"), ("Ink", "26"), ("Oat", "26.50")), 1):
        row = page.get_by_role("group", name=f"New variant {number}")
        await row.get_by_label("Option 1 value").fill(colour)
        await row.get_by_label("Price", exact=True).fill(price)
        await row.get_by_label("Stock").fill(str(number))
    await page.get_by_role("button", name="Save product").click()
    await page.get_by_role("status").filter(has_text="Product saved").wait_for()
    await phone.check()
    product_id = page.url.rsplit("/", 1)[1]
    product = (await client.get(f"/api/v1/products/{product_id}", headers=seller.account.headers)).json()
    assert [(v["options"]["Colour"], v["price"], v["inventory_quantity"]) for v in product["variants"]] == [
        ("Rust", 2400, 1),
        ("Moss", 2400, 2),
        ("Ink", 2600, 3),
        ("Oat", 2650, 4),
    ]
