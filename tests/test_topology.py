"""Past one machine, from local processes: a Prefect server, two
`prefect worker start --pool wirecrawl` processes (two "machines", each with
its own checkout folder and data directory), one PostgreSQL store, and the
deployments of deploy/prefect.yaml deployed with `prefect deploy --all`.

Five news sites on 127.0.0.1 each run their own story and a copy of one wire
story. One crawl-source run per site, triggered through the Prefect API:
every source is crawled once, the runs are spread over both workers, the
copies of the wire story crawled by the two workers end in one cluster, and
a second trigger of a source still being crawled waits for the first to end.

Each worker takes one flow run at a time (`--limit 1`), as a machine whose
crawl uses every core for extraction would: that is what spreads the runs,
and what sends a second trigger to the other worker.
"""

from __future__ import annotations

import copy
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

import httpx
import pytest
import yaml

from tests.sampleweb.articles import (AARVIK_TRAM, LENZ_APRICOT_FROST, ORANGE_FROG, OYVIK_DOORS, TORVANE_PLANT,
                                      VALDERA_MARATHON, SampleArticle)
from tests.sampleweb.copies import make_copy
from tests.sampleweb.templates import render_article_page, render_index_page
from tests.sites import Request, Response, Site

pytestmark = [pytest.mark.topology, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "wirecrawl"
WORKERS = ("worker-a", "worker-b")
WIRE_STORY = AARVIK_TRAM
# source -> (template of its site, the story it runs itself)
SOURCES = {
    "wire": ("minimal", ORANGE_FROG),
    "harbour": ("wordpress", VALDERA_MARATHON),
    "valley": ("newspaper", TORVANE_PLANT),
    "northline": ("blogger", LENZ_APRICOT_FROST),
}
SLOW = "slow"  # its story's page answers only when the test opens the gate
T = TypeVar("T")


def test_two_workers_share_the_sources_the_store_and_the_clusters(topology):
    worker_of = _each_source_crawled_once_by_either_worker(topology)
    _copies_crawled_by_both_workers_share_one_cluster(topology, worker_of)
    _a_second_trigger_of_a_running_source_waits(topology)


def _each_source_crawled_once_by_either_worker(topology: "Topology") -> dict[str, str]:
    """One crawl-source run per source, triggered at once: each ends
    Completed, each source has one `runs` row written by its flow run's
    process, each page was asked for once, and both workers took runs.
    Returns the worker of each source."""
    api, sites = topology.api, topology.sites
    runs = {name: api.trigger(f"crawl-source/{name}") for name in SOURCES}
    finished = _until("the crawl-source runs to end", lambda: _all_final(api, runs), 150, topology.fleet.diagnose)
    for name, run in finished.items():
        assert run["state"]["type"] == "COMPLETED", f"{name}: {run['state']}\n{topology.fleet.diagnose()}"
    worker_of = {name: run["labels"]["prefect.worker.name"] for name, run in finished.items()}
    assert set(worker_of.values()) == set(WORKERS), worker_of

    crawls = _crawl_runs(topology)
    assert sorted(r.source for r in crawls) == sorted(SOURCES)
    for r in crawls:
        assert r.status == "finished", r
        assert r.stats["fetched"] == 3 and r.stats["stored"] + r.stats["copies"] == 2, r.stats
        # written by the process of that source's flow run, so on its worker
        assert r.pid == int(finished[r.source]["infrastructure_pid"]), (r, finished[r.source])
    for name in SOURCES:
        asked = Counter(sites[name].paths_requested())
        assert all(asked[path] == 1 for path in _article_paths(name)), (name, asked)
    return worker_of


def _copies_crawled_by_both_workers_share_one_cluster(topology: "Topology", worker_of: dict[str, str]) -> None:
    """The wire story's original and its copies, fetched on both workers,
    are one cluster; each site's own story is a cluster of its own."""
    sites = topology.sites
    with _store(topology) as store:
        wire = {name: store.find_document(sites[name].url(_path(WIRE_STORY))) for name in SOURCES}
        own = {name: store.find_document(sites[name].url(_path(story))) for name, (_, story) in SOURCES.items()}
    assert all(wire.values()) and all(own.values())
    assert len({d.cluster_id for d in wire.values()}) == 1, {name: d.cluster_id for name, d in wire.items()}
    assert {worker_of[name] for name in wire} == set(WORKERS)
    own_clusters = {d.cluster_id for d in own.values()}
    assert len(own_clusters) == len(SOURCES) and wire["wire"].cluster_id not in own_clusters


def _a_second_trigger_of_a_running_source_waits(topology: "Topology") -> None:
    """While a crawl of `slow` is held at its gated page, a second run of
    `slow` starts on the other worker and asks for the source's crawl slot;
    it crawls only once the first has ended, and the page the first stored
    is not asked for again."""
    api, site, diagnose = topology.api, topology.sites[SLOW], topology.fleet.diagnose
    gated_path = _path(OYVIK_DOORS)
    asking, taken = f"taking the crawl slot of {SLOW}", f"crawl slot of {SLOW} taken"
    first = api.trigger(f"crawl-source/{SLOW}")
    _until("the first crawl of `slow` to reach its gated page",
           lambda: [r for r in _crawl_runs(topology, SLOW) if r.status == "running"]
           and gated_path in site.paths_requested(), 90, diagnose)
    second = api.trigger(f"crawl-source/{SLOW}")
    _until("the second run of `slow` to ask for the crawl slot", lambda: api.log_time(second, asking), 90, diagnose)
    # It asked while the first still crawls: it is running, and not crawling.
    assert api.flow_run(second)["state"]["type"] == "RUNNING"
    assert [r.status for r in _crawl_runs(topology, SLOW)] == ["running"]
    assert api.log_time(second, taken) is None
    both = {"first": first, "second": second}
    workers = {key: api.flow_run(run)["labels"]["prefect.worker.name"] for key, run in both.items()}
    assert workers["first"] != workers["second"], workers  # the slot is the fleet's, not a worker's
    topology.gate.set()

    ended = _until("both runs of `slow` to end", lambda: _all_final(api, both), 90, diagnose)
    assert all(run["state"]["type"] == "COMPLETED" for run in ended.values()), ended
    older, newer = sorted(_crawl_runs(topology, SLOW), key=lambda r: r.started_at)
    assert older.status == newer.status == "finished"
    assert (older.pid, newer.pid) == (int(ended["first"]["infrastructure_pid"]),
                                      int(ended["second"]["infrastructure_pid"]))
    assert older.finished_at <= newer.started_at  # one after the other, never together
    assert api.log_time(second, asking) < older.finished_at <= api.log_time(second, taken)
    assert site.paths_requested().count(gated_path) == 1


# -- the topology ----------------------------------------------------------------

@dataclass
class Topology:
    """What the test drives: the processes, the Prefect API, the store the
    workers share (and a data directory to read it from), the sites by
    source name, and the gate of the `slow` site's story."""

    fleet: Fleet
    api: Api
    store_url: str
    reader_dir: Path
    sites: dict[str, Site]
    gate: threading.Event


@pytest.fixture
def topology(postgres_url, tmp_path):
    """The Prefect server, the work pool, the deployments, two workers and
    the sites; every process stopped (its whole process group, flow runs
    included) at the end."""
    gate = threading.Event()
    sites = {name: Site().start() for name in [*SOURCES, SLOW]}
    fleet = Fleet(tmp_path / "logs")
    try:
        _serve_news(sites, gate)
        api = fleet.start_server(tmp_path / "prefect-server")
        fleet.cli(["work-pool", "create", POOL, "--type", "process"], "work-pool")
        # The workers start while the deployments are registered.
        for worker in WORKERS:
            fleet.start_worker(worker, _machine(tmp_path / worker, sites), postgres_url)
        fleet.cli(["--no-prompt", "deploy", "--all", "--prefect-file", str(_prefect_yaml(tmp_path, list(sites)))],
                  "deploy")
        _until("both workers to come online", lambda: api.online_workers() >= set(WORKERS), 60, fleet.diagnose)
        yield Topology(fleet, api, postgres_url, tmp_path / "reader", sites, gate)
    finally:
        gate.set()  # a crawl blocked on the gated page is let go before it is stopped
        fleet.stop()
        for site in sites.values():
            site.stop()


def _machine(home: Path, sites: dict[str, Site]) -> Path:
    """A worker machine's checkout folder (WIRECRAWL_HOME): its sources.toml."""
    home.mkdir()
    lines = ["[defaults]", "download_delay = 0.0", "autothrottle = false", "obey_robots = false",
             "retry_times = 0", "robots_sitemaps = false", "discover = false", ""]
    for name, site in sites.items():
        lines += ["[[source]]", f'name = "{name}"', f'start_urls = ["{site.url("/")}"]', "max_depth = 1"]
        # the gated page may wait for the second run's process to start
        lines += ["timeout = 120.0", ""] if name == SLOW else [""]
    (home / "sources.toml").write_text("\n".join(lines), encoding="utf-8")
    return home


def _prefect_yaml(tmp_path: Path, names: list[str]) -> Path:
    """deploy/prefect.yaml with one crawl-source deployment per source, each
    a copy of its `wire` entry as the file's comments say."""
    config = yaml.safe_load((REPO / "deploy" / "prefect.yaml").read_text(encoding="utf-8"))
    [wire] = [d for d in config["deployments"] if d["name"] == "wire"]
    for name in names:
        if name != "wire":
            entry = copy.deepcopy(wire)
            entry.update(name=name, description=f"Crawl the `{name}` source of sources.toml now.")
            entry["parameters"]["source"] = name
            config["deployments"].append(entry)
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


# -- the sites -------------------------------------------------------------------

def _path(story: SampleArticle) -> str:
    return f"/{story.slug}.html"


def _article_paths(name: str) -> list[str]:
    return [_path(OYVIK_DOORS)] if name == SLOW else [_path(WIRE_STORY), _path(SOURCES[name][1])]


def _serve_news(sites: dict[str, Site], gate: threading.Event) -> None:
    """Each site of SOURCES: a home page, its own story, and the wire story
    (the original on `wire`, a syndicated copy elsewhere). `slow`: one story,
    served once the gate is open."""
    for name, (template, own) in SOURCES.items():
        site = sites[name]
        title, paragraphs, attribution = WIRE_STORY.title, list(WIRE_STORY.paragraphs), None
        if name != "wire":
            headline, paragraphs, attribution = make_copy("wire", paragraphs, random.Random(name),
                                                          source="Example Wire")
            title = headline or title
        pages = [(own.title, own, list(own.paragraphs), None), (title, WIRE_STORY, paragraphs, attribution)]
        for page_title, story, paras, line in pages:
            site.add(_path(story), render_article_page(
                template, title=page_title, paragraphs=paras, site_name=name.title(), url=site.url(_path(story)),
                author=story.author, published=story.published, attribution=line))
        site.add("/", render_index_page(name.title(), [(_path(s), t) for t, s, _, _ in pages]))
    slow = sites[SLOW]
    page = render_article_page("legacy", title=OYVIK_DOORS.title, paragraphs=list(OYVIK_DOORS.paragraphs),
                               site_name="Slow", url=slow.url(_path(OYVIK_DOORS)))

    def gated(_: Request) -> Response:
        if not gate.wait(180):
            return Response(503, "the test never opened the gate")
        return Response(200, page)

    slow.add(_path(OYVIK_DOORS), gated)
    slow.add("/", render_index_page("Slow", [(_path(OYVIK_DOORS), OYVIK_DOORS.title)]))


# -- processes -------------------------------------------------------------------

class Fleet:
    """The processes this test starts, each in a process group of its own
    with its output in a log file; `stop` ends them and the flow runs
    their workers started."""

    def __init__(self, logs: Path):
        self.logs = logs
        logs.mkdir()
        self.procs: dict[str, subprocess.Popen] = {}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WIRECRAWL_"))}
        self.env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        self.api: Api | None = None

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs[name] = proc
        return proc

    def start_server(self, home: Path) -> "Api":
        """`prefect server start` on a free port of 127.0.0.1, its database
        (SQLite) in `home`. The scheduler is off: the test triggers every run
        itself, and a run of the scheduled deployment falling due meanwhile
        would take a worker. Returns the API once it answers."""
        port = _free_port()
        self.env.update(PREFECT_HOME=str(home), PREFECT_API_URL=f"http://127.0.0.1:{port}/api")
        server = self.start("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port),
                                       "--no-scheduler", "--no-ui"],
                            {**self.env, "PREFECT_API_LOG_RETRYABLE_ERRORS": "true"})
        self.api = Api(self.env["PREFECT_API_URL"])

        def answers() -> bool:
            if server.poll() is not None:
                pytest.fail(f"the Prefect server exited ({server.returncode})\n{self.diagnose()}")
            return self.api.healthy()

        _until("the Prefect server to answer", answers, 90, self.diagnose)
        return self.api

    def start_worker(self, name: str, home: Path, database_url: str) -> None:
        """A worker as on another machine: its own checkout (WIRECRAWL_HOME),
        data directory and Prefect home; the shared store. It polls every
        second rather than every 10 s, and flow runs ship logs every 0.2 s."""
        env = {**self.env, "PREFECT_HOME": str(home / "prefect-home"), "WIRECRAWL_HOME": str(home),
               "WIRECRAWL_DATA_DIR": str(home / "data"), "WIRECRAWL_DATABASE_URL": database_url,
               "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.2"}
        self.start(name, [PREFECT, "worker", "start", "--pool", POOL, "--name", name, "--limit", "1"], env)

    def cli(self, args: list[str], name: str) -> None:
        """One `prefect` command against the server; fails the test with its
        output unless it succeeds."""
        out = subprocess.run([PREFECT, *args], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=120)
        (self.logs / f"{name}.log").write_text(out.stdout + out.stderr, encoding="utf-8")
        assert out.returncode == 0, f"prefect {' '.join(args)} failed ({out.returncode}):\n{out.stdout}{out.stderr}"

    def diagnose(self) -> str:
        """What a failure report needs: the end of each process's log, and
        the state of each flow run."""
        parts = []
        for name in self.procs:
            text = (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")
            parts.append(f"--- {name} (exit {self.procs[name].poll()}), last lines:\n"
                         + "\n".join(text.splitlines()[-25:]))
        if self.api is not None:
            try:
                parts.append("--- flow runs: " + ", ".join(
                    f"{r['name']} {r['state']['type']} ({r['labels'].get('prefect.worker.name', '-')})"
                    for r in self.api.flow_runs()))
            except httpx.HTTPError as exc:
                parts.append(f"--- flow runs: the server did not answer ({exc!r})")
            parts += [f"--- retried after a 503: {r}" for r in self.api.retried]
        return "\n".join(parts)

    def stop(self) -> None:
        """SIGTERM to every process group (the workers', their flow runs' —
        each flow run is a session of its own — and the server's), the server
        last; SIGKILL to those still there after a few seconds."""
        workers = [p for name, p in self.procs.items() if name != "server"]
        flow_runs = _descendant_groups([p.pid for p in workers])
        for group in [*flow_runs, *(p.pid for p in workers)]:
            _signal_group(group, signal.SIGTERM)
        _wait_all(workers, 10)
        if "server" in self.procs:
            _signal_group(self.procs["server"].pid, signal.SIGTERM)
            _wait_all([self.procs["server"]], 10)
        for group in [*flow_runs, *(p.pid for p in self.procs.values())]:
            _signal_group(group, signal.SIGKILL)
        _wait_all(list(self.procs.values()), 10)
        if self.api is not None:
            self.api.http.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendant_groups(roots: list[int]) -> set[int]:
    """Process groups of the descendants of `roots` (from /proc), other than
    the roots' own."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while the table was read
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    groups, todo = set(), list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            try:
                groups.add(os.getpgid(child))
            except ProcessLookupError:
                continue  # gone already
    return groups - set(roots)


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass  # the group has ended: nothing to stop


def _wait_all(procs: list[subprocess.Popen], within_s: float) -> None:
    end = time.monotonic() + within_s
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            continue  # the caller sends SIGKILL next


# -- the Prefect API ---------------------------------------------------------------

class Api:
    """The few calls of Prefect's REST API this test makes. A 503 (the
    server's "retry": its SQLite database was busy) is retried, as Prefect's
    own client does."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url.rstrip("/") + "/", timeout=30)
        self.retried: list[str] = []  # each 503 answered, for a failure report

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer to one request; HTTPStatusError for an error other than 503."""
        for attempt in range(10):
            got = self.http.request(method, path, **kwargs)
            if got.status_code != 503:
                break
            self.retried.append(f"{method} {path}: {got.text[:200]}")
            time.sleep(0.2 * (attempt + 1))
        got.raise_for_status()
        return got.json()

    def healthy(self) -> bool:
        try:
            return self.http.get("health").status_code == 200
        except httpx.TransportError:
            return False  # not listening yet

    def online_workers(self) -> set[str]:
        workers = self.call("POST", f"work_pools/{POOL}/workers/filter", json={})
        return {w["name"] for w in workers if w.get("status") == "ONLINE"}

    def trigger(self, deployment: str) -> str:
        """A run of `flow/deployment`, now, with its deployed parameters; its id."""
        found = self.call("GET", f"deployments/name/{deployment}")
        return self.call("POST", f"deployments/{found['id']}/create_flow_run", json={})["id"]

    def flow_run(self, run_id: str) -> dict[str, Any]:
        return self.call("GET", f"flow_runs/{run_id}")

    def flow_runs(self) -> list[dict[str, Any]]:
        return self.call("POST", "flow_runs/filter", json={"sort": "EXPECTED_START_TIME_ASC"})

    def log_time(self, run_id: str, text: str) -> datetime | None:
        """When the flow run first logged a line containing `text`; None if it has not."""
        logs = self.call("POST", "logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}},
                                                      "sort": "TIMESTAMP_ASC", "limit": 200})
        for log in logs:
            if text in log["message"]:
                return datetime.fromisoformat(log["timestamp"].replace("Z", "+00:00"))
        return None


def _all_final(api: Api, runs: dict[str, str]) -> dict[str, dict[str, Any]] | None:
    """Every flow run of `runs` (key -> id), once all have ended; else None."""
    got = {key: api.flow_run(run_id) for key, run_id in runs.items()}
    final = ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")
    return got if all(r["state"]["type"] in final for r in got.values()) else None


# -- the store ---------------------------------------------------------------------

def _store(topology: Topology):
    """The store the workers share, as a reader on a third machine sees it."""
    from storage.store import Store

    return Store(topology.store_url, topology.reader_dir)


def _crawl_runs(topology: Topology, source: str | None = None) -> list:
    with _store(topology) as store:
        return [r for r in store.recent_runs(100) if r.kind == "crawl" and source in (None, r.source)]


def _until(what: str, check: Callable[[], T], within_s: float, diagnose: Callable[[], str]) -> T:
    """Poll `check` until it returns something true; fail saying `what`
    did not happen within `within_s` seconds."""
    end = time.monotonic() + within_s
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            pytest.fail(f"waited {within_s:.0f} s for {what}\n{diagnose()}")
        time.sleep(0.2)
