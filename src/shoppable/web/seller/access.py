"""Who may open a Seller Center page: a signed-in member of the shop the URL names. Anyone else gets the 404
page, whatever the path, so a URL tells an outsider nothing about the shop's products or orders. Staff see what
their role allows; the owner-only pages answer staff with the 403 page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog import shops
from shoppable.catalog.models import Shop
from shoppable.identity import service as identity
from shoppable.identity.rules import Principal, ShopRole
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError, forbidden, not_found
from shoppable.web.visitor import FormShopper, Shopper, Visitor


@dataclass(frozen=True)
class Seller:
    """The signed-in person at work in one of their shops."""

    visitor: Visitor
    shop: Shop
    role: ShopRole

    @property
    def principal(self) -> Principal:
        return Principal(user_id=self.visitor.user_id)

    @property
    def is_owner(self) -> bool:
        return self.role is ShopRole.OWNER

    @property
    def base(self) -> str:
        """The shop's Seller Center URL, which every page link starts from."""
        return f"/seller/{self.shop.slug}"


OWNER_ONLY = "Only the shop's owners can do this. Ask an owner if you need it done."


async def seller_of(session: AsyncSession, visitor: Visitor, shop_slug: str) -> Seller:
    try:
        shop = await shops.get_shop_by_slug(session, shop_slug)
    except ShoppableError:
        raise not_found("Shop") from None
    role = await identity.role_in_shop(session, user_id=visitor.user_id, shop_id=shop.id)
    if role is None:
        raise not_found("Shop")
    return Seller(visitor, shop, role)


async def _seller(request: Request, shop_slug: str, session: DbSession, visitor: Shopper) -> Seller:
    seller = await seller_of(session, visitor, shop_slug)
    request.state.seller = seller
    return seller


async def _form_seller(request: Request, shop_slug: str, session: DbSession, visitor: FormShopper) -> Seller:
    return await _seller(request, shop_slug, session, visitor)


async def _owner(seller: Annotated[Seller, Depends(_seller)]) -> Seller:
    if not seller.is_owner:
        raise forbidden(OWNER_ONLY)
    return seller


async def _form_owner(seller: Annotated[Seller, Depends(_form_seller)]) -> Seller:
    if not seller.is_owner:
        raise forbidden(OWNER_ONLY)
    return seller


SellerPage = Annotated[Seller, Depends(_seller)]
"""A GET page of a shop's Seller Center: any member (404 page for anyone else, sign-in for the signed out)."""
SellerForm = Annotated[Seller, Depends(_form_seller)]
"""A form post to a shop's Seller Center: a member, with the page's CSRF token (403 without)."""
OwnerPage = Annotated[Seller, Depends(_owner)]
"""A page only the shop's owners may open (staff get the 403 page)."""
OwnerForm = Annotated[Seller, Depends(_form_owner)]
