"""Live pages: what is on air, and the live room."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from shoppable.kit.deps import DbSession
from shoppable.live import service as live_service
from shoppable.web.templating import render
from shoppable.web.visitor import PageVisitor

router = APIRouter(include_in_schema=False)


@router.get("/lives")
async def lives_page(request: Request, session: DbSession, visitor: PageVisitor) -> Response:
    on_air, _ = await live_service.list_lives(session, status="live", limit=50, cursor=None)
    return render(request, "lives.html", {"lives": on_air})


@router.get("/lives/{live_id}")
async def live_page(request: Request, live_id: str, session: DbSession, visitor: PageVisitor) -> Response:
    viewers = await request.app.state.hub.broker.total(live_id)
    live = await live_service.get_live(session, live_id, viewers=viewers)
    return render(request, "live.html", {"live": live})
