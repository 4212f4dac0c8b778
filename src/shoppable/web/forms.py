"""Reading posted forms: text fields trimmed and bounded, and problems collected per field for the page."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from shoppable.kit.errors import ShoppableError

FieldErrors = dict[str, str]


async def form_of(request: Request) -> dict[str, str]:
    """The posted fields as text (files are not read here); each value at most 2,000 characters."""
    form = await request.form()
    return {key: value[:2000] for key, value in form.items() if isinstance(value, str)}


def field_errors(error: ShoppableError, names: dict[str, str] | None = None) -> FieldErrors:
    """A service's field errors keyed by form field (the last part of each ``loc``, renamed by ``names``);
    an error without fields lands on ``_form``."""
    found: FieldErrors = {}
    for item in error.errors or []:
        loc: list[Any] = list(item.get("loc") or [])
        key = str(loc[-1]) if loc else "_form"
        key = (names or {}).get(key, key)
        found.setdefault(key, _sentence(str(item.get("msg", error.detail))))
    return found or {"_form": error.detail}


def _sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:] if message else message
