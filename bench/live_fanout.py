"""Live room fan-out: how long a pin takes to reach every viewer of one room, at 1,000 to 10,000 viewers.

Migrates a fresh database and seeds a live on air through the public API (a seller's two products, a creator
hosting). Then, for each size in `--viewers` and each setup in `--setups`:

- `single`: one `shoppable serve` process (one uvicorn worker, the in-memory broker);
- `redis`: two `shoppable serve` processes sharing the room through Redis pub/sub (`SHOPPABLE_REDIS_URL`), half
  of the viewers on each, the host pinning through the first;
- `baseline`: bench/_ws_baseline.py, the `websockets` library alone (`serve` + `broadcast` of a ~200-byte JSON
  every 250 ms, no app, no database): what a bare broadcast costs on this machine.

Fresh server processes per run. The viewers are bench/_ws_viewers.py in `--client-procs` load-generator
processes (multiprocessing; asyncio on uvloop, the `websockets` sans-I/O client, permessage-deflate offered as
browsers do), connecting `--batch` at a time until every viewer has its `state` event. Then the host
alternately pins and unpins a product every 250 ms for `--seconds` (`POST`/`DELETE /api/v1/lives/{id}/pin`,
one keep-alive connection, sequential), and `--grace` seconds are left for the last event to arrive.
Latency is a viewer's `time.monotonic()` on receiving a pinned/unpinned event minus the host's
`time.monotonic()` just before sending the request that made it (one clock for every process of the
machine), so it includes the pin's HTTP request and database commit; each event is matched to its request by
its `at` (publish time) falling between two sends. The baseline's events carry their own send time. Reported
over every (viewer, event) pair: p50/p95/p99 and the share within 500 ms (pairs never delivered count as the
latest: a percentile that falls on them reads "undelivered"),
viewers the server closed during the run, seq gaps, and CPU (server processes during the pins; per join).
Run: `.venv/bin/python bench/live_fanout.py [--viewers 1000,5000,10000] [--seconds 10] [--client-procs 2]
[--setups single,redis,baseline] [--engine postgresql|sqlite]`. Needs Redis for `redis` (`--redis-url`,
default redis://127.0.0.1:6379/0). Target from the issue: 10,000 viewers on this 2-core machine, 95 % of
broadcasts within 500 ms.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _orders  # noqa: E402
import _ws_viewers  # noqa: E402
from _live import on_air, raise_open_files  # noqa: E402
from _report import write_section  # noqa: E402
from _server import free_port  # noqa: E402

TARGET_MS = 500
TARGET_SHARE = 0.95
TARGET_VIEWERS = 10_000
SETUPS = {
    "single": "one process, memory broker",
    "redis": "two processes, Redis pub/sub",
    "baseline": "bare `websockets` broadcast",
}


@dataclass
class Server:
    label: str  # A, B, or baseline
    base: str
    pid: int
    log: Path | None

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])


@dataclass
class Run:
    setup: str
    asked: int
    connected: int = 0
    deflated: int = 0  # viewers whose handshake negotiated permessage-deflate
    failures: Counter[str] = field(default_factory=Counter)
    connect_s: float = 0.0
    join_cpu_ms: float = float("nan")  # server CPU per viewer joined
    events: int = 0  # pin events in the window
    ops_failed: Counter[str] = field(default_factory=Counter)
    ops_without_event: int = 0
    ops_with_many: int = 0
    latencies: list[float] = field(default_factory=list)
    by_server: dict[str, list[float]] = field(default_factory=dict)
    viewers_by_server: Counter[str] = field(default_factory=Counter)
    event_medians: list[float] = field(default_factory=list)  # per event, the median over its viewers, sorted
    expected_pairs: int = 0
    dropped: int = 0
    request_s: list[float] = field(default_factory=list)  # how long each pin request took, sorted
    sending_s: float = 0.0  # from the first pin (or broadcast) to the end of the last
    scheduled: int = 0  # pins (or broadcasts) the schedule asks for
    silent: int = 0  # viewers that received none of the run's pin events
    close_codes: Counter[str] = field(default_factory=Counter)
    gaps: int = 0
    viewers_with_gaps: int = 0
    disorder: int = 0
    other: Counter[str] = field(default_factory=Counter)
    server_cores: float = float("nan")  # server CPU seconds per second from the first pin to the last
    redis_cores: float | None = None
    loadgen_cores: float = float("nan")
    rss_mib: float = float("nan")
    error: str | None = None
    log_lines: list[str] = field(default_factory=list)

    @property
    def within(self) -> float:
        if not self.expected_pairs:
            return float("nan")
        return sum(1 for latency in self.latencies if latency <= TARGET_MS / 1000) / self.expected_pairs

    @property
    def met(self) -> bool:
        return self.error is None and self.connected == self.asked and self.within >= TARGET_SHARE


# --- servers ---------------------------------------------------------------------------------------------------


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"the baseline server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the baseline server on port {port} did not come up")


@contextlib.contextmanager
def baseline_server(workdir: Path, interval: float) -> Iterator[Server]:
    port = free_port()
    log = workdir / "baseline.log"
    with log.open("a") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(_orders.BENCH / "_ws_baseline.py"), str(port), str(interval)],
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        wait_for_port(port, process)
        yield Server("baseline", f"http://127.0.0.1:{port}", process.pid, log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_servers(
    setup: str, size: int, env: dict[str, str], args: argparse.Namespace, stack: ExitStack
) -> list[Server]:
    workdir: Path = args.workdir
    if setup == "baseline":
        return [stack.enter_context(baseline_server(workdir, args.interval))]
    if setup == "single":
        log = workdir / f"server-single-{size}.log"
        served = stack.enter_context(_orders.server(env, log))
        return [Server("A", served.base, served.pid, log)]
    shared = env | {"SHOPPABLE_REDIS_URL": args.redis_url}
    servers = []
    for label, extra in (("A", {}), ("B", {"SHOPPABLE_WORKER_IN_PROCESS": "false"})):
        log = workdir / f"server-redis-{label}-{size}.log"
        served = stack.enter_context(_orders.server(shared | extra, log))
        servers.append(Server(label, served.base, served.pid, log))
    return servers


def server_cpu(servers: list[Server]) -> float:
    return sum(sum(_orders.cpu_seconds(server.pid, None).values()) for server in servers)


def rss_mib(servers: list[Server]) -> float:
    total = 0
    for server in servers:
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{server.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def redis_pid() -> int | None:
    out = subprocess.run(["pidof", "redis-server"], capture_output=True, text=True, check=False).stdout.split()
    return int(out[0]) if out else None


def redis_cpu(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


LOG_NOISE = re.compile(
    r'"WebSocket /ws/|connection (open|closed)|Started server process|Waiting for application|Application startup|'
    r"Uvicorn running|Shutting down|Application shutdown|Finished server process|Waiting for (background tasks|"
    r"connections) to close|Exception in ASGI application"
)
FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)')


def log_findings(log: Path | None, limit: int = 8) -> list[str]:
    """What a server log says besides connections opening and closing: each traceback as its exception and its
    two innermost shoppable frames (counted), and other lines (counted, numbers masked)."""
    if log is None or not log.exists():
        return []
    counts: Counter[str] = Counter()
    lines = log.read_text(errors="replace").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Traceback (most recent call last)"):
            frames: list[str] = []
            i += 1
            while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
                frame = FRAME.match(lines[i])
                if frame and "/shoppable/" in frame["file"] and "site-packages" not in frame["file"]:
                    code = lines[i + 1].strip() if i + 1 < len(lines) else ""
                    short = frame["file"].split("/src/shoppable/", 1)[-1]
                    frames.append(f"{short}:{frame['line']} {frame['function']} `{code}`")
                i += 1
            error = lines[i].strip() if i < len(lines) else "?"
            counts[f"{error} at " + (" → ".join(frames[-2:]) or "no shoppable frame")] += 1
        elif line.strip() and not LOG_NOISE.search(line) and not line.startswith(("The above exception", "During")):
            counts[re.sub(r"\d+", "N", line.strip())[:200]] += 1
        i += 1
    return [f"{n:,}× {text}" for text, n in counts.most_common(limit)]


# --- viewers ---------------------------------------------------------------------------------------------------


def spawn_viewers(
    size: int, servers: list[Server], path: str, args: argparse.Namespace
) -> list[tuple[multiprocessing.process.BaseProcess, Any]]:
    context = multiprocessing.get_context("spawn")
    procs = max(1, min(args.client_procs, size))
    children: list[tuple[multiprocessing.process.BaseProcess, Any]] = []
    for p in range(procs):
        count = size // procs + (1 if p < size % procs else 0)
        targets = [["127.0.0.1", servers[j % len(servers)].port, path] for j in range(count)]
        plan = {"targets": targets, "batch": max(1, args.batch // procs), "deflate": not args.no_deflate}
        plan["timeout"] = args.connect_timeout
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_ws_viewers.run, args=(child_end, plan), daemon=True)
        process.start()
        child_end.close()
        children.append((process, parent_end))
    return children


def receive(pipe: Any, kind: str, timeout: float) -> dict[str, Any]:
    if not pipe.poll(timeout):
        raise TimeoutError(f"a load-generator process sent no {kind!r} within {timeout:.0f} s")
    got, payload = pipe.recv()
    if got != kind:
        raise RuntimeError(f"a load-generator process sent {got!r}, not {kind!r}")
    result: dict[str, Any] = payload
    return result


# --- the host --------------------------------------------------------------------------------------------------


def host_pins(base: str, live_id: str, host: dict[str, str], product_id: str, args: argparse.Namespace) -> list[Any]:
    """Pin, unpin, pin, ... every ``interval`` for ``seconds`` (sequential requests on one connection); per
    request: (monotonic and wall time before sending, status)."""
    sent: list[Any] = []
    path = f"/api/v1/lives/{live_id}/pin"
    with httpx.Client(base_url=base, headers=host, timeout=30) as client:
        client.get(f"/api/v1/lives/{live_id}")  # open the connection first
        start = time.monotonic()
        for k in range(round(args.seconds / args.interval)):
            time.sleep(max(0.0, start + k * args.interval - time.monotonic()))
            mono, wall = time.monotonic(), time.time()
            status: int | str
            try:
                if k % 2 == 0:
                    status = client.post(path, json={"product_id": product_id}).status_code
                else:
                    status = client.delete(path).status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            sent.append((mono, wall, status, time.monotonic() - mono))
    return sent


def wall(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


# --- one run ---------------------------------------------------------------------------------------------------


def run_one(setup: str, size: int, env: dict[str, str], seeded: Any, args: argparse.Namespace) -> Run:
    run = Run(setup, size)
    with ExitStack() as stack:
        try:
            servers = start_servers(setup, size, env, args, stack)
        except Exception as error:  # noqa: BLE001 - reported as the run's failure
            run.error = f"server did not start: {error}"
            return run
        path = "/ws/room" if setup == "baseline" else f"/ws/lives/{seeded.live_id}"
        cpu_before_joins = server_cpu(servers)
        children = spawn_viewers(size, servers, path, args)
        try:
            measure(run, servers, children, seeded, cpu_before_joins, args)
        except Exception as error:  # noqa: BLE001 - a size that fails is reported, not fatal
            run.error = f"{type(error).__name__}: {error}"
        finally:
            for process, pipe in children:
                with contextlib.suppress(OSError, ValueError):
                    pipe.send("stop")
                process.join(timeout=30)
                if process.is_alive():
                    process.kill()
                    process.join()
    for server in servers:
        run.log_lines += [f"[{setup} {server.label}] {line}" for line in log_findings(server.log)]
    return run


def measure(
    run: Run,
    servers: list[Server],
    children: list[tuple[multiprocessing.process.BaseProcess, Any]],
    seeded: Any,
    cpu0: float,
    args: argparse.Namespace,
) -> None:
    began = time.monotonic()
    batches = -(-run.asked // max(1, args.batch)) + 1
    for _, pipe in children:
        ready = receive(pipe, "ready", batches * args.connect_timeout + 60)
        run.connected += ready["connected"]
        run.deflated += ready["deflated"]
        run.failures.update(ready["failures"])
    run.connect_s = time.monotonic() - began
    if run.connected:
        run.join_cpu_ms = (server_cpu(servers) - cpu0) * 1000 / run.connected
    run.rss_mib = rss_mib(servers)
    print(
        f"  {run.setup} {run.asked:,}: {run.connected:,} viewers have their state after {run.connect_s:.1f} s"
        + (f"; failed: {dict(run.failures)}" if run.failures else ""),
        flush=True,
    )
    if not run.connected:
        raise RuntimeError("no viewer connected: " + "; ".join(f"{n}× {r}" for r, n in run.failures.items()))

    rpid = redis_pid() if run.setup == "redis" else None
    redis0 = redis_cpu(rpid)
    cpu0 = server_cpu(servers)
    go = time.monotonic()
    for _, pipe in children:
        pipe.send("go")
    if run.setup == "baseline":
        os.kill(servers[0].pid, signal.SIGUSR1)  # start broadcasting
        time.sleep(args.seconds)
        os.kill(servers[0].pid, signal.SIGUSR2)
        sends: list[Any] = []
    else:
        sends = host_pins(servers[0].base, seeded.live_id, seeded.host, seeded.products[0], args)
    stopped_sending = time.monotonic()
    run.server_cores = (server_cpu(servers) - cpu0) / (stopped_sending - go)
    run.sending_s = stopped_sending - go
    run.scheduled = round(args.seconds / args.interval)
    time.sleep(args.grace)
    window = time.monotonic() - go
    redis1 = redis_cpu(rpid)
    if redis0 is not None and redis1 is not None:
        run.redis_cores = (redis1 - redis0) / window
    results = []
    for _, pipe in children:
        pipe.send("stop")
    for _, pipe in children:
        results.append(receive(pipe, "result", 120))
    run.loadgen_cores = sum(result["cpu"] for result in results) / window

    # Which send each event answers: the host's request (by the event's `at`), or the baseline's own `sent`.
    at_by_seq: dict[int, tuple[str, Any]] = {}
    for result in results:
        at_by_seq.update(result["at_by_seq"])
    sent_at: dict[int, float] = {}
    if run.setup == "baseline":
        for seq, (_, sent) in at_by_seq.items():
            if go <= sent < stopped_sending:
                sent_at[seq] = sent
        run.events = len(sent_at)
    else:
        good = [(mono, wall_time) for mono, wall_time, status, _ in sends if status == 200]
        run.ops_failed.update(str(status) for _, _, status, _ in sends if status != 200)
        run.request_s = sorted(took for _, _, _, took in sends)
        walls = [wall_time for _, wall_time in good]
        answered: Counter[int] = Counter()
        for seq, (_, at) in at_by_seq.items():
            k = bisect.bisect_right(walls, wall(at)) - 1
            if k >= 0:
                sent_at[seq] = good[k][0]
                answered[k] += 1
        run.events = len(good)
        run.ops_without_event = sum(1 for k in range(len(good)) if not answered[k])
        run.ops_with_many = sum(1 for n in answered.values() if n > 1)
    port_label = {server.port: server.label for server in servers}
    per_event: dict[int, list[float]] = {}
    for result in results:
        for viewer in result["viewers"]:
            label = port_label.get(viewer["port"], "?")
            run.viewers_by_server[label] += 1
            got = 0
            for seq, received in viewer["pins"]:
                if seq in sent_at:
                    latency = received - sent_at[seq]
                    run.latencies.append(latency)
                    run.by_server.setdefault(label, []).append(latency)
                    per_event.setdefault(seq, []).append(latency)
                    got += 1
            run.silent += 0 if got else 1
            if viewer["closed"] is not None:
                run.dropped += 1
                _, code, how = viewer["closed"]
                run.close_codes[f"{how}, close code {code}"] += 1
            run.gaps += viewer["gaps"]
            run.viewers_with_gaps += 1 if viewer["gaps"] else 0
            run.disorder += viewer["disorder"]
            run.other.update(viewer["other"])
    run.expected_pairs = run.events * run.connected
    run.latencies.sort()
    for values in run.by_server.values():
        values.sort()
    run.event_medians = sorted(sorted(values)[len(values) // 2] for values in per_event.values())


# --- report ----------------------------------------------------------------------------------------------------


def ms(values: list[float], fraction: float, expected: int | None = None) -> str:
    """A percentile of the delivered latencies ``values`` (sorted) among ``expected`` pairs, the undelivered
    ones counting as the latest."""
    total = max(expected or 0, len(values))
    if not total:
        return "–"
    at = min(total - 1, int(fraction * total))
    return f"{values[at] * 1000:,.0f} ms" if at < len(values) else "undelivered"


def row(run: Run) -> str:
    if run.error and not run.latencies:
        return f"| {SETUPS[run.setup]} | {run.asked:,} | **failed**: {run.error} | | | | | | | | | |"
    connected = f"{run.connected:,}" if run.connected == run.asked else f"**{run.connected:,} of {run.asked:,}**"
    share = f"{run.within * 100:.1f} %"
    verdict = "yes" if run.met else "**no**"
    redis = f" + Redis {run.redis_cores:.2f}" if run.redis_cores is not None else ""
    gaps = f"{run.gaps:,} ({run.viewers_with_gaps:,} viewers)" if run.gaps else "0"
    p50, p95, p99 = (ms(run.latencies, fraction, run.expected_pairs) for fraction in (0.5, 0.95, 0.99))
    return (
        f"| {SETUPS[run.setup]} | {connected} | {p50} | {p95} | {p99} | {share} | {verdict} | {run.dropped:,} | {gaps} "
        f"| {run.server_cores:.2f}{redis} | {run.join_cpu_ms:.1f} ms | {run.loadgen_cores:.2f} |"
    )


def notes(run: Run) -> list[str]:
    """What else a run showed: failures, per-server latency, lost events, drops, odd messages."""
    out = []
    name = f"{SETUPS[run.setup]}, {run.asked:,} viewers"
    if run.error:
        out.append(f"{name}: **failed**: {run.error}.")
    if run.failures:
        failed = "; ".join(f"{n:,}× {reason}" for reason, n in run.failures.most_common())
        out.append(f"{name}: viewers that did not connect: {failed}.")
    if run.event_medians:
        medians = run.event_medians
        if run.request_s:
            request = (
                f"; the {len(run.request_s)} pin requests took p50 {ms(run.request_s, 0.5)}, max "
                f"{run.request_s[-1] * 1000:,.0f} ms, {run.sending_s:.1f} s in all"
            )
        else:
            request = f"; {run.events} broadcasts in {run.sending_s:.1f} s ({run.scheduled} scheduled)"
        out.append(
            f"{name}: per event, the median latency over its viewers: best {medians[0] * 1000:,.0f} ms, median "
            f"{medians[len(medians) // 2] * 1000:,.0f} ms, worst {medians[-1] * 1000:,.0f} ms{request}; server RSS "
            f"{run.rss_mib:,.0f} MiB with the viewers connected ({run.connect_s:.0f} s to connect them)."
        )
    if len(run.by_server) > 1:
        parts = [
            f"{label}: p50 {ms(values, 0.5, run.events * run.viewers_by_server[label])}, "
            f"p95 {ms(values, 0.95, run.events * run.viewers_by_server[label])}, "
            f"p99 {ms(values, 0.99, run.events * run.viewers_by_server[label])}"
            for label, values in sorted(run.by_server.items())
        ]
        out.append(f"{name}: viewers on process " + "; on ".join(parts) + " (the host pins through A).")
    missing = run.expected_pairs - len(run.latencies)
    if missing:
        out.append(
            f"{name}: {missing:,} of {run.expected_pairs:,} (viewer, event) pairs never delivered before the end "
            f"({run.events} events × {run.connected:,} viewers)."
        )
    if run.silent:
        out.append(
            f"{name}: viewers that had their `state` but then received none of the {run.events} pin events: "
            f"{run.silent:,}."
        )
    if run.ops_failed:
        out.append(f"{name}: pin requests that failed: {dict(run.ops_failed)}.")
    if run.ops_without_event or run.ops_with_many:
        out.append(
            f"{name}: pin requests whose event no viewer received: {run.ops_without_event}; "
            f"requests matched to more than one event: {run.ops_with_many}."
        )
    if run.dropped:
        out.append(f"{name}: viewers closed by the server during the run: {run.dropped:,} ({dict(run.close_codes)}).")
    if run.disorder:
        out.append(f"{name}: events at or below a seq already received: {run.disorder:,}.")
    if run.other:
        out.append(f"{name}: other messages: {dict(run.other)}.")
    return out


def deflation(runs: list[Run]) -> str:
    """Which servers took up the viewers' permessage-deflate offer (and so compress every event per socket)."""
    took = {
        SETUPS[setup]: sum(r.deflated for r in runs if r.setup == setup)
        / max(1, sum(r.connected for r in runs if r.setup == setup))
        for setup in dict.fromkeys(r.setup for r in runs)
    }
    accepted = [name for name, share in took.items() if share > 0.5]
    declined = [name for name, share in took.items() if share <= 0.5]
    parts = []
    if accepted:
        parts.append(f"accepted, so compressing every event per socket, by: {', '.join(accepted)}")
    if declined:
        parts.append(f"declined by: {', '.join(declined)}")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", default="1000,5000,10000", help="comma-separated room sizes")
    parser.add_argument("--seconds", type=float, default=10, help="how long the host pins and unpins")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between pin requests")
    parser.add_argument("--grace", type=float, default=3, help="seconds left after the last pin for its event")
    parser.add_argument("--client-procs", type=int, default=2, help="load-generator processes")
    parser.add_argument("--batch", type=int, default=500, help="viewers connecting at once (over all processes)")
    parser.add_argument("--connect-timeout", type=float, default=60, help="seconds a viewer may take to join")
    parser.add_argument("--setups", default="single,redis,baseline", help=f"comma-separated, of {', '.join(SETUPS)}")
    parser.add_argument("--engine", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--no-deflate", action="store_true", help="viewers do not offer permessage-deflate")
    args = parser.parse_args()
    sizes = [int(n) for n in args.viewers.split(",") if n.strip()]
    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    if unknown := set(setups) - set(SETUPS):
        parser.error(f"unknown setups {sorted(unknown)}")
    limit = raise_open_files()  # inherited by the servers and the load generator
    args.workdir = Path(tempfile.mkdtemp(prefix="shoppable-bench-live-fanout-"))
    print(f"work directory (server logs): {args.workdir}; open files limit {limit:,}", flush=True)
    if max(sizes) + 1024 > limit:
        print(f"warning: {max(sizes):,} viewers need more open files than the limit {limit:,}", flush=True)

    began = time.monotonic()
    runs: list[Run] = []
    with _orders.database(args.engine, "live_fanout", args.workdir) as url:
        env = dict(os.environ, SHOPPABLE_DATABASE_URL=url, SHOPPABLE_VAR_DIR=str(args.workdir / "var"))
        env |= _orders.CHEAP_ARGON2 | {"SHOPPABLE_DB_POOL_SIZE": "20"}
        with _orders.server(env, args.workdir / "seed.log") as served:
            seeded = on_air(served.base, [100, 100])
        print(f"live {seeded.live_id} on air", flush=True)
        for size in sizes:
            for setup in setups:
                run = run_one(setup, size, env, seeded, args)
                runs.append(run)
                print(row(run), flush=True)
                for line in notes(run) + run.log_lines:
                    print(f"    {line}", flush=True)
    if "redis" in setups:
        with contextlib.suppress(Exception):
            import redis

            client = redis.Redis.from_url(args.redis_url)
            client.delete(f"shoppable:seq:{seeded.live_id}", f"shoppable:count:{seeded.live_id}")
            client.close()
    total = time.monotonic() - began

    biggest = [r for r in runs if r.setup == "single" and r.asked >= TARGET_VIEWERS]
    verdict = (
        f"Target (10,000 viewers, one process, 95 % within {TARGET_MS} ms): "
        + ("**met**" if biggest and biggest[0].met else "**not met**" if biggest else "not measured (no 10,000 run)")
        + (f" ({biggest[0].within * 100:.1f} % within {TARGET_MS} ms)." if biggest and biggest[0].latencies else ".")
    )
    extra = [line for run in runs for line in notes(run)]
    server_lines = [line for run in runs for line in run.log_lines]
    lines = [
        "## Live room fan-out (`bench/live_fanout.py`)",
        "",
        f"One room, N viewers on WebSockets; the host alternately pins and unpins a product every "
        f"{args.interval * 1000:.0f} ms for {args.seconds:g} s (`POST`/`DELETE /api/v1/lives/{{id}}/pin`, sequential, "
        "one keep-alive connection). Latency: a viewer's `time.monotonic()` at receipt minus the host's just before "
        "sending the request (same machine, same clock), so it includes the request and its database commit "
        f"({args.engine}); over every (viewer, event) pair of the viewers connected; pairs never delivered (within "
        f"{args.grace:g} s after the last pin) count as the latest (a percentile falling on them reads "
        '"undelivered"). Setups, each in fresh processes: one `shoppable serve` (one uvicorn worker, '
        "in-memory broker); two `shoppable serve` through Redis pub/sub, half of the viewers on each, the host "
        "pinning through the first; and the `websockets` library alone (`serve` + `broadcast` of a ~200-byte JSON "
        f"every {args.interval * 1000:.0f} ms, measured from its embedded send time: no request, no database) as "
        f"the baseline. Viewers: {args.client_procs} load-generator processes (asyncio on uvloop, the `websockets` "
        "sans-I/O client protocol, permessage-deflate "
        + ("not offered" if args.no_deflate else f"offered as browsers do; {deflation(runs)}")
        + f"), connecting {args.batch} at a time until every viewer has its `state`; they share the 2 cores with "
        "the server. Server CPU is in cores (CPU seconds per second of the server processes) from the first pin "
        "(or broadcast) to the last; join cost is server CPU "
        "per viewer while they connected (handshake, `state` snapshot from the database). Dropped: viewers the "
        f"server closed. Reproduce: `.venv/bin/python bench/live_fanout.py` (options `--viewers`, `--seconds`, "
        f"`--client-procs`, `--setups`). Target from the issue: {TARGET_VIEWERS:,} viewers on this 2-core "
        f"machine, 95 % of broadcasts within {TARGET_MS} ms. Whole run: {total / 60:.1f} min.",
        "",
        "| setup | viewers | p50 | p95 | p99 | ≤ 500 ms | 95 % ≤ 500 ms | dropped | seq gaps | server CPU (cores) "
        "| join cost (server CPU per viewer) | load gen CPU (cores) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *[row(run) for run in runs],
        "",
        verdict,
    ]
    if extra:
        lines += ["", *[f"- {line}" for line in extra]]
    if server_lines:
        lines += ["", "Server log lines other than connection open/close and start/stop:", ""]
        lines += [f"- `{line}`" for line in server_lines[:20]]
    write_section("live_fanout", "\n".join(lines))
    print(verdict, flush=True)
    print(f"whole run: {total / 60:.1f} min; server logs in {args.workdir}", flush=True)


if __name__ == "__main__":
    main()
