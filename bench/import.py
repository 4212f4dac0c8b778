"""Import throughput: a generated 50,000-row Shopify CSV into a fresh shop, on SQLite and PostgreSQL.

Reports rows/s for the first import (creates) and a re-import (updates), and the peak memory of the
importing process. Run: `.venv/bin/python bench/import.py [--rows 50000] [--engines sqlite,postgresql]`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import ROOT, write_section  # noqa: E402

SIZES = ["XS", "S", "M", "L", "XL"]
COLOURS = ["Black", "White", "Navy", "Olive"]
HEADER = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Type",
    "Tags",
    "Published",
    "Option1 Name",
    "Option1 Value",
    "Option2 Name",
    "Option2 Value",
    "Variant SKU",
    "Variant Grams",
    "Variant Inventory Qty",
    "Variant Price",
    "Variant Compare At Price",
    "Image Src",
    "Image Position",
    "Status",
]


def generate(path: Path, rows: int) -> None:
    """Products of 1 to 8 variants (average 4), every Shopify row shape: first rows and continuation rows."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        written = product = 0
        while written < rows:
            product += 1
            count = min(1 + product % 8, rows - written)
            combos = [(c, s) for c in COLOURS for s in SIZES][:count]
            for index, (colour, size) in enumerate(combos):
                first = index == 0
                writer.writerow(
                    [
                        f"bench-product-{product}",
                        f"Bench Product {product}" if first else "",
                        f"<p>Organic cotton piece number {product}, <b>{colour}</b>.</p>" if first else "",
                        "Bench Vendor" if first else "",
                        "Shirts" if first else "",
                        f"cotton, bench, batch-{product % 50}" if first else "",
                        "true" if first else "",
                        "Colour" if first else "",
                        colour,
                        "Size" if first else "",
                        size,
                        f"BENCH-{product}-{colour[:2]}-{size}",
                        "200",
                        str(product % 40),
                        f"{10 + product % 90}.99",
                        f"{20 + product % 90}.00" if product % 3 == 0 else "",
                        f"https://images.example/{product}.jpg" if first else "",
                        "1" if first else "",
                        "active" if first else "",
                    ]
                )
                written += 1


async def run_import(url: str, path: Path, repeats: int) -> list[dict[str, float]]:
    """``repeats`` times: a fresh shop, the file imported (creates), then again (updates)."""
    from shoppable.catalog import imports, shops
    from shoppable.identity import service as identity
    from shoppable.kit.db import Database

    database = Database(url)
    results = []
    try:
        async with database.session() as session:
            user = await identity.register_user(
                session, email=f"bench-{time.time_ns()}@example.com", password="bench-password", name="Bench"
            )
        for run in range(repeats * 2):
            if run % 2 == 0:
                async with database.session() as session:
                    shop = await shops.open_shop(session, owner_id=user.id, name="Bench", currency="USD", slug=None)
            started = time.perf_counter()
            async with database.session() as session:
                report = await imports.import_file(
                    session, shop_id=shop.id, path=path, fmt="shopify_csv", actor="bench"
                )
            elapsed = time.perf_counter() - started
            results.append(
                {
                    "seconds": elapsed,
                    "rows": report.rows_total,
                    "created": report.created,
                    "updated": report.updated,
                    "skipped": len(report.skipped),
                }
            )
    finally:
        await database.dispose()
    return results


def child(url: str, path: Path) -> None:
    """Runs in a fresh process so its peak RSS is the import's own."""
    results = asyncio.run(run_import(url, path, repeats=3))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"runs": results, "peak_rss_mib": peak_mib}))


def migrate(url: str) -> None:
    env = dict(os.environ, SHOPPABLE_DATABASE_URL=url)
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    workdir = Path(tempfile.mkdtemp(prefix="shoppable-bench-import-"))
    csv_path = workdir / "bench.csv"
    generate(csv_path, args.rows)
    size_mib = csv_path.stat().st_size / 1024 / 1024
    lines = [
        "## Import (`bench/import.py`)",
        "",
        f"A generated Shopify product CSV: {args.rows:,} rows ({size_mib:.1f} MiB), products of 1 to 8 variants, "
        "imported into a fresh shop in one transaction, then imported again (every product updated); three "
        "times each, into a new shop each time. "
        "Peak memory is the importing process's maximum resident set size. Target: ≥ 5,000 rows/s.",
        "",
        "| engine | first import rows/s, median (min–max) | re-import rows/s, median (min–max) | products | peak RSS |",
        "|---|---|---|---|---|",
    ]
    for engine in args.engines.split(","):
        if engine == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        else:
            name = f"shoppable_bench_{os.getpid()}"
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True
            )
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        migrate(url)
        out = subprocess.run(
            [sys.executable, __file__, "--child", url, str(csv_path)], capture_output=True, text=True, check=True
        ).stdout
        data = json.loads(out.strip().splitlines()[-1])
        creates, updates = data["runs"][0::2], data["runs"][1::2]

        def rates(runs: list[dict[str, float]]) -> str:
            values = sorted(r["rows"] / r["seconds"] for r in runs)
            return f"{statistics.median(values):,.0f} ({values[0]:,.0f}–{values[-1]:,.0f})"

        line = (
            f"| {engine} | {rates(creates)} | {rates(updates)} | "
            f"{creates[0]['created']:,} created, {updates[0]['updated']:,} updated, {creates[0]['skipped']} skipped | "
            f"{data['peak_rss_mib']:.0f} MiB |"
        )
        print(line)
        lines.append(line)
        if engine != "sqlite":
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE {name}"], check=True)
    write_section("import", "\n".join(lines))


if __name__ == "__main__":
    main()
