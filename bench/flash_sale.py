"""Flash sale: buyers racing into a live's flash sale the moment it opens, on PostgreSQL; then the books.

Migrates a fresh PostgreSQL database; seeds `--buyers` buyers (a bearer token each, straight into the
database as bench/hot_sku.py does) and, through the public API, a live on air showing one product whose
variant has `--units` + `--extra` in stock. Starts `shoppable serve` (one uvicorn worker, the outbox worker in
process); the host announces a flash sale of `--units` units, `per_buyer_limit` 1, opening after a 10 s
countdown (the shortest allowed). The load generator (bench/_flash_loadgen.py, its own process: `--clients`
raw HTTP/1.1 keep-alive clients, an `Idempotency-Key` per request) opens its connections a second before the
opening with one early order each (409 `flash_sale_not_open`), then from `opens_at` every buyer places one buy-now
order of one unit with `"source": {"type": "live", "id": ...}`, `--clients` at a time. Buyers/s is the 201s over
the time from the opening to the last 201; latency is of the 201s. Then the checks: 201s = units sold = paid
orders = the sale's `sold` = its quantity (sold out) and no more (oversold 0); no buyer with two orders or two
units; stock left + units sold = the stock before the sale (none of the `--extra` units sold once the sale
sold out); every paid line at the sale price; `shoppable ledger verify` exits 0.
Run: `.venv/bin/python bench/flash_sale.py [--units 500] [--buyers 2000] [--clients 32]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _orders  # noqa: E402
from _live import ok, on_air  # noqa: E402
from _loadgen import percentile  # noqa: E402
from _report import write_section  # noqa: E402

SALE_PRICE = 999


def load(plan: dict[str, Any], workdir: Path, server_pid: int, database_name: str | None) -> dict[str, Any]:
    """bench/_flash_loadgen.py on ``plan`` in its own process; its result, with the CPU seconds the server and
    the database's backends used between its START and END."""
    path = workdir / "plan.json"
    path.write_text(json.dumps(plan))
    process = subprocess.Popen(
        [sys.executable, str(_orders.BENCH / "_flash_loadgen.py"), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    marks: dict[str, dict[tuple[str, str], float]] = {}
    last = ""
    for line in process.stdout:
        line = line.strip()
        if line in ("START", "END"):
            marks[line] = _orders.cpu_seconds(server_pid, database_name)
        elif line:
            last = line
    stderr = process.stderr.read() if process.stderr else ""
    if process.wait() != 0:
        raise RuntimeError(f"the load generator failed:\n{stderr}")
    result: dict[str, Any] = json.loads(last)
    cpu = {"server": 0.0, "postgresql": 0.0}
    for (which, pid), seconds in marks.get("END", {}).items():
        cpu[which] += seconds - marks.get("START", {}).get((which, pid), 0.0)
    result["cpu"] = cpu
    return result


def summary(result: dict[str, Any]) -> dict[str, Any]:
    events = result["events"]
    statuses: dict[str, int] = {}
    for _, _, status, code in events:
        key = str(status) if status == 201 else f"{status} {code}"
        statuses[key] = statuses.get(key, 0) + 1
    sold = sorted(end for _, end, status, _ in events if status == 201)
    latencies = sorted(end - began for began, end, status, _ in events if status == 201)
    others = sorted(end - began for began, end, status, _ in events if status != 201)
    last_sale = sold[-1] if sold else float("nan")
    return {
        "statuses": statuses,
        "ok": len(sold),
        "sold_out_s": last_sale,
        "rate": len(sold) / last_sale if sold else 0.0,
        "wall_s": max(end for _, end, _, _ in events),
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "refused_p50_ms": percentile(others, 0.5) * 1000,
        "refused_p99_ms": percentile(others, 0.99) * 1000,
    }


def books(url: str, sale_id: str, variant: str) -> dict[str, Any]:
    """The sale, its buyers, orders per buyer and prices, from the database."""
    name = _orders.database_name(url)
    assert name is not None

    def one(sql: str) -> list[str]:
        return _orders.psql(sql, name).strip().split("|")

    quantity, sold, status = one(f"SELECT quantity, sold, status FROM flash_sales WHERE id = '{sale_id}'")
    buyers, most_units = one(
        f"SELECT count(*), coalesce(max(units), 0) FROM flash_sale_buyers WHERE flash_sale_id = '{sale_id}'"
    )
    (twice,) = one(
        "SELECT count(*) FROM (SELECT o.buyer_id FROM orders o JOIN order_lines l ON l.order_id = o.id "
        f"WHERE l.variant_id = '{variant}' GROUP BY o.buyer_id HAVING sum(l.quantity) > 1) AS t"
    )
    (off_price,) = one(
        "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id "
        f"WHERE l.variant_id = '{variant}' AND o.status = 'paid' AND l.unit_price <> {SALE_PRICE}"
    )
    return {
        "quantity": int(quantity),
        "sold": int(sold),
        "status": status,
        "buyers": int(buyers),
        "most_units": int(most_units),
        "twice": int(twice),
        "off_price": int(off_price),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=500, help="units in the flash sale")
    parser.add_argument("--buyers", type=int, default=2000, help="distinct buyers, each buying once")
    parser.add_argument("--clients", type=int, default=32, help="concurrent requests")
    parser.add_argument("--extra", type=int, default=100, help="units of the variant left outside the sale")
    parser.add_argument(
        "--no-idempotency-key", action="store_true", help="send no Idempotency-Key (to see what the key costs)"
    )
    parser.add_argument("--countdown", type=int, default=10, help="seconds from announcing to opening (10 to 300)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="shoppable-bench-flash-sale-"))
    log = workdir / "server.log"
    print(f"work directory (server log): {workdir}", flush=True)
    start_stock = args.units + args.extra
    with _orders.database("postgresql", "flash_sale", workdir) as url:
        seeded = _orders.seed(url, buyers=args.buyers, stocks=[])
        env = dict(os.environ, SHOPPABLE_DATABASE_URL=url, SHOPPABLE_VAR_DIR=str(workdir / "var"))
        env |= _orders.CHEAP_ARGON2
        with _orders.server(env, log) as served:
            live = on_air(served.base, [start_stock])
            variant = live.variants[0]
            sale_body = {
                "variant_id": variant,
                "price": SALE_PRICE,
                "quantity": args.units,
                "duration_s": 600,
                "per_buyer_limit": 1,
                "countdown_s": args.countdown,
            }
            with httpx.Client(base_url=served.base, timeout=30) as client:
                sale = ok(
                    client.post(f"/api/v1/lives/{live.live_id}/flash-sales", json=sale_body, headers=live.host),
                    201,
                    "start the flash sale",
                )
            opens_at = datetime.fromisoformat(sale["opens_at"].replace("Z", "+00:00")).timestamp()
            print(f"flash sale {sale['id']}: {args.units} units, opens at {sale['opens_at']}", flush=True)
            plan = {
                "base": served.base,
                "clients": args.clients,
                "live_id": live.live_id,
                "variant_id": variant,
                "tokens": seeded.tokens,
                "opens_at": opens_at,
                "idempotency": not args.no_idempotency_key,
            }
            result = load(plan, workdir, served.pid, _orders.database_name(url))
        race = summary(result)
        checked = _orders.stock_check(url, [variant])[variant]
        sale_row = books(url, sale["id"], variant)
        ledger_code, ledger_out = _orders.ledger_verify(url)

    sold = race["ok"]
    expected = min(args.units, args.buyers)
    held = sale_row["quantity"] - sale_row["sold"] if sale_row["status"] == "running" else 0
    oversold = max(0, sale_row["sold"] - sale_row["quantity"], checked["paid_units"] - args.units)
    checks = {
        f"201s = {expected:,}": sold == expected,
        "201s = sale's sold = paid orders = paid units": sold
        == sale_row["sold"]
        == checked["paid_orders"]
        == checked["paid_units"],
        "no units in unpaid orders": checked["other_units"] == 0,
        "oversold 0": oversold == 0,
        "no buyer twice": sale_row["twice"] == 0 and sale_row["most_units"] <= 1 and sale_row["buyers"] == sold,
        "stock left + sold (+ held by a running sale) = stock before": checked["left"] + checked["paid_units"] + held
        == start_stock,
        "paid lines at the sale price": sale_row["off_price"] == 0,
        "ledger verify exits 0": ledger_code == 0,
    }
    sound = all(checks.values())
    statuses = ", ".join(f"{status}: {n:,}" for status, n in sorted(race["statuses"].items()))
    cpu = result["cpu"]
    answered = max(result["requests"], 1)
    cpu_cell = (
        f"{cpu['server'] * 1000 / max(sold, 1):.1f} · {cpu['postgresql'] * 1000 / max(sold, 1):.1f} · "
        f"{result['loadgen_cpu'] * 1000 / answered:.2f}"
    )
    table_row = (
        f"| {args.buyers:,} buyers for {args.units:,} units, {args.clients} at a time | {race['rate']:,.0f} "
        f"| {race['p50_ms']:.1f} ms | {race['p99_ms']:.1f} ms | {race['refused_p50_ms']:.1f} ms "
        f"| {race['refused_p99_ms']:.1f} ms | {statuses} | {race['sold_out_s']:.2f} s | {race['wall_s']:.2f} s "
        f"| {cpu_cell} |"
    )
    check_text = (
        f"Checks: {sold:,} answered 201; the sale sold {sale_row['sold']:,} of {sale_row['quantity']:,} "
        f"(status {sale_row['status']}); paid orders {checked['paid_orders']:,} ({checked['paid_units']:,} units), "
        f"units in unpaid orders {checked['other_units']}; oversold {oversold}; buyers with more than one unit "
        f"{sale_row['twice']} (most units by one buyer {sale_row['most_units']}, buyers recorded "
        f"{sale_row['buyers']:,}); stock {start_stock:,} before, {checked['left']:,} left + "
        f"{checked['paid_units']:,} sold + {held} held; paid lines not at the sale price {sale_row['off_price']}; "
        f"`shoppable ledger verify` exit code {ledger_code}. "
        + (
            "All hold."
            if sound
            else "**FAILED: " + ", ".join(name for name, good in checks.items() if not good) + ".**"
        )
    )
    before = ", ".join(f"{status}: {n}" for status, n in sorted(result["before"].items()))
    print(table_row, flush=True)
    print(check_text, flush=True)
    retries = result["retries"]
    print(
        f"before the opening: {before}; retried after it: {retries['flash_sale_not_open']} answered not open, "
        f"{retries['connection']} on a closed connection",
        flush=True,
    )
    if ledger_code != 0:
        print(ledger_out, flush=True)
    if any(status[0] in "05" for status in race["statuses"]):
        print(f"server errors; log {log}:\n{_orders.server_errors(log)}", flush=True)

    lines = [
        "## Flash sale (`bench/flash_sale.py`)",
        "",
        f"PostgreSQL; one `shoppable serve` process (one uvicorn worker, the outbox worker in process). A live's "
        f"flash sale of {args.units:,} units (`per_buyer_limit` 1) of a variant with {start_stock:,} in stock, "
        f"announced with a {args.countdown} s countdown; {args.buyers:,} distinct buyers (a token each) each place "
        f"one buy-now order of one unit from the live (`source` live) from the opening, {args.clients} at a time "
        "(raw HTTP/1.1 keep-alive clients, "
        + ("no `Idempotency-Key`" if args.no_idempotency_key else "an `Idempotency-Key` each")
        + ", in a separate process on the same 2-core "
        f"machine; each client's connection opened a second before the opening by one early order, answered "
        f"{before or 'nothing'}; retried after the opening: {retries['flash_sale_not_open']} answered not open, "
        f"{retries['connection']} on a closed connection). Buyers/s: the 201s over the time from the opening to "
        "the last 201; latency of the 201s and of the refusals; CPU ms per sold unit: server · PostgreSQL "
        "backends · load generator (per request), over the whole race (the refusals' work included). Reproduce: "
        "`.venv/bin/python bench/flash_sale.py` (options `--units`, `--buyers`, `--clients`).",
        "",
        "| run | buyers/s | p50 (201) | p99 (201) | p50 (409) | p99 (409) | answers | last 201 after | all answered "
        "after | CPU ms per unit: server · PostgreSQL · load gen |",
        "|---|---|---|---|---|---|---|---|---|---|",
        table_row,
        "",
        check_text,
    ]
    write_section("flash_sale", "\n".join(lines))
    if not sound:
        sys.exit(1)


if __name__ == "__main__":
    main()
