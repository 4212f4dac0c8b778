"""Opaque, time-ordered identifiers: a short prefix naming the kind and a ULID (``prod_01J...``)."""

from __future__ import annotations

import os
import time

# Crockford's alphabet is in ASCII order, so the text of an id sorts like its number: by creation time first.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {char: value for value, char in enumerate(_CROCKFORD)}
# Every 10-bit value as its two characters: encoding is a handful of look-ups (a bulk import makes 100,000
# ids, and base64.b32encode is pure Python).
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_last_millis = -1
_last_millis_text = ""
_last_random = 0
_RANDOM_LIMIT = 1 << 80


def _text(value: int, pairs: int) -> str:
    table = _PAIRS
    return "".join([table[(value >> shift) & 1023] for shift in range(10 * (pairs - 1), -1, -10)])


def encode(raw: bytes) -> str:
    """16 bytes as the 26 characters of a ULID (the number in base 32, two leading zero bits)."""
    return _text(int.from_bytes(raw, "big"), 13)


def created_millis(identifier: str) -> int:
    """The Unix milliseconds an id was made at (for tests and debugging; clients treat ids as opaque)."""
    value = 0
    for char in identifier.rsplit("_", 1)[-1][:10]:
        value = value * 32 + _VALUES[char]
    return value


def new_id(prefix: str) -> str:
    """A new id: 48 bits of Unix milliseconds (10 characters) then 80 random bits (16 characters).

    Within one millisecond a process's ids increase (ULID's monotonic mode: the random part counts up from
    a random start), so events and entries made one after another sort in the order they were made.
    """
    global _last_millis, _last_millis_text, _last_random
    millis = time.time_ns() // 1_000_000
    if millis != _last_millis:
        _last_millis, _last_millis_text = millis, _text(millis, 5)
        _last_random = int.from_bytes(os.urandom(10), "big") >> 1  # room to count up without overflowing
    else:
        _last_random = (_last_random + 1) % _RANDOM_LIMIT
    return f"{prefix}_{_last_millis_text}{_text(_last_random, 8)}"
