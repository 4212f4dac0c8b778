"""The baseline of bench/live_fanout.py: the `websockets` library alone, broadcasting to every viewer.

`websockets.asyncio.server.serve` (permessage-deflate offered, as by default; pings every 20 s, as uvicorn's)
on uvloop when installed; each viewer gets a ``state`` event on connecting. From SIGUSR1 until SIGUSR2, every
``interval`` seconds one ~200-byte JSON event goes to all of them with ``websockets.asyncio.server.broadcast``,
alternately ``pinned`` and ``unpinned``, carrying its ``seq`` and ``sent``: ``time.monotonic()`` just before
the broadcast (the viewers, on the same machine, subtract it from their own ``time.monotonic()``). When a
broadcast takes longer than the interval the next one follows at once (the schedule is not caught up).
No database, no app. Run: ``python bench/_ws_baseline.py PORT [INTERVAL]``; it serves until interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve

VIEWERS: set[ServerConnection] = set()
SEQ = 0


async def room(websocket: ServerConnection) -> None:
    await websocket.send(json.dumps({"type": "state", "seq": SEQ, "data": {"viewers": len(VIEWERS) + 1}}))
    VIEWERS.add(websocket)
    try:
        await websocket.wait_closed()
    finally:
        VIEWERS.discard(websocket)


def event(seq: int) -> str:
    kind = "pinned" if seq % 2 else "unpinned"
    at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    product = {"id": "prd_01bench00000000000000000", "title": "Bench Tee 0", "image_url": None}
    body = {"type": kind, "at": at, "sent": time.monotonic(), "data": {"product": product, "note": "x" * 24}}
    return '{"seq":' + str(seq) + "," + json.dumps(body, separators=(",", ":"))[1:]


async def ticker(interval: float) -> None:
    global SEQ
    next_at = time.monotonic()
    while True:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        next_at = max(next_at + interval, time.monotonic())
        SEQ += 1
        broadcast(VIEWERS, event(SEQ))


async def main(port: int, interval: float) -> None:
    loop = asyncio.get_running_loop()
    ticking: list[asyncio.Task[None]] = []

    def start() -> None:
        if not ticking:
            ticking.append(loop.create_task(ticker(interval)))

    def stop() -> None:
        while ticking:
            ticking.pop().cancel()

    loop.add_signal_handler(signal.SIGUSR1, start)
    loop.add_signal_handler(signal.SIGUSR2, stop)
    async with serve(room, "127.0.0.1", port, ping_interval=20, ping_timeout=20, backlog=2048):
        await asyncio.Future()  # until interrupted


if __name__ == "__main__":
    arguments = sys.argv[1:]
    port, interval = int(arguments[0]), float(arguments[1]) if len(arguments) > 1 else 0.25
    try:
        import uvloop
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(main(port, interval))
