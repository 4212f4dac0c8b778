"""Tell which product export a file is from its first few kilobytes."""

from __future__ import annotations

import csv

from shoppable.catalog.importers.records import ImportFileError

_BOM = b"\xef\xbb\xbf"
_NOT_TEXT = {
    b"PK\x03\x04": "a ZIP archive or an Excel workbook, not CSV or JSON: export the sheet as CSV",
    b"\x1f\x8b": "gzip-compressed: decompress it first",
    b"%PDF": "a PDF document, not CSV or JSON",
}


def sniff_format(head: bytes, filename: str | None) -> str:
    """Return "shopify_csv", "shopify_json" or "woocommerce_csv" from the file's first ~4 KB.

    JSON when the first non-blank byte (after a UTF-8 BOM) is ``{`` or ``[``; otherwise the CSV header
    decides: a "Handle" (or 2024 "URL handle") column means Shopify, "Type" with "Regular price" means
    WooCommerce. ``filename`` only sharpens the error message.
    """
    body = head[len(_BOM) :] if head.startswith(_BOM) else head
    start = body.lstrip()[:1]
    if start in (b"{", b"["):
        return "shopify_json"
    for magic, what in _NOT_TEXT.items():
        if body.startswith(magic):
            raise ImportFileError(f"The file is {what}.")
    first_line = body.decode("utf-8", "replace").lstrip().splitlines()[:1]
    columns = {name.strip().casefold() for name in next(csv.reader(first_line), [])} if first_line else set()
    if "handle" in columns or "url handle" in columns:
        return "shopify_csv"
    if "type" in columns and "regular price" in columns:
        return "woocommerce_csv"
    hint = f" ({filename})" if filename else ""
    raise ImportFileError(f"could not tell the file format{hint}; pass format=...")
