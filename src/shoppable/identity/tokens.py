"""Opaque secrets: generated with a recognisable prefix, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

USER_TOKEN_PREFIX = "spt_"
SHOP_KEY_PREFIX = "spk_"


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
