"""Imports through HTTP: 202 and poll, idempotent re-imports, per-row reports, bad files, refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from shoppable.catalog.imports import ImportRunner
from shoppable.catalog.models import ProductImport
from shoppable.kit.db import Database
from tests.conftest import ON_POSTGRES
from tests.helpers import Account, add_staff, create_shop, register


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await register(client)


@pytest.fixture
async def shop(client: httpx.AsyncClient, owner: Account) -> dict:
    return await create_shop(client, owner)


async def start_import(
    client: httpx.AsyncClient,
    account: Account,
    shop_id: str,
    name: str,
    content: bytes,
    *,
    fmt: str | None = None,
    key: str | None = None,
) -> httpx.Response:
    headers = dict(account.headers) | ({"Idempotency-Key": key} if key else {})
    return await client.post(
        f"/api/v1/shops/{shop_id}/imports",
        files={"file": (name, content)},
        data={"format": fmt} if fmt else {},
        headers=headers,
    )


async def finished(client: httpx.AsyncClient, app: FastAPI, account: Account, import_id: str) -> dict[str, Any]:
    await app.state.import_runner.drain()
    response = await client.get(f"/api/v1/imports/{import_id}", headers=account.headers)
    assert response.status_code == 200
    return dict(response.json())


async def all_products(client: httpx.AsyncClient, account: Account, shop_id: str) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"/api/v1/shops/{shop_id}/products", params=params, headers=account.headers)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_shopify_csv_import_then_reimport_creates_nothing_twice(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict, shared_data: Path
) -> None:
    content = (shared_data / "shopify-csv" / "apparel.csv").read_bytes()
    accepted = await start_import(client, owner, shop["id"], "apparel.csv", content)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "queued"
    assert accepted.json()["format"] == "shopify_csv"
    report = await finished(client, app, owner, accepted.json()["id"])
    assert report["status"] == "succeeded", report
    assert (report["created"], report["updated"], report["rows_total"]) == (20, 0, 22)
    assert report["skipped"] == []
    products = await all_products(client, owner, shop["id"])
    assert len(products) == 20
    variants_before = {v["id"] for p in products for v in p["variants"]}
    again = await start_import(client, owner, shop["id"], "apparel.csv", content)
    report = await finished(client, app, owner, again.json()["id"])
    assert (report["status"], report["created"], report["updated"]) == ("succeeded", 0, 20)
    products = await all_products(client, owner, shop["id"])
    assert len(products) == 20
    assert {v["id"] for p in products for v in p["variants"]} == variants_before


async def test_reimport_updates_prices_and_stock_in_place(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict
) -> None:
    header = "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\r\n"
    first = header + "mug,Mug,Size,S,MUG-S,10.00,4\r\nmug,,,M,MUG-M,12.00,2\r\n"
    second = header + "mug,Mug Deluxe,Size,S,MUG-S,11.50,9\r\nmug,,,M,MUG-M,12.00,\r\n"
    for content in (first, second):
        response = await start_import(client, owner, shop["id"], "mugs.csv", content.encode())
        report = await finished(client, app, owner, response.json()["id"])
        assert report["status"] == "succeeded", report
    [mug] = await all_products(client, owner, shop["id"])
    assert mug["title"] == "Mug Deluxe"
    assert [(v["sku"], v["price"], v["inventory_quantity"]) for v in mug["variants"]] == [
        ("MUG-S", 1150, 9),
        ("MUG-M", 1200, 2),  # a blank quantity keeps the stock
    ]
    movements = await client.get(
        f"/api/v1/variants/{mug['variants'][0]['id']}/inventory/movements", headers=owner.headers
    )
    assert [(m["delta"], m["quantity_after"], m["reason"]) for m in movements.json()["items"]] == [
        (5, 9, "import"),
        (4, 4, "import"),
    ]


async def test_skipped_rows_are_reported_with_row_numbers(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict
) -> None:
    content = (
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price\n"
        "good,Good,Title,Default Title,G-1,5.00\n"
        "bad-price,Bad Price,Title,Default Title,B-1,abc\n"
        "dupe-sku,Dupe SKU,Title,Default Title,G-1,5.00\n"
    )
    response = await start_import(client, owner, shop["id"], "rows.csv", content.encode())
    report = await finished(client, app, owner, response.json()["id"])
    assert report["status"] == "succeeded"
    assert report["created"] == 2  # a SKU another product has is a warning, not a reason to leave one out
    reasons: dict[int, list[str]] = {}
    for skipped in report["skipped"]:
        reasons.setdefault(skipped["row"], []).append(skipped["reason"])
    assert set(reasons) == {3}
    assert any("'abc'" in reason for reason in reasons[3])
    assert [(w["row"], w["handle"], w["sku"]) for w in report["warnings"]] == [
        (2, "good", "G-1"),
        (4, "dupe-sku", "G-1"),
    ]
    assert "'dupe-sku'" in report["warnings"][0]["message"]
    assert "'good'" in report["warnings"][1]["message"]


FIXTURES = Path(__file__).parents[1] / "fixtures"


async def test_a_sku_two_products_share_imports_both_with_warnings(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict
) -> None:
    """A store's export where two products carry one SKU (Shopify allows it) brings in every product, each with
    its own stock; the report warns about both, and a re-import neither merges nor duplicates them."""
    content = (FIXTURES / "shopify_shared_sku.csv").read_bytes()
    for attempt in ("first", "again"):
        response = await start_import(client, owner, shop["id"], "shared.csv", content)
        report = await finished(client, app, owner, response.json()["id"])
        assert report["status"] == "succeeded", report
        assert (report["created"], report["updated"], report["skipped"]) == (
            (3, 0, []) if attempt == "first" else (0, 3, [])
        )
        assert [(w["row"], w["handle"], w["sku"]) for w in report["warnings"]] == [
            (2, "enamel-camp-mug", "MUG-ENAMEL"),
            (4, "enamel-mug-gift-set", "MUG-ENAMEL"),
        ]
        assert "'enamel-mug-gift-set'" in report["warnings"][0]["message"]
    products = {p["handle"]: p for p in await all_products(client, owner, shop["id"])}
    assert sorted(products) == ["enamel-camp-mug", "enamel-mug-gift-set", "linen-tea-towel"]
    assert [(v["sku"], v["inventory_quantity"]) for v in products["enamel-camp-mug"]["variants"]] == [
        ("MUG-ENAMEL", 12),
        ("MUG-ENAMEL-L", 7),
    ]
    assert [(v["sku"], v["inventory_quantity"]) for v in products["enamel-mug-gift-set"]["variants"]] == [
        ("MUG-ENAMEL", 3)
    ]


async def test_a_sku_twice_within_one_product_skips_that_product(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict
) -> None:
    content = (
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price\n"
        "twice,Twice,Size,S,TW-1,5.00\n"
        "twice,,,M,TW-1,5.00\n"
        "fine,Fine,Title,Default Title,TW-1,5.00\n"
    )
    response = await start_import(client, owner, shop["id"], "twice.csv", content.encode())
    report = await finished(client, app, owner, response.json()["id"])
    assert report["status"] == "succeeded"
    assert report["created"] == 1
    assert [(s["row"], s["handle"]) for s in report["skipped"]] == [(2, "twice")]
    assert "distinct SKUs" in report["skipped"][0]["reason"]
    assert report["warnings"] == []
    assert [p["handle"] for p in await all_products(client, owner, shop["id"])] == ["fine"]


async def test_woocommerce_and_shopify_json_imports(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shared_data: Path
) -> None:
    for folder, name in (("woocommerce", "sample_products.csv"), ("shopify-json", "products.json")):
        shop = await create_shop(client, owner)
        content = (shared_data / folder / name).read_bytes()
        response = await start_import(client, owner, shop["id"], name, content)
        assert response.status_code == 202
        report = await finished(client, app, owner, response.json()["id"])
        assert report["status"] == "succeeded", report
        products = await all_products(client, owner, shop["id"])
        assert report["created"] == len(products) > 0
        if folder == "woocommerce":
            by_handle = {p["handle"]: p for p in products}
            assert len(products) == 16
            hoodie = by_handle["woo-hoodie"]
            assert hoodie["options"] == [
                {"name": "Color", "values": ["Blue", "Green", "Red"]},
                {"name": "Logo", "values": ["Yes", "No"]},
            ]
            assert len(hoodie["variants"]) == 4
            # The V-neck's variations leave Size blank ("any size"): Colour is its only option.
            vneck = by_handle["woo-vneck-tee"]
            assert vneck["options"] == [{"name": "Color", "values": ["Blue", "Green", "Red"]}]
            assert sorted((v["options"]["Color"], v["price"]) for v in vneck["variants"]) == [
                ("Blue", 1500),
                ("Green", 2000),
                ("Red", 2000),
            ]
            assert [s["row"] for s in report["skipped"]] == [24, 25]  # grouped and external products
        else:
            assert report["format"] == "shopify_json"


async def test_bad_files_fail_clearly_and_import_nothing(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict
) -> None:
    missing_columns = await start_import(
        client, owner, shop["id"], "x.csv", b"Handle,Name\nfoo,bar\n", fmt="shopify_csv"
    )
    assert missing_columns.status_code == 202
    report = await finished(client, app, owner, missing_columns.json()["id"])
    assert report["status"] == "failed"
    assert report["error"]
    assert await all_products(client, owner, shop["id"]) == []
    unknown = await start_import(client, owner, shop["id"], "x.bin", b"\x00\x01\x02 binary")
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "invalid_import_file"
    empty = await start_import(client, owner, shop["id"], "x.csv", b"")
    assert empty.status_code == 422
    assert empty.json()["code"] == "empty_file"
    bad_format = await start_import(client, owner, shop["id"], "x.csv", b"a,b\n", fmt="excel")
    assert bad_format.status_code == 422
    assert bad_format.json()["errors"][0]["loc"] == ["body", "format"]


async def test_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict
) -> None:
    content = b"Handle,Title,Variant Price\nkeyed,Keyed,1.00\n"
    first = await start_import(client, owner, shop["id"], "k.csv", content, key="import-1")
    second = await start_import(client, owner, shop["id"], "k.csv", content, key="import-1")
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    other = await start_import(client, owner, shop["id"], "k.csv", content + b"more,More,2.00\n", key="import-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    await finished(client, app, owner, first.json()["id"])
    assert len(await all_products(client, owner, shop["id"])) == 1


async def test_import_refusals(client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict) -> None:
    content = b"Handle,Title,Variant Price\nx,X,1.00\n"
    assert (
        await client.post(f"/api/v1/shops/{shop['id']}/imports", files={"file": ("a.csv", content)})
    ).status_code == 401
    stranger = await register(client)
    refused = await start_import(client, stranger, shop["id"], "a.csv", content)
    assert refused.status_code == 403
    staff = await register(client)
    await add_staff(client, owner, shop["id"], staff)
    accepted = await start_import(client, staff, shop["id"], "a.csv", content)
    assert accepted.status_code == 202
    await finished(client, app, owner, accepted.json()["id"])
    hidden = await client.get(f"/api/v1/imports/{accepted.json()['id']}", headers=stranger.headers)
    assert hidden.status_code == 404
    no_file = await client.post(f"/api/v1/shops/{shop['id']}/imports", headers=owner.headers)
    assert no_file.status_code == 422


async def test_overlong_values_are_cut_or_reported_never_a_failed_import(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict
) -> None:
    long_vendor, long_sku = "V" * 300, "S" * 300
    content = (
        "Handle,Title,Vendor,Variant SKU,Variant Price\n"
        f"long-vendor,Long Vendor,{long_vendor},LV-1,1.00\n"
        f"long-sku,Long SKU,Acme,{long_sku},1.00\n"
    )
    response = await start_import(client, owner, shop["id"], "long.csv", content.encode())
    report = await finished(client, app, owner, response.json()["id"])
    assert report["status"] == "succeeded", report
    assert report["created"] == 1
    assert [(s["row"], s["handle"]) for s in report["skipped"]] == [(3, "long-sku")]
    assert "longer than 255" in report["skipped"][0]["reason"]
    [product] = await all_products(client, owner, shop["id"])
    assert product["vendor"] == "V" * 255


async def test_out_of_range_numbers_are_reported_and_negative_stock_is_zero(
    client: httpx.AsyncClient, app: FastAPI, owner: Account, shop: dict
) -> None:
    content = (
        "Handle,Title,Variant SKU,Variant Price,Variant Inventory Qty,Variant Grams\n"
        "oversold,Oversold,OS-1,1.00,-3,100\n"
        "huge-price,Huge Price,HP-1,99999999999999999999.00,1,100\n"
        "huge-stock,Huge Stock,HS-1,1.00,99999999999,100\n"
        "heavy,Heavy,HV-1,1.00,1,99999999999\n"
    )
    response = await start_import(client, owner, shop["id"], "ranges.csv", content.encode())
    report = await finished(client, app, owner, response.json()["id"])
    assert report["status"] == "succeeded", report
    assert [s["row"] for s in report["skipped"]] == [3, 4, 5]
    [product] = await all_products(client, owner, shop["id"])
    assert product["variants"][0]["inventory_quantity"] == 0


async def test_oversized_upload_is_413_and_stores_nothing(
    client: httpx.AsyncClient, owner: Account, shop: dict
) -> None:
    from shoppable.config import get_settings

    settings = get_settings()
    limit, settings.import_max_bytes = settings.import_max_bytes, 64
    try:
        response = await start_import(
            client, owner, shop["id"], "big.csv", b"Handle,Title,Variant Price\n" + b"x" * 100
        )
    finally:
        settings.import_max_bytes = limit
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not [p for p in (settings.var_dir / "imports").iterdir() if p.name.startswith(".upload-")]


@pytest.mark.skipif(not ON_POSTGRES, reason="several processes share imports on PostgreSQL only")
async def test_a_starting_process_leaves_another_process_s_running_import_alone(
    client: httpx.AsyncClient, app: FastAPI, database: Database, owner: Account, shop: dict
) -> None:
    csv = b"Handle,Title,Variant Price\nmug,Mug,5.00\n"
    accepted = await start_import(client, owner, shop["id"], "mugs.csv", csv)
    await finished(client, app, owner, accepted.json()["id"])
    import_id = accepted.json()["id"]
    async with database.session() as session:  # as if a live process were importing it right now
        await session.execute(update(ProductImport).where(ProductImport.id == import_id).values(status="running"))
    other_process = ImportRunner(database)
    async with database.session() as live_import:
        await live_import.get(ProductImport, import_id, with_for_update=True)
        # Bounded: a resume that waited for the live import's row lock would otherwise hang here, not fail.
        await asyncio.wait_for(other_process.resume(), timeout=10)
        await other_process.drain()
        async with database.session(write=False) as session:
            assert (await session.get(ProductImport, import_id, populate_existing=True)).status == "running"
    # Once that process is gone (its transaction ended, the row unlocked), a starting process takes it over.
    await other_process.resume()
    await other_process.drain()
    report = (await client.get(f"/api/v1/imports/{import_id}", headers=owner.headers)).json()
    assert report["status"] == "succeeded"
