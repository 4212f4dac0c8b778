"""Browser test wiring: one `shoppable` server process and one Debian Chromium for the session, and pages that
record what a person would notice going wrong (console errors, failed requests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, Tab
from tests.helpers import serving


@pytest.fixture(scope="session")
async def site() -> AsyncIterator[str]:
    """A server in its own process on the test database, shared by the journeys."""
    async with serving() as base:
        yield base


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def phone(chromium: Any, site: str) -> AsyncIterator[Tab]:
    """A fresh browser profile at a phone's width (390 px), its cookies its own."""
    tab = await Tab.open(chromium, site, width=390, height=844)
    yield tab
    await tab.close()


@pytest.fixture
async def desktop(chromium: Any, site: str) -> AsyncIterator[Tab]:
    tab = await Tab.open(chromium, site, width=1280, height=900)
    yield tab
    await tab.close()
