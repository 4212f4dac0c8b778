"""Lives through HTTP: scheduling, going live, pins, flash sales carved out of stock and never oversold, live
coupons with caps, the replay video, and what is never broadcast."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI

from shoppable.identity.rules import Principal
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.ledger import service as ledger
from shoppable.live import service
from shoppable.worker import Worker
from tests.helpers import buy, list_product, register, stock_of
from tests.live.helpers import flash_sale, on_air, open_now


async def test_a_live_from_schedule_to_replay(client: httpx.AsyncClient) -> None:
    air = await on_air(client, start=False)
    assert air.live["status"] == "scheduled"
    assert air.live["host"] == {"type": "creator", "id": air.profile["id"], "handle": air.profile["handle"]}
    stranger = await register(client)
    assert (await client.post(f"{air.path}/start", headers=stranger.headers)).status_code == 403
    pinned_early = await client.post(
        f"{air.path}/pin", json={"product_id": air.listing.product["id"]}, headers=air.host.headers
    )
    assert (pinned_early.status_code, pinned_early.json()["code"]) == (409, "invalid_transition")
    assert (await client.post(f"{air.path}/start", headers=air.host.headers)).json()["status"] == "live"
    pinned = await client.post(
        f"{air.path}/pin", json={"product_id": air.listing.product["id"]}, headers=air.host.headers
    )
    assert pinned.json()["pinned_product"]["id"] == air.listing.product["id"]
    other = await list_product(client, (100, 1))
    refused = await client.post(f"{air.path}/pin", json={"product_id": other.product["id"]}, headers=air.host.headers)
    assert refused.status_code == 422
    public = (await client.get(air.path)).json()
    assert (public["status"], public["pinned_product"]["id"], public["viewers"]) == (
        "live",
        air.listing.product["id"],
        0,
    )
    assert [p["id"] for p in public["products"]] == [air.listing.product["id"]]
    listed = (await client.get("/api/v1/lives", params={"status": "live", "limit": 200})).json()["items"]
    assert air.live["id"] in [item["id"] for item in listed]
    ended = await client.post(f"{air.path}/end", headers=air.host.headers)
    assert ended.json()["status"] == "ended"
    replay = (await client.get(f"/api/v1/videos/{ended.json()['replay_video_id']}")).json()
    assert replay["title"] == "Friday drop (replay)"
    assert [a["product_id"] for a in replay["anchors"]] == [air.listing.product["id"]]
    assert replay["creator"]["id"] == air.profile["id"]
    assert (await client.post(f"{air.path}/end", headers=air.host.headers)).status_code == 409


async def test_a_live_shows_only_products_its_host_may_sell(client: httpx.AsyncClient) -> None:
    air = await on_air(client, start=False)
    uncovered = await list_product(client, (500, 1))
    response = await client.post(
        "/api/v1/lives", json={"title": "x", "product_ids": [uncovered.product["id"]]}, headers=air.host.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "product_ids", 0]
    no_profile = await register(client)
    assert (await client.post("/api/v1/lives", json={"title": "x"}, headers=no_profile.headers)).status_code == 403
    # A shop hosts its own live with its own products.
    shop_live = await client.post(
        "/api/v1/lives",
        json={"title": "Shop live", "shop_id": uncovered.shop["id"], "product_ids": [uncovered.product["id"]]},
        headers=uncovered.seller.headers,
    )
    assert shop_live.status_code == 201, shop_live.text
    assert shop_live.json()["host"] == {"type": "shop", "id": uncovered.shop["id"]}


async def test_flash_sale_bounds_and_stock(client: httpx.AsyncClient, database: Database) -> None:
    air = await on_air(client, stock=20)
    for body, field in (
        ({"countdown_s": 5}, "countdown_s"),
        ({"countdown_s": 301}, "countdown_s"),
        ({"duration_s": 59}, "duration_s"),
        ({"duration_s": 1201}, "duration_s"),
        ({"per_buyer_limit": 11}, "per_buyer_limit"),
    ):
        payload = {
            "variant_id": air.variant,
            "price": 1000,
            "quantity": 10,
            "duration_s": 300,
            "per_buyer_limit": 1,
            **body,
        }
        response = await client.post(f"{air.path}/flash-sales", json=payload, headers=air.host.headers)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["loc"] == ["body", field], body
    too_many = await client.post(
        f"{air.path}/flash-sales",
        json={"variant_id": air.variant, "price": 1000, "quantity": 21, "duration_s": 300},
        headers=air.host.headers,
    )
    assert (too_many.status_code, too_many.json()["code"]) == (409, "out_of_stock")
    sale = await flash_sale(client, air, quantity=5, per_buyer_limit=2, price=900)
    product_id = air.listing.product["id"]
    assert await stock_of(client, product_id, air.variant) == 15  # carved out
    assert (sale["remaining"], sale["price"]) == (5, 900)
    source = {"type": "live", "id": air.live["id"]}
    buyer = await register(client, name="Ana Lima")
    early = await buy(client, buyer, [{"variant_id": air.variant, "quantity": 1, "source": source}])
    assert (early.status_code, early.json()["code"]) == (409, "flash_sale_not_open")
    await open_now(database, sale["id"])
    bought = await buy(client, buyer, [{"variant_id": air.variant, "quantity": 2, "source": source}])
    assert bought.status_code == 201, bought.text
    line = bought.json()["orders"][0]["lines"][0]
    assert (line["unit_price"], line["total"]) == (900, 1800)
    assert line["attribution"]["creator_id"] == air.profile["id"]  # the host earns on a live sale
    assert line["attribution"]["source_type"] == "live"
    limit = await buy(client, buyer, [{"variant_id": air.variant, "quantity": 1, "source": source}])
    assert (limit.status_code, limit.json()["code"]) == (409, "flash_sale_limit")
    regular = await buy(client, buyer, [{"variant_id": air.variant, "quantity": 1}])
    assert regular.json()["orders"][0]["lines"][0]["unit_price"] == 3000  # not through the live: the usual price
    others = [await register(client) for _ in range(4)]
    results = [await buy(client, who, [{"variant_id": air.variant, "quantity": 1, "source": source}]) for who in others]
    assert [r.status_code for r in results] == [201, 201, 201, 409]
    assert results[-1].json()["code"] == "sold_out"
    assert (await client.get(air.path)).json()["flash_sale"] is None  # ended the moment it sold out
    assert await stock_of(client, product_id, air.variant) == 14  # 20 - 5 carved (all sold) - 1 regular


async def test_unsold_units_go_back_when_the_sale_ends(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    air = await on_air(client, stock=30)
    sale = await flash_sale(client, air, quantity=10)
    await open_now(database, sale["id"])
    await buy(
        client,
        await register(client),
        [{"variant_id": air.variant, "quantity": 1, "source": {"type": "live", "id": air.live["id"]}}],
    )
    assert await stock_of(client, air.listing.product["id"], air.variant) == 20
    worker = Worker(database, app.state.settings, app.state.payment_provider, app.state.hub)
    assert await worker.end_flash_sales(now=utcnow() + timedelta(seconds=30)) == 0  # not over yet
    assert await worker.end_flash_sales(now=utcnow() + timedelta(seconds=400)) >= 1
    assert await stock_of(client, air.listing.product["id"], air.variant) == 29  # 30 - 1 sold
    late = await buy(
        client,
        await register(client),
        [{"variant_id": air.variant, "quantity": 1, "source": {"type": "live", "id": air.live["id"]}}],
    )
    assert late.json()["orders"][0]["lines"][0]["unit_price"] == 3000  # the sale is over: the usual price


async def test_many_buyers_never_oversell_nor_pass_their_limit(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    """300 concurrent purchases (150 buyers, twice each) for 50 units, one per buyer (PostgreSQL in CI)."""
    air = await on_air(client, stock=200)
    sale = await flash_sale(client, air, quantity=50, per_buyer_limit=1, price=500)
    await open_now(database, sale["id"])
    buyers = await asyncio.gather(*(register(client) for _ in range(150)))
    item = [{"variant_id": air.variant, "quantity": 1, "source": {"type": "live", "id": air.live["id"]}}]
    responses = await asyncio.gather(*(buy(client, who, item) for who in buyers for _ in range(2)))
    won = [r for r in responses if r.status_code == 201]
    assert len(won) == 50
    assert {r.json()["code"] for r in responses if r.status_code != 201} <= {"sold_out", "flash_sale_limit"}
    winners = [r.json()["orders"][0]["buyer_id"] for r in won]
    assert len(set(winners)) == 50  # no buyer twice
    assert await stock_of(client, air.listing.product["id"], air.variant) == 150
    async with database.session() as session:
        await service.end_due_flash_sales(session, app.state.hub, now=utcnow() + timedelta(hours=1))
    assert await stock_of(client, air.listing.product["id"], air.variant) == 150  # start − 50, nothing to return
    async with database.session(write=False) as session:
        assert await ledger.verify(session) == []


async def test_live_coupons_are_claimed_only_on_air_within_their_caps(client: httpx.AsyncClient) -> None:
    air = await on_air(client, start=False)
    created = await client.post(
        f"{air.path}/coupons",
        json={"code": "LIVE10", "discount_bps": 1000, "total_cap": 3, "per_buyer_cap": 2},
        headers=air.host.headers,
    )
    assert created.status_code == 201, created.text
    fan = await register(client)
    early = await client.post(f"{air.path}/coupons/live10/claim", headers=fan.headers)
    assert (early.status_code, early.json()["code"]) == (409, "live_not_on_air")
    await client.post(f"{air.path}/start", headers=air.host.headers)
    assert (await client.post(f"{air.path}/coupons/LIVE10/claim", headers=fan.headers)).json()["your_claims"] == 1
    assert (await client.post(f"{air.path}/coupons/LIVE10/claim", headers=fan.headers)).json()["your_claims"] == 2
    third = await client.post(f"{air.path}/coupons/LIVE10/claim", headers=fan.headers)
    assert (third.status_code, third.json()["code"]) == (409, "coupon_limit_reached")
    claimants = [await register(client) for _ in range(5)]
    racing = await asyncio.gather(
        *(client.post(f"{air.path}/coupons/LIVE10/claim", headers=c.headers) for c in claimants)
    )
    assert sorted(r.status_code for r in racing) == [200, 409, 409, 409, 409]
    assert (await client.post(f"{air.path}/coupons/NOPE/claim", headers=fan.headers)).status_code == 404


async def test_a_pin_or_flash_sale_in_a_rolled_back_transaction_is_never_broadcast(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    air = await on_air(client)
    hub = app.state.hub
    await hub.join(air.live["id"])
    before = hub.rooms[air.live["id"]].seq
    host = Principal(user_id=air.host.id)

    class Abort(Exception):
        pass

    try:
        async with database.session() as session:
            await service.pin(session, hub, host, air.live["id"], air.listing.product["id"])
            await service.start_flash_sale(
                session, hub, host, air.live["id"], variant_id=air.variant, price=1000, quantity=1,
                duration_s=60, per_buyer_limit=1, countdown_s=10, notice=timedelta(days=30),
            )  # fmt: skip
            raise Abort
    except Abort:
        pass
    await asyncio.sleep(0.05)  # any broadcast task would have run by now
    assert hub.rooms[air.live["id"]].seq == before
    assert (await client.get(air.path)).json()["pinned_product"] is None
    assert await stock_of(client, air.listing.product["id"], air.variant) == 100
    committed = await client.post(
        f"{air.path}/pin", json={"product_id": air.listing.product["id"]}, headers=air.host.headers
    )
    assert committed.status_code == 200
    await asyncio.sleep(0.05)
    assert hub.rooms[air.live["id"]].seq == before + 1


async def test_only_the_host_runs_the_live(client: httpx.AsyncClient) -> None:
    air = await on_air(client)
    stranger = await register(client)
    product = air.listing.product["id"]
    sale = {"variant_id": air.variant, "price": 100, "quantity": 1, "duration_s": 60}
    coupon = {"code": "NOPE10", "discount_bps": 1000, "total_cap": 1}
    for method, path, body in (
        ("POST", "/pin", {"product_id": product}),
        ("DELETE", "/pin", None),
        ("POST", "/flash-sales", sale),
        ("POST", "/coupons", coupon),
        ("POST", "/moderation", {"user_id": air.host.id, "action": "ban"}),
        ("POST", "/end", None),
    ):
        response = await client.request(method, f"{air.path}{path}", json=body, headers=stranger.headers)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden"), path
    # The product's shop may start a flash sale in someone else's live.
    by_shop = await client.post(f"{air.path}/flash-sales", json=sale, headers=air.listing.seller.headers)
    assert by_shop.status_code == 201, by_shop.text
    again = await client.post(f"{air.path}/flash-sales", json={**sale, "price": 1000}, headers=air.host.headers)
    assert (again.status_code, again.json()["code"]) == (409, "flash_sale_running")
    other = await list_product(client, (100, 5))
    foreign = {**sale, "variant_id": other.variant_ids[0]}
    refused = await client.post(f"{air.path}/flash-sales", json=foreign, headers=air.host.headers)
    assert (refused.status_code, refused.json()["errors"][0]["loc"]) == (422, ["body", "variant_id"])
