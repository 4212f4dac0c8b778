"""Hosts' price allowances through HTTP: a plan's ``host_discount_bps``, a product's own setting (only its shop
reads, sets and clears it) and the shop's list of discounts its hosts ran (only the shop reads it)."""

from __future__ import annotations

import httpx

from tests.helpers import add_staff, become_creator, list_product, open_plan, register


async def test_a_plan_carries_its_hosts_allowance(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1000, 1))
    shop_id, seller = listing.shop["id"], listing.seller.headers
    default = await open_plan(client, listing.seller, shop_id, kind="shop", bps=1000)
    assert default["host_discount_bps"] == 0  # no allowance unless the shop gives one
    plan = await open_plan(client, listing.seller, shop_id, kind="shop", bps=1000, host_discount_bps=2500)
    assert plan["host_discount_bps"] == 2500
    path = f"/api/v1/affiliate-plans/{plan['id']}"
    only_allowance = await client.patch(path, json={"host_discount_bps": 4000}, headers=seller)
    assert only_allowance.status_code == 200, only_allowance.text
    assert (only_allowance.json()["host_discount_bps"], only_allowance.json()["commission_bps"]) == (4000, 1000)
    assert len(only_allowance.json()["rate_history"]) == 1  # the rate did not change
    only_rate = await client.patch(path, json={"commission_bps": 1500}, headers=seller)
    assert (only_rate.json()["host_discount_bps"], only_rate.json()["commission_bps"]) == (4000, 1500)
    listed = (await client.get(f"/api/v1/shops/{shop_id}/affiliate-plans", headers=seller)).json()["items"]
    assert {p["id"]: p["host_discount_bps"] for p in listed} == {default["id"]: 0, plan["id"]: 4000}
    for bad in (-1, 10001):
        opened = await client.post(
            f"/api/v1/shops/{shop_id}/affiliate-plans",
            json={"kind": "shop", "name": "x", "commission_bps": 1000, "host_discount_bps": bad},
            headers=seller,
        )
        assert (opened.status_code, opened.json()["errors"][0]["loc"]) == (422, ["body", "host_discount_bps"])
        changed = await client.patch(path, json={"host_discount_bps": bad}, headers=seller)
        assert (changed.status_code, changed.json()["errors"][0]["loc"]) == (422, ["body", "host_discount_bps"])
    stranger = await list_product(client, (1000, 1))
    hidden = await client.patch(path, json={"host_discount_bps": 10000}, headers=stranger.seller.headers)
    assert hidden.status_code == 404  # another shop's plan is never revealed
    await client.post(f"{path}/end", headers=seller)
    ended = await client.patch(path, json={"host_discount_bps": 100}, headers=seller)
    assert (ended.status_code, ended.json()["code"]) == (409, "plan_ended")


async def test_only_the_products_shop_reads_sets_and_clears_its_allowance(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1000, 1))
    path = f"/api/v1/products/{listing.product['id']}/host-allowance"
    seller = listing.seller.headers
    unset = await client.get(path, headers=seller)
    assert unset.status_code == 200, unset.text
    assert unset.json() == {
        "product_id": listing.product["id"],
        "shop_id": listing.shop["id"],
        "max_discount_bps": None,
        "updated_at": None,
    }
    put = await client.put(path, json={"max_discount_bps": 2000}, headers=seller)
    assert put.status_code == 200, put.text
    assert put.json()["max_discount_bps"] == 2000
    assert put.json()["updated_at"].endswith("Z")
    assert (await client.get(path, headers=seller)).json()["max_discount_bps"] == 2000
    staff = await register(client)
    await add_staff(client, listing.seller, listing.shop["id"], staff)
    changed = await client.put(path, json={"max_discount_bps": 0}, headers=staff.headers)
    assert (changed.status_code, changed.json()["max_discount_bps"]) == (200, 0)
    for bad in ({"max_discount_bps": 10001}, {"max_discount_bps": -5}, {}, {"max_discount_bps": 10, "x": 1}):
        assert (await client.put(path, json=bad, headers=seller)).status_code == 422, bad
    # Another shop, a creator, a plain user: the product's setting does not exist for them.
    other = await list_product(client, (1000, 1))
    creator = await register(client)
    await become_creator(client, creator)
    await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=1000, host_discount_bps=5000)
    for who in (other.seller, creator, await register(client)):
        for method, body in (("GET", None), ("PUT", {"max_discount_bps": 10000}), ("DELETE", None)):
            response = await client.request(method, path, json=body, headers=who.headers)
            assert (response.status_code, response.json()["code"]) == (404, "not_found"), method
    for method, body in (("GET", None), ("PUT", {"max_discount_bps": 10000}), ("DELETE", None)):
        assert (await client.request(method, path, json=body)).status_code == 401
    assert (await client.get(path, headers=seller)).json()["max_discount_bps"] == 0  # untouched by them
    missing = await client.put(
        "/api/v1/products/prod_missing/host-allowance", json={"max_discount_bps": 1}, headers=seller
    )
    assert missing.status_code == 404
    assert (await client.delete(path, headers=seller)).status_code == 204
    assert (await client.get(path, headers=seller)).json()["max_discount_bps"] is None
    assert (await client.delete(path, headers=seller)).status_code == 204  # clearing twice changes nothing


async def test_only_the_shop_lists_its_hosts_discounts(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1000, 1))
    path = f"/api/v1/shops/{listing.shop['id']}/host-discounts"
    mine = await client.get(path, headers=listing.seller.headers)
    assert (mine.status_code, mine.json()) == (200, {"items": [], "next_cursor": None})
    other = await list_product(client, (1000, 1))
    creator = await register(client)
    await become_creator(client, creator)
    for who in (other.seller, creator):
        refused = await client.get(path, headers=who.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert (await client.get(path)).status_code == 401
    assert (await client.get("/api/v1/shops/shop_missing/host-discounts", headers=creator.headers)).status_code == 404
    bad_cursor = await client.get(path, params={"cursor": "nope"}, headers=listing.seller.headers)
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (400, "invalid_cursor")
