"""Pure live rules: flash-sale bounds, privacy of purchase banners, chat text and its limits. No I/O."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from shoppable.kit.errors import ShoppableError

COUNTDOWN_S = (10, 300)  # a flash sale opens 10 s to 5 min after it is announced (shared/PRODUCT.md)
DURATION_S = (60, 1200)  # and lasts 1 to 20 minutes
MAX_LIVE_PRODUCTS = 100
CHAT_MAX_CHARS = 300


def _invalid(field: str, message: str) -> ShoppableError:
    return ShoppableError("validation_error", 422, message, errors=[{"loc": ["body", field], "msg": message}])


def check_flash_sale(*, countdown_s: int, duration_s: int, quantity: int, per_buyer_limit: int, price: int) -> None:
    if not COUNTDOWN_S[0] <= countdown_s <= COUNTDOWN_S[1]:
        raise _invalid("countdown_s", f"The countdown is {COUNTDOWN_S[0]} to {COUNTDOWN_S[1]} seconds.")
    if not DURATION_S[0] <= duration_s <= DURATION_S[1]:
        raise _invalid(
            "duration_s", f"A flash sale lasts {DURATION_S[0]} to {DURATION_S[1]} seconds (1 to 20 minutes)."
        )
    if quantity < 1:
        raise _invalid("quantity", "A flash sale offers at least one unit.")
    if not 1 <= per_buyer_limit <= quantity:
        raise _invalid("per_buyer_limit", "The per-buyer limit is at least 1 and at most the quantity.")
    if price < 1:
        raise _invalid("price", "The flash-sale price is at least one minor unit.")


def banner_name(full_name: str) -> str:
    """A buyer's name as the room sees it: the first name and an initial ("Ana Lima" -> "Ana L.")."""
    parts = full_name.split()
    if not parts:
        return "Someone"
    first = parts[0][:20]
    return f"{first} {parts[-1][0].upper()}." if len(parts) > 1 else first


def clean_text(text: str) -> str | None:
    """A chat message as it will be stored: trimmed, control characters removed; None when nothing is left or
    it is too long."""
    cleaned = "".join(ch for ch in text if ch.isprintable()).strip()
    if not cleaned or len(cleaned) > CHAT_MAX_CHARS:
        return None
    return cleaned


def has_blocked_word(text: str, words: frozenset[str]) -> bool:
    """Whether a whole word of the message (case-insensitive) is on the host's list."""
    return any(word in words for word in re.findall(r"\w+", text.casefold()))


@dataclass
class RateLimit:
    """At most ``limit`` messages per ``window_s`` seconds per user (a sliding window), in this process."""

    limit: int = 5
    window_s: float = 10.0

    def __post_init__(self) -> None:
        self._sent: dict[str, deque[float]] = {}

    def retry_after(self, user_id: str, now: float) -> float:
        """0 when the user may send now (and counts the message), else the seconds until they may."""
        sent = self._sent.setdefault(user_id, deque())
        while sent and now - sent[0] >= self.window_s:
            sent.popleft()
        if len(sent) >= self.limit:
            return self.window_s - (now - sent[0])
        sent.append(now)
        return 0.0
