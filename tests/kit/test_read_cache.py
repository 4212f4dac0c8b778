"""The read cache: never serves what it could not invalidate (unit rules, then PostgreSQL end to end)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import text

from shoppable.kit.db import Database
from shoppable.kit.read_cache import ReadCache
from tests.conftest import ON_POSTGRES
from tests.helpers import Account, create_product, create_shop, register


def test_a_value_read_before_an_invalidation_is_not_stored() -> None:
    cache = ReadCache()
    cache.enable()
    generation = cache.generation
    cache.invalidate(["other"])  # something changed while our read was in flight
    cache.put("p1", b"old", generation)
    assert cache.get("p1") is None
    cache.put("p1", b"new", cache.generation)
    assert cache.get("p1") == b"new"
    cache.invalidate(["p1"])
    assert cache.get("p1") is None


def test_a_disabled_cache_serves_and_keeps_nothing() -> None:
    cache = ReadCache()
    cache.put("p1", b"x", cache.generation)
    assert cache.get("p1") is None
    cache.enable()
    cache.put("p1", b"x", cache.generation)
    cache.disable()
    assert cache.get("p1") is None
    assert len(cache) == 0


def test_oldest_entries_go_first() -> None:
    cache = ReadCache(max_entries=2)
    cache.enable()
    for key in ("a", "b", "c"):
        cache.put(key, key.encode(), cache.generation)
    assert [cache.get(k) for k in ("a", "b", "c")] == [None, b"b", b"c"]


async def _eventually(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for an asynchronous notification to be processed (bounded; asserts nothing about speed)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)


async def _read_into_cache(client: httpx.AsyncClient, cache: ReadCache, product_id: str) -> httpx.Response:
    """Read a product until the cache keeps it. A notification of an earlier write that lands while a read is
    in flight rightly stops that read from being stored (the cache cannot tell it is not stale), and on a
    loaded machine the setup's own notifications may arrive that late: read again, a bounded number of times."""
    for _ in range(50):
        response = await client.get(f"/api/v1/products/{product_id}")
        if cache.get(product_id) == response.content:
            return response
        await asyncio.sleep(0.05)
    raise AssertionError("the product never stayed in the cache")


postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="the read cache runs on PostgreSQL only")


@pytest.fixture
async def cached(client: httpx.AsyncClient, database: Database) -> tuple[ReadCache, Account, dict]:
    """The app's live cache (once its LISTEN connection is up), a shop owner and one of their products."""
    cache = database.read_cache
    assert cache is not None
    await _eventually(lambda: cache.enabled)
    owner = await register(client)
    shop = await create_shop(client, owner)
    return cache, owner, await create_product(client, owner, shop["id"])


@postgres_only
async def test_reads_are_cached_and_own_writes_evict_at_once(client: httpx.AsyncClient, cached: tuple) -> None:
    cache, owner, product = cached
    first = await _read_into_cache(client, cache, product["id"])
    assert (await client.get(f"/api/v1/products/{product['id']}")).content == first.content
    variant = product["variants"][0]["id"]
    await client.post(f"/api/v1/variants/{variant}/inventory", json={"set": 42}, headers=owner.headers)
    assert cache.get(product["id"]) is None  # evicted when the write committed, before any NOTIFY
    fresh = (await client.get(f"/api/v1/products/{product['id']}")).json()
    assert fresh["variants"][0]["inventory_quantity"] == 42
    await client.delete(f"/api/v1/products/{product['id']}", headers=owner.headers)
    assert (await client.get(f"/api/v1/products/{product['id']}")).status_code == 404


@postgres_only
async def test_writes_from_another_process_evict_through_notify(
    client: httpx.AsyncClient, database: Database, cached: tuple
) -> None:
    cache, owner, product = cached
    await _read_into_cache(client, cache, product["id"])
    other_process = Database(database.url)  # no read cache: nothing evicts locally, only the trigger speaks
    try:
        async with other_process.session() as session:
            await session.execute(
                text("UPDATE variants SET price = 777 WHERE product_id = :pid"), {"pid": product["id"]}
            )
    finally:
        await other_process.dispose()
    await _eventually(lambda: cache.get(product["id"]) is None)
    prices = {v["price"] for v in (await client.get(f"/api/v1/products/{product['id']}")).json()["variants"]}
    assert prices == {777}


@postgres_only
async def test_a_lost_listen_connection_turns_the_cache_off_until_it_is_back(
    client: httpx.AsyncClient, database: Database, cached: tuple
) -> None:
    cache, owner, product = cached
    await client.get(f"/api/v1/products/{product['id']}")
    async with database.session() as session:
        await session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
            )
        )
    await _eventually(lambda: not cache.enabled)
    assert cache.get(product["id"]) is None
    await _eventually(lambda: cache.enabled)
    assert (await client.get(f"/api/v1/products/{product['id']}")).status_code == 200
