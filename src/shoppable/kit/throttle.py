"""Counting events per key over a sliding window, kept in a `limits` storage: in memory for one process, Redis
for many (every process then sees the same counts). The clock is the caller's, so tests move time instead of
sleeping.

The window is the sliding window counter `limits` itself offers (and Cloudflare describes): counts are kept per
fixed window, and the one before the current window weighs in by how much of it the sliding window still
covers. Two counters per key, no per-event list, and no burst of twice the limit at a window's edge.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.errors import StorageError

log = logging.getLogger("shoppable.throttle")

KEY_PREFIX = "shoppable:throttle"


def seconds_until_allowed(amount: int, window_s: float, elapsed_s: float, previous: int, current: int) -> float | None:
    """None while one more event fits: the current window's count plus the previous window's, weighted by the
    part of it the sliding window still covers, is below ``amount``. Otherwise how long until it fits."""
    remaining_s = window_s - elapsed_s
    if previous * remaining_s / window_s + current < amount:
        return None
    if current >= amount:  # only the next window, once the previous one's weight has faded enough, lets one in
        return remaining_s + window_s * (1 - amount / current)
    # The current count fits: wait until the previous window's weight falls below what is left.
    return remaining_s - (amount - current) * window_s / previous


def retry_after(wait_s: float) -> int:
    """Whole seconds for ``Retry-After``: strictly past the wait, at least 1."""
    return max(1, math.floor(wait_s) + 1)


class Throttle:
    """``over(limit, *keys)``: None, or the seconds to wait; ``hit(limit, *keys)`` counts one event.

    A storage failure (Redis unreachable) is logged and lets the request through: throttling protects sign-in,
    it must not stop it."""

    def __init__(
        self,
        storage: Storage,
        *,
        clock: Callable[[], float] = time.time,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self._close = close

    @classmethod
    def in_memory(cls, *, clock: Callable[[], float] = time.time) -> Throttle:
        return cls(MemoryStorage(), clock=clock)

    @classmethod
    def on_redis(cls, url: str, *, clock: Callable[[], float] = time.time) -> Throttle:
        """Counts in Redis through redis-py (``redis.asyncio``): limits' storage over a pool this object owns."""
        import redis.asyncio as redis

        pool = redis.BlockingConnectionPool.from_url(url, max_connections=50, timeout=5)
        scheme = "async+redis+unix://" + url.removeprefix("unix://") if url.startswith("unix://") else "async+" + url
        storage = RedisStorage(
            scheme,
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            wrap_exceptions=True,
            connection_pool=pool,  # type: ignore[arg-type]  # documented option, typed narrower than it is
        )
        return cls(storage, clock=clock, close=pool.aclose)

    @classmethod
    def from_settings(cls, redis_url: str | None) -> Throttle:
        return cls.on_redis(redis_url) if redis_url else cls.in_memory()

    def _keys(self, limit: RateLimitItem, keys: tuple[str, ...]) -> tuple[str, str, float, int]:
        window_s = limit.get_expiry()
        now = self.clock()
        number = math.floor(now / window_s)
        base = limit.key_for(*(_short(key) for key in keys))
        return f"{base}/{number - 1}", f"{base}/{number}", now - number * window_s, window_s

    async def over(self, limit: RateLimitItem, *keys: str) -> float | None:
        previous_key, current_key, elapsed_s, window_s = self._keys(limit, keys)
        try:
            previous = await self.storage.get(previous_key)
            current = await self.storage.get(current_key)
        except StorageError:
            log.exception("the throttle's storage failed; letting the request through")
            return None
        return seconds_until_allowed(limit.amount, window_s, elapsed_s, previous, current)

    async def hit(self, limit: RateLimitItem, *keys: str) -> None:
        _, current_key, _, window_s = self._keys(limit, keys)
        try:
            # Kept two windows: the current one is the previous one next.
            await self.storage.incr(current_key, 2 * window_s)
        except StorageError:
            log.exception("the throttle's storage failed; this event is not counted")

    async def clear(self, limit: RateLimitItem, *keys: str) -> None:
        previous_key, current_key, _, _ = self._keys(limit, keys)
        try:
            await self.storage.clear(previous_key)
            await self.storage.clear(current_key)
        except StorageError:
            log.exception("the throttle's storage failed; the count is not cleared")

    async def aclose(self) -> None:
        if self._close is not None:
            await self._close()


def rate(text: str) -> RateLimitItem:
    """A limit in the `limits` notation: ``"10/15 minutes"``, ``"20/hour"``."""
    return parse(text)


def _short(key: str) -> str:
    # A digest stands for a long key or one with the separator in it, so keys stay short and unambiguous.
    return key if len(key) <= 64 and key.isascii() and "/" not in key else hashlib.blake2b(key.encode()).hexdigest()
