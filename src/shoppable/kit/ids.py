"""Opaque, time-ordered identifiers: a short prefix naming the kind and a ULID (``prod_01J...``)."""

from __future__ import annotations

import base64
import os
import time

# Crockford's alphabet is in ASCII order, so the text of an id sorts like its bytes: by creation time first.
_FROM_CROCKFORD = str.maketrans("0123456789ABCDEFGHJKMNPQRSTVWXYZ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Every 10-bit value as its two characters: an id is 13 table look-ups (base64.b32encode is pure Python
# and was the single largest cost of a 50,000-row import).
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]


def encode(raw: bytes) -> str:
    """16 bytes as 26 Crockford base32 characters, order-preserving (the same text as RFC 4648 base32)."""
    value = int.from_bytes(raw, "big") << 2  # 128 bits padded to 130 = 26 characters of 5 bits
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in range(120, -1, -10)])


def created_millis(identifier: str) -> int:
    """The Unix milliseconds an id was made at (for tests and debugging; clients treat ids as opaque)."""
    body = identifier.rsplit("_", 1)[-1].translate(_FROM_CROCKFORD)
    return int.from_bytes(base64.b32decode(body + "=" * 6)[:6], "big")


def new_id(prefix: str) -> str:
    """A new id: 48 bits of Unix milliseconds then 80 random bits."""
    return f"{prefix}_{encode((time.time_ns() // 1_000_000).to_bytes(6, 'big') + os.urandom(10))}"
