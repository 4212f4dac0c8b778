"""Pure catalog rules: handles, variant titles, option/variant consistency, sanitising descriptions."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import nh3

DEFAULT_VARIANT_TITLE = "Default Title"

_HTML_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_TAG_RE = re.compile(r"<[^>]*>")
_NOT_SLUG = re.compile(r"[\W_]+")
_SPACE_RE = re.compile(r"\s+")


def sanitize_html(html: str) -> str:
    """Keep formatting, drop scripts, event handlers and anything not on the allow-list."""
    return nh3.clean(html, tags=_HTML_TAGS, attributes=_HTML_ATTRIBUTES, url_schemes={"http", "https", "mailto"})


def html_to_text(html: str) -> str:
    return _SPACE_RE.sub(" ", _TAG_RE.sub(" ", html)).strip()


def slugify(text: str, *, max_length: int = 255) -> str:
    """A URL handle from any text: lower case, accents dropped, words joined by hyphens.

    Letters of other scripts are kept ("Café Crème!" -> "cafe-creme", "日本茶 セット" -> "日本茶-セット"), so a
    catalog written in Japanese still gets handles.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    slug = _NOT_SLUG.sub("-", bare.casefold()).strip("-")
    return slug[:max_length].rstrip("-")


def check_slug(value: str) -> str:
    """Validator for client-given handles and slugs: they must already be in slug form."""
    if slugify(value) != value:
        raise ValueError(f"use lower-case letters, digits and single hyphens, e.g. {slugify(value) or 'my-item'!r}")
    return value


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The IANA time zones this machine knows (``Europe/Paris``, ``UTC``...), without the system's aliases."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"})


def check_time_zone(value: str) -> str:
    """Validator for a shop's time zone: an IANA name, spelled exactly (``America/New_York``)."""
    if value not in time_zones():
        raise ValueError("use an IANA time zone such as 'Europe/London' or 'America/New_York'")
    return value


def first_free(base: str, taken: set[str]) -> str:
    """``base`` if it is free, else the first free ``base-2``, ``base-3``..."""
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def variant_title(options: dict[str, str], option_names: list[str]) -> str:
    values = [options[name] for name in option_names if name in options]
    return " / ".join(values)[:255] if values else DEFAULT_VARIANT_TITLE  # fits the column


@dataclass(frozen=True, slots=True)
class VariantSpec:
    sku: str | None
    options: dict[str, str]
    price: int
    compare_at_price: int | None = None
    inventory_quantity: int | None = None  # None: keep the current stock (0 for a new variant)
    weight_grams: int | None = None
    image_url: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """A product as a client or an import file wants it to be, already normalised."""

    handle: str
    title: str
    description_html: str = ""
    vendor: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    status: str = "active"
    images: tuple[tuple[str, str], ...] = ()
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()
    variants: tuple[VariantSpec, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class FieldError:
    loc: tuple[str | int, ...]
    msg: str

    def as_dict(self) -> dict[str, Any]:
        return {"loc": ["body", *self.loc], "msg": self.msg}


def resolve_options(
    declared: list[tuple[str, list[str] | None]], variants: list[dict[str, str]]
) -> tuple[list[tuple[str, list[str]]], list[FieldError]]:
    """Check variants against declared options and fill in values that were left to be derived.

    Every variant must name a value for each option and nothing else; no two variants may share a
    combination; a product without options has exactly one variant.
    """
    errors: list[FieldError] = []
    names = [name for name, _ in declared]
    if len(set(names)) != len(names):
        errors.append(FieldError(("options",), "option names must be unique"))
    if not declared and len(variants) > 1:
        errors.append(FieldError(("variants",), "a product with several variants needs options to tell them apart"))
    resolved: list[tuple[str, list[str]]] = []
    for index, (name, values) in enumerate(declared):
        if values is not None and len(set(values)) != len(values):
            errors.append(FieldError(("options", index, "values"), "option values must be unique"))
        derived = list(values) if values is not None else []
        if values is None:
            for options in variants:
                value = options.get(name)
                if value is not None and value not in derived:
                    derived.append(value)
        resolved.append((name, derived))
    allowed = dict(resolved)
    seen: dict[tuple[str, ...], int] = {}
    for index, options in enumerate(variants):
        extra = sorted(set(options) - set(names))
        missing = [name for name in names if name not in options]
        if extra:
            errors.append(FieldError(("variants", index, "options"), f"unknown option(s): {', '.join(extra)}"))
        if missing:
            errors.append(FieldError(("variants", index, "options"), f"missing value for: {', '.join(missing)}"))
        for name, value in options.items():
            if name in allowed and value not in allowed[name]:
                errors.append(
                    FieldError(("variants", index, "options", name), f"{value!r} is not a value of option {name!r}")
                )
        combination = tuple(options.get(name, "") for name in names)
        if not extra and not missing:
            if combination in seen:
                errors.append(
                    FieldError(("variants", index, "options"), f"same options as variant {seen[combination]}")
                )
            seen.setdefault(combination, index)
    return resolved, errors


def duplicate_skus(skus: list[str | None]) -> list[tuple[int, int]]:
    """(index, index of the first variant with that SKU) for every variant that repeats an earlier SKU."""
    first: dict[str, int] = {}
    duplicates = []
    for index, sku in enumerate(skus):
        if sku is None:
            continue
        if sku in first:
            duplicates.append((index, first[sku]))
        first.setdefault(sku, index)
    return duplicates


def price_floor(prices: list[int]) -> int:
    return min(prices) if prices else 0
