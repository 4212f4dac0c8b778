"""The room protocol with real WebSocket clients against real server processes: ``state`` first, ``seq``
strictly increasing, reconnecting with ``since`` gets exactly the missed events, a muted viewer reaches no one,
chat too fast is a 429 event; and two processes sharing Redis carry pins and stock to each other's viewers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
import websockets

from shoppable.identity import sessions
from shoppable.identity.deps import SESSION_COOKIE
from shoppable.kit.db import Database
from tests.helpers import REDIS_URL, register, serving, skip_unless_redis
from tests.live.helpers import OnAir, on_air, open_now


def _ws(base: str, live_id: str, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return base.replace("http", "ws") + f"/ws/lives/{live_id}" + (f"?{query}" if query else "")


async def _next(socket_: Any, want: Callable[[dict[str, Any]], bool] = lambda e: True) -> dict[str, Any]:
    """The next event the predicate accepts (others are skipped), within 5 s."""
    async with asyncio.timeout(5.0):
        while True:
            event = orjson.loads(await socket_.recv())
            if want(event):
                return dict(event)


async def _drain(socket_: Any, quiet: float = 0.3) -> list[dict[str, Any]]:
    """Every event that arrives until the socket has been quiet for ``quiet`` seconds."""
    events = []
    while True:
        try:
            events.append(orjson.loads(await asyncio.wait_for(socket_.recv(), quiet)))
        except TimeoutError:
            return events


async def _host(base: str, air: OnAir, method: str, path: str, body: object = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as http:
        return await http.request(method, f"{air.path}{path}", json=body, headers=air.host.headers)


async def test_state_first_seq_increasing_and_reconnect_gets_exactly_what_was_missed(client: httpx.AsyncClient) -> None:
    air = await on_air(client)
    product = air.listing.product["id"]
    async with serving() as base:
        async with websockets.connect(_ws(base, air.live["id"])) as viewer:
            state = await _next(viewer)
            assert (state["type"], state["data"]["status"]) == ("state", "live")
            assert (await _host(base, air, "POST", "/pin", {"product_id": product})).status_code == 200
            pinned = await _next(viewer, lambda e: e["type"] == "pinned")
            assert pinned["data"]["product"]["id"] == product
            seen = [state["seq"], *(e["seq"] for e in await _drain(viewer))]
            last = pinned["seq"]
        # Away for a while: the host unpins and pins again.
        assert (await _host(base, air, "DELETE", "/pin")).status_code == 200
        assert (await _host(base, air, "POST", "/pin", {"product_id": product})).status_code == 200
        async with websockets.connect(_ws(base, air.live["id"], since=last)) as viewer:
            state = await _next(viewer)
            assert state["type"] == "state"
            assert state["data"]["pinned_product"]["id"] == product
            events = await _drain(viewer)
            replayed = [e for e in events if e["seq"] <= state["seq"]]
            assert [e["seq"] for e in replayed] == list(range(last + 1, state["seq"] + 1))  # exactly the missed ones
            assert [e["type"] for e in replayed if e["type"] != "viewers"] == ["unpinned", "pinned"]
            seqs = [e["seq"] for e in events]
            assert seqs == sorted(set(seqs))  # strictly increasing
    assert seen == sorted(set(seen))


async def test_chat_moderation_and_rate_limits(client: httpx.AsyncClient) -> None:
    air = await on_air(client)
    fan, muted = await register(client, name="Fan Person"), await register(client, name="Loud Person")
    async with serving() as base:
        moderated = await _host(base, air, "POST", "/moderation", {"user_id": muted.id, "action": "mute"})
        assert moderated.status_code == 200, moderated.text
        async with (
            websockets.connect(_ws(base, air.live["id"])) as watcher,
            websockets.connect(_ws(base, air.live["id"], token=fan.token)) as talker,
            websockets.connect(_ws(base, air.live["id"], token=muted.token)) as silenced,
        ):
            for sock in (watcher, talker, silenced):
                await _next(sock, lambda e: e["type"] == "state")
            await silenced.send(orjson.dumps({"type": "chat", "text": "nobody hears me"}).decode())
            await talker.send(orjson.dumps({"type": "chat", "text": "hello room"}).decode())
            heard = await _next(watcher, lambda e: e["type"] == "chat")
            assert (heard["data"]["text"], heard["data"]["user"]["name"]) == ("hello room", "Fan P.")
            for sock in (watcher, talker, silenced):
                chats = [e["data"]["text"] for e in await _drain(sock) if e["type"] == "chat"]
                assert "nobody hears me" not in chats
            for i in range(6):
                await talker.send(orjson.dumps({"type": "chat", "text": f"spam {i}"}).decode())
            limited = await _next(talker, lambda e: e["type"] == "error")
            assert (limited["data"]["status"], limited["data"]["code"]) == (429, "rate_limited")
            await watcher.send(orjson.dumps({"type": "chat", "text": "no token"}).decode())
            refused = await _next(watcher, lambda e: e["type"] == "error")
            assert refused["data"]["status"] == 401
        review = await _host(base, air, "GET", "/chat")
        statuses = {m["text"]: m["status"] for m in review.json()["items"]}
        assert statuses["nobody hears me"] == "muted"
        assert statuses["hello room"] == "shown"
        assert (await _host(base, air, "POST", "/moderation", {"user_id": fan.id, "action": "ban"})).status_code == 200
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(_ws(base, air.live["id"], token=fan.token)):
                pass
        stranger = await register(client)
        async with httpx.AsyncClient(base_url=base) as http:
            refused = await http.get(f"{air.path}/chat", headers=stranger.headers)
        assert refused.status_code == 403


async def test_two_processes_share_rooms_through_redis(client: httpx.AsyncClient, database: Database) -> None:
    await skip_unless_redis()
    air = await on_air(client, stock=40)
    async with (
        serving(SHOPPABLE_REDIS_URL=REDIS_URL) as a,
        serving(SHOPPABLE_REDIS_URL=REDIS_URL) as b,
        websockets.connect(_ws(b, air.live["id"])) as viewer_on_b,
    ):
        await _next(viewer_on_b, lambda e: e["type"] == "state")
        pinned = await _host(a, air, "POST", "/pin", {"product_id": air.listing.product["id"]})
        assert pinned.status_code == 200
        event = await _next(viewer_on_b, lambda e: e["type"] == "pinned")
        assert event["data"]["product"]["id"] == air.listing.product["id"]
        async with httpx.AsyncClient(base_url=a) as http:
            sale = await http.post(
                f"{air.path}/flash-sales",
                json={"variant_id": air.variant, "price": 700, "quantity": 5, "duration_s": 120, "countdown_s": 10},
                headers=air.host.headers,
            )
            assert sale.status_code == 201, sale.text
            await _next(viewer_on_b, lambda e: e["type"] == "flash_sale.started")
            await open_now(database, sale.json()["id"])
            buyer = await register(client, name="Ana Lima")
            bought = await http.post(
                "/api/v1/orders",
                json={
                    "items": [
                        {"variant_id": air.variant, "quantity": 1, "source": {"type": "live", "id": air.live["id"]}}
                    ],
                    "shipping_address": {
                        "name": "A",
                        "line1": "1",
                        "city": "C",
                        "postal_code": "1",
                        "country": "US",
                    },
                    "payment": {"token": "tok_visa"},
                },
                headers=buyer.headers,
            )
            assert bought.status_code == 201, bought.text
        banner = await _next(viewer_on_b, lambda e: e["type"] == "purchase")
        assert banner["data"]["buyer"] == "Ana L."  # a first name and an initial, never the full name
        stock = await _next(viewer_on_b, lambda e: e["type"] == "flash_sale.stock")
        assert stock["data"]["remaining"] == 4


async def test_unknown_lives_refuse_the_socket(client: httpx.AsyncClient) -> None:
    async with serving() as base:
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(_ws(base, "live_missing")):
                pass


async def _session_cookie(database: Database, user_id: str) -> str:
    """A page session for the user, as signing in on /signin opens one: the cookie header that carries it."""
    async with database.session() as session:
        secret = await sessions.open_session(session, user_id, ttl=timedelta(hours=1))
    return f"{SESSION_COOKIE}={secret}"


async def test_the_page_session_cookie_chats_only_from_the_sites_own_pages(
    client: httpx.AsyncClient, database: Database
) -> None:
    air = await on_air(client)
    fan = await register(client, name="Cookie Person")
    cookie = {"Cookie": await _session_cookie(database, fan.id)}
    async with (
        serving() as base,
        websockets.connect(_ws(base, air.live["id"])) as watcher,
        websockets.connect(_ws(base, air.live["id"]), origin=base, additional_headers=cookie) as own_page,
        websockets.connect(
            _ws(base, air.live["id"]), origin="https://elsewhere.example", additional_headers=cookie
        ) as foreign_page,
        websockets.connect(_ws(base, air.live["id"]), additional_headers=cookie) as no_origin,
    ):
        for sock in (watcher, own_page, foreign_page, no_origin):
            await _next(sock, lambda e: e["type"] == "state")
        await own_page.send(orjson.dumps({"type": "chat", "text": "hello from the page"}).decode())
        heard = await _next(watcher, lambda e: e["type"] == "chat")
        assert (heard["data"]["text"], heard["data"]["user"]["name"]) == ("hello from the page", "Cookie P.")
        # Another site's page in the fan's browser carries the cookie too: it watches, anonymously.
        for sock in (foreign_page, no_origin):
            await sock.send(orjson.dumps({"type": "chat", "text": "riding the cookie"}).decode())
            refused = await _next(sock, lambda e: e["type"] == "error")
            assert (refused["data"]["status"], refused["data"]["code"]) == (401, "not_authenticated")
        assert "riding the cookie" not in [e["data"]["text"] for e in await _drain(watcher) if e["type"] == "chat"]


async def test_a_join_inside_the_throttle_window_still_reaches_every_viewer(client: httpx.AsyncClient) -> None:
    """The count is published at most every 2 s per room, but trailing: the second viewer joins inside the
    window the first one's join opened, and the first viewer still hears the room is two (and one again)."""
    air = await on_air(client)
    async with serving() as base, websockets.connect(_ws(base, air.live["id"])) as first:
        state = await _next(first, lambda e: e["type"] == "state")
        assert state["data"]["viewers"] == 1
        assert (await _next(first, lambda e: e["type"] == "viewers"))["data"]["count"] == 1
        async with websockets.connect(_ws(base, air.live["id"])) as second:
            assert (await _next(second, lambda e: e["type"] == "state"))["data"]["viewers"] == 2
            assert (await _next(first, lambda e: e["type"] == "viewers" and e["data"]["count"] == 2)) is not None
        assert (await _next(first, lambda e: e["type"] == "viewers" and e["data"]["count"] == 1)) is not None
