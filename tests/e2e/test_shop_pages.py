"""The shop front in a real Chromium: search the catalog, open a product (Debian's chromium, no downloads)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import DATABASE_URL
from tests.helpers import create_product, create_shop, register, unique

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """`shoppable serve` in its own process, on the test database."""
    port = _free_port()
    env = dict(os.environ, SHOPPABLE_DATABASE_URL=DATABASE_URL)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "shoppable.app:create_app",
        "--factory",
        "--port",
        str(port),
        "--log-level",
        "warning",
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                try:
                    if (await http.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("the server did not start")
        yield base
    finally:
        process.terminate()
        await process.wait()


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
