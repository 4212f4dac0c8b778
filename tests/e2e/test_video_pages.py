"""A video uploaded through the API plays in a real Chromium from the feed: the browser's range requests are
answered, it can seek, and its anchor leads to the product page with the video as the source."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.content.test_videos_api import studio
from tests.e2e.browser import Tab
from tests.e2e.test_feed_pages import FFMPEG, make_webm, only_this_tests_media, publish_clip

pytestmark = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed (apt-get install ffmpeg)")


async def test_an_uploaded_video_plays_and_seeks_in_the_feed(
    client: httpx.AsyncClient, phone: Tab, tmp_path: Path
) -> None:
    s = await studio(client)
    video = await publish_clip(
        client,
        s,
        make_webm(tmp_path / "clip.webm"),
        anchors=[{"product_id": s.product_id, "start_s": 1, "end_s": 3, "label": "Shop"}],
    )
    video_id = video["id"]
    page = phone.page
    await only_this_tests_media(phone, video["media_url"])
    ranges: list[str] = []
    page.on("request", lambda r: ranges.append(r.headers.get("range", "")) if "/media/files/" in r.url else None)
    await phone.goto(f"/feed?start={video_id}")
    clip = page.locator(f"#{video_id} video")
    await clip.wait_for()
    duration = await clip.evaluate(
        "v => new Promise(done => v.readyState >= 1 ? done(v.duration) : "
        "v.addEventListener('loadedmetadata', () => done(v.duration), {once: true}))"
    )
    assert 3.5 <= duration <= 4.5
    seeked = await clip.evaluate(
        "v => new Promise(done => { v.pause(); v.addEventListener('seeked', () => done(v.currentTime), {once: true}); "
        "v.currentTime = 2.5; })"
    )
    assert seeked == pytest.approx(2.5, abs=0.6)
    assert any(r.startswith("bytes=") for r in ranges)  # the player asked for ranges
    await phone.check()
    # The products are links too (what a browser without JavaScript shows), crediting the video.
    href = await page.locator(f"#{video_id} [data-products] a").first.get_attribute("href")
    assert href == f"/products/{s.product_id}?source=video:{video_id}"
    await phone.goto(href)
    assert await page.inner_text("h1") == s.listing.product["title"]
    await phone.check()
