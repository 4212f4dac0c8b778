"""Identity use cases: register, sign in, authenticate bearer tokens, memberships and shop API keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shoppable.config import get_settings
from shoppable.identity import passwords, tokens
from shoppable.identity.models import AccessToken, ApiKey, Creator, ShopMembership, User
from shoppable.identity.rules import Principal, ShopRole, check_handle, normalise_email
from shoppable.identity.throttling import AuthThrottle
from shoppable.kit.clock import utcnow
from shoppable.kit.db import core_execute
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.pagination import newest_first


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int


async def register_user(
    session: AsyncSession, *, email: str, password: str, name: str, throttle: AuthThrottle | None = None
) -> User:
    """A new account; 429 ``rate_limited`` past the sign-ups an address may make (``throttle``: None for the
    seed, tests and tools, which have no address), 422 ``weak_password``, 409 ``email_taken``."""
    if throttle is not None:
        await throttle.count_sign_up()
    email = normalise_email(email)
    await passwords.check_strength(password, email=email, name=name)
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ShoppableError("email_taken", 409, "An account with this email already exists.")
    user = User(
        id=new_id("usr"),
        email=email,
        name=name.strip(),
        password_hash=await passwords.hash_password(password),
        is_active=True,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        raise ShoppableError("email_taken", 409, "An account with this email already exists.") from None
    return user


async def verify_credentials(session: AsyncSession, *, email: str, password: str, throttle: AuthThrottle) -> User:
    """The active user with this email and password; 401 ``invalid_credentials`` otherwise (as slow either way),
    and 429 ``rate_limited`` before any password is looked at once the address, or this email from it, has
    failed too often (``identity.throttling``)."""
    await throttle.check_sign_in(email)
    user = await session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        await passwords.burn_verify(password)
    if user is None or not user.is_active or not await passwords.verify_password(user.password_hash, password):
        await throttle.sign_in_failed(email)
        raise ShoppableError("invalid_credentials", 401, "Wrong email or password.")
    await throttle.signed_in(email)
    return user


async def issue_token(session: AsyncSession, *, email: str, password: str, throttle: AuthThrottle) -> IssuedToken:
    user = await verify_credentials(session, email=email, password=password, throttle=throttle)
    ttl = get_settings().access_token_ttl_s
    secret = tokens.new_secret(tokens.USER_TOKEN_PREFIX)
    now = utcnow()
    session.add(
        AccessToken(
            id=new_id("tok"),
            user_id=user.id,
            token_hash=tokens.digest(secret),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            revoked_at=None,
        )
    )
    await session.flush()
    return IssuedToken(access_token=secret, expires_in=ttl)


# Built once: every authenticated request runs one of these (building a statement costs as much as running it).
_API_KEY_BY_HASH = select(ApiKey.id, ApiKey.shop_id, ApiKey.last_used_at).where(
    ApiKey.key_hash == bindparam("hashed"), ApiKey.revoked_at.is_(None)
)
# A key's last use is kept to the minute: one write a minute per key, not one per request. The row is skipped
# when another request is moving it right now (PostgreSQL), so busy keys never queue behind each other.
API_KEY_USE_PRECISION = timedelta(minutes=1)
_stale = aliased(ApiKey)
_STALE_KEY = (
    select(_stale.id)
    .where(
        _stale.id == bindparam("key_id"),
        or_(_stale.last_used_at.is_(None), _stale.last_used_at < bindparam("stale_before")),
    )
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_TOUCH_API_KEY = update(ApiKey).where(ApiKey.id == _STALE_KEY).values(last_used_at=bindparam("used_at"))
_TOKEN_BY_HASH = (
    select(AccessToken.user_id, AccessToken.expires_at)
    .join(User, User.id == AccessToken.user_id)
    .where(AccessToken.token_hash == bindparam("hashed"), AccessToken.revoked_at.is_(None), User.is_active)
)


async def authenticate(session: AsyncSession, bearer: str) -> Principal | None:
    """The principal a bearer token stands for, or None when it is unknown, expired or revoked."""
    hashed = tokens.digest(bearer)
    if bearer.startswith(tokens.SHOP_KEY_PREFIX):
        key = (await core_execute(session, _API_KEY_BY_HASH, {"hashed": hashed})).first()
        if key is None:
            return None
        now = utcnow()
        if key.last_used_at is None or key.last_used_at < now - API_KEY_USE_PRECISION:
            params = {"key_id": key.id, "stale_before": now - API_KEY_USE_PRECISION, "used_at": now}
            await core_execute(session, _TOUCH_API_KEY, params)
        return Principal(shop_id=key.shop_id, api_key_id=key.id)
    row = (await core_execute(session, _TOKEN_BY_HASH, {"hashed": hashed})).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return Principal(user_id=row.user_id)


async def revoke_token(session: AsyncSession, bearer: str) -> None:
    await session.execute(
        update(AccessToken).where(AccessToken.token_hash == tokens.digest(bearer)).values(revoked_at=utcnow())
    )


async def get_user(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("User")
    return user


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalise_email(email)))


async def add_membership(session: AsyncSession, *, shop_id: str, user_id: str, role: ShopRole) -> None:
    existing = await session.get(ShopMembership, (shop_id, user_id))
    if existing is not None:
        existing.role = role
        await session.flush()
        return
    try:
        async with session.begin_nested():
            session.add(ShopMembership(shop_id=shop_id, user_id=user_id, role=role, created_at=utcnow()))
    except IntegrityError:  # a concurrent request added the same member first
        await session.execute(
            update(ShopMembership)
            .where(ShopMembership.shop_id == shop_id, ShopMembership.user_id == user_id)
            .values(role=role)
        )


async def role_in_shop(session: AsyncSession, *, user_id: str, shop_id: str) -> ShopRole | None:
    role = await session.scalar(
        select(ShopMembership.role).where(ShopMembership.shop_id == shop_id, ShopMembership.user_id == user_id)
    )
    return ShopRole(role) if role else None


async def memberships_of(session: AsyncSession, user_id: str) -> list[tuple[str, ShopRole]]:
    rows = await session.execute(
        select(ShopMembership.shop_id, ShopMembership.role)
        .where(ShopMembership.user_id == user_id)
        .order_by(ShopMembership.created_at, ShopMembership.shop_id)
    )
    return [(shop_id, ShopRole(role)) for shop_id, role in rows]


async def shop_members(session: AsyncSession, shop_id: str) -> list[dict[str, Any]]:
    """Who works for the shop: owners first, then staff, each with their name, email, role and since when."""
    rows = await session.execute(
        select(ShopMembership.user_id, ShopMembership.role, ShopMembership.created_at, User.name, User.email)
        .join(User, User.id == ShopMembership.user_id)
        .where(ShopMembership.shop_id == shop_id)
        .order_by(ShopMembership.role != ShopRole.OWNER.value, ShopMembership.created_at, ShopMembership.user_id)
    )
    return [
        {"user_id": row.user_id, "name": row.name, "email": row.email, "role": row.role, "since": row.created_at}
        for row in rows
    ]


async def remove_membership(session: AsyncSession, *, shop_id: str, user_id: str) -> None:
    """The person no longer works for the shop (their role's pages close at once). 404 if they did not."""
    member = await session.get(ShopMembership, (shop_id, user_id))
    if member is None:
        raise not_found("Member")
    await session.delete(member)
    await session.flush()


async def create_api_key(session: AsyncSession, *, shop_id: str, created_by: str, name: str) -> tuple[ApiKey, str]:
    """A new key for the shop; the plain key is returned once and never stored."""
    secret = tokens.new_secret(tokens.SHOP_KEY_PREFIX)
    key = ApiKey(
        id=new_id("key"),
        shop_id=shop_id,
        key_hash=tokens.digest(secret),
        prefix=secret[:API_KEY_SHOWN_CHARS],
        name=name,
        created_by=created_by,
        created_at=utcnow(),
        last_used_at=None,
        revoked_at=None,
    )
    session.add(key)
    await session.flush()
    return key, secret


# "spk_" and 8 characters (48 random bits): enough to tell keys apart at a glance, far too few to guess the rest.
API_KEY_SHOWN_CHARS = len(tokens.SHOP_KEY_PREFIX) + 8


async def shop_api_keys(
    session: AsyncSession, shop_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The shop's API keys, revoked ones included, newest first: what identifies each, never the key."""
    query = select(ApiKey).where(ApiKey.shop_id == shop_id)
    keys, next_cursor = await newest_first(session, query, ApiKey.id, limit=limit, cursor=cursor)
    fields = ("id", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    return [{field: getattr(key, field) for field in fields} for key in keys], next_cursor


async def revoke_api_key(session: AsyncSession, *, shop_id: str, key_id: str) -> None:
    """The key authenticates as nothing from now on; revoking it again changes nothing. 404 for another shop's."""
    result = await core_execute(
        session,
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.shop_id == shop_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow()),
    )
    if (
        not result.rowcount
        and await session.scalar(select(ApiKey.id).where(ApiKey.id == key_id, ApiKey.shop_id == shop_id)) is None
    ):
        raise not_found("API key")


async def staff_of_shops(session: AsyncSession, shop_ids: Sequence[str]) -> dict[str, frozenset[str]]:
    """The users who work for each shop (owners and staff): their purchases there earn no commission."""
    if not shop_ids:
        return {}
    rows = await core_execute(session, _MEMBERS_OF, {"shop_ids": list(set(shop_ids))})
    staff: dict[str, set[str]] = {shop_id: set() for shop_id in shop_ids}
    for row in rows:
        staff[row.shop_id].add(row.user_id)
    return {shop_id: frozenset(users) for shop_id, users in staff.items()}


_MEMBERS_OF = select(ShopMembership.shop_id, ShopMembership.user_id).where(
    ShopMembership.shop_id.in_(bindparam("shop_ids", expanding=True))
)


# --- creators -----------------------------------------------------------------------------------------------------


async def create_creator(
    session: AsyncSession, *, user_id: str, handle: str, display_name: str, bio: str, avatar_url: str | None
) -> Creator:
    """The user's creator profile: 409 ``already_a_creator`` for a second one, 409 ``handle_taken``."""
    handle = check_handle(handle)
    if await session.scalar(select(Creator.id).where(Creator.user_id == user_id)) is not None:
        raise ShoppableError("already_a_creator", 409, "This account already has a creator profile.")
    creator = Creator(
        id=new_id("cr"),
        user_id=user_id,
        handle=handle,
        display_name=display_name.strip(),
        bio=bio.strip(),
        avatar_url=avatar_url,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(creator)
            await session.flush()
    except IntegrityError:  # a concurrent request took the handle, or made this user's profile, first
        if await session.scalar(select(Creator.id).where(Creator.user_id == user_id)) is not None:
            raise ShoppableError("already_a_creator", 409, "This account already has a creator profile.") from None
        raise ShoppableError("handle_taken", 409, f"The handle @{handle} is taken.") from None
    return creator


_CREATOR_OF_USER = select(Creator).where(Creator.user_id == bindparam("user_id"))


async def creator_of_user(session: AsyncSession, user_id: str) -> Creator | None:
    return (await session.execute(_CREATOR_OF_USER, {"user_id": user_id})).scalar_one_or_none()


async def creator_by_handle(session: AsyncSession, handle: str) -> Creator:
    creator = await session.scalar(select(Creator).where(Creator.handle == handle.strip().lstrip("@").lower()))
    if creator is None:
        raise not_found("Creator")
    return creator


async def creators_by_id(session: AsyncSession, creator_ids: Iterable[str]) -> dict[str, Creator]:
    ids = list(set(creator_ids))
    if not ids:
        return {}
    return {c.id: c for c in (await session.execute(select(Creator).where(Creator.id.in_(ids)))).scalars()}


async def search_creators(session: AsyncSession, query: str, *, limit: int = 10) -> list[Creator]:
    """Creators whose handle starts with ``query`` (case-insensitive, a leading @ ignored), shortest first."""
    prefix = query.strip().lstrip("@").lower()
    if not prefix:
        return []
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await session.scalars(
        select(Creator)
        .where(Creator.handle.like(f"{escaped}%", escape="\\"))
        .order_by(func.length(Creator.handle), Creator.handle)
        .limit(limit)
    )
    return list(rows)


async def creators_by_handle(session: AsyncSession, handles: Iterable[str]) -> dict[str, Creator]:
    wanted = list({handle.strip().lstrip("@").lower() for handle in handles if handle.strip()})
    if not wanted:
        return {}
    return {c.handle: c for c in (await session.scalars(select(Creator).where(Creator.handle.in_(wanted))))}
