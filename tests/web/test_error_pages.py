"""Errors on pages are pages: a 500 shows a request id and no stack trace; API paths keep problem details."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from shoppable.kit.errors import ShoppableError
from shoppable.kit.http import RequestIdMiddleware, install_error_handlers
from shoppable.web.errors import page_error


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app, page_error)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/explodes")
    async def explodes() -> None:
        raise RuntimeError("secret internals")

    @app.get("/api/v1/explodes")
    async def api_explodes() -> None:
        raise RuntimeError("secret internals")

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise ShoppableError("forbidden", 403, "Only the shop's staff may see this.")

    return app


async def test_a_server_error_on_a_page_shows_the_request_id_and_nothing_inside() -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers={"accept": "text/html"}) as http:
        page = await http.get("/explodes", headers={"x-request-id": "req-abc123"})
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert "req-abc123" in page.text
        assert "secret internals" not in page.text
        assert "Traceback" not in page.text
        api = await http.get("/api/v1/explodes")
        assert api.status_code == 500
        assert api.json()["code"] == "internal_error"
        refused = await http.get("/forbidden")
        assert refused.status_code == 403
        assert "Only the shop&#39;s staff may see this." in refused.text
        assert "Back to the shop" in refused.text
        as_json = await http.get("/forbidden", headers={"accept": "application/json"})
        assert as_json.json()["code"] == "forbidden"
