"""Who sets a flash sale's price, through HTTP: the product's shop any price; a creator hosting the live only
within what the shop allows its hosts (the plan that would pay their commission, or the product's own setting),
each such discount recorded for the shop and announced; and a creator's live coupons within the same bounds."""

from __future__ import annotations

from typing import Any

import httpx

from shoppable.kit.db import Database
from shoppable.kit.outbox import events_for
from tests.helpers import add_staff, become_creator, list_product, open_plan, register, stock_of
from tests.live.helpers import OnAir, on_air

SALE = {"quantity": 10, "duration_s": 300, "per_buyer_limit": 1, "countdown_s": 10}


async def _sale(client: httpx.AsyncClient, air: OnAir, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post(
        f"{air.path}/flash-sales", json={"variant_id": air.variant, **SALE, **body}, headers=headers
    )


async def _discounts(client: httpx.AsyncClient, air: OnAir, **params: Any) -> dict[str, Any]:
    listed = await client.get(
        f"/api/v1/shops/{air.listing.shop['id']}/host-discounts", params=params, headers=air.listing.seller.headers
    )
    assert listed.status_code == 200, listed.text
    return dict(listed.json())


async def _live_of_variants(client: httpx.AsyncClient, variants: int, **plan: Any) -> OnAir:
    """A creator on air with one product of several variants (US$30.00 each) under the shop's plan."""
    listing = await list_product(client, *[(3000, 50)] * variants)
    await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=1000, **plan)
    host = await register(client, name="Host Person")
    profile = await become_creator(client, host)
    created = await client.post(
        "/api/v1/lives", json={"title": "Drop", "product_ids": [listing.product["id"]]}, headers=host.headers
    )
    assert created.status_code == 201, created.text
    started = await client.post(f"/api/v1/lives/{created.json()['id']}/start", headers=host.headers)
    assert started.status_code == 200, started.text
    return OnAir(listing, host, profile, started.json())


async def test_a_host_cannot_sell_another_shops_stock_for_a_cent(client: httpx.AsyncClient) -> None:
    """The finding: a shop-wide plan (no allowance set) and a host flash-selling 100 units at 1 minor unit."""
    air = await on_air(client, price=2000, stock=100, host_discount_bps=None)
    refused = await _sale(client, air, air.host.headers, price=1, quantity=100, per_buyer_limit=100)
    assert (refused.status_code, refused.json()["code"]) == (403, "price_not_allowed")
    assert "$20.00" in refused.json()["detail"]  # the lowest price allowed: the product's own
    assert refused.json()["errors"][0]["loc"] == ["body", "price"]
    assert await stock_of(client, air.listing.product["id"], air.variant) == 100  # nothing carved out
    assert (await client.get(air.path)).json()["flash_sale"] is None
    # At the product's own price the host needs no allowance, and nothing is recorded.
    at_price = await _sale(client, air, air.host.headers, price=2000)
    assert at_price.status_code == 201, at_price.text
    assert (await _discounts(client, air))["items"] == []


async def test_a_sale_within_the_plans_allowance_is_recorded_for_the_shop_and_announced(
    client: httpx.AsyncClient, database: Database
) -> None:
    air = await on_air(client, price=3000, stock=100, host_discount_bps=3000)  # 30 % off at most: US$21.00
    too_low = await _sale(client, air, air.host.headers, price=2099)
    assert (too_low.status_code, too_low.json()["code"]) == (403, "price_not_allowed")
    assert "30 %" in too_low.json()["detail"]
    assert "$21.00" in too_low.json()["detail"]
    started = await _sale(client, air, air.host.headers, price=2100)
    assert started.status_code == 201, started.text
    assert await stock_of(client, air.listing.product["id"], air.variant) == 90
    (use,) = (await _discounts(client, air))["items"]
    assert {k: use[k] for k in ("creator_id", "live_id", "product_id", "variant_id")} == {
        "creator_id": air.profile["id"],
        "live_id": air.live["id"],
        "product_id": air.listing.product["id"],
        "variant_id": air.variant,
    }
    assert (use["base_price"], use["price"], use["currency"]) == (3000, 2100, "USD")
    assert (use["discount_bps"], use["allowed_bps"], use["allowance"]) == (3000, 3000, "plan")
    async with database.session(write=False) as session:
        (event,) = await events_for(session, use["id"])
    assert event.topic == "host_discount.used"
    assert (event.payload["shop_id"], event.payload["price"], event.payload["plan_id"]) == (
        air.listing.shop["id"],
        2100,
        use["plan_id"],
    )


async def test_a_products_own_setting_wins_over_its_plans_both_ways(client: httpx.AsyncClient) -> None:
    air = await _live_of_variants(client, 3, host_discount_bps=3000)
    first, second, third = air.listing.variant_ids
    allowance = f"/api/v1/products/{air.listing.product['id']}/host-allowance"
    seller = air.listing.seller.headers
    # Stricter than the plan: 10 %.
    assert (await client.put(allowance, json={"max_discount_bps": 1000}, headers=seller)).status_code == 200
    refused = await _sale(client, air, air.host.headers, variant_id=first, price=2100)  # the plan's 30 %
    assert (refused.status_code, refused.json()["code"]) == (403, "price_not_allowed")
    assert "$27.00" in refused.json()["detail"]
    assert (await _sale(client, air, air.host.headers, variant_id=first, price=2700)).status_code == 201
    # Looser than the plan: 50 %.
    assert (await client.put(allowance, json={"max_discount_bps": 5000}, headers=seller)).status_code == 200
    looser = await _sale(client, air, air.host.headers, variant_id=second, price=1500)
    assert looser.status_code == 201, looser.text
    # Cleared: the plan's 30 % again.
    assert (await client.delete(allowance, headers=seller)).status_code == 204
    again = await _sale(client, air, air.host.headers, variant_id=third, price=1500)
    assert (again.status_code, again.json()["code"]) == (403, "price_not_allowed")
    uses = (await _discounts(client, air))["items"]
    assert [(u["variant_id"], u["price"], u["allowed_bps"], u["allowance"]) for u in uses] == [
        (second, 1500, 5000, "product"),  # newest first
        (first, 2700, 1000, "product"),
    ]
    page = await _discounts(client, air, limit=1)
    assert [u["variant_id"] for u in page["items"]] == [second]
    rest = await _discounts(client, air, limit=1, cursor=page["next_cursor"])
    assert ([u["variant_id"] for u in rest["items"]], rest["next_cursor"]) == ([first], None)


async def test_the_shop_itself_flash_sells_at_any_price(client: httpx.AsyncClient) -> None:
    air = await on_air(client, price=2000, stock=100, host_discount_bps=None)
    sale = await _sale(client, air, air.listing.seller.headers, price=1, quantity=100, per_buyer_limit=100)
    assert sale.status_code == 201, sale.text
    assert sale.json()["price"] == 1
    assert await stock_of(client, air.listing.product["id"], air.variant) == 0
    assert (await _discounts(client, air))["items"] == []  # the shop's own price is no host's discount
    # A host who is the shop's staff acts for it: any price, too.
    staff_air = await on_air(client, price=2000, host_discount_bps=None)
    await add_staff(client, staff_air.listing.seller, staff_air.listing.shop["id"], staff_air.host)
    assert (await _sale(client, staff_air, staff_air.host.headers, price=1)).status_code == 201


async def test_the_allowance_is_that_of_the_plan_paying_the_hosts_commission(client: httpx.AsyncClient) -> None:
    """A targeted plan for the host beats the shop plan for commission, so its allowance (none) is theirs."""
    air = await on_air(client, price=3000, host_discount_bps=5000)
    await open_plan(
        client,
        air.listing.seller,
        air.listing.shop["id"],
        kind="targeted",
        bps=500,
        product_ids=[air.listing.product["id"]],
        creator_ids=[air.profile["id"]],
    )
    refused = await _sale(client, air, air.host.headers, price=1500)
    assert (refused.status_code, refused.json()["code"]) == (403, "price_not_allowed")
    assert "does not let hosts sell this product below its price" in refused.json()["detail"]


async def test_without_a_covering_plan_a_host_has_no_allowance(client: httpx.AsyncClient) -> None:
    air = await on_air(client, price=3000, host_discount_bps=5000)
    allowance = f"/api/v1/products/{air.listing.product['id']}/host-allowance"
    put = await client.put(allowance, json={"max_discount_bps": 5000}, headers=air.listing.seller.headers)
    assert put.status_code == 200
    (plan,) = (
        await client.get(f"/api/v1/shops/{air.listing.shop['id']}/affiliate-plans", headers=air.listing.seller.headers)
    ).json()["items"]
    assert (
        await client.post(f"/api/v1/affiliate-plans/{plan['id']}/end", headers=air.listing.seller.headers)
    ).is_success
    refused = await _sale(client, air, air.host.headers, price=2500)
    assert (refused.status_code, refused.json()["code"]) == (403, "price_not_allowed")
    assert "No active affiliate plan" in refused.json()["detail"]


async def test_strangers_still_start_no_flash_sale(client: httpx.AsyncClient) -> None:
    air = await on_air(client, host_discount_bps=9000)
    stranger = await register(client)
    refused = await _sale(client, air, stranger.headers, price=3000)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    other_shop = await list_product(client, (100, 1))
    foreign = await _sale(client, air, other_shop.seller.headers, price=3000)
    assert (foreign.status_code, foreign.json()["code"]) == (403, "forbidden")


async def test_a_creators_live_coupon_stays_within_each_shops_allowance(client: httpx.AsyncClient) -> None:
    air = await on_air(client, host_discount_bps=1500, start=False)
    coupons = f"{air.path}/coupons"
    over = await client.post(
        coupons, json={"code": "HALF50", "discount_bps": 5000, "total_cap": 10}, headers=air.host.headers
    )
    assert (over.status_code, over.json()["code"]) == (403, "price_not_allowed")
    assert over.json()["errors"][0]["loc"] == ["body", "discount_bps"]
    assert "15 %" in over.json()["detail"]
    within = await client.post(
        coupons, json={"code": "FIFTEEN", "discount_bps": 1500, "total_cap": 10}, headers=air.host.headers
    )
    assert within.status_code == 201, within.text
