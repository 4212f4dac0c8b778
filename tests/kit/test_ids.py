"""Ids are opaque to clients but sort by creation time, which keyset pagination relies on."""

from __future__ import annotations

import re
import time

from hypothesis import given
from hypothesis import strategies as st

from shoppable.kit.ids import created_millis, encode, new_id

sixteen_bytes = st.binary(min_size=16, max_size=16)


@given(a=sixteen_bytes, b=sixteen_bytes)
def test_encoding_preserves_order(a: bytes, b: bytes) -> None:
    assert (encode(a) < encode(b)) == (a < b)
    assert (encode(a) == encode(b)) == (a == b)


def test_new_ids_are_ulids_of_time_and_randomness() -> None:
    identifier = new_id("x").split("_", 1)[1]
    millis = created_millis("x_" + identifier)
    assert encode(millis.to_bytes(6, "big") + bytes(10))[:10] == identifier[:10]


def test_ids_carry_their_creation_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    identifier = new_id("prod")
    after = time.time_ns() // 1_000_000
    assert before <= created_millis(identifier) <= after


def test_id_shape_and_uniqueness() -> None:
    ids = {new_id("var") for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(re.fullmatch(r"var_[0-9A-HJKMNP-TV-Z]{26}", i) for i in ids)
