"""Parse Shopify product JSON (a list, {"products": [...]} or {"product": {...}}), streamed with ijson."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import IO, Any

import ijson

from shoppable.catalog.importers._common import (
    VariantDraft,
    assemble_variants,
    clean,
    dedupe_images,
    number_text,
    option_values,
    parse_grams,
    parse_int,
    parse_optional_price,
    parse_price,
    split_list,
)
from shoppable.catalog.importers.records import ImportFileError, ImportItem, ProductRecord, SkippedRow
from shoppable.catalog.rules import slugify
from shoppable.kit.money import exponent

_HEAD_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"
_STATUSES = frozenset({"active", "draft", "archived"})


class _Replay:
    """A read()-able source that serves the bytes already peeked at, then the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            chunk, self._head = self._head + self._rest.read(), b""
        else:
            chunk, self._head = self._head[:size], self._head[size:]
        return chunk


def parse_shopify_json(stream: IO[bytes], currency: str) -> Iterator[ImportItem]:
    """Yield a ProductRecord (or SkippedRow) per product, holding one product in memory at a time.

    ``row`` is the product's 1-based position in the list (1 for a single ``{"product": ...}``); variant
    problems are reported on that row, naming the variant. Only the first 64 KB are buffered, to find
    where the products are. Raises ImportFileError, possibly after earlier products, on invalid JSON.
    """
    exponent(currency)
    head, complete = _read_head(stream)
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    start = head.lstrip()[:1]
    if not start:
        raise ImportFileError("The file is empty.")
    if start == b"[":
        prefix = "item"
    elif start == b"{":
        prefix = _object_prefix(head, complete)
    else:
        raise ImportFileError("The file is not JSON: it must start with '[' or '{'.")
    row = 0
    try:
        for row, entry in enumerate(ijson.items(_Replay(head, stream), prefix), start=1):
            yield from _product(row, entry, currency)
    except ijson.JSONError as exc:
        raise ImportFileError(f"The file is not valid JSON (after product {row}): {_message(exc)}") from exc


def _read_head(stream: IO[bytes]) -> tuple[bytes, bool]:
    """Up to 64 KB from the stream, and whether that is the whole stream."""
    chunks: list[bytes] = []
    size = 0
    while size < _HEAD_BYTES:
        chunk = stream.read(_HEAD_BYTES - size)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def _object_prefix(head: bytes, complete: bool) -> str:
    """The ijson prefix of the products in a top-level object: its "products" list or "product"."""
    expected: tuple[str, str, str] | None = None  # (key, event that must follow, prefix)
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head)):
            if expected is not None:
                key, wanted, found = expected
                if event != wanted:
                    kind = "a list of products" if wanted == "start_array" else "a product object"
                    raise ImportFileError(f'The file\'s "{key}" is not {kind}.')
                return found
            if prefix == "" and event == "map_key" and value in ("products", "product"):
                expected = (
                    ("products", "start_array", "products.item")
                    if value == "products"
                    else ("product", "start_map", "product")
                )
    except ijson.JSONError as exc:
        if complete:
            raise ImportFileError(f"The file is not valid JSON: {_message(exc)}") from exc
    where = "" if complete else " in its first 64 KB"
    raise ImportFileError(f'The JSON object has no "products" list or "product" object{where}.')


def _message(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _text(value: object) -> str:
    return clean(value) if isinstance(value, str) else clean(number_text(value))


def _product(row: int, entry: object, currency: str) -> Iterator[ImportItem]:
    if not isinstance(entry, dict):
        yield SkippedRow(row, None, f"product {row} is not a JSON object")
        return
    title = _text(entry.get("title"))
    given_handle = _text(entry.get("handle"))
    if not title:
        yield SkippedRow(row, given_handle or None, "product has no title")
        return
    handle = given_handle or slugify(title)
    if not handle:
        yield SkippedRow(row, None, f"cannot make a handle from the title {title!r}")
        return
    raw_status = _text(entry.get("status"))
    if raw_status:
        status = raw_status.casefold()
        if status not in _STATUSES:
            yield SkippedRow(row, handle, f"status {raw_status!r} is not active, draft or archived")
            return
    else:
        # Shopify leaves published_at null for unpublished products; a hand-made file may omit it.
        status = "draft" if "published_at" in entry and entry["published_at"] is None else "active"

    images, image_urls = _images(entry.get("images"))
    names = _option_names(entry.get("options"))
    drafts: list[VariantDraft] = []
    skipped: list[SkippedRow] = []
    raw_variants = entry.get("variants")
    variants_list: list[Any] = raw_variants if isinstance(raw_variants, list) else []
    for number, variant in enumerate(variants_list, start=1):
        ref = f"variant {number}"
        if not isinstance(variant, dict):
            skipped.append(SkippedRow(row, handle, f"{ref}: not a JSON object"))
            continue
        try:
            drafts.append(_draft(row, ref, variant, names, currency, image_urls))
        except ValueError as exc:
            skipped.append(SkippedRow(row, handle, f"{ref}: {exc}"))

    assembled = assemble_variants(drafts, names, handle, "option{n}")
    if assembled.error:
        yield SkippedRow(row, handle, assembled.error)
        return
    yield from skipped
    yield from assembled.skipped
    if not assembled.variants:
        yield SkippedRow(
            row,
            handle,
            f"product has no valid variants (all {len(variants_list)} were skipped)"
            if variants_list
            else "product has no variants",
        )
        return
    image_pairs = [*images, *((v.image_url, "") for v in assembled.variants if v.image_url)]
    tags = entry.get("tags")
    tag_text = ",".join(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else _text(tags)
    yield ProductRecord(
        row=row,
        handle=handle,
        title=title,
        description_html=body.strip() if isinstance(body := entry.get("body_html"), str) else "",
        vendor=_text(entry.get("vendor")) or None,
        category=_text(entry.get("product_type")) or None,
        tags=split_list(tag_text),
        status=status,
        images=dedupe_images(image_pairs),
        options=assembled.options,
        variants=assembled.variants,
    )


def _images(raw: object) -> tuple[list[tuple[str, str]], dict[object, str]]:
    """(url, alt) pairs ordered by position (else list order), and image id -> url for variants."""
    if not isinstance(raw, list):
        return [], {}
    found: list[tuple[int, int, str, str]] = []
    urls: dict[object, str] = {}
    for order, image in enumerate(raw):
        if not isinstance(image, dict):
            continue
        src = _text(image.get("src"))
        if not src:
            continue
        position = image.get("position")
        rank = position if isinstance(position, int) and not isinstance(position, bool) else sys.maxsize
        found.append((rank, order, src, _text(image.get("alt"))))
        if isinstance(image.get("id"), int | str):
            urls[image["id"]] = src
    found.sort(key=lambda image: (image[0], image[1]))
    return [(src, alt) for _rank, _order, src, alt in found], urls


def _option_names(raw: object) -> tuple[str, str, str]:
    names = ["", "", ""]
    if isinstance(raw, list):
        for slot, option in enumerate(raw[:3]):
            names[slot] = _text(option.get("name") if isinstance(option, dict) else option)
    return names[0], names[1], names[2]


def _draft(
    row: int,
    ref: str,
    variant: dict[str, Any],
    names: tuple[str, str, str],
    currency: str,
    image_urls: dict[object, str],
) -> VariantDraft:
    grams_value = number_text(variant.get("grams"))
    if grams_value.strip():
        grams = parse_grams(grams_value, "g", "grams")
    else:
        unit = _text(variant.get("weight_unit")) or "kg"
        grams = parse_grams(number_text(variant.get("weight")), unit, "weight")
    image_id = variant.get("image_id")
    return VariantDraft(
        row=row,
        ref=ref,
        sku=_text(variant.get("sku")) or None,
        values=option_values(names, (_text(variant.get(f"option{n}")) for n in (1, 2, 3))),
        price=parse_price(number_text(variant.get("price")), currency, "price"),
        compare_at=parse_optional_price(number_text(variant.get("compare_at_price")), currency, "compare_at_price"),
        quantity=parse_int(number_text(variant.get("inventory_quantity")), "inventory_quantity"),
        grams=grams,
        image_url=image_urls.get(image_id) if isinstance(image_id, int | str) else None,
    )
