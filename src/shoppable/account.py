"""``GET /api/v1/me``: the signed-in user with the shops they belong to (composes identity and catalog)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from shoppable.catalog import shops
from shoppable.identity import service as identity
from shoppable.identity.deps import CurrentUser
from shoppable.kit.deps import DbSession
from shoppable.kit.http import PROBLEM_RESPONSES

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


@router.get("/me", response_model=Me, summary="The signed-in user, their shops and creator profile (user)")
async def me(session: DbSession, user: CurrentUser) -> Me:
    assert user.user_id is not None
    account = await identity.get_user(session, user.user_id)
    memberships = await identity.memberships_of(session, account.id)
    creator = await identity.creator_of_user(session, account.id)
    by_id = await shops.shops_by_id(session, [shop_id for shop_id, _ in memberships])
    return Me(
        id=account.id,
        email=account.email,
        name=account.name,
        shops=[MyShop(id=sid, name=by_id[sid].name, role=role) for sid, role in memberships if sid in by_id],
        creator=MyCreator(id=creator.id, handle=creator.handle) if creator else None,
    )
