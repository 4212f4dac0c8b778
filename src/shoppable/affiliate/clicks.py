"""Which link clicks count: obvious bots (by user agent), repeats (the same visitor on the same link within
a minute) and clicks past an address's rate are recorded but flagged, not counted. Pure rules plus small
bounded memories of recent clicks."""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import datetime, timedelta

# Crawlers, link unfurlers, HTTP libraries and headless browsers that announce themselves.
_BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|facebookexternalhit|embedly|preview|curl/|wget/|python-requests|python-httpx|"
    r"aiohttp|go-http-client|okhttp|java/|libwww|httpclient|headlesschrome|phantomjs|lighthouse|monitor|pingdom",
    re.IGNORECASE,
)


def is_bot(user_agent: str | None) -> bool:
    """An obvious bot: no user agent at all, or one that names itself as a crawler, library or headless browser."""
    return not user_agent or not user_agent.strip() or _BOT.search(user_agent) is not None


class RepeatFilter:
    """Remembers the last click of each (visitor, link) for ``window`` to flag repeats; holds at most
    ``max_entries`` pairs, forgetting the oldest first (a forgotten pair's next click counts, which errs
    toward the creator)."""

    def __init__(self, window: timedelta = timedelta(minutes=1), max_entries: int = 100_000) -> None:
        self.window = window
        self.max_entries = max_entries
        self._last: OrderedDict[tuple[str, str], datetime] = OrderedDict()

    def is_repeat(self, visitor: str, link_id: str, at: datetime) -> bool:
        """Whether this click repeats one made by the same visitor on the same link less than ``window`` ago.
        A repeat does not extend the window: a visitor clicking every 30 s counts once a minute."""
        key = (visitor, link_id)
        seen = self._last.get(key)
        if seen is not None and at - seen < self.window:
            return True
        self._last[key] = at
        self._last.move_to_end(key)
        while len(self._last) > self.max_entries:
            self._last.popitem(last=False)
        return False


class AddressRate:
    """Counts each address's clicks in windows of ``window_s`` aligned to the clock; the clicks past ``limit``
    in one window are over the rate (setting ``clicks_per_ip``). In process, by design: the redirect is the
    hottest path and a Redis round trip per click would cost more than the redirect itself. Holds at most
    ``max_entries`` addresses a window (new ones beyond are not counted, which errs toward the creator) and
    forgets them all when a window ends."""

    def __init__(self, limit: int, window_s: float, max_entries: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_entries = max_entries
        self._window = -1
        self._counts: dict[str, int] = {}

    def is_over(self, address: str, at_s: float) -> bool:
        """Count a click from ``address`` at ``at_s`` (seconds since the epoch); whether it is past the limit."""
        window = int(at_s // self.window_s)
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(address, 0)
        if count >= self.limit:
            return True
        if count or len(self._counts) < self.max_entries:
            self._counts[address] = count + 1
        return False
