"""Buy-now throughput: `POST /api/v1/orders` from concurrent buyers against one server process.

Seeds one shop with many products (one variant each, stock that never runs out) and one buyer per client,
starts `shoppable serve` (one uvicorn worker), warms it up, then measures buy-now orders/s and latency with
an asyncio load generator (httpx, one connection per client) running in its own process.
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


def errors_cell(result: dict[str, Any]) -> str:
    others = {status: n for status, n in result["statuses"].items() if status != "201"}
    if not others:
        return "0"
    return f"{sum(others.values())} (" + ", ".join(f"{s}: {n}" for s, n in sorted(others.items())) + ")"


def row(engine: str, what: str, result: dict[str, Any]) -> str:
    rate = result["ok"] / result["seconds"]
    return (
        f"| {engine} | {what} | {rate:,.0f} | {result['p50_ms']:.1f} ms | {result['p99_ms']:.1f} ms "
        f"| {errors_cell(result)} |"
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
    }


def ceiling(args: argparse.Namespace, workdir: Path) -> str:
    """The same load generator against FastAPI answering a fixed 201, no database: the most this setup can show."""
    with _orders.server(dict(os.environ), workdir / "bare.log", app="_bare_checkout:app") as base:
        result = _orders.load(plan(base, ["x"], ["var_x"], args), workdir)
    line = row("none", "bare FastAPI POST route, fixed body (ceiling)", result)
    print(line, flush=True)
    return line


def run_engine(engine: str, args: argparse.Namespace, workdir: Path) -> list[str]:
    log = workdir / f"server-{engine}.log"
    with _orders.database(engine, "checkout", workdir) as url:
        seeded = _orders.seed(url, buyers=args.clients, stocks=[args.stock] * args.products)
        env = dict(os.environ, SHOPPABLE_DATABASE_URL=url, SHOPPABLE_VAR_DIR=str(workdir / "var"))
        with _orders.server(env, log) as base:
            result = _orders.load(plan(base, seeded.tokens, seeded.variants, args), workdir)
        line = row(engine, f"buy now, 1 of {args.products:,} variants at random", result)
        print(line, flush=True)
        checked = _orders.stock_check(url, seeded.variants)
        sold = sum(args.stock - c["left"] for c in checked.values())
        paid = sum(c["paid_units"] for c in checked.values())
        unpaid = sum(c["other_units"] for c in checked.values())
        print(f"  {engine}: stock taken {sold:,}, paid units {paid:,}, units in unpaid orders {unpaid:,}", flush=True)
        if sold != paid + unpaid:
            print(f"  {engine}: STOCK MISMATCH: {sold - paid - unpaid:+,} units", flush=True)
        if any(status.startswith("5") or status.startswith("0") for status in result["statuses"]):
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
    parser.add_argument("--idempotency-key", action="store_true", help="send an Idempotency-Key with each order")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the bare-FastAPI ceiling row")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="shoppable-bench-checkout-"))
    print(f"work directory (server logs): {workdir}", flush=True)
    lines = [
        "## Checkout (`bench/checkout.py`)",
        "",
        f"Buy now (`POST /api/v1/orders`, one unit of one variant, test card `tok_visa`"
        f"{', an Idempotency-Key each' if args.idempotency_key else ', no Idempotency-Key'}) against one "
        f"`shoppable serve` process (one uvicorn worker, the outbox worker in process). {args.products} products "
        f"of one variant with {args.stock:,} units each (stock never runs out), each order for one of them at "
        f"random; {args.clients} buyers, one per client. Load generator: {args.clients} asyncio clients (httpx, "
        f"one keep-alive connection each) in a separate process on the same 2-core machine, {args.warmup} s of "
        f"warm-up, then {args.seconds} s measured. Orders/s counts 201 answers only; latency is of the 201s; any "
        "other answer is an error. The ceiling row is the same load generator against a bare FastAPI route "
        "that answers a fixed 201. Reproduce: `.venv/bin/python bench/checkout.py` (options `--engines`, "
        "`--seconds`, `--clients`). Target from the issue: checkout ≥ 1,000 orders/s on PostgreSQL; hot SKU ≥ "
        "the single-row pgbench rate (see below).",
        "",
        "| engine | request | orders/s | p50 | p99 | errors |",
        "|---|---|---|---|---|---|",
    ]
    if not args.no_ceiling:
        lines.append(ceiling(args, workdir))
    for engine in args.engines.split(","):
        lines += run_engine(engine, args, workdir)
    write_section("checkout", "\n".join(lines))


if __name__ == "__main__":
    main()
