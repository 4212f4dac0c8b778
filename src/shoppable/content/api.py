"""REST endpoints of content: creator profiles and follows, the showcase and collections, media uploads and
their bytes, videos with anchors and tiles, views and likes, the feed."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from shoppable.config import app_settings
from shoppable.content import media, profiles, showcase, videos
from shoppable.content.schemas import (
    CollectionCreate,
    CollectionRead,
    CreatorProfile,
    Engagement,
    FollowRead,
    MediaRead,
    ShowcaseAdd,
    ShowcaseItem,
    ShowcaseRead,
    VideoCreate,
    VideoPage,
    VideoRead,
    VideoUpdate,
)
from shoppable.content.storage import MediaStorage
from shoppable.identity.deps import CurrentCreator, CurrentUser, OptionalPrincipal
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import not_found
from shoppable.kit.http import PROBLEM_RESPONSES, json_response, problem_response
from shoppable.kit.pagination import DEFAULT_LIMIT, Cursor, Limit

router = APIRouter(prefix="/api/v1", tags=["content"], responses=PROBLEM_RESPONSES)
files = APIRouter(tags=["content"])


def _storage(request: Request) -> MediaStorage:
    storage: MediaStorage = request.app.state.media_storage
    return storage


# --- creators and follows ---------------------------------------------------------------------------------------


@router.get("/creators/{handle}", response_model=CreatorProfile, summary="A creator's public profile (public)")
async def get_creator(handle: str, session: DbSession, principal: OptionalPrincipal) -> Response:
    viewer = principal.user_id if principal else None
    return json_response(await profiles.public_profile(session, handle, viewer_id=viewer))


@router.post("/creators/{handle}/follow", response_model=FollowRead, summary="Follow a creator (user)")
async def follow(handle: str, session: DbSession, user: CurrentUser) -> Response:
    assert user.user_id is not None
    return json_response(await profiles.follow(session, user.user_id, handle))


@router.delete("/creators/{handle}/follow", response_model=FollowRead, summary="Unfollow a creator (user)")
async def unfollow(handle: str, session: DbSession, user: CurrentUser) -> Response:
    assert user.user_id is not None
    return json_response(await profiles.unfollow(session, user.user_id, handle))


@router.get("/creators/{handle}/videos", response_model=VideoPage, summary="A creator's videos, newest first (public)")
async def creator_videos(
    handle: str, session: DbSession, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    profile = await profiles.public_profile(session, handle)
    items, next_cursor = await videos.creator_videos(session, profile["id"], limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


# --- showcase and collections -----------------------------------------------------------------------------------


@router.get(
    "/creators/{handle}/showcase",
    response_model=ShowcaseRead,
    summary="The products a creator showcases, each with their link (public)",
)
async def get_showcase(handle: str, request: Request, session: DbSession) -> Response:
    body = await showcase.read(
        session, handle, public_url=app_settings(request).public_url, notice=app_settings(request).rate_cut_notice
    )
    return json_response(body)


@router.post(
    "/creators/me/showcase",
    status_code=201,
    response_model=ShowcaseItem,
    responses={200: {"model": ShowcaseItem, "description": "Already in the showcase"}},
    summary="Add a product to the caller's showcase; 403 `not_affiliated` unless a plan covers it (creator)",
)
async def add_to_showcase(body: ShowcaseAdd, request: Request, session: DbSession, creator: CurrentCreator) -> Response:
    created, item = await showcase.add(
        session,
        creator,
        body.product_id,
        public_url=app_settings(request).public_url,
        notice=app_settings(request).rate_cut_notice,
    )
    return json_response(item, 201 if created else 200)


@router.delete(
    "/creators/me/showcase/{product_id}",
    status_code=204,
    summary="Take a product out of the caller's showcase (creator)",
)
async def remove_from_showcase(product_id: str, session: DbSession, creator: CurrentCreator) -> Response:
    await showcase.remove(session, creator, product_id)
    return Response(status_code=204)


@router.post(
    "/creators/me/collections",
    status_code=201,
    response_model=CollectionRead,
    summary="Group up to 100 products in a collection with a share link (creator)",
)
async def create_collection(
    body: CollectionCreate, request: Request, session: DbSession, creator: CurrentCreator
) -> Response:
    collection = await showcase.create_collection(
        session,
        creator,
        title=body.title,
        description=body.description,
        product_ids=body.product_ids,
        public_url=app_settings(request).public_url,
        notice=app_settings(request).rate_cut_notice,
    )
    return json_response(collection, 201)


@router.get("/collections/{collection_id}", response_model=CollectionRead, summary="A creator's collection (public)")
async def get_collection(collection_id: str, request: Request, session: DbSession) -> Response:
    body = await showcase.get_collection(
        session,
        collection_id,
        public_url=app_settings(request).public_url,
        notice=app_settings(request).rate_cut_notice,
    )
    return json_response(body)


# --- media ------------------------------------------------------------------------------------------------------


@router.post(
    "/media",
    status_code=201,
    response_model=MediaRead,
    responses={
        413: problem_response("Larger than `SHOPPABLE_MEDIA_MAX_BYTES` (`file_too_large`)"),
        415: problem_response("Not a video or image we take (`unsupported_media_type`); sniffed from the bytes"),
    },
    summary="Upload a video or image; its type is read from its content (user)",
)
async def upload_media(
    request: Request, session: DbSession, user: CurrentUser, file: Annotated[UploadFile, File()]
) -> Response:
    assert user.user_id is not None
    settings = app_settings(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.media_max_bytes + 64 * 1024:
        raise media.too_large(settings.media_max_bytes)
    stored = await media.store_upload(
        session,
        _storage(request),
        owner_id=user.user_id,
        upload=file,
        limit=settings.media_max_bytes,
        scratch=settings.var_dir / "tmp",
    )
    return json_response(stored, 201)


@files.api_route("/media/files/{media_id}", methods=["GET", "HEAD"], include_in_schema=False)
async def media_file(media_id: str, request: Request, session: DbSession) -> Response:
    """The bytes of an upload, with single-range requests (206) for video players."""
    found = await media.get_media(session, media_id)
    if await _storage(request).size(found.storage_key) is None:  # the row outlived its bytes (storage wiped)
        raise not_found("Media")
    part = media.requested_slice(request.headers.get("range"), found.size)
    headers = {
        "accept-ranges": "bytes",
        "etag": f'"{found.sha256}"',
        "cache-control": "public, max-age=31536000, immutable",
    }
    if part.status == 416:
        return Response(status_code=416, headers={**headers, "content-range": f"bytes */{found.size}"})
    headers["content-length"] = str(part.length)
    if part.status == 206:
        headers["content-range"] = f"bytes {part.start}-{part.end}/{found.size}"
    if request.method == "HEAD":
        return Response(status_code=part.status, headers=headers, media_type=found.content_type)
    return StreamingResponse(
        media.stream(_storage(request), found, part),
        status_code=part.status,
        headers=headers,
        media_type=found.content_type,
    )


# --- videos -----------------------------------------------------------------------------------------------------


@router.post(
    "/videos", status_code=201, response_model=VideoRead, summary="Publish a video with anchors and tiles (creator)"
)
async def create_video(body: VideoCreate, request: Request, session: DbSession, creator: CurrentCreator) -> Response:
    video = await videos.create_video(
        session, creator, body.model_dump(mode="json"), notice=app_settings(request).rate_cut_notice
    )
    return json_response(video, 201)


@router.get("/videos/{video_id}", response_model=VideoRead, summary="A video with its anchors and tiles (public)")
async def get_video(video_id: str, session: DbSession) -> Response:
    return json_response(await videos.get_video(session, video_id))


@router.patch(
    "/videos/{video_id}",
    response_model=VideoRead,
    summary="Edit a video: title, description, anchors, tiles (its creator)",
)
async def update_video(
    video_id: str, body: VideoUpdate, request: Request, session: DbSession, creator: CurrentCreator
) -> Response:
    changes = body.model_dump(mode="json", exclude_unset=True)
    return json_response(
        await videos.update_video(session, creator, video_id, changes, notice=app_settings(request).rate_cut_notice)
    )


def _viewer(request: Request, user_id: str | None) -> str:
    """Who is viewing: the user, or a keyed hash of an anonymous visitor's address and user agent."""
    if user_id:
        return user_id
    client = request.client.host if request.client else ""
    agent = request.headers.get("user-agent", "")
    key = app_settings(request).secret_key.encode()
    return "anon:" + hmac.new(key, f"{client}\x1f{agent}".encode(), hashlib.sha256).hexdigest()[:32]


@router.post("/videos/{video_id}/views", response_model=Engagement, summary="Count a view, once per viewer (public)")
async def view_video(video_id: str, request: Request, session: DbSession, principal: OptionalPrincipal) -> Response:
    viewer = _viewer(request, principal.user_id if principal else None)
    return json_response(await videos.record_view(session, video_id, viewer))


@router.post("/videos/{video_id}/likes", response_model=Engagement, summary="Like a video, once per user (user)")
async def like_video(video_id: str, session: DbSession, user: CurrentUser) -> Response:
    assert user.user_id is not None
    return json_response(await videos.like(session, video_id, user.user_id))


@router.delete("/videos/{video_id}/likes", response_model=Engagement, summary="Take a like back (user)")
async def unlike_video(video_id: str, session: DbSession, user: CurrentUser) -> Response:
    assert user.user_id is not None
    return json_response(await videos.unlike(session, video_id, user.user_id))


@router.get(
    "/feed",
    response_model=VideoPage,
    summary="Videos, newest and most engaging first (public); see the ranking in docs/DECISIONS.md",
)
async def get_feed(session: DbSession, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    items, next_cursor = await videos.feed(session, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/products/{product_id}/videos",
    response_model=VideoPage,
    summary="The videos that feature a product, newest first (public)",
)
async def product_videos(
    product_id: str, session: DbSession, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    items, next_cursor = await videos.product_videos(session, product_id, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})
