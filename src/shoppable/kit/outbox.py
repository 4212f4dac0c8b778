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
from shoppable.kit.db import Base, Database, discard_queued, flush_queued, queue_insert
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
    """Write events in the caller's transaction (queued with its other append-only rows); they leave only if it
    commits."""
    now = utcnow()
    queue_insert(
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


Handler = Callable[[AsyncSession, list[Event]], Awaitable[None]]
"""Gets every due event of its topic in a batch, in order, inside the dispatching transaction: its writes
commit exactly when the events are marked dispatched, so they happen once."""


class Dispatcher:
    """Hands committed events to the handlers subscribed to their topic (given explicitly at wiring time).

    A batch of due events is claimed at once; each topic's events go to its handlers together, in a savepoint.
    A handler that raises has its writes rolled back and that topic's events retried later with exponential
    back-off, up to ``MAX_ATTEMPTS``; a handler with effects outside the database must make them idempotent.
    Events without handlers are marked dispatched: the table is the event log.
    """

    def __init__(self, database: Database, handlers: Mapping[str, Sequence[Handler]] | None = None) -> None:
        self.database = database
        self.handlers = dict(handlers or {})

    async def dispatch_due(self, *, batch: int = 500, now: datetime | None = None) -> int:
        """Dispatch up to ``batch`` due events in one transaction; how many were claimed."""
        now = now or utcnow()
        async with self.database.session() as session:
            query = (
                select(
                    OutboxEvent.id, OutboxEvent.topic, OutboxEvent.subject_id, OutboxEvent.payload, OutboxEvent.attempts
                )
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
            rows = list(await session.execute(query))
            by_topic: dict[str, list[Any]] = {}
            for row in rows:
                by_topic.setdefault(row.topic, []).append(row)
            delivered: list[str] = []
            for topic, topic_rows in by_topic.items():
                if await self._deliver(session, topic, topic_rows, now):
                    delivered += [row.id for row in topic_rows]
            if delivered:
                await session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(delivered))
                    .values(dispatched_at=now, attempts=OutboxEvent.attempts + 1)
                )
            return len(rows)

    async def _deliver(self, session: AsyncSession, topic: str, rows: list[Any], now: datetime) -> bool:
        handlers = self.handlers.get(topic, ())
        if not handlers:
            return True
        events = [Event(row.topic, row.subject_id, row.payload) for row in rows]
        await flush_queued(session)
        try:
            async with session.begin_nested():
                for handler in handlers:
                    await handler(session, events)
                await flush_queued(session)  # inside the savepoint: what a failed handler queued goes with it
        except Exception as error:
            discard_queued(session)
            log.exception("outbox handler failed for %d %s event(s)", len(rows), topic)
            for row in rows:
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
            return False
        return True


async def events_for(session: AsyncSession, subject_id: str) -> list[OutboxEvent]:
    await flush_queued(session)
    result = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.subject_id == subject_id).order_by(OutboxEvent.id)
    )
    return list(result.all())


__all__ = ["Dispatcher", "Event", "Handler", "OutboxEvent", "emit", "events_for"]
