"""The demo's live shopping, through the real services: @ana on air with a pinned product, a flash sale and a
live coupon (open the room in two browsers and buy), and an earlier live of hers that became a replay video."""

from __future__ import annotations

from shoppable.catalog import service as catalog
from shoppable.config import Settings
from shoppable.identity.rules import Principal
from shoppable.kit.broker import MemoryBroker
from shoppable.kit.db import Database
from shoppable.live import service
from shoppable.live.hub import Hub


async def seed_lives(database: Database, settings: Settings, *, ana: str, product_ids: list[str]) -> str:
    """Two lives of @ana's over her products; the id of the one on air."""
    hub = Hub(MemoryBroker())  # nobody is watching while the demo is seeded
    host = Principal(user_id=ana)
    notice = settings.rate_cut_notice
    async with database.session() as session:
        earlier = await service.create_live(
            session, host, title="Ana's home edit, live", stream_url=None, scheduled_at=None,
            product_ids=product_ids[:3], shop_id=None, notice=notice,
        )  # fmt: skip
        await service.start(session, hub, host, earlier["id"])
        await service.pin(session, hub, host, earlier["id"], product_ids[0])
        await service.end(session, hub, host, earlier["id"])
        on_air = await service.create_live(
            session, host, title="Friday drop with Ana", stream_url=None, scheduled_at=None,
            product_ids=product_ids[:4], shop_id=None, notice=notice,
        )  # fmt: skip
        await service.start(session, hub, host, on_air["id"])
        await service.pin(session, hub, host, on_air["id"], product_ids[0])
        await service.create_coupon(
            session, host, on_air["id"], code="LIVE10", discount_bps=1000, total_cap=100, per_buyer_cap=1,
            notice=notice,
        )  # fmt: skip
    async with database.session() as session:
        live = await service.get_live(session, on_air["id"], viewers=0)
        variants = (await catalog.read_product(session, live["pinned_product"]["id"]))["variants"]
        variant = max(variants, key=lambda v: v["inventory_quantity"])
        # Half the pinned product's stock at half price (rounded up: the shops allow their hosts 50 % off), for
        # 20 minutes.
        if variant["inventory_quantity"] >= 2:
            await service.start_flash_sale(
                session,
                hub,
                host,
                on_air["id"],
                variant_id=variant["id"],
                price=max(1, variant["price"] - variant["price"] // 2),
                quantity=min(20, variant["inventory_quantity"] // 2),
                duration_s=1200,
                per_buyer_limit=1,
                countdown_s=10,
                notice=notice,
            )
    return str(on_air["id"])
