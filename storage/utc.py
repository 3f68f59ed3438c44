"""Time in wirecrawl: every stored or compared time is UTC and timezone-aware."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """The current time, in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """`value` with UTC as its timezone when it has none (SQLite hands back
    naive datetimes, and everything wirecrawl stores is UTC); an aware value
    comes back unchanged, None stays None."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
