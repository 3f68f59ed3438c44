"""`wirecrawl serve`: the deployments of wirecrawl, served from this process.

- `crawl-sources/scheduled`, on every distinct cron `schedule` of the
  sources file: each of its runs crawls every source that falls due at its
  minute, together in one crawl (`flows.prefect_flows.crawl_sources_flow`),
  so 100 sources on one cron are one crawl process and one extraction
  pool, not 100;
- one `crawl-source/<source>` per source, without a schedule, to crawl one
  source by hand;
- `ingest-url/adhoc` for ad-hoc URLs, and `snapshot/daily`.

`prefect.serve` registers them with the Prefect server and runs each flow
run in a subprocess of this process. `deploy/prefect.yaml` declares the same
deployments for a process work pool instead.

Schedules need a real Prefect server: a temporary (ephemeral) one lives and
dies with the process that started it and runs no scheduler, so `serve`
refuses to start without one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from crawler.crawl.sources import Source, load_sources
from flows.runs import prefect_server_answers
from flows.schedule import SERVED_ENV, distinct_schedules, served_plan
from flows.settings import Settings

DEFAULT_SNAPSHOT_CRON = "0 3 * * *"  # daily, 03:00 UTC
HOW_TO_START = ("start one with `wirecrawl server` (or `prefect server start`) and point this shell at it: "
                "`export PREFECT_API_URL=http://127.0.0.1:4200/api`")
TAGS = ["wirecrawl"]


class NoPrefectServer(RuntimeError):
    """No Prefect server to register deployments with; the message says how to start one."""


@dataclass(frozen=True)
class ServePlan:
    """What `serve` registers: where sources and snapshots live, and when the
    snapshot runs."""

    sources_path: Path
    snapshot_dir: Path
    snapshot_cron: str = DEFAULT_SNAPSHOT_CRON


def require_prefect_server() -> str:
    """The URL of the configured Prefect API. NoPrefectServer if none is
    configured (Prefect would start a temporary server, which cannot run
    schedules) or if it does not answer."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise NoPrefectServer("no Prefect server is configured (PREFECT_API_URL is not set), so Prefect would "
                              "start a temporary one that stops with this process and runs no schedules; "
                              + HOW_TO_START)
    if not prefect_server_answers(url):
        raise NoPrefectServer(f"the Prefect API at {url} is not answering; " + HOW_TO_START)
    return url


def build_deployments(sources: dict[str, Source], plan: ServePlan) -> list:
    """The RunnerDeployments to serve: crawl-sources/scheduled (on every
    distinct schedule of the sources; none when no source has one), one
    crawl-source per source (on demand), ingest-url/adhoc, and snapshot/daily."""
    from prefect.schedules import Cron

    from flows.prefect_flows import crawl_source_flow, crawl_sources_flow, ingest_url_flow, snapshot_flow

    sources_path = str(plan.sources_path.resolve())
    crons = distinct_schedules(sources)
    deployments = []
    if crons:
        deployments.append(_deployment(
            crawl_sources_flow, "scheduled", schedules=[Cron(c, timezone="UTC") for c in crons],
            parameters={"sources": sources_path},
            description=f"Crawl, together in one crawl, the sources whose schedule falls due "
                        f"({len(crons)} schedule(s) of {sources_path})."))
    deployments += [
        _deployment(crawl_source_flow, name, parameters={"source": name, "sources": sources_path},
                    description=f"Crawl {name} now (on its schedule: crawl-sources/scheduled"
                                f"{', cron ' + source.schedule if source.schedule else ', none'}).")
        for name, source in sources.items()
    ]
    deployments.append(_deployment(ingest_url_flow, "adhoc",
                                   description="Fetch and ingest ad-hoc URLs: --param url=… or urls=[…]."))
    deployments.append(_deployment(snapshot_flow, "daily", schedules=[Cron(plan.snapshot_cron, timezone="UTC")],
                                   description="Write a full snapshot of the store."))
    return deployments


def _deployment(flow, name: str, *, schedules: list | None = None, parameters: dict | None = None,
                description: str):
    from prefect.types.entrypoint import EntrypointType

    # MODULE_PATH: flow runs load `flows.prefect_flows.<flow>` from the
    # installed package, wherever they start.
    return flow.to_deployment(name=name, schedules=schedules, parameters=parameters or {}, tags=TAGS,
                              description=description, entrypoint_type=EntrypointType.MODULE_PATH)


def serve(plan: ServePlan, settings: Settings) -> None:
    """Register the deployments and run their flow runs until interrupted.
    NoPrefectServer without a real server; SourcesError for a wrong sources
    file. Flow runs inherit this process's data directory and store, the
    plan's snapshot folder, and its WIRECRAWL_ALLOW_PRIVATE (ad-hoc URLs on
    private addresses are refused without it); no run parameter can change
    them."""
    from prefect import serve as prefect_serve

    require_prefect_server()
    sources = load_sources(plan.sources_path)
    # Flow runs are subprocesses of this one: the environment carries the
    # store and the snapshot folder to them, never flow parameters.
    os.environ["WIRECRAWL_DATA_DIR"] = str(settings.data_dir)
    os.environ["WIRECRAWL_DATABASE_URL"] = settings.database_url
    os.environ["WIRECRAWL_SNAPSHOT_DIR"] = str(plan.snapshot_dir.resolve())
    # What was registered: runs then crawl only this sources file, and say what it gained since.
    os.environ[SERVED_ENV] = served_plan(str(plan.sources_path.resolve()), sources)
    _exit_soon_after_sigterm()
    prefect_serve(*build_deployments(sources, plan))


# How long `serve` may take to stop once told to (SIGTERM: a service manager,
# `docker stop`) before it exits regardless.
SHUTDOWN_GRACE_S = 20.0


def _exit_soon_after_sigterm() -> None:
    """Prefect's runner answers SIGTERM by stopping its flow runs and
    exiting, and usually does within seconds; once in a few hundred stops
    (a test run) it was still alive a minute later, for a reason not found.
    A service manager sends SIGKILL then: here the process exits
    `SHUTDOWN_GRACE_S` after the signal, whatever it waits on. Set on Prefect's handler itself, which
    `Runner.start` installs in place of any of ours."""
    import threading

    from prefect.runner import Runner

    handler = Runner.handle_sigterm
    if getattr(handler, "wirecrawl_deadline", False):
        return

    def handle_sigterm(self, *args, **kwargs):
        timer = threading.Timer(SHUTDOWN_GRACE_S, os._exit, args=(0,))
        timer.daemon = True
        timer.start()
        return handler(self, *args, **kwargs)

    handle_sigterm.wirecrawl_deadline = True
    Runner.handle_sigterm = handle_sigterm
