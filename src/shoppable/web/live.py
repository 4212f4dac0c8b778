"""Live pages: what is on air, and the live room (watch, see the pinned product and its flash sale, chat and
buy without leaving). The room's script talks to the WebSocket and the REST API with the page session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shoppable.catalog import shops
from shoppable.kit.deps import DbSession
from shoppable.live import service as live_service
from shoppable.web.checkout import countries
from shoppable.web.templating import render
from shoppable.web.visitor import PageVisitor, sign_in_url

router = APIRouter(include_in_schema=False)

_PLAYABLE = (".mp4", ".webm", ".m3u8", ".mov")


async def _hosts(session: AsyncSession, lives: list[dict[str, Any]]) -> dict[str, dict[str, str | None]]:
    """Who hosts each live, as a person reads it: a creator's handle (with a link) or the shop's name."""
    shop_ids = [live["host"]["id"] for live in lives if live["host"]["type"] == "shop"]
    by_id = await shops.shops_by_id(session, shop_ids) if shop_ids else {}
    hosts: dict[str, dict[str, str | None]] = {}
    for live in lives:
        host = live["host"]
        if host["type"] == "creator" and host.get("handle"):
            hosts[live["id"]] = {"name": f"@{host['handle']}", "href": f"/creators/{host['handle']}"}
        else:
            shop = by_id.get(host["id"])
            hosts[live["id"]] = {"name": shop.name if shop else "Shop live", "href": None}
    return hosts


@router.get("/lives")
async def lives_page(request: Request, session: DbSession, visitor: PageVisitor) -> Response:
    on_air, _ = await live_service.list_lives(session, status="live", limit=50, cursor=None)
    return render(request, "lives.html", {"lives": on_air, "hosts": await _hosts(session, on_air)})


@router.get("/lives/{live_id}")
async def live_page(request: Request, live_id: str, session: DbSession, visitor: PageVisitor) -> Response:
    live = await live_service.get_live(session, live_id, viewers=await request.app.state.hub.broker.total(live_id))
    stream = live.get("stream_url") or ""
    context = {
        "live": live,
        "host": (await _hosts(session, [live]))[live["id"]],
        "stream_url": stream if stream.lower().split("?")[0].endswith(_PLAYABLE) else None,
        "sign_in": sign_in_url(f"/lives/{live_id}"),
        "countries": countries(),
    }
    return render(request, "live.html", context)
