"""Product imports: store the upload, run it in the background (202 + poll), report every skipped row.

An import runs in one transaction: it lands whole or not at all, and re-running a file updates the same
products by handle (then each variant by SKU or options within its product) instead of creating them twice.
Two products may share a SKU (Shopify allows it): both come in, and the report warns about each.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from sqlalchemy import event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from shoppable.catalog.importers.records import (
    ImportFileError,
    ImportItem,
    ProductRecord,
    SkippedRow,
    VariationRecord,
)
from shoppable.catalog.importers.shopify_csv import parse_shopify_csv
from shoppable.catalog.importers.shopify_json import parse_shopify_json
from shoppable.catalog.importers.sniff import sniff_format
from shoppable.catalog.importers.woocommerce_csv import parse_woocommerce_csv
from shoppable.catalog.models import Product, ProductImport, Variant
from shoppable.catalog.products import save_products
from shoppable.catalog.rules import (
    ProductSpec,
    VariantSpec,
    duplicate_skus,
    resolve_options,
    sanitize_html,
    slugify,
)
from shoppable.catalog.shops import can_act_for, get_shop, require_shop
from shoppable.config import get_settings
from shoppable.identity.rules import Principal
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import Database
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.pagination import decode_cursor, encode_cursor
from shoppable.kit.urls import is_web_url

log = logging.getLogger("shoppable.imports")

BATCH_SIZE = 500
YIELD_EVERY = 50
MAX_SKU = 255
MAX_URL = 2048
MAX_AMOUNT = 10**15  # as the API's Amount
MAX_QUANTITY = 10**9
MAX_GRAMS = 10**7
Parser = Callable[[IO[bytes], str], Iterator[ImportItem]]
PARSERS: dict[str, Parser] = {
    "shopify_csv": parse_shopify_csv,
    "shopify_json": parse_shopify_json,
    "woocommerce_csv": parse_woocommerce_csv,
}


@dataclass(frozen=True, slots=True)
class StoredUpload:
    path: Path
    filename: str
    sha256: str
    size: int


def _imports_dir() -> Path:
    directory = get_settings().var_dir / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


async def store_upload(upload: UploadFile) -> StoredUpload:
    """Copy the upload to var/imports under its SHA-256, refusing empty and oversized files."""
    limit = get_settings().import_max_bytes
    digest = hashlib.sha256()
    temporary = _imports_dir() / f".upload-{new_id('tmp')}"
    size = 0
    try:
        with temporary.open("wb") as out:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise ShoppableError("file_too_large", 413, f"The file is larger than {limit} bytes.")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ShoppableError("empty_file", 422, "The uploaded file is empty.")
        final = _imports_dir() / digest.hexdigest()
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    return StoredUpload(path=final, filename=(upload.filename or "upload")[:255], sha256=digest.hexdigest(), size=size)


def detect_format(path: Path, filename: str, requested: str | None) -> str:
    if requested is not None:
        return requested
    with path.open("rb") as handle:
        return sniff_format(handle.read(4096), filename)


async def queue_import(
    session: AsyncSession, *, shop_id: str, upload: StoredUpload, requested_format: str | None, actor: str
) -> ProductImport:
    fmt = detect_format(upload.path, upload.filename, requested_format)
    job = ProductImport(
        id=new_id("imp"),
        shop_id=shop_id,
        format=fmt,
        status="queued",
        filename=upload.filename,
        file_path=str(upload.path),
        file_sha256=upload.sha256,
        rows_total=0,
        created=0,
        updated=0,
        skipped=[],
        warnings=[],
        error=None,
        created_by=actor,
        created_at=utcnow(),
        finished_at=None,
    )
    session.add(job)
    await session.flush()
    return job


def read_model(job: ProductImport) -> dict[str, Any]:
    return {
        "id": job.id,
        "shop_id": job.shop_id,
        "status": job.status,
        "format": job.format,
        "filename": job.filename,
        "rows_total": job.rows_total,
        "created": job.created,
        "updated": job.updated,
        "skipped": job.skipped,
        "warnings": job.warnings or [],
        "error": job.error,
        "created_at": isoformat(job.created_at),
        "finished_at": isoformat(job.finished_at),
    }


async def get_import_for(session: AsyncSession, principal: Principal, import_id: str) -> ProductImport:
    job = await session.get(ProductImport, import_id)
    if job is None or not await can_act_for(session, principal, job.shop_id):
        raise not_found("Import")
    return job


async def list_shop_imports(
    session: AsyncSession, principal: Principal, shop_id: str, *, limit: int, cursor: str | None = None
) -> tuple[list[ProductImport], str | None]:
    """The shop's imports, newest first (ids grow with time), a page at a time."""
    await require_shop(session, principal, shop_id)
    query = select(ProductImport).where(ProductImport.shop_id == shop_id)
    if cursor:
        query = query.where(ProductImport.id < str(decode_cursor(cursor, 1)[0]))
    rows = list(await session.scalars(query.order_by(ProductImport.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


# --- running an import ---------------------------------------------------------------------------


@dataclass
class ImportReport:
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def skip(self, row: int, handle: str | None, reason: str) -> None:
        self.skipped.append({"row": row, "handle": handle, "reason": reason})

    def warn(self, row: int, handle: str, sku: str, message: str) -> None:
        self.warnings.append({"row": row, "handle": handle, "sku": sku, "message": message})


def _spec_from_record(record: ProductRecord, variants: tuple[VariantSpec, ...]) -> ProductSpec | str:
    """The product spec of a record, or the reason it cannot be imported."""
    handle = slugify(record.handle) or slugify(record.title)
    if not handle:
        return "the product has neither a usable handle nor a title"
    if not variants:
        return "the product has no importable variant"
    repeated = duplicate_skus([v.sku for v in variants])
    if repeated:
        index, first = repeated[0]
        return (
            f"SKU {variants[index].sku!r} is on two of its variants ({first + 1} and {index + 1}); "
            "a product's variants need distinct SKUs"
        )
    too_long = next((v.sku for v in variants if v.sku and len(v.sku) > MAX_SKU), None)
    if too_long is not None:
        return f"SKU {too_long[:40]!r}... is longer than {MAX_SKU} characters"
    if any(v.image_url and len(v.image_url) > MAX_URL for v in variants):
        return f"a variant image URL is longer than {MAX_URL} characters"
    out_of_range = _out_of_range(variants)
    if out_of_range:
        return out_of_range
    options, errors = resolve_options(
        [(name, list(values) or None) for name, values in record.options], [v.options for v in variants]
    )
    if errors:
        return "; ".join(f"{'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in errors)
    return ProductSpec(
        handle=handle,
        title=record.title.strip()[:255] or handle,
        description_html=sanitize_html(record.description_html),
        # Column widths: long vendor and category names are cut rather than costing the product.
        vendor=(record.vendor or "")[:255] or None,
        category=(record.category or "")[:255] or None,
        tags=tuple(dict.fromkeys(record.tags)),
        status=record.status,
        images=tuple((i.url, i.alt) for i in record.images),
        options=tuple((name, tuple(values)) for name, values in options),
        variants=variants,
    )


def _out_of_range(variants: tuple[VariantSpec, ...]) -> str | None:
    """The same bounds the API enforces (and the columns can hold)."""
    for v in variants:
        if v.price > MAX_AMOUNT or (v.compare_at_price or 0) > MAX_AMOUNT:
            return f"a price is above {MAX_AMOUNT} minor units"
        if (v.inventory_quantity or 0) > MAX_QUANTITY:
            return f"an inventory quantity is above {MAX_QUANTITY}"
        if (v.weight_grams or 0) > MAX_GRAMS:
            return f"a weight is above {MAX_GRAMS} g"
    return None


def _variant_spec(record: Any) -> VariantSpec:
    # Shopify exports oversold variants with negative stock; here stock never goes below zero.
    quantity = None if record.inventory_quantity is None else max(0, record.inventory_quantity)
    return VariantSpec(
        sku=record.sku or None,
        options=dict(record.options),
        price=record.price,
        compare_at_price=record.compare_at_price,
        inventory_quantity=quantity,
        weight_grams=record.weight_grams,
        image_url=record.image_url,
    )


class _Batcher:
    """Collects specs and writes them a batch at a time; a handle repeated in the file is reported, never merged."""

    def __init__(self, session: AsyncSession, shop_id: str, currency: str, actor: str, report: ImportReport) -> None:
        self.session, self.shop_id, self.currency, self.actor, self.report = (
            session,
            shop_id,
            currency,
            actor,
            report,
        )
        self.pending: dict[str, tuple[int, ProductSpec]] = {}
        # Handles seen in this file (a few MB for 50,000 products): a repeat is reported, never merged.
        self.first_row: dict[str, int] = {}
        self.next_analyze = BATCH_SIZE
        self.in_flight: asyncio.Task[None] | None = None

    async def add(self, row: int, spec: ProductSpec) -> None:
        if spec.handle in self.first_row:
            self.report.skip(
                row,
                spec.handle,
                f"handle {spec.handle!r} was already used by the product at row {self.first_row[spec.handle]}",
            )
            return
        self.first_row[spec.handle] = row
        self.pending[spec.handle] = (row, spec)
        if len(self.pending) >= BATCH_SIZE:
            await self.dispatch()

    async def dispatch(self) -> None:
        """Start writing the pending batch and return; the caller parses the next batch meanwhile.

        The database works in another thread (aiosqlite) or process (PostgreSQL) while this one parses, so an
        import uses both cores. One batch is in flight at a time, so each sees the writes of the one before.
        """
        await self.wait()
        if self.pending:
            batch, self.pending = list(self.pending.values()), {}
            self.in_flight = asyncio.get_running_loop().create_task(self._write(batch))

    async def wait(self) -> None:
        if self.in_flight is not None:
            task, self.in_flight = self.in_flight, None
            await task

    async def flush(self) -> None:
        await self.dispatch()
        await self.wait()

    async def abandon(self) -> None:
        """After a failure: let the batch in flight finish with the session before the caller rolls back."""
        if self.in_flight is not None:
            task, self.in_flight = self.in_flight, None
            with contextlib.suppress(Exception):
                await task

    async def _write(self, batch: list[tuple[int, ProductSpec]]) -> None:
        accepted = [spec for _, spec in batch]
        saved = await save_products(
            self.session,
            shop_id=self.shop_id,
            currency=self.currency,
            specs=accepted,
            actor=self.actor,
            reason="import",
        )
        self.report.created += sum(1 for s in saved if s.created)
        self.report.updated += sum(1 for s in saved if not s.created)
        await self._refresh_planner_statistics()

    async def _refresh_planner_statistics(self) -> None:
        """Re-ANALYZE as a bulk import grows the tables (PostgreSQL only): after 500, 2,000, 8,000... new products.

        Without it the planner keeps the statistics of the tables before the import, and the look-ups of
        later batches turn into sequential scans: a 50,000-row re-import went from 10 s to 110 s. An import
        that only updates does not change the tables' shape and skips it.
        """
        if self.report.created >= self.next_analyze and self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("ANALYZE products, variants"))
            self.next_analyze = self.report.created * 4

    async def warn_shared_skus(self) -> None:
        """Warn about each product of this file that shares a SKU with another product of the shop.

        Shopify allows it and so does Shoppable (a SKU is distinct only within a product), but a seller usually
        means one SKU for one thing: each such product comes in, keeps its own stock, and is named in the report.
        Asked once the whole file is written, so the warnings do not depend on the order of the rows.
        """
        shared = (
            select(Variant.sku)
            .where(Variant.shop_id == self.shop_id, Variant.sku.is_not(None))
            .group_by(Variant.sku)
            .having(func.count(func.distinct(Variant.product_id)) > 1)
        )
        rows = await self.session.execute(
            select(Variant.sku, Product.handle)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.shop_id == self.shop_id, Variant.sku.in_(shared))
            .order_by(Variant.sku, Product.handle)
        )
        holders: dict[str, list[str]] = {}
        for sku, handle in rows:
            if sku is not None and handle not in holders.setdefault(sku, []):
                holders[sku].append(handle)
        for sku, handles in holders.items():
            for handle in handles:
                row = self.first_row.get(handle)
                if row is None:
                    continue  # a product of the shop that this file did not touch
                others = ", ".join(repr(h) for h in handles if h != handle)
                self.report.warn(
                    row,
                    handle,
                    sku,
                    f"SKU {sku!r} is also on product {others}; imported anyway, each product keeps its own stock",
                )


async def import_file(
    session: AsyncSession,
    *,
    shop_id: str,
    path: Path,
    fmt: str,
    actor: str,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a file into a shop inside the caller's transaction. Raises ImportFileError for a bad file."""
    shop = await get_shop(session, shop_id)
    parser = PARSERS.get(fmt)
    if parser is None:
        raise ImportFileError(f"Unknown import format {fmt!r}.")
    report = ImportReport()
    batcher = _Batcher(session, shop.id, shop.currency, actor, report)
    # WooCommerce variations may come anywhere after (or before) their parent: variable products wait
    # here until the end of the file. Memory grows with variable products only, never with simple ones.
    awaiting: dict[str, tuple[ProductRecord, list[VariantSpec]]] = {}
    orphans: list[VariationRecord] = []
    last_row = 0
    try:
        with path.open("rb") as stream:
            for count, item in enumerate(parser(stream, shop.currency)):
                if count % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let the batch being written send its next statement
                last_row = max(last_row, _last_row(item))
                if on_progress is not None:
                    on_progress(stream.tell())
                if isinstance(item, SkippedRow):
                    report.skip(item.row, item.handle, item.reason)
                elif isinstance(item, VariationRecord):
                    parent = awaiting.get(item.parent_key)
                    if parent is None:
                        orphans.append(item)
                    else:
                        parent[1].append(_variant_spec(item.variant))
                elif item.awaits_variations:
                    entry: tuple[ProductRecord, list[VariantSpec]] = (item, [])
                    for key in item.keys:
                        awaiting[key] = entry
                else:
                    await _add_record(batcher, report, item, tuple(_variant_spec(v) for v in item.variants))
        for orphan in orphans:
            parent = awaiting.get(orphan.parent_key)
            if parent is None:
                report.skip(
                    orphan.row,
                    None,
                    f"variation of {orphan.parent_key!r}, which is not a variable product in this file",
                )
            else:
                parent[1].append(_variant_spec(orphan.variant))
        seen: set[int] = set()
        for record, variants in awaiting.values():
            if id(record) not in seen:
                seen.add(id(record))
                await _add_record(batcher, report, *_with_variations(record, variants))
        await batcher.flush()
        await batcher.warn_shared_skus()
    except BaseException:
        await batcher.abandon()
        raise
    report.rows_total = max(0, last_row - 1) if fmt.endswith("_csv") else last_row
    report.skipped.sort(key=lambda s: s["row"])
    report.warnings.sort(key=lambda w: (w["row"], w["sku"]))
    return report


def _with_variations(
    record: ProductRecord, variations: list[VariantSpec]
) -> tuple[ProductRecord, tuple[VariantSpec, ...]]:
    """A WooCommerce variable product with its variations as variants.

    A variation that leaves an attribute blank sells for "any" value of it. Options that not every
    variation names are dropped (a V-neck sold in three colours, "any size", has one option: Colour),
    and each option keeps only the values its variations use.
    """
    names = [name for name, _ in record.options if all(name in v.options for v in variations)]
    options = tuple(
        (
            name,
            tuple(value for value in values if any(v.options[name] == value for v in variations))
            or tuple(dict.fromkeys(v.options[name] for v in variations)),
        )
        for name, values in record.options
        if name in names
    )
    variants = tuple(replace(v, options={name: v.options[name] for name in names}) for v in variations)
    return replace(record, options=options), variants


def _last_row(item: ImportItem) -> int:
    if isinstance(item, ProductRecord):
        return max([item.row, *(v.row for v in item.variants)])
    return item.row


async def _add_record(
    batcher: _Batcher, report: ImportReport, record: ProductRecord, variants: tuple[VariantSpec, ...]
) -> None:
    record, variants, refused = _without_unsafe_images(record, variants)
    spec = _spec_from_record(record, variants)
    if isinstance(spec, str):
        report.skip(record.row, record.handle, spec)
        return
    for url in refused:  # the product comes in; the image that is not an http(s) URL stays out
        report.skip(record.row, record.handle, f"image {url[:80]!r} left out: not an http(s) URL")
    await batcher.add(record.row, spec)


def _without_unsafe_images(
    record: ProductRecord, variants: tuple[VariantSpec, ...]
) -> tuple[ProductRecord, tuple[VariantSpec, ...], list[str]]:
    refused = [image.url for image in record.images if not is_web_url(image.url)]
    refused += [v.image_url for v in variants if v.image_url and not is_web_url(v.image_url)]
    if not refused:
        return record, variants, []
    images = tuple(image for image in record.images if is_web_url(image.url))
    variants = tuple(v if not v.image_url or is_web_url(v.image_url) else replace(v, image_url=None) for v in variants)
    return replace(record, images=images), variants, list(dict.fromkeys(refused))


async def run_import(database: Database, import_id: str, on_progress: Callable[[int, int], None] | None = None) -> None:
    """Claim a queued import and run it; the products and the report commit together.

    ``on_progress(bytes_read, file_size)`` follows the run while its transaction hides its rows from everyone.
    """
    async with database.session() as session:
        claimed = await session.scalar(
            update(ProductImport)
            .where(ProductImport.id == import_id, ProductImport.status == "queued")
            .values(status="running")
            .returning(ProductImport.id)
        )
    if claimed is None:
        return
    try:
        async with database.session() as session:
            # The job row stays locked until the import commits or rolls back: another process that starts
            # meanwhile sees the lock and leaves the import alone (``ImportRunner.resume``).
            job = await session.get(ProductImport, import_id, with_for_update=True, populate_existing=True)
            if job is None or job.status != "running":
                return
            path = Path(job.file_path)
            size = (await asyncio.to_thread(path.stat)).st_size
            report = await import_file(
                session,
                shop_id=job.shop_id,
                path=path,
                fmt=job.format,
                actor=job.created_by,
                on_progress=None if on_progress is None else (lambda done: on_progress(done, size)),
            )
            job.status, job.rows_total, job.created, job.updated = (
                "succeeded",
                report.rows_total,
                report.created,
                report.updated,
            )
            job.skipped, job.warnings, job.finished_at = report.skipped, report.warnings, utcnow()
    except Exception as exc:
        if not isinstance(exc, ShoppableError):
            log.exception("import %s failed", import_id)
        message = (
            exc.detail if isinstance(exc, ShoppableError) else "The import failed unexpectedly; nothing was imported."
        )
        async with database.session() as session:
            await session.execute(
                update(ProductImport)
                .where(ProductImport.id == import_id)
                .values(status="failed", error=message, finished_at=utcnow())
            )


class ImportRunner:
    """Runs imports in the background of this process, one at a time, and resumes interrupted ones."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self._progress: dict[str, float] = {}

    def progress(self, import_id: str) -> float | None:
        """How far through its file a running import of this process is (0 to 1); None when it is not running
        here (queued, finished, or run by another process: a page then shows progress without a figure)."""
        return self._progress.get(import_id)

    def enqueue(self, import_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(import_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, import_id: str) -> None:
        async with self._lock:
            self._progress[import_id] = 0.0

            def moved(done: int, size: int) -> None:
                self._progress[import_id] = min(1.0, done / size) if size else 1.0

            try:
                await run_import(self.database, import_id, moved)
            finally:
                self._progress.pop(import_id, None)

    async def resume(self) -> None:
        """Requeue imports a stopped process left running (their transaction rolled back) and run them.

        An import that another live process is running holds its job row locked, and is skipped (PostgreSQL;
        SQLite has one process).
        """
        async with self.database.session() as session:
            orphans = select(ProductImport.id).where(ProductImport.status == "running")
            if not self.database.is_sqlite:
                orphans = orphans.with_for_update(skip_locked=True)
            orphaned = list(await session.scalars(orphans))
            if orphaned:
                await session.execute(
                    update(ProductImport).where(ProductImport.id.in_(orphaned)).values(status="queued")
                )
            queued = list(await session.scalars(select(ProductImport.id).where(ProductImport.status == "queued")))
        for import_id in queued:
            self.enqueue(import_id)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def schedule_after_commit(session: AsyncSession, runner: ImportRunner, import_id: str) -> None:
    """Start the import once the transaction that queued it has committed (never for a rollback)."""

    def _after_commit(_session: Session) -> None:
        runner.enqueue(import_id)

    event.listen(session.sync_session, "after_commit", _after_commit, once=True)
