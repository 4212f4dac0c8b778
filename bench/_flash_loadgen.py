"""The load generator of bench/flash_sale.py: buyers racing into a flash sale the moment it opens.

Runs in its own process (it shares the machine's cores, not the server's event loop). Reads a JSON plan from
the file named on the command line, prints START when the sale opens and END when every buyer has an answer,
then one JSON result (its last line).

Plan: ``base``, ``clients`` (concurrent clients, one keep-alive connection each: bench/_loadgen.py's raw
HTTP/1.1 client, an ``Idempotency-Key`` per request unless ``idempotency`` is false), ``live_id``,
``variant_id``, ``tokens`` (one per buyer, each buys once), ``opens_at`` (the sale's opening, epoch seconds).
A second before the opening (uvicorn closes connections idle for 5 s) each client sends one order as one of
the buyers, answered 409 ``flash_sale_not_open``: that opens its connection (these answers are reported
apart). From the opening the buyers go ``clients`` at a time; a buyer answered ``flash_sale_not_open`` (a
clock edge) tries again after 20 ms, and one whose connection failed tries once more on a new connection
(both counted). Result: every buyer's first send, answer time (seconds from the opening), status and error
code; the retries; the generator's CPU time.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from _loadgen import ADDRESS, RawBuyer


def order_body(live_id: str, variant_id: str) -> bytes:
    return json.dumps(
        {
            "items": [{"variant_id": variant_id, "quantity": 1, "source": {"type": "live", "id": live_id}}],
            "shipping_address": ADDRESS,
            "payment": {"token": "tok_visa"},
        }
    ).encode()


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    body = order_body(plan["live_id"], plan["variant_id"])
    tokens: list[str] = plan["tokens"]
    keyed = plan.get("idempotency", True)
    buyers = [RawBuyer(plan["base"], tokens[i % len(tokens)], keyed) for i in range(plan["clients"])]
    try:
        # A second before the opening: uvicorn closes a keep-alive connection idle for 5 s.
        await asyncio.sleep(max(0.0, plan["opens_at"] - 1.0 - time.time()))
        early = await asyncio.gather(*(buyer.buy(body) for buyer in buyers))
        before: dict[str, int] = {}
        for status, code in early:
            key = f"{status} {code}"
            before[key] = before.get(key, 0) + 1
        wait = plan["opens_at"] - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        print("START", flush=True)
        cpu_start = time.process_time()
        t0 = time.perf_counter() - max(0.0, time.time() - plan["opens_at"])  # the opening, on perf_counter
        queue = list(reversed(tokens))
        events: list[tuple[float, float, int, str | None]] = []
        retries = {"flash_sale_not_open": 0, "connection": 0}

        async def loop(buyer: RawBuyer) -> None:
            while queue:
                token = queue.pop()
                began = time.perf_counter() - t0
                reconnected = False
                while True:
                    status, code = await buyer.buy(body, token)
                    if status == 409 and code == "flash_sale_not_open":
                        retries["flash_sale_not_open"] += 1
                        await asyncio.sleep(0.02)
                        continue
                    if status == 0 and not reconnected:  # the connection was closed: once more, on a new one
                        retries["connection"] += 1
                        reconnected = True
                        continue
                    break
                events.append((began, time.perf_counter() - t0, status, code))

        await asyncio.gather(*(loop(buyer) for buyer in buyers))
        cpu = time.process_time() - cpu_start
        print("END", flush=True)
        return {"events": events, "before": before, "retries": retries, "loadgen_cpu": cpu, "requests": len(events)}
    finally:
        await asyncio.gather(*(buyer.close() for buyer in buyers))


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
