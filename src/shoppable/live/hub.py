"""The room hub: every live's viewers in this process, the events the broker delivers to them, and a bounded
replay buffer for viewers who reconnect with ``?since=SEQ``.

Each event arrives encoded once and the same bytes go to every socket. Delivery to a viewer is a ``put_nowait``
on that viewer's bounded queue; a viewer whose queue is full cannot keep up and is dropped (its socket closed),
so a slow phone never slows the room. No database session is held by a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.kit.broker import Broker
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import after_commit

REPLAY = 512  # events kept per room for reconnects
QUEUE = 256  # events a viewer may fall behind before being dropped


@dataclass(eq=False)
class Viewer:
    room: str
    start_seq: int
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(QUEUE))
    dropped: bool = False


@dataclass
class Room:
    seq: int = 0
    replay: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY))
    viewers: set[Viewer] = field(default_factory=set)


class Hub:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.rooms: dict[str, Room] = {}
        self._publishing: set[asyncio.Task[None]] = set()  # held until done: the loop keeps only weak references
        self._opening: dict[str, asyncio.Task[int]] = {}  # a room's first number, asked of the broker once
        self._settler: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.broker.start(self.deliver)
        self._settler = asyncio.get_running_loop().create_task(self._freeze_when_settled())

    async def _freeze_when_settled(self, every_s: float = 5.0, growth: int = 500) -> None:
        """Once many viewers have joined and stay, keep their objects out of the collector's full passes
        (``gc.freeze``): measured, a full pass over 10,000 viewers' objects held the loop for 1.4 to 1.8 s, and
        every room's broadcasts behind it. Frozen objects are still freed by reference counting when a viewer
        leaves; only cyclic garbage made before a freeze waits, bounded by how rarely the audience grows."""
        frozen_at = 0
        while True:
            await asyncio.sleep(every_s)
            watching = sum(len(room.viewers) for room in self.rooms.values())
            if watching - frozen_at >= growth:
                gc.collect(1)
                gc.freeze()
                frozen_at = watching
            elif watching < frozen_at:
                frozen_at = watching

    async def stop(self) -> None:
        if self._settler is not None:
            self._settler.cancel()
        for room in self.rooms.values():
            for viewer in room.viewers:
                with contextlib.suppress(asyncio.QueueFull):
                    viewer.queue.put_nowait(None)  # wakes its sender, which closes the socket
        await self.broker.stop()

    def deliver(self, room_id: str, seq: int, message: bytes) -> None:
        """An event for a room, from the broker: buffered, then queued for each viewer here."""
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = Room()
        if seq <= room.seq:  # already seen (a process hears its own publications once only, but be safe)
            return
        room.seq = seq
        text = message.decode()  # once: every socket is sent this same string
        room.replay.append((seq, text))
        for viewer in room.viewers:
            if viewer.dropped:
                continue
            try:
                viewer.queue.put_nowait(text)
            except asyncio.QueueFull:
                viewer.dropped = True  # too slow: its sender sees the flag and closes the socket

    async def publish(self, room_id: str, kind: str, data: dict[str, Any]) -> None:
        await self.broker.publish(room_id, {"type": kind, "at": isoformat(utcnow()), "data": data})

    def publish_after_commit(self, session: AsyncSession, room_id: str, kind: str, data: dict[str, Any]) -> None:
        """Publish once the session's transaction commits (never for a rolled-back one)."""
        loop = asyncio.get_running_loop()

        def publish() -> None:
            task = loop.create_task(self.publish(room_id, kind, data))
            self._publishing.add(task)
            task.add_done_callback(self._publishing.discard)

        after_commit(session, publish)

    async def join(self, room_id: str) -> Viewer:
        room = self.rooms.get(room_id)
        if room is None:  # a thousand viewers joining a new room ask the broker for its number once
            opening = self._opening.get(room_id)
            if opening is None:
                opening = self._opening[room_id] = asyncio.get_running_loop().create_task(self.broker.last_seq(room_id))
            seq = await opening
            self._opening.pop(room_id, None)
            room = self.rooms.get(room_id) or self.rooms.setdefault(room_id, Room(seq=seq))
        viewer = Viewer(room_id, room.seq)
        room.viewers.add(viewer)
        return viewer

    def leave(self, viewer: Viewer) -> None:
        room = self.rooms.get(viewer.room)
        if room is not None:
            room.viewers.discard(viewer)

    def missed(self, viewer: Viewer, since: int) -> list[str] | None:
        """The events after ``since`` up to the viewer's joining, or None when the buffer no longer reaches back
        that far (the state snapshot is then all the client gets)."""
        room = self.rooms[viewer.room]
        if since >= viewer.start_seq:
            return []
        kept = [(seq, message) for seq, message in room.replay if since < seq <= viewer.start_seq]
        if not kept or kept[0][0] != since + 1:
            return None
        return [message for _, message in kept]
