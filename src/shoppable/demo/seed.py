"""Seed the demo: accounts, two shops imported from real export files through the real importers, the
shopper's first orders, and a creator selling through affiliate links."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from shoppable.catalog import imports, shops
from shoppable.catalog import service as catalog
from shoppable.config import Settings
from shoppable.content import videos
from shoppable.demo import affiliates, content, lives
from shoppable.demo.dummyjson import to_shopify_products
from shoppable.demo.placeholders import write_placeholder
from shoppable.identity import addresses
from shoppable.identity import service as identity
from shoppable.identity.rules import Principal, ShopRole
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.order import checkout, lifecycle
from shoppable.order.rules import Item
from shoppable.payment import cards, test_provider


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str


SELLER = DemoAccount("seller@demo.shoppable.dev", "demo-seller-pass", "seller: owner of both demo shops")
STAFF = DemoAccount("staff@demo.shoppable.dev", "demo-staff-pass", "seller staff of Packt Home")
SHOPPER = DemoAccount("shopper@demo.shoppable.dev", "demo-shopper-pass", "shopper")
CREATOR = DemoAccount(
    "creator@demo.shoppable.dev", "demo-creator-pass", "creator @ana: links, commissions in every state, a payout"
)
CREATOR_LEO = DemoAccount("leo@demo.shoppable.dev", "demo-leo-pass", "creator @leo: a showcase and videos")
ACCOUNTS = (SELLER, STAFF, SHOPPER, CREATOR, CREATOR_LEO)


def _data(name: str) -> Path:
    return Path(str(resources.files("shoppable.demo") / "data" / name))


def _packt_csv(settings: Settings) -> Path:
    """The Packt export with its CDN images swapped for local placeholders; everything else as shipped."""
    media = settings.var_dir / "media"
    target = settings.var_dir / "demo" / "packt_product_data.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        _data("packt_product_data.csv").open(encoding="utf-8-sig", newline="") as source,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        reader = csv.DictReader(source)
        assert reader.fieldnames is not None
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
        writer.writeheader()
        for number, row in enumerate(reader):
            for column in ("Image Src", "Variant Image"):
                if row.get(column):
                    row[column] = write_placeholder(media, f"packt-{number}-{column}", row["Title"] or row["Handle"])
            writer.writerow(row)
    return target


def _dummyjson(settings: Settings) -> Path:
    media = settings.var_dir / "media"
    items = json.loads(_data("dummyjson_products.json").read_text(encoding="utf-8"))
    target = settings.var_dir / "demo" / "dummyjson_as_shopify.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(to_shopify_products(items, lambda key, title: write_placeholder(media, key, title))))
    return target


async def seed_demo(database: Database, settings: Settings) -> bool:
    """Create the demo once; returns False when it was already there."""
    async with database.session() as session:
        if await identity.find_user_by_email(session, SELLER.email) is not None:
            return False
        users = {
            account.email: await identity.register_user(
                session,
                email=account.email,
                password=account.password,
                name=account.email.split("@")[0].title(),
            )
            for account in ACCOUNTS
        }
        seller = users[SELLER.email]
        packt = await shops.open_shop(session, owner_id=seller.id, name="Packt Home", currency="USD", slug="packt-home")
        market = await shops.open_shop(
            session, owner_id=seller.id, name="Everyday Market", currency="USD", slug="everyday-market"
        )
        await identity.add_membership(session, shop_id=packt.id, user_id=users[STAFF.email].id, role=ShopRole.STAFF)
        for shop_id, path, fmt in (
            (packt.id, _packt_csv(settings), "shopify_csv"),
            (market.id, _dummyjson(settings), "shopify_json"),
        ):
            await imports.import_file(session, shop_id=shop_id, path=path, fmt=fmt, actor="demo-seed")
    # The affiliate orders first: their completion (a return window in the future) must not complete these.
    await affiliates.seed_affiliates(
        database, settings, seller=seller.id, shopper=users[SHOPPER.email].id, creator=users[CREATOR.email].id
    )
    await _place_demo_orders(database, settings, shopper=users[SHOPPER.email].id, seller=seller.id)
    async with database.session() as session:  # so "Buy now" in a live room asks for nothing
        await addresses.save_address(session, users[SHOPPER.email].id, affiliates.ADDRESS)
        await cards.save_card(session, users[SHOPPER.email].id, "4242 4242 4242 4242", 12, utcnow().year + 3)
    fans = [users[SHOPPER.email].id, users[STAFF.email].id, seller.id]
    made, ana_products = await content.seed_content(
        database, settings, ana=users[CREATOR.email].id, leo=users[CREATOR_LEO.email].id, fans=fans
    )
    await _buy_through_video(database, settings, shopper=users[SHOPPER.email].id, video_id=made[0])
    await lives.seed_lives(database, settings, ana=users[CREATOR.email].id, product_ids=ana_products)
    return True


async def _first_in_stock(database: Database, shop_id: str) -> str:
    async with database.session(write=False) as session:
        products, _ = await catalog.search_products(session, shop_id=shop_id, sort="newest", limit=20)
    return str(next(v["id"] for p in products for v in p["variants"] if v["inventory_quantity"] > 0 and v["price"] > 0))


async def _place_demo_orders(database: Database, settings: Settings, *, shopper: str, seller: str) -> None:
    """The demo shopper's first purchase, one order per shop: one of them delivered, one for the seller to ship."""
    async with database.session(write=False) as session:
        shop_ids = [(await shops.get_shop_by_slug(session, slug)).id for slug in ("packt-home", "everyday-market")]
    items = [Item(await _first_in_stock(database, shop_id), 1) for shop_id in shop_ids]
    purchase = checkout.Purchase(
        buyer=Principal(user_id=shopper),
        items=items,
        shipping_address={
            "name": "Demo Shopper",
            "line1": "1 Main St",
            "city": "Lisbon",
            "postal_code": "1000-001",
            "country": "PT",
        },
        payment_token=test_provider.SUCCEEDS,
    )
    _, placed = await checkout.place_orders(database, test_provider.TestPaymentProvider(), settings, purchase)
    delivered = next(order["id"] for order in placed["orders"] if order["shop_id"] == shop_ids[0])
    async with database.session() as session:
        owner = Principal(user_id=seller)
        await lifecycle.ship(session, owner, delivered, carrier="UPS", tracking_number="1Z999AA10123456784")
        await lifecycle.deliver(session, owner, delivered, return_window_days=settings.return_window_days)


async def _buy_through_video(database: Database, settings: Settings, *, shopper: str, video_id: str) -> None:
    """The shopper taps the first video's anchor and buys: the sale credits @ana, with the video as its source."""
    async with database.session(write=False) as session:
        video = await videos.get_video(session, video_id)
        product = await catalog.read_product(session, video["anchors"][0]["product_id"])
    variant = next(v["id"] for v in product["variants"] if v["inventory_quantity"] > 0)
    purchase = checkout.Purchase(
        buyer=Principal(user_id=shopper),
        items=[Item(variant, 1, {"type": "video", "id": video_id})],
        shipping_address=affiliates.ADDRESS,
        payment_token=test_provider.SUCCEEDS,
    )
    await checkout.place_orders(database, test_provider.TestPaymentProvider(), settings, purchase)
