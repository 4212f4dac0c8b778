"""Parse WooCommerce's product CSV export row by row: products, and variations that name their parent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from shoppable.catalog.importers._common import (
    clean,
    column_finder,
    dedupe_images,
    missing_columns,
    parse_grams,
    parse_int,
    parse_price,
    read_csv,
    split_list,
)
from shoppable.catalog.importers.records import (
    ImageRecord,
    ImportItem,
    ProductRecord,
    SkippedRow,
    VariantRecord,
    VariationRecord,
)
from shoppable.catalog.rules import slugify
from shoppable.kit.money import exponent

_REQUIRED = ("Type", "Name", "Regular price")
_KINDS = frozenset({"simple", "variable", "variation", "grouped", "external"})
_ATTRIBUTE_NAME = re.compile(r"^attribute (\d+) name$")
_WEIGHT = re.compile(r"^weight \((\w+)\)$")
# WooCommerce's exporter puts a ' before cells starting with these, against spreadsheet formula injection.
_FORMULA_ESCAPES = ("'=", "'+", "'-", "'@")
_UNSUPPORTED = {
    "grouped": "grouped products are not supported: they have no price or stock of their own"
    " (their member products are imported on their own rows)",
    "external": "external/affiliate products are not supported: they link to another store to be bought",
}


@dataclass(frozen=True, slots=True)
class _Columns:
    """Cell index of each column; a column the file lacks points at the always-blank cell after the last."""

    id: int
    type: int
    sku: int
    name: int
    published: int
    short_description: int
    description: int
    in_stock: int
    stock: int
    weight: int
    weight_unit: str
    sale_price: int
    regular_price: int
    categories: int
    tags: int
    images: int
    parent: int
    brands: int
    attributes: tuple[tuple[int, int], ...]  # (name, value(s)) per attribute number


def parse_woocommerce_csv(stream: IO[bytes], currency: str) -> Iterator[ImportItem]:
    """Yield one item per row: ProductRecord, VariationRecord or SkippedRow, holding one row in memory.

    ``simple`` rows give a product with one variant and no options (their attributes are descriptive
    only and are not imported). ``variable`` rows give a product with ``awaits_variations=True``, no
    variants, its attributes as options, and ``keys`` ("id:<ID>", "<SKU>") that ``variation`` rows name
    in ``parent_key`` (WooCommerce writes the Parent column as "id:<ID>" or as the parent's SKU). A
    variation may come before its parent; linking is the import service's job. A variation attribute
    left blank means "any value" and is left out of its options; a blank weight means "same as the
    parent" and is None. Sale price, when set, is the price and Regular price the compare-at price.
    Published 1 is active; 0 (private) and -1 (draft) are draft; a variation not published (disabled
    in WooCommerce) is skipped. ``row`` counts CSV records, header = row 1, not physical lines.
    """
    exponent(currency)
    index, width, batches = read_csv(stream, "WooCommerce CSV")
    cols = _columns(index, width)
    padded = width + 1
    for first_row, batch in batches:
        for row, cells in enumerate(batch, first_row):
            if len(cells) < padded:
                cells.extend([""] * (padded - len(cells)))
            if "".join(cells).strip():
                yield _item(row, cells, cols, currency)


def _columns(index: dict[str, int], width: int) -> _Columns:
    missing = [name for name in _REQUIRED if name.casefold() not in index]
    if missing:
        raise missing_columns("WooCommerce product CSV", missing)
    col = column_finder(index, width)

    attributes: list[tuple[int, int, int]] = []
    weight, weight_unit = width, "kg"
    for name, position in index.items():
        if match := _ATTRIBUTE_NAME.match(name):
            number = int(match.group(1))
            attributes.append((number, position, col(f"attribute {number} value(s)")))
        elif (match := _WEIGHT.match(name)) and weight == width:
            weight, weight_unit = position, match.group(1)
    attributes.sort()
    return _Columns(
        id=col("id"),
        type=col("type"),
        sku=col("sku"),
        name=col("name"),
        published=col("published"),
        short_description=col("short description"),
        description=col("description"),
        in_stock=col("in stock?"),
        stock=col("stock"),
        weight=weight,
        weight_unit=weight_unit,
        sale_price=col("sale price"),
        regular_price=col("regular price"),
        categories=col("categories"),
        tags=col("tags"),
        images=col("images"),
        parent=col("parent"),
        brands=col("brands"),
        attributes=tuple((name, values) for _number, name, values in attributes),
    )


def _cell(cells: list[str], position: int) -> str:
    value = cells[position].strip()
    if "\xa0" in value:
        value = clean(value)
    return value[1:] if value[:1] == "'" and value.startswith(_FORMULA_ESCAPES) else value


def _item(row: int, cells: list[str], cols: _Columns, currency: str) -> ImportItem:
    sku = _cell(cells, cols.sku)
    name = _cell(cells, cols.name)
    handle = slugify(sku or name)
    type_text = _cell(cells, cols.type)
    kind = type_text.casefold()
    if kind not in _KINDS:  # "simple, downloadable, virtual": a type and its flags
        kinds = {part.strip() for part in kind.split(",")} & _KINDS
        if len(kinds) != 1:
            reason = (
                "row has no Type"
                if not type_text
                else f"Type {type_text!r} is not a WooCommerce product type this importer knows"
            )
            return SkippedRow(row, handle or None, reason)
        kind = kinds.pop()
    if kind in _UNSUPPORTED:
        return SkippedRow(row, handle or None, _UNSUPPORTED[kind])
    if kind == "variation":
        return _variation(row, cells, cols, currency, sku, handle)
    if not name:
        return SkippedRow(row, handle or None, "row has no Name")
    if not handle:
        return SkippedRow(row, None, f"cannot make a handle from the SKU or the Name {name!r}")
    try:
        status = _status(_cell(cells, cols.published))
    except ValueError as exc:
        return SkippedRow(row, handle, str(exc))
    product_id = _cell(cells, cols.id)
    keys = tuple(filter(None, (f"id:{product_id}" if product_id else "", sku)))
    description = _unescape_newlines(cells[cols.description].strip() or cells[cols.short_description].strip())
    categories = split_list(cells[cols.categories], escaped=True)
    brands = split_list(cells[cols.brands], escaped=True) if cells[cols.brands] else ()
    urls = split_list(cells[cols.images], escaped=True, fold_case=False)
    images = (ImageRecord(urls[0]),) if len(urls) == 1 else dedupe_images((url, "") for url in urls)
    options: list[tuple[str, tuple[str, ...]]] = []
    variants: tuple[VariantRecord, ...] = ()
    if kind == "variable":
        seen: set[str] = set()
        for name_at, values_at in cols.attributes:
            option = _cell(cells, name_at)
            values = split_list(cells[values_at], escaped=True)
            if option and values and option.casefold() not in seen:
                seen.add(option.casefold())
                options.append((option, values))
    else:
        try:
            variants = (_variant(row, cells, cols, currency, sku, {}, image_url=None),)
        except ValueError as exc:
            return SkippedRow(row, handle, str(exc))
    return ProductRecord(
        row=row,
        handle=handle,
        title=name,
        description_html=description,
        vendor=brands[0] if brands else None,
        category=categories[0] if categories else None,
        tags=split_list(cells[cols.tags], escaped=True) if cells[cols.tags] else (),
        status=status,
        images=images,
        options=tuple(options),
        variants=variants,
        awaits_variations=kind == "variable",
        keys=keys,
    )


def _variation(row: int, cells: list[str], cols: _Columns, currency: str, sku: str, handle: str) -> ImportItem:
    parent = _cell(cells, cols.parent)
    if not parent:
        return SkippedRow(row, handle or None, "variation has no Parent")
    published = _cell(cells, cols.published)
    if published in ("0", "-1"):
        return SkippedRow(row, handle or None, f"variation is disabled in WooCommerce (Published {published})")
    options: dict[str, str] = {}
    for name_at, value_at in cols.attributes:
        option = _cell(cells, name_at)
        value = _cell(cells, value_at).replace("\\,", ",")
        if option and value:  # a blank value means "any value of this option"
            options.setdefault(option, value)
    try:
        images = split_list(cells[cols.images], escaped=True, fold_case=False)
        variant = _variant(row, cells, cols, currency, sku, options, image_url=images[0] if images else None)
    except ValueError as exc:
        return SkippedRow(row, handle or None, str(exc))
    return VariationRecord(row=row, parent_key=parent, variant=variant)


def _variant(
    row: int,
    cells: list[str],
    cols: _Columns,
    currency: str,
    sku: str,
    options: dict[str, str],
    *,
    image_url: str | None,
) -> VariantRecord:
    regular = _cell(cells, cols.regular_price)
    sale = _cell(cells, cols.sale_price)
    if not (regular or sale):
        raise ValueError("no price: Regular price and Sale price are both empty")
    if sale:
        price = parse_price(sale, currency, "Sale price")
        compare_at = parse_price(regular, currency, "Regular price") if regular else None
    else:
        price = parse_price(regular, currency, "Regular price")
        compare_at = None
    stock = cells[cols.stock]
    quantity = int(stock) if stock.isdigit() else parse_int(_cell(cells, cols.stock), "Stock")
    if quantity is None and _cell(cells, cols.in_stock) == "0":
        quantity = 0
    return VariantRecord(
        row=row,
        sku=sku or None,
        options=options,
        price=price,
        compare_at_price=compare_at,
        inventory_quantity=quantity,
        weight_grams=parse_grams(cells[cols.weight], cols.weight_unit, f"Weight ({cols.weight_unit})")
        if cells[cols.weight]
        else None,
        image_url=image_url,
    )


def _status(published: str) -> str:
    flag = published.casefold()
    if flag in ("", "1", "true"):
        return "active"
    if flag in ("0", "-1", "false"):
        return "draft"
    raise ValueError(f"Published {published!r} is not 1, 0 or -1")


def _unescape_newlines(text: str) -> str:
    r"""WooCommerce writes a newline in a description as the two characters \n (and a literal \n as \\n)."""
    if "\\n" not in text:
        return text
    return "\\n".join(part.replace("\\n", "\n") for part in text.split("\\\\n"))
