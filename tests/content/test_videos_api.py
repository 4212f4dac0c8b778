"""Videos with anchors and tiles, views and likes, the feed, and buying through content: an anchor credits the
video's creator, a showcase entry the showcase."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.content.samples import png
from tests.helpers import Account, Listing, become_creator, buy, list_product, open_plan, register, unique


@dataclass
class Studio:
    listing: Listing
    creator: Account
    profile: dict[str, Any]

    @property
    def product_id(self) -> str:
        return str(self.listing.product["id"])


async def studio(client: httpx.AsyncClient, *, bps: int = 1000) -> Studio:
    listing = await list_product(client, (2000, 10))
    await open_plan(
        client, listing.seller, listing.shop["id"], kind="open", bps=bps, product_ids=[listing.product["id"]]
    )
    creator = await register(client)
    return Studio(listing, creator, await become_creator(client, creator))


def video_body(product_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": unique("Unboxing "),
        "media_url": "https://videos.example.com/clip.mp4",
        "duration_s": 60,
        "anchors": [{"product_id": product_id, "start_s": 5, "end_s": 20, "label": "Get it"}],
        "tiles": [
            {"kind": "promo", "text": "20 % off today", "start_s": 0, "end_s": 10, "coupon_code": "SUMMER20"},
            {"kind": "showcase", "text": "As seen", "start_s": 30, "end_s": 40, "product_id": product_id},
        ],
    }
    body.update(overrides)
    return body


async def _publish(client: httpx.AsyncClient, creator: Account, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/v1/videos", json=body, headers=creator.headers)


async def test_a_video_with_anchors_and_tiles(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    response = await _publish(
        client, s.creator, video_body(s.product_id, anchors=[{"product_id": s.product_id, "start_s": 5}])
    )
    assert response.status_code == 201, response.text
    video = response.json()
    (anchor,) = video["anchors"]
    assert (anchor["start_s"], anchor["end_s"]) == (5, 60)  # the end defaults to the video's end
    assert anchor["product"]["title"] == s.listing.product["title"]
    assert [t["kind"] for t in video["tiles"]] == ["promo", "showcase"]
    assert video["creator"]["handle"] == s.profile["handle"]
    assert (await client.get(f"/api/v1/videos/{video['id']}")).json() == video
    featured = await client.get(f"/api/v1/products/{s.product_id}/videos")
    assert [v["id"] for v in featured.json()["items"]] == [video["id"]]
    profile = await client.get(f"/api/v1/creators/{s.profile['handle']}")
    assert profile.json()["video_count"] == 1


async def test_anchor_validation_names_the_field(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    other = await list_product(client, (500, 1))  # no plan covers it
    draft = await list_product(client, (500, 1), status="draft")
    cases = [
        ([{"product_id": s.product_id, "start_s": 60}], ["body", "anchors", 0, "start_s"]),
        ([{"product_id": s.product_id, "start_s": 10, "end_s": 61}], ["body", "anchors", 0, "start_s"]),
        ([{"product_id": s.product_id, "start_s": 10, "end_s": 10}], ["body", "anchors", 0, "start_s"]),
        ([{"product_id": other.product["id"], "start_s": 1}], ["body", "anchors", 0, "product_id"]),
        ([{"product_id": draft.product["id"], "start_s": 1}], ["body", "anchors", 0, "product_id"]),
        (
            [{"product_id": s.product_id, "start_s": 1}, {"product_id": "prod_nope", "start_s": 1}],
            ["body", "anchors", 1, "product_id"],
        ),
    ]
    for anchors, loc in cases:
        response = await _publish(client, s.creator, video_body(s.product_id, anchors=anchors, tiles=[]))
        assert response.status_code == 422, anchors
        assert loc in [e["loc"] for e in response.json()["errors"]], response.json()
    tile = [{"kind": "showcase", "text": "x", "start_s": 0, "end_s": 5}]
    response = await _publish(client, s.creator, video_body(s.product_id, tiles=tile))
    assert ["body", "tiles", 0, "product_id"] in [e["loc"] for e in response.json()["errors"]]
    # A seller who is also a creator may anchor their own shop's products without a plan, and no one else's.
    await become_creator(client, other.seller)
    own = await _publish(client, other.seller, video_body(other.product["id"], tiles=[]))
    assert own.status_code == 201, own.text
    foreign = await _publish(client, other.seller, video_body(draft.product["id"], tiles=[]))
    assert foreign.status_code == 422


async def test_only_its_creator_edits_a_video_and_anchors_can_be_added_later(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    video = (await _publish(client, s.creator, video_body(s.product_id, anchors=[], tiles=[]))).json()
    stranger = await register(client)
    await become_creator(client, stranger)
    refused = await client.patch(f"/api/v1/videos/{video['id']}", json={"title": "mine"}, headers=stranger.headers)
    assert refused.status_code == 404
    missing = await client.patch("/api/v1/videos/vid_missing", json={"title": "x"}, headers=s.creator.headers)
    assert missing.status_code == 404
    added = await client.patch(
        f"/api/v1/videos/{video['id']}",
        json={"anchors": [{"product_id": s.product_id, "start_s": 12, "label": "This one"}]},
        headers=s.creator.headers,
    )
    assert added.status_code == 200, added.text
    assert [(a["start_s"], a["label"]) for a in added.json()["anchors"]] == [(12, "This one")]
    assert added.json()["title"] == video["title"]
    bad = await client.patch(
        f"/api/v1/videos/{video['id']}",
        json={"anchors": [{"product_id": s.product_id, "start_s": 99}]},
        headers=s.creator.headers,
    )
    assert bad.status_code == 422
    untitled = await client.patch(f"/api/v1/videos/{video['id']}", json={"title": None}, headers=s.creator.headers)
    assert (untitled.status_code, untitled.json()["errors"][0]["loc"]) == (422, ["body", "title"])
    assert (await client.get(f"/api/v1/videos/{video['id']}")).json()["anchors"][0]["start_s"] == 12


async def test_views_and_likes_count_once_per_viewer(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    video = (await _publish(client, s.creator, video_body(s.product_id))).json()
    path = f"/api/v1/videos/{video['id']}"
    fan = await register(client)
    for _ in range(3):
        await client.post(f"{path}/views", headers={"User-Agent": "viewer-a"})
        await client.post(f"{path}/views", headers=fan.headers)
    await client.post(f"{path}/views", headers={"User-Agent": "viewer-b"})
    assert (await client.get(path)).json()["views"] == 3
    for _ in range(2):
        liked = await client.post(f"{path}/likes", headers=fan.headers)
    assert liked.json()["likes"] == 1
    assert (await client.delete(f"{path}/likes", headers=fan.headers)).json()["likes"] == 0
    assert (await client.delete(f"{path}/likes", headers=fan.headers)).json()["likes"] == 0
    assert (await client.post(f"{path}/likes")).status_code == 401
    assert (await client.post("/api/v1/videos/vid_missing/views")).status_code == 404


async def test_the_feed_never_repeats_or_skips_while_videos_are_posted(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    for _ in range(7):
        assert (await _publish(client, s.creator, video_body(s.product_id))).status_code == 201
    first = (await client.get("/api/v1/feed", params={"limit": 3})).json()
    seen = [v["id"] for v in first["items"]]
    cursor = first["next_cursor"]
    before = {v["id"] for v in (await client.get("/api/v1/feed", params={"limit": 200})).json()["items"]}
    posted_meanwhile = []
    while cursor:
        posted_meanwhile.append((await _publish(client, s.creator, video_body(s.product_id))).json()["id"])
        page = (await client.get("/api/v1/feed", params={"limit": 3, "cursor": cursor})).json()
        seen += [v["id"] for v in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))  # nothing twice
    assert before <= set(seen) or len(before) >= 200  # nothing skipped
    assert not set(posted_meanwhile) & set(seen)  # new posts wait for the next first page
    fresh = (await client.get("/api/v1/feed", params={"limit": 200})).json()["items"]
    mine = [v["id"] for v in fresh if v["creator"]["id"] == s.profile["id"]]
    assert mine[0] == posted_meanwhile[-1]  # a new first page leads with the newest


async def test_engagement_lifts_a_video_in_the_feed(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    older = (await _publish(client, s.creator, video_body(s.product_id))).json()
    newer = (await _publish(client, s.creator, video_body(s.product_id))).json()

    def order(items: list[dict[str, Any]]) -> list[str]:
        return [v["id"] for v in items if v["id"] in (older["id"], newer["id"])]

    assert order((await client.get("/api/v1/feed", params={"limit": 200})).json()["items"]) == [
        newer["id"],
        older["id"],
    ]
    for _ in range(3):
        fan = await register(client)
        await client.post(f"/api/v1/videos/{older['id']}/likes", headers=fan.headers)
    assert order((await client.get("/api/v1/feed", params={"limit": 200})).json()["items"]) == [
        older["id"],
        newer["id"],
    ]


async def test_buying_through_an_anchor_credits_the_video(client: httpx.AsyncClient) -> None:
    s = await studio(client, bps=1500)
    video = (await _publish(client, s.creator, video_body(s.product_id))).json()
    variant = s.listing.variant_ids[0]
    response = await buy(
        client,
        await register(client),
        [{"variant_id": variant, "quantity": 1, "source": {"type": "video", "id": video["id"]}}],
    )
    assert response.status_code == 201, response.text
    line = response.json()["orders"][0]["lines"][0]
    assert line["source"] == {"type": "video", "id": video["id"]}
    assert line["attribution"]["creator_id"] == s.profile["id"]
    assert (line["attribution"]["source_type"], line["attribution"]["source_id"]) == ("video", video["id"])
    assert line["attribution"]["commission"] == 300
    commissions = (await client.get("/api/v1/creators/me/commissions", headers=s.creator.headers)).json()["items"]
    assert [(c["source_type"], c["source_id"]) for c in commissions] == [("video", video["id"])]


async def test_a_video_that_never_showed_the_product_credits_no_one(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    elsewhere = await list_product(client, (900, 5))
    video = (await _publish(client, s.creator, video_body(s.product_id))).json()
    source = {"type": "video", "id": video["id"]}
    response = await buy(
        client, await register(client), [{"variant_id": elsewhere.variant_ids[0], "quantity": 1, "source": source}]
    )
    assert response.status_code == 201
    assert response.json()["orders"][0]["lines"][0]["attribution"] is None


async def test_buying_through_the_showcase_credits_the_showcase(client: httpx.AsyncClient) -> None:
    s = await studio(client, bps=1000)
    added = await client.post(
        "/api/v1/creators/me/showcase", json={"product_id": s.product_id}, headers=s.creator.headers
    )
    assert added.status_code == 201, added.text
    source = added.json()["source"]
    assert source == {"type": "showcase", "id": s.profile["id"]}
    response = await buy(
        client, await register(client), [{"variant_id": s.listing.variant_ids[0], "quantity": 1, "source": source}]
    )
    attribution = response.json()["orders"][0]["lines"][0]["attribution"]
    assert (attribution["source_type"], attribution["source_id"], attribution["commission"]) == (
        "showcase",
        s.profile["id"],
        200,
    )


async def test_a_video_plays_an_upload_of_its_creator_or_an_external_url(client: httpx.AsyncClient) -> None:
    s = await studio(client)
    body = video_body(s.product_id, tiles=[])
    body.pop("media_url")
    missing = await client.post("/api/v1/videos", json=body, headers=s.creator.headers)
    assert (missing.status_code, missing.json()["errors"][0]["loc"]) == (422, ["body", "media_url"])
    stranger = await register(client)
    theirs = await client.post("/api/v1/media", files={"file": ("a.png", png(), "image/png")}, headers=stranger.headers)
    for media_id in (theirs.json()["id"], "med_missing"):
        refused = await client.post("/api/v1/videos", json={**body, "media_id": media_id}, headers=s.creator.headers)
        assert (refused.status_code, refused.json()["errors"][0]["loc"]) == (422, ["body", "media_id"])
