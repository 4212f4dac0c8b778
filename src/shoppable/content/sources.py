"""What an in-app source on a cart line means: which creator a video anchor or a showcase entry credits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.content import showcase
from shoppable.content.models import Anchor, Tile, Video


async def video_creator(session: AsyncSession, video_id: str, product_id: str) -> str | None:
    """The creator of the video, if the video shows the product (an anchor or a showcase tile); else None: a
    source naming a video that never showed the product credits no one."""
    anchored = select(Anchor.video_id).where(Anchor.video_id == video_id, Anchor.product_id == product_id)
    tiled = select(Tile.video_id).where(Tile.video_id == video_id, Tile.product_id == product_id)
    return await session.scalar(
        select(Video.creator_id).where(Video.id == video_id, Video.id.in_(anchored.union(tiled)))
    )


async def showcase_creator(session: AsyncSession, creator_id: str, product_id: str) -> str | None:
    """The creator, if the product is in their showcase."""
    return creator_id if await showcase.shows(session, creator_id, product_id) else None
