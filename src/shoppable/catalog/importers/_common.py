"""Helpers the importer parsers share: cell cleaning, list splitting, slugs, numbers and CSV reading."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from typing import IO, NamedTuple

from shoppable.catalog.importers.records import ImageRecord, ImportFileError, SkippedRow, VariantRecord
from shoppable.kit.money import to_minor_units

# Shopify and WooCommerce bodies can exceed csv's 128 KiB default; the limit stays a bound on memory.
_FIELD_LIMIT = 16 * 1024 * 1024
_BATCH = 64

GRAMS_PER_UNIT: dict[str, Decimal] = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "lb": Decimal("453.59237"),
    "lbs": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}

_UNESCAPED_COMMA = re.compile(r"(?<!\\),")
_GROUPED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_WHOLE = re.compile(r"^[+-]?\d+$")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # how surrogateescape decodes bytes that are not UTF-8
_NOT_TEXT = re.compile("[\x00\udc80-\udcff]")


def clean(value: str) -> str:
    """Trim a cell; non-breaking spaces (spreadsheets love them) count as ordinary spaces."""
    if "\xa0" in value:
        value = value.replace("\xa0", " ")
    return value.strip()


def split_list(text: str, *, escaped: bool = False, fold_case: bool = True) -> tuple[str, ...]:
    """Split a comma list: items trimmed, empty ones dropped, duplicates (case-insensitive) removed.

    ``escaped`` honours WooCommerce's ``\\,`` for a comma inside an item.
    """
    if "," not in text:
        item = clean(text)
        return (item,) if item else ()
    parts = _UNESCAPED_COMMA.split(text) if escaped else text.split(",")
    seen: set[str] = set()
    items: list[str] = []
    for part in parts:
        item = clean(part.replace("\\,", ",") if escaped else part)
        key = item.casefold() if fold_case else item
        if item and key not in seen:
            seen.add(key)
            items.append(item)
    return tuple(items)


def dedupe_images(images: Iterable[tuple[str, str]]) -> tuple[ImageRecord, ...]:
    """ImageRecords in the given order, one per URL; a later duplicate can only supply a missing alt."""
    by_url: dict[str, ImageRecord] = {}
    for url, alt in images:
        known = by_url.get(url)
        if known is None or (alt and not known.alt):
            by_url[url] = ImageRecord(url, alt)
    return tuple(by_url.values())


def number_text(value: object) -> str:
    """JSON scalars (str, int, ijson's Decimal) as the text a CSV cell would hold; other types ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return ""


@lru_cache(maxsize=8192)
def parse_price(text: str, currency: str, label: str) -> int:
    """A non-negative amount in minor units; ValueError names the column and what is wrong with it."""
    text = clean(text)
    if not text:
        raise ValueError(f"{label} is empty")
    # "19,99" would otherwise lose its comma and become 1999.00: commas only as thousands separators.
    if "," in text and not _GROUPED_THOUSANDS.match(text):
        raise ValueError(f"{label} {text!r} is not a decimal amount (use '.' for decimals)")
    try:
        amount = to_minor_units(text, currency)
    except ValueError as exc:
        raise ValueError(f"{label} {exc}") from None
    if amount < 0:
        raise ValueError(f"{label} {text!r} is negative")
    return amount


def parse_optional_price(text: str, currency: str, label: str) -> int | None:
    """Like parse_price but blank, and zero (Shopify's "no compare-at price"), give None."""
    if not text or text.isspace():
        return None
    return parse_price(text, currency, label) or None


def parse_int(text: str, label: str) -> int | None:
    """A whole number ("12", "12.0"), None when blank."""
    if text.isdigit():
        return int(text)
    text = text.strip()
    if not text:
        return None
    if _WHOLE.match(text):
        return int(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"{label} {text!r} is not a whole number")
    return int(value)


def parse_grams(text: str, unit: str, label: str) -> int | None:
    """A non-negative weight in ``unit`` converted to whole grams (half-even), None when blank."""
    if unit == "g" and text.isdigit():
        return int(text)
    text = text.strip()
    if not text:
        return None
    factor = GRAMS_PER_UNIT.get(unit.casefold())
    if factor is None:
        raise ValueError(f"weight unit {unit!r} is not one of g, kg, lb, oz")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{label} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{label} {text!r} is not a number")
    if value < 0:
        raise ValueError(f"{label} {text!r} is negative")
    return int((value * factor).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def read_csv(stream: IO[bytes], kind: str) -> tuple[dict[str, int], int, Iterator[tuple[int, list[list[str]]]]]:
    """Open a UTF-8 CSV byte stream: its header as lower-cased name -> first index, its width, and the
    data records in small batches of ``(row of the batch's first record, records)``.

    Rows count CSV records, header = row 1, not physical lines (a quoted cell may span several lines),
    so they match the row numbers a spreadsheet shows. Batches keep the per-record cost of streaming
    near zero while holding only a few dozen records. The caller's stream is left open.
    """
    batches = _csv_batches(stream)
    for first_row, batch in batches:
        for offset, cells in enumerate(batch):
            names = [clean(name.replace("\ufeff", "")).casefold() for name in cells]
            if not any(names):
                continue
            if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
                raise ImportFileError(
                    f"The {kind} file uses ';' or tabs between columns; export it with commas as separators."
                )
            index: dict[str, int] = {}
            for position, name in enumerate(names):
                index.setdefault(name, position)
            rest = batch[offset + 1 :]
            return index, len(names), itertools.chain([(first_row + offset + 1, rest)], batches)
    raise ImportFileError("The file is empty.")


def _csv_batches(stream: IO[bytes]) -> Iterator[tuple[int, list[list[str]]]]:
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    # surrogateescape and a check of the records (not strict decoding, which fails a whole 8 KB chunk
    # at once) let the error name the record that holds the bad bytes.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    row = 1
    try:
        while batch := list(itertools.islice(reader, _BATCH)):
            joined = "".join(itertools.chain.from_iterable(batch))
            if "\x00" in joined or (not joined.isascii() and _ESCAPED_BYTE.search(joined)):
                bad, found = next(
                    (i, match.group()) for i, cells in enumerate(batch) if (match := _NOT_TEXT.search("".join(cells)))
                )
                if bad:
                    yield row, batch[:bad]
                if found == "\x00":
                    raise ImportFileError(f"The file is not CSV text (row {row + bad} holds a NUL byte).")
                raise ImportFileError(
                    f"The file is not UTF-8 text (row {row + bad} has other bytes); export it as 'CSV UTF-8'."
                )
            yield row, batch
            row += len(batch)
    except csv.Error as exc:
        raise ImportFileError(f"The file is not valid CSV (line {reader.line_num}): {exc}.") from exc
    finally:
        # Without this the wrapper would close the caller's stream when it is garbage-collected.
        with contextlib.suppress(ValueError):
            text.detach()


def find_column(index: dict[str, int], *names: str) -> int | None:
    """Index of the first of ``names`` (lower-case) present in the header."""
    for name in names:
        position = index.get(name)
        if position is not None:
            return position
    return None


def column_finder(index: dict[str, int], width: int) -> Callable[..., int]:
    """``col(*names)``: the first present column, else ``width`` (the blank cell every row is padded with)."""

    def col(*names: str) -> int:
        position = find_column(index, *names)
        return width if position is None else position

    return col


def missing_columns(kind: str, missing: list[str]) -> ImportFileError:
    plural = "s" if len(missing) > 1 else ""
    return ImportFileError(f"The file is not a {kind}: it has no {', '.join(missing)} column{plural}.")


class VariantDraft(NamedTuple):
    """A variant whose own fields parsed; assemble_variants checks its options against its siblings'."""

    row: int
    ref: str | None  # how a reason names it: "variant 2" (JSON); None for "row <row>" (CSV)
    sku: str | None
    values: tuple[str, str, str]  # Option1..3 values, "" when blank
    price: int
    compare_at: int | None
    quantity: int | None
    grams: int | None
    image_url: str | None


@dataclass(frozen=True, slots=True)
class Assembled:
    variants: tuple[VariantRecord, ...]
    options: tuple[tuple[str, tuple[str, ...]], ...]
    skipped: tuple[SkippedRow, ...]
    error: str | None  # set when the whole product must be skipped


def option_values(names: Sequence[str], values: Iterable[str]) -> tuple[str, str, str]:
    """Option1..3 values with Shopify's "Default Title" (no options at all) read as blank.

    That value means "no options" under an option named "Title" or one left unnamed.
    """
    first, second, third = (
        "" if value == "Default Title" and name.casefold() in ("title", "") else value
        for name, value in zip(names, values, strict=True)
    )
    return first, second, third


def assemble_variants(drafts: Sequence[VariantDraft], names: Sequence[str], handle: str, value_label: str) -> Assembled:
    """Decide the product's options from its variants and drop variants that cannot be told apart.

    An option exists when some variant has a value for it (named "Option<n>" if its name is blank); a
    variant lacking a value for an existing option, or repeating an earlier combination, is skipped.
    ``value_label`` names an option value in reasons ("Option{n} Value"). Reasons start with the
    variant's ``ref`` when it has one, for formats whose ``row`` does not point at the variant itself.
    """
    active = [i for i in range(3) if any(draft.values[i] for draft in drafts)]
    option_names = [names[i] or f"Option{i + 1}" for i in active]
    folded = [name.casefold() for name in option_names]
    for name, key in zip(option_names, folded, strict=True):
        if folded.count(key) > 1:
            return Assembled((), (), (), f"option name {name!r} is used twice")
    seen: dict[tuple[str, ...], VariantDraft] = {}
    variants: list[VariantRecord] = []
    skipped: list[SkippedRow] = []
    for draft in drafts:
        values = draft.values
        combination = values if len(active) == 3 else tuple([values[i] for i in active])
        if "" in combination:
            blank = active[combination.index("")]
            option = option_names[combination.index("")]
            label = value_label.format(n=blank + 1)
            reason = f"{label} is empty but the product has option {option!r}"
            skipped.append(SkippedRow(draft.row, handle, f"{draft.ref}: {reason}" if draft.ref else reason))
            continue
        earlier = seen.get(combination)
        if earlier is not None:
            if combination:
                described = " / ".join(f"{n}: {v}" for n, v in zip(option_names, combination, strict=True))
                reason = f"duplicate option combination {described} (same as {_ref(earlier)})"
            else:
                reason = f"duplicate variant: the product has no options and already has one ({_ref(earlier)})"
            skipped.append(SkippedRow(draft.row, handle, f"{draft.ref}: {reason}" if draft.ref else reason))
            continue
        seen[combination] = draft
        variants.append(
            VariantRecord(
                row=draft.row,
                sku=draft.sku,
                options=dict(zip(option_names, combination, strict=True)),
                price=draft.price,
                compare_at_price=draft.compare_at,
                inventory_quantity=draft.quantity,
                weight_grams=draft.grams,
                image_url=draft.image_url,
            )
        )
    # Each option's values in first-seen order: the distinct entries of its column of combinations.
    columns = zip(*seen, strict=True) if seen and active else ()
    options = tuple((name, tuple(dict.fromkeys(column))) for name, column in zip(option_names, columns, strict=False))
    return Assembled(tuple(variants), options, tuple(skipped), None)


def _ref(draft: VariantDraft) -> str:
    return draft.ref or f"row {draft.row}"
