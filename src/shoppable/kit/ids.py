"""Opaque, time-ordered identifiers: a short prefix naming the kind and a ULID (``prod_01J...``)."""

from __future__ import annotations

import base64
import os
import time

# base64's RFC 4648 alphabet is not in ASCII order; mapped onto Crockford's (which is) the text of an id
# sorts like its bytes: by creation time first.
_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
_FROM_CROCKFORD = str.maketrans("0123456789ABCDEFGHJKMNPQRSTVWXYZ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def encode(raw: bytes) -> str:
    """16 bytes as 26 Crockford base32 characters, order-preserving."""
    return base64.b32encode(raw).decode()[:26].translate(_TO_CROCKFORD)


def created_millis(identifier: str) -> int:
    """The Unix milliseconds an id was made at (for tests and debugging; clients treat ids as opaque)."""
    body = identifier.rsplit("_", 1)[-1].translate(_FROM_CROCKFORD)
    return int.from_bytes(base64.b32decode(body + "=" * 6)[:6], "big")


def new_id(prefix: str) -> str:
    """A new id: 48 bits of Unix milliseconds then 80 random bits."""
    return f"{prefix}_{encode((time.time_ns() // 1_000_000).to_bytes(6, 'big') + os.urandom(10))}"
