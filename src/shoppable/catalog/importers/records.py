"""The neutral shapes every importer parser yields; the import service turns them into products."""

from __future__ import annotations

from dataclasses import dataclass, field

from shoppable.kit.errors import ShoppableError


@dataclass(frozen=True, slots=True)
class ImageRecord:
    url: str
    alt: str = ""


@dataclass(frozen=True, slots=True)
class VariantRecord:
    row: int
    sku: str | None
    options: dict[str, str]  # option name -> value, in the product's option order
    price: int  # minor units of the shop currency
    compare_at_price: int | None = None
    inventory_quantity: int | None = None  # None: the file does not say; keep what we have (0 when new)
    weight_grams: int | None = None
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """One product as the file describes it.

    ``row`` is the CSV record number of the product's first row (the header is row 1), or the 1-based
    position of the product in a JSON list. For WooCommerce ``variable`` products ``variants`` is empty
    and ``keys`` ("id:44", the SKU) name the product so VariationRecords can point at it.
    """

    row: int
    handle: str
    title: str
    description_html: str = ""
    vendor: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    status: str = "active"  # active | draft | archived
    images: tuple[ImageRecord, ...] = ()
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, values) in order
    variants: tuple[VariantRecord, ...] = ()
    awaits_variations: bool = False
    keys: tuple[str, ...] = field(default=())  # e.g. ("id:44", "woo-vneck-tee")


@dataclass(frozen=True, slots=True)
class VariationRecord:
    """A WooCommerce variation: a variant whose product is named by ``parent_key`` (an "id:N" or a SKU)."""

    row: int
    parent_key: str
    variant: VariantRecord


@dataclass(frozen=True, slots=True)
class SkippedRow:
    row: int
    handle: str | None
    reason: str


ImportItem = ProductRecord | VariationRecord | SkippedRow


class ImportFileError(ShoppableError):
    """The file as a whole cannot be imported (wrong format, missing columns, not CSV/JSON)."""

    def __init__(self, detail: str) -> None:
        super().__init__("invalid_import_file", 422, detail)
