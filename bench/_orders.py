"""Shared by bench/checkout.py and bench/hot_sku.py: databases, seeding buyers and stock, the server, the load."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _report import ROOT
from _server import free_port, wait_until_up

BENCH = ROOT / "bench"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt"]
# Seeding buyers hashes a password once; cheap Argon2 settings make that instant (the server is unaffected:
# the benchmark never signs in through it).
CHEAP_ARGON2 = {"SHOPPABLE_ARGON2_MEMORY_KIB": "1024", "SHOPPABLE_ARGON2_TIME_COST": "1"}


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run([*PSQL, "-d", database, "-c", sql], capture_output=True, text=True, check=True).stdout


@contextlib.contextmanager
def database(engine: str, label: str, workdir: Path) -> Iterator[str]:
    """A fresh, migrated database (PostgreSQL: created and dropped; SQLite: a file in ``workdir``); its URL."""
    name = None
    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / f'{label}.db'}"
    else:
        name = f"shoppable_bench_{label}_{os.getpid()}"
        psql(f"DROP DATABASE IF EXISTS {name}")
        psql(f"CREATE DATABASE {name}")
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        env = dict(os.environ, SHOPPABLE_DATABASE_URL=url)
        subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True)
        yield url
    finally:
        if name:
            psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def database_name(url: str) -> str | None:
    """The PostgreSQL database a URL names (None for SQLite)."""
    return None if url.startswith("sqlite") else url.rsplit("/", 1)[1]


@dataclass
class Seeded:
    tokens: list[str]  # one bearer token per buyer
    variants: list[str]  # one variant per product, in the order asked


async def _seed(url: str, buyers: int, stocks: list[int]) -> Seeded:
    from sqlalchemy import insert

    from shoppable.catalog import service as catalog
    from shoppable.catalog import shops
    from shoppable.catalog.schemas import ProductCreate
    from shoppable.identity import passwords, tokens
    from shoppable.identity import service as identity
    from shoppable.identity.models import AccessToken, User
    from shoppable.identity.rules import Principal
    from shoppable.kit.clock import utcnow
    from shoppable.kit.db import Database
    from shoppable.kit.ids import new_id

    nonce = time.time_ns()
    db = Database(url)
    try:
        async with db.session() as session:
            owner = await identity.register_user(
                session, email=f"seller-{nonce}@example.com", password="bench-password", name="Bench Seller"
            )
            shop = await shops.open_shop(session, owner_id=owner.id, name="Bench Shop", currency="USD", slug=None)
            variants = []
            for i, stock in enumerate(stocks):
                body = ProductCreate.model_validate(
                    {
                        "title": f"Bench Item {i}",
                        "variants": [{"sku": f"BENCH-{i}", "price": 1999, "inventory_quantity": stock}],
                    }
                )
                product = await catalog.create_product(session, Principal(user_id=owner.id), shop.id, body)
                variants.append(product["variants"][0]["id"])
        # Buyers in bulk: one password hash shared by all, a bearer token each (stored as its SHA-256).
        password_hash = await passwords.hash_password("bench-password")
        now = utcnow()
        users, access, secrets = [], [], []
        for i in range(buyers):
            user_id = new_id("usr")
            secret = tokens.new_secret(tokens.USER_TOKEN_PREFIX)
            users.append(
                {
                    "id": user_id,
                    "email": f"buyer-{i}-{nonce}@example.com",
                    "name": f"Buyer {i}",
                    "password_hash": password_hash,
                    "is_active": True,
                    "created_at": now,
                }
            )
            access.append(
                {
                    "id": new_id("tok"),
                    "user_id": user_id,
                    "token_hash": tokens.digest(secret),
                    "created_at": now,
                    "expires_at": now.replace(year=now.year + 1),
                    "revoked_at": None,
                }
            )
            secrets.append(secret)
        async with db.session() as session:
            for start in range(0, buyers, 500):
                await session.execute(insert(User), users[start : start + 500])
                await session.execute(insert(AccessToken), access[start : start + 500])
        return Seeded(tokens=secrets, variants=variants)
    finally:
        await db.dispose()


def seed(url: str, *, buyers: int, stocks: list[int]) -> Seeded:
    """``buyers`` users with a token each and one shop with a product of one variant per entry of ``stocks``."""
    os.environ.update(CHEAP_ARGON2)
    from shoppable.config import get_settings

    get_settings.cache_clear()
    return asyncio.run(_seed(url, buyers, stocks))


@dataclass
class Served:
    base: str  # the server's URL
    pid: int


@contextlib.contextmanager
def server(env: dict[str, str], log: Path, app: str | None = None, workers: int = 1) -> Iterator[Served]:
    """`shoppable serve` (``workers`` uvicorn workers), or uvicorn serving ``app`` from bench/."""
    port = free_port()
    if app is None:
        command = [str(Path(sys.executable).parent / "shoppable"), "serve", "--port", str(port), "--no-access-log"]
        command += ["--workers", str(workers)]
        cwd, probe = ROOT, "/healthz"
    else:
        command = [str(Path(sys.executable).parent / "uvicorn"), app, "--port", str(port), "--no-access-log"]
        command += ["--log-level", "warning"]
        cwd, probe = BENCH, "/docs"
    with log.open("a") as log_file:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log_file)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + probe, process)
            yield Served(base, process.pid)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _cpu_seconds(pid: str) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(server_pid: int, database_name: str | None) -> dict[tuple[str, str], float]:
    """CPU seconds used so far, per process: the server (and its worker processes, if any), and the
    PostgreSQL backends connected to ``database_name``; keyed by (which, pid)."""
    used = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if int(entry.name) == server_pid or parent == server_pid:
                used["server", entry.name] = _cpu_seconds(entry.name)
            elif (
                database_name
                and stat.split(" (", 1)[1].startswith("postgres")
                and f" {database_name} " in (entry / "cmdline").read_text().replace("\0", " ")
            ):
                used["postgresql", entry.name] = _cpu_seconds(entry.name)
        except (OSError, ValueError, IndexError):
            continue
    return used


def load(
    plan: dict[str, Any], workdir: Path, server_pid: int | None = None, database_name: str | None = None
) -> dict[str, Any]:
    """Run bench/_loadgen.py in its own process on ``plan``; its JSON result. With ``server_pid``, the result
    also has ``cpu``: CPU seconds of the server and of the database's backends over the measured part."""
    path = workdir / "plan.json"
    path.write_text(json.dumps(plan))
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "_loadgen.py"), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    marks: dict[str, dict[tuple[str, str], float]] = {}
    last = ""
    for line in process.stdout:
        line = line.strip()
        if line in ("START", "END") and server_pid is not None:
            marks[line] = cpu_seconds(server_pid, database_name)
        elif line:
            last = line
    stderr = process.stderr.read() if process.stderr else ""
    if process.wait() != 0:
        raise RuntimeError(f"the load generator failed:\n{stderr}")
    result: dict[str, Any] = json.loads(last)
    if "START" in marks and "END" in marks:
        cpu = {"server": 0.0, "postgresql": 0.0}
        for (which, pid), seconds in marks["END"].items():
            cpu[which] += seconds - marks["START"].get((which, pid), 0.0)
        result["cpu"] = cpu
    return result


def server_errors(log: Path) -> str:
    """The last traceback in the server log, if any (to show beside 5xx answers)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    at = text.rfind("Traceback (most recent call last)")
    return text[at:][-4000:] if at >= 0 else ""


def ledger_verify(url: str) -> tuple[int, str]:
    env = dict(os.environ, SHOPPABLE_DATABASE_URL=url)
    out = subprocess.run(
        [str(Path(sys.executable).parent / "shoppable"), "ledger", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.returncode, (out.stdout + out.stderr).strip()


def stock_check(url: str, variants: list[str]) -> dict[str, dict[str, int]]:
    """Per variant: stock left, paid units (order lines of paid orders), units in unpaid orders."""

    async def query() -> dict[str, dict[str, int]]:
        from sqlalchemy import text

        from shoppable.kit.db import Database

        db = Database(url)
        try:
            async with db.session(write=False) as session:
                result = {}
                for variant in variants:
                    left = await session.scalar(
                        text("SELECT inventory_quantity FROM variants WHERE id = :v"), {"v": variant}
                    )
                    rows = await session.execute(
                        text(
                            "SELECT o.status, count(*), coalesce(sum(l.quantity), 0) FROM order_lines l "
                            "JOIN orders o ON o.id = l.order_id WHERE l.variant_id = :v GROUP BY o.status"
                        ),
                        {"v": variant},
                    )
                    by_status = {row[0]: (int(row[1]), int(row[2])) for row in rows}
                    paid_lines, paid_units = by_status.pop("paid", (0, 0))
                    result[variant] = {
                        "left": int(left),
                        "paid_orders": paid_lines,
                        "paid_units": paid_units,
                        "other_units": sum(units for _, units in by_status.values()),
                    }
                return result
        finally:
            await db.dispose()

    return asyncio.run(query())
