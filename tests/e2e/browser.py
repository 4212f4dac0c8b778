"""A browser tab that watches for what a person would notice: console errors, requests that failed or
answered with an error, horizontal scrolling at a phone's width, and serious accessibility violations (axe-core,
shipped inside axe-playwright-python; nothing is downloaded)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

_axe: Any = None


# A 1×1 PNG: what the test machine (which has no internet) shows for a product image a real export links on a
# store's CDN. Requests to any other outside address still fail, and are counted.
def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xe3\xe3\xe8" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


OUTSIDE_IMAGE = _png(8, 8)


def _axe_runner() -> Any:
    global _axe
    if _axe is None:
        from axe_playwright_python.async_playwright import Axe

        _axe = Axe()
    return _axe


async def _outside(route: Any) -> None:
    if route.request.resource_type == "image":
        await route.fulfill(status=200, content_type="image/png", body=OUTSIDE_IMAGE)
    else:
        await route.abort("internetdisconnected")


@dataclass
class Tab:
    base: str
    context: Any
    page: Any
    width: int
    problems: list[str] = field(default_factory=list)
    allowed_statuses: set[tuple[str, int]] = field(default_factory=set)
    visited: list[str] = field(default_factory=list)

    @classmethod
    async def open(cls, browser: Any, base: str, *, width: int, height: int) -> Tab:
        context = await browser.new_context(viewport={"width": width, "height": height}, base_url=base)
        page = await context.new_page()
        tab = cls(base, context, page, width)
        ours = "|".join(re.escape(host) for host in {urlsplit(base).netloc, "127.0.0.1:", "localhost:"})
        await context.route(re.compile(rf"^https?://(?!{ours})"), _outside)
        page.on("console", tab._on_console)
        page.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
        page.on("requestfailed", tab._on_failed)
        page.on("response", tab._on_response)
        return tab

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        # Chromium logs every error answer too: one the test expects (``allow``) is no problem.
        status = message.text.removeprefix("Failed to load resource: the server responded with a status of ")
        where = (message.location or {}).get("url", "").removeprefix(self.base).split("?")[0]
        if status != message.text and (where, int(status.split()[0])) in self.allowed_statuses:
            return
        self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _on_failed(self, request: Any) -> None:
        failure = request.failure or ""
        # A media element cancels its own range requests as it seeks and buffers: that is not a failure.
        # Nor is the favicon fetch a navigation cuts short.
        if "ERR_ABORTED" in failure and (request.resource_type == "media" or request.url.endswith("/favicon.svg")):
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({failure})")

    def _on_response(self, response: Any) -> None:
        path = response.url.removeprefix(self.base)
        if response.status >= 400 and (path.split("?")[0], response.status) not in self.allowed_statuses:
            self.problems.append(f"{response.status} for {response.request.method} {response.url}")

    def allow(self, path: str, status: int) -> None:
        """An error answer the test expects (a refusal it asserts), not counted as a failed request."""
        self.allowed_statuses.add((path, status))

    async def goto(self, path: str) -> Any:
        response = await self.page.goto(path)
        await self.page.wait_for_load_state("networkidle")
        return response

    async def check(self) -> None:
        """The page as it stands: no horizontal scroll at this width, no serious or critical axe violation, and
        nothing went wrong so far."""
        page = self.page
        self.visited.append(page.url)
        scroll = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= self.width, f"{page.url} scrolls sideways at {self.width} px: {scroll} px wide"
        results = await _axe_runner().run(page)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]
        assert not serious, f"accessibility on {page.url}: {serious}"
        shots = os.environ.get("E2E_SCREENSHOTS")  # a folder: keep what each checked page looked like
        if shots:
            name = re.sub(r"[^A-Za-z0-9]+", "_", page.url.removeprefix(self.base))[:80] or "home"
            await page.screenshot(path=f"{shots}/{len(self.visited):02d}-{self.width}-{name}.png", full_page=True)
        assert not self.problems, self.problems

    async def open_menu(self) -> None:
        """The account menu collapses on a phone: open it."""
        toggle = self.page.get_by_role("button", name="Menu")
        if await toggle.is_visible() and await toggle.get_attribute("aria-expanded") != "true":
            await toggle.click()

    async def close(self) -> None:
        await self.context.close()
        assert not self.problems, self.problems
