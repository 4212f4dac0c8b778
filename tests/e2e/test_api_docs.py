"""`/docs` and `/redoc` in a real Chromium under `script-src 'self'`: they render from the app's own files, ask
no other host for anything, log no error, and Swagger UI's "Authorize" signs in (Debian's chromium, no downloads)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.helpers import register, serving

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
# What the pages are served under: a script that is not a same-origin file (inline, eval) is refused and logged
# as a console error. Both viewers style themselves with inline styles, hence 'unsafe-inline' for styles only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """`shoppable serve` in its own process, on the test database."""
    async with serving() as base:
        yield base


class Watched:
    """A page's console errors, failed requests and the hosts it asked."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.hosts: set[str] = set()

    def watch(self, page: Any) -> None:
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("requestfailed", lambda request: self.failed.append(request.url))
        page.on("request", lambda request: self.hosts.add(urlsplit(request.url).hostname or request.url))


async def _with_csp(route: Any) -> None:
    response = await route.fetch()
    await route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})


async def test_swagger_ui_renders_offline_and_authorizes(client: httpx.AsyncClient, server: str) -> None:
    from playwright.async_api import async_playwright

    account = await register(client, password="docs-password-1")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            seen = Watched()
            seen.watch(page)
            await page.route(server + "/docs", _with_csp)
            await page.goto(server + "/docs")
            await page.locator(".opblock").first.wait_for()
            assert await page.locator(".opblock").count() > 20
            assert "Shoppable" in await page.locator(".info .title").inner_text()

            # "Authorize" with the password flow: Swagger UI posts to the tokenUrl and keeps the bearer token.
            await page.get_by_role("button", name="Authorize").first.click()
            dialog = page.locator(".modal-ux")
            await dialog.locator("input[name=username]").fill(account.email)
            await dialog.locator("input[name=password]").fill("docs-password-1")
            async with page.expect_response("**/api/v1/auth/token") as token:
                await dialog.get_by_role("button", name="Authorize", exact=True).click()
            assert (await token.value).status == 200
            await dialog.get_by_role("button", name="Logout").wait_for()
        finally:
            await browser.close()
    assert seen.errors == []
    assert seen.failed == []
    assert seen.hosts == {"127.0.0.1"}


async def test_redoc_renders_offline(server: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            seen = Watched()
            seen.watch(page)
            await page.route(server + "/redoc", _with_csp)
            await page.goto(server + "/redoc")
            title = page.get_by_role("heading", level=1).filter(has_text="Shoppable")
            await title.first.wait_for()
            assert await page.get_by_text("/api/v1/auth/token").count() > 0
        finally:
            await browser.close()
    assert seen.errors == []
    assert seen.failed == []
    assert seen.hosts == {"127.0.0.1"}
