"""Stock and idempotency under many concurrent requests: nothing oversold, nothing done twice."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.helpers import create_product, create_shop, register


async def test_concurrent_decrements_never_go_below_zero(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    product = await create_product(
        client, owner, shop["id"], options=[], variants=[{"price": 100, "inventory_quantity": 20}]
    )
    variant_id = product["variants"][0]["id"]
    url = f"/api/v1/variants/{variant_id}/inventory"

    responses = await asyncio.gather(
        *(client.post(url, json={"adjust": -1, "reason": f"sale {n}"}, headers=owner.headers) for n in range(60))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 20
    assert statuses.count(409) == 40
    assert all(r.json()["code"] == "insufficient_stock" for r in responses if r.status_code == 409)
    read = await client.get(f"/api/v1/products/{product['id']}")
    assert read.json()["variants"][0]["inventory_quantity"] == 0
    movements = (await client.get(f"{url}/movements", params={"limit": 200}, headers=owner.headers)).json()["items"]
    assert sum(m["delta"] for m in movements) == 0  # +20 at creation, twenty -1s
    assert sorted(m["quantity_after"] for m in movements if m["delta"] == -1) == list(range(20))


async def test_same_idempotency_key_sent_concurrently_imports_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    content = b"Handle,Title,Variant SKU,Variant Price\nonce,Once,ONCE-1,1.00\n"
    headers = dict(owner.headers) | {"Idempotency-Key": "same-key"}

    responses = await asyncio.gather(
        *(
            client.post(f"/api/v1/shops/{shop['id']}/imports", files={"file": ("a.csv", content)}, headers=headers)
            for _ in range(20)
        )
    )
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    await app.state.import_runner.drain()
    listing = (await client.get(f"/api/v1/shops/{shop['id']}/products", headers=owner.headers)).json()
    assert [p["handle"] for p in listing["items"]] == ["once"]


async def test_concurrent_creates_with_one_handle_make_one_product(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    body = {"title": "Racing Mug", "handle": "racing-mug", "variants": [{"sku": "RACE-1", "price": 900}]}
    responses = await asyncio.gather(
        *(client.post(f"/api/v1/shops/{shop['id']}/products", json=body, headers=owner.headers) for _ in range(10))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 409}
    assert all(r.json()["code"] in {"handle_taken", "conflict"} for r in responses if r.status_code == 409)
