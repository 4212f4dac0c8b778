"""Uploads: typed by their bytes, refused whole (wrong type, too large, empty, cut off) with nothing stored, and
served back with range requests."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.content.samples import mp4, png
from tests.helpers import Account, register


async def _upload(client: httpx.AsyncClient, who: Account, data: bytes, name: str = "clip.bin") -> httpx.Response:
    return await client.post(
        "/api/v1/media", files={"file": (name, data, "application/octet-stream")}, headers=who.headers
    )


def _stored(app: FastAPI) -> list[Path]:
    root = app.state.settings.var_dir / "media" / "uploads"
    return sorted(root.iterdir()) if root.exists() else []


async def test_an_upload_is_typed_by_its_content_and_served_with_ranges(client: httpx.AsyncClient) -> None:
    user = await register(client)
    video = mp4(5000)
    response = await _upload(client, user, video, name="holiday.txt")  # the name says nothing
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["content_type"], body["size"]) == ("video", "video/mp4", len(video))
    whole = await client.get(body["url"])
    assert (whole.status_code, whole.content, whole.headers["accept-ranges"]) == (200, video, "bytes")
    assert whole.headers["content-type"] == "video/mp4"
    for header, start, end in (
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=-10", len(video) - 10, len(video) - 1),
        ("bytes=4990-", 4990, len(video) - 1),
    ):
        part = await client.get(body["url"], headers={"Range": header})
        assert part.status_code == 206, header
        assert part.content == video[start : end + 1], header
        assert part.headers["content-range"] == f"bytes {start}-{end}/{len(video)}"
        assert int(part.headers["content-length"]) == end - start + 1
    beyond = await client.get(body["url"], headers={"Range": f"bytes={len(video)}-"})
    assert (beyond.status_code, beyond.headers["content-range"]) == (416, f"bytes */{len(video)}")
    head = await client.head(body["url"], headers={"Range": "bytes=0-9"})
    assert (head.status_code, head.headers["content-length"], head.content) == (206, "10", b"")
    image = await _upload(client, user, png())
    assert (image.json()["kind"], image.json()["content_type"]) == ("image", "image/png")
    assert (await client.get("/media/files/med_missing")).status_code == 404


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"just some text, not a video", 415, "unsupported_media_type"),
        (b"%PDF-1.7\n" + bytes(100), 415, "unsupported_media_type"),
        (b"", 422, "empty_file"),
        (mp4(5000)[:-100], 422, "truncated_file"),
        (png()[:-5], 422, "truncated_file"),
        (mp4(5000)[:40], 422, "truncated_file"),
    ],
)
async def test_refused_uploads_store_nothing(
    client: httpx.AsyncClient, app: FastAPI, data: bytes, status: int, code: str
) -> None:
    user = await register(client)
    before = _stored(app)
    response = await _upload(client, user, data)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.json()["detail"]
    assert _stored(app) == before


async def test_an_upload_over_the_limit_is_a_413_and_stores_nothing(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await register(client)
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"media_max_bytes": 4000})
    try:
        before = _stored(app)
        response = await _upload(client, user, mp4(5000))
        assert (response.status_code, response.json()["code"]) == (413, "file_too_large")
        assert _stored(app) == before
        assert (await _upload(client, user, png())).status_code == 201
    finally:
        app.state.settings = settings
    scratch = settings.var_dir / "tmp"
    assert list(scratch.iterdir()) == []  # no spooled file is left behind


async def test_uploads_need_a_user(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/media", files={"file": ("a.png", png(), "image/png")})
    assert response.status_code == 401


async def test_media_whose_bytes_are_gone_is_a_404(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await register(client)
    before = set(_stored(app))
    body = (await _upload(client, user, png())).json()
    (stored,) = set(_stored(app)) - before
    stored.unlink()  # the storage was wiped under the database
    gone = await client.get(body["url"])
    assert gone.status_code == 404
    assert gone.json()["code"] == "not_found"
