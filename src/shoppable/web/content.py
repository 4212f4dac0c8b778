"""Content pages for shoppers: the vertical video feed (anchors, tiles, likes, follows), creator pages with their
Videos and Showcase tabs, and shared collections. Every product link carries its source (``video:ID`` or
``showcase:CREATOR_ID``), so a purchase credits the creator who showed it."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.catalog import service as catalog
from shoppable.config import app_settings
from shoppable.content import profiles, showcase, videos
from shoppable.identity import service as identity
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.kit.security import safe_next
from shoppable.web.forms import form_of
from shoppable.web.templating import price_range, render, with_toast
from shoppable.web.visitor import FormShopper, PageVisitor, Visitor, sign_in_url

router = APIRouter(include_in_schema=False)

FEED_PAGE = 8
GRID_PAGE = 24
IMAGE_MEDIA = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif")

Cursor = Annotated[str | None, Query(max_length=512)]


def _video_href(product_id: str, video_id: str) -> str:
    return f"/products/{product_id}?source=video:{video_id}"


def _showcase_href(product_id: str, creator_id: str) -> str:
    return f"/products/{product_id}?source=showcase:{creator_id}"


async def _prices(session: AsyncSession, product_ids: set[str]) -> dict[str, str]:
    """Each active product's price (or range) as shown on cards; products no longer on sale are left out."""
    if not product_ids:
        return {}
    found, _ = await catalog.search_products(
        session, scope=catalog.ProductScope(product_ids=sorted(product_ids)), sort="newest", limit=len(product_ids)
    )
    return {p["id"]: price_range(p) for p in found}


def _cues(video: dict[str, Any], prices: dict[str, str]) -> dict[str, Any]:
    """What the player shows over the video and when: anchors as product cards, promo and showcase tiles.
    Only products still on sale are offered."""
    anchors = [
        {
            "id": a["id"],
            "product_id": a["product_id"],
            "start_s": a["start_s"],
            "end_s": a["end_s"],
            "label": a["label"] or "Shop",
            "title": a["product"]["title"],
            "image_url": a["product"]["image_url"],
            "price": prices[a["product_id"]],
            "href": _video_href(a["product_id"], video["id"]),
        }
        for a in video["anchors"]
        if a["product"] and a["product_id"] in prices
    ]
    tiles: list[dict[str, Any]] = []
    for t in video["tiles"]:
        tile = {"id": t["id"], "kind": t["kind"], "text": t["text"], "start_s": t["start_s"], "end_s": t["end_s"]}
        if t["kind"] == "promo":
            tiles.append({**tile, "coupon_code": t["coupon_code"]})
        elif t["product"] and t["product_id"] in prices:
            tiles.append(
                {
                    **tile,
                    "product_id": t["product_id"],
                    "title": t["product"]["title"],
                    "image_url": t["product"]["image_url"],
                    "price": prices[t["product_id"]],
                    "href": _showcase_href(t["product_id"], video["creator"]["id"]),
                }
            )
    return {"anchors": anchors, "tiles": tiles}


async def _viewer_creator_id(session: AsyncSession, visitor: Visitor) -> str | None:
    if not visitor.is_signed_in:
        return None
    own = await identity.creator_of_user(session, visitor.user_id)
    return own.id if own else None


async def _feed_items(session: AsyncSession, visitor: Visitor, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The feed's videos with what the page needs beside them: cues, the viewer's like and follow states."""
    product_ids = {a["product_id"] for v in items for a in v["anchors"]}
    product_ids |= {t["product_id"] for v in items for t in v["tiles"] if t["product_id"]}
    prices = await _prices(session, product_ids)
    liked: set[str] = set()
    following: set[str] = set()
    if visitor.is_signed_in:
        liked = await videos.liked_by(session, visitor.user_id, [v["id"] for v in items])
        following = await profiles.followed_by(session, visitor.user_id, [v["creator"]["id"] for v in items])
    own = await _viewer_creator_id(session, visitor)
    return [
        {
            **video,
            "is_image": video["media_url"].lower().endswith(IMAGE_MEDIA),
            "cues": _cues(video, prices),
            "liked": video["id"] in liked,
            "following": video["creator"]["id"] in following,
            "is_own": video["creator"]["id"] == own,
            "sign_in": sign_in_url(f"/feed?start={video['id']}"),
            "eager": index == 0,  # the rest load as they come near (feed.js), sparing the shopper's data
        }
        for index, video in enumerate(items)
    ]


@router.get("/feed")
async def feed_page(
    request: Request,
    session: DbSession,
    visitor: PageVisitor,
    start: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Cursor = None,
) -> Response:
    try:
        items, next_cursor = await videos.feed(session, limit=FEED_PAGE, cursor=cursor)
    except ShoppableError:  # a cursor from an older feed or a tampered one: start over
        items, next_cursor = await videos.feed(session, limit=FEED_PAGE, cursor=None)
    if start and cursor is None:
        try:
            first = await videos.get_video(session, start)
        except ShoppableError:  # a video that is gone: the feed as usual
            first = None
        if first is not None:
            items = [first, *(v for v in items if v["id"] != first["id"])]
    context = {"videos": await _feed_items(session, visitor, items), "next_cursor": next_cursor}
    return render(request, "feed.html", context)


async def _back(request: Request, default: str) -> str:
    return safe_next((await form_of(request)).get("next"), default)


@router.post("/feed/{video_id}/like")
async def like_page(request: Request, video_id: str, session: DbSession, visitor: FormShopper) -> Response:
    await videos.like(session, video_id, visitor.user_id)
    return RedirectResponse(await _back(request, f"/feed?start={quote(video_id)}"), status_code=303)


@router.post("/feed/{video_id}/unlike")
async def unlike_page(request: Request, video_id: str, session: DbSession, visitor: FormShopper) -> Response:
    await videos.unlike(session, video_id, visitor.user_id)
    return RedirectResponse(await _back(request, f"/feed?start={quote(video_id)}"), status_code=303)


@router.post("/creators/{handle}/follow")
async def follow_page(request: Request, handle: str, session: DbSession, visitor: FormShopper) -> Response:
    followed = await profiles.follow(session, visitor.user_id, handle)
    target = await _back(request, f"/creators/{quote(followed['handle'])}")
    return with_toast(RedirectResponse(target, status_code=303), "followed")


@router.post("/creators/{handle}/unfollow")
async def unfollow_page(request: Request, handle: str, session: DbSession, visitor: FormShopper) -> Response:
    unfollowed = await profiles.unfollow(session, visitor.user_id, handle)
    target = await _back(request, f"/creators/{quote(unfollowed['handle'])}")
    return with_toast(RedirectResponse(target, status_code=303), "unfollowed")


@router.get("/creators/{handle}")
async def creator_page(
    request: Request,
    handle: str,
    session: DbSession,
    visitor: PageVisitor,
    tab: Annotated[str, Query(max_length=20)] = "videos",
    cursor: Cursor = None,
) -> Response:
    settings = app_settings(request)
    viewer = visitor.user_id if visitor.is_signed_in else None
    creator = await profiles.public_profile(session, handle, viewer_id=viewer)
    chosen: Literal["videos", "showcase"] = "showcase" if tab == "showcase" else "videos"
    context: dict[str, Any] = {
        "creator": creator,
        "tab": chosen,
        "is_own": creator["id"] == await _viewer_creator_id(session, visitor),
        "videos": [],
        "next_cursor": None,
        "showcase": [],
        "collections": [],
    }
    if chosen == "videos":
        try:
            made, next_cursor = await videos.creator_videos(session, creator["id"], limit=GRID_PAGE, cursor=cursor)
        except ShoppableError:
            made, next_cursor = await videos.creator_videos(session, creator["id"], limit=GRID_PAGE, cursor=None)
        context["videos"] = [{**v, "is_image": v["media_url"].lower().endswith(IMAGE_MEDIA)} for v in made]
        context["next_cursor"] = next_cursor
    else:
        shown = await showcase.read(
            session, creator["handle"], public_url=settings.public_url, notice=settings.rate_cut_notice
        )
        context["showcase"] = [
            {**item, "href": _showcase_href(item["product"]["id"], creator["id"])} for item in shown["items"]
        ]
        context["collections"] = await showcase.creator_collections(session, creator["id"])
    return render(request, "creator.html", context)


@router.get("/collections/{collection_id}")
async def collection_page(request: Request, collection_id: str, session: DbSession, visitor: PageVisitor) -> Response:
    settings = app_settings(request)
    collection = await showcase.get_collection(
        session, collection_id, public_url=settings.public_url, notice=settings.rate_cut_notice
    )
    creator = await profiles.public_profile(session, collection["creator"]["handle"])
    items = [{**item, "href": _showcase_href(item["product"]["id"], creator["id"])} for item in collection["items"]]
    return render(request, "collection.html", {"collection": collection, "creator": creator, "items": items})
