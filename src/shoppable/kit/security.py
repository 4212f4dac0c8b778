"""CSRF tokens and safe redirect targets: small keyed-hash helpers with no business words.

A CSRF token is an HMAC of what binds it (a session, or an anonymous visitor's cookie) under the server's
secret: pages put it in their forms and a ``<meta>`` tag, the server recomputes it, so nothing is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def csrf_token(secret: str, binding: str) -> str:
    mac = hmac.new(secret.encode(), b"csrf|" + binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_matches(keys: tuple[str, ...], binding: str, presented: str | None) -> bool:
    """Whether ``presented`` is the token of ``binding`` under one of ``keys`` (a rotation keeps the old ones)."""
    if not presented:
        return False
    return any(hmac.compare_digest(csrf_token(key, binding), presented) for key in keys)


def new_visitor_id() -> str:
    return secrets.token_urlsafe(24)


def safe_next(target: str | None, default: str = "/") -> str:
    """A same-origin path to return to after signing in; anything else (another host, a scheme, ``//host``,
    a backslash trick) becomes ``default``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target
