"""The load generator of bench/checkout.py and bench/hot_sku.py: buy-now requests from asyncio clients (httpx).

Runs in its own process (so it does not share the server's event loop; it does share the machine's cores).
Reads a JSON plan from the file named on the command line and prints one JSON result on stdout (its last
line), after the lines START and END that mark the measured part.

Plan: ``base`` (server URL), ``clients`` (concurrent clients, one HTTP connection each), ``warmup`` (seconds of
buy-now on ``warmup_variants`` before anything is measured, results discarded), ``idempotency`` (send an
``Idempotency-Key`` per request), then ``mode``:

- ``sustained``: each client buys one unit of a random variant of ``variants`` in a loop for ``seconds``,
  as the buyer ``tokens[i]``; result: per-status counts and latencies of the requests that started and ended
  inside the measured window, and the generator's own CPU time over it.
- ``race``: the buyers ``race_tokens`` each buy one unit of ``race_variant`` once, ``clients`` at a time;
  result: every request's start, end (seconds from the first start), status and error code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ADDRESS = {"name": "Ana", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}


def body_for(variant_id: str) -> bytes:
    return json.dumps(
        {
            "items": [{"variant_id": variant_id, "quantity": 1}],
            "shipping_address": ADDRESS,
            "payment": {"token": "tok_visa"},
        }
    ).encode()


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


class Buyer:
    """One client: one keep-alive HTTP connection, one buyer's token."""

    def __init__(self, base: str, token: str, idempotency: bool) -> None:
        self.client = httpx.AsyncClient(
            base_url=base,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=60,
        )
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.idempotency = idempotency

    async def buy(self, body: bytes, token: str | None = None) -> tuple[int, str | None]:
        headers = self.headers
        if token is not None:
            headers = headers | {"Authorization": f"Bearer {token}"}
        if self.idempotency:
            headers = headers | {"Idempotency-Key": uuid.uuid4().hex}
        try:
            response = await self.client.post("/api/v1/orders", content=body, headers=headers)
        except httpx.HTTPError as error:
            return 0, type(error).__name__
        if response.status_code == 201:
            return 201, None
        code = None
        with contextlib.suppress(ValueError, AttributeError):
            code = response.json().get("code")
        return response.status_code, code or response.text[:80]

    async def close(self) -> None:
        await self.client.aclose()


async def warm_up(buyers: list[Buyer], bodies: list[bytes], seconds: float) -> None:
    deadline = time.perf_counter() + seconds

    async def loop(buyer: Buyer) -> None:
        while time.perf_counter() < deadline:
            await buyer.buy(random.choice(bodies))

    if seconds > 0:
        await asyncio.gather(*(loop(b) for b in buyers))


async def sustained(plan: dict[str, Any], buyers: list[Buyer]) -> dict[str, Any]:
    bodies = [body_for(v) for v in plan["variants"]]
    seconds = float(plan["seconds"])
    print("START", flush=True)
    cpu_start = time.process_time()
    start = time.perf_counter()
    end = start + seconds
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def loop(buyer: Buyer) -> None:
        while True:
            began = time.perf_counter()
            if began >= end:
                return
            status, code = await buyer.buy(random.choice(bodies))
            done = time.perf_counter()
            if done > end:
                return
            key = str(status) if status == 201 else f"{status} {code}"
            statuses[key] = statuses.get(key, 0) + 1
            if status == 201:
                latencies.append(done - began)

    await asyncio.gather(*(loop(b) for b in buyers))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    print("END", flush=True)
    latencies.sort()
    return {
        "seconds": elapsed,
        "ok": statuses.get("201", 0),
        "statuses": statuses,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "loadgen_cpu": cpu,
        "requests": sum(statuses.values()),
    }


async def race(plan: dict[str, Any], buyers: list[Buyer]) -> dict[str, Any]:
    body = body_for(plan["race_variant"])
    queue = list(reversed(plan["race_tokens"]))
    events: list[tuple[float, float, int, str | None]] = []
    print("START", flush=True)
    cpu_start = time.process_time()
    t0 = time.perf_counter()

    async def loop(buyer: Buyer) -> None:
        while queue:
            token = queue.pop()
            began = time.perf_counter() - t0
            status, code = await buyer.buy(body, token)
            events.append((began, time.perf_counter() - t0, status, code))

    await asyncio.gather(*(loop(b) for b in buyers))
    cpu = time.process_time() - cpu_start
    print("END", flush=True)
    return {"events": events, "loadgen_cpu": cpu, "requests": len(events)}


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    tokens = plan["tokens"]
    buyers = [Buyer(plan["base"], tokens[i % len(tokens)], plan.get("idempotency", False)) for i in range(plan["clients"])]
    try:
        await warm_up(buyers, [body_for(v) for v in plan["warmup_variants"]], float(plan.get("warmup", 0)))
        return await (sustained if plan["mode"] == "sustained" else race)(plan, buyers)
    finally:
        await asyncio.gather(*(b.close() for b in buyers))


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(plan))
    else:
        result = uvloop.run(run(plan))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
