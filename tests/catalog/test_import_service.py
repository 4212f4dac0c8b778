"""Every shared sample file through the import service: exact totals, reports, and idempotent re-imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from shoppable.catalog import imports, shops
from shoppable.catalog.models import Product, ProductImport, Variant
from shoppable.identity import service as identity
from shoppable.kit.db import Database
from tests.helpers import unique

# file: (format, rows, products created, variants, skipped rows)
EXPECTED = {
    "shopify-csv/apparel.csv": ("shopify_csv", 22, 20, 22, []),
    "shopify-csv/home-and-garden.csv": ("shopify_csv", 21, 20, 21, []),
    "shopify-csv/packt_product_data.csv": ("shopify_csv", 21, 20, 21, []),
    "shopify-csv/product_template_2019.csv": ("shopify_csv", 3, 1, 3, []),
    "shopify-csv/product_template_2023.csv": ("shopify_csv", 17, 3, 16, []),
    "shopify-json/product.json": ("shopify_json", 1, 1, 4, []),
    "shopify-json/products.json": ("shopify_json", 4, 1, 1, [2, 3, 4]),  # the same handle four times
    "woocommerce/sample_products.csv": ("woocommerce_csv", 25, 16, 21, [24, 25]),  # grouped, external
}


async def _new_shop(database: Database) -> str:
    async with database.session() as session:
        user = await identity.register_user(
            session, email=f"{unique('imp')}@example.com", password="correct horse battery", name="Importer"
        )
        return (await shops.open_shop(session, owner_id=user.id, name=unique("Shop "), currency="USD", slug=None)).id


async def _counts(database: Database, shop_id: str) -> tuple[int, int]:
    async with database.session(write=False) as session:
        products = await session.scalar(select(func.count()).select_from(Product).where(Product.shop_id == shop_id))
        variants = await session.scalar(select(func.count()).select_from(Variant).where(Variant.shop_id == shop_id))
    return int(products or 0), int(variants or 0)


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_sample_file_imports_exactly_and_reimports_idempotently(
    database: Database, shared_data: Path, name: str
) -> None:
    fmt, rows, created, variants, skipped_rows = EXPECTED[name]
    path = shared_data / name
    assert imports.detect_format(path, path.name, None) == fmt
    shop_id = await _new_shop(database)
    for attempt in range(2):
        async with database.session() as session:
            report = await imports.import_file(session, shop_id=shop_id, path=path, fmt=fmt, actor="test")
        assert report.rows_total == rows
        assert (report.created, report.updated) == ((created, 0) if attempt == 0 else (0, created))
        assert [s["row"] for s in report.skipped] == skipped_rows
        assert all(s["reason"] for s in report.skipped)
        assert await _counts(database, shop_id) == (created, variants)


async def test_a_running_import_reports_how_far_through_its_file_it_is(database: Database) -> None:
    """The runner's progress callback moves forward through the file and reaches its end; the import commits."""
    shop_id = await _new_shop(database)
    rows = "".join(f"p-{i},Product {i},Title,Default Title,SKU-{i},{i}.00\n" for i in range(1, 400))
    path = imports._imports_dir() / f"progress-{unique('f')}.csv"
    path.write_text("Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price\n" + rows)
    async with database.session() as session:
        upload = imports.StoredUpload(path=path, filename="progress.csv", sha256="0" * 64, size=path.stat().st_size)
        job = await imports.queue_import(session, shop_id=shop_id, upload=upload, requested_format=None, actor="test")
        job_id = job.id
    seen: list[tuple[int, int]] = []
    await imports.run_import(database, job_id, lambda done, size: seen.append((done, size)))
    assert seen
    assert all(size == path.stat().st_size for _, size in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len({done for done, _ in seen}) > 1  # it moves while the file is read, not only at the end
    assert seen[-1][0] == path.stat().st_size
    async with database.session(write=False) as session:
        finished = await session.get(ProductImport, job_id)
    assert finished is not None
    assert (finished.status, finished.created, finished.warnings) == ("succeeded", 399, [])
