"""Room tickets: a signed-in user trades their credential (bearer token or page session) for a ticket that opens
one live room's socket once, within a minute (setting ``ws_ticket_ttl_s``), so no long-lived secret sits in a
socket URL. Tickets live in the database, so any server of a fleet redeems them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.identity import tokens
from shoppable.kit.clock import utcnow
from shoppable.kit.errors import not_found
from shoppable.live.models import Live, SocketTicket

TICKET_PREFIX = "swt_"
_PURGE_AFTER = timedelta(hours=1)


async def issue_ticket(session: AsyncSession, *, live_id: str, user_id: str, ttl_s: int) -> str:
    """A new ticket into the live's room for the user (404 for an unknown live)."""
    if await session.scalar(select(Live.id).where(Live.id == live_id)) is None:
        raise not_found("Live")
    now = utcnow()
    # Spent and expired tickets are of no use to anyone: each issue sweeps the old ones (an indexed range).
    await session.execute(delete(SocketTicket).where(SocketTicket.expires_at < now - _PURGE_AFTER))
    ticket = tokens.new_secret(TICKET_PREFIX)
    session.add(
        SocketTicket(
            ticket_hash=tokens.digest(ticket),
            live_id=live_id,
            user_id=user_id,
            expires_at=now + timedelta(seconds=ttl_s),
            used_at=None,
        )
    )
    await session.flush()
    return ticket


async def redeem_ticket(session: AsyncSession, *, live_id: str, ticket: str, now: datetime | None = None) -> str | None:
    """The user a ticket was issued to, spending it; None when it is unknown, for another room, spent or expired.
    One conditional update: of two sockets racing with one ticket, one gets in."""
    now = now or utcnow()
    return await session.scalar(
        update(SocketTicket)
        .where(
            SocketTicket.ticket_hash == tokens.digest(ticket),
            SocketTicket.live_id == live_id,
            SocketTicket.used_at.is_(None),
            SocketTicket.expires_at > now,
        )
        .values(used_at=now)
        .returning(SocketTicket.user_id)
    )
