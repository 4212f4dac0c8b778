"""Which link clicks count: obvious bots (by user agent) and repeats (the same visitor on the same link within
a minute) are recorded but flagged, not counted. Pure rules plus a small bounded memory of recent clicks."""

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
