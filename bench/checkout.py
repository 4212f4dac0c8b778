"""Buy-now throughput: `POST /api/v1/orders` from concurrent buyers against one server process.

Seeds one shop with many products (one variant each, stock that never runs out) and one buyer per client,
starts `shoppable serve` (one uvicorn worker), warms it up, then measures buy-now orders/s and latency with
an asyncio load generator (httpx, one connection per client) running in its own process. Also reports the
CPU time each order costs the server, the PostgreSQL backends and the load generator.
Run: `.venv/bin/python bench/checkout.py [--engines postgresql,sqlite] [--seconds 10] [--clients 32]`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _orders  # noqa: E402
from _report import write_section  # noqa: E402


def errors_cell(statuses: dict[str, int]) -> str:
    others = {status: n for status, n in statuses.items() if status != "201"}
    if not others:
        return "0"
    return f"{sum(others.values())} (" + ", ".join(f"{s}: {n}" for s, n in sorted(others.items())) + ")"


def cpu_cell(result: dict[str, Any]) -> str:
    """CPU milliseconds per order: server · PostgreSQL backends · load generator (per request)."""
    orders = max(result["ok"], 1)
    cpu = result.get("cpu")
    server = f"{cpu['server'] * 1000 / orders:.1f}" if cpu else "–"
    database = f"{cpu['postgresql'] * 1000 / orders:.1f}" if cpu and cpu["postgresql"] else "–"
    loadgen = f"{result['loadgen_cpu'] * 1000 / max(result['requests'], 1):.2f}"
    return f"{server} · {database} · {loadgen}"


def row(engine: str, what: str, result: dict[str, Any]) -> str:
    rate = result["ok"] / result["seconds"]
    return (
        f"| {engine} | {what} | {rate:,.0f} | {result['p50_ms']:.1f} ms | {result['p99_ms']:.1f} ms "
        f"| {errors_cell(result['statuses'])} | {cpu_cell(result)} |"
    )


def plan(base: str, tokens: list[str], variants: list[str], args: argparse.Namespace) -> dict[str, Any]:
    return {
        "base": base,
        "mode": "sustained",
        "clients": args.clients,
        "tokens": tokens,
        "variants": variants,
        "warmup_variants": variants,
        "warmup": args.warmup,
        "seconds": args.seconds,
        "idempotency": args.idempotency_key,
        "client": args.client,
    }


def ceiling(args: argparse.Namespace, workdir: Path) -> list[str]:
    """Each load generator client against FastAPI answering a fixed 201, no database: the most it can show."""
    lines = []
    for client in ("httpx", "raw"):
        with _orders.server(dict(os.environ), workdir / "bare.log", app="_bare_checkout:app") as served:
            bare = argparse.Namespace(**(vars(args) | {"client": client}))
            result = _orders.load(plan(served.base, ["x"], ["var_x"], bare), workdir, served.pid)
        lines.append(row("none", f"bare FastAPI POST route, fixed 201 body (ceiling), {client} client", result))
        print(lines[-1], flush=True)
    return lines


def run_engine(engine: str, args: argparse.Namespace, workdir: Path) -> list[str]:
    log = workdir / f"server-{engine}.log"
    with _orders.database(engine, "checkout", workdir) as url:
        seeded = _orders.seed(url, buyers=args.clients, stocks=[args.stock] * args.products)
        env = dict(os.environ, SHOPPABLE_DATABASE_URL=url, SHOPPABLE_VAR_DIR=str(workdir / "var"))
        with _orders.server(env, log, workers=args.workers) as served:
            result = _orders.load(
                plan(served.base, seeded.tokens, seeded.variants, args),
                workdir,
                served.pid,
                _orders.database_name(url),
            )
        line = row(engine, f"buy now, 1 unit of 1 of {args.products:,} variants, {args.client} client", result)
        print(line, flush=True)
        checked = _orders.stock_check(url, seeded.variants)
        taken = sum(args.stock - c["left"] for c in checked.values())
        paid = sum(c["paid_units"] for c in checked.values())
        unpaid = sum(c["other_units"] for c in checked.values())
        print(f"  {engine}: stock taken {taken:,} = paid units {paid:,} + units in unpaid orders {unpaid:,}")
        if taken != paid + unpaid:
            print(f"  {engine}: STOCK MISMATCH: {taken - paid - unpaid:+,} units", flush=True)
        if any(status[0] in "05" for status in result["statuses"]):
            print(f"  {engine}: server errors; log {log}:\n{_orders.server_errors(log)}", flush=True)
    return [line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3, help="seconds of buy-now before measuring")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--stock", type=int, default=1_000_000, help="units of each variant (never runs out)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the server")
    parser.add_argument(
        "--client",
        choices=["httpx", "raw"],
        default="raw",
        help="load generator's HTTP client (raw: a twentieth of httpx's CPU, which shares the 2 cores)",
    )
    parser.add_argument("--idempotency-key", action="store_true", help="send an Idempotency-Key with each order")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the bare-FastAPI ceiling row")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="shoppable-bench-checkout-"))
    print(f"work directory (server logs): {workdir}", flush=True)
    workers = "one uvicorn worker" if args.workers == 1 else f"{args.workers} uvicorn workers"
    lines = [
        "## Checkout (`bench/checkout.py`)",
        "",
        "Buy now (`POST /api/v1/orders`: one unit of one variant, test card `tok_visa`, "
        f"{'an Idempotency-Key each' if args.idempotency_key else 'no Idempotency-Key'}) against one "
        f"`shoppable serve` process ({workers}, the outbox worker in process, as by default). {args.products} "
        f"products of one variant with {args.stock:,} units each (stock never runs out), each order for one of "
        f"them at random; {args.clients} buyers, one per client. Load generator: {args.clients} asyncio clients "
        "(httpx, or `raw`: a minimal HTTP/1.1 client about 20 times cheaper per request; one keep-alive "
        f"connection each) in a separate process on the same 2-core machine; {args.warmup} s of warm-up, then "
        f"{args.seconds} s measured. Orders/s counts 201 answers only; latency is of the 201s; any other answer "
        "is an error. CPU per order is the CPU time over the measured seconds of the server process, of the "
        "PostgreSQL backends of the bench database and of the load generator, divided by the orders (the load "
        "generator's by its requests). The ceiling rows are the load generator against a bare FastAPI route "
        "answering a fixed 201, once with each client. Reproduce: `.venv/bin/python bench/checkout.py` (options "
        "`--engines`, `--seconds`, `--clients`, `--client`, `--workers`). Targets from the issue: checkout "
        "≥ 1,000 orders/s on PostgreSQL; hot SKU ≥ the single-row pgbench rate (`bench/hot_sku.py`).",
        "",
        "| engine | request | orders/s | p50 | p99 | errors | CPU ms per order: server · PostgreSQL · load gen |",
        "|---|---|---|---|---|---|---|",
    ]
    if not args.no_ceiling:
        lines += ceiling(args, workdir)
    for engine in args.engines.split(","):
        lines += run_engine(engine, args, workdir)
    write_section("checkout", "\n".join(lines))


if __name__ == "__main__":
    main()
