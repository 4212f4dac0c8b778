"""The ASGI application: routers, error handlers and the lifespan of shared resources."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from shoppable import __version__, account
from shoppable.affiliate import api as affiliate_api
from shoppable.affiliate.redirect import LINK_PREFIX, ClickWriter, Redirector
from shoppable.catalog import api as catalog_api
from shoppable.catalog.imports import ImportRunner
from shoppable.config import Settings, get_settings
from shoppable.content import api as content_api
from shoppable.content.storage import storage_from_settings
from shoppable.identity import api as identity_api
from shoppable.identity.deps import SESSION_COOKIE
from shoppable.kit import idempotency, log_redaction
from shoppable.kit.body_limit import BodyLimitMiddleware
from shoppable.kit.broker import broker_for
from shoppable.kit.db import Database
from shoppable.kit.headers import PAGE_POLICY, SecurityHeadersMiddleware
from shoppable.kit.http import FastJSONResponse, RequestIdMiddleware, install_error_handlers
from shoppable.kit.read_cache import PostgresInvalidation, ReadCache
from shoppable.kit.throttle import Throttle
from shoppable.live import api as live_api
from shoppable.live.hub import Hub
from shoppable.live.rules import RateLimit
from shoppable.live.sales import FlashSales
from shoppable.order import api as order_api
from shoppable.payment.payout_provider import PayoutProvider, TestPayoutProvider
from shoppable.payment.provider import PaymentProvider
from shoppable.payment.test_provider import TestPaymentProvider
from shoppable.web import docs, pages
from shoppable.web.errors import page_error
from shoppable.web.pages import install_pages
from shoppable.worker import Worker


def payment_provider(settings: Settings) -> PaymentProvider:
    if settings.payment_provider == "test":
        return TestPaymentProvider()
    raise RuntimeError(f"Unknown SHOPPABLE_PAYMENT_PROVIDER {settings.payment_provider!r}; this build has: test")


class ShoppableApp(FastAPI):
    """The API, with link redirects (``/l/{code}``, the hottest path) answered before the framework's
    middleware and routing: measured, they cost more than the redirect itself (docs/DECISIONS.md)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(LINK_PREFIX):
            await self.state.redirector(scope, send)
            return
        await super().__call__(scope, receive, send)


def payout_provider(settings: Settings) -> PayoutProvider:
    if settings.payout_provider == "test":
        return TestPayoutProvider()
    raise RuntimeError(f"Unknown SHOPPABLE_PAYOUT_PROVIDER {settings.payout_provider!r}; this build has: test")


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production_ready()
    log_redaction.install()
    owns_database = database is None
    db = database or Database(settings.database_url, echo=settings.sql_echo, pool_size=settings.db_pool_size)
    invalidation = None
    if settings.read_cache and not db.is_sqlite:
        db.read_cache = ReadCache(max_entries=settings.read_cache_entries)
        invalidation = PostgresInvalidation(db.url, "catalog_product", db.read_cache)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if invalidation is not None:
            await invalidation.start()
        async with db.session() as session:
            await idempotency.purge_expired(session, timedelta(hours=settings.idempotency_ttl_hours))
        await app.state.import_runner.resume()
        # Everything made so far lives as long as the process: keep it out of the collector's full scans,
        # which otherwise walk every module, model and route on each pass (long stalls on the redirect).
        gc.collect()
        gc.freeze()
        await hub.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        background = [loop.create_task(click_writer.run(stop))]
        if settings.worker_in_process:
            worker = Worker(db, settings, provider, hub)
            background.append(loop.create_task(worker.run_forever(stop)))
        yield
        stop.set()
        await asyncio.gather(*background)
        await app.state.import_runner.drain()
        await hub.stop()
        await app.state.throttle.aclose()
        closing = getattr(app.state.media_storage, "aclose", None)
        if closing is not None:  # a storage with connections of its own (S3)
            await closing()
        if invalidation is not None:
            await invalidation.stop()
        if owns_database:
            await db.dispose()

    app = ShoppableApp(
        title="Shoppable",
        version=__version__,
        summary="Social commerce API: catalogs, creators, affiliate plans, live shopping.",
        default_response_class=FastJSONResponse,
        lifespan=lifespan,
        docs_url=None,  # served from vendored files by web/docs.py: no CDN, no inline script
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = db
    app.state.import_runner = ImportRunner(db)
    provider = payment_provider(settings)
    app.state.payment_provider = provider
    app.state.payout_provider = payout_provider(settings)
    app.state.media_storage = storage_from_settings(settings)
    hub = Hub(broker_for(settings.redis_url))
    app.state.hub = hub
    app.state.live_sales = FlashSales(hub)
    app.state.chat_rate_limit = RateLimit()
    app.state.throttle = Throttle.from_settings(settings.redis_url)
    (settings.var_dir / "tmp").mkdir(parents=True, exist_ok=True)
    click_writer = ClickWriter(db, settings.click_flush_ms / 1000)
    app.state.click_writer = click_writer
    install_error_handlers(app, page_error)
    app.add_middleware(RequestIdMiddleware)
    multipart_slack = 64 * 1024  # the form's boundaries and part headers around the file
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.body_max_bytes,
        routes=[
            ("POST", r"/api/v1/media", settings.media_max_bytes + multipart_slack),
            ("POST", r"/api/v1/shops/[^/]+/imports", settings.import_max_bytes + multipart_slack),
            ("POST", r"/seller/[^/]+/imports", settings.import_max_bytes + multipart_slack),
            ("POST", r"/seller/[^/]+/products(/[^/]+)?", settings.media_max_bytes + multipart_slack),
        ],
    )
    app.add_middleware(
        SecurityHeadersMiddleware,
        page_policies={"": PAGE_POLICY, **docs.POLICIES},
        file_prefixes=("/media",),
        credential_cookies=(SESSION_COOKIE,),
    )
    redirector = Redirector(
        db,
        click_writer,
        secret=settings.secret_key,
        window_days=settings.attribution_window_days,
        secure_cookie=settings.public_url.startswith("https://"),
        clicks_per_ip=settings.clicks_per_ip,
    )
    app.state.redirector = redirector
    app.include_router(identity_api.router)
    app.include_router(identity_api.creators_router)
    app.include_router(account.router)
    app.include_router(catalog_api.router)
    app.include_router(order_api.router)
    app.include_router(affiliate_api.router)
    app.include_router(content_api.router)
    app.include_router(live_api.router)
    app.include_router(live_api.sockets)
    app.include_router(content_api.files)  # before the /media mount, which would otherwise take the path
    install_pages(app)
    app.include_router(docs.router)
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).parent / "static"), name="static")

    media = settings.var_dir / "media"
    media.mkdir(parents=True, exist_ok=True)
    app.mount("/media", StaticFiles(directory=media), name="media")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
