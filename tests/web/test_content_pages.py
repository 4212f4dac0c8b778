"""Content pages over HTTP: the feed, a creator's page, and the videos on a product page; user text is escaped."""

from __future__ import annotations

import httpx

from tests.content.test_videos_api import studio, video_body
from tests.helpers import unique


async def test_feed_creator_and_product_pages_show_videos(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    title = unique("Try-on <script>alert(1)</script> ")
    created = await client.post("/api/v1/videos", json=video_body(s.product_id, title=title), headers=s.creator.headers)
    assert created.status_code == 201, created.text
    video = created.json()
    await client.post("/api/v1/creators/me/showcase", json={"product_id": s.product_id}, headers=s.creator.headers)

    feed = await client.get("/feed")
    assert feed.status_code == 200
    assert video["id"] in feed.text
    assert "<script>alert(1)</script>" not in feed.text
    assert "&lt;script&gt;" in feed.text
    assert f'href="/products/{s.product_id}"' in feed.text

    page = await client.get(f"/creators/{s.profile['handle']}")
    assert page.status_code == 200
    assert s.listing.product["title"] in page.text  # the showcase
    assert video["id"] in page.text
    assert (await client.get("/creators/nobody-at-all")).status_code == 404

    product = await client.get(f"/products/{s.product_id}")
    assert "Seen in" in product.text
    assert video["id"] in product.text
    assert "20 % off today" in product.text  # the promo tile
