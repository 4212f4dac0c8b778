"""Affiliate link redirects: `GET /l/{code}` against one server process with the click writer on, measured with
wrk, beside an nginx `return 302` on the same machine as the ceiling; then every click is accounted for.

Migrates a fresh database, starts `shoppable serve` (one uvicorn worker, the click writer and the outbox worker
in process) and seeds through the public API: a seller with a shop, two products and a shop-wide affiliate plan,
a creator with a link to each product. One redirect is checked first (302, a `Location`, a `Set-Cookie`) and the
second link gets a short wrk warm-up. Then wrk (2 threads, `--connections` connections, a browser User-Agent,
never following the redirect) loads the first link for `--seconds`. A small wrk Lua script counts the requests
wrk sends; the ones still in flight when wrk stops are served too, so served = sent (= completed + in flight).
After the load the script polls `affiliate_clicks` until the click writer has stored them all, and prints
clicks stored vs requests served: they must be equal (exit status 1 if not). Last, nginx (one worker, a
generated config in a temporary directory) answers `return 302` under the same wrk command.
Run: `.venv/bin/python bench/redirect.py [--engine postgresql|sqlite] [--seconds 10] [--connections 64]`.
Needs wrk and nginx (Debian packages `wrk`, `nginx`). Target from the issue: ≥ 15,000 redirects/s per
process, p99 < 10 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _orders  # noqa: E402
from _report import write_section  # noqa: E402
from _server import free_port  # noqa: E402

TARGET_RATE = 15_000
TARGET_P99_MS = 10.0
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
# Counts the requests each wrk thread sends: wrk's "N requests" counts completed responses only, and the
# requests in flight when it stops reach the server too. The request itself is wrk's usual one, built once.
# wrk calls request() once on its first thread, before sending anything, to check the request it makes
# (`script_verify_request` in wrk.c): that thread's count starts at -1.
WRK_LUA = """
local threads = {}
function setup(thread)
  thread:set("sent", #threads == 0 and -1 or 0)
  table.insert(threads, thread)
end
function init(args) req = wrk.format() end
function request() sent = sent + 1; return req end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("sent") end
  io.write(string.format("requests sent: %d\\n", total))
end
"""
NGINX_CONF = """
daemon off;
master_process on;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 302 http://127.0.0.1/x; }}
    }}
}}
"""


# --- wrk ---------------------------------------------------------------------------------------------------


def _ms(value: str, unit: str) -> float:
    return float(value) / 1000 if unit == "us" else float(value) * 1000 if unit == "s" else float(value)


def wrk(url: str, seconds: int, connections: int, workdir: Path) -> dict[str, Any]:
    """wrk -t2 -c``connections`` -d``seconds``s --latency on ``url`` with a browser User-Agent; its figures."""
    script = workdir / "count.lua"
    script.write_text(WRK_LUA)
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    command += ["-H", f"User-Agent: {USER_AGENT}", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def number(pattern: str) -> str:
        match = re.search(pattern, out, re.M)
        if not match:
            raise RuntimeError(f"unexpected wrk output (no {pattern!r}):\n{out}")
        return match.group(1)

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            raise RuntimeError(f"unexpected wrk output (no {label}% latency):\n{out}")
        return _ms(match.group(1), match.group(2))

    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_3xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    completed = int(number(r"^\s*(\d+) requests in "))
    return {
        "rate": float(number(r"^Requests/sec:\s+([\d.]+)")),
        "p50": latency("50"),
        "p99": latency("99"),
        "completed": completed,
        "sent": int(number(r"^requests sent: (\d+)")),
        "non_3xx": int(non_3xx.group(1)) if non_3xx else 0,
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True))
        if sockets
        else {},
        "output": out,
    }


def socket_errors_text(result: dict[str, Any]) -> str:
    errors = {kind: n for kind, n in result["socket_errors"].items() if n}
    return ", ".join(f"{kind} {n}" for kind, n in errors.items()) or "none"


# --- one request, not following the redirect -------------------------------------------------------------------


def fetch(base: str, path: str) -> tuple[int, http.client.HTTPMessage]:
    """GET ``path`` once with the browser User-Agent; the status and headers, the redirect not followed."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", path, headers={"User-Agent": USER_AGENT})
        response = connection.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        connection.close()


# --- nginx, the ceiling ----------------------------------------------------------------------------------------


def nginx_ceiling(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """nginx (one worker) answering `return 302` on a free local port, under the same wrk command."""
    home = workdir / "nginx"
    home.mkdir(exist_ok=True)
    port = free_port()
    conf = home / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=home, port=port))
    base = f"http://127.0.0.1:{port}"
    with (home / "stderr.log").open("a") as stderr:
        process = subprocess.Popen(
            ["nginx", "-p", str(home), "-e", str(home / "error.log"), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        for _ in range(100):
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited with {process.returncode}: see {home}/error.log")
            try:
                status, headers = fetch(base, "/l/x")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"nginx at {base} did not come up")
        if status != 302 or not headers.get("Location"):
            raise RuntimeError(f"nginx answered {status}, Location {headers.get('Location')!r}")
        return wrk(f"{base}/l/x", args.seconds, args.connections, workdir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- seeding through the public API ----------------------------------------------------------------------------


@dataclass
class Link:
    id: str
    code: str


def _ok(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(
            f"{what}: {response.request.method} {response.request.url.path} answered {response.status_code}, "
            f"not {status}: {response.text[:2000]}"
        )
    body: dict[str, Any] = response.json()
    return body


def _account(client: httpx.Client, who: str) -> dict[str, str]:
    email = f"{who}-{time.time_ns()}@example.com"
    _ok(
        client.post("/api/v1/auth/register", json={"email": email, "password": "bench-password", "name": who}),
        201,
        f"register the {who}",
    )
    token = _ok(
        client.post("/api/v1/auth/token", data={"username": email, "password": "bench-password"}),
        200,
        f"sign the {who} in",
    )
    return {"Authorization": f"Bearer {token['access_token']}"}


def seed(base: str) -> list[Link]:
    """A seller's shop with two products under a shop-wide plan, a creator with a link to each: the links."""
    with httpx.Client(base_url=base, timeout=30) as client:
        seller = _account(client, "seller")
        shop = _ok(
            client.post("/api/v1/shops", json={"name": "Bench Shop", "currency": "USD"}, headers=seller),
            201,
            "open a shop",
        )
        products = []
        for i in range(2):
            body = {
                "title": f"Bench Tee {i}",
                "status": "active",
                "options": [],
                "variants": [{"sku": f"BENCH-TEE-{i}", "price": 1999, "inventory_quantity": 10}],
            }
            products.append(
                _ok(
                    client.post(f"/api/v1/shops/{shop['id']}/products", json=body, headers=seller), 201, "add a product"
                )
            )
        plan = {"kind": "shop", "name": "All", "commission_bps": 1000}
        _ok(client.post(f"/api/v1/shops/{shop['id']}/affiliate-plans", json=plan, headers=seller), 201, "open a plan")
        creator = _account(client, "creator")
        profile = {"handle": "benchcreator", "display_name": "Bench"}
        _ok(client.post("/api/v1/creators", json=profile, headers=creator), 201, "become a creator")
        links = []
        for product in products:
            link = _ok(
                client.post("/api/v1/affiliate/links", json={"product_id": product["id"]}, headers=creator),
                201,
                "make a link",
            )
            links.append(Link(id=link["id"], code=link["code"]))
        if links[0].code == links[1].code:
            raise RuntimeError(f"both products got the same link code {links[0].code!r}")
        return links


def check_redirect(base: str, code: str) -> str:
    """One redirect, not followed: a 302 with a Location and a Set-Cookie, or an error naming what is wrong."""
    status, headers = fetch(base, f"/l/{code}")
    location, cookie = headers.get("Location"), headers.get("Set-Cookie")
    if status != 302 or not location or not cookie:
        raise RuntimeError(f"GET /l/{code} answered {status}, Location {location!r}, Set-Cookie {cookie!r}")
    return f"GET /l/{code} → {status}, Location: {location}, Set-Cookie: {cookie.split(';', 1)[0][:60]}…"


# --- the clicks stored -----------------------------------------------------------------------------------------


def stored(url: str, link_id: str) -> dict[str, int]:
    """Clicks stored for ``link_id``: all of them, and how many are flagged bot and repeat."""
    sql = (
        "SELECT count(*), coalesce(sum(CASE WHEN is_bot THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN is_repeat THEN 1 ELSE 0 END), 0) FROM affiliate_clicks WHERE link_id = '%s'"
    )
    name = _orders.database_name(url)
    if name:
        row = _orders.psql(sql % link_id, name).strip().split("|")
    else:
        path = url.split("///", 1)[1]
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
            row = connection.execute(sql.replace("'%s'", "?"), (link_id,)).fetchone()
    clicks, bots, repeats = (int(value) for value in row)
    return {"clicks": clicks, "bots": bots, "repeats": repeats}


def drain(url: str, link_id: str, expected: int, timeout: float = 30.0) -> tuple[dict[str, int], float]:
    """Poll every 0.2 s until the clicks stored for ``link_id`` equal ``expected`` and stay so for a second, or stop
    changing for 5 s, or ``timeout`` passes; the last count and the seconds it took to reach it."""
    started = time.monotonic()
    last, changed = stored(url, link_id), started
    while time.monotonic() - started < timeout:
        time.sleep(0.2)
        now = stored(url, link_id)
        if now["clicks"] != last["clicks"]:
            last, changed = now, time.monotonic()
        elif time.monotonic() - changed >= (1.0 if now["clicks"] == expected else 5.0):
            break
        last = now
    return last, changed - started


def cpu_per_request(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float], requests: int) -> str:
    used = {"server": 0.0, "postgresql": 0.0}
    for (which, pid), seconds in after.items():
        used[which] += seconds - before.get((which, pid), 0.0)
    per = {which: seconds * 1e6 / max(requests, 1) for which, seconds in used.items()}
    return f"server {per['server']:.0f} µs, PostgreSQL backends {per['postgresql']:.0f} µs"


# --- the run ---------------------------------------------------------------------------------------------------


def measure_server(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    log = workdir / f"server-{args.engine}.log"
    with _orders.database(args.engine, "redirect", workdir) as url:
        # Seeding registers and signs in two users over HTTP: cheap Argon2 makes that instant (redirects hash
        # no password).
        env = dict(os.environ, SHOPPABLE_DATABASE_URL=url, SHOPPABLE_VAR_DIR=str(workdir / "var"))
        env |= _orders.CHEAP_ARGON2 | {"SHOPPABLE_READ_CACHE": "true"}
        # wrk's connections all come from one address: past `clicks_per_ip` every click would take the flagged
        # path (no token to sign). A rate this high measures the ordinary path with its per-address count.
        env["SHOPPABLE_CLICKS_PER_IP"] = "1000000000/minute"
        database = _orders.database_name(url)
        try:
            with _orders.server(env, log) as served:
                links = seed(served.base)
                measured, warm = links
                print(f"  {check_redirect(served.base, warm.code)}", flush=True)
                if args.seed_only:
                    return {}
                if args.warmup:
                    warmup = wrk(f"{served.base}/l/{warm.code}", args.warmup, args.connections, workdir)
                    clicks, _ = drain(url, warm.id, warmup["sent"] + 1)
                    print(
                        f"  warm-up on a second link: {warmup['sent'] + 1:,} requests served (with the check), "
                        f"{clicks['clicks']:,} clicks stored",
                        flush=True,
                    )
                before = _orders.cpu_seconds(served.pid, database)
                result = wrk(f"{served.base}/l/{measured.code}", args.seconds, args.connections, workdir)
                clicks, drained_s = drain(url, measured.id, result["sent"])
                result["cpu"] = cpu_per_request(before, _orders.cpu_seconds(served.pid, database), result["sent"])
                result["clicks"], result["drained_s"] = clicks, drained_s
                result["check_after"] = check_redirect(served.base, warm.code)
            # The server flushes what is left on shutdown: a count after it says whether anything was late.
            result["clicks_after_shutdown"] = stored(url, measured.id)["clicks"]
        except Exception:
            errors = _orders.server_errors(log)
            if errors:
                print(f"server log {log}, last traceback:\n{errors}", file=sys.stderr, flush=True)
            raise
        result["server_traceback"] = _orders.server_errors(log)
        result["log"] = log
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["postgresql", "postgres", "sqlite"], default="postgresql")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk on a second link before measuring")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the nginx ceiling")
    parser.add_argument("--seed-only", action="store_true", help="seed, check one redirect and stop (no load)")
    args = parser.parse_args()
    args.engine = "postgresql" if args.engine == "postgres" else args.engine
    for tool in ("wrk",) if args.no_ceiling or args.seed_only else ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed: apt-get install {tool}")
    workdir = Path(tempfile.mkdtemp(prefix="shoppable-bench-redirect-"))
    print(f"work directory (server log): {workdir}", flush=True)

    result = measure_server(args, workdir)
    if args.seed_only:
        print("seeded and redirected: ok")
        return
    clicks = result["clicks"]
    equal = clicks["clicks"] == result["sent"]
    print(
        f"  {args.engine}: {result['rate']:,.0f} redirects/s, p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms; "
        f"wrk: {result['completed']:,} completed + {result['sent'] - result['completed']} in flight at the end "
        f"= {result['sent']:,} served; non-2xx/3xx {result['non_3xx']}, socket errors {socket_errors_text(result)}",
        flush=True,
    )
    print(
        f"  clicks stored {clicks['clicks']:,} ({clicks['repeats']:,} flagged repeat, {clicks['bots']:,} bot) "
        f"vs requests served {result['sent']:,}: equal: {'yes' if equal else 'no'} "
        f"(drained {result['drained_s']:.1f} s after wrk ended; {result['clicks_after_shutdown']:,} after the "
        f"server stopped)",
        flush=True,
    )
    print(f"  CPU per redirect (wrk start to clicks drained): {result['cpu']}", flush=True)
    distribution = re.search(r"Latency Distribution\n((?:\s+\d+%.*\n)+)", result["output"])
    if distribution:
        cells = distribution.group(1).split()
        print("  latency distribution: " + ", ".join(" ".join(cells[i : i + 2]) for i in range(0, len(cells), 2)))
    print(f"  after the load: {result['check_after']}", flush=True)
    if result["server_traceback"]:
        print(f"  server log {result['log']}, last traceback:\n{result['server_traceback']}", flush=True)

    ceiling = None if args.no_ceiling else nginx_ceiling(args, workdir)
    ceiling_cell = "–"
    if ceiling:
        ceiling_cell = f"{ceiling['rate']:,.0f}/s (p50 {ceiling['p50']:.2f} ms, p99 {ceiling['p99']:.2f} ms)"
        print(f"  nginx `return 302` (ceiling): {ceiling_cell}", flush=True)

    met = result["rate"] >= TARGET_RATE and result["p99"] < TARGET_P99_MS
    lines = [
        "## Affiliate link redirects (`bench/redirect.py`)",
        "",
        f"`GET /l/{{code}}` (a 302 to the product page, a signed `Set-Cookie`, the click queued for the batched "
        f"writer) against one `shoppable serve` process (one uvicorn worker; the click writer and the outbox worker "
        f"in process) on {args.engine}. wrk, 2 threads and {args.connections} connections for {args.seconds} s on "
        "one link, a browser User-Agent, redirects not followed, on the same 2-core machine; before it, one "
        f"checked redirect and {args.warmup} s of wrk on a second link. Served counts wrk's completed responses "
        "plus the requests in flight when it stopped (a wrk Lua script counts what it sends); stored counts the "
        "rows in `affiliate_clicks` once the writer has drained (repeats and bots are stored flagged). The "
        "ceiling is nginx (one worker, `return 302`, access log off) under the same wrk command in the same run. "
        f"Reproduce: `.venv/bin/python bench/redirect.py` (options `--engine`, `--seconds`, `--connections`). "
        f"Target from the issue: ≥ {TARGET_RATE:,} redirects/s per process, p99 < {TARGET_P99_MS:.0f} ms.",
        "",
        "| engine | target | redirects/s | p50 | p99 | clicks served / stored | nginx `return 302` (ceiling) |",
        "|---|---|---|---|---|---|---|",
        f"| {args.engine} | ≥ {TARGET_RATE:,}/s, p99 < {TARGET_P99_MS:.0f} ms: {'met' if met else 'not met'} "
        f"| {result['rate']:,.0f} | {result['p50']:.2f} ms | {result['p99']:.2f} ms "
        f"| {result['sent']:,} / {clicks['clicks']:,} ({'equal' if equal else 'NOT EQUAL'}) | {ceiling_cell} |",
        "",
        f"Non-2xx/3xx answers: {result['non_3xx']}; socket errors: {socket_errors_text(result)}. Clicks stored "
        f"{result['drained_s']:.1f} s after wrk ended; {clicks['repeats']:,} of them flagged repeat (one visitor), "
        f"{clicks['bots']:,} bot. CPU per redirect from wrk's start until the clicks were stored: {result['cpu']}.",
    ]
    write_section("redirect", "\n".join(lines))
    print(f"clicks stored {clicks['clicks']:,}, requests served {result['sent']:,}, equal: {'yes' if equal else 'no'}")
    if not equal:
        sys.exit(1)


if __name__ == "__main__":
    main()
