"""Room tickets keep long-lived secrets out of socket URLs and logs: a ticket opens one room once, within its
minute; and the server's log never holds a ``?token=`` or ``?ticket=`` value."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import orjson
import pytest
import websockets

from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.live import tickets
from tests.helpers import register, serving
from tests.live.helpers import on_air
from tests.live.test_room import _next, _ws
from tests.web.session_helpers import sign_up_page


async def _ticket(client: httpx.AsyncClient, live_id: str, headers: dict[str, str]) -> httpx.Response:
    return await client.post(f"/api/v1/lives/{live_id}/ws-ticket", headers=headers)


async def test_a_ticket_opens_the_room_once_and_chats_as_its_user(client: httpx.AsyncClient) -> None:
    air = await on_air(client)
    fan = await register(client, name="Ticket Fan")
    issued = await _ticket(client, air.live["id"], fan.headers)
    assert issued.status_code == 201, issued.text
    assert issued.json()["expires_in"] == 60
    ticket = issued.json()["ticket"]
    async with serving() as base:
        async with websockets.connect(_ws(base, air.live["id"], ticket=ticket)) as talker:
            await _next(talker, lambda e: e["type"] == "state")
            await talker.send(orjson.dumps({"type": "chat", "text": "hi from a ticket"}).decode())
            heard = await _next(talker, lambda e: e["type"] == "chat")
            assert heard["data"]["user"]["name"] == "Ticket F."
        with pytest.raises(websockets.exceptions.InvalidStatus):  # spent
            async with websockets.connect(_ws(base, air.live["id"], ticket=ticket)):
                pass
        with pytest.raises(websockets.exceptions.InvalidStatus):  # never issued
            async with websockets.connect(_ws(base, air.live["id"], ticket="swt_made-up")):
                pass


async def test_a_ticket_is_for_one_room_and_expires(client: httpx.AsyncClient, database: Database) -> None:
    air, other = await on_air(client), await on_air(client)
    fan = await register(client)
    ticket = (await _ticket(client, air.live["id"], fan.headers)).json()["ticket"]
    async with database.session() as session:
        assert await tickets.redeem_ticket(session, live_id=other.live["id"], ticket=ticket) is None
        later = utcnow() + timedelta(seconds=61)
        assert await tickets.redeem_ticket(session, live_id=air.live["id"], ticket=ticket, now=later) is None
        assert await tickets.redeem_ticket(session, live_id=air.live["id"], ticket=ticket) == fan.id
        assert await tickets.redeem_ticket(session, live_id=air.live["id"], ticket=ticket) is None


async def test_tickets_need_a_user_and_a_live(client: httpx.AsyncClient) -> None:
    air = await on_air(client)
    anonymous = await _ticket(client, air.live["id"], {})
    assert anonymous.status_code == 401
    fan = await register(client)
    unknown = await _ticket(client, "live_nope", fan.headers)
    assert unknown.status_code == 404
    _, csrf = await sign_up_page(client)
    without_csrf = await _ticket(client, air.live["id"], {})
    assert without_csrf.status_code == 403
    by_page = await _ticket(client, air.live["id"], {"X-CSRF-Token": csrf})
    assert by_page.status_code == 201, by_page.text


async def test_the_servers_log_holds_no_token_or_ticket(client: httpx.AsyncClient, tmp_path: Path) -> None:
    air = await on_air(client)
    fan = await register(client)
    ticket = (await _ticket(client, air.live["id"], fan.headers)).json()["ticket"]
    log = tmp_path / "server.log"
    async with serving(log_to=log) as base:
        for credential in ({"token": fan.token}, {"ticket": ticket}):
            async with websockets.connect(_ws(base, air.live["id"], **credential)) as viewer:
                await _next(viewer, lambda e: e["type"] == "state")
        async with httpx.AsyncClient(base_url=base) as http:
            assert (await http.get(f"/api/v1/lives/{air.live['id']}", params={"token": fan.token})).status_code == 200
    written = log.read_text()
    assert f"/ws/lives/{air.live['id']}?token=[redacted]" in written, written[-2000:]
    assert "ticket=[redacted]" in written
    assert fan.token not in written
    assert ticket not in written
