"""Videos with product anchors and tiles: published by their creator, edited by them only (anchors may be added
to old videos), viewed and liked once per viewer, ranked in the feed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog import service as catalog
from shoppable.content import promotable
from shoppable.content.media import media_url
from shoppable.content.models import Anchor, Media, Tile, Video, VideoLike, VideoView
from shoppable.content.rules import LIKE_WEIGHT, Span, check_span, feed_rank
from shoppable.identity import service as identity
from shoppable.identity.rules import CallingCreator
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import core_execute, insert_ignoring_conflicts
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.pagination import decode_cursor, encode_cursor, newest_first

MAX_ANCHORS = 20
MAX_TILES = 20


def _invalid(errors: list[dict[str, Any]]) -> ShoppableError:
    first = errors[0]["msg"]
    return ShoppableError("validation_error", 422, f"The video has invalid fields: {first}.", errors=errors)


async def _media_url(session: AsyncSession, creator: CallingCreator, body: dict[str, Any]) -> tuple[str, str | None]:
    """The video's URL: an uploaded video of the creator's (``media_id``) or an external ``media_url``."""
    media_id = body.get("media_id")
    if media_id:
        media = await session.get(Media, media_id)
        if media is None or media.owner_id != creator.user_id or media.kind != "video":
            raise _invalid([{"loc": ["body", "media_id"], "msg": "not a video you uploaded"}])
        return media_url(media.id), media.id
    if not body.get("media_url"):
        raise _invalid([{"loc": ["body", "media_url"], "msg": "give media_url or media_id"}])
    return str(body["media_url"]), None


async def _check_items(
    session: AsyncSession, creator: CallingCreator, body: dict[str, Any], duration_s: int, notice: timedelta
) -> tuple[list[tuple[dict[str, Any], Span]], list[tuple[dict[str, Any], Span]]]:
    """Anchors and tiles with their spans; a 422 naming every field that is wrong."""
    errors: list[dict[str, Any]] = []
    anchors, tiles = body.get("anchors") or [], body.get("tiles") or []
    if len(anchors) > MAX_ANCHORS or len(tiles) > MAX_TILES:
        raise _invalid([{"loc": ["body", "anchors"], "msg": f"at most {MAX_ANCHORS} anchors and {MAX_TILES} tiles"}])
    products = [a["product_id"] for a in anchors] + [t["product_id"] for t in tiles if t.get("product_id")]
    refused = await promotable.refusals(session, creator, products, notice=notice)
    spans: dict[str, list[tuple[dict[str, Any], Span]]] = {"anchors": [], "tiles": []}
    for field, items in (("anchors", anchors), ("tiles", tiles)):
        for index, item in enumerate(items):
            span = check_span(item["start_s"], item.get("end_s"), duration_s)
            if isinstance(span, str):
                errors.append({"loc": ["body", field, index, "start_s"], "msg": span})
                continue
            product_id = item.get("product_id")
            if field == "tiles" and item["kind"] == "showcase" and not product_id:
                errors.append({"loc": ["body", field, index, "product_id"], "msg": "a showcase tile shows a product"})
            elif product_id and product_id in refused:
                why = (
                    "not an active product"
                    if refused[product_id] == promotable.NOT_FOUND
                    else "no active affiliate plan covers you for this product"
                )
                errors.append({"loc": ["body", field, index, "product_id"], "msg": why})
            else:
                spans[field].append((item, span))
    if errors:
        raise _invalid(errors)
    return spans["anchors"], spans["tiles"]


async def _write_items(
    session: AsyncSession,
    video_id: str,
    anchors: list[tuple[dict[str, Any], Span]],
    tiles: list[tuple[dict[str, Any], Span]],
) -> None:
    session.add_all(
        Anchor(
            id=new_id("anc"),
            video_id=video_id,
            product_id=item["product_id"],
            start_s=span.start_s,
            end_s=span.end_s,
            label=item.get("label"),
            position=position,
        )
        for position, (item, span) in enumerate(anchors)
    )
    session.add_all(
        Tile(
            id=new_id("tile"),
            video_id=video_id,
            kind=item["kind"],
            text=item["text"],
            start_s=span.start_s,
            end_s=span.end_s,
            product_id=item.get("product_id"),
            coupon_code=item.get("coupon_code"),
            discount_bps=item.get("discount_bps"),
            position=position,
        )
        for position, (item, span) in enumerate(tiles)
    )
    await session.flush()


async def _publish(
    session: AsyncSession,
    *,
    creator_id: str,
    fields: dict[str, Any],
    anchors: list[tuple[dict[str, Any], Span]],
    tiles: list[tuple[dict[str, Any], Span]],
) -> Video:
    now = utcnow()
    video = Video(
        id=new_id("vid"),
        creator_id=creator_id,
        views=0,
        likes=0,
        rank=feed_rank(now, views=0, likes=0),
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(video)
    await session.flush()
    await _write_items(session, video.id, anchors, tiles)
    return video


async def create_video(
    session: AsyncSession, creator: CallingCreator, body: dict[str, Any], *, notice: timedelta
) -> dict[str, Any]:
    url, media_id = await _media_url(session, creator, body)
    anchors, tiles = await _check_items(session, creator, body, body["duration_s"], notice)
    fields = {
        "title": body["title"],
        "description": body.get("description") or "",
        "media_url": url,
        "media_id": media_id,
        "poster_url": body.get("poster_url"),
        "duration_s": body["duration_s"],
    }
    video = await _publish(session, creator_id=creator.creator_id, fields=fields, anchors=anchors, tiles=tiles)
    (read,) = await read_videos(session, [video])
    return read


async def create_replay(
    session: AsyncSession,
    *,
    creator_id: str,
    title: str,
    media_url: str,
    duration_s: int,
    anchors: list[dict[str, Any]],
) -> str:
    """A live's replay, posted for its host: the anchors are the live's pins, valid when they were made (a plan
    that has ended since does not take them away from the recording)."""
    fields = {
        "title": title[:200],
        "description": "",
        "media_url": media_url,
        "media_id": None,
        "poster_url": None,
        "duration_s": duration_s,
    }
    spans = [(a, Span(a["start_s"], a["end_s"])) for a in anchors]
    video = await _publish(session, creator_id=creator_id, fields=fields, anchors=spans, tiles=[])
    return video.id


async def update_video(
    session: AsyncSession, creator: CallingCreator, video_id: str, changes: dict[str, Any], *, notice: timedelta
) -> dict[str, Any]:
    """Its creator edits the title, description, anchors or tiles (lists given replace the old ones); 404 for
    anyone else, so another creator's video is never revealed as editable."""
    video = await session.scalar(select(Video).where(Video.id == video_id).with_for_update())
    if video is None or video.creator_id != creator.creator_id:
        raise not_found("Video")
    if "title" in changes and not changes["title"]:
        raise _invalid([{"loc": ["body", "title"], "msg": "a video keeps a title"}])
    for name in ("title", "description", "poster_url"):
        if name in changes:
            setattr(video, name, changes[name] or ("" if name == "description" else None))
    if "anchors" in changes or "tiles" in changes:
        current = await _items_as_input(session, video.id)
        merged = {**current, **{k: v for k, v in changes.items() if k in ("anchors", "tiles")}}
        anchors, tiles = await _check_items(session, creator, merged, video.duration_s, notice)
        await core_execute(session, delete(Anchor).where(Anchor.video_id == video.id))
        await core_execute(session, delete(Tile).where(Tile.video_id == video.id))
        await _write_items(session, video.id, anchors, tiles)
    video.updated_at = utcnow()
    await session.flush()
    (read,) = await read_videos(session, [video])
    return read


async def _items_as_input(session: AsyncSession, video_id: str) -> dict[str, list[dict[str, Any]]]:
    anchors = (
        await session.execute(select(Anchor).where(Anchor.video_id == video_id).order_by(Anchor.position))
    ).scalars()
    tiles = (await session.execute(select(Tile).where(Tile.video_id == video_id).order_by(Tile.position))).scalars()
    return {
        "anchors": [
            {"product_id": a.product_id, "start_s": a.start_s, "end_s": a.end_s, "label": a.label} for a in anchors
        ],
        "tiles": [
            {
                "kind": t.kind,
                "text": t.text,
                "start_s": t.start_s,
                "end_s": t.end_s,
                "product_id": t.product_id,
                "coupon_code": t.coupon_code,
                "discount_bps": t.discount_bps,
            }
            for t in tiles
        ],
    }


async def get_video(session: AsyncSession, video_id: str) -> dict[str, Any]:
    video = await session.get(Video, video_id)
    if video is None:
        raise not_found("Video")
    (read,) = await read_videos(session, [video])
    return read


async def read_videos(session: AsyncSession, videos: Sequence[Video]) -> list[dict[str, Any]]:
    """Videos with their creator, anchors (each with a product summary) and tiles: four queries whatever
    their number."""
    ids = [v.id for v in videos]
    if not ids:
        return []
    anchors = list(
        (await session.execute(select(Anchor).where(Anchor.video_id.in_(ids)).order_by(Anchor.position))).scalars()
    )
    tiles = list((await session.execute(select(Tile).where(Tile.video_id.in_(ids)).order_by(Tile.position))).scalars())
    products = await catalog.product_summaries(
        session, [a.product_id for a in anchors] + [t.product_id for t in tiles if t.product_id]
    )
    creators = await identity.creators_by_id(session, [v.creator_id for v in videos])

    def product(product_id: str | None) -> dict[str, Any] | None:
        found = products.get(product_id) if product_id else None
        if found is None:
            return None
        return {
            "id": found.id,
            "title": found.title,
            "image_url": found.image_url,
            "available": found.status == "active",
        }

    out = []
    for video in videos:
        creator = creators.get(video.creator_id)
        out.append(
            {
                "id": video.id,
                "creator": {
                    "id": video.creator_id,
                    "handle": creator.handle if creator else None,
                    "display_name": creator.display_name if creator else None,
                },
                "title": video.title,
                "description": video.description,
                "media_url": video.media_url,
                "poster_url": video.poster_url,
                "duration_s": video.duration_s,
                "views": video.views,
                "likes": video.likes,
                "anchors": [
                    {
                        "id": a.id,
                        "product_id": a.product_id,
                        "start_s": a.start_s,
                        "end_s": a.end_s,
                        "label": a.label,
                        "product": product(a.product_id),
                    }
                    for a in anchors
                    if a.video_id == video.id
                ],
                "tiles": [
                    {
                        "id": t.id,
                        "kind": t.kind,
                        "text": t.text,
                        "start_s": t.start_s,
                        "end_s": t.end_s,
                        "product_id": t.product_id,
                        "coupon_code": t.coupon_code,
                        "discount_bps": t.discount_bps,
                        "product": product(t.product_id),
                    }
                    for t in tiles
                    if t.video_id == video.id
                ],
                "created_at": isoformat(video.created_at),
                "updated_at": isoformat(video.updated_at),
            }
        )
    return out


# --- views and likes --------------------------------------------------------------------------------------------


def _engagement(views: Any, likes: Any) -> Any:
    return func.log10(1 + views + LIKE_WEIGHT * likes)


async def _bump(session: AsyncSession, video_id: str, *, views: int = 0, likes: int = 0) -> None:
    """Move a video's counters and its feed rank together, in one conditional statement (concurrent bumps
    each apply: the right-hand side reads the row as it is when the update takes its lock)."""
    new_views, new_likes = Video.views + views, Video.likes + likes
    await core_execute(
        session,
        update(Video)
        .where(Video.id == video_id)
        .values(
            views=new_views,
            likes=new_likes,
            rank=Video.rank - _engagement(Video.views, Video.likes) + _engagement(new_views, new_likes),
        ),
    )


async def _existing(session: AsyncSession, video_id: str) -> None:
    if await session.scalar(select(Video.id).where(Video.id == video_id)) is None:
        raise not_found("Video")


async def record_view(session: AsyncSession, video_id: str, viewer: str) -> dict[str, Any]:
    """Count a view once per viewer (a user, or an anonymous visitor's keyed hash)."""
    await _existing(session, video_id)
    added = await insert_ignoring_conflicts(
        session,
        VideoView.__table__,  # type: ignore[arg-type]
        [{"video_id": video_id, "viewer": viewer, "created_at": utcnow()}],
        returning=VideoView.viewer,
    )
    if added:
        await _bump(session, video_id, views=1)
    return await _counts(session, video_id, counted=bool(added))


async def like(session: AsyncSession, video_id: str, user_id: str) -> dict[str, Any]:
    await _existing(session, video_id)
    added = await insert_ignoring_conflicts(
        session,
        VideoLike.__table__,  # type: ignore[arg-type]
        [{"video_id": video_id, "user_id": user_id, "created_at": utcnow()}],
        returning=VideoLike.user_id,
    )
    if added:
        await _bump(session, video_id, likes=1)
    return await _counts(session, video_id, liked=True)


async def unlike(session: AsyncSession, video_id: str, user_id: str) -> dict[str, Any]:
    await _existing(session, video_id)
    removed = (
        await core_execute(
            session,
            delete(VideoLike)
            .where(VideoLike.video_id == video_id, VideoLike.user_id == user_id)
            .returning(VideoLike.user_id),
        )
    ).first()
    if removed is not None:
        await _bump(session, video_id, likes=-1)
    return await _counts(session, video_id, liked=False)


async def liked_by(session: AsyncSession, user_id: str, video_ids: Sequence[str]) -> set[str]:
    """Which of these videos the user likes (the feed shows its Like buttons pressed)."""
    if not video_ids:
        return set()
    found = await session.execute(
        select(VideoLike.video_id).where(VideoLike.user_id == user_id, VideoLike.video_id.in_(list(video_ids)))
    )
    return set(found.scalars())


async def _counts(session: AsyncSession, video_id: str, **extra: bool) -> dict[str, Any]:
    row = (await session.execute(select(Video.views, Video.likes).where(Video.id == video_id))).one()
    return {"video_id": video_id, "views": row.views, "likes": row.likes, **extra}


# --- lists ------------------------------------------------------------------------------------------------------


async def feed(session: AsyncSession, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Videos by ``rules.feed_rank``, highest first. The first page fixes the newest video it could show; later
    pages carry that bound in their cursor, so videos posted meanwhile never shift a page (they lead the next
    first page instead)."""
    query = select(Video)
    if cursor is None:
        newest = await session.scalar(select(Video.id).order_by(Video.id.desc()).limit(1))
        if newest is None:
            return [], None
    else:
        newest, after_rank, after_id = decode_cursor(cursor, 3)
        try:
            after_rank = float(after_rank)
        except (TypeError, ValueError):
            raise ShoppableError("invalid_cursor", 400, "The cursor is not one this API gave out.") from None
        query = query.where(or_(Video.rank < after_rank, and_(Video.rank == after_rank, Video.id < str(after_id))))
    query = query.where(Video.id <= str(newest)).order_by(Video.rank.desc(), Video.id.desc()).limit(limit + 1)
    found = list((await session.execute(query)).scalars())
    page = found[:limit]
    next_cursor = encode_cursor([newest, page[-1].rank, page[-1].id]) if len(found) > limit else None
    return await read_videos(session, page), next_cursor


async def creator_videos(
    session: AsyncSession, creator_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    page, next_cursor = await newest_first(
        session, select(Video).where(Video.creator_id == creator_id), Video.id, limit=limit, cursor=cursor
    )
    return await read_videos(session, page), next_cursor


async def product_videos(
    session: AsyncSession, product_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The videos that anchor the product, newest first (the product page shows them)."""
    anchored = select(Anchor.video_id).where(Anchor.product_id == product_id)
    page, next_cursor = await newest_first(
        session, select(Video).where(Video.id.in_(anchored)), Video.id, limit=limit, cursor=cursor
    )
    return await read_videos(session, page), next_cursor


async def video_count(session: AsyncSession, creator_id: str) -> int:
    return int(await session.scalar(select(func.count()).select_from(Video).where(Video.creator_id == creator_id)) or 0)
