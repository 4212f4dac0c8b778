"""Auth dependencies as ``Annotated`` aliases: every endpoint says who may call it in its signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.identity import service, sessions
from shoppable.identity.rules import CallingCreator, Principal
from shoppable.kit.deps import DbSession, get_database
from shoppable.kit.errors import ShoppableError
from shoppable.kit.security import CSRF_HEADER, csrf_matches

SESSION_COOKIE = "shoppable_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    auto_error=False,
    description="A user token from /api/v1/auth/token, or a shop API key.",
)

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


async def principal_from_authorization(session: AsyncSession, authorization: str | None) -> Principal | None:
    """The caller named by an ``Authorization`` header: None without one, 401 for a bad one."""
    scheme, _, token = (authorization or "").partition(" ")
    if not authorization or scheme.lower() != "bearer" or not token.strip():
        return None
    return await _authenticated(session, token.strip())


async def _authenticated(session: AsyncSession, token: str) -> Principal:
    principal = await service.authenticate(session, token)
    if principal is None:
        raise ShoppableError(
            "invalid_token", 401, "The bearer token is unknown, expired or revoked.", headers=_UNAUTHORIZED
        )
    return principal


async def principal_from_cookie(session: AsyncSession, request: Request) -> Principal | None:
    """The signed-in user of the page session cookie (page JavaScript calls the API with it). A request that
    changes anything must carry the page's CSRF token in ``X-CSRF-Token``: 403 ``csrf_failed`` otherwise."""
    signed = await sessions.signed_in(session, request.cookies.get(SESSION_COOKIE))
    if signed is None:
        return None
    if request.method not in _SAFE_METHODS:
        keys = request.app.state.settings.verification_keys
        if not csrf_matches(keys, signed.session_id, request.headers.get(CSRF_HEADER)):
            raise ShoppableError(
                "csrf_failed", 403, "This request needs the page's CSRF token in the X-CSRF-Token header."
            )
    return Principal(user_id=signed.user_id)


async def _optional_principal(
    request: Request, session: DbSession, token: Annotated[str | None, Depends(_bearer)]
) -> Principal | None:
    if token:
        return await _authenticated(session, token)
    return await principal_from_cookie(session, request)


async def _principal(principal: Annotated[Principal | None, Depends(_optional_principal)]) -> Principal:
    if principal is None:
        raise ShoppableError(
            "not_authenticated", 401, "This needs a bearer token or a signed-in session.", headers=_UNAUTHORIZED
        )
    return principal


async def _user(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    if principal.user_id is None:
        raise ShoppableError("user_required", 403, "This needs a user's token, not a shop API key.")
    return principal


async def _creator(session: DbSession, user: Annotated[Principal, Depends(_user)]) -> CallingCreator:
    assert user.user_id is not None
    creator = await service.creator_of_user(session, user.user_id)
    if creator is None:
        raise ShoppableError(
            "creator_required", 403, "This needs a creator profile: create one with POST /api/v1/creators."
        )
    return CallingCreator(user_id=user.user_id, creator_id=creator.id, handle=creator.handle)


async def _user_outside_transaction(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal:
    async with get_database(request).session(write=False) as session:
        principal = await _authenticated(session, token) if token else await principal_from_cookie(session, request)
    return await _user(await _principal(principal))


async def bearer_token(token: Annotated[str | None, Depends(_bearer)]) -> str:
    """The raw bearer token of the request (for revoking it)."""
    if not token:
        raise ShoppableError("not_authenticated", 401, "This needs a bearer token.", headers=_UNAUTHORIZED)
    return token


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
"""A signed-in user or a shop API key."""
CurrentUser = Annotated[Principal, Depends(_user)]
"""A signed-in user (``user_id`` is set)."""
CurrentUserOwnTransactions = Annotated[Principal, Depends(_user_outside_transaction)]
"""A signed-in user, authenticated without opening the request's transaction: for endpoints that run their
own transactions (checkout commits in two steps around the payment)."""
CurrentCreator = Annotated[CallingCreator, Depends(_creator)]
"""A signed-in user with a creator profile, acting as that creator."""
OptionalPrincipal = Annotated[Principal | None, Depends(_optional_principal)]
"""The caller if a token was given (401 for a bad one), else None: for public endpoints that say more to
someone signed in."""
