"""HTTP edge pieces: RFC 9457 problem responses, exception handlers, request ids, fast JSON."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shoppable.kit.errors import ShoppableError

log = logging.getLogger("shoppable")

PROBLEM_TYPE = "https://shoppable.dev/problems/"
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class Problem(BaseModel):
    """RFC 9457 problem details: every error this API returns has this shape."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="Machine-readable: `not_found`, `validation_error`, `out_of_stock`...")
    errors: list[dict[str, Any]] | None = Field(
        None, description='Field errors: `{"loc": ["body", "variants", 0, "price"], "msg": "..."}`'
    )


def problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_response("Malformed request"),
    401: problem_response("Missing or invalid credentials"),
    403: problem_response("Authenticated but not allowed"),
    404: problem_response("Not found, or not visible to you"),
    409: problem_response("Conflicts with the current state"),
    422: problem_response("Invalid fields (see `errors`)"),
}


class FastJSONResponse(JSONResponse):
    """JSON rendered by orjson (several times faster than the standard library on our payloads)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_UTC_Z)


def problem_body(status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem_body(status, code, detail, errors)
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/problem+json")


def json_response(body: Any, status_code: int = 200) -> Response:
    return FastJSONResponse(body, status_code=status_code)


def stored_response(status: int, body: Any) -> Response:
    """A response kept for replay (idempotency): JSON, or problem details when it was an error."""
    if status >= 400:
        return Response(orjson.dumps(body), status_code=status, media_type="application/problem+json")
    return FastJSONResponse(body, status_code=status)


def _jsonable_loc(loc: Any) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


PageErrors = Callable[[Request, int, str, str], Awaitable[Response | None]]
"""Renders an error as a page for a browser on a page route; None to answer with problem details."""


async def _answer(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    pages: PageErrors | None = getattr(request.app.state, "page_errors", None)
    if pages is not None:
        page = await pages(request, status, code, detail)
        if page is not None:
            if headers and page.status_code == status:  # Retry-After on a 429 page; never on a sign-in redirect
                page.headers.update(headers)
            return page
    return problem(status, code, detail, errors=errors, headers=headers)


async def _on_shoppable_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ShoppableError)
    return await _answer(request, exc.status, exc.code, exc.detail, errors=exc.errors, headers=exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    errors = [{"loc": _jsonable_loc(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in raw]
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(400, "malformed_json", "The request body is not valid JSON.", errors=errors)
    detail = "The request has invalid fields; see errors."
    return await _answer(request, 422, "validation_error", detail, errors=errors)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
    code = codes.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
    return await _answer(request, exc.status_code, code, detail, headers=getattr(exc, "headers", None))


# PostgreSQL refuses text it cannot store (a NUL character, bytes invalid in UTF-8): that is bad input, not a
# server fault. SQLite stores such text, so only PostgreSQL reports it, from whichever statement meets it first.
_UNSTORABLE_TEXT = {"22021", "22P05"}


def _sqlstate(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str):
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


async def _on_database_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DBAPIError) and _sqlstate(exc) in _UNSTORABLE_TEXT:
        detail = "The request contains text that cannot be stored (a NUL character)."
        return await _answer(request, 400, "invalid_text", detail)
    return await _on_unhandled(request, exc)


async def _on_unhandled(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.exception("unhandled error on %s %s (request %s)", request.method, request.url.path, request_id)
    return await _answer(request, 500, "internal_error", f"Something went wrong on our side (request {request_id}).")


def install_error_handlers(app: FastAPI, pages: PageErrors | None = None) -> None:
    app.state.page_errors = pages
    app.add_exception_handler(ShoppableError, _on_shoppable_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(Exception, _on_unhandled)


class RequestIdMiddleware:
    """Tags every request with an id (``X-Request-Id`` in and out) for logs and error bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"")
        request_id = incoming.decode("latin-1")[:64] if incoming else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode("latin-1")))
            await send(message)

        await self.app(scope, receive, send_with_id)
