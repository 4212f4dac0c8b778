"""Typed helpers that build test data through the public API."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
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


async def invite(
    client: httpx.AsyncClient, owner: Account, shop_id: str, email: str, role: str = "staff"
) -> dict[str, Any]:
    """The owner's invitation of ``email`` to the shop (pending until that person accepts)."""
    response = await client.post(
        f"/api/v1/shops/{shop_id}/members", json={"email": email, "role": role}, headers=owner.headers
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


async def add_staff(
    client: httpx.AsyncClient, owner: Account, shop_id: str, staff: Account, role: str = "staff"
) -> None:
    """``staff`` works for the shop: the owner invites them and they accept."""
    invitation = await invite(client, owner, shop_id, staff.email, role)
    accepted = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=staff.headers)
    assert accepted.status_code == 200, accepted.text


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
    cookie: str | None = None,
) -> httpx.Response:
    """Buy now through the API (the response is returned as is, whatever its status); ``cookie`` is the
    shopper's attribution cookie value."""
    headers = dict(buyer.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    if cookie is not None:
        headers["Cookie"] = f"shoppable_attr={cookie}"
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


BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


async def become_creator(client: httpx.AsyncClient, account: Account, handle: str | None = None) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/creators",
        json={"handle": handle or unique("c"), "display_name": "Creator"},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def open_plan(
    client: httpx.AsyncClient, seller: Account, shop_id: str, *, kind: str = "shop", bps: int = 1000, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/shops/{shop_id}/affiliate-plans",
        json={"kind": kind, "name": unique("Plan "), "commission_bps": bps, **body},
        headers=seller.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def link_for(client: httpx.AsyncClient, creator: Account, product_id: str) -> dict[str, Any]:
    response = await client.post("/api/v1/affiliate/links", json={"product_id": product_id}, headers=creator.headers)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def click(
    client: httpx.AsyncClient, code: str, *, cookie: str | None = None, agent: str = BROWSER
) -> httpx.Response:
    """A shopper's click on a link (the client's cookie jar is left empty: tests pass cookies explicitly)."""
    headers = {"User-Agent": agent}
    if cookie is not None:
        headers["Cookie"] = f"shoppable_attr={cookie}"
    response = await client.get(f"/l/{code}", headers=headers)
    client.cookies.clear()
    return response


def attribution_cookie(response: httpx.Response) -> str:
    """The value of the attribution cookie a redirect set."""
    header = response.headers["set-cookie"]
    assert header.startswith("shoppable_attr="), header
    return header.split(";", 1)[0].split("=", 1)[1]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


REDIS_URL = os.environ.get("SHOPPABLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def skip_unless_redis() -> None:
    """Skips the calling test unless Redis answers at ``REDIS_URL`` (.ci/run starts it)."""
    import pytest
    import redis.asyncio as redis

    connection = redis.from_url(REDIS_URL)
    try:
        await connection.ping()
    except OSError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (.ci/run starts it)")
    finally:
        await connection.aclose()


SERVERS: dict[str, asyncio.subprocess.Process] = {}
"""The process behind each base URL that ``serving`` yields (to measure it, or to kill it)."""


@asynccontextmanager
async def serving(*, log_to: Path | None = None, **env: str) -> AsyncIterator[str]:
    """`uvicorn shoppable.app:create_app` in its own process on the test database (``env``: extra settings);
    its base URL once it answers. ``log_to``: a file that gets its whole log, access log included."""
    port = free_port()
    environment = dict(
        os.environ,
        SHOPPABLE_DATABASE_URL=os.environ["SHOPPABLE_TEST_DATABASE_URL"],
        SHOPPABLE_WORKER_IN_PROCESS="false",
    )
    environment.pop("SHOPPABLE_REDIS_URL", None)
    environment.update(env)
    log = log_to.open("ab") if log_to is not None else None
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "shoppable.app:create_app", "--factory", "--port", str(port),
        "--log-level", "info" if log else "warning", env=environment, stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    SERVERS[base] = process
    try:
        async with httpx.AsyncClient() as http:
            # Polls for readiness (a loaded 2-core CI machine may take many seconds to import and migrate).
            for _ in range(1200):
                if process.returncode is not None:
                    raise RuntimeError(f"the server exited with {process.returncode}")
                try:
                    if (await http.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise RuntimeError("the server did not start within a minute")
        yield base
    finally:
        SERVERS.pop(base, None)
        process.terminate()
        await process.wait()
        if log is not None:
            log.close()
