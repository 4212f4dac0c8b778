"""The load generator of bench/checkout.py and bench/hot_sku.py: buy-now requests from asyncio clients (httpx).

Runs in its own process (so it does not share the server's event loop; it does share the machine's cores).
Reads a JSON plan from the file named on the command line and prints one JSON result on stdout (its last
line), after the lines START and END that mark the measured part.

Plan: ``base`` (server URL), ``clients`` (concurrent clients, one HTTP connection each), ``warmup`` (seconds of
buy-now on ``warmup_variants`` before anything is measured, results discarded), ``idempotency`` (send an
``Idempotency-Key`` per request), ``client`` (``httpx``, the default, or ``raw``: a minimal HTTP/1.1 client
for a cheaper load generator), then ``mode``:

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


class RawBuyer:
    """The same over a hand-rolled HTTP/1.1 keep-alive connection (asyncio streams, bytes built once): several
    times cheaper than httpx per request, for when the load generator's own CPU would limit the figure."""

    def __init__(self, base: str, token: str, idempotency: bool) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.token = token
        self.idempotency = idempotency
        self.stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def request(self, body: bytes, token: str) -> bytes:
        key = f"Idempotency-Key: {uuid.uuid4().hex}\r\n" if self.idempotency else ""
        head = (
            f"POST /api/v1/orders HTTP/1.1\r\nHost: {self.address[0]}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\n{key}Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def buy(self, body: bytes, token: str | None = None) -> tuple[int, str | None]:
        try:
            if self.stream is None:
                self.stream = await asyncio.open_connection(*self.address)
            reader, writer = self.stream
            writer.write(self.request(body, token or self.token))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"transfer-encoding":
                    raise RuntimeError("chunked responses are not supported by the raw client")
            answer = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            await self.close()
            return 0, type(error).__name__
        if status == 201:
            return 201, None
        code = None
        with contextlib.suppress(ValueError, AttributeError):
            code = json.loads(answer).get("code")
        return status, code or answer[:80].decode(errors="replace")

    async def close(self) -> None:
        if self.stream is not None:
            self.stream[1].close()
            self.stream = None


async def warm_up(buyers: list[Any], bodies: list[bytes], seconds: float) -> None:
    deadline = time.perf_counter() + seconds

    async def loop(buyer: Any) -> None:
        while time.perf_counter() < deadline:
            await buyer.buy(random.choice(bodies))

    if seconds > 0:
        await asyncio.gather(*(loop(b) for b in buyers))


async def sustained(plan: dict[str, Any], buyers: list[Any]) -> dict[str, Any]:
    bodies = [body_for(v) for v in plan["variants"]]
    seconds = float(plan["seconds"])
    print("START", flush=True)
    cpu_start = time.process_time()
    start = time.perf_counter()
    end = start + seconds
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def loop(buyer: Any) -> None:
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


async def race(plan: dict[str, Any], buyers: list[Any]) -> dict[str, Any]:
    body = body_for(plan["race_variant"])
    queue = list(reversed(plan["race_tokens"]))
    events: list[tuple[float, float, int, str | None]] = []
    print("START", flush=True)
    cpu_start = time.process_time()
    t0 = time.perf_counter()

    async def loop(buyer: Any) -> None:
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
    kind = RawBuyer if plan.get("client") == "raw" else Buyer
    buyers = [
        kind(plan["base"], tokens[i % len(tokens)], plan.get("idempotency", False)) for i in range(plan["clients"])
    ]
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
