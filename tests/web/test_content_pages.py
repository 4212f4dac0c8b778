"""Content pages over HTTP: the feed (every video with its products as links and its cues as data, opened at a
chosen video, paged), a creator's Videos and Showcase tabs and collections, a shared collection, and the
Follow and Like forms (CSRF-checked, nothing changes without the token). User text is escaped everywhere."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.content.test_videos_api import Studio, studio, video_body
from tests.helpers import register, unique
from tests.web.session_helpers import csrf_of, sign_up_page

HTML = {"accept": "text/html"}
NASTY = "<script>alert(1)</script>"
_ARTICLES = re.compile(r'<article class="video" id="([^"]+)"')
_CUES = re.compile(r"data-cues='([^']*)'")


@pytest.fixture
async def browser_like(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar, as one browser profile."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=HTML) as http:
        yield http


async def _video(client: httpx.AsyncClient, s: Studio, **overrides: Any) -> dict[str, Any]:
    created = await client.post("/api/v1/videos", json=video_body(s.product_id, **overrides), headers=s.creator.headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _text(page: str) -> str:
    """What a person reads: the page without its tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _escaped(page: str) -> None:
    assert NASTY not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "an inline script"


async def test_the_feed_lists_every_video_with_its_products_as_links(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    video = await _video(client, s, title=unique("Try-on ") + NASTY)
    newer = await _video(client, s)

    # Opened at a video (as the home and product pages link to it): that video first, then the feed.
    feed = await client.get(f"/feed?start={video['id']}", headers=HTML)
    assert feed.status_code == 200
    _escaped(feed.text)
    shown = _ARTICLES.findall(feed.text)
    assert shown[0] == video["id"]
    assert len(shown) == len(set(shown))
    # Without JavaScript, the anchor and the showcase tile are links that credit the video and the showcase.
    assert f'href="/products/{s.product_id}?source=video:{video["id"]}"' in feed.text
    assert f'href="/products/{s.product_id}?source=showcase:{s.profile["id"]}"' in feed.text
    assert "20 % off today" in feed.text
    assert "SUMMER20" in feed.text
    assert f'href="/creators/{s.profile["handle"]}"' in feed.text
    # The player's cues ride along as JSON in a data attribute, escaped for it.
    article = feed.text[feed.text.index(f'id="{video["id"]}"') :]
    cues = json.loads(html.unescape(_CUES.search(article).group(1)))  # type: ignore[union-attr]
    (anchor,) = cues["anchors"]
    assert (anchor["product_id"], anchor["start_s"], anchor["end_s"], anchor["label"]) == (
        s.product_id,
        5,
        20,
        "Get it",
    )
    assert anchor["price"] == "$20.00"
    assert [(t["kind"], t["start_s"], t["end_s"]) for t in cues["tiles"]] == [("promo", 0, 10), ("showcase", 30, 40)]
    assert cues["tiles"][0]["coupon_code"] == "SUMMER20"
    # Signed out, Like and Follow lead to signing in and back to this video.
    assert f'href="/signin?next=/feed%3Fstart%3D{video["id"]}"' in article

    opened = await client.get(f"/feed?start={newer['id']}", headers=HTML)
    assert _ARTICLES.findall(opened.text)[0] == newer["id"]
    plain = await client.get("/feed", headers=HTML)
    assert plain.status_code == 200
    assert _ARTICLES.findall(plain.text)  # the feed by rank, whatever else the database holds
    assert (await client.get("/feed?start=vid_gone", headers=HTML)).status_code == 200
    assert (await client.get("/feed?cursor=forged", headers=HTML)).status_code == 200

    product = await client.get(f"/products/{s.product_id}", headers=HTML)
    assert "Seen in" in product.text
    assert f"/feed?start={video['id']}" in product.text


async def test_more_videos_pages_through_the_feed(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    made = [(await _video(client, s, tiles=[]))["id"] for _ in range(9)]  # more than one page
    seen: list[str] = []
    path: str | None = "/feed"
    while path and not set(made) <= set(seen):
        page = await client.get(path, headers=HTML)
        assert page.status_code == 200
        seen += _ARTICLES.findall(page.text)
        more = re.search(r'href="(/feed\?cursor=[^"]+)" data-more>More videos</a>', page.text)
        path = html.unescape(more.group(1)) if more else None
    assert set(made) <= set(seen)
    assert len(seen) == len(set(seen))  # no video twice


async def _creator(client: httpx.AsyncClient) -> tuple[Studio, dict[str, Any]]:
    """A studio (its open plan covers any creator) with a creator whose name and bio try to inject markup."""
    s = await studio(client)
    account = await register(client)
    profile = {"handle": unique("ana"), "display_name": "Ana " + NASTY, "bio": "I review kettles " + NASTY}
    created = await client.post("/api/v1/creators", json=profile, headers=account.headers)
    assert created.status_code == 201, created.text
    return Studio(s.listing, account, created.json()), profile


async def test_a_creators_page_has_videos_and_showcase_tabs_and_collections(client: httpx.AsyncClient) -> None:
    s, _ = await _creator(client)
    video = await _video(client, s, tiles=[])
    added = await client.post(
        "/api/v1/creators/me/showcase", json={"product_id": s.product_id}, headers=s.creator.headers
    )
    assert added.status_code == 201, added.text
    title = unique("Kettles ") + NASTY
    collection = await client.post(
        "/api/v1/creators/me/collections",
        json={"title": title, "description": "Hot " + NASTY, "product_ids": [s.product_id]},
        headers=s.creator.headers,
    )
    assert collection.status_code == 201, collection.text
    handle, creator_id = s.profile["handle"], s.profile["id"]

    videos = await client.get(f"/creators/{handle}", headers=HTML)
    assert videos.status_code == 200
    _escaped(videos.text)
    assert '<a href="?tab=videos" aria-current="page">Videos</a>' in videos.text
    assert '<a href="?tab=showcase">Showcase</a>' in videos.text
    assert f'href="/feed?start={video["id"]}"' in videos.text
    assert "0 followers · 1 video" in _text(videos.text)
    assert ">Follow<" in videos.text
    assert f'action="/creators/{handle}/follow"' in videos.text

    shown = await client.get(f"/creators/{handle}?tab=showcase", headers=HTML)
    assert shown.status_code == 200
    _escaped(shown.text)
    assert '<a href="?tab=showcase" aria-current="page">Showcase</a>' in shown.text
    assert f'href="/products/{s.product_id}?source=showcase:{creator_id}"' in shown.text
    assert s.listing.product["title"] in shown.text
    assert f'href="/collections/{collection.json()["id"]}"' in shown.text
    assert html.escape(title, quote=False) in shown.text
    assert "1 product" in _text(shown.text)
    assert f'href="/feed?start={video["id"]}"' not in shown.text  # one tab at a time

    missing = await client.get("/creators/nobody-at-all", headers=HTML)
    assert missing.status_code == 404
    assert "couldn" in missing.text


async def test_a_shared_collection_page(client: httpx.AsyncClient) -> None:
    s, profile = await _creator(client)
    title = unique("Picks ") + NASTY
    created = await client.post(
        "/api/v1/creators/me/collections",
        json={"title": title, "description": "What I use " + NASTY, "product_ids": [s.product_id]},
        headers=s.creator.headers,
    )
    assert created.status_code == 201, created.text
    collection = created.json()
    share = collection["share_url"]
    assert share.endswith(f"/collections/{collection['id']}")
    assert "/api/" not in share

    page = await client.get(f"/collections/{collection['id']}", headers=HTML)
    assert page.status_code == 200
    _escaped(page.text)
    assert html.escape(title, quote=False) in page.text
    assert html.escape(profile["display_name"], quote=False) in page.text
    assert f'href="/creators/{s.profile["handle"]}"' in page.text
    assert f'href="/products/{s.product_id}?source=showcase:{s.profile["id"]}"' in page.text
    missing = await client.get("/collections/col_nope", headers=HTML)
    assert missing.status_code == 404
    assert "couldn" in missing.text


async def _followers(client: httpx.AsyncClient, handle: str) -> int:
    return int((await client.get(f"/api/v1/creators/{handle}")).json()["followers"])


async def test_follow_and_like_forms_need_their_csrf_token(
    client: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    s = await studio(client)
    video = await _video(client, s)
    handle = s.profile["handle"]

    # Signed out, the Follow form leads to signing in, back to the creator's page.
    page = await browser_like.get(f"/creators/{handle}")
    out = await browser_like.post(
        f"/creators/{handle}/follow",
        data={"csrf_token": csrf_of(page.text)},
        headers={"referer": f"http://test/creators/{handle}"},
    )
    assert out.status_code == 303
    assert out.headers["location"] == f"/signin?next=/creators/{handle}"

    await sign_up_page(browser_like)
    page = await browser_like.get(f"/creators/{handle}")
    assert 'aria-pressed="false"><span>Follow<' in page.text
    token = csrf_of(page.text)
    for forged in ({}, {"csrf_token": "forged"}):
        refused = await browser_like.post(f"/creators/{handle}/follow", data=forged)
        assert refused.status_code == 403
    assert await _followers(client, handle) == 0

    followed = await browser_like.post(f"/creators/{handle}/follow", data={"csrf_token": token})
    assert (followed.status_code, followed.headers["location"]) == (303, f"/creators/{handle}")
    assert await _followers(client, handle) == 1
    page = await browser_like.get(followed.headers["location"])
    assert "Following." in page.text  # the toast
    assert f'action="/creators/{handle}/unfollow"' in page.text
    assert 'aria-pressed="true"><span>Follow<' in page.text
    assert "1 follower ·" in _text(page.text)
    feed = await browser_like.get(f"/feed?start={video['id']}")
    assert f'action="/creators/{handle}/unfollow"' in feed.text  # the feed knows too

    # Liking from the feed without JavaScript: the form, CSRF-checked, back to the video.
    assert (await browser_like.post(f"/feed/{video['id']}/like")).status_code == 403
    liked = await browser_like.post(
        f"/feed/{video['id']}/like", data={"csrf_token": token, "next": f"/feed?start={video['id']}"}
    )
    assert (liked.status_code, liked.headers["location"]) == (303, f"/feed?start={video['id']}")
    assert (await client.get(f"/api/v1/videos/{video['id']}")).json()["likes"] == 1
    feed = await browser_like.get(f"/feed?start={video['id']}")
    assert f'action="/feed/{video["id"]}/unlike"' in feed.text
    assert "1 like ·" in _text(feed.text)
    await browser_like.post(f"/feed/{video['id']}/unlike", data={"csrf_token": token})
    assert (await client.get(f"/api/v1/videos/{video['id']}")).json()["likes"] == 0

    # An offsite next is ignored.
    unfollowed = await browser_like.post(
        f"/creators/{handle}/unfollow", data={"csrf_token": token, "next": "//evil.example.com/"}
    )
    assert (unfollowed.status_code, unfollowed.headers["location"]) == (303, f"/creators/{handle}")
    assert await _followers(client, handle) == 0
