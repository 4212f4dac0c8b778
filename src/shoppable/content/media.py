"""Uploads of videos and images: streamed to a temporary file under the size limit, typed by their bytes,
checked whole, then stored; and served back with HTTP range requests. A refused upload stores nothing."""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.content.models import Media
from shoppable.content.rules import is_whole, sniff
from shoppable.content.storage import CHUNK, MediaStorage
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id

_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}


def media_url(media_id: str) -> str:
    return f"/media/files/{media_id}"


def serialize(media: Media) -> dict[str, Any]:
    return {
        "id": media.id,
        "url": media_url(media.id),
        "kind": media.kind,
        "content_type": media.content_type,
        "size": media.size,
        "created_at": isoformat(media.created_at),
    }


def too_large(limit: int) -> ShoppableError:
    return ShoppableError("file_too_large", 413, f"Uploads are limited to {limit:,} bytes.")


async def _spool(upload: UploadFile, target: Path, limit: int) -> tuple[int, str]:
    """Copy the upload to ``target``: its size and SHA-256; 413 as soon as it passes ``limit``."""
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


async def store_upload(
    session: AsyncSession, storage: MediaStorage, *, owner_id: str, upload: UploadFile, limit: int, scratch: Path
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=scratch) as work:  # the app creates ``scratch`` at start-up
        spooled = Path(work) / "upload"
        size, sha256 = await _spool(upload, spooled, limit)
        return await store_file(session, storage, owner_id=owner_id, path=spooled, size=size, sha256=sha256)


async def store_file(
    session: AsyncSession, storage: MediaStorage, *, owner_id: str, path: Path, size: int, sha256: str
) -> dict[str, Any]:
    """Type the file by its bytes, check it is whole, store it: 415 or 422 (and nothing stored) otherwise."""
    if size == 0:
        raise ShoppableError(
            "empty_file", 422, "The file is empty.", errors=[{"loc": ["body", "file"], "msg": "empty"}]
        )
    with path.open("rb") as handle:
        kind = sniff(handle.read(32))
        if kind is None:
            raise ShoppableError(
                "unsupported_media_type",
                415,
                "Upload a video (MP4, QuickTime, WebM) or an image (JPEG, PNG, GIF, WebP); "
                "the type is read from the file's content, not its name.",
            )
        if not is_whole(handle, size, kind.content_type):
            raise ShoppableError(
                "truncated_file",
                422,
                f"The {kind.content_type} file ends before its own structure says it does: the upload was cut off.",
                errors=[{"loc": ["body", "file"], "msg": "truncated"}],
            )
    media_id = new_id("med")
    key = f"{media_id}.{_EXTENSIONS[kind.content_type]}"
    await storage.save(key, path, kind.content_type)
    media = Media(
        id=media_id,
        owner_id=owner_id,
        kind=kind.kind,
        content_type=kind.content_type,
        size=size,
        sha256=sha256,
        storage=storage.name,
        storage_key=key,
        created_at=utcnow(),
    )
    session.add(media)
    await session.flush()
    return serialize(media)


async def get_media(session: AsyncSession, media_id: str) -> Media:
    media = await session.get(Media, media_id)
    if media is None:
        raise not_found("Media")
    return media


# --- serving with ranges ---------------------------------------------------------------------------------------

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True, slots=True)
class Slice:
    status: int  # 200 whole, 206 partial, 416 unsatisfiable
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def requested_slice(range_header: str | None, size: int) -> Slice:
    """The part of a ``size``-byte object a ``Range`` header asks for (RFC 9110): one range is served as 206;
    several ranges, or a header we do not understand, get the whole object; a range wholly past the end, 416."""
    whole = Slice(200, 0, size - 1)
    if not range_header:
        return whole
    match = _RANGE.fullmatch(range_header.strip())
    if match is None:
        return whole
    first, last = match.groups()
    if not first and not last:
        return whole
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0:
            return Slice(416, 0, -1)
        return Slice(206, max(0, size - suffix), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return Slice(416, 0, -1)
    return Slice(206, start, end)


def stream(storage: MediaStorage, media: Media, part: Slice) -> AsyncIterator[bytes]:
    return storage.read(media.storage_key, part.start, part.end)
