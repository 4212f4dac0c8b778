"""Hot SKU: many buyers racing for the last units of one variant, on PostgreSQL; and PostgreSQL's own rate for
the bare single-row update that every such order has to queue on.

1. Race: 2,000 buyers (one token each) for 500 units of one variant, one buy-now each, 32 at a time.
   Orders/s is 500 over the time from the first request to the last successful answer; then the books are
   checked: stock 0, exactly 500 paid orders, nothing in unpaid orders, `shoppable ledger verify` exits 0.
2. Sustained: 32 clients buying one unit each of one variant with 1,000,000 units for `--seconds`.
3. pgbench: `UPDATE hot SET q = q - 1 WHERE id = 1 AND q > 0` from 32 clients for `--seconds`, in a scratch
   database, with the server stopped: the ceiling for anything that updates one row per order.
Run: `.venv/bin/python bench/hot_sku.py [--buyers 2000] [--units 500] [--clients 32] [--seconds 10]`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _orders  # noqa: E402
from _loadgen import percentile  # noqa: E402
from _report import write_section  # noqa: E402
from checkout import cpu_cell, errors_cell  # noqa: E402


def pgbench(args: argparse.Namespace, workdir: Path) -> float:
    name = f"shoppable_bench_pgbench_{os.getpid()}"
    _orders.psql(f"DROP DATABASE IF EXISTS {name}")
    _orders.psql(f"CREATE DATABASE {name}")
    try:
        _orders.psql("CREATE TABLE hot (id int PRIMARY KEY, q bigint); INSERT INTO hot VALUES (1, 1000000000)", name)
        script = workdir / "hot.sql"
        script.write_text("UPDATE hot SET q = q - 1 WHERE id = 1 AND q > 0;\n")
        out = subprocess.run(
            ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-c", str(args.clients), "-j", "2"]
            + ["-T", str(args.seconds), "-f", str(script), name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        _orders.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    assert match, out
    return float(match.group(1))


def race_summary(result: dict[str, Any], units: int) -> dict[str, Any]:
    events = result["events"]
    statuses: dict[str, int] = {}
    for _, _, status, code in events:
        key = str(status) if status == 201 else f"{status} {code}"
        statuses[key] = statuses.get(key, 0) + 1
    sold = sorted(end for _, end, status, _ in events if status == 201)
    latencies = sorted(end - began for began, end, status, _ in events if status == 201)
    sold_out_at = sold[-1] if sold else float("nan")
    return {
        "statuses": statuses,
        "ok": len(sold),
        "sold_out_s": sold_out_at,
        "rate": len(sold) / sold_out_at if sold else 0.0,
        "wall_s": max(end for _, end, _, _ in events),
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "out_of_stock": statuses.get("409 out_of_stock", 0),
        "complete": len(sold) == units,
        "cpu": result.get("cpu"),
        "loadgen_cpu": result["loadgen_cpu"],
        "requests": result["requests"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--units", type=int, default=500, help="stock of the raced variant")
    parser.add_argument("--clients", type=int, default=32, help="concurrent requests (race, sustained, pgbench)")
    parser.add_argument("--seconds", type=int, default=10, help="sustained run and pgbench duration")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of buy-now before the sustained run")
    parser.add_argument("--stock", type=int, default=1_000_000, help="stock of the sustained run's variant")
    parser.add_argument(
        "--client",
        choices=["httpx", "raw"],
        default="raw",
        help="load generator's HTTP client (raw: a twentieth of httpx's CPU, which shares the 2 cores)",
    )
    args = parser.parse_args()
    if not shutil.which("pgbench"):
        sys.exit("pgbench is not installed: apt-get install postgresql-contrib (or postgresql-client)")
    workdir = Path(tempfile.mkdtemp(prefix="shoppable-bench-hot-sku-"))
    log = workdir / "server.log"
    print(f"work directory (server log): {workdir}", flush=True)
    with _orders.database("postgresql", "hot_sku", workdir) as url:
        seeded = _orders.seed(url, buyers=args.buyers, stocks=[args.units, args.stock])
        raced, hot = seeded.variants
        env = dict(os.environ, SHOPPABLE_DATABASE_URL=url, SHOPPABLE_VAR_DIR=str(workdir / "var"))
        common = {"clients": args.clients, "tokens": seeded.tokens[: args.clients], "client": args.client}
        with _orders.server(env, log) as served:
            common["base"] = served.base
            sustained = _orders.load(
                common
                | {"mode": "sustained", "variants": [hot], "warmup_variants": [hot], "warmup": args.warmup}
                | {"seconds": args.seconds},
                workdir,
                served.pid,
                _orders.database_name(url),
            )
            # A second of buy-now on the other variant first, so every client has its connection open.
            race = race_summary(
                _orders.load(
                    common
                    | {"mode": "race", "race_variant": raced, "race_tokens": seeded.tokens}
                    | {"warmup_variants": [hot], "warmup": 1},
                    workdir,
                    served.pid,
                    _orders.database_name(url),
                ),
                args.units,
            )
        checked = _orders.stock_check(url, [raced, hot])
        ledger_code, ledger_out = _orders.ledger_verify(url)
    tps = pgbench(args, workdir)

    sustained_rate = sustained["ok"] / sustained["seconds"]
    others = {s: n for s, n in race["statuses"].items() if s not in ("201", "409 out_of_stock")}
    race_row = (
        f"| race: {args.buyers:,} buyers for {args.units:,} units, {args.clients} at a time | {race['rate']:,.0f} "
        f"| {race['rate'] / tps:.2f} | {race['p50_ms']:.1f} ms | {race['p99_ms']:.1f} ms | {race['ok']:,} "
        f"| {race['out_of_stock']:,} | {errors_cell(others)} | {cpu_cell(race)} |"
    )
    sustained_row = (
        f"| sustained: {args.clients} clients on one variant for {args.seconds} s | {sustained_rate:,.0f} "
        f"| {sustained_rate / tps:.2f} | {sustained['p50_ms']:.1f} ms | {sustained['p99_ms']:.1f} ms "
        f"| {sustained['ok']:,} | {sustained['statuses'].get('409 out_of_stock', 0):,} "
        f"| {errors_cell({s: n for s, n in sustained['statuses'].items() if s != '409 out_of_stock'})} "
        f"| {cpu_cell(sustained)} |"
    )
    pgbench_row = (
        f"| pgbench: bare single-row `UPDATE`, {args.clients} clients, {args.seconds} s | {tps:,.0f} | 1.00 "
        "| | | | | | |"
    )
    for line in (race_row, sustained_row, pgbench_row):
        print(line, flush=True)

    limited, many = checked[raced], checked[hot]
    oversold = race["ok"] - args.units if race["ok"] > args.units else 0
    sound = (
        limited["left"] == 0
        and limited["paid_orders"] == args.units
        and limited["other_units"] == 0
        and race["ok"] == args.units
        and args.stock - many["left"] == many["paid_units"] + many["other_units"]
        and ledger_code == 0
    )
    check = (
        f"Checks after the runs: raced variant stock left {limited['left']}, paid orders for it "
        f"{limited['paid_orders']:,} (units {limited['paid_units']:,}), units in unpaid orders "
        f"{limited['other_units']}, 201 answers {race['ok']:,} (oversold: {oversold}); sustained variant: "
        f"{args.stock - many['left']:,} units taken = {many['paid_units']:,} paid + {many['other_units']:,} "
        f"unpaid; `shoppable ledger verify` exit code {ledger_code}. "
        + ("All hold." if sound else "**A CHECK FAILED.**")
    )
    print(check, flush=True)
    if ledger_code != 0:
        print(ledger_out, flush=True)
    if any(s[0] in "05" for s in [*race["statuses"], *sustained["statuses"]]):
        print(f"server errors; log {log}:\n{_orders.server_errors(log)}", flush=True)
    print(
        f"race: sold out after {race['sold_out_s']:.2f} s, all {race['requests']:,} answered after "
        f"{race['wall_s']:.2f} s",
        flush=True,
    )

    lines = [
        "## Hot SKU (`bench/hot_sku.py`)",
        "",
        f"PostgreSQL only; one `shoppable serve` process (one uvicorn worker, the outbox worker in process). "
        f"Race: {args.buyers:,} buyers (a token each) for {args.units:,} units of one variant, one buy-now "
        f"(one unit) each, {args.clients} requests at a time after a 1 s warm-up on another variant; orders/s is "
        f"{args.units:,} over the time from the first request to the last 201 (sold out after "
        f"{race['sold_out_s']:.2f} s; all {args.buyers:,} answered after {race['wall_s']:.2f} s). Sustained: "
        f"{args.clients} clients (one buyer each) buying one unit each of one variant with {args.stock:,} units, "
        f"{args.warmup} s warm-up then {args.seconds} s measured. Load generator: asyncio clients ({args.client}, "
        "one keep-alive connection each) in a separate process on the same 2-core machine; latency is of the "
        "201s; CPU per order as in the checkout section (in the race, the work of every answer, 409s included, "
        "divided by the 201s). pgbench: `UPDATE hot SET q = q - 1 WHERE id = 1 AND "
        f"q > 0` (one row) with `-c {args.clients} -j 2 -T {args.seconds}` in a scratch database, the server "
        "stopped: the rate at which PostgreSQL alone moves one hot row. Reproduce: "
        "`.venv/bin/python bench/hot_sku.py` (options `--buyers`, `--units`, `--clients`, `--seconds`). "
        "Target from the issue: checkout ≥ 1,000 orders/s on PostgreSQL; hot SKU ≥ the single-row pgbench rate.",
        "",
        "| run | orders/s | ÷ pgbench | p50 | p99 | 201 | 409 out_of_stock | other | "
        "CPU ms per order: server · PostgreSQL · load gen |",
        "|---|---|---|---|---|---|---|---|---|",
        race_row,
        sustained_row,
        pgbench_row,
        "",
        check,
    ]
    write_section("hot_sku", "\n".join(lines))


if __name__ == "__main__":
    main()
