"""``GET /l/{code}``: the affiliate link redirect, the hottest path in the product, served below the framework.

The application hands these requests to ``Redirector`` before any middleware or routing (``app.ShoppableApp``).
Link codes come from an in-memory cache (links never change once made, so an entry never goes stale; misses are
not cached, so a link made in another process works at its first click), the click is queued for the batched
``ClickWriter`` (no database write on the hot path), and the 302 carries the signed attribution token in a
cookie. The commission never depends on the click row: the attribution rides in the token, so a crash may lose
at most the writer's last flush interval of click rows (``click_flush_ms``) and never a sale's credit.

A click past its address's rate (``clicks_per_ip``) is still redirected and stored, flagged ``is_throttled``,
but leaves no token: it credits no one, and the shopper's earlier tokens stay as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.types import Scope, Send

from shoppable.affiliate import links
from shoppable.affiliate.clicks import AddressRate, RepeatFilter, is_bot
from shoppable.affiliate.models import Click
from shoppable.affiliate.tokens import COOKIE, MAX_TOKENS, ClickToken, sign
from shoppable.kit.db import Database, bulk_insert_records
from shoppable.kit.headers import ALWAYS_HEADERS
from shoppable.kit.ids import new_id
from shoppable.kit.throttle import rate

log = logging.getLogger("shoppable.clicks")

LINK_PREFIX = "/l/"
_CODE = re.compile(r"[A-Za-z0-9]{1,32}")
_CLICK_COLUMNS = (
    "id",
    "link_id",
    "creator_id",
    "product_id",
    "clicked_at",
    "visitor",
    "user_agent",
    "referrer",
    "is_bot",
    "is_repeat",
    "is_throttled",
)


class ClickWriter:
    """Collects click rows in memory and stores them in one statement (COPY on PostgreSQL) every
    ``interval_s``, or as soon as ``batch_size`` rows wait (a big batch would hold the event loop, and every
    redirect behind it, for milliseconds), and once more on shutdown. A failed write keeps its rows for the
    next round; beyond ``max_pending`` rows (the database has been down a long while) new clicks are counted
    as dropped."""

    def __init__(
        self, database: Database, interval_s: float, *, batch_size: int = 1000, max_pending: int = 1_000_000
    ) -> None:
        self.database = database
        self.interval_s = interval_s
        self.batch_size = batch_size
        self.max_pending = max_pending
        self.stored = 0
        self.dropped = 0
        self._pending: list[tuple[Any, ...]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    def _bind(self) -> None:
        # asyncio primitives belong to one event loop; a test harness may run the app on several in turn.
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._lock, self._wake = loop, asyncio.Lock(), asyncio.Event()

    def add(self, row: tuple[Any, ...]) -> None:
        if len(self._pending) >= self.max_pending:
            self.dropped += 1
            return
        self._pending.append(row)
        if len(self._pending) == self.batch_size:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> int:
        """Store what is queued now (a batch at most); how many rows were stored."""
        self._bind()
        async with self._lock:
            batch, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
            if not batch:
                return 0
            try:
                async with self.database.session() as session:
                    await bulk_insert_records(session, Click.__table__, _CLICK_COLUMNS, batch)  # type: ignore[arg-type]
            except Exception:
                log.exception("storing %d clicks failed; they are kept for the next round", len(batch))
                self._pending[:0] = batch
                return 0
            self.stored += len(batch)
            if len(self._pending) >= self.batch_size:
                self._wake.set()
            return len(batch)

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every interval (or full batch) until ``stop`` is set, then flush what is left."""
        self._bind()

        async def wake_on_stop() -> None:
            await stop.wait()
            self._wake.set()

        watcher = asyncio.get_running_loop().create_task(wake_on_stop())
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
            await self.flush()
        await watcher
        while await self.flush():  # what came in during the last write too
            pass


_NOT_FOUND_PAGE = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Link not found</title>"
    b"<h1>This link does not exist</h1><p>Check the address, or ask whoever shared it for a new one.</p></html>"
)


_UNAVAILABLE_PAGE = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Try again</title>"
    b"<h1>This link cannot be opened right now</h1><p>Please try again in a few seconds.</p></html>"
)


class Redirector:
    """Answers link clicks: looks the code up, records the click, sets the attribution cookie."""

    def __init__(
        self,
        database: Database,
        writer: ClickWriter,
        *,
        secret: str,
        window_days: int,
        secure_cookie: bool,
        clicks_per_ip: str = "120/minute",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache_entries: int = 200_000,
    ) -> None:
        self.database = database
        self.writer = writer
        self.secret = secret
        self.clock = clock
        self.repeats = RepeatFilter()
        per_ip = rate(clicks_per_ip)
        self.rate = AddressRate(per_ip.amount, per_ip.get_expiry())
        self._bots: dict[bytes, bool] = {}  # user agent -> is a bot (the same few agents make most clicks)
        self.cache_entries = cache_entries
        self._codes: dict[str, tuple[str, str, str]] = {}
        self._visitor_key = hmac.new(secret.encode(), b"shoppable click visitor", hashlib.sha256).digest()[:32]
        attributes = f"Max-Age={window_days * 86400}; Path=/; HttpOnly; SameSite=Lax"
        self._cookie_attributes = (attributes + ("; Secure" if secure_cookie else "")).encode()

    async def _link(self, code: str) -> tuple[str, str, str] | None:
        found = self._codes.get(code)
        if found is not None:
            return found
        async with self.database.session(write=False) as session:
            found = await links.link_for_code(session, code)
        if found is not None:
            if len(self._codes) >= self.cache_entries:
                self._codes.pop(next(iter(self._codes)))
            self._codes[code] = found
        return found

    async def __call__(self, scope: Scope, send: Send) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, [(b"allow", b"GET, HEAD")], b"")
            return
        code = scope["path"][len(LINK_PREFIX) :]
        try:
            target = await self._link(code) if _CODE.fullmatch(code) else None
        except Exception:  # the database is unreachable: say so, never a stack trace
            log.exception("looking up link %r failed", code)
            await _respond(
                send,
                503,
                [(b"content-type", b"text/html; charset=utf-8"), (b"retry-after", b"5")],
                _UNAVAILABLE_PAGE,
                method,
            )
            return
        if target is None:
            await _respond(send, 404, [(b"content-type", b"text/html; charset=utf-8")], _NOT_FOUND_PAGE, method)
            return
        link_id, creator_id, product_id = target
        agent = referrer = cookie = b""
        for name, value in scope["headers"]:
            if name == b"user-agent":
                agent = value
            elif name == b"cookie":
                cookie = value
            elif name == b"referer":
                referrer = value
        user_agent = agent.decode("latin-1")
        client = scope.get("client")
        address = client[0] if client else ""
        visitor = hashlib.blake2b(address.encode() + b"\x1f" + agent, key=self._visitor_key, digest_size=16).hexdigest()
        now = self.clock()
        throttled = bool(address) and self.rate.is_over(address, now.timestamp())
        click_id = new_id("clk")
        bot = self._bots.get(agent)
        if bot is None:
            if len(self._bots) >= 10_000:
                self._bots.clear()
            bot = self._bots[agent] = is_bot(user_agent)
        repeat = not bot and self.repeats.is_repeat(visitor, link_id, now)
        self.writer.add(
            (
                click_id,
                link_id,
                creator_id,
                product_id,
                now,
                visitor,
                user_agent[:512] or None,
                referrer.decode("latin-1")[:512] or None,
                bot,
                repeat,
                throttled,
            )
        )
        location = (b"location", f"/products/{product_id}".encode())
        if throttled:
            await _respond(send, 302, [location, (b"cache-control", b"no-store")], b"")
            return
        token = sign(ClickToken(link_id, creator_id, product_id, now, click_id), self.secret)
        tokens = [*earlier_tokens(cookie)[-(MAX_TOKENS - 1) :], token]
        headers = [
            location,
            (b"set-cookie", COOKIE.encode() + b"=" + "~".join(tokens).encode() + b"; " + self._cookie_attributes),
            (b"cache-control", b"no-store"),
        ]
        await _respond(send, 302, headers, b"")


def earlier_tokens(cookie_header: bytes) -> list[str]:
    """The attribution tokens already in the request's cookie (unverified: checkout verifies them)."""
    marker = COOKIE.encode() + b"="
    start = cookie_header.find(marker)
    if start < 0 or (start > 0 and cookie_header[start - 1 : start] not in (b" ", b";")):
        return []
    value = cookie_header[start + len(marker) :].split(b";", 1)[0].strip()
    return [t for t in value.decode("latin-1").split("~") if t][-MAX_TOKENS:]


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, method: str = "GET"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            # Answered before the middleware (app.py), so the headers every response carries are added here.
            "headers": [*headers, *ALWAYS_HEADERS, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body if method != "HEAD" else b""})
