"""A per-process cache of rendered reads, invalidated by the database when the rows behind them change.

On PostgreSQL, triggers send the key of every changed row with NOTIFY (delivered when the writing
transaction commits) and each process LISTENs and evicts. The writing process also evicts right after its
own commits, so a client reads its own writes at once. Without a working LISTEN connection the cache is off:
it never serves what it cannot invalidate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger("shoppable.read_cache")

_SESSION_KEY = "read_cache"
_PENDING_KEY = "read_cache_pending"


class ReadCache:
    """Bytes by key, least recently stored dropped first. ``generation`` moves on every invalidation."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self.enabled = False
        self.generation = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        return self._entries.get(key) if self.enabled else None

    def put(self, key: str, value: bytes, generation: int) -> None:
        """Store a value read at ``generation``; skipped if anything was invalidated since (it may be stale)."""
        if not self.enabled or generation != self.generation:
            return
        self._entries[key] = value
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, keys: Iterable[str]) -> None:
        self.generation += 1
        for key in keys:
            self._entries.pop(key, None)

    def disable(self) -> None:
        self.enabled = False
        self.generation += 1
        self._entries.clear()

    def enable(self) -> None:
        self._entries.clear()
        self.generation += 1
        self.enabled = True

    def __len__(self) -> int:
        return len(self._entries)


def invalidate_after_commit(session: AsyncSession, keys: Iterable[str]) -> None:
    """Evict ``keys`` from this process's cache once the session's transaction commits."""
    cache: ReadCache | None = session.info.get(_SESSION_KEY)
    if cache is None:
        return
    pending: set[str] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = set()

        def _after_commit(sync_session: Session) -> None:
            cache.invalidate(sync_session.info.pop(_PENDING_KEY, ()))

        event.listen(session.sync_session, "after_commit", _after_commit, once=True)
    pending.update(keys)


class PostgresInvalidation:
    """Keeps a LISTEN connection open and evicts what NOTIFY names; reconnects, with the cache off meanwhile."""

    def __init__(self, database_url: str, channel: str, cache: ReadCache) -> None:
        self.dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.channel = channel
        self.cache = cache
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.cache.disable()

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.cache.invalidate((payload,))

    def _on_lost(self, _connection: Any) -> None:
        self.cache.disable()
        self._lost.set()

    async def _run(self) -> None:
        import asyncpg

        delay = 0.5
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(self.dsn)
                self._lost.clear()
                connection.add_termination_listener(self._on_lost)
                await connection.add_listener(self.channel, self._on_notify)
                self.cache.enable()
                delay = 0.5
                await self._lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("read cache: cannot listen on %s; cache off, retrying in %.1fs", self.channel, delay)
            finally:
                self.cache.disable()
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=1)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)
