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
    _stop_flow_runs_first()
    prefect_serve(*build_deployments(sources, plan))


# How long `serve` waits for its flow runs to stop by themselves once told
# to stop, beyond the `STOP_GRACE_S` a crawl finishes its pages in flight
# for: it then records its runs, and its flow run says it was stopped.
FLOW_RUNS_MARGIN_S = 10.0
# Then how long Prefect's runner may take to stop (SIGTERM from a service
# manager, `docker stop`) before the process exits regardless.
SHUTDOWN_GRACE_S = 20.0
STOPPED_BY_SERVE = "`wirecrawl serve` was stopped while this run was running; its work up to then is stored"


def _stop_flow_runs_first() -> None:
    """Ctrl-C and SIGTERM stop `serve` with its flow runs ended, never left
    Running in the UI. Prefect's runner, told to stop, kills its flow-run
    processes at once (SIGKILL), before they can say so, and marks nothing.
    Here, before it does: the flow runs are told (the signal is passed on;
    a Ctrl-C typed at the terminal reached them already) and given a
    crawl's stop grace and `FLOW_RUNS_MARGIN_S` to stop on their own (a
    crawl then finishes its pages in flight and records its runs as
    interrupted); a second signal ends the wait, after a moment for them to
    record it. One still there after that is killed, and any of them left
    Running is marked Crashed, saying why. Then Prefect's own stop runs,
    and the process exits `SHUTDOWN_GRACE_S` later whatever it waits on
    (once in a few hundred stops, a test run found Prefect's teardown still
    alive a minute later, for a reason not found). Set on Prefect's handler
    itself, which `Runner.start` installs for SIGTERM in place of any of
    ours; SIGINT is given the same handler when the runner starts."""
    import signal
    import threading

    from prefect.runner import Runner

    handler, start = Runner.handle_sigterm, Runner.start
    if getattr(handler, "wirecrawl_stop", False):
        return

    def handle_sigterm(self, *args, **kwargs):
        signum = args[0] if args and isinstance(args[0], int) else signal.SIGTERM
        if getattr(self, "_wirecrawl_stopping", False):
            end_flow_runs(signum, wait_s=_AGAIN_WAIT_S)  # asked again: a moment to record, then at once
        else:
            self._wirecrawl_stopping = True
            self._logger.info("%s received: waiting for the flow runs to stop (again to stop them at once)...",
                              signal.Signals(signum).name)
            end_flow_runs(signum)
        timer = threading.Timer(SHUTDOWN_GRACE_S, os._exit, args=(0,))
        timer.daemon = True
        timer.start()
        return handler(self, *args, **kwargs)

    async def start_with_sigint(self, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self.handle_sigterm)
        return await start(self, *args, **kwargs)

    handle_sigterm.wirecrawl_stop = True
    Runner.handle_sigterm = handle_sigterm
    Runner.start = start_with_sigint


def _flow_runs_stop_s() -> float:
    from crawler.crawl.run import STOP_GRACE_S  # here: the command line's other commands need no crawl

    return STOP_GRACE_S + FLOW_RUNS_MARGIN_S


# After a second Ctrl-C: how long the flow runs have to record that they stopped.
_AGAIN_WAIT_S = 2.0


def end_flow_runs(signum: int, wait_s: float | None = None) -> dict[str, str]:
    """Stop the flow runs this process started and wait for them: the
    signal is passed on to each (not a Ctrl-C typed at the terminal this
    process runs in the foreground of, which reached them already), then up
    to `wait_s` (default: a crawl's stop grace and `FLOW_RUNS_MARGIN_S`) for
    them to end, then SIGKILL to those left; each run still not in a final
    state after that is marked Crashed. Returns {flow run id: what became of
    it}. Linux only (it reads /proc); elsewhere it does nothing."""
    import signal
    import threading
    import time

    runs = _flow_run_processes()
    if not (signum == signal.SIGINT and _typed_at_our_terminal()):
        for pid in runs:
            _signal(pid, signum)
    deadline = time.monotonic() + (_flow_runs_stop_s() if wait_s is None else wait_s)
    while any(_alive(pid) for pid in runs) and time.monotonic() < deadline:
        time.sleep(0.1)
    ended = {}
    for pid, flow_run_id in runs.items():
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
            ended[flow_run_id] = "killed"
        else:
            ended[flow_run_id] = "stopped"
    if runs:
        # Bounded: a Prefect server that stopped answering must not keep `serve` from stopping.
        marking = threading.Thread(target=_mark_crashed_if_running, args=(list(runs.values()),), daemon=True)
        marking.start()
        marking.join(timeout=_MARK_TIMEOUT_S)
    return ended


_MARK_TIMEOUT_S = 15.0


def _typed_at_our_terminal() -> bool:
    """Whether this process is in the foreground of the terminal it reads:
    a Ctrl-C typed there went to every process of its group, the flow runs
    included (not one sent by `kill -INT`, or by a container runtime to its
    first process only)."""
    import sys

    try:
        return os.isatty(sys.stdin.fileno()) and os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


def _flow_run_processes() -> dict[int, str]:
    """{pid: flow run id} of the flow-run processes this process started
    that are still there (their environment names their run)."""
    found = {}
    try:
        tasks = os.listdir(f"/proc/{os.getpid()}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{os.getpid()}/task/{task}/children") as fh:
                pids = [int(p) for p in fh.read().split()]
        except OSError:
            continue
        for pid in pids:
            try:
                with open(f"/proc/{pid}/environ", "rb") as fh:
                    env = dict(v.split(b"=", 1) for v in fh.read().split(b"\0") if b"=" in v)
            except OSError:
                continue
            flow_run_id = env.get(b"PREFECT__FLOW_RUN_ID")
            if flow_run_id and _alive(pid):
                found[pid] = flow_run_id.decode()
    return found


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (a process that ended but was not yet
    reaped by its parent, a zombie, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _mark_crashed_if_running(flow_run_ids: list[str]) -> None:
    import logging

    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    logger = logging.getLogger(__name__)
    try:
        with get_client(sync_client=True) as client:
            for flow_run_id in flow_run_ids:
                state = client.read_flow_run(flow_run_id).state
                if state is not None and not state.is_final():
                    client.set_flow_run_state(flow_run_id, Crashed(message=STOPPED_BY_SERVE), force=True)
                    logger.info("flow run %s marked Crashed: %s", flow_run_id, STOPPED_BY_SERVE)
    except Exception as exc:  # the server is gone too: nothing more can be said to it
        logger.warning("could not mark the flow runs %s as stopped (%s: %s)", ", ".join(flow_run_ids),
                       type(exc).__name__, exc)
