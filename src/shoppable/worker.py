"""The background worker: dispatches outbox events and runs the timed jobs (unpaid orders expire, delivered
orders complete). `shoppable worker` runs it alone; in demo mode it runs inside the server process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from shoppable.analytics import tasks as analytics_tasks
from shoppable.catalog import tasks as catalog_tasks
from shoppable.config import Settings
from shoppable.kit.broker import broker_for
from shoppable.kit.db import Database
from shoppable.kit.outbox import Dispatcher, Handler
from shoppable.live import service as live_service
from shoppable.live.hub import Hub
from shoppable.order import lifecycle
from shoppable.payment.provider import PaymentProvider

log = logging.getLogger("shoppable.worker")


@dataclass(frozen=True, slots=True)
class Round:
    dispatched: int
    expired: int
    completed: int


class Worker:
    def __init__(
        self, database: Database, settings: Settings, provider: PaymentProvider, hub: Hub | None = None
    ) -> None:
        self.database = database
        self.settings = settings
        self.provider = provider
        self.hub = hub or Hub(broker_for(settings.redis_url))
        handlers: dict[str, list[Handler]] = {topic: [analytics_tasks.count_orders] for topic in analytics_tasks.TOPICS}
        handlers["order.paid"].insert(0, catalog_tasks.count_sales)
        self.dispatcher = Dispatcher(database, handlers)

    async def run_once(self, *, now: datetime | None = None) -> Round:
        """One round: every due event dispatched, every due job run."""
        dispatched = await self.dispatch(now=now)
        await self.end_flash_sales(now=now)
        expired, completed = await self.run_jobs(now=now)
        return Round(dispatched, expired, completed)

    async def dispatch(self, *, now: datetime | None = None) -> int:
        dispatched = 0
        while batch := await self.dispatcher.dispatch_due(now=now):
            dispatched += batch
        return dispatched

    async def end_flash_sales(self, *, now: datetime | None = None) -> int:
        """Flash sales whose time is up end (their unsold units go back to stock); checked every poll, since a
        sale's end is to the second."""
        async with self.database.session() as session:
            return await live_service.end_due_flash_sales(session, self.hub, now=now)

    async def run_jobs(self, *, now: datetime | None = None) -> tuple[int, int]:
        """The timed jobs, each in batches until none is due: (unpaid orders expired, orders completed)."""
        expired = completed = 0
        ttl = timedelta(minutes=self.settings.order_unpaid_ttl_minutes)
        while batch := await lifecycle.expire_unpaid(self.database, self.provider, unpaid_ttl=ttl, now=now):
            expired += batch
        while batch := await lifecycle.complete_due(self.database, now=now):
            completed += batch
        return expired, completed

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Dispatch every ``worker_poll_s`` (events wait at most that long) and run the timed jobs every
        ``worker_jobs_interval_s`` (their deadlines are minutes and days), until ``stop`` is set."""
        loop = asyncio.get_running_loop()
        jobs_due = loop.time()
        while not stop.is_set():
            try:
                await self.dispatch()
                await self.end_flash_sales()
                if loop.time() >= jobs_due:
                    jobs_due = loop.time() + self.settings.worker_jobs_interval_s
                    await self.run_jobs()
            except Exception:
                log.exception("worker round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.worker_poll_s)
