"""Browser sessions: started by signing in, carried in an HttpOnly cookie, stored hashed, revocable one by one
or all at once (changing the password signs out everywhere else)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.identity import passwords, tokens
from shoppable.identity.models import User, WebSession
from shoppable.identity.service import verify_credentials
from shoppable.identity.throttling import AuthThrottle
from shoppable.kit.clock import utcnow
from shoppable.kit.db import core_execute
from shoppable.kit.errors import ShoppableError
from shoppable.kit.ids import new_id

SESSION_PREFIX = "sps_"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a session cookie stands for."""

    session_id: str
    user_id: str
    name: str
    email: str


async def start_session(
    session: AsyncSession, *, email: str, password: str, ttl: timedelta, throttle: AuthThrottle, user_agent: str = ""
) -> tuple[User, str]:
    """Sign in with a password: the user and the session secret for the cookie (shown once, stored hashed)."""
    user = await verify_credentials(session, email=email, password=password, throttle=throttle)
    return user, await open_session(session, user.id, ttl=ttl, user_agent=user_agent)


async def open_session(session: AsyncSession, user_id: str, *, ttl: timedelta, user_agent: str = "") -> str:
    secret = tokens.new_secret(SESSION_PREFIX)
    now = utcnow()
    session.add(
        WebSession(
            id=new_id("ses"),
            user_id=user_id,
            token_hash=tokens.digest(secret),
            user_agent=user_agent[:300],
            created_at=now,
            expires_at=now + ttl,
            revoked_at=None,
        )
    )
    await session.flush()
    return secret


_SESSION_BY_HASH = (
    select(WebSession.id, WebSession.user_id, WebSession.expires_at, User.name, User.email)
    .join(User, User.id == WebSession.user_id)
    .where(WebSession.token_hash == bindparam("hashed"), WebSession.revoked_at.is_(None), User.is_active)
)


async def signed_in(session: AsyncSession, secret: str | None) -> SignedIn | None:
    """The user a session cookie stands for; None when it is missing, unknown, expired or revoked."""
    if not secret or not secret.startswith(SESSION_PREFIX) or len(secret) > 100:
        return None
    row = (await core_execute(session, _SESSION_BY_HASH, {"hashed": tokens.digest(secret)})).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return SignedIn(session_id=row.id, user_id=row.user_id, name=row.name, email=row.email)


async def end_session(session: AsyncSession, secret: str) -> None:
    await session.execute(
        update(WebSession)
        .where(WebSession.token_hash == tokens.digest(secret), WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def end_other_sessions(session: AsyncSession, user_id: str, *, keep_session_id: str | None) -> int:
    """Sign the user out everywhere but ``keep_session_id``: how many sessions ended."""
    statement = update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    if keep_session_id is not None:
        statement = statement.where(WebSession.id != keep_session_id)
    result = await session.execute(statement.values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


async def active_sessions(session: AsyncSession, user_id: str) -> list[WebSession]:
    rows = await session.execute(
        select(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None), WebSession.expires_at > utcnow())
        .order_by(WebSession.created_at.desc())
    )
    return list(rows.scalars())


async def change_password(
    session: AsyncSession,
    user_id: str,
    *,
    current: str,
    new: str,
    keep_session_id: str | None,
    throttle: AuthThrottle,
) -> None:
    """A new password after the current one is proven; every other session is signed out. Wrong current
    passwords are throttled like sign-ins (per account and address): 429 ``rate_limited``."""
    await throttle.check_password_change(user_id)
    user = await session.get(User, user_id)
    if user is None or not await passwords.verify_password(user.password_hash, current):
        await throttle.password_change_failed(user_id)
        raise ShoppableError(
            "invalid_credentials",
            422,
            "The current password is wrong.",
            errors=[{"loc": ["body", "current_password"], "msg": "wrong password"}],
        )
    if len(new) < 8 or len(new) > 256:
        raise ShoppableError(
            "validation_error",
            422,
            "A password is 8 to 256 characters.",
            errors=[{"loc": ["body", "new_password"], "msg": "8 to 256 characters"}],
        )
    await passwords.check_strength(new, email=user.email, name=user.name, field="new_password")
    user.password_hash = await passwords.hash_password(new)
    await session.flush()
    await end_other_sessions(session, user_id, keep_session_id=keep_session_id)
