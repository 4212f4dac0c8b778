"""Request bodies are limited while they are read: a declared ``Content-Length`` over the limit is refused before
a byte is read, and a body that grows past it (chunked, or longer than declared) is cut off there. Either way
the answer is 413 ``body_too_large`` and the server never holds more than the limit.

Limits go by route kind: a pattern of (method, path) with its own limit (uploads, imports), else the default
(JSON and forms).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shoppable.kit.http import problem_body


class _TooLarge(Exception):
    pass


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MiB" if size >= 1024 * 1024 else f"{size // 1024} KiB"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, default: int, routes: Iterable[tuple[str, str, int]] = ()) -> None:
        """``routes``: (method, path regex, limit in bytes); the first that matches wins."""
        self.app = app
        self.default = default
        self.routes = [(method, re.compile(pattern), limit) for method, pattern, limit in routes]

    def limit_for(self, method: str, path: str) -> int:
        for route_method, pattern, limit in self.routes:
            if method == route_method and pattern.fullmatch(path):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # whatever the application made of the cut-off body, the answer is the 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):  # the application let the cut-off body's exception through
            await self.app(scope, limited_receive, guarded_send)
        if exceeded and not started:
            await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = orjson.dumps(
        problem_body(413, "body_too_large", f"The request body is larger than this endpoint takes ({_mib(limit)}).")
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
