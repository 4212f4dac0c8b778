"""Invitations to work for a shop: a shop's owner offers a role to an email address, and the person signed in with
that email accepts (becoming a member) or declines. The shop learns nothing about whether an account has the
email; nobody becomes a member without saying yes. Pending invitations expire (``invitation_ttl_days``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.identity import service
from shoppable.identity.models import ShopInvitation
from shoppable.identity.rules import ShopRole, normalise_email
from shoppable.kit.clock import utcnow
from shoppable.kit.db import core_execute
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.pagination import newest_first

PENDING, ACCEPTED, DECLINED, REVOKED = "pending", "accepted", "declined", "revoked"
EXPIRED = "expired"  # shown, never stored: a pending invitation past its ``expires_at``
# A bound on what one shop can have waiting, so an owner cannot flood people's accounts with invitations.
MAX_PENDING_PER_SHOP = 100


def status_of(invitation: ShopInvitation, now: datetime) -> str:
    if invitation.status == PENDING and invitation.expires_at <= now:
        return EXPIRED
    return invitation.status


def read_model(invitation: ShopInvitation, now: datetime | None = None) -> dict[str, Any]:
    """The invitation as its shop sees it: the email it was sent to, never who (if anyone) has that email."""
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
        "status": status_of(invitation, now or utcnow()),
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "responded_at": invitation.responded_at,
    }


def _pending_of(shop_id: str, email: str) -> Any:
    return select(ShopInvitation).where(
        ShopInvitation.shop_id == shop_id, ShopInvitation.email == email, ShopInvitation.status == PENDING
    )


async def invite(
    session: AsyncSession,
    *,
    shop_id: str,
    email: str,
    role: ShopRole,
    invited_by: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> ShopInvitation:
    """Offer ``role`` in the shop to ``email``. Inviting an email with an invitation still open (or expired
    unanswered) updates that one: the new role, a fresh expiry, the same id. 422 ``cannot_invite_yourself``
    (an owner's own role changes only through another owner), 409 ``too_many_invitations``."""
    email = normalise_email(email)
    now = now or utcnow()
    inviter = await service.get_user(session, invited_by)
    if inviter.email == email:
        raise ShoppableError(
            "cannot_invite_yourself",
            422,
            "You cannot invite yourself; another owner can change your role.",
            errors=[{"loc": ["body", "email"], "msg": "this is your own email"}],
        )
    existing = await session.scalar(_pending_of(shop_id, email))
    if existing is not None:
        return await _renew(session, existing, role=role, invited_by=invited_by, expires_at=now + ttl)
    waiting = await session.scalar(
        select(func.count())
        .select_from(ShopInvitation)
        .where(ShopInvitation.shop_id == shop_id, ShopInvitation.status == PENDING, ShopInvitation.expires_at > now)
    )
    if (waiting or 0) >= MAX_PENDING_PER_SHOP:
        raise ShoppableError(
            "too_many_invitations",
            409,
            f"This shop has {MAX_PENDING_PER_SHOP} invitations waiting; revoke some or wait for answers.",
        )
    invitation = ShopInvitation(
        id=new_id("inv"),
        shop_id=shop_id,
        email=email,
        role=role.value,
        invited_by=invited_by,
        status=PENDING,
        created_at=now,
        expires_at=now + ttl,
        responded_at=None,
    )
    try:
        async with session.begin_nested():
            session.add(invitation)
            await session.flush()
    except IntegrityError:  # a concurrent request invited the same email first: this one updates it
        existing = await session.scalar(_pending_of(shop_id, email))
        if existing is None:  # answered or revoked in between as well: let the caller try again
            raise ShoppableError(
                "invitation_conflict", 409, "This invitation changed at the same moment; try again."
            ) from None
        return await _renew(session, existing, role=role, invited_by=invited_by, expires_at=now + ttl)
    return invitation


async def _renew(
    session: AsyncSession, invitation: ShopInvitation, *, role: ShopRole, invited_by: str, expires_at: datetime
) -> ShopInvitation:
    invitation.role = role.value
    invitation.invited_by = invited_by
    invitation.expires_at = expires_at
    await session.flush()
    return invitation


async def shop_invitations(
    session: AsyncSession, shop_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ShopInvitation], str | None]:
    """Every invitation the shop has made, newest first, whatever became of it."""
    query = select(ShopInvitation).where(ShopInvitation.shop_id == shop_id)
    return await newest_first(session, query, ShopInvitation.id, limit=limit, cursor=cursor)


async def revoke(session: AsyncSession, *, shop_id: str, invitation_id: str, now: datetime | None = None) -> None:
    """Withdraw one of the shop's pending invitations: 404 for another shop's, 409 ``invitation_not_pending``
    once answered."""
    result = await core_execute(
        session,
        update(ShopInvitation)
        .where(ShopInvitation.id == invitation_id, ShopInvitation.shop_id == shop_id, ShopInvitation.status == PENDING)
        .values(status=REVOKED, responded_at=now or utcnow()),
    )
    if result.rowcount:
        return
    found = await _fresh(session, ShopInvitation.id == invitation_id, ShopInvitation.shop_id == shop_id)
    if found is None:
        raise not_found("Invitation")
    raise _not_pending(found.status)


async def pending_for(
    session: AsyncSession, email: str, *, limit: int, cursor: str | None, now: datetime | None = None
) -> tuple[list[ShopInvitation], str | None]:
    """The invitations waiting for an email's answer (not expired), newest first."""
    query = select(ShopInvitation).where(*_waiting_for(email, now or utcnow()))
    return await newest_first(session, query, ShopInvitation.id, limit=limit, cursor=cursor)


async def count_pending_for(session: AsyncSession, email: str, *, now: datetime | None = None) -> int:
    found = await session.scalar(
        select(func.count()).select_from(ShopInvitation).where(*_waiting_for(email, now or utcnow()))
    )
    return int(found or 0)


def _waiting_for(email: str, now: datetime) -> tuple[Any, ...]:
    return (
        ShopInvitation.email == normalise_email(email),
        ShopInvitation.status == PENDING,
        ShopInvitation.expires_at > now,
    )


async def accept(
    session: AsyncSession, *, invitation_id: str, user_id: str, now: datetime | None = None
) -> ShopInvitation:
    """The user takes up an invitation made to their email (as it is now) and becomes a member with its role.
    404 for an invitation to any other email; 409 ``invitation_expired`` or ``invitation_not_pending``."""
    user = await service.get_user(session, user_id)
    invitation = await _answer(session, invitation_id, user.email, ACCEPTED, now or utcnow())
    await service.add_membership(session, shop_id=invitation.shop_id, user_id=user.id, role=ShopRole(invitation.role))
    return invitation


async def decline(
    session: AsyncSession, *, invitation_id: str, user_id: str, now: datetime | None = None
) -> ShopInvitation:
    """The user says no to an invitation made to their email; same refusals as ``accept``."""
    user = await service.get_user(session, user_id)
    return await _answer(session, invitation_id, user.email, DECLINED, now or utcnow())


async def _answer(session: AsyncSession, invitation_id: str, email: str, answer: str, now: datetime) -> ShopInvitation:
    mine = (ShopInvitation.id == invitation_id, ShopInvitation.email == normalise_email(email))
    # One conditional update: of two answers racing (two tabs, accept and decline), exactly one wins.
    result = await core_execute(
        session,
        update(ShopInvitation)
        .where(*mine, ShopInvitation.status == PENDING, ShopInvitation.expires_at > now)
        .values(status=answer, responded_at=now),
    )
    found = await _fresh(session, *mine)
    if found is None:
        raise not_found("Invitation")
    if result.rowcount:
        return found
    if found.status == PENDING:
        raise ShoppableError("invitation_expired", 409, "This invitation has expired; ask the shop for a new one.")
    raise _not_pending(found.status)


async def _fresh(session: AsyncSession, *conditions: Any) -> ShopInvitation | None:
    """The invitation as the database has it now (not as this session may have loaded it earlier)."""
    query = select(ShopInvitation).where(*conditions).execution_options(populate_existing=True)
    return await session.scalar(query)


def _not_pending(status: str) -> ShoppableError:
    return ShoppableError("invitation_not_pending", 409, f"This invitation was already {status}.")
