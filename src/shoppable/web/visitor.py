"""Who is looking at a page: signed in through the session cookie or not, with the CSRF token every form and
htmx request of theirs must carry. Page handlers declare which they need: ``PageVisitor`` (anyone),
``FormVisitor`` (anyone, CSRF-checked), ``Shopper`` and ``FormShopper`` (signed in; else to /signin?next=)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shoppable.identity import sessions
from shoppable.identity.deps import SESSION_COOKIE
from shoppable.identity.sessions import SignedIn
from shoppable.kit.deps import DbSession, get_database
from shoppable.kit.errors import ShoppableError
from shoppable.kit.security import CSRF_FIELD, CSRF_HEADER, csrf_matches, csrf_token, new_visitor_id
from shoppable.order import cart

VISITOR_COOKIE = "shoppable_visitor"  # binds an anonymous visitor's CSRF token (sign-in and sign-up forms)


@dataclass
class Visitor:
    user: SignedIn | None
    csrf_binding: str  # what the CSRF token is an HMAC of: the session, or the anonymous visitor's cookie
    csrf_token: str
    cart_count: int
    secure: bool
    new_visitor_id: str | None = None  # to set: an anonymous visitor without the cookie yet
    clear_session: bool = False  # the session cookie names a session that ended

    @property
    def is_signed_in(self) -> bool:
        return self.user is not None

    @property
    def user_id(self) -> str:
        assert self.user is not None
        return self.user.user_id

    def write_cookies(self, response: Response) -> None:
        if self.new_visitor_id is not None:
            response.set_cookie(
                VISITOR_COOKIE, self.new_visitor_id, path="/", httponly=True, samesite="lax", secure=self.secure
            )
        if self.clear_session:
            response.delete_cookie(SESSION_COOKIE, path="/")


class SignInRequired(Exception):
    """Raised by ``Shopper``: the page answers with a redirect to /signin that comes back here."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def sign_in_url(target: str) -> str:
    return "/signin?next=" + quote(target, safe="/")


async def resolve_visitor(request: Request, session: DbSession) -> Visitor:
    return await _visitor(request, session)


async def _visitor_outside_transaction(request: Request) -> Visitor:
    async with get_database(request).session(write=False) as session:
        return await _visitor(request, session)


async def _visitor(request: Request, session: AsyncSession) -> Visitor:
    settings = request.app.state.settings
    cookie = request.cookies.get(SESSION_COOKIE)
    user = await sessions.signed_in(session, cookie)
    secure = settings.public_url.startswith("https://")
    if user is not None:
        count = await cart.count_lines(session, user.user_id)
        visitor = Visitor(user, user.session_id, csrf_token(settings.secret_key, user.session_id), count, secure)
    else:
        visitor_id = request.cookies.get(VISITOR_COOKIE)
        fresh = None
        if not visitor_id or len(visitor_id) > 64:
            visitor_id = fresh = new_visitor_id()
        binding = "visitor|" + visitor_id
        visitor = Visitor(
            None,
            binding,
            csrf_token(settings.secret_key, binding),
            0,
            secure,
            new_visitor_id=fresh,
            clear_session=cookie is not None,
        )
    request.state.visitor = visitor
    return visitor


async def _checked(request: Request, visitor: Annotated[Visitor, Depends(resolve_visitor)]) -> Visitor:
    return await _check_csrf(request, visitor)


async def _check_csrf(request: Request, visitor: Visitor) -> Visitor:
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        presented = str((await request.form()).get(CSRF_FIELD) or "")
    if not csrf_matches(request.app.state.settings.verification_keys, visitor.csrf_binding, presented):
        raise ShoppableError(
            "csrf_failed", 403, "This form has expired or did not come from this site. Reload the page and try again."
        )
    return visitor


def _current_path(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


async def _shopper(request: Request, visitor: Annotated[Visitor, Depends(resolve_visitor)]) -> Visitor:
    if visitor.user is None:
        # A form posted by someone signed out meanwhile returns them to the page the form was on.
        if request.method == "GET":
            target = _current_path(request)
        else:
            came_from = urlsplit(request.headers.get("referer", "/"))
            target = came_from.path + (f"?{came_from.query}" if came_from.query else "")
        raise SignInRequired(target or "/")
    return visitor


# Signed in first, then the token: a form from a session that has since ended leads to the sign-in page (which
# changes nothing), not to a refusal that reads like an attack.
async def _form_shopper(request: Request, visitor: Annotated[Visitor, Depends(resolve_visitor)]) -> Visitor:
    return await _check_csrf(request, await _shopper(request, visitor))


async def _form_shopper_outside_transaction(
    request: Request, visitor: Annotated[Visitor, Depends(_visitor_outside_transaction)]
) -> Visitor:
    return await _check_csrf(request, await _shopper(request, visitor))


PageVisitor = Annotated[Visitor, Depends(resolve_visitor)]
FormVisitor = Annotated[Visitor, Depends(_checked)]
Shopper = Annotated[Visitor, Depends(_shopper)]
FormShopper = Annotated[Visitor, Depends(_form_shopper)]
FormShopperOwnTransactions = Annotated[Visitor, Depends(_form_shopper_outside_transaction)]
"""A signed-in, CSRF-checked visitor resolved without opening the request's transaction: for handlers that
run their own (checkout commits in two steps around the payment)."""
