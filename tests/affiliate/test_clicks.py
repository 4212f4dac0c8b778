"""Which clicks count: bots by user agent, repeats by visitor and link within a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shoppable.affiliate.clicks import RepeatFilter, is_bot

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "agent",
    [
        None,
        "",
        "   ",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    ],
)
def test_bots_are_flagged(agent: str | None) -> None:
    assert is_bot(agent)


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile "
        "Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    ],
)
def test_browsers_are_not(agent: str) -> None:
    assert not is_bot(agent)


def test_repeats_within_a_minute_are_flagged_per_visitor_and_link() -> None:
    repeats = RepeatFilter()
    assert not repeats.is_repeat("v1", "lnk", T0)
    assert repeats.is_repeat("v1", "lnk", T0 + timedelta(seconds=30))
    assert not repeats.is_repeat("v2", "lnk", T0 + timedelta(seconds=30))
    assert not repeats.is_repeat("v1", "other", T0 + timedelta(seconds=30))
    # The repeat at 30 s did not extend the window: the click at 60 s counts again.
    assert not repeats.is_repeat("v1", "lnk", T0 + timedelta(seconds=60))
    assert repeats.is_repeat("v1", "lnk", T0 + timedelta(seconds=119))


def test_the_memory_is_bounded_and_forgets_the_oldest() -> None:
    repeats = RepeatFilter(max_entries=2)
    for visitor in ("a", "b", "c"):
        assert not repeats.is_repeat(visitor, "lnk", T0)
    assert not repeats.is_repeat("a", "lnk", T0 + timedelta(seconds=1))  # forgotten: counts again
    assert repeats.is_repeat("c", "lnk", T0 + timedelta(seconds=1))
