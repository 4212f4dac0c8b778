"""Shop invitations in the browser: the ones waiting for the signed-in person's answer, accepted or declined with
a button; and what the account page shows of shops (those the person works for, how many invite them).
Handlers call identity's invitations and catalog's shops, and render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.catalog import shops
from shoppable.identity import invitations
from shoppable.identity import service as identity
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.web.paging import page_or_first
from shoppable.web.templating import render, with_toast
from shoppable.web.visitor import FormShopper, Shopper, Visitor

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
_GONE = {
    "invitation_expired": "This invitation has expired. Ask the shop to invite you again.",
    "invitation_not_pending": "This invitation has already been answered or withdrawn by the shop.",
}


async def account_shops(session: AsyncSession, visitor: Visitor) -> dict[str, Any]:
    """For the account page: the shops the person works for (with their role) and how many invitations wait."""
    memberships = await identity.memberships_of(session, visitor.user_id)
    by_id = await shops.shops_by_id(session, [shop_id for shop_id, _ in memberships])
    assert visitor.user is not None
    return {
        "my_shops": [
            {"id": shop_id, "name": by_id[shop_id].name, "role": role.value}
            for shop_id, role in memberships
            if shop_id in by_id
        ],
        "waiting_invitations": await invitations.count_pending_for(session, visitor.user.email),
    }


async def _page(
    request: Request, session: AsyncSession, visitor: Visitor, *, cursor: str | None, notice: str | None = None
) -> Response:
    assert visitor.user is not None
    email = visitor.user.email
    waiting, next_cursor, cursor = await page_or_first(
        lambda at: invitations.pending_for(session, email, limit=PAGE_SIZE, cursor=at), cursor
    )
    by_id = await shops.shops_by_id(session, sorted({invitation.shop_id for invitation in waiting}))
    context = {
        "invitations": [
            {
                "id": invitation.id,
                "shop_name": by_id[invitation.shop_id].name,
                "role": invitation.role,
                "created_at": invitation.created_at,
                "expires_at": invitation.expires_at,
            }
            for invitation in waiting
            if invitation.shop_id in by_id
        ],
        "next_cursor": next_cursor,
        "is_first_page": cursor is None,
        "notice": notice,
    }
    return render(request, "account/invitations.html", context)


@router.get("/account/invitations")
async def invitations_page(
    request: Request,
    session: DbSession,
    visitor: Shopper,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    return await _page(request, session, visitor, cursor=cursor)


@router.post("/account/invitations/{invitation_id}/accept")
async def accept_invitation(request: Request, invitation_id: str, session: DbSession, visitor: FormShopper) -> Response:
    try:
        await invitations.accept(session, invitation_id=invitation_id, user_id=visitor.user_id)
    except ShoppableError as error:
        if error.code not in _GONE:
            raise
        # Answered in another tab, withdrawn or expired since the page was opened: the page as it is now.
        return await _page(request, session, visitor, cursor=None, notice=_GONE[error.code])
    return with_toast(RedirectResponse("/account#shops", status_code=303), "invitation_accepted")


@router.post("/account/invitations/{invitation_id}/decline")
async def decline_invitation(
    request: Request, invitation_id: str, session: DbSession, visitor: FormShopper
) -> Response:
    try:
        await invitations.decline(session, invitation_id=invitation_id, user_id=visitor.user_id)
    except ShoppableError as error:
        if error.code not in _GONE:
            raise
        return await _page(request, session, visitor, cursor=None, notice=_GONE[error.code])
    return with_toast(RedirectResponse("/account/invitations", status_code=303), "invitation_declined")
