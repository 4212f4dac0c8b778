"""The outbox: events leave only with their transaction, handlers run exactly once, failures are retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.kit.outbox import Dispatcher, Event, emit, events_for
from tests.helpers import unique


async def test_a_rolled_back_transaction_leaves_no_event(database: Database) -> None:
    subject = unique("subj")

    async def emit_then_fail() -> None:
        async with database.session() as session:
            await emit(session, [Event("test.happened", subject, {"n": 1})])
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await emit_then_fail()
    async with database.session(write=False) as session:
        assert await events_for(session, subject) == []


async def test_handlers_get_each_event_once_and_failures_come_back_later(database: Database) -> None:
    subject = unique("subj")
    seen: list[dict[str, object]] = []
    failures = [RuntimeError("webhook endpoint down")]

    side_effect = unique("side")

    async def record(session: AsyncSession, events: list[Event]) -> None:
        ours = [event for event in events if event.subject_id == subject]
        if ours and failures:
            await emit(session, [Event("test.side", side_effect, {})])  # written only if the handler succeeds
            raise failures.pop()
        seen.extend(event.payload for event in ours)

    async with database.session() as session:
        await emit(session, [Event("test.flaky", subject, {"n": 1})])
    dispatcher = Dispatcher(database, {"test.flaky": [record]})
    now = utcnow()
    while await dispatcher.dispatch_due(now=now):
        pass
    async with database.session(write=False) as session:
        (event,) = await events_for(session, subject)
    assert seen == []
    assert (event.attempts, event.dispatched_at) == (1, None)
    assert "webhook endpoint down" in (event.last_error or "")
    # Not before its back-off; then once, and never again.
    while await dispatcher.dispatch_due(now=now + timedelta(seconds=1)):
        pass
    assert seen == []
    for _ in range(2):
        while await dispatcher.dispatch_due(now=now + timedelta(seconds=3)):
            pass
    assert seen == [{"n": 1}]
    async with database.session(write=False) as session:
        (event,) = await events_for(session, subject)
        assert await events_for(session, side_effect) == []
    assert event.dispatched_at is not None
