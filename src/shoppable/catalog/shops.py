"""Shops: opening one, reading it, deciding who may act for it, and its owners' say over who works for it
(invitations) and what acts for it (API keys)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog.models import Shop
from shoppable.catalog.rules import check_time_zone, first_free, slugify
from shoppable.identity import invitations
from shoppable.identity import service as identity
from shoppable.identity.rules import Principal, ShopRole, may_act_for_shop
from shoppable.kit.clock import utcnow
from shoppable.kit.errors import ShoppableError, forbidden, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.money import check_currency


async def open_shop(
    session: AsyncSession, *, owner_id: str, name: str, currency: str, slug: str | None, time_zone: str = "UTC"
) -> Shop:
    """Create a shop; the caller becomes its owner. A slug derived from the name gets a numeric suffix."""
    check_currency(currency)
    time_zone = _time_zone(time_zone)
    if slug is not None:
        if await session.scalar(select(Shop.id).where(Shop.slug == slug)):
            raise ShoppableError("slug_taken", 409, f"The shop slug {slug!r} is taken.")
    else:
        slug = await _free_slug(session, slugify(name, max_length=70) or "shop")
    shop = Shop(
        id=new_id("shop"),
        slug=slug,
        name=name,
        currency=currency,
        status="active",
        time_zone=time_zone,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(shop)
            await session.flush()
    except IntegrityError:
        raise ShoppableError("slug_taken", 409, f"The shop slug {slug!r} is taken.") from None
    await identity.add_membership(session, shop_id=shop.id, user_id=owner_id, role=ShopRole.OWNER)
    return shop


def _time_zone(value: str) -> str:
    try:
        return check_time_zone(value)
    except ValueError as error:
        raise ShoppableError(
            "invalid_time_zone",
            422,
            str(error).capitalize() + ".",
            errors=[{"loc": ["body", "time_zone"], "msg": str(error)}],
        ) from None


async def update_shop(
    session: AsyncSession, principal: Principal, shop_id: str, *, name: str | None = None, time_zone: str | None = None
) -> Shop:
    """Change the shop's name or time zone (owner only); what is not given stays, and nothing changes unless
    everything given is right."""
    shop = await require_shop(session, principal, shop_id, owner_only=True)
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            raise ShoppableError(
                "invalid_name",
                422,
                "A shop's name is 1 to 200 characters.",
                errors=[{"loc": ["body", "name"], "msg": "1 to 200 characters"}],
            )
    if time_zone is not None:
        time_zone = _time_zone(time_zone)
    if name is not None:  # both checked before either changes
        shop.name = name
    if time_zone is not None:
        shop.time_zone = time_zone
    await session.flush()
    return shop


async def _free_slug(session: AsyncSession, base: str) -> str:
    taken = set(await session.scalars(select(Shop.slug).where((Shop.slug == base) | Shop.slug.like(f"{base}-%"))))
    return first_free(base, taken)


async def get_shop(session: AsyncSession, shop_id: str) -> Shop:
    shop = await session.get(Shop, shop_id)
    if shop is None:
        raise not_found("Shop")
    return shop


async def get_shop_by_slug(session: AsyncSession, slug: str) -> Shop:
    shop = await session.scalar(select(Shop).where(Shop.slug == slug))
    if shop is None:
        raise not_found("Shop")
    return shop


async def can_act_for(
    session: AsyncSession, principal: Principal | None, shop_id: str, *, owner_only: bool = False
) -> bool:
    if principal is None:
        return False
    role = None
    if principal.user_id is not None:
        role = await identity.role_in_shop(session, user_id=principal.user_id, shop_id=shop_id)
    return may_act_for_shop(principal, shop_id, role, owner_only=owner_only)


async def require_shop(session: AsyncSession, principal: Principal, shop_id: str, *, owner_only: bool = False) -> Shop:
    """The shop, if the caller may act for it. Shops are public, so a refusal is a 403, not a 404."""
    shop = await get_shop(session, shop_id)
    if not await can_act_for(session, principal, shop_id, owner_only=owner_only):
        raise forbidden("Only the shop's owner may do this." if owner_only else "You do not act for this shop.")
    return shop


async def shops_by_id(session: AsyncSession, shop_ids: list[str]) -> dict[str, Shop]:
    if not shop_ids:
        return {}
    return {s.id: s for s in await session.scalars(select(Shop).where(Shop.id.in_(shop_ids)))}


async def invite_member(
    session: AsyncSession, principal: Principal, shop_id: str, *, email: str, role: ShopRole, ttl: timedelta
) -> dict[str, Any]:
    """Invite an email to a role in the shop (owner only). The answer is the same whether or not an account
    has the email: the person becomes a member only by accepting (identity/invitations.py)."""
    shop = await require_shop(session, principal, shop_id, owner_only=True)
    assert principal.user_id is not None  # owners are users: a shop key is never owner_only
    invitation = await invitations.invite(
        session, shop_id=shop.id, email=email, role=role, invited_by=principal.user_id, ttl=ttl
    )
    return invitations.read_model(invitation)


async def list_invitations(
    session: AsyncSession, principal: Principal, shop_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Every invitation the shop made, newest first, with what became of it (owner only)."""
    shop = await require_shop(session, principal, shop_id, owner_only=True)
    rows, next_cursor = await invitations.shop_invitations(session, shop.id, limit=limit, cursor=cursor)
    now = utcnow()
    return [invitations.read_model(row, now) for row in rows], next_cursor


async def revoke_invitation(session: AsyncSession, principal: Principal, shop_id: str, invitation_id: str) -> None:
    """Withdraw a pending invitation (owner only)."""
    shop = await require_shop(session, principal, shop_id, owner_only=True)
    await invitations.revoke(session, shop_id=shop.id, invitation_id=invitation_id)


async def list_api_keys(
    session: AsyncSession, principal: Principal, shop_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The shop's API keys, never the keys themselves (owner only)."""
    shop = await require_shop(session, principal, shop_id, owner_only=True)
    return await identity.shop_api_keys(session, shop.id, limit=limit, cursor=cursor)


async def revoke_api_key(session: AsyncSession, principal: Principal, shop_id: str, key_id: str) -> None:
    """The key stops working at once (owner only)."""
    shop = await require_shop(session, principal, shop_id, owner_only=True)
    await identity.revoke_api_key(session, shop_id=shop.id, key_id=key_id)


async def list_members(session: AsyncSession, principal: Principal, shop_id: str) -> list[dict[str, Any]]:
    """Who works for the shop and in which role (owner only)."""
    shop = await require_shop(session, principal, shop_id, owner_only=True)
    return await identity.shop_members(session, shop.id)


async def remove_member(session: AsyncSession, principal: Principal, shop_id: str, user_id: str) -> None:
    """Take someone off the shop (owner only); an owner cannot remove themselves, so a shop keeps an owner."""
    shop = await require_shop(session, principal, shop_id, owner_only=True)
    if user_id == principal.user_id:
        raise ShoppableError("cannot_remove_self", 409, "You cannot remove yourself from the shop.")
    await identity.remove_membership(session, shop_id=shop.id, user_id=user_id)
