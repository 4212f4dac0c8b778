"""Paged lists on pages: a cursor from another list, an old page or a tampered URL shows the first page instead of
an error (the API answers it with 422 ``invalid_cursor``; a person following a link deserves the list)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from shoppable.kit.errors import ShoppableError

T = TypeVar("T")


async def page_or_first(
    fetch: Callable[[str | None], Awaitable[tuple[list[T], str | None]]], cursor: str | None
) -> tuple[list[T], str | None, str | None]:
    """(items, the next page's cursor, the cursor actually used: None when the first page stood in)."""
    try:
        items, next_cursor = await fetch(cursor)
    except ShoppableError as error:
        if error.code != "invalid_cursor":
            raise
        cursor = None
        items, next_cursor = await fetch(None)
    return items, next_cursor, cursor
