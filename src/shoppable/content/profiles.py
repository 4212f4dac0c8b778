"""Creator profiles as the public sees them, and follows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.content.models import Follow
from shoppable.content.videos import video_count
from shoppable.identity import service as identity
from shoppable.identity.models import Creator
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import insert_ignoring_conflicts
from shoppable.kit.errors import ShoppableError


async def _followers(session: AsyncSession, creator_id: str) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(Follow).where(Follow.creator_id == creator_id)) or 0
    )


async def public_profile(session: AsyncSession, handle: str, *, viewer_id: str | None = None) -> dict[str, Any]:
    creator = await identity.creator_by_handle(session, handle)
    profile = _profile(creator, await _followers(session, creator.id), await video_count(session, creator.id))
    profile["following"] = await _follows(session, viewer_id, creator.id) if viewer_id is not None else None
    return profile


def _profile(creator: Creator, followers: int, videos: int) -> dict[str, Any]:
    return {
        "id": creator.id,
        "handle": creator.handle,
        "display_name": creator.display_name,
        "bio": creator.bio,
        "avatar_url": creator.avatar_url,
        "followers": followers,
        "video_count": videos,
        "created_at": isoformat(creator.created_at),
    }


async def _follows(session: AsyncSession, user_id: str, creator_id: str) -> bool:
    found = await session.scalar(
        select(Follow.user_id).where(Follow.user_id == user_id, Follow.creator_id == creator_id)
    )
    return found is not None


async def followed_by(session: AsyncSession, user_id: str, creator_ids: Iterable[str]) -> set[str]:
    """Which of these creators the user follows (the feed shows its Follow buttons pressed)."""
    ids = list(set(creator_ids))
    if not ids:
        return set()
    found = await session.execute(
        select(Follow.creator_id).where(Follow.user_id == user_id, Follow.creator_id.in_(ids))
    )
    return set(found.scalars())


async def follow(session: AsyncSession, user_id: str, handle: str) -> dict[str, Any]:
    """Follow a creator (again is harmless); nobody follows themselves."""
    creator = await identity.creator_by_handle(session, handle)
    if creator.user_id == user_id:
        raise ShoppableError("cannot_follow_yourself", 409, "You cannot follow your own creator profile.")
    await insert_ignoring_conflicts(
        session,
        Follow.__table__,  # type: ignore[arg-type]
        [{"user_id": user_id, "creator_id": creator.id, "created_at": utcnow()}],
    )
    return {"handle": creator.handle, "following": True, "followers": await _followers(session, creator.id)}


async def unfollow(session: AsyncSession, user_id: str, handle: str) -> dict[str, Any]:
    creator = await identity.creator_by_handle(session, handle)
    await session.execute(delete(Follow).where(Follow.user_id == user_id, Follow.creator_id == creator.id))
    return {"handle": creator.handle, "following": False, "followers": await _followers(session, creator.id)}
