"""The signed attribution token: round trip, expiry, and every kind of tampering ignored."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppable.affiliate.tokens import ClickToken, sign, verify

SECRET = "test-secret"
CLICKED = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
WINDOW = timedelta(days=7)
TOKEN = ClickToken(link_id="lnk_1", creator_id="cre_1", product_id="prod_1", clicked_at=CLICKED, click_id="clk_1")


def test_a_signed_token_reads_back_within_the_window() -> None:
    text = sign(TOKEN, SECRET)
    assert text.startswith("v1.")
    assert verify(text, (SECRET,), now=CLICKED + timedelta(days=6, hours=23), window=WINDOW) == TOKEN


def test_an_expired_or_future_token_is_ignored() -> None:
    text = sign(TOKEN, SECRET)
    assert verify(text, (SECRET,), now=CLICKED + WINDOW + timedelta(seconds=1), window=WINDOW) is None
    assert verify(text, (SECRET,), now=CLICKED - timedelta(hours=1), window=WINDOW) is None


def _tampered_payload(text: str) -> str:
    version, payload, signature = text.split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).replace(b"cre_1", b"cre_2")
    return ".".join((version, base64.urlsafe_b64encode(raw).decode().rstrip("="), signature))


@pytest.mark.parametrize(
    "mangle",
    [
        _tampered_payload,  # another creator, same signature
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another signature
        lambda t: "v2" + t[2:],
        lambda t: t.replace(".", "", 1),
        lambda t: "",
        lambda t: "v1..",
        lambda t: "v1.!!!.###",
        lambda t: t + "." + t,
        lambda t: "x" * 5000,
    ],
)
def test_tampered_or_malformed_tokens_are_ignored(mangle: object) -> None:
    text = mangle(sign(TOKEN, SECRET))  # type: ignore[operator]
    assert verify(text, (SECRET,), now=CLICKED, window=WINDOW) is None


def test_a_token_signed_with_another_secret_is_ignored() -> None:
    assert verify(sign(TOKEN, "another-secret"), (SECRET,), now=CLICKED, window=WINDOW) is None


@given(text=st.text(max_size=300))
def test_any_text_is_ignored_or_read_never_an_error(text: str) -> None:
    assert verify(text, (SECRET,), now=CLICKED, window=WINDOW) is None


def test_a_token_signed_before_a_rotation_still_reads_while_its_key_is_kept() -> None:
    text = sign(TOKEN, "the-old-secret")
    assert verify(text, ("the-new-secret", "the-old-secret"), now=CLICKED, window=WINDOW) == TOKEN
    assert verify(text, ("the-new-secret",), now=CLICKED, window=WINDOW) is None
