"""The throttle: the sliding window's arithmetic, and counting on limits' storages (memory, and Redis when one is
reachable) on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shoppable.kit.throttle import Throttle, rate, retry_after, seconds_until_allowed
from tests.helpers import REDIS_URL, skip_unless_redis, unique

WINDOW_START = 1_800_000_000.0  # a multiple of 900 and of 60: windows of 15 minutes or 1 minute start here


class Clock:
    def __init__(self, now: float = WINDOW_START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_below_the_limit_nothing_waits() -> None:
    assert seconds_until_allowed(10, 900, 0, previous=0, current=9) is None
    assert seconds_until_allowed(10, 900, 450, previous=10, current=4) is None  # 10 × 0.5 + 4 = 9


def test_a_full_window_waits_for_its_end() -> None:
    assert seconds_until_allowed(10, 900, 100, previous=0, current=10) == 800
    # Over the limit within the window: the next one opens once the weight of this one has faded enough.
    assert seconds_until_allowed(10, 900, 0, previous=0, current=20) == 900 + 450


def test_the_previous_window_weighs_in_until_its_share_fades() -> None:
    # At 300 s into this window the last one (10 events) still weighs 10 × 600 / 900 = 6.67; with 4 now: 10.67.
    wait = seconds_until_allowed(10, 900, 300, previous=10, current=4)
    assert wait == pytest.approx(60)  # at 360 s it weighs 6: 6 + 4 is below 10 only just past that
    assert seconds_until_allowed(10, 900, 300 + wait + 0.001, previous=10, current=4) is None


def test_retry_after_is_whole_seconds_past_the_wait() -> None:
    assert retry_after(0.2) == 1
    assert retry_after(59.0) == 60
    assert retry_after(59.5) == 60


@pytest.fixture
async def memory() -> AsyncIterator[tuple[Throttle, Clock]]:
    clock = Clock()
    throttle = Throttle.in_memory(clock=clock)
    yield throttle, clock
    await throttle.aclose()


async def test_counts_per_key_and_the_window_moves_on(memory: tuple[Throttle, Clock]) -> None:
    throttle, clock = memory
    limit = rate("3/minute")
    for _ in range(3):
        assert await throttle.over(limit, "signin", "a") is None
        await throttle.hit(limit, "signin", "a")
    assert await throttle.over(limit, "signin", "a") == pytest.approx(60)
    assert await throttle.over(limit, "signin", "b") is None  # another key counts apart
    clock.now += 30
    assert await throttle.over(limit, "signin", "a") == pytest.approx(30)
    clock.now += 30 + 20  # 20 s into the next window: the full one weighs 3 × 40 / 60 = 2
    assert await throttle.over(limit, "signin", "a") is None
    await throttle.clear(limit, "signin", "a")
    await throttle.hit(limit, "signin", "a")
    assert await throttle.over(limit, "signin", "a") is None


async def test_long_keys_and_separators_stand_for_themselves(memory: tuple[Throttle, Clock]) -> None:
    throttle, _ = memory
    limit = rate("1/minute")
    await throttle.hit(limit, "x" * 500)
    await throttle.hit(limit, "a/b")
    assert await throttle.over(limit, "x" * 500) is not None
    assert await throttle.over(limit, "x" * 499) is None
    assert await throttle.over(limit, "a/b") is not None
    assert await throttle.over(limit, "a", "b") is None


async def test_processes_share_counts_through_redis() -> None:
    await skip_unless_redis()
    clock = Clock()
    one, other = Throttle.on_redis(REDIS_URL, clock=clock), Throttle.on_redis(REDIS_URL, clock=clock)
    limit, key = rate("2/minute"), unique("203.0.113.")
    try:
        await one.hit(limit, "signin", key)
        await other.hit(limit, "signin", key)
        assert await one.over(limit, "signin", key) == pytest.approx(60)
        assert await other.over(limit, "signin", key) == pytest.approx(60)
        clock.now += 60 + 45  # the full window now weighs 2 × 15 / 60
        assert await other.over(limit, "signin", key) is None
        await one.clear(limit, "signin", key)
        clock.now -= 60 + 45
        assert await other.over(limit, "signin", key) is None
    finally:
        await one.aclose()
        await other.aclose()


async def test_an_unreachable_store_lets_requests_through() -> None:
    throttle = Throttle.on_redis("redis://127.0.0.1:1/0")  # nothing listens on port 1
    limit = rate("1/minute")
    try:
        await throttle.hit(limit, "signin", "a")
        assert await throttle.over(limit, "signin", "a") is None
        await throttle.clear(limit, "signin", "a")
    finally:
        await throttle.aclose()
