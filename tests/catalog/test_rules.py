"""Pure catalog rules: handles, options against variants, sanitising."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppable.catalog.rules import check_slug, first_free, resolve_options, sanitize_html, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Café Crème!", "cafe-creme"),
        ("  Ocean   Blue Shirt ", "ocean-blue-shirt"),
        ("日本茶 セット", "日本茶-セット"),
        ("Größe_XL", "grosse-xl"),
        ("--", ""),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


@given(st.text(max_size=80))
def test_slugify_is_idempotent_and_valid(text: str) -> None:
    slug = slugify(text)
    assert slugify(slug) == slug
    if slug:
        assert check_slug(slug) == slug


def test_check_slug_refuses_what_is_not_a_slug() -> None:
    for bad in ("Bad Handle", "UPPER", "a--b", "-a", "a_b"):
        with pytest.raises(ValueError, match="lower-case"):
            check_slug(bad)


def test_first_free() -> None:
    assert first_free("tee", set()) == "tee"
    assert first_free("tee", {"tee", "tee-2", "tee-4"}) == "tee-3"


def test_options_are_derived_and_checked() -> None:
    options, errors = resolve_options([("Size", None)], [{"Size": "S"}, {"Size": "M"}, {"Size": "S"}])
    assert options == [("Size", ["S", "M"])]
    assert [(e.loc, e.msg) for e in errors] == [(("variants", 2, "options"), "same options as variant 0")]
    _, errors = resolve_options([("Size", ["S"])], [{"Size": "XL"}, {"Colour": "Red"}])
    assert sorted((e.loc, e.msg) for e in errors) == [
        (("variants", 0, "options", "Size"), "'XL' is not a value of option 'Size'"),
        (("variants", 1, "options"), "missing value for: Size"),
        (("variants", 1, "options"), "unknown option(s): Colour"),
    ]


def test_sanitize_keeps_formatting_and_drops_scripts() -> None:
    html = '<p onclick="x()">Hi <a href="javascript:alert(1)">there</a><script>bad()</script><b>!</b></p>'
    assert sanitize_html(html) == '<p>Hi <a rel="noopener noreferrer">there</a><b>!</b></p>'
