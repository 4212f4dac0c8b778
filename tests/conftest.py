"""Test wiring: a real database (SQLite by default, PostgreSQL with SHOPPABLE_TEST_DATABASE_URL), migrated once.

Tests are isolated by their data: every test registers its own users and opens its own shops.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="shoppable-tests-"))
os.environ.setdefault("SHOPPABLE_TEST_DATABASE_URL", f"sqlite+aiosqlite:///{_TMP / 'test.db'}")
os.environ["SHOPPABLE_DATABASE_URL"] = os.environ["SHOPPABLE_TEST_DATABASE_URL"]
os.environ["SHOPPABLE_VAR_DIR"] = str(_TMP / "var")
os.environ["SHOPPABLE_ARGON2_MEMORY_KIB"] = "1024"
os.environ["SHOPPABLE_ARGON2_TIME_COST"] = "1"
# Every test client comes from one address and the shared app lives for the session: throttles far above what the
# suite does. tests/identity/test_throttling.py and tests/affiliate/test_click_rate.py run apps with the defaults.
os.environ["SHOPPABLE_SIGNIN_FAILURES_PER_ACCOUNT_IP"] = "100000/15 minutes"
os.environ["SHOPPABLE_SIGNIN_FAILURES_PER_IP"] = "100000/15 minutes"
os.environ["SHOPPABLE_SIGNUPS_PER_IP"] = "1000000/hour"
os.environ["SHOPPABLE_CLICKS_PER_IP"] = "1000000/minute"
# Tests drive the worker themselves (with a clock they choose) instead of a background task.
os.environ["SHOPPABLE_WORKER_IN_PROCESS"] = "false"

import httpx  # noqa: E402
import pytest  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from shoppable.app import create_app  # noqa: E402
from shoppable.config import get_settings  # noqa: E402
from shoppable.kit.db import Database  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
DATABASE_URL = os.environ["SHOPPABLE_TEST_DATABASE_URL"]
ON_POSTGRES = DATABASE_URL.startswith("postgresql")


def pytest_report_header() -> str:
    return f"shoppable database: {DATABASE_URL.split('@')[-1]}"


def _migrate() -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = DATABASE_URL
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def migrated() -> None:
    _migrate()


@pytest.fixture(scope="session")
async def database(migrated: None) -> AsyncIterator[Database]:
    db = Database(DATABASE_URL)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
async def app(database: Database) -> AsyncIterator[FastAPI]:
    application = create_app(get_settings(), database=database)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared sample data not found at {SHARED_DATA}")
    return SHARED_DATA
