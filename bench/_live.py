"""Shared by bench/live_fanout.py and bench/flash_sale.py: a live on air, seeded through the public API, and a
raised open-files limit (every viewer is a socket, in the server and in the load generator)."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from typing import Any

import httpx


def raise_open_files(wanted: int | None = None) -> int:
    """Raise this process's soft RLIMIT_NOFILE to ``wanted`` (default: the hard limit); the soft limit now.
    Processes started from here inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if wanted is None or hard != resource.RLIM_INFINITY and wanted > hard else wanted
    if target == resource.RLIM_INFINITY:
        target = 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft if soft != resource.RLIM_INFINITY else target
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def ok(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(
            f"{what}: {response.request.method} {response.request.url.path} answered {response.status_code}, "
            f"not {status}: {response.text[:2000]}"
        )
    body: dict[str, Any] = response.json()
    return body


def account(client: httpx.Client, who: str) -> dict[str, str]:
    """Register and sign in a user; their Authorization header."""
    email = f"{who}-{time.time_ns()}@example.com"
    payload = {"email": email, "password": "bench-password", "name": f"Bench {who.title()}"}
    ok(client.post("/api/v1/auth/register", json=payload), 201, f"register the {who}")
    token = ok(
        client.post("/api/v1/auth/token", data={"username": email, "password": "bench-password"}),
        200,
        f"sign the {who} in",
    )
    return {"Authorization": f"Bearer {token['access_token']}"}


@dataclass
class OnAir:
    live_id: str
    host: dict[str, str]  # the host's Authorization header
    products: list[str]
    variants: list[str]  # the first variant of each product


def on_air(base: str, stocks: list[int]) -> OnAir:
    """A seller's shop with one product per entry of ``stocks`` (one variant each) under a shop-wide plan, a
    creator hosting a live that shows them all, started."""
    with httpx.Client(base_url=base, timeout=60) as client:
        seller = account(client, "seller")
        shop = ok(
            client.post("/api/v1/shops", json={"name": "Bench Shop", "currency": "USD"}, headers=seller),
            201,
            "open a shop",
        )
        products, variants = [], []
        for i, stock in enumerate(stocks):
            body = {
                "title": f"Bench Tee {i}",
                "status": "active",
                "options": [],
                "variants": [{"sku": f"BENCH-LIVE-{i}", "price": 1999, "inventory_quantity": stock}],
            }
            product = ok(
                client.post(f"/api/v1/shops/{shop['id']}/products", json=body, headers=seller), 201, "add a product"
            )
            products.append(product["id"])
            variants.append(product["variants"][0]["id"])
        # The host's flash sales (bench/flash_sale.py: US$9.99 for US$19.99) are within what the shop allows.
        plan = {"kind": "shop", "name": "All", "commission_bps": 1000, "host_discount_bps": 6000}
        ok(client.post(f"/api/v1/shops/{shop['id']}/affiliate-plans", json=plan, headers=seller), 201, "open a plan")
        host = account(client, "host")
        profile = {"handle": f"benchhost{time.time_ns() % 10**9}", "display_name": "Bench Host"}
        ok(client.post("/api/v1/creators", json=profile, headers=host), 201, "become a creator")
        live = ok(
            client.post("/api/v1/lives", json={"title": "Bench live", "product_ids": products}, headers=host),
            201,
            "schedule a live",
        )
        ok(client.post(f"/api/v1/lives/{live['id']}/start", headers=host), 200, "go live")
        return OnAir(live_id=live["id"], host=host, products=products, variants=variants)
