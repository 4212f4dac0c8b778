"""The signed attribution token a link click leaves in the shopper's cookie: which link, creator and product,
when, and which click. Tampered, foreign or expired tokens are ignored, never an error: a shopper's cookie is
not something they should ever see fail.

Format: ``v1.<payload>.<signature>``, both base64url without padding; the payload is compact JSON and the
signature an HMAC-SHA256 of ``v1.<payload>`` under a key derived from ``SHOPPABLE_SECRET_KEY``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import orjson

_VERSION = "v1"
_PURPOSE = b"shoppable attribution token v1"


@dataclass(frozen=True, slots=True)
class ClickToken:
    link_id: str
    creator_id: str
    product_id: str
    clicked_at: datetime
    click_id: str


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    # A key of its own, so a token can never be replayed as any other signed value of the platform.
    return hmac.digest(secret.encode(), _PURPOSE, "sha256")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(token: ClickToken, secret: str) -> str:
    payload = _b64(
        orjson.dumps(
            {
                "l": token.link_id,
                "c": token.creator_id,
                "p": token.product_id,
                "t": int(token.clicked_at.timestamp() * 1000),
                "k": token.click_id,
            }
        )
    )
    signed = f"{_VERSION}.{payload}"
    return f"{signed}.{_b64(hmac.digest(_key(secret), signed.encode(), 'sha256'))}"


def verify(text: str, keys: tuple[str, ...], *, now: datetime, window: timedelta) -> ClickToken | None:
    """The token's click if ``text`` is a token signed under one of ``keys`` (the current secret, then those a
    rotation keeps) and the click is at most ``window`` old (setting ``attribution_window_days``); None for
    anything else."""
    parts = text.split(".")
    if len(parts) != 3 or parts[0] != _VERSION or len(text) > 1024:
        return None
    signed = f"{parts[0]}.{parts[1]}".encode()
    try:
        signature = _unb64(parts[2])
        if not any(hmac.compare_digest(hmac.digest(_key(key), signed, "sha256"), signature) for key in keys):
            return None
        data = orjson.loads(_unb64(parts[1]))
        token = ClickToken(
            link_id=str(data["l"]),
            creator_id=str(data["c"]),
            product_id=str(data["p"]),
            clicked_at=datetime.fromtimestamp(int(data["t"]) / 1000, UTC),
            click_id=str(data["k"]),
        )
    except (binascii.Error, ValueError, KeyError, TypeError, OverflowError, orjson.JSONDecodeError):
        return None
    if not now - window <= token.clicked_at <= now + timedelta(minutes=5):  # a little clock skew, no future
        return None
    return token


COOKIE = "shoppable_attr"
MAX_TOKENS = 5  # the cookie keeps the last few clicks (about 230 bytes each), newest last


def read_all(value: str | None, keys: tuple[str, ...], *, now: datetime, window: timedelta) -> list[ClickToken]:
    """The valid clicks in an attribution cookie (tokens joined by ``~``); anything else is ignored."""
    if not value:
        return []
    found = (verify(text, keys, now=now, window=window) for text in value.split("~")[-MAX_TOKENS:])
    return [token for token in found if token is not None]
