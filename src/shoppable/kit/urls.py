"""The one check for a URL that a person or a file supplies (images, avatars, posters, videos, streams): an
absolute http(s) URL with a host, or a path on this site. Anything else (``javascript:``, ``data:``, ``//host``,
spaces, control characters) is refused by the API, skipped by imports and never rendered by a page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

MAX_URL = 2048


def is_web_url(value: object) -> bool:
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value) or "\\" in value:
        return False
    if value.startswith("/"):
        return not value.startswith("//")
    try:
        parts = urlsplit(value)
    except ValueError:  # an unbalanced IPv6 bracket, say
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def check_web_url(value: str) -> str:
    if not is_web_url(value):
        raise ValueError("must be an http(s) URL or a path on this site")
    return value


def web_url_or_none(value: object) -> str | None:
    """``value`` when it is a URL a page may render, else None (for rows stored before the check existed)."""
    return value if isinstance(value, str) and is_web_url(value) else None


WebUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_URL), AfterValidator(check_web_url)
]
