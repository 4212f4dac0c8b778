"""The live pages over HTTP: what is on air with its host and a LIVE badge (or an empty state), the room for
someone signed out (a way to sign in, no chat box, no token anywhere) and signed in (the chat box, the sheet
that asks once for an address and a card), and an unknown live's 404 page."""

from __future__ import annotations

from datetime import timedelta

import httpx
from starlette.requests import Request

from shoppable.identity import sessions
from shoppable.identity.deps import SESSION_COOKIE
from shoppable.kit.db import Database
from shoppable.web.templating import templates
from tests.helpers import register
from tests.live.helpers import on_air

HTML = {"Accept": "text/html"}


async def test_lives_on_air_are_listed_with_their_host(client: httpx.AsyncClient) -> None:
    air = await on_air(client)
    scheduled = await on_air(client, start=False)
    shop_live = await client.post(
        "/api/v1/lives",
        json={
            "title": "Shop's own hour",
            "product_ids": [air.listing.product["id"]],
            "shop_id": air.listing.shop["id"],
        },
        headers=air.listing.seller.headers,
    )
    assert shop_live.status_code == 201, shop_live.text
    started = await client.post(f"/api/v1/lives/{shop_live.json()['id']}/start", headers=air.listing.seller.headers)
    assert started.status_code == 200, started.text

    page = await client.get("/lives", headers=HTML)
    assert page.status_code == 200
    assert f'href="/lives/{air.live["id"]}"' in page.text
    assert f"@{air.profile['handle']}" in page.text
    assert f'href="/lives/{shop_live.json()["id"]}"' in page.text
    assert air.listing.shop["name"] in page.text  # a shop's live is hosted by the shop, by name
    assert '<span class="live-badge">LIVE</span>' in page.text
    assert f'href="/lives/{scheduled.live["id"]}"' not in page.text  # not on air yet


def test_no_live_on_air_is_an_empty_state() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/lives", "query_string": b"", "headers": []})
    html = templates.get_template("lives.html").render(request=request, lives=[], hosts={}, visitor=None)
    assert "Nobody is live right now" in html
    assert 'href="/feed"' in html


async def test_the_room_signed_out_offers_to_sign_in(client: httpx.AsyncClient) -> None:
    air = await on_air(client)
    await client.post(f"{air.path}/pin", json={"product_id": air.listing.product["id"]}, headers=air.host.headers)
    page = await client.get(f"/lives/{air.live['id']}", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert "Friday drop" in html
    assert air.listing.product["title"] in html  # the pin is drawn before any script runs
    assert f'href="/signin?next=/lives/{air.live["id"]}">Sign in to chat and buy</a>' in html
    assert 'data-signed-in="false"' in html
    assert "Buy now" in html
    assert 'for="live-message"' not in html  # no chat box signed out
    assert 'id="buy-sheet"' not in html
    assert 'type="password"' not in html  # no password form in the room any more
    assert '<script type="module" src="/static/js/live.js"></script>' in html
    assert (await client.get("/static/js/live.js")).status_code == 200
    assert (await client.get("/static/live.js")).status_code == 404  # the old script is gone
    assert 'data-stream="https://stream.example.com/x.m3u8"' in html
    assert 'src="https://stream.example.com' not in html  # the stream loads on a tap, not with the page


async def test_the_room_signed_in_has_the_chat_box_and_the_sheet(client: httpx.AsyncClient, database: Database) -> None:
    air = await on_air(client)
    viewer = await register(client, name="Rosa Viewer")
    async with database.session() as session:
        secret = await sessions.open_session(session, viewer.id, ttl=timedelta(hours=1))
    page = await client.get(f"/lives/{air.live['id']}", headers={**HTML, "Cookie": f"{SESSION_COOKIE}={secret}"})
    assert page.status_code == 200
    html = page.text
    assert 'data-signed-in="true"' in html
    assert "Sign in to chat and buy" not in html
    assert '<label class="visually-hidden" for="live-message">Message</label>' in html
    assert ">Send</button>" in html
    assert 'id="buy-sheet"' in html
    labels = ("Full name", "Address line 1", "City", "Postal code", "Country", "Card number", "Expiry (MM/YY)")
    for label in (*labels, "Security code"):
        assert f">{label}</label>" in html
    assert '<option value="PT">Portugal</option>' in html  # checkout's list of countries
    assert secret not in html  # the session is the cookie's, never the page's


async def test_an_unknown_live_is_a_404_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/lives/live_missing", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "couldn" in page.text  # "We couldn't find that page", with a way on
