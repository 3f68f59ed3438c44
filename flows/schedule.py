"""Which sources fall due together: the cron schedules of a sources file.

`serve` gives one deployment, `crawl-sources/scheduled`, every distinct
`schedule` of the sources file. A flow run of it crawls, together in one
crawl, every source whose schedule falls due at the minute the run was
scheduled for (`due_sources`), whichever of those schedules created the run.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from cronsim import CronSim, CronSimError

if TYPE_CHECKING:
    from crawler.crawl.sources import Source


def minute_of(when: datetime) -> datetime:
    """`when` in UTC, cut to its minute (cron's precision); a naive time is taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).replace(second=0, microsecond=0)


def falls_due(cron: str, minute: datetime) -> bool:
    """Whether the cron expression (UTC) fires at `minute`. False for an
    expression cronsim cannot read (the sources file was checked by
    Prefect's parser, which accepts a little more)."""
    minute = minute_of(minute)
    try:
        return next(CronSim(cron, minute - timedelta(seconds=1))) == minute
    except (CronSimError, StopIteration, ValueError):
        return False


def due_sources(sources: dict[str, Source], minute: datetime) -> list[str]:
    """Names of the sources whose `schedule` falls due at `minute`, in file order."""
    return [name for name, s in sources.items() if s.schedule and falls_due(s.schedule, minute)]


def distinct_schedules(sources: dict[str, Source]) -> list[str]:
    """Every `schedule` of the sources, once each, in file order."""
    return list(dict.fromkeys(s.schedule for s in sources.values() if s.schedule))
