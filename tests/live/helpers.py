"""Lives for tests: a seller's product under a shop plan, a creator hosting a live that shows it (the plan lets
its hosts run flash sales down to 10 % of the price unless a test says otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update

from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.live.models import FlashSale
from tests.helpers import Account, Listing, become_creator, list_product, open_plan, register


@dataclass
class OnAir:
    listing: Listing
    host: Account
    profile: dict[str, Any]
    live: dict[str, Any]

    @property
    def variant(self) -> str:
        return self.listing.variant_ids[0]

    @property
    def path(self) -> str:
        return f"/api/v1/lives/{self.live['id']}"


async def on_air(
    client: httpx.AsyncClient,
    *,
    price: int = 3000,
    stock: int = 100,
    start: bool = True,
    host_discount_bps: int | None = 9000,
) -> OnAir:
    """``host_discount_bps`` None opens the plan without one (its default: no allowance)."""
    listing = await list_product(client, (price, stock))
    allowance = {} if host_discount_bps is None else {"host_discount_bps": host_discount_bps}
    await open_plan(client, listing.seller, listing.shop["id"], kind="shop", bps=1000, **allowance)
    host = await register(client, name="Host Person")
    profile = await become_creator(client, host)
    created = await client.post(
        "/api/v1/lives",
        json={
            "title": "Friday drop",
            "stream_url": "https://stream.example.com/x.m3u8",
            "product_ids": [listing.product["id"]],
        },
        headers=host.headers,
    )
    assert created.status_code == 201, created.text
    live = created.json()
    if start:
        started = await client.post(f"/api/v1/lives/{live['id']}/start", headers=host.headers)
        assert started.status_code == 200, started.text
        live = started.json()
    return OnAir(listing, host, profile, live)


async def flash_sale(client: httpx.AsyncClient, air: OnAir, **body: Any) -> dict[str, Any]:
    payload = {
        "variant_id": air.variant,
        "price": 1000,
        "quantity": 10,
        "duration_s": 300,
        "per_buyer_limit": 1,
        "countdown_s": 10,
    }
    payload.update(body)
    response = await client.post(f"{air.path}/flash-sales", json=payload, headers=air.host.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def open_now(database: Database, sale_id: str) -> None:
    """Skip the countdown (tests do not wait 10 s): the sale opened a second ago."""
    async with database.session() as session:
        await session.execute(
            update(FlashSale).where(FlashSale.id == sale_id).values(opens_at=utcnow() - timedelta(seconds=1))
        )
