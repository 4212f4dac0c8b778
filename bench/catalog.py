"""Catalog read throughput: product reads and searches against one server process, measured with wrk.

Seeds a shop with a generated catalog through the importer, starts `shoppable serve` (one uvicorn worker),
then runs wrk at a fixed concurrency on random product ids and on random search words.
Run: `.venv/bin/python bench/catalog.py [--engines postgresql,sqlite] [--seconds 10] [--connections 32]`.
Needs wrk (Debian package `wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import ROOT, write_section  # noqa: E402
from _server import free_port, wait_until_up  # noqa: E402

WORDS = ["cotton", "organic", "bench", "navy", "black", "olive", "shirts", "piece", "white", "vendor"]
LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


async def seed(url: str, products: int, workdir: Path) -> list[str]:
    sys.path.insert(0, str(ROOT / "bench"))
    import importlib

    from shoppable.catalog import imports, shops
    from shoppable.identity import service as identity
    from shoppable.kit.db import Database

    generate = importlib.import_module("import").generate
    csv_path = workdir / "catalog.csv"
    generate(csv_path, products * 4)
    database = Database(url)
    try:
        async with database.session() as session:
            user = await identity.register_user(
                session, email=f"bench-{time.time_ns()}@example.com", password="bench-password", name="Bench"
            )
            shop = await shops.open_shop(session, owner_id=user.id, name="Bench", currency="USD", slug=None)
            await imports.import_file(session, shop_id=shop.id, path=csv_path, fmt="shopify_csv", actor="bench")
        async with database.session(write=False) as session:
            from sqlalchemy import select

            from shoppable.catalog.models import Product

            return list(await session.scalars(select(Product.id).where(Product.shop_id == shop.id)))
    finally:
        await database.dispose()


def wrk(url: str, paths_file: Path, seconds: int, connections: int, workdir: Path) -> dict[str, float]:
    script = workdir / "paths.lua"
    script.write_text(LUA % {"paths": paths_file})
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rate": rate, "p50": latency("50"), "p99": latency("99"), "errors": int(errors.group(1)) if errors else 0}


def serve_and_measure(
    engine: str,
    env: dict[str, str],
    ids: list[str],
    requests: list[tuple[str, Path]],
    args: argparse.Namespace,
    workdir: Path,
) -> list[str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "shoppable"), "serve", "--port", str(port), "--no-access-log"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "server.log", "a"),  # noqa: SIM115
    )
    rows = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz", server)
        sample = json.loads(urllib.request.urlopen(f"{base}/api/v1/products/{ids[0]}").read())
        assert sample["id"] == ids[0]
        wrk(base, requests[0][1], 6, args.connections, workdir)  # warm-up: every product read at least once
        for label, paths in requests:
            result = wrk(base, paths, args.seconds, args.connections, workdir)
            row = (
                f"| {engine} | {label} | {result['rate']:,.0f} | {result['p50']:.1f} ms | {result['p99']:.1f} ms "
                f"| {result['errors']} |"
            )
            print(row, flush=True)
            rows.append(row)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return rows


def run_engine(engine: str, args: argparse.Namespace, workdir: Path) -> list[str]:
    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'catalog.db'}"
        db_name = None
    else:
        db_name = f"shoppable_bench_catalog_{os.getpid()}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {db_name}"], check=True)
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db_name}"
    env = dict(os.environ, SHOPPABLE_DATABASE_URL=url, SHOPPABLE_VAR_DIR=str(workdir / "var"))
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True)
    ids = asyncio.run(seed(url, args.products, workdir))
    product_paths = workdir / "products.txt"
    product_paths.write_text("\n".join(f"/api/v1/products/{pid}" for pid in ids) + "\n")
    search_paths = workdir / "search.txt"
    search_paths.write_text("\n".join(f"/api/v1/products?q={w}&limit=20" for w in WORDS) + "\n")
    rows: list[str] = []
    try:
        # On PostgreSQL, product reads with the read cache (the default) and without it; SQLite has none.
        for cached in (True, False) if engine == "postgresql" else (False,):
            server_env = env | {"SHOPPABLE_READ_CACHE": "true" if cached else "false"}
            requests = [("product read" + (", cached" if cached else ", uncached"), product_paths)]
            if not cached:
                requests.append(("search", search_paths))
            rows += serve_and_measure(engine, server_env, ids, requests, args, workdir)
    finally:
        if db_name:
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE {db_name} WITH (FORCE)"],
                check=True,
            )
    return rows


def baseline(args: argparse.Namespace, workdir: Path) -> str:
    """Bare FastAPI under uvicorn on the same machine in the same run: the ceiling any route here can reach."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "uvicorn"),
            "_bare_app:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT / "bench",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/api/v1/products/x", server)
        paths = workdir / "bare.txt"
        paths.write_text("/api/v1/products/prod_x\n")
        result = wrk(base, paths, args.seconds, args.connections, workdir)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    row = (
        f"| none | bare FastAPI route, fixed body (ceiling) | {result['rate']:,.0f} | {result['p50']:.1f} ms | "
        f"{result['p99']:.1f} ms | {result['errors']} |"
    )
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--products", type=int, default=2000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="shoppable-bench-catalog-"))
    lines = [
        "## Catalog reads (`bench/catalog.py`)",
        "",
        f"One `shoppable serve` process (one uvicorn worker), {args.products:,} products of 1 to 8 variants; wrk "
        f"with {args.connections} connections for {args.seconds} s per row, 2 wrk threads on the same 2-core "
        "machine. Product read: `GET /api/v1/products/{id}` over every id in turn. Search: "
        "`GET /api/v1/products?q=WORD&limit=20` over ten words. Each server gets a 6 s warm-up of product reads "
        "first; with the read cache on, the measured reads are then hits. Target: product read ≥ 3,000 req/s.",
        "",
        "| engine | request | req/s | p50 | p99 | non-2xx |",
        "|---|---|---|---|---|---|",
    ]
    lines.append(baseline(args, workdir))
    for engine in args.engines.split(","):
        lines += run_engine(engine, args, workdir)
    write_section("catalog", "\n".join(lines))


if __name__ == "__main__":
    main()
