"""``GET /l/{code}``: a 302 to the product page with a signed attribution cookie, every click stored by the
batched writer (bots and repeats flagged, not counted), unknown codes a 404 page."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from shoppable.affiliate.models import Click
from shoppable.affiliate.redirect import ClickWriter, Redirector, earlier_tokens
from shoppable.affiliate.tokens import read_all
from shoppable.config import get_settings
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from tests.helpers import (
    Account,
    attribution_cookie,
    become_creator,
    click,
    link_for,
    list_product,
    open_plan,
    register,
)


async def _linked(client: httpx.AsyncClient) -> tuple[Account, dict[str, Any], dict[str, Any]]:
    listing = await list_product(client, (1500, 5))
    await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=900)
    creator = await register(client)
    await become_creator(client, creator)
    return creator, listing.product, await link_for(client, creator, listing.product["id"])


async def _clicks(database: Database, link_id: str) -> list[Click]:
    async with database.session(write=False) as session:
        rows = await session.execute(select(Click).where(Click.link_id == link_id).order_by(Click.id))
        return list(rows.scalars())


async def _links(client: httpx.AsyncClient, creator: Account) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/affiliate/links", headers=creator.headers)
    assert response.status_code == 200, response.text
    return {link["id"]: link for link in response.json()["items"]}


async def test_a_click_redirects_sets_the_token_and_is_stored(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    creator, product, link = await _linked(client)
    assert link["url"].endswith(f"/l/{link['code']}")
    response = await click(client, link["code"])
    assert response.status_code == 302
    assert response.headers["location"] == f"/products/{product['id']}"
    assert response.headers["cache-control"] == "no-store"
    cookie_header = response.headers["set-cookie"]
    assert "Max-Age=604800" in cookie_header
    assert "HttpOnly" in cookie_header
    assert "SameSite=Lax" in cookie_header
    (token,) = read_all(
        attribution_cookie(response), get_settings().verification_keys, now=utcnow(), window=timedelta(days=7)
    )
    assert (token.link_id, token.product_id) == (link["id"], product["id"])
    assert await _clicks(database, link["id"]) == []  # nothing written on the hot path
    await app.state.click_writer.flush()
    (stored,) = await _clicks(database, link["id"])
    assert (stored.id, stored.is_bot, stored.is_repeat) == (token.click_id, False, False)
    assert (await _links(client, creator))[link["id"]]["clicks"] == 1


async def test_bots_and_repeats_are_stored_but_not_counted(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    creator, _, link = await _linked(client)
    assert (await click(client, link["code"])).status_code == 302
    assert (await click(client, link["code"])).status_code == 302  # the same visitor within a minute
    assert (
        await click(client, link["code"], agent="Googlebot/2.1 (+http://www.google.com/bot.html)")
    ).status_code == 302
    assert (await click(client, link["code"], agent="")).status_code == 302
    await app.state.click_writer.flush()
    stored = await _clicks(database, link["id"])
    assert [(c.is_bot, c.is_repeat) for c in stored] == [(False, False), (False, True), (True, False), (True, False)]
    assert (await _links(client, creator))[link["id"]]["clicks"] == 1


async def test_unknown_or_malformed_codes_are_a_404_page_without_redirect(client: httpx.AsyncClient) -> None:
    for code in ("NoSuchCode", "bad-code!", "x" * 40, ""):
        response = await client.get(f"/l/{code}")
        assert response.status_code == 404, code
        assert "location" not in response.headers
        assert "set-cookie" not in response.headers
        assert response.headers["content-type"].startswith("text/html")
        assert b"does not exist" in response.content


async def test_head_redirects_without_a_body_and_other_methods_are_refused(client: httpx.AsyncClient) -> None:
    _, product, link = await _linked(client)
    head = await client.head(f"/l/{link['code']}")
    assert (head.status_code, head.headers["location"], head.content) == (302, f"/products/{product['id']}", b"")
    posted = await client.post(f"/l/{link['code']}")
    assert (posted.status_code, posted.headers["allow"]) == (405, "GET, HEAD")
    client.cookies.clear()


async def test_the_cookie_keeps_the_last_five_clicks() -> None:
    header = b"a=1; shoppable_attr=" + "~".join(f"t{i}" for i in range(8)).encode() + b"; b=2"
    assert earlier_tokens(header) == ["t3", "t4", "t5", "t6", "t7"]
    assert earlier_tokens(b"xshoppable_attr=t1") == []
    assert earlier_tokens(b"") == []


async def test_the_writer_stores_what_is_left_on_shutdown(client: httpx.AsyncClient, database: Database) -> None:
    _, product, link = await _linked(client)
    writer = ClickWriter(database, interval_s=3600)
    rows = [
        (f"clk_shutdown_{i}", link["id"], "cr_x", product["id"], utcnow(), "v", None, None, False, False, False)
        for i in range(250)
    ]
    stop = asyncio.Event()
    running = asyncio.create_task(writer.run(stop))
    for row in rows:
        writer.add(row)
    stop.set()
    await running
    assert (writer.stored, writer.pending) == (250, 0)
    assert len(await _clicks(database, link["id"])) == 250


async def test_a_failed_write_keeps_its_rows_for_the_next_round(
    client: httpx.AsyncClient, database: Database, tmp_path: Path
) -> None:
    _, product, link = await _linked(client)
    unreachable = Database(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/clicks.db")
    writer = ClickWriter(unreachable, interval_s=3600)
    writer.add(
        (f"clk_retry_{link['id']}", link["id"], "cr_x", product["id"], utcnow(), "v", None, None, False, False, False)
    )
    assert await writer.flush() == 0
    assert writer.pending == 1
    writer.database = database  # the database is back
    assert await writer.flush() == 1
    assert len(await _clicks(database, link["id"])) == 1
    await unreachable.dispose()


async def test_an_unreachable_database_is_a_503_page_not_a_crash(tmp_path: Path) -> None:
    unreachable = Database(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/links.db")
    redirector = Redirector(unreachable, ClickWriter(unreachable, 1.0), secret="s", window_days=7, secure_cookie=False)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/l/AbCdEf12", "headers": [], "client": ("127.0.0.1", 1)}
    await redirector(scope, send)
    assert sent[0]["status"] == 503
    assert (b"retry-after", b"5") in sent[0]["headers"]
    await unreachable.dispose()
