"""Shops: opening one, reading it, and deciding who may act for it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog.models import Shop
from shoppable.catalog.rules import first_free, slugify
from shoppable.identity import service as identity
from shoppable.identity.rules import Principal, ShopRole, may_act_for_shop
from shoppable.kit.clock import utcnow
from shoppable.kit.errors import ShoppableError, forbidden, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.money import check_currency


async def open_shop(session: AsyncSession, *, owner_id: str, name: str, currency: str, slug: str | None) -> Shop:
    """Create a shop; the caller becomes its owner. A slug derived from the name gets a numeric suffix."""
    check_currency(currency)
    if slug is not None:
        if await session.scalar(select(Shop.id).where(Shop.slug == slug)):
            raise ShoppableError("slug_taken", 409, f"The shop slug {slug!r} is taken.")
    else:
        slug = await _free_slug(session, slugify(name, max_length=70) or "shop")
    shop = Shop(id=new_id("shop"), slug=slug, name=name, currency=currency, status="active", created_at=utcnow())
    try:
        async with session.begin_nested():
            session.add(shop)
            await session.flush()
    except IntegrityError:
        raise ShoppableError("slug_taken", 409, f"The shop slug {slug!r} is taken.") from None
    await identity.add_membership(session, shop_id=shop.id, user_id=owner_id, role=ShopRole.OWNER)
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


async def add_member(
    session: AsyncSession, principal: Principal, shop_id: str, *, email: str, role: ShopRole
) -> tuple[str, str, str]:
    """Give an existing user a role in the shop (owner only). Returns (user id, email, name)."""
    shop = await require_shop(session, principal, shop_id, owner_only=True)
    user = await identity.find_user_by_email(session, email)
    if user is None:
        raise ShoppableError(
            "user_not_found",
            422,
            "No account has this email; ask them to register first.",
            errors=[{"loc": ["body", "email"], "msg": "no account with this email"}],
        )
    await identity.add_membership(session, shop_id=shop.id, user_id=user.id, role=role)
    return user.id, user.email, user.name
