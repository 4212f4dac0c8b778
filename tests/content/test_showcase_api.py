"""The Showcase: only products a plan covers (or the creator's own shop's), hidden while no plan does, back when
one does; collections with a share link; profiles and follows."""

from __future__ import annotations

import httpx

from tests.helpers import become_creator, create_product, link_for, list_product, open_plan, register, unique


async def _showcase(client: httpx.AsyncClient, handle: str) -> list[str]:
    response = await client.get(f"/api/v1/creators/{handle}/showcase")
    assert response.status_code == 200, response.text
    return [item["product"]["id"] for item in response.json()["items"]]


async def test_the_showcase_shows_covered_products_and_hides_them_when_the_plan_ends(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1500, 3))
    product_id = listing.product["id"]
    creator = await register(client)
    profile = await become_creator(client, creator)
    refused = await client.post(
        "/api/v1/creators/me/showcase", json={"product_id": product_id}, headers=creator.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_affiliated")
    missing = await client.post("/api/v1/creators/me/showcase", json={"product_id": "prod_x"}, headers=creator.headers)
    assert missing.status_code == 404
    plan = await open_plan(client, listing.seller, listing.shop["id"], kind="open", bps=1200, product_ids=[product_id])
    added = await client.post("/api/v1/creators/me/showcase", json={"product_id": product_id}, headers=creator.headers)
    assert added.status_code == 201, added.text
    assert added.json()["link"]["code"]  # the link comes with the entry
    again = await client.post("/api/v1/creators/me/showcase", json={"product_id": product_id}, headers=creator.headers)
    assert again.status_code == 200
    assert await _showcase(client, profile["handle"]) == [product_id]
    await client.post(f"/api/v1/affiliate-plans/{plan['id']}/end", headers=listing.seller.headers)
    assert await _showcase(client, profile["handle"]) == []  # hidden, not deleted
    await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=500)
    assert await _showcase(client, profile["handle"]) == [product_id]  # back under the new plan
    removed = await client.delete(f"/api/v1/creators/me/showcase/{product_id}", headers=creator.headers)
    assert removed.status_code == 204
    assert await _showcase(client, profile["handle"]) == []
    gone = await client.delete(f"/api/v1/creators/me/showcase/{product_id}", headers=creator.headers)
    assert gone.status_code == 404


async def test_the_showcase_keeps_its_order_and_shows_the_creators_own_products(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1000, 3))
    second = await create_product(client, listing.seller, listing.shop["id"])
    seller_profile = await become_creator(client, listing.seller)
    for product_id in (second["id"], listing.product["id"]):
        added = await client.post(
            "/api/v1/creators/me/showcase", json={"product_id": product_id}, headers=listing.seller.headers
        )
        assert added.status_code == 201, added.text
        assert added.json()["link"] is None  # their own shop: shown, no commission, no link
    assert await _showcase(client, seller_profile["handle"]) == [second["id"], listing.product["id"]]


async def test_collections_group_promotable_products_with_a_share_link(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1000, 3))
    other = await create_product(client, listing.seller, listing.shop["id"])
    uncovered = await list_product(client, (700, 1))
    await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=900)
    creator = await register(client)
    profile = await become_creator(client, creator)
    await link_for(client, creator, listing.product["id"])
    body = {"title": "Summer picks", "description": "What I wear", "product_ids": [listing.product["id"], other["id"]]}
    created = await client.post("/api/v1/creators/me/collections", json=body, headers=creator.headers)
    assert created.status_code == 201, created.text
    collection = created.json()
    assert collection["share_url"].endswith(f"/collections/{collection['id']}")
    assert "/api/" not in collection["share_url"]  # the share link opens the collection page
    assert [i["product"]["id"] for i in collection["items"]] == [listing.product["id"], other["id"]]
    assert collection["creator"]["handle"] == profile["handle"]
    shared = await client.get(f"/api/v1/collections/{collection['id']}")
    assert shared.json()["items"] == collection["items"]
    bad = await client.post(
        "/api/v1/creators/me/collections",
        json={"title": "x", "product_ids": [listing.product["id"], uncovered.product["id"]]},
        headers=creator.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "product_ids", 1]
    too_many = await client.post(
        "/api/v1/creators/me/collections",
        json={"title": "x", "product_ids": [f"prod_{i}" for i in range(101)]},
        headers=creator.headers,
    )
    assert too_many.status_code == 422
    assert (await client.get("/api/v1/collections/col_missing")).status_code == 404


async def test_profiles_and_follows(client: httpx.AsyncClient) -> None:
    creator = await register(client)
    profile = await become_creator(client, creator, handle=unique("prof"))
    fan = await register(client)
    path = f"/api/v1/creators/{profile['handle']}"
    public = (await client.get(path)).json()
    assert (public["followers"], public["video_count"], public["following"]) == (0, 0, None)
    for _ in range(2):
        followed = await client.post(f"{path}/follow", headers=fan.headers)
        assert followed.json() == {"handle": profile["handle"], "following": True, "followers": 1}
    assert (await client.get(path, headers=fan.headers)).json()["following"] is True
    assert (await client.post(f"{path}/follow", headers=creator.headers)).status_code == 409
    unfollowed = await client.delete(f"{path}/follow", headers=fan.headers)
    assert unfollowed.json()["followers"] == 0
    assert (await client.get("/api/v1/creators/nobody-here")).status_code == 404
    reserved = await client.post(
        "/api/v1/creators", json={"handle": "me", "display_name": "Me"}, headers=(await register(client)).headers
    )
    assert reserved.status_code == 409
