"""Opaque cursors for keyset pagination and the common ``{items, next_cursor}`` page shape."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import Query

from shoppable.kit.errors import ShoppableError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1 to 200.")]
Cursor = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")]


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    """The values of a cursor made by ``encode_cursor``; a 400 ``invalid_cursor`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ShoppableError("invalid_cursor", 400, "The cursor is not one this API gave out.") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise ShoppableError("invalid_cursor", 400, "The cursor is not one this API gave out.")
    return values
