"""The interactive API docs (``/docs``, Swagger UI) and the reference (``/redoc``), served from vendored files.

FastAPI's own pages load their scripts from a CDN and start them with an inline script: blank offline, and
refused under the pages' ``script-src 'self'``. These load only ``/static`` files (``static/vendor/README.md``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from shoppable.kit.headers import PAGE_POLICY

# Redoc's styling library writes <style> elements at run time and searches in a blob: worker; scripts stay 'self'.
REDOC_POLICY = PAGE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + "; worker-src 'self' blob:"
POLICIES = {"/redoc": REDOC_POLICY}

_templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str) -> Response:
    app = request.app
    return _templates.TemplateResponse(
        request, name, {"title": f"{app.title} {app.version}", "openapi_url": app.openapi_url or "/openapi.json"}
    )


@router.get("/docs")
async def swagger_ui(request: Request) -> Response:
    return _page(request, "docs/swagger.html")


@router.get("/redoc")
async def redoc(request: Request) -> Response:
    return _page(request, "docs/redoc.html")
