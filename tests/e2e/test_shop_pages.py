"""The shop front in a real Chromium: search the catalog, open a product (Debian's chromium, no downloads)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.helpers import create_product, create_shop, register, serving, unique

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """`shoppable serve` in its own process, on the test database."""
    async with serving() as base:
        yield base


async def test_search_and_open_a_product(client: httpx.AsyncClient, server: str) -> None:
    from playwright.async_api import async_playwright

    owner = await register(client)
    shop = await create_shop(client, owner)
    word = unique("kettle")
    title = f"Copper {word}"
    await create_product(
        client,
        owner,
        shop["id"],
        title=title,
        description_html="<p>Hand-hammered <b>copper</b></p>",
        options=[{"name": "Size"}],
        variants=[{"options": {"Size": "1 L"}, "price": 4900}, {"options": {"Size": "2 L"}, "price": 6900}],
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(server + "/")
            await page.fill("input[name=q]", word)
            await page.press("input[name=q]", "Enter")
            await page.wait_for_url(f"**/?q={word}")
            cards = page.locator(".card")
            assert await cards.count() == 1
            assert await cards.first.locator(".price").inner_text() == "$49.00 – $69.00"
            await cards.first.click()
            await page.wait_for_url("**/products/*")
            assert await page.inner_text("h1") == title
            assert "Hand-hammered copper" in await page.inner_text(".description")
            assert await page.locator(".variants tbody tr").count() == 2
        finally:
            await browser.close()
