"""Rooms of real-time events across processes: in memory for one process, Redis pub/sub for many.

A broker numbers each room's events (``seq``, increasing per room across every process) and hands each event,
encoded once, to every process's ``deliver`` callback. Events are JSON objects; the broker splices ``"seq"`` in
as their first key, so the bytes delivered are the bytes every socket is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import orjson

log = logging.getLogger("shoppable.broker")

Deliver = Callable[[str, int, bytes], None]


def with_seq(seq: int, body: bytes) -> bytes:
    """``{"seq": N, ...body}``: the body must be an encoded JSON object."""
    return b'{"seq":' + str(seq).encode() + b"," + body[1:]


class Broker(Protocol):
    async def start(self, deliver: Deliver) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, room: str, event: dict[str, Any]) -> None:
        """Number the event in its room and deliver it to every process (this one included)."""
        ...

    async def last_seq(self, room: str) -> int: ...

    def count(self, room: str, delta: int) -> None:
        """Move this process's count for the room (its viewers) by ``delta``: in memory, shared lazily."""
        ...

    async def total(self, room: str) -> int:
        """The room's count over every process."""
        ...


class MemoryBroker:
    """One process: numbering and delivery in memory, synchronously."""

    def __init__(self) -> None:
        self._seq: dict[str, int] = {}
        self._counts: dict[str, int] = {}
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def stop(self) -> None:
        self._deliver = None

    async def publish(self, room: str, event: dict[str, Any]) -> None:
        seq = self._seq.get(room, 0) + 1
        self._seq[room] = seq
        if self._deliver is not None:
            self._deliver(room, seq, with_seq(seq, orjson.dumps(event)))

    async def last_seq(self, room: str) -> int:
        return self._seq.get(room, 0)

    def count(self, room: str, delta: int) -> None:
        self._counts[room] = self._counts.get(room, 0) + delta

    async def total(self, room: str) -> int:
        return self._counts.get(room, 0)


# INCR and PUBLISH in one atomic step, so the order messages are published in is the order of their numbers.
_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2))
return seq
"""


class RedisBroker:
    """Many processes: numbers from a Redis counter per room, delivery through pub/sub (``SHOPPABLE_REDIS_URL``)."""

    def __init__(self, url: str, prefix: str = "shoppable", max_connections: int = 32) -> None:
        import redis.asyncio as redis

        # A bounded pool that queues: a burst of thousands of joins waits for a connection instead of failing.
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=10)
        self._redis = redis.Redis(connection_pool=pool)
        self._prefix = prefix
        self._process = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._listener: asyncio.Task[None] | None = None
        self._sharer: asyncio.Task[None] | None = None
        self._publish = self._redis.register_script(_PUBLISH)
        self._counts: dict[str, int] = {}
        self._shared: dict[str, int] = {}

    def _channel(self, room: str) -> str:
        return f"{self._prefix}:room:{room}"

    async def start(self, deliver: Deliver) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.psubscribe(f"{self._prefix}:room:*")
        prefix_length = len(f"{self._prefix}:room:")

        async def listen() -> None:
            while True:
                try:
                    message = await pubsub.get_message(timeout=1.0)
                except (ConnectionError, OSError):  # pragma: no cover - Redis went away; try again shortly
                    log.exception("lost the Redis subscription; retrying")
                    await asyncio.sleep(0.5)
                    continue
                if message is None or message["type"] != "pmessage":
                    continue
                data: bytes = message["data"]
                seq = int(data[7 : data.index(b",")])
                deliver(message["channel"].decode()[prefix_length:], seq, data)

        self._listener = asyncio.get_running_loop().create_task(listen())
        self._sharer = asyncio.get_running_loop().create_task(self._share_counts())
        self._pubsub = pubsub

    async def _share_counts(self) -> None:
        """Every second, this process's changed counts go to Redis in one round trip (not one per viewer)."""
        while True:
            await asyncio.sleep(1.0)
            changed = {room: n for room, n in self._counts.items() if self._shared.get(room) != n}
            if not changed:
                continue
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for room, n in changed.items():
                        pipe.hset(f"{self._prefix}:count:{room}", self._process, n)
                    await pipe.execute()
                self._shared.update(changed)
            except (ConnectionError, OSError):  # pragma: no cover - next second
                log.exception("could not share viewer counts with Redis")

    async def stop(self) -> None:
        for task in (self._listener, self._sharer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._listener is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        for room in self._shared:
            await self._redis.hdel(f"{self._prefix}:count:{room}", self._process)
        await self._redis.aclose()

    async def publish(self, room: str, event: dict[str, Any]) -> None:
        await self._publish(keys=[f"{self._prefix}:seq:{room}", self._channel(room)], args=[orjson.dumps(event)])

    async def last_seq(self, room: str) -> int:
        value = await self._redis.get(f"{self._prefix}:seq:{room}")
        return int(value or 0)

    def count(self, room: str, delta: int) -> None:
        self._counts[room] = self._counts.get(room, 0) + delta

    async def total(self, room: str) -> int:
        """Every other process's last shared count, and this one's as it is now."""
        shared = await self._redis.hgetall(f"{self._prefix}:count:{room}")
        me = self._process.encode()
        others = sum(int(n) for process, n in shared.items() if process not in (me, self._process))
        return others + self._counts.get(room, 0)


def broker_for(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else MemoryBroker()
