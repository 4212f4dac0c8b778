"""The transactional outbox: events written in the transaction that caused them, dispatched after it commits.

A rolled-back transaction leaves no event; a crash after commit loses none (the worker reads the table).
Dispatching claims a batch with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share the
work without handing one event to two of them; SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.clock import utcnow
from shoppable.kit.db import Base, Database, bulk_insert
from shoppable.kit.ids import new_id

log = logging.getLogger("shoppable.outbox")

MAX_ATTEMPTS = 10


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_pending", "dispatched_at", "available_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(40), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    dispatched_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    subject_id: str
    payload: dict[str, Any]


async def emit(session: AsyncSession, events: Sequence[Event]) -> None:
    """Write events in the caller's transaction; they leave only if it commits."""
    now = utcnow()
    await bulk_insert(
        session,
        OutboxEvent.__table__,  # type: ignore[arg-type]
        [
            {
                "id": new_id("evt"),
                "topic": event.topic,
                "subject_id": event.subject_id,
                "payload": event.payload,
                "created_at": now,
                "available_at": now,
                "attempts": 0,
                "dispatched_at": None,
                "last_error": None,
            }
            for event in events
        ],
    )


Handler = Callable[[AsyncSession, Event], Awaitable[None]]
"""Runs in the dispatching transaction: its writes commit with the event's dispatch, exactly once."""


class Dispatcher:
    """Hands each committed event to the handlers subscribed to its topic (given explicitly at wiring time).

    Each event's handlers run in a savepoint of the dispatching transaction, so their database writes commit
    exactly when the event is marked dispatched. A handler that raises has its writes rolled back and the
    event retried later with exponential back-off, up to ``MAX_ATTEMPTS``; a handler with effects outside the
    database must make them idempotent. Events without handlers are marked dispatched: the table is the log.
    """

    def __init__(self, database: Database, handlers: Mapping[str, Sequence[Handler]] | None = None) -> None:
        self.database = database
        self.handlers = dict(handlers or {})

    async def dispatch_due(self, *, batch: int = 100, now: datetime | None = None) -> int:
        """Dispatch up to ``batch`` due events in one transaction; how many were handled."""
        now = now or utcnow()
        async with self.database.session() as session:
            query = (
                select(OutboxEvent)
                .where(
                    OutboxEvent.dispatched_at.is_(None),
                    OutboxEvent.available_at <= now,
                    OutboxEvent.attempts < MAX_ATTEMPTS,
                )
                .order_by(OutboxEvent.available_at, OutboxEvent.id)
                .limit(batch)
            )
            if not self.database.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.scalars(query)).all())
            for row in rows:
                await self._deliver(session, row, now)
            return len(rows)

    async def _deliver(self, session: AsyncSession, row: OutboxEvent, now: datetime) -> None:
        event = Event(row.topic, row.subject_id, row.payload)
        try:
            async with session.begin_nested():
                for handler in self.handlers.get(row.topic, ()):
                    await handler(session, event)
        except Exception as error:
            log.exception("outbox handler failed for %s %s", row.topic, row.id)
            attempts = row.attempts + 1
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == row.id)
                .values(
                    attempts=attempts,
                    available_at=now + timedelta(seconds=2**attempts),
                    last_error=f"{type(error).__name__}: {error}"[:2000],
                )
            )
            return
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.id == row.id).values(dispatched_at=now, attempts=row.attempts + 1)
        )


async def events_for(session: AsyncSession, subject_id: str) -> list[OutboxEvent]:
    result = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.subject_id == subject_id).order_by(OutboxEvent.id)
    )
    return list(result.all())


__all__ = ["Dispatcher", "Event", "Handler", "OutboxEvent", "emit", "events_for"]
