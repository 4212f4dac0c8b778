"""REST endpoints of live shopping, and the room's WebSocket (``/ws/lives/{live_id}``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.config import Settings, app_settings
from shoppable.identity import sessions
from shoppable.identity.deps import (
    SESSION_COOKIE,
    CurrentCreator,
    CurrentPrincipal,
    CurrentUser,
    principal_from_authorization,
)
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.deps import DbSession, get_database
from shoppable.kit.errors import ShoppableError
from shoppable.kit.http import PROBLEM_RESPONSES, json_response
from shoppable.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from shoppable.kit.urls import WebUrl
from shoppable.live import chat, service, tickets
from shoppable.live.hub import Hub, Viewer
from shoppable.live.models import Live
from shoppable.live.rules import RateLimit, clean_text

log = logging.getLogger("shoppable.live")

router = APIRouter(prefix="/api/v1", tags=["live"], responses=PROBLEM_RESPONSES)
sockets = APIRouter()


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LiveCreate(_In):
    title: str = Field(min_length=1, max_length=200)
    stream_url: WebUrl | None = None
    scheduled_at: datetime | None = None
    product_ids: list[str] = Field(default_factory=list, max_length=100)
    shop_id: str | None = Field(None, description="A shop hosting its own live (the caller acts for it)")


class PinIn(_In):
    product_id: str = Field(min_length=1, max_length=40)


class FlashSaleIn(_In):
    variant_id: str = Field(min_length=1, max_length=40)
    price: int = Field(ge=1, le=10**15)
    quantity: int = Field(ge=1, le=1_000_000)
    duration_s: int = Field(ge=1, le=86_400, description="60 to 1200")
    per_buyer_limit: int = Field(1, ge=1, le=1_000_000)
    countdown_s: int = Field(10, ge=0, le=86_400, description="10 to 300: the sale opens this long after")


class CouponIn(_In):
    code: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    discount_bps: int = Field(ge=1, le=9000)
    total_cap: int = Field(ge=1, le=1_000_000)
    per_buyer_cap: int = Field(1, ge=1, le=100)


class ModerationIn(_In):
    user_id: str = Field(min_length=1, max_length=40)
    action: Literal["mute", "unmute", "ban", "unban"]


class BlockedWordsIn(_In):
    words: list[str] = Field(max_length=500)


class LiveRead(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    status: Literal["scheduled", "live", "ended"]
    host: dict[str, Any]
    title: str
    products: list[dict[str, Any]]
    pinned_product: dict[str, Any] | None
    flash_sale: dict[str, Any] | None
    viewers: int


class LivePage(BaseModel):
    items: list[LiveRead]
    next_cursor: str | None


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


# --- lives ------------------------------------------------------------------------------------------------------


@router.post(
    "/lives",
    status_code=201,
    response_model=LiveRead,
    summary="Schedule a live with its products (creator, or a shop's staff)",
)
async def create_live(body: LiveCreate, request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    live = await service.create_live(
        session,
        principal,
        title=body.title,
        stream_url=body.stream_url,
        scheduled_at=body.scheduled_at,
        product_ids=body.product_ids,
        shop_id=body.shop_id,
        notice=app_settings(request).rate_cut_notice,
    )
    return json_response(live, 201)


@router.get("/lives", response_model=LivePage, summary="Lives, newest first (public)")
async def list_lives(
    session: DbSession,
    status: Annotated[Literal["scheduled", "live", "ended"] | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    items, next_cursor = await service.list_lives(session, status=status, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/lives/{live_id}", response_model=LiveRead, summary="A live: status, products, pin, flash sale, viewers (public)"
)
async def get_live(live_id: str, request: Request, session: DbSession) -> Response:
    viewers = await _hub(request).broker.total(live_id)
    return json_response(await service.get_live(session, live_id, viewers=viewers))


@router.post("/lives/{live_id}/start", response_model=LiveRead, summary="Go live (host)")
async def start_live(live_id: str, request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await service.start(session, _hub(request), principal, live_id))


@router.post("/lives/{live_id}/end", response_model=LiveRead, summary="End the live; it becomes a replay video (host)")
async def end_live(live_id: str, request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await service.end(session, _hub(request), principal, live_id))


@router.post("/lives/{live_id}/pin", response_model=LiveRead, summary="Pin a product on screen (host)")
async def pin(live_id: str, body: PinIn, request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await service.pin(session, _hub(request), principal, live_id, body.product_id))


@router.delete("/lives/{live_id}/pin", response_model=LiveRead, summary="Unpin (host)")
async def unpin(live_id: str, request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await service.unpin(session, _hub(request), principal, live_id))


@router.post(
    "/lives/{live_id}/flash-sales",
    status_code=201,
    summary="Start a flash sale: units carved out of the variant's stock (the product's shop, or a host within "
    "the shop's allowance); 403 `price_not_allowed` below it",
)
async def start_flash_sale(
    live_id: str, body: FlashSaleIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    sale = await service.start_flash_sale(
        session,
        _hub(request),
        principal,
        live_id,
        variant_id=body.variant_id,
        price=body.price,
        quantity=body.quantity,
        duration_s=body.duration_s,
        per_buyer_limit=body.per_buyer_limit,
        countdown_s=body.countdown_s,
        notice=app_settings(request).rate_cut_notice,
    )
    return json_response(sale, 201)


@router.post(
    "/lives/{live_id}/coupons",
    status_code=201,
    summary="A coupon claimable only during the live (host; a creator's within each product's shop allowance, "
    "else 403 `price_not_allowed`)",
)
async def create_coupon(
    live_id: str, body: CouponIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    coupon = await service.create_coupon(
        session,
        principal,
        live_id,
        code=body.code,
        discount_bps=body.discount_bps,
        total_cap=body.total_cap,
        per_buyer_cap=body.per_buyer_cap,
        notice=app_settings(request).rate_cut_notice,
    )
    return json_response(coupon, 201)


@router.post("/lives/{live_id}/coupons/{code}/claim", summary="Claim a live coupon while the live is on air (user)")
async def claim_coupon(live_id: str, code: str, session: DbSession, user: CurrentUser) -> Response:
    assert user.user_id is not None
    return json_response(await service.claim_coupon(session, user.user_id, live_id, code))


@router.post("/lives/{live_id}/moderation", summary="Mute, unmute, ban or unban a viewer (host)")
async def moderate(live_id: str, body: ModerationIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await chat.moderate(session, principal, live_id, body.user_id, body.action))


@router.get("/lives/{live_id}/chat", summary="Every chat message, shown or not, for moderation review (host)")
async def chat_review(
    live_id: str, session: DbSession, principal: CurrentPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    items, next_cursor = await chat.review(session, principal, live_id, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


class TicketRead(BaseModel):
    ticket: str = Field(description="Open the room with `/ws/lives/{live_id}?ticket=...` once, before it expires")
    expires_in: int = Field(description="Seconds")


@router.post(
    "/lives/{live_id}/ws-ticket",
    status_code=201,
    response_model=TicketRead,
    summary="A single-use, short-lived ticket to chat in the live's room without a token in the socket URL (user)",
)
async def ws_ticket(live_id: str, request: Request, session: DbSession, user: CurrentUser) -> TicketRead:
    assert user.user_id is not None
    ttl_s = app_settings(request).ws_ticket_ttl_s
    ticket = await tickets.issue_ticket(session, live_id=live_id, user_id=user.user_id, ttl_s=ttl_s)
    return TicketRead(ticket=ticket, expires_in=ttl_s)


@router.put("/creators/me/blocked-words", summary="Words hidden from the chat of the caller's lives (creator)")
async def blocked_words(body: BlockedWordsIn, session: DbSession, creator: CurrentCreator) -> Response:
    return json_response({"words": await chat.set_blocked_words(session, creator, body.words)})


# --- the room ---------------------------------------------------------------------------------------------------


def _event(kind: str, seq: int, data: dict[str, Any]) -> str:
    return orjson.dumps({"type": kind, "seq": seq, "at": isoformat(utcnow()), "data": data}).decode()


async def _send(websocket: WebSocket, viewer: Viewer) -> None:
    """Drain the viewer's queue to its socket; close it when the hub dropped it for being too slow."""
    while True:
        message = await viewer.queue.get()
        if message is None or viewer.dropped:
            with contextlib.suppress(Exception):
                await websocket.close(code=1013 if viewer.dropped else 1001)
            return
        await websocket.send_text(message)


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lowercased; None when it has no host."""
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return None
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme.lower(), parts.scheme.lower())
    host = parts.netloc.lower()
    default_port = {"http": ":80", "https": ":443"}.get(scheme)
    if default_port and host.endswith(default_port):
        host = host.removesuffix(default_port)
    return f"{scheme}://{host}"


def same_origin(websocket: WebSocket) -> bool:
    """Whether the socket was opened by one of this server's own pages: its ``Origin`` is the origin the
    socket itself was asked at (its ``Host``), or the configured public URL's. A browser always sends
    ``Origin`` with a WebSocket and a page cannot forge it, so a page of another site never passes."""
    origin = websocket.headers.get("origin")
    if not origin or origin == "null":
        return False
    presented = _origin(origin)
    host = websocket.headers.get("host")
    settings: Settings = websocket.app.state.settings
    own = {_origin(settings.public_url)}
    if host:
        own.add(_origin(f"{websocket.url.scheme}://{host}"))
    return presented is not None and presented in own


async def _viewer_of(session: AsyncSession, websocket: WebSocket, token: str | None) -> str | None:
    """The user watching: a bearer ``?token=`` (apps; 401 when bad), else the page session cookie, honoured
    only from this site's own pages (a cross-site page must not chat as the person whose browser it runs
    in); None for an anonymous viewer. (A ``?ticket=`` is redeemed before, in a transaction of its own.)"""
    if token:
        principal = await principal_from_authorization(session, f"Bearer {token}")
        return principal.user_id if principal else None
    cookie = websocket.cookies.get(SESSION_COOKIE)
    if cookie and same_origin(websocket):
        signed = await sessions.signed_in(session, cookie)
        return signed.user_id if signed else None
    return None


@sockets.websocket("/ws/lives/{live_id}")
async def room(
    websocket: WebSocket,
    live_id: str,
    token: str | None = None,
    ticket: Annotated[str | None, Query(max_length=100)] = None,
    since: int | None = None,
) -> None:
    """Watch a live: a ``state`` snapshot first (its ``seq`` is the last event it reflects), then, with
    ``?since=SEQ``, the events missed since then, then every new event. A signed-in viewer (the page session
    cookie from this site's own pages, a ``?ticket=`` from ``POST /api/v1/lives/{id}/ws-ticket``, or ``?token=``
    for apps) may chat: ``{"type": "chat", "text": ...}``;
    too fast gets an ``error`` event (429), not a disconnect."""
    app = websocket.app
    hub: Hub = app.state.hub
    database = get_database(websocket)  # type: ignore[arg-type]
    user_id: str | None = None
    if ticket is not None:
        async with database.session() as session:
            user_id = await tickets.redeem_ticket(session, live_id=live_id, ticket=ticket)
        if user_id is None:
            await websocket.close(code=4401)
            return
    async with database.session(write=False) as session:
        if ticket is None:
            try:
                user_id = await _viewer_of(session, websocket, token)
            except ShoppableError:
                await websocket.close(code=4401)
                return
        live = await session.get(Live, live_id)
        if live is None or (user_id and await chat.standing(session, live_id, user_id) == "ban"):
            await websocket.close(code=4404 if live is None else 4403)
            return
    await websocket.accept()
    viewer = await hub.join(live_id)
    hub.broker.count(live_id, 1)
    sender: asyncio.Task[None] | None = None
    try:
        count = await hub.broker.total(live_id)
        async with database.session(write=False) as session:
            live = await session.get(Live, live_id)
            assert live is not None
            state = await service.snapshot(session, live, viewers=count)
        await websocket.send_text(_event("state", viewer.start_seq, state))
        if since is not None:
            for message in hub.missed(viewer, since) or []:
                await websocket.send_text(message)
        await _publish_viewers(hub, live_id)
        sender = asyncio.get_running_loop().create_task(_send(websocket, viewer))
        limit: RateLimit = app.state.chat_rate_limit
        while True:
            try:
                incoming = orjson.loads(await websocket.receive_text())
            except orjson.JSONDecodeError:
                continue
            if not isinstance(incoming, dict) or incoming.get("type") != "chat":
                continue
            if user_id is None:
                viewer.queue.put_nowait(_error(401, "not_authenticated", "Sign in to chat."))
                continue
            text = clean_text(str(incoming.get("text", "")))
            if text is None:
                viewer.queue.put_nowait(_error(422, "invalid_message", "Messages are 1 to 300 characters."))
                continue
            wait = limit.retry_after(user_id, time.monotonic())
            if wait:
                viewer.queue.put_nowait(_error(429, "rate_limited", "Slow down.", retry_after=round(wait, 1)))
                continue
            try:
                async with database.session() as session:
                    await chat.post(session, hub, live_id, user_id, text)
            except ShoppableError as refusal:
                viewer.queue.put_nowait(_error(refusal.status, refusal.code, refusal.detail))
                if refusal.code == "banned":
                    break
    except WebSocketDisconnect:
        pass
    finally:
        hub.leave(viewer)
        if sender is not None:
            sender.cancel()
        hub.broker.count(live_id, -1)
        await _publish_viewers(hub, live_id)


def _error(status: int, code: str, detail: str, **extra: Any) -> str:
    return orjson.dumps(
        {
            "type": "error",
            "at": isoformat(utcnow()),
            "data": {"status": status, "code": code, "detail": detail, **extra},
        }
    ).decode()


VIEWERS_EVERY_S = 2.0


@dataclass(eq=False)
class _ViewerCounts:
    """One hub's viewer-count publishing: at most one ``viewers`` event per room every ``VIEWERS_EVERY_S``
    from this process, and trailing: a join or leave inside the window is published when the window ends
    (one scheduled task per room, which reads the count when it runs, so it carries every change since)."""

    hub: Hub
    last: dict[str, float] = field(default_factory=dict)  # room -> when its count was last published
    pending: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # room -> its trailing publication

    async def changed(self, live_id: str) -> None:
        if live_id in self.pending:
            return  # the window's trailing publication will read the count then
        wait = self.last.get(live_id, -VIEWERS_EVERY_S) + VIEWERS_EVERY_S - time.monotonic()
        if wait <= 0:
            await self._publish(live_id)
            return
        task = asyncio.get_running_loop().create_task(self._later(live_id, wait))
        self.pending[live_id] = task

    async def _later(self, live_id: str, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
        finally:
            self.pending.pop(live_id, None)  # a change from now on opens the next window
        try:
            await self._publish(live_id)
        except Exception:  # the broker went away (shutting down): the next change publishes again
            log.warning("could not publish the viewer count of %s", live_id, exc_info=True)

    async def _publish(self, live_id: str) -> None:
        self.last[live_id] = time.monotonic()
        count = await self.hub.broker.total(live_id)
        await self.hub.publish(live_id, "viewers", {"count": count})
        if count <= 0 and live_id not in self.pending:
            self.last.pop(live_id, None)  # an empty room is forgotten: its next join publishes at once


_viewer_counts: weakref.WeakKeyDictionary[Hub, _ViewerCounts] = weakref.WeakKeyDictionary()


async def _publish_viewers(hub: Hub, live_id: str) -> None:
    """The room's viewer count changed here: published now, or at the end of the room's 2 s window (10,000
    joins are not 10,000 events, and the last of them is never lost)."""
    counts = _viewer_counts.get(hub)
    if counts is None:
        counts = _viewer_counts[hub] = _ViewerCounts(hub)
    await counts.changed(live_id)
