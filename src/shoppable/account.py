"""``/api/v1/me``: the signed-in user with the shops they belong to and the invitations to others waiting for their
answer (composes identity and catalog), and the addresses and cards they keep for checkout (identity and
payment)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from shoppable.catalog import shops
from shoppable.identity import addresses, invitations
from shoppable.identity import service as identity
from shoppable.identity.deps import CurrentUser
from shoppable.identity.rules import Principal
from shoppable.identity.schemas import InvitingShop, MyInvitation, MyInvitationPage
from shoppable.kit.deps import DbSession
from shoppable.kit.http import PROBLEM_RESPONSES
from shoppable.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from shoppable.order.schemas import ShippingAddress
from shoppable.payment import cards
from shoppable.payment.provider import PaymentProvider

router = APIRouter(prefix="/api/v1", tags=["identity"], responses=PROBLEM_RESPONSES)


class MyShop(BaseModel):
    id: str
    name: str
    role: str


class MyCreator(BaseModel):
    id: str
    handle: str


class Me(BaseModel):
    id: str
    email: str
    name: str
    shops: list[MyShop]
    creator: MyCreator | None = None
    invitations: list[MyInvitation] = Field(
        description="Invitations to shops waiting for an answer, newest first (the first page of "
        "`GET /api/v1/me/invitations`)"
    )


@router.get("/me", response_model=Me, summary="The signed-in user, their shops, invitations and creator profile (user)")
async def me(session: DbSession, user: CurrentUser) -> Me:
    assert user.user_id is not None
    account = await identity.get_user(session, user.user_id)
    memberships = await identity.memberships_of(session, account.id)
    creator = await identity.creator_of_user(session, account.id)
    waiting, _ = await invitations.pending_for(session, account.email, limit=DEFAULT_LIMIT, cursor=None)
    shop_ids = {shop_id for shop_id, _ in memberships} | {invitation.shop_id for invitation in waiting}
    by_id = await shops.shops_by_id(session, sorted(shop_ids))
    return Me(
        id=account.id,
        email=account.email,
        name=account.name,
        shops=[MyShop(id=sid, name=by_id[sid].name, role=role) for sid, role in memberships if sid in by_id],
        creator=MyCreator(id=creator.id, handle=creator.handle) if creator else None,
        invitations=_my_invitations(waiting, by_id),
    )


# --- invitations to shops -----------------------------------------------------------------------------------------


def _my_invitations(waiting: list[Any], by_id: dict[str, Any]) -> list[MyInvitation]:
    return [
        MyInvitation(
            id=invitation.id,
            shop=InvitingShop(id=invitation.shop_id, name=by_id[invitation.shop_id].name),
            role=invitation.role,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
        )
        for invitation in waiting
        if invitation.shop_id in by_id
    ]


@router.get(
    "/me/invitations",
    response_model=MyInvitationPage,
    summary="Invitations to shops made to the caller's email and waiting for an answer, newest first (user)",
)
async def list_invitations(
    session: DbSession, user: CurrentUser, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> MyInvitationPage:
    account = await identity.get_user(session, _user_id(user))
    waiting, next_cursor = await invitations.pending_for(session, account.email, limit=limit, cursor=cursor)
    by_id = await shops.shops_by_id(session, sorted({invitation.shop_id for invitation in waiting}))
    return MyInvitationPage(items=_my_invitations(waiting, by_id), next_cursor=next_cursor)


@router.post(
    "/me/invitations/{invitation_id}/accept",
    response_model=MyShop,
    summary="Accept an invitation made to the caller's email: the caller becomes a member with its role; "
    "409 `invitation_expired` or `invitation_not_pending` (user)",
)
async def accept_invitation(invitation_id: str, session: DbSession, user: CurrentUser) -> MyShop:
    invitation = await invitations.accept(session, invitation_id=invitation_id, user_id=_user_id(user))
    shop = await shops.get_shop(session, invitation.shop_id)
    return MyShop(id=shop.id, name=shop.name, role=invitation.role)


@router.post(
    "/me/invitations/{invitation_id}/decline",
    status_code=204,
    summary="Decline an invitation made to the caller's email; 409 `invitation_expired` or "
    "`invitation_not_pending` (user)",
)
async def decline_invitation(invitation_id: str, session: DbSession, user: CurrentUser) -> Response:
    await invitations.decline(session, invitation_id=invitation_id, user_id=_user_id(user))
    return Response(status_code=204)


# --- saved addresses ----------------------------------------------------------------------------------------------


class AddressRead(BaseModel):
    id: str
    name: str
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str
    region: str | None
    phone: str | None


class AddressList(BaseModel):
    items: list[AddressRead]


def _user_id(user: Principal) -> str:
    assert user.user_id is not None
    return user.user_id


@router.get("/me/addresses", response_model=AddressList, summary="The caller's saved addresses, newest first (user)")
async def list_addresses(session: DbSession, user: CurrentUser) -> dict[str, Any]:
    return {"items": await addresses.list_addresses(session, _user_id(user))}


@router.post(
    "/me/addresses",
    status_code=201,
    response_model=AddressRead,
    summary="Save an address for checkout; an identical one already saved is returned; at most 20 (user)",
)
async def save_address(body: ShippingAddress, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    return await addresses.save_address(session, _user_id(user), body.model_dump())


@router.delete("/me/addresses/{address_id}", status_code=204, summary="Forget a saved address (user)")
async def delete_address(address_id: str, session: DbSession, user: CurrentUser) -> Response:
    await addresses.delete_address(session, _user_id(user), address_id)
    return Response(status_code=204)


# --- saved cards --------------------------------------------------------------------------------------------------


class CardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    number: str = Field(
        min_length=1,
        max_length=40,
        description="The card number, spaces and dashes allowed; never stored. This build takes Stripe's test "
        "cards: `4242 4242 4242 4242` pays, `4000 0000 0000 0002` is declined when charged",
        examples=["4242 4242 4242 4242"],
    )
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100, description="Four digits, e.g. `2030`")
    cvc: str | None = Field(None, pattern=r"^[0-9]{3,4}$", description="Checked for shape only; never stored")


class CardRead(BaseModel):
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    token: str = Field(description="Pass as `payment.token` when buying (the provider's reusable token)")


class CardList(BaseModel):
    items: list[CardRead]


@router.get("/me/cards", response_model=CardList, summary="The caller's saved cards, newest first (user)")
async def list_cards(session: DbSession, user: CurrentUser) -> dict[str, Any]:
    return {"items": await cards.list_cards(session, _user_id(user))}


@router.post(
    "/me/cards",
    status_code=201,
    response_model=CardRead,
    summary="Save a card for checkout; the same card already saved is returned; at most 10 (user)",
)
async def save_card(body: CardCreate, request: Request, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    provider: PaymentProvider = request.app.state.payment_provider
    return await cards.save_card(
        session, _user_id(user), body.number, body.exp_month, body.exp_year, provider_name=provider.name
    )


@router.delete("/me/cards/{card_id}", status_code=204, summary="Forget a saved card (user)")
async def delete_card(card_id: str, session: DbSession, user: CurrentUser) -> Response:
    await cards.delete_card(session, _user_id(user), card_id)
    return Response(status_code=204)
