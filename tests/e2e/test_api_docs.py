"""`/docs` and `/redoc` in a real Chromium under `script-src 'self'`: they render from the app's own files, ask
no other host for anything, log no error, and Swagger UI's "Authorize" signs in (Debian's chromium, no downloads).

The pages are opened on a public-looking host name that the browser maps to 127.0.0.1, not on 127.0.0.1 itself:
Redoc sends usage telemetry, and Swagger UI would ask its public validator, only from a non-local address, so
only there does "no request to another host" show that both are switched off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, Tab
from tests.helpers import register

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
PUBLIC_NAME = "docs.shoppable.test"
DOCS_ARGS = [
    *CHROMIUM_ARGS,
    f"--host-resolver-rules=MAP {PUBLIC_NAME} 127.0.0.1",
    # Chromium refuses a page on a public name fetching from a loopback address ("local network access").
    "--disable-features=LocalNetworkAccessChecks",
]
# The pages' policy: a script that is not a same-origin file (inline, eval, blob) is refused and logged as a
# console error. Both viewers style themselves with inline styles ('unsafe-inline' for styles only), and Swagger
# UI's stylesheet carries its icon font as a data: URL.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)

# Both viewers parse and lay out the whole OpenAPI document (half a megabyte) before showing anything: on a busy
# two-core machine that alone can take half a minute.
RENDER_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
async def docs_browser() -> AsyncIterator[Any]:
    """Chromium that also resolves PUBLIC_NAME (to 127.0.0.1)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=DOCS_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def docs(docs_browser: Any, site: str) -> AsyncIterator[Tab]:
    """A tab on the shared server, reached as PUBLIC_NAME, with the docs pages served under CSP; afterwards,
    any console error, failed request, request to another host or unexpected CSP violation fails the test."""
    base = site.replace("127.0.0.1", PUBLIC_NAME)
    tab = await Tab.open(docs_browser, base, width=1280, height=900)
    hosts: set[str] = set()
    tab.page.on("request", lambda sent: hosts.add(urlsplit(sent.url.removeprefix("blob:")).hostname or sent.url))
    # A refusal the page catches is not always logged by Chromium: report every one.
    violations: list[str] = []
    await tab.page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.log('csp-violation', e.violatedDirective, e.blockedURI, e.sourceFile))"
    )
    tab.page.on("console", lambda message: violations.append(message.text) if "csp-violation" in message.text else None)
    await tab.page.route(f"{base}/docs", _with_csp)
    await tab.page.route(f"{base}/redoc", _with_csp)
    yield tab
    await tab.close()
    assert hosts - {"about:blank"} == {PUBLIC_NAME}, "a request to another host"
    # Redoc's search probes for eval (``Function(...)`` in a try) to run in a worker; refused, it searches in the
    # page instead. That probe is the one refusal expected.
    probe = f"csp-violation script-src eval {base}/static/vendor/redoc/redoc.standalone.js"
    assert [v for v in violations if v != probe] == []


async def _with_csp(route: Any) -> None:
    # Playwright fetches outside the browser, where the mapped name does not resolve.
    parts = urlsplit(route.request.url)
    response = await route.fetch(url=parts._replace(netloc=f"127.0.0.1:{parts.port}").geturl())
    await route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})


async def test_swagger_ui_renders_offline_and_authorizes(client: httpx.AsyncClient, docs: Tab) -> None:
    account = await register(client, password="docs-password-1")
    page = docs.page
    await page.goto("/docs")
    await page.locator(".opblock").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert await page.locator(".opblock").count() > 20
    assert "Shoppable" in await page.locator(".info .title").inner_text()

    # "Authorize" with the password flow: Swagger UI posts to the tokenUrl and holds the bearer token.
    await page.locator(".auth-wrapper").get_by_role("button", name="Authorize").click()
    dialog = page.locator(".modal-ux")
    await dialog.get_by_label("username:").fill(account.email)
    await dialog.get_by_label("password:").fill("docs-password-1")
    async with page.expect_response("**/api/v1/auth/token") as token:
        await dialog.get_by_role("button", name="Apply given OAuth2 credentials").click()
    assert (await token.value).status == 200
    await dialog.get_by_role("button", name="Remove authorization").wait_for()


async def test_redoc_renders_offline(docs: Tab) -> None:
    page = docs.page
    await page.goto("/redoc")
    await page.get_by_role("heading", level=1, name="Shoppable").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    await page.get_by_text("/api/v1/auth/token").first.wait_for()
    # Open an operation (its request sample renders) and search: still nothing from elsewhere.
    await page.get_by_text("/api/v1/orders").first.click()
    await page.get_by_text("shipping_address").first.wait_for()
    await page.keyboard.press("Control+K")
    await page.keyboard.type("flash")
    await page.get_by_text("Start a flash sale").first.wait_for()
    await page.get_by_alt_text("redocly logo").wait_for()  # the local logo, not the CDN's
    await page.goto("about:blank")  # Redoc batches its telemetry and would send it as the page goes away
