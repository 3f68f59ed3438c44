"""Which sources fall due together: the cron schedules of a sources file.

`serve` gives one deployment, `crawl-sources/scheduled`, every distinct
`schedule` of the sources file. A flow run of it crawls, together in one
crawl, every source whose schedule falls due at the minute the run was
scheduled for (`due_sources`), whichever of those schedules created the run.
"""

from __future__ import annotations

import json
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


# What `serve` registered, for its flow runs (subprocesses) to compare with
# the sources file they read: JSON {"sources": path, "schedules": [...], "names": [...]}.
SERVED_ENV = "WIRECRAWL_SERVED"


def served_plan(sources_path: str, sources: dict[str, Source]) -> str:
    """The SERVED_ENV value for the sources `serve` registered from `sources_path`."""
    return json.dumps({"sources": sources_path, "schedules": distinct_schedules(sources), "names": list(sources)})


def unserved(sources: dict[str, Source], served: dict) -> list[str]:
    """What the sources file holds now that `serve` did not register when it
    started (`served`, as `served_plan` wrote it): a schedule no deployment
    runs on (its sources are never due), a source without its crawl-source
    deployment. One line each; empty when nothing changed that matters."""
    schedules, names = set(served.get("schedules", ())), set(served.get("names", ()))
    lines = []
    for name, source in sources.items():
        if source.schedule and source.schedule not in schedules:
            lines.append(f"{name}: schedule {source.schedule!r} is not registered, so it never falls due")
        elif name not in names:
            lines.append(f"{name}: added since serve started (crawled on its schedule; no crawl-source/{name} "
                         "deployment to crawl it by hand)")
    return lines
