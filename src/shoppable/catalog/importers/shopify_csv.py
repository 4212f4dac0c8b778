"""Parse Shopify's product CSV (2019 template to the 2024 "URL handle" layout), one handle at a time."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import IO

from shoppable.catalog.importers._common import (
    VariantDraft,
    assemble_variants,
    clean,
    column_finder,
    dedupe_images,
    find_column,
    missing_columns,
    option_values,
    parse_grams,
    parse_int,
    parse_optional_price,
    parse_price,
    read_csv,
    split_list,
)
from shoppable.catalog.importers.records import (
    ImportItem,
    ProductRecord,
    SkippedRow,
)
from shoppable.kit.money import exponent

_STATUSES = frozenset({"active", "draft", "archived"})
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_REQUIRED = (
    ("Handle", ("handle", "url handle")),
    ("Title", ("title",)),
    ("Variant Price", ("variant price", "price")),
)


@dataclass(frozen=True, slots=True)
class _Columns:
    """Cell index of each product column; a column the file lacks points at the always-blank last cell."""

    handle: int
    title: int
    body: int
    vendor: int
    category: int
    type: int
    tags: int
    published: int
    status: int
    option_names: tuple[int, int, int]
    # The variant and image cells _product reads on every row, fetched in one call.
    variant_cells: Callable[[list[str]], tuple[str, ...]]


def parse_shopify_csv(stream: IO[bytes], currency: str) -> Iterator[ImportItem]:
    """Yield a ProductRecord per handle (SkippedRows for what cannot be imported), reading row by row.

    Only the current handle's rows are held in memory; a product is emitted when the handle changes and
    at the end of the file, so a product's rows must be contiguous (Shopify writes them that way).
    ``row`` numbers count CSV records, header = row 1, not physical lines: a quoted cell may span
    lines. Both the classic headers ("Handle", "Variant Price", "Image Src") and the 2024 ones
    ("URL handle", "Price", "Product image URL") are understood, case-insensitively. A "Variant Weight"
    without "Variant Weight Unit" is taken as kg. Raises ImportFileError (possibly after yielding
    earlier products) when the file is empty, not UTF-8, not CSV, or lacks Handle, Title or Variant Price.
    """
    exponent(currency)
    index, width, batches = read_csv(stream, "Shopify CSV")
    cols = _columns(index, width)
    padded = width + 1
    handle_at = cols.handle
    group: list[tuple[int, list[str]]] = []
    group_handle = ""
    for first_row, batch in batches:
        for row, cells in enumerate(batch, first_row):
            if len(cells) < padded:
                cells.extend([""] * (padded - len(cells)))
            handle = cells[handle_at].strip()
            if not handle:
                if any(cell.strip() for cell in cells):
                    yield SkippedRow(row, None, "row has no Handle")
                continue
            if handle != group_handle:
                if group:
                    yield from _product(group, cols, currency)
                group = []
                group_handle = handle
            group.append((row, cells))
    if group:
        yield from _product(group, cols, currency)


def _columns(index: dict[str, int], width: int) -> _Columns:
    missing = [label for label, names in _REQUIRED if find_column(index, *names) is None]
    if missing:
        raise missing_columns("Shopify product CSV", missing)
    col = column_finder(index, width)

    return _Columns(
        handle=col("handle", "url handle"),
        title=col("title"),
        body=col("body (html)", "description"),
        vendor=col("vendor"),
        category=col("product category"),
        type=col("type"),
        tags=col("tags"),
        published=col("published", "published on online store"),
        status=col("status"),
        option_names=(col("option1 name"), col("option2 name"), col("option3 name")),
        variant_cells=itemgetter(
            col("image src", "product image url"),
            col("image position"),
            col("image alt text"),
            col("option1 value"),
            col("option2 value"),
            col("option3 value"),
            col("variant sku", "sku"),
            col("variant price", "price"),
            col("variant compare at price", "compare-at price"),
            col("variant inventory qty", "inventory quantity"),
            col("variant grams", "weight value (grams)"),
            col("variant weight"),
            col("variant weight unit", "weight unit for display"),
            col("variant image", "variant image url"),
        ),
    )


def _product(group: list[tuple[int, list[str]]], cols: _Columns, currency: str) -> Iterator[ImportItem]:
    first_row, first = group[0]
    handle = clean(first[cols.handle])
    title = clean(first[cols.title])
    if not title:
        rows = f"row {first_row}" if len(group) == 1 else f"rows {first_row}-{group[-1][0]}"
        yield SkippedRow(
            first_row,
            handle,
            f"{rows} of {handle!r} skipped: the product's first row has no Title"
            " (a product's rows must be together, the first one carrying the Title)",
        )
        return
    try:
        status = _status(first, cols)
    except ValueError as exc:
        yield SkippedRow(first_row, handle, str(exc))
        return

    names = (
        clean(first[cols.option_names[0]]),
        clean(first[cols.option_names[1]]),
        clean(first[cols.option_names[2]]),
    )
    drafts: list[VariantDraft] = []
    skipped: list[SkippedRow] = []
    images: list[tuple[int, int, str, str]] = []  # (position, file order, url, alt)
    variant_rows = 0
    variant_cells = cols.variant_cells
    for order, (row, cells) in enumerate(group):
        fields = variant_cells(cells)
        src, position, alt, v1, v2, v3, sku, price, compare_at, quantity, grams, weight, unit, image = fields
        if src and (src := clean(src)):
            images.append((_position(position), order, src, clean(alt)))
        v1, v2, v3, sku = v1.strip(), v2.strip(), v3.strip(), sku.strip()
        if not (sku or v1 or v2 or v3 or price.strip()):
            continue  # an image-only row
        variant_rows += 1
        if "\xa0" in v1 + v2 + v3 + sku:
            v1, v2, v3, sku = clean(v1), clean(v2), clean(v3), clean(sku)
        values = (v1, v2, v3)
        if "Default Title" in values:
            values = option_values(names, values)
        try:  # the conditional expressions skip a call for the common blank and whole-number cells
            weight_grams = int(grams) if grams.isdigit() else parse_grams(grams, "g", "Variant Grams")
            if weight_grams is None and weight and not weight.isspace():
                weight_grams = parse_grams(weight, unit.strip() or "kg", "Variant Weight")
            drafts.append(
                VariantDraft(
                    row,
                    None,
                    sku or None,
                    values,
                    parse_price(price, currency, "Variant Price"),
                    parse_optional_price(compare_at, currency, "Variant Compare At Price") if compare_at else None,
                    int(quantity) if quantity.isdigit() else parse_int(quantity, "Variant Inventory Qty"),
                    weight_grams,
                    (image.strip() or None) if image else None,
                )
            )
        except ValueError as exc:
            skipped.append(SkippedRow(row, handle, str(exc)))

    assembled = assemble_variants(drafts, names, handle, "Option{n} Value")
    if assembled.error:
        yield SkippedRow(first_row, handle, assembled.error)
        return
    yield from sorted([*skipped, *assembled.skipped], key=lambda item: item.row)
    if not assembled.variants:
        yield SkippedRow(
            first_row,
            handle,
            f"product has no valid variants (all {variant_rows} variant rows were skipped)"
            if variant_rows
            else "product has no variant rows (no row has a Variant Price, SKU or option value)",
        )
        return

    images.sort(key=lambda image: (image[0], image[1]))
    image_pairs = [(url, alt) for _position, _order, url, alt in images]
    # Variant images must be product images too, so the service can link them.
    image_pairs.extend((variant.image_url, "") for variant in assembled.variants if variant.image_url)
    vendor = clean(first[cols.vendor])
    category = clean(first[cols.category]) or clean(first[cols.type])
    yield ProductRecord(
        row=first_row,
        handle=handle,
        title=title,
        description_html=first[cols.body].strip(),
        vendor=vendor or None,
        category=category or None,
        tags=split_list(first[cols.tags]),
        status=status,
        images=dedupe_images(image_pairs),
        options=assembled.options,
        variants=assembled.variants,
    )


def _status(cells: list[str], cols: _Columns) -> str:
    raw = clean(cells[cols.status])
    if raw:
        status = raw.casefold()
        if status not in _STATUSES:
            raise ValueError(f"Status {raw!r} is not active, draft or archived")
        return status
    published = clean(cells[cols.published])
    flag = published.casefold()
    if not flag or flag in _TRUE:
        return "active"
    if flag in _FALSE:
        return "draft"
    raise ValueError(f"Published {published!r} is not TRUE or FALSE")


def _position(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() else sys.maxsize
