"""Opaque cursors for keyset pagination and the common ``{items, next_cursor}`` page shape."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def newest_first(
    session: AsyncSession, query: Select[Any], id_column: Any, *, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One page of the entities ``query`` selects, newest first by their time-ordered ids, and the cursor of
    the next page (None on the last)."""
    if cursor is not None:
        (after,) = decode_cursor(cursor, 1)
        query = query.where(id_column < str(after))
    found = list((await session.execute(query.order_by(id_column.desc()).limit(limit + 1))).scalars())
    page = found[:limit]
    return page, encode_cursor([page[-1].id]) if len(found) > limit else None
