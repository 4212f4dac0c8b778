"""Every page is ready for a strict CSP: scripts are files, no inline handlers or styles, nothing from outside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import shoppable.web

TEMPLATES = sorted((Path(shoppable.web.__file__).parent / "templates").rglob("*.html"))
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
_STYLE = re.compile(r"<[^>]+\sstyle\s*=|<style", re.I)
_OUTSIDE = re.compile(r"\b(?:src|href)=[\"'](?:https?:)?//", re.I)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_template_has_no_inline_script_handler_style_or_outside_asset(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    assert not _INLINE_SCRIPT.search(text), "an inline <script>"
    assert not _HANDLER.search(text), "an inline event handler"
    assert not _STYLE.search(text), "an inline style"
    assert not _OUTSIDE.search(text), "an asset from another host"


def test_the_checks_catch_what_they_look_for() -> None:
    assert _INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not _INLINE_SCRIPT.search('<script type="module" src="/static/js/app.js"></script>')
    assert _HANDLER.search('<select onchange="go()">')
    assert _STYLE.search('<p style="color: red">')
    assert _OUTSIDE.search('<script src="https://cdn.example/x.js">')
    assert len(TEMPLATES) > 15
