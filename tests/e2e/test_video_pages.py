"""A video uploaded through the API plays in a real Chromium from the feed: the browser's range requests are
answered, it can seek, and the anchor leads to the product page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.content.test_videos_api import studio, video_body
from tests.e2e.test_shop_pages import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401 - the fixture
from tests.helpers import unique

FFMPEG = shutil.which("ffmpeg")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed (apt-get install ffmpeg)"),
]


def _webm(target: Path) -> bytes:
    assert FFMPEG is not None
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x240:d=4:r=12"]
        + ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "200k", str(target)],
        check=True,
        timeout=60,
    )
    return target.read_bytes()


async def test_an_uploaded_video_plays_and_seeks_in_the_feed(
    client: httpx.AsyncClient,
    server: str,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    from playwright.async_api import async_playwright

    s = await studio(client)
    data = _webm(tmp_path / "clip.webm")
    uploaded = await client.post(
        "/api/v1/media", files={"file": ("clip", data, "application/octet-stream")}, headers=s.creator.headers
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["content_type"] == "video/webm"
    title = unique("Seek test ")
    body = video_body(s.product_id, title=title, media_id=uploaded.json()["id"], duration_s=4)
    body.pop("media_url")
    body["tiles"] = []
    body["anchors"] = [{"product_id": s.product_id, "start_s": 1, "end_s": 3, "label": "Shop"}]
    created = await client.post("/api/v1/videos", json=body, headers=s.creator.headers)
    assert created.status_code == 201, created.text
    video_id = created.json()["id"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            ranges: list[str] = []
            page.on(
                "request", lambda r: ranges.append(r.headers.get("range", "")) if "/media/files/" in r.url else None
            )
            await page.goto(f"{server}/feed")
            clip = page.locator(f"#{video_id} video")
            await clip.wait_for()
            duration = await clip.evaluate(
                "v => new Promise(done => v.readyState >= 1 ? done(v.duration) : "
                "v.addEventListener('loadedmetadata', () => done(v.duration), {once: true}))"
            )
            assert 3.5 <= duration <= 4.5
            seeked = await clip.evaluate(
                "v => new Promise(done => { v.addEventListener('seeked', () => done(v.currentTime), {once: true}); "
                "v.currentTime = 2.5; })"
            )
            assert seeked == pytest.approx(2.5, abs=0.6)
            assert any(r.startswith("bytes=") for r in ranges)  # the player asked for ranges
            await page.locator(f"#{video_id} .anchors a").first.click()
            await page.wait_for_url(f"**/products/{s.product_id}")
            assert await page.inner_text("h1") == s.listing.product["title"]
        finally:
            await browser.close()
