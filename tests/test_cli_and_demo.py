"""The command line: `shoppable import` with its report, and the demo seed through the real importers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from shoppable.catalog import service as catalog
from shoppable.catalog import shops
from shoppable.catalog.models import Product
from shoppable.config import get_settings
from shoppable.demo import content as demo_content
from shoppable.demo.seed import CREATOR, SELLER, SHOPPER, seed_demo
from shoppable.identity import service as identity
from shoppable.kit.db import Database
from shoppable.ledger import service as ledger
from tests.helpers import Account, bought, run_shoppable, unique


async def _shop_slug(database: Database) -> str:
    async with database.session() as session:
        user = await identity.register_user(
            session, email=f"{unique('cli')}@example.com", password="correct horse battery", name="CLI"
        )
        return (
            await shops.open_shop(session, owner_id=user.id, name=unique("CLI Shop "), currency="USD", slug=None)
        ).slug


async def test_cli_import_prints_the_report(database: Database, tmp_path: Path) -> None:
    slug = await _shop_slug(database)
    export = tmp_path / "export.csv"
    export.write_text(
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price\n"
        "cli-mug,CLI Mug,Title,Default Title,CLI-MUG,9.50\n"
        "cli-bad,CLI Bad,Title,Default Title,CLI-BAD,nine\n"
    )
    code, output = await run_shoppable("import", "--shop", slug, str(export))
    assert code == 0, output
    assert "1 products created" in output
    assert "row 3" in output
    async with database.session(write=False) as session:
        shop = await shops.get_shop_by_slug(session, slug)
        count = await session.scalar(select(func.count()).select_from(Product).where(Product.shop_id == shop.id))
    assert count == 1


async def test_cli_import_refuses_a_bad_file_and_an_unknown_shop(database: Database, tmp_path: Path) -> None:
    slug = await _shop_slug(database)
    bad = tmp_path / "bad.csv"
    bad.write_text("Handle,Name\nx,y\n")
    code, output = await run_shoppable("import", "--shop", slug, "--format", "shopify_csv", str(bad))
    assert code == 1
    assert "Import failed" in output
    code, output = await run_shoppable("import", "--shop", "no-such-shop", str(bad))
    assert code == 1
    assert "Shop not found" in output


async def test_demo_seed_imports_both_shops_searchably(database: Database, client: httpx.AsyncClient) -> None:
    async with database.session(write=False) as session:
        if await identity.find_user_by_email(session, SELLER.email) is not None:
            pytest.skip("the demo is already seeded in this database")
    assert await seed_demo(database, get_settings()) is True
    assert await seed_demo(database, get_settings()) is False  # idempotent
    async with database.session(write=False) as session:
        packt = await shops.get_shop_by_slug(session, "packt-home")
        market = await shops.get_shop_by_slug(session, "everyday-market")
        counts = {}
        for shop in (packt, market):
            counts[shop.slug] = await session.scalar(
                select(func.count()).select_from(Product).where(Product.shop_id == shop.id)
            )
        lamps, _ = await catalog.search_products(session, q="lamp", shop_id=packt.id, limit=50)
    assert counts == {"packt-home": 20, "everyday-market": 194}
    assert {p["title"] for p in lamps} >= {"Floor Lamp"}
    assert all(image["url"].startswith("/media/placeholders/") for p in lamps for image in p["images"])
    # The demo shopper can buy an imported product, and the line keeps its picture.
    token = await client.post("/api/v1/auth/token", data={"username": SHOPPER.email, "password": SHOPPER.password})
    shopper = Account(id="", email=SHOPPER.email, token=token.json()["access_token"])
    seeded = (await client.get("/api/v1/orders", headers=shopper.headers)).json()["items"]
    statuses = sorted(order["status"] for order in seeded)
    assert statuses == ["cancelled", "completed", "completed", "delivered", "paid", "paid", "paid", "paid"]
    assert len({order["shop_id"] for order in seeded}) == 2
    # The demo creator has links with clicks, and commissions in every state, partly paid out.
    token = await client.post("/api/v1/auth/token", data={"username": CREATOR.email, "password": CREATOR.password})
    creator = Account(id="", email=CREATOR.email, token=token.json()["access_token"])
    links = (await client.get("/api/v1/affiliate/links", headers=creator.headers)).json()["items"]
    clicked = [(link["clicks"], link["orders"]) for link in links if link["clicks"]]
    assert clicked == [(1, 1)] * 5  # the links she shared (her showcase made a link or two more)
    earned = (await client.get("/api/v1/creators/me/commissions", headers=creator.headers)).json()["items"]
    assert sorted(c["status"] for c in earned) == ["pending", "pending", "pending", "reversed", "settled", "settled"]
    assert "video" in {c["source_type"] for c in earned}  # the shopper bought through a video's anchor
    # Content: two creators' showcases and videos with anchors and tiles, a feed to scroll.
    feed = (await client.get("/api/v1/feed", params={"limit": 200})).json()["items"]
    assert {v["creator"]["handle"] for v in feed} >= {"ana", "leo"}
    posted = [v for v in feed if v["creator"]["handle"] in ("ana", "leo") and not v["title"].endswith("(replay)")]
    assert len(posted) == 8
    assert all(v["anchors"] and len(v["tiles"]) == 2 for v in posted)
    assert len((await client.get("/api/v1/creators/leo/showcase")).json()["items"]) == 4
    assert (await client.get("/api/v1/creators/ana")).json()["video_count"] == 5  # four posted, one live replay
    # Live: @ana is on air with a pinned product and a flash sale; an earlier live became a replay.
    on_air = (await client.get("/api/v1/lives", params={"status": "live"})).json()["items"]
    demo_live = next(live for live in on_air if live["host"].get("handle") == "ana")
    assert demo_live["pinned_product"] is not None
    assert demo_live["flash_sale"]["status"] == "running"
    replays = [v for v in feed if v["title"].endswith("(replay)") and v["creator"]["handle"] == "ana"]
    assert replays
    assert replays[0]["anchors"]
    money = (await client.get("/api/v1/creators/me/balance", headers=creator.headers)).json()["USD"]
    assert money["paid_out"] > 0
    assert money["available"] > 0
    assert money["pending"] > 0
    async with database.session(write=False) as session:
        assert await ledger.verify(session) == []
    lamp = next(p for p in lamps if p["title"] == "Floor Lamp")
    order = await bought(client, shopper, lamp["variants"][0]["id"])
    assert order["lines"][0]["image_url"] == lamp["images"][0]["url"]


def test_demo_videos_fall_back_to_their_poster_without_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg on it
    assert demo_content._render(tmp_path / "v.mp4", "Lamp", hue=0) is False
    assert not (tmp_path / "v.mp4").exists()


async def test_rebuild_rollups_fills_a_shop_s_dashboard_from_its_orders(
    client: httpx.AsyncClient, database: Database
) -> None:
    from sqlalchemy import delete

    from shoppable.analytics.dashboard import shop_dashboard
    from shoppable.analytics.models import ShopCredits, ShopSales
    from shoppable.kit.clock import utcnow
    from tests.helpers import list_product, register

    listing = await list_product(client, (2500, 10))
    await bought(client, await register(client), listing.variant_ids[0], quantity=2)
    shop_id = listing.shop["id"]
    async with database.session() as session:  # a database upgraded from before the rollups
        await session.execute(delete(ShopSales).where(ShopSales.shop_id == shop_id))
        await session.execute(delete(ShopCredits).where(ShopCredits.shop_id == shop_id))

    async def month_gmv() -> int:
        async with database.session(write=False) as session:
            figures = await shop_dashboard(
                session, shop_id, currency="USD", time_zone="UTC", now=utcnow(), from_rollup=True
            )
        return figures.month.gmv

    assert await month_gmv() == 0
    code, output = await run_shoppable("rebuild-rollups", "--shop", listing.shop["slug"])
    assert code == 0, output
    assert "Rebuilt the rollups of 1 shops from 1 orders" in " ".join(output.split())
    assert await month_gmv() == 5000
    code, output = await run_shoppable("rebuild-rollups", "--shop", "no-such-shop")
    assert code == 1
    assert "No shop has the slug" in output
