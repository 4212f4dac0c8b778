"""Live chat and its moderation: every message is stored for review; only shown ones reach the room. A host's
blocked words hide a message; a muted viewer's messages reach no one; a banned viewer may not chat or watch."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.identity import service as identity
from shoppable.identity.rules import CallingCreator, Principal
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.pagination import newest_first
from shoppable.live.hub import Hub
from shoppable.live.models import BlockedWord, ChatMessage, Live, Moderation
from shoppable.live.rules import banner_name, has_blocked_word
from shoppable.live.service import hosted

Action = Literal["mute", "unmute", "ban", "unban"]
MAX_BLOCKED_WORDS = 500


async def set_blocked_words(session: AsyncSession, creator: CallingCreator, words: list[str]) -> list[str]:
    """Replace the host's list of blocked words (whole words, any case)."""
    cleaned = sorted({w.strip().casefold() for w in words if w.strip()})[:MAX_BLOCKED_WORDS]
    await session.execute(delete(BlockedWord).where(BlockedWord.host_id == creator.creator_id))
    session.add_all(BlockedWord(host_id=creator.creator_id, word=w[:64]) for w in cleaned)
    await session.flush()
    return cleaned


async def moderate(
    session: AsyncSession, principal: Principal, live_id: str, user_id: str, action: Action
) -> dict[str, Any]:
    """Mute or ban a viewer of the caller's live (or lift it). A banned viewer's next message closes their
    socket, and they cannot connect again; nothing is announced to the room."""
    live = await hosted(session, principal, live_id)
    await session.execute(delete(Moderation).where(Moderation.live_id == live.id, Moderation.user_id == user_id))
    if action in ("mute", "ban"):
        session.add(Moderation(live_id=live.id, user_id=user_id, action=action, created_at=utcnow()))
    await session.flush()
    return {"live_id": live.id, "user_id": user_id, "action": action}


async def standing(session: AsyncSession, live_id: str, user_id: str) -> str | None:
    """``mute``, ``ban`` or None for a viewer of a live."""
    return await session.scalar(
        select(Moderation.action).where(Moderation.live_id == live_id, Moderation.user_id == user_id)
    )


async def post(session: AsyncSession, hub: Hub, live_id: str, user_id: str, text: str) -> str:
    """Store a message and, when it may be shown, publish it to the room after commit; its status."""
    live = await session.get(Live, live_id)
    if live is None:
        raise not_found("Live")
    if live.status != "live":
        raise ShoppableError("live_not_on_air", 409, "Chat is open while the live is on air.")
    moderation = await standing(session, live_id, user_id)
    if moderation == "ban":
        raise ShoppableError("banned", 403, "You are banned from this live.")
    host_id = live.host_creator_id or live.host_shop_id or ""
    words = frozenset((await session.execute(select(BlockedWord.word).where(BlockedWord.host_id == host_id))).scalars())
    status = "muted" if moderation == "mute" else "blocked_word" if has_blocked_word(text, words) else "shown"
    message = ChatMessage(
        id=new_id("msg"), live_id=live_id, user_id=user_id, text=text, status=status, created_at=utcnow()
    )
    session.add(message)
    await session.flush()
    if status == "shown":
        user = await identity.get_user(session, user_id)
        hub.publish_after_commit(
            session,
            live_id,
            "chat",
            {"id": message.id, "user": {"id": user_id, "name": banner_name(user.name)}, "text": text},
        )
    return status


async def review(
    session: AsyncSession, principal: Principal, live_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Every message of a live, shown or not, newest first (its host, for moderation review)."""
    live = await hosted(session, principal, live_id)
    page, next_cursor = await newest_first(
        session, select(ChatMessage).where(ChatMessage.live_id == live.id), ChatMessage.id, limit=limit, cursor=cursor
    )
    return [
        {"id": m.id, "user_id": m.user_id, "text": m.text, "status": m.status, "at": isoformat(m.created_at)}
        for m in page
    ], next_cursor
