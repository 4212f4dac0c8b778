"""Clicks past an address's rate (``clicks_per_ip``, 120 a minute by default): still redirected and stored, but
flagged, not counted, and crediting no one (no attribution token is set, the shopper's cookie stays as it was)."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from shoppable.affiliate.clicks import AddressRate
from shoppable.affiliate.models import Click
from shoppable.app import create_app
from shoppable.config import Settings, get_settings
from shoppable.kit.db import Database
from tests.helpers import (
    BROWSER,
    attribution_cookie,
    become_creator,
    buy,
    link_for,
    list_product,
    open_plan,
    register,
)

Browser = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


def test_an_address_is_over_the_rate_past_its_limit_in_a_window() -> None:
    rate = AddressRate(3, 60)
    assert [rate.is_over("a", 600.0 + i) for i in range(5)] == [False, False, False, True, True]
    assert rate.is_over("b", 604.0) is False  # each address counts apart
    assert rate.is_over("a", 660.0) is False  # the next window starts afresh


def test_the_memory_is_bounded_and_errs_toward_the_creator() -> None:
    rate = AddressRate(1, 60, max_entries=2)
    assert [rate.is_over(address, 0.0) for address in ("a", "b", "c", "c")] == [False, False, False, False]
    assert rate.is_over("a", 1.0) is True


class Clock:
    def __init__(self) -> None:
        self.now = datetime.fromtimestamp(math.floor(time.time() / 60) * 60 + 1, UTC)  # just after a minute starts

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def strict(database: Database) -> FastAPI:
    """An application with the default click rate (the shared one's is generous), its redirects on a clock the
    test moves."""
    default = Settings.model_fields["clicks_per_ip"].default
    return create_app(
        get_settings().model_copy(update={"clicks_per_ip": default, "read_cache": False}), database=database
    )


@pytest.fixture
def clock(strict: FastAPI) -> Clock:
    moved = Clock()
    strict.state.redirector.clock = moved
    return moved


@pytest.fixture
def from_address(strict: FastAPI) -> Browser:
    @asynccontextmanager
    async def client(address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=strict, raise_app_exceptions=False, client=(address, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http

    return client


async def _open(http: httpx.AsyncClient, code: str, agent: str = BROWSER, cookie: str | None = None) -> httpx.Response:
    headers = {"User-Agent": agent} | ({"Cookie": f"shoppable_attr={cookie}"} if cookie else {})
    return await http.get(f"/l/{code}", headers=headers)


async def test_clicks_past_the_rate_still_redirect_but_credit_no_one(
    client: httpx.AsyncClient, strict: FastAPI, clock: Clock, from_address: Browser, database: Database
) -> None:
    assert (strict.state.redirector.rate.limit, strict.state.redirector.rate.window_s) == (120, 60)
    listing = await list_product(client, (1000, 20))
    await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=1000)
    ana, leo = await register(client), await register(client)
    await become_creator(client, ana)
    await become_creator(client, leo)
    ana_link = await link_for(client, ana, listing.product["id"])
    leo_link = await link_for(client, leo, listing.product["id"])
    async with from_address("192.0.2.10") as crowd, from_address("192.0.2.11") as elsewhere:
        # 120 shoppers behind one address (distinct browsers: no repeats) earn Ana a click each.
        earlier = ""
        for number in range(120):
            answer = await _open(crowd, leo_link["code"] if number == 0 else ana_link["code"], f"{BROWSER} #{number}")
            assert "set-cookie" in answer.headers
            earlier = earlier or attribution_cookie(answer)  # the first shopper's token, for Leo
        # The 121st is redirected all the same, leaving no token; the shopper's cookie (Leo's click) stays.
        past = await _open(crowd, ana_link["code"], f"{BROWSER} #120", cookie=earlier)
        assert past.status_code == 302
        assert past.headers["location"] == f"/products/{listing.product['id']}"
        assert "set-cookie" not in past.headers
        # Another address is not affected.
        assert "set-cookie" in (await _open(elsewhere, ana_link["code"], f"{BROWSER} elsewhere")).headers
        # The window passes: the crowd's address earns again.
        clock.now += timedelta(seconds=60)
        assert "set-cookie" in (await _open(crowd, ana_link["code"], f"{BROWSER} later")).headers

    await strict.state.click_writer.flush()
    async with database.session(write=False) as session:
        stored = list((await session.execute(select(Click).where(Click.link_id == ana_link["id"]))).scalars())
    assert len(stored) == 119 + 3
    assert [c.user_agent for c in stored if c.is_throttled] == [f"{BROWSER} #120"]
    assert not any(c.is_repeat or c.is_bot for c in stored)
    links = (await client.get("/api/v1/affiliate/links", headers=ana.headers)).json()["items"]
    assert next(link["clicks"] for link in links if link["id"] == ana_link["id"]) == 119 + 2

    # The shopper who clicked Ana's link past the rate buys: the sale goes to Leo (their last counted click).
    buyer = await register(client)
    order = await buy(client, buyer, [{"variant_id": listing.variant_ids[0], "quantity": 1}], cookie=earlier)
    assert order.status_code == 201, order.text
    (line,) = order.json()["orders"][0]["lines"]
    assert (line["attribution"]["source_type"], line["attribution"]["source_id"]) == ("link", leo_link["id"])
    # And one who had no cookie before earns no one.
    bare = await buy(client, await register(client), [{"variant_id": listing.variant_ids[0], "quantity": 1}])
    assert bare.json()["orders"][0]["lines"][0]["attribution"] is None
