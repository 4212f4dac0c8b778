"""Days as a shop counts them: the UTC instants where its days begin, in its own time zone (DST included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day_starts(now: datetime, zone: ZoneInfo, days: int) -> tuple[list[date], list[datetime]]:
    """The last ``days`` local days up to and including today, and the UTC instants bounding them (``days + 1``:
    the start of each day, then the start of tomorrow)."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    dates = [first + timedelta(days=i) for i in range(days)]
    bounds = [datetime.combine(d, time(), zone).astimezone(UTC) for d in [*dates, today + timedelta(days=1)]]
    return dates, bounds


BUCKET = timedelta(minutes=15)
"""The rollups' step: every zone's midnight falls on a quarter hour of UTC today."""


def bucket_of(moment: datetime) -> datetime:
    """The start (UTC) of the quarter hour holding ``moment``."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def on_buckets(bounds: list[datetime]) -> bool:
    """Whether every bound starts a quarter hour (so the rollups answer exactly for these days)."""
    return all(bucket_of(bound) == bound for bound in bounds)


DAY = timedelta(days=1)


def day_of(moment: datetime) -> datetime:
    """The start (UTC) of the UTC day holding ``moment``."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def split_days(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The whole UTC days within [start, end): their first start and their end (equal when there are none); the
    rest of [start, end) is its edges, [start, first) and [last, end)."""
    first = day_of(start) if day_of(start) == start else day_of(start) + DAY
    last = day_of(end)
    return (first, last) if first < last else (start, start)
