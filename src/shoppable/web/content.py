"""Content pages: the video feed, creator pages and shared collections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shoppable.content import profiles, showcase, videos
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.web.templating import render
from shoppable.web.visitor import PageVisitor

router = APIRouter(include_in_schema=False)


@router.get("/feed")
async def feed_page(
    request: Request,
    session: DbSession,
    visitor: PageVisitor,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    try:
        items, next_cursor = await videos.feed(session, limit=12, cursor=cursor)
    except ShoppableError:
        items, next_cursor = await videos.feed(session, limit=12, cursor=None)
    return render(request, "feed.html", {"videos": items, "next_cursor": next_cursor})


@router.get("/creators/{handle}")
async def creator_page(request: Request, handle: str, session: DbSession, visitor: PageVisitor) -> Response:
    settings = request.app.state.settings
    creator = await profiles.public_profile(session, handle)
    items = (await showcase.read(session, handle, public_url=settings.public_url, notice=settings.rate_cut_notice))[
        "items"
    ]
    made, _ = await videos.creator_videos(session, creator["id"], limit=12, cursor=None)
    return render(request, "creator.html", {"creator": creator, "showcase": items, "videos": made})
