"""The ``?source=`` a product page carries (``video:ID``, ``live:ID``, ``showcase:ID``, ``link:ID``): what made the
shopper open it, so the cart line credits that creator and content."""

from __future__ import annotations

import re
from typing import Any

_SOURCE = re.compile(r"(video|live|showcase|link):([A-Za-z0-9_.\-]{1,64})")


def parse_source(text: str | None) -> dict[str, Any] | None:
    """The order API's ``source`` for a well-formed value; None for anything else (never an error: a bad
    source only means the purchase is credited to nobody)."""
    match = _SOURCE.fullmatch(text or "")
    return {"type": match.group(1), "id": match.group(2)} if match else None


def source_text(source: dict[str, Any] | None) -> str:
    return f"{source['type']}:{source['id']}" if source else ""
