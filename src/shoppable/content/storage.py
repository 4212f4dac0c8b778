"""Where uploaded media bytes live: a local directory by default, an S3-compatible bucket in production, both
behind one small interface (keys are ours, never a client's file name)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from shoppable.config import Settings

CHUNK = 256 * 1024


class MediaStorage(Protocol):
    name: str

    async def save(self, key: str, source: Path, content_type: str) -> None:
        """Store the file at ``source`` under ``key`` (whole or not at all)."""
        ...

    async def size(self, key: str) -> int | None:
        """The stored object's size in bytes, or None when there is none."""
        ...

    def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive of the stored object, in chunks."""
        ...

    async def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under a directory (``SHOPPABLE_VAR_DIR/media/uploads`` by default)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    async def save(self, key: str, source: Path, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{key}.partial")
        await asyncio.to_thread(_copy_file, source, partial)
        partial.replace(target)  # atomic: readers never see half a file

    async def size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        with self._path(key).open("rb") as handle:
            handle.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def _copy_file(source: Path, target: Path) -> None:
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            writer.write(chunk)


def storage_from_settings(settings: Settings) -> MediaStorage:
    if settings.media_storage == "local":
        return LocalStorage(settings.var_dir / "media" / "uploads")
    if settings.media_storage == "s3":
        from shoppable.content.s3_storage import S3Storage

        return S3Storage.from_settings(settings)
    raise RuntimeError(f"Unknown SHOPPABLE_MEDIA_STORAGE {settings.media_storage!r}; this build has: local, s3")
