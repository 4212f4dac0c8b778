"""Errors on pages: a browser asking for a page gets a page (sign in, forbidden, not found, or a request id),
never problem JSON and never a stack trace."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from shoppable.web.templating import render
from shoppable.web.visitor import SignInRequired, sign_in_url

_NOT_PAGES = ("/api/", "/ws/", "/l/", "/media/", "/static/", "/openapi.json")
_TITLES = {
    400: "That request did not look right",
    403: "You can't do that here",
    404: "We couldn't find that page",
    405: "That doesn't work here",
    409: "That can't happen right now",
    422: "Some details need a look",
    500: "Something went wrong on our side",
}


def is_page_request(request: Request) -> bool:
    if request.url.path.startswith(_NOT_PAGES) or request.headers.get("hx-request"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


async def page_error(request: Request, status: int, code: str, detail: str) -> Response | None:
    if not is_page_request(request):
        return None
    if status == 401:
        return RedirectResponse(sign_in_url(request.url.path), status_code=303)
    context = {
        "status": status,
        "code": code,
        "heading": _TITLES.get(status, "Something went wrong"),
        "detail": detail,
        "request_id": request.scope.get("state", {}).get("request_id", "-"),
    }
    return render(request, "error.html", context, status_code=status)


async def on_sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    response = RedirectResponse(sign_in_url(exc.target), status_code=303)
    visitor = getattr(request.state, "visitor", None)
    if visitor is not None:
        visitor.write_cookies(response)  # a session that ended is forgotten by the browser too
    return response
