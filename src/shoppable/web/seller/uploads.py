"""Pages that take a file (an import, a product image): the parsed form's spooled files are closed when the
request ends, including when the CSRF check refuses it before the handler runs."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request


async def close_form_at_end(request: Request) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await request.close()
