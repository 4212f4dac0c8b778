"""REST endpoints of live shopping, and the room's WebSocket (``/ws/lives/{live_id}``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from shoppable.config import app_settings
from shoppable.identity.deps import CurrentCreator, CurrentPrincipal, CurrentUser, principal_from_authorization
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.deps import DbSession, get_database
from shoppable.kit.errors import ShoppableError
from shoppable.kit.http import PROBLEM_RESPONSES, json_response
from shoppable.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from shoppable.live import chat, service
from shoppable.live.hub import Hub, Viewer
from shoppable.live.models import Live
from shoppable.live.rules import RateLimit, clean_text

router = APIRouter(prefix="/api/v1", tags=["live"], responses=PROBLEM_RESPONSES)
sockets = APIRouter()


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LiveCreate(_In):
    title: str = Field(min_length=1, max_length=200)
    stream_url: str | None = Field(None, max_length=2048)
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
    summary="Start a flash sale: units carved out of the variant's stock (host or the product's shop)",
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
    )
    return json_response(sale, 201)


@router.post("/lives/{live_id}/coupons", status_code=201, summary="A coupon claimable only during the live (host)")
async def create_coupon(live_id: str, body: CouponIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    coupon = await service.create_coupon(
        session,
        principal,
        live_id,
        code=body.code,
        discount_bps=body.discount_bps,
        total_cap=body.total_cap,
        per_buyer_cap=body.per_buyer_cap,
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


@sockets.websocket("/ws/lives/{live_id}")
async def room(websocket: WebSocket, live_id: str, token: str | None = None, since: int | None = None) -> None:
    """Watch a live: a ``state`` snapshot first (its ``seq`` is the last event it reflects), then, with
    ``?since=SEQ``, the events missed since then, then every new event. With ``?token=`` the viewer may chat:
    ``{"type": "chat", "text": ...}``; too fast gets an ``error`` event (429), not a disconnect."""
    app = websocket.app
    hub: Hub = app.state.hub
    database = get_database(websocket)  # type: ignore[arg-type]
    async with database.session(write=False) as session:
        try:
            principal = await principal_from_authorization(session, f"Bearer {token}") if token else None
        except ShoppableError:
            await websocket.close(code=4401)
            return
        live = await session.get(Live, live_id)
        user_id = principal.user_id if principal else None
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
                viewer.queue.put_nowait(_error(401, "not_authenticated", "Sign in (?token=) to chat."))
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


_last_viewers: dict[str, float] = {}


async def _publish_viewers(hub: Hub, live_id: str) -> None:
    """The viewer count, at most every 2 s per room from this process (10,000 joins are not 10,000 events)."""
    now = time.monotonic()
    if now - _last_viewers.get(live_id, 0.0) >= 2.0:
        _last_viewers[live_id] = now
        await hub.publish(live_id, "viewers", {"count": await hub.broker.total(live_id)})
