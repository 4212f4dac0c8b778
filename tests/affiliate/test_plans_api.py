"""Creator profiles, affiliate plans and the marketplace through HTTP: what each kind of plan covers, the bounds,
who may change what, and the rate open to each creator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import (
    Account,
    Listing,
    become_creator,
    create_product,
    link_for,
    list_product,
    open_plan,
    register,
    unique,
)


async def _creator(client: httpx.AsyncClient) -> tuple[Account, dict[str, Any]]:
    account = await register(client)
    return account, await become_creator(client, account)


async def _market(client: httpx.AsyncClient, creator: Account, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/affiliate/marketplace", params=params, headers=creator.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- creators ---------------------------------------------------------------------------------------------------


async def test_one_creator_profile_per_user_with_a_unique_handle(client: httpx.AsyncClient) -> None:
    account = await register(client)
    handle = unique("Ana.")
    profile = await become_creator(client, account, handle=f"@{handle}")
    assert profile["handle"] == handle.lower()
    me = (await client.get("/api/v1/me", headers=account.headers)).json()
    assert me["creator"] == {"id": profile["id"], "handle": handle.lower()}
    again = await client.post(
        "/api/v1/creators", json={"handle": unique("b"), "display_name": "B"}, headers=account.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_a_creator")
    other = await register(client)
    taken = await client.post(
        "/api/v1/creators", json={"handle": handle.upper(), "display_name": "C"}, headers=other.headers
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "handle_taken")


@pytest.mark.parametrize("handle", ["", "_lead", "trail.", "has space", "é", "x" * 31, "a/b"])
async def test_bad_handles_are_refused(client: httpx.AsyncClient, handle: str) -> None:
    account = await register(client)
    response = await client.post(
        "/api/v1/creators", json={"handle": handle, "display_name": "X"}, headers=account.headers
    )
    assert response.status_code == 422, response.text


# --- plans ------------------------------------------------------------------------------------------------------


async def test_plans_are_validated_by_kind(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1000, 1))
    shop_id, pid = listing.shop["id"], listing.product["id"]
    other = await list_product(client, (1000, 1))
    _, creator = await _creator(client)
    cases: list[tuple[dict[str, Any], str, list[Any]]] = [
        ({"kind": "shop", "commission_bps": 99}, "commission_bps_out_of_range", ["body", "commission_bps"]),
        ({"kind": "shop", "commission_bps": 8001}, "commission_bps_out_of_range", ["body", "commission_bps"]),
        ({"kind": "shop", "product_ids": [pid]}, "validation_error", ["body", "product_ids"]),
        ({"kind": "open"}, "validation_error", ["body", "product_ids"]),
        (
            {"kind": "open", "product_ids": [pid], "creator_ids": [creator["id"]]},
            "validation_error",
            ["body", "creator_ids"],
        ),
        ({"kind": "targeted", "product_ids": [pid]}, "validation_error", ["body", "creator_ids"]),
        ({"kind": "open", "product_ids": [other.product["id"]]}, "product_not_found", ["body", "product_ids", 0]),
        (
            {"kind": "targeted", "product_ids": [pid], "creator_ids": ["cr_nobody"]},
            "creator_not_found",
            ["body", "creator_ids", 0],
        ),
        ({"kind": "shop", "ends_at": "2001-01-01T00:00:00Z"}, "validation_error", ["body", "ends_at"]),
    ]
    archived = await create_product(client, listing.seller, shop_id)
    await client.delete(f"/api/v1/products/{archived['id']}", headers=listing.seller.headers)
    cases.append(({"kind": "open", "product_ids": [archived["id"]]}, "product_unavailable", ["body", "product_ids", 0]))
    for body, code, loc in cases:
        response = await client.post(
            f"/api/v1/shops/{shop_id}/affiliate-plans",
            json={"name": "x", "commission_bps": 1000, **body},
            headers=listing.seller.headers,
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == code, body
        assert response.json()["errors"][0]["loc"] == loc, body


async def test_only_the_shop_opens_changes_and_ends_its_plans(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1000, 1))
    plan = await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=1000)
    assert (plan["status"], plan["kind"], plan["commission_bps"]) == ("active", "shop", 1000)
    stranger = await list_product(client, (1000, 1))
    opened = await client.post(
        f"/api/v1/shops/{listing.shop['id']}/affiliate-plans",
        json={"kind": "shop", "name": "x", "commission_bps": 500},
        headers=stranger.seller.headers,
    )
    assert opened.status_code == 403
    for method, path, body in (
        ("PATCH", f"/api/v1/affiliate-plans/{plan['id']}", {"commission_bps": 500}),
        ("POST", f"/api/v1/affiliate-plans/{plan['id']}/end", {}),
    ):
        response = await client.request(method, path, json=body, headers=stranger.seller.headers)
        assert response.status_code == 404, path  # another shop's plan is never revealed
    listed = await client.get(f"/api/v1/shops/{listing.shop['id']}/affiliate-plans", headers=stranger.seller.headers)
    assert listed.status_code == 403
    mine = await client.get(f"/api/v1/shops/{listing.shop['id']}/affiliate-plans", headers=listing.seller.headers)
    assert [p["id"] for p in mine.json()["items"]] == [plan["id"]]
    ended = await client.post(f"/api/v1/affiliate-plans/{plan['id']}/end", headers=listing.seller.headers)
    assert (ended.status_code, ended.json()["status"]) == (200, "ended")
    again = await client.post(f"/api/v1/affiliate-plans/{plan['id']}/end", headers=listing.seller.headers)
    assert again.json()["ends_at"] == ended.json()["ends_at"]  # ending twice changes nothing
    changed = await client.patch(
        f"/api/v1/affiliate-plans/{plan['id']}", json={"commission_bps": 2000}, headers=listing.seller.headers
    )
    assert (changed.status_code, changed.json()["code"]) == (409, "plan_ended")


# --- marketplace and links --------------------------------------------------------------------------------------


async def _shop_with_products(
    client: httpx.AsyncClient, prices: list[int]
) -> tuple[Listing, list[dict[str, Any]], str]:
    """A shop whose products all carry one word no other test uses (the marketplace spans every shop)."""
    tag = unique("mk")
    listing = await list_product(client, (prices[0], 5), title=f"{tag} 0")
    products = [listing.product]
    for i, price in enumerate(prices[1:], start=1):
        variants = [{"sku": unique("SKU-"), "options": {"Size": "S"}, "price": price, "inventory_quantity": 5}]
        products.append(
            await create_product(client, listing.seller, listing.shop["id"], variants=variants, title=f"{tag} {i}")
        )
    return listing, products, tag


async def test_the_marketplace_shows_what_each_creator_may_promote_at_their_rate(client: httpx.AsyncClient) -> None:
    listing, (a, b, c), tag = await _shop_with_products(client, [1000, 2000, 3000])
    shop = listing.shop["id"]
    invited_account, invited = await _creator(client)
    outsider_account, _ = await _creator(client)
    await open_plan(client, listing.seller, shop, kind="shop", bps=500)
    await open_plan(client, listing.seller, shop, kind="open", bps=300, product_ids=[b["id"]])
    await open_plan(
        client, listing.seller, shop, kind="targeted", bps=2500, product_ids=[c["id"]], creator_ids=[invited["id"]]
    )

    def rates(page: dict[str, Any]) -> dict[str, int]:
        return {p["id"]: p["commission_bps"] for p in page["items"] if p["shop_id"] == shop}

    # An open plan beats the shop plan even at a lower rate; a targeted plan beats both, for its creators only.
    assert rates(await _market(client, invited_account, q=listing.product["title"].split()[0])) | rates(
        await _market(client, invited_account, limit=200)
    ) == {a["id"]: 500, b["id"]: 300, c["id"]: 2500}
    assert rates(await _market(client, outsider_account, limit=200)) == {a["id"]: 500, b["id"]: 300, c["id"]: 500}
    by_commission = [
        p["id"] for p in (await _market(client, invited_account, limit=200))["items"] if p["shop_id"] == shop
    ]
    assert by_commission == [c["id"], a["id"], b["id"]]
    by_price = await _market(client, invited_account, sort="price_desc", limit=200)
    prices = [p["variants"][0]["price"] for p in by_price["items"]]
    assert prices == sorted(prices, reverse=True)
    # Links: 201 the first time, the same link (200) after; the rate open to the caller.
    first = await client.post("/api/v1/affiliate/links", json={"product_id": c["id"]}, headers=invited_account.headers)
    second = await client.post("/api/v1/affiliate/links", json={"product_id": c["id"]}, headers=invited_account.headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["code"] == second.json()["code"]
    assert first.json()["commission_bps"] == 2500
    assert (await link_for(client, outsider_account, c["id"]))["commission_bps"] == 500


async def test_the_marketplace_pages_by_commission_without_repeats(client: httpx.AsyncClient) -> None:
    listing, products, tag = await _shop_with_products(client, [100, 200, 300, 400, 500])
    shop = listing.shop["id"]
    account, _ = await _creator(client)
    await open_plan(client, listing.seller, shop, kind="shop", bps=700)
    await open_plan(
        client, listing.seller, shop, kind="open", bps=900, product_ids=[products[1]["id"], products[3]["id"]]
    )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "q": tag}
        if cursor:
            params["cursor"] = cursor
        page = await _market(client, account, **params)
        seen += [(p["id"], p["commission_bps"]) for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len({pid for pid, _ in seen}) == len(products)
    assert [bps for _, bps in seen] == [900, 900, 700, 700, 700]
    assert {pid for pid, bps in seen if bps == 900} == {products[1]["id"], products[3]["id"]}


async def test_links_need_an_active_plan_and_an_active_product(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1000, 1), title=unique("solo"))
    account, _ = await _creator(client)
    refused = await client.post(
        "/api/v1/affiliate/links", json={"product_id": listing.product["id"]}, headers=account.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_affiliated")
    missing = await client.post("/api/v1/affiliate/links", json={"product_id": "prod_missing"}, headers=account.headers)
    assert missing.status_code == 404
    plan = await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=1000)
    assert (await link_for(client, account, listing.product["id"]))["commission_bps"] == 1000
    await client.post(f"/api/v1/affiliate-plans/{plan['id']}/end", headers=listing.seller.headers)
    assert (await _market(client, account, q=listing.product["title"]))["items"] == []
    ended = await client.post(
        "/api/v1/affiliate/links", json={"product_id": listing.product["id"]}, headers=account.headers
    )
    assert ended.status_code == 403
    no_profile = await register(client)
    response = await client.post(
        "/api/v1/affiliate/links", json={"product_id": listing.product["id"]}, headers=no_profile.headers
    )
    assert (response.status_code, response.json()["code"]) == (403, "creator_required")
