"""The demo's affiliate side, made through the real code paths: plans of every kind, a creator with links, the
shopper clicking them (the real redirect sets the attribution cookie) and buying, so that commissions exist in
every state: pending, reversed (a cancelled order), settled (a completed one) and partly paid out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shoppable.affiliate import links, payouts, plans
from shoppable.affiliate.redirect import ClickWriter, Redirector
from shoppable.affiliate.rules import PlanKind
from shoppable.affiliate.tokens import COOKIE, read_all
from shoppable.catalog import service as catalog
from shoppable.catalog import shops
from shoppable.config import Settings
from shoppable.identity import service as identity
from shoppable.identity.rules import CallingCreator, Principal
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.kit.money import Money
from shoppable.order import checkout, lifecycle
from shoppable.order.rules import Item
from shoppable.payment import test_provider
from shoppable.payment.payout_provider import TestPayoutProvider

ADDRESS = {"name": "Demo Shopper", "line1": "1 Main St", "city": "Lisbon", "postal_code": "1000-001", "country": "PT"}


async def _products(database: Database, slug: str, count: int) -> list[dict[str, Any]]:
    async with database.session(write=False) as session:
        shop = await shops.get_shop_by_slug(session, slug)
        found, _ = await catalog.search_products(session, shop_id=shop.id, sort="newest", limit=50)
    in_stock = [p for p in found if any(v["inventory_quantity"] >= 3 and v["price"] > 0 for v in p["variants"])]
    return in_stock[:count]


async def _click(redirector: Redirector, code: str) -> str:
    """The shopper's click through the real redirect: the attribution cookie it sets."""
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    headers = [(b"user-agent", b"Mozilla/5.0 (demo shopper)")]
    await redirector({"type": "http", "method": "GET", "path": f"/l/{code}", "headers": headers, "client": None}, send)
    cookie = str(dict(sent[0]["headers"])[b"set-cookie"].decode())
    return cookie.split(";", 1)[0].removeprefix(f"{COOKIE}=")


async def _buy(database: Database, settings: Settings, shopper: str, variant: str, cookie: str) -> str:
    clicks = read_all(cookie, settings.verification_keys, now=utcnow(), window=timedelta(days=1))
    purchase = checkout.Purchase(
        buyer=Principal(user_id=shopper),
        items=[Item(variant, 1)],
        shipping_address=ADDRESS,
        payment_token=test_provider.SUCCEEDS,
        clicks=tuple(clicks),
    )
    _, placed = await checkout.place_orders(database, test_provider.TestPaymentProvider(), settings, purchase)
    return str(placed["orders"][0]["id"])


async def seed_affiliates(database: Database, settings: Settings, *, seller: str, shopper: str, creator: str) -> None:
    packt = await _products(database, "packt-home", 2)
    market = await _products(database, "everyday-market", 3)
    owner = Principal(user_id=seller)
    async with database.session() as session:
        profile = await identity.create_creator(
            session,
            user_id=creator,
            handle="ana",
            display_name="Ana Lima",
            bio="Home finds and everyday favourites.",
            avatar_url=None,
        )
        packt_shop = packt[0]["shop_id"]
        await plans.create_plan(
            session,
            owner,
            packt_shop,
            kind=PlanKind.SHOP,
            name="Every Packt product",
            commission_bps=800,
            product_ids=[],
            creator_ids=[],
            starts_at=None,
            ends_at=None,
            host_discount_bps=5000,  # Ana's flash sales run at half price (demo/lives.py)
        )
        await plans.create_plan(
            session,
            owner,
            market[0]["shop_id"],
            kind=PlanKind.OPEN,
            name="Everyday picks",
            commission_bps=1500,
            product_ids=[p["id"] for p in market],
            creator_ids=[],
            starts_at=None,
            ends_at=None,
            host_discount_bps=5000,  # Ana's flash sales run at half price (demo/lives.py)
        )
        await plans.create_plan(
            session,
            owner,
            packt_shop,
            kind=PlanKind.TARGETED,
            name="Ana's launch rate",
            commission_bps=2000,
            product_ids=[packt[0]["id"]],
            creator_ids=[profile.id],
            starts_at=None,
            ends_at=None,
            host_discount_bps=5000,  # Ana's flash sales run at half price (demo/lives.py)
        )
        calling = CallingCreator(creator, profile.id, profile.handle)
        notice = settings.rate_cut_notice
        made = [
            (await links.get_or_create_link(session, calling, p["id"], public_url=settings.public_url, notice=notice))[
                1
            ]
            for p in [*packt, *market]
        ]
    writer = ClickWriter(database, interval_s=1.0)
    redirector = Redirector(database, writer, secret=settings.secret_key, window_days=7, secure_cookie=False)
    variants = {
        p["id"]: next(v["id"] for v in p["variants"] if v["inventory_quantity"] >= 3) for p in [*packt, *market]
    }
    orders = []
    for link in made:
        cookie = await _click(redirector, link["code"])
        orders.append(await _buy(database, settings, shopper, variants[link["product_id"]], cookie))
    await writer.flush()
    # packt[0] and market[0] complete (settled), market[1] is cancelled (reversed), the rest stay pending.
    async with database.session() as session:
        for order_id in (orders[0], orders[2]):
            await lifecycle.ship(session, owner, order_id, carrier="UPS", tracking_number="1Z999AA10123456784")
            await lifecycle.deliver(session, owner, order_id, return_window_days=settings.return_window_days)
        await lifecycle.cancel(
            session, test_provider.TestPaymentProvider(), owner, orders[3], reason="Out of stock at the warehouse"
        )
    await lifecycle.complete_due(database, now=utcnow() + timedelta(days=settings.return_window_days + 1))
    async with database.session(write=False) as session:
        (balance,) = await payouts.balance(session, profile.id)
    await payouts.request_payout(
        database,
        TestPayoutProvider(),
        calling,
        Money(balance["available"] // 2, balance["currency"]),
        idempotency_key=None,
        request_fingerprint="",
    )
