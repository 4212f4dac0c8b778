"""The viewers of bench/live_fanout.py: WebSocket clients in a load-generator process of their own.

``run(connection, plan)`` is a multiprocessing target. Each viewer is the `websockets` library's sans-I/O client
protocol under an ``asyncio.Protocol`` (uvloop when installed): one callback per TCP read and no task per
viewer, several times cheaper per message than the library's asyncio client, which matters when thousands of
viewers share 2 cores with the server. The handshake offers permessage-deflate unless the plan says not to, as
browsers do. Each viewer notes, with ``time.monotonic()`` (one clock for every process of the machine), when
each event reached it.

The process connects its viewers ``batch`` at a time and waits for each batch's ``state`` events (or failures)
before the next, then sends ``("ready", summary)`` on the pipe. On ``"go"`` it notes its CPU time; on
``"stop"`` it closes every socket and sends ``("result", ...)``: per viewer, the pin events it received
(seq, receipt time), seq gaps, and whether and how the server closed it before the stop.

Plan: ``targets`` (one ``[host, port, path]`` per viewer), ``batch``, ``deflate``, ``timeout`` (seconds a
viewer may take to connect and get its ``state``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from _live import raise_open_files
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

PIN_KINDS = (b"pinned", b"unpinned")


class Viewer(asyncio.Protocol):
    """One WebSocket viewer of a room."""

    def __init__(
        self, uri: str, deflate: bool, ready: asyncio.Future[None], at_by_seq: dict[int, tuple[str, Any]]
    ) -> None:
        wsuri = parse_uri(uri)
        self.port = wsuri.port
        self.protocol = ClientProtocol(
            wsuri, extensions=enable_client_permessage_deflate(None) if deflate else None, max_size=None
        )
        self.ready = ready
        # Shared by the process's viewers: each pin event's type and `at` (the baseline's: `sent`), parsed once.
        self.at_by_seq = at_by_seq
        self.transport: asyncio.Transport | None = None
        self.fragments: list[bytes] = []
        self.last_seq: int | None = None
        self.pins: list[tuple[int, float]] = []  # (seq, monotonic receipt time) of pinned/unpinned events
        self.events = 0
        self.gaps = 0  # seqs skipped
        self.disorder = 0  # seqs at or below one already seen
        self.other: Counter[str] = Counter()  # messages that are not seq-numbered events nor the state
        self.closed: tuple[float, int | None, str] | None = None  # (when, close code, how), by the server
        self.stopping = False

    # --- asyncio.Protocol --------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio's classes
        self.protocol.send_request(self.protocol.connect())
        self.flush()

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.protocol.handshake_exc is not None:
                    self.fail(f"handshake: {self.protocol.handshake_exc}")
            elif isinstance(event, Frame):
                self.frame(event, now)
        self.flush()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self.flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.fail(f"closed before the state: {exc or self.close_text()}")
        elif not self.stopping and self.closed is None:
            self.closed = (time.monotonic(), self.protocol.close_code, f"connection lost: {exc or 'EOF'}")

    # --- WebSocket ---------------------------------------------------------------------------------------------

    def flush(self) -> None:
        if self.transport is None:
            return
        out = self.protocol.data_to_send()
        if out:
            if out[-1] == b"":  # the protocol wants the TCP connection half-closed
                self.transport.write(b"".join(out[:-1]))
                if self.transport.can_write_eof():
                    self.transport.write_eof()
            else:
                self.transport.write(b"".join(out))
        if self.protocol.state is State.CLOSED and not self.transport.is_closing():
            self.transport.close()

    def close_text(self) -> str:
        code = self.protocol.close_code
        return f"close code {code}" if code is not None else "no close frame"

    def fail(self, reason: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(reason))
        if self.transport is not None:
            self.transport.abort()

    def frame(self, frame: Frame, now: float) -> None:
        if frame.opcode is Opcode.CLOSE:
            if not self.stopping and self.closed is None:
                self.closed = (now, self.protocol.close_code, "close frame")
            return
        if frame.opcode not in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            return  # pings are answered by the protocol
        if not frame.fin:
            self.fragments.append(bytes(frame.data))
            return
        data = bytes(frame.data)
        if self.fragments:
            data = b"".join([*self.fragments, data])
            self.fragments = []
        self.message(data, now)

    def message(self, data: bytes, now: float) -> None:
        if data.startswith(b'{"seq":'):  # a room event: {"seq":N,"type":"...",...}, seq first (kit/broker.py)
            comma = data.index(b",", 7)
            seq = int(data[7:comma])
            if self.last_seq is not None:
                if seq > self.last_seq + 1:
                    self.gaps += seq - self.last_seq - 1
                elif seq <= self.last_seq:
                    self.disorder += 1
            self.last_seq = seq if self.last_seq is None else max(seq, self.last_seq)
            self.events += 1
            start = comma + 9  # past ,"type":"
            kind = data[start : data.index(b'"', start)]
            if kind in PIN_KINDS:
                self.pins.append((seq, now))
                if seq not in self.at_by_seq:
                    event = json.loads(data)
                    self.at_by_seq[seq] = (kind.decode(), event.get("sent", event.get("at")))
            return
        event = json.loads(data)
        if isinstance(event, dict) and event.get("type") == "state":
            self.last_seq = int(event["seq"])
            if not self.ready.done():
                self.ready.set_result(None)
        else:
            self.other[str(event.get("type") if isinstance(event, dict) else type(event).__name__)] += 1

    def result(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "pins": self.pins,
            "events": self.events,
            "gaps": self.gaps,
            "disorder": self.disorder,
            "other": dict(self.other),
            "closed": self.closed,
        }


async def connect(
    target: list[Any], deflate: bool, limit_s: float, at_by_seq: dict[int, tuple[str, Any]]
) -> tuple[Viewer | None, str | None]:
    host, port, path = target
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    viewer = Viewer(f"ws://{host}:{port}{path}", deflate, ready, at_by_seq)
    try:
        async with asyncio.timeout(limit_s):
            await loop.create_connection(lambda: viewer, host, port)
            await ready
    except TimeoutError:
        viewer.fail("timeout")
        return None, f"no state within {limit_s:.0f} s"
    except OSError as error:  # refused, too many open files, or our own ConnectionError from fail()
        viewer.fail(str(error))
        if type(error) is ConnectionError:
            return None, str(error)
        return None, f"{type(error).__name__}: {error.strerror or error}"
    return viewer, None


async def main(pipe: Connection, plan: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    targets, batch, deflate, timeout = plan["targets"], plan["batch"], plan["deflate"], plan["timeout"]
    at_by_seq: dict[int, tuple[str, Any]] = {}
    viewers: list[Viewer] = []
    failures: Counter[str] = Counter()
    began = time.monotonic()
    cpu_began = time.process_time()
    for start in range(0, len(targets), batch):
        group = await asyncio.gather(*(connect(t, deflate, timeout, at_by_seq) for t in targets[start : start + batch]))
        for viewer, reason in group:
            if viewer is not None:
                viewers.append(viewer)
            else:
                failures[str(reason)] += 1
        if failures and not any(viewer for viewer, _ in group):
            if len(targets) > start + batch:
                failures["not attempted: the previous batch failed entirely"] += len(targets) - start - batch
            break
    pipe.send(
        (
            "ready",
            {
                "connected": len(viewers),
                "failures": dict(failures),
                # How many handshakes the server accepted permessage-deflate in (it may decline the offer).
                "deflated": sum(1 for viewer in viewers if viewer.protocol.extensions),
                "seconds": time.monotonic() - began,
                "cpu": time.process_time() - cpu_began,
            },
        )
    )
    commands: asyncio.Queue[str] = asyncio.Queue()
    loop.add_reader(pipe.fileno(), lambda: commands.put_nowait(pipe.recv()))
    cpu: dict[str, float] = {}
    while True:
        command = await commands.get()
        cpu[command] = time.process_time()
        if command == "stop":
            break
    loop.remove_reader(pipe.fileno())
    os.set_blocking(pipe.fileno(), True)  # uvloop made it non-blocking; the result is larger than a pipe buffer
    for viewer in viewers:
        viewer.stopping = True
        if viewer.transport is not None:
            viewer.transport.abort()
    pipe.send(
        (
            "result",
            {
                "viewers": [viewer.result() for viewer in viewers],
                "at_by_seq": at_by_seq,
                "cpu": cpu.get("stop", 0.0) - cpu.get("go", cpu.get("stop", 0.0)),
            },
        )
    )


def run(pipe: Connection, plan: dict[str, Any]) -> None:
    """The process: raise the open-files limit, run the viewers on uvloop (asyncio without it)."""
    raise_open_files(len(plan["targets"]) + 256)
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(pipe, plan))
    else:
        uvloop.run(main(pipe, plan))
    with contextlib.suppress(OSError):
        pipe.close()
