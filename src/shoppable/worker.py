"""The background worker: dispatches outbox events and runs the timed jobs (unpaid orders expire, delivered
orders complete). `shoppable worker` runs it alone; in demo mode it runs inside the server process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from shoppable.catalog import tasks as catalog_tasks
from shoppable.config import Settings
from shoppable.kit.db import Database
from shoppable.kit.outbox import Dispatcher
from shoppable.order import lifecycle
from shoppable.payment.provider import PaymentProvider

log = logging.getLogger("shoppable.worker")


@dataclass(frozen=True, slots=True)
class Round:
    dispatched: int
    expired: int
    completed: int

    @property
    def busy(self) -> bool:
        return any((self.dispatched, self.expired, self.completed))


class Worker:
    def __init__(self, database: Database, settings: Settings, provider: PaymentProvider) -> None:
        self.database = database
        self.settings = settings
        self.provider = provider
        self.dispatcher = Dispatcher(database, {"order.paid": [catalog_tasks.count_sales]})

    async def run_once(self, *, now: datetime | None = None) -> Round:
        """One round: every due event dispatched, every due job run (in batches)."""
        dispatched = 0
        while batch := await self.dispatcher.dispatch_due(now=now):
            dispatched += batch
        expired = await lifecycle.expire_unpaid(
            self.database,
            self.provider,
            unpaid_ttl=timedelta(minutes=self.settings.order_unpaid_ttl_minutes),
            now=now,
        )
        completed = await lifecycle.complete_due(self.database, now=now)
        return Round(dispatched, expired, completed)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Rounds until ``stop`` is set; a round that found work is followed at once by the next."""
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                log.exception("worker round failed; retrying")
                done = Round(0, 0, 0)
            if not done.busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.worker_poll_s)
