"""Typed helpers that build test data through the public API."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


async def register(client: httpx.AsyncClient, *, name: str = "Test User", password: str = "correct horse") -> Account:
    email = f"{unique('user')}@example.com"
    created = await client.post("/api/v1/auth/register", json={"email": email, "password": password, "name": name})
    assert created.status_code == 201, created.text
    token = await client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert token.status_code == 200, token.text
    return Account(id=created.json()["id"], email=email, token=token.json()["access_token"])


async def create_shop(
    client: httpx.AsyncClient, owner: Account, *, currency: str = "USD", name: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/shops", json={"name": name or unique("Shop "), "currency": currency}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def product_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": unique("Tee "),
        "description_html": "<p>Soft cotton tee</p>",
        "vendor": "Acme",
        "category": "Shirts",
        "tags": ["cotton", "summer"],
        "options": [{"name": "Size"}],
        "variants": [
            {"sku": unique("SKU-"), "options": {"Size": "S"}, "price": 1999, "inventory_quantity": 5},
            {"sku": unique("SKU-"), "options": {"Size": "M"}, "price": 2499, "compare_at_price": 2999},
        ],
    }
    body.update(overrides)
    return body


async def create_product(client: httpx.AsyncClient, owner: Account, shop_id: str, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/shops/{shop_id}/products", json=product_body(**overrides), headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add_staff(client: httpx.AsyncClient, owner: Account, shop_id: str, staff: Account) -> None:
    response = await client.post(
        f"/api/v1/shops/{shop_id}/members",
        json={"email": staff.email, "role": "staff"},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text


async def run_shoppable(*args: str) -> tuple[int, str]:
    """Run the real `shoppable` command against the test database; its exit code and output."""
    env = dict(os.environ, SHOPPABLE_DATABASE_URL=os.environ["SHOPPABLE_TEST_DATABASE_URL"], COLUMNS="200")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shoppable.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


ADDRESS = {"name": "Ana Buyer", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}


async def buy(
    client: httpx.AsyncClient,
    buyer: Account,
    items: list[dict[str, Any]],
    *,
    token: str = "tok_visa",
    key: str | None = None,
) -> httpx.Response:
    """Buy now through the API (the response is returned as is, whatever its status)."""
    headers = dict(buyer.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(
        "/api/v1/orders",
        json={"items": items, "shipping_address": ADDRESS, "payment": {"token": token}},
        headers=headers,
    )


async def bought(client: httpx.AsyncClient, buyer: Account, variant_id: str, quantity: int = 1) -> dict[str, Any]:
    """One paid order for ``quantity`` units of a variant."""
    response = await buy(client, buyer, [{"variant_id": variant_id, "quantity": quantity}])
    assert response.status_code == 201, response.text
    (order,) = response.json()["orders"]
    return dict(order)


async def stock_of(client: httpx.AsyncClient, product_id: str, variant_id: str) -> int:
    product = (await client.get(f"/api/v1/products/{product_id}")).json()
    return int(next(v for v in product["variants"] if v["id"] == variant_id)["inventory_quantity"])


@dataclass(frozen=True)
class Listing:
    """A seller, their shop, and one product on sale there."""

    seller: Account
    shop: dict[str, Any]
    product: dict[str, Any]

    @property
    def variant_ids(self) -> list[str]:
        return [variant["id"] for variant in self.product["variants"]]


async def list_product(
    client: httpx.AsyncClient, *offers: tuple[int, int], currency: str = "USD", **overrides: Any
) -> Listing:
    """A new seller's shop with one product whose variants sell at these (price, stock)."""
    seller = await register(client)
    shop = await create_shop(client, seller, currency=currency)
    variants = [
        {"sku": unique("SKU-"), "options": {"Size": f"S{i}"}, "price": price, "inventory_quantity": stock}
        for i, (price, stock) in enumerate(offers)
    ]
    product = await create_product(client, seller, shop["id"], variants=variants, **overrides)
    return Listing(seller, shop, product)
