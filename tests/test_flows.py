"""The Prefect side: each flow runs and leaves its artifact, two triggers of one
source never crawl at once, `serve` registers the deployments with their
schedules, deploy/prefect.yaml matches the flows, and the command line's fast
path never imports Prefect. One Prefect test server for the whole session."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.sites import Response

REPO = Path(__file__).resolve().parents[1]

ARTICLE = """<html><head><title>{title}</title></head><body><article><h1>{title}</h1>
<p>{body}</p><p>The council met on Thursday evening to discuss the budget for the coming year, and
the members agreed that the museum and the swimming pool would stay open through the winter.</p>
<p>Residents who spoke at the meeting asked for more buses on the northern route, and the council
promised a report on the cost before the next session in the spring.</p></article></body></html>"""


def _sources(tmp_path: Path, site, *names_and_crons: tuple[str, str | None]) -> Path:
    """A sources file with quick, impolite-to-nobody settings for a local site."""
    lines = ["[defaults]", "download_delay = 0.0", "autothrottle = false", "obey_robots = false",
             "retry_times = 0", "robots_sitemaps = false", ""]
    for name, cron in names_and_crons:
        lines += ["[[source]]", f'name = "{name}"', f'start_urls = ["{site.url("/")}"]', "max_depth = 1"]
        lines += [f'schedule = "{cron}"'] if cron else []
        lines.append("")
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _news_site(site) -> None:
    site.add("/", '<html><body><a href="/a.html">a</a> <a href="/b.html">b</a></body></html>')
    site.add("/a.html", ARTICLE.format(title="Budget agreed", body="The town budget was agreed at last."))
    site.add("/b.html", ARTICLE.format(title="Bridge repairs", body="The old bridge will be repaired in May."))


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    """One Prefect test server for the session: PREFECT_HOME in a temp dir,
    analytics off. Yields its API URL."""
    home = tmp_path_factory.mktemp("prefect-home")
    saved = {k: os.environ.get(k) for k in ("PREFECT_HOME", "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_API_URL")}
    os.environ.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    os.environ.pop("PREFECT_API_URL", None)
    from prefect.settings import (PREFECT_API_URL, PREFECT_HOME, PREFECT_SERVER_ANALYTICS_ENABLED,
                                  temporary_settings)
    from prefect.testing.utilities import prefect_test_harness

    try:
        with temporary_settings({PREFECT_HOME: str(home), PREFECT_SERVER_ANALYTICS_ENABLED: False}):
            with prefect_test_harness(server_startup_timeout=90):
                yield PREFECT_API_URL.value()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def use_prefect(prefect_api, monkeypatch):
    """Make the command line's entry points see the test server as configured."""
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    return prefect_api


def _client():
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def _artifacts(flow_run_id) -> dict[str, object]:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with _client() as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a for a in found}


def _table(artifact) -> dict[str, object]:
    import json

    rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    return {row["count"]: row["value"] for row in rows}


def _rows(artifact) -> list[dict[str, object]]:
    import json

    return json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data


def _newest_run(flow_name: str):
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with _client() as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                                     sort=FlowRunSort.START_TIME_DESC, limit=1)
    return runs[0] if runs else None


def _run_logs(flow_run_id) -> list:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    with _client() as client:
        return client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))


# -- crawl-source -------------------------------------------------------------

@pytest.fixture
def worker_store(data_dir, monkeypatch):
    """The store of a worker: its environment names it (flows take no store
    from a run's parameters)."""
    monkeypatch.setenv("WIRECRAWL_DATA_DIR", str(data_dir))
    monkeypatch.delenv("WIRECRAWL_DATABASE_URL", raising=False)
    return data_dir


def test_crawl_source_flow_crawls_and_leaves_a_table_of_counts(prefect_api, site, worker_store, tmp_path):
    import flows.prefect_flows as wf

    _news_site(site)
    sources = _sources(tmp_path, site, ("town", None))
    state = wf.crawl_source_flow(source="town", sources=str(sources), return_state=True)
    assert state.is_completed(), state.message
    counts = state.result()
    assert counts["fetched"] >= 2 and "pages/s" in counts and "duration (s)" in counts
    assert sorted(p for p in site.paths_requested() if p.endswith(".html")) == ["/a.html", "/b.html"]

    table = _table(_artifacts(state.state_details.flow_run_id)["crawl-town"])
    assert table == counts
    for key in ("fetched", "stored", "copies", "unchanged", "rejected", "failed", "duration (s)", "pages/s"):
        assert key in table
    logs = _run_logs(state.state_details.flow_run_id)
    assert any("crawl of town done: fetched" in entry.message for entry in logs)
    assert min(entry.level for entry in logs) >= 20  # INFO and up: no per-item debug lines


def test_unknown_source_fails_at_once_with_the_reason(prefect_api, site, worker_store, tmp_path):
    import flows.prefect_flows as wf

    sources = _sources(tmp_path, site, ("town", None))
    started = time.monotonic()
    state = wf.crawl_source_flow(source="village", sources=str(sources), return_state=True)
    assert state.is_failed()
    assert "village" in state.message and "town" in state.message
    assert time.monotonic() - started < 30  # a configuration error is not retried (retries wait 60 s)


def test_two_triggers_of_one_source_never_crawl_at_once(prefect_api, site, worker_store, tmp_path, monkeypatch):
    """The first crawl is held on its start page until the second trigger has
    been refused a slot by the server; then both must have run one after the
    other (the store's run history has the times)."""
    import flows.prefect_flows as wf
    from prefect.client.orchestration import PrefectClient
    from storage.store import Store

    _news_site(site)
    release, progress = threading.Event(), threading.Condition()
    seen = {"start_page": 0, "refused": 0}

    def held_start_page(req):
        with progress:
            seen["start_page"] += 1
            progress.notify_all()
        release.wait(timeout=60)
        return Response(200, '<html><body><a href="/a.html">a</a></body></html>')

    site.add("/", held_start_page)
    real_increment = PrefectClient.increment_concurrency_slots_with_lease

    async def spy(self, *args, **kwargs):
        try:
            return await real_increment(self, *args, **kwargs)
        except Exception as exc:
            if getattr(getattr(exc, "response", None), "status_code", None) == 423:
                with progress:
                    seen["refused"] += 1
                    progress.notify_all()
            raise

    monkeypatch.setattr(PrefectClient, "increment_concurrency_slots_with_lease", spy)
    sources = _sources(tmp_path, site, ("harbour", None))
    states = []

    def trigger():
        states.append(wf.crawl_source_flow(source="harbour", sources=str(sources), return_state=True))

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for t in threads:
        t.start()
    with progress:  # one crawl is on its start page, the other was refused or got there too
        assert progress.wait_for(lambda: seen["start_page"] == 2 or (seen["start_page"] and seen["refused"]),
                                 timeout=120)
    release.set()
    for t in threads:
        t.join(timeout=180)
    assert [s.is_completed() for s in states] == [True, True], [s.message for s in states]

    with Store(None, worker_store) as store, store.read() as conn:
        from sqlalchemy import select

        from storage.schema import runs

        crawls = conn.execute(select(runs.c.started_at, runs.c.finished_at)
                              .where(runs.c.kind == "crawl", runs.c.source == "harbour")
                              .order_by(runs.c.started_at)).all()
    assert len(crawls) == 2
    assert crawls[0].finished_at <= crawls[1].started_at


# -- ingest-url ---------------------------------------------------------------

def test_ingest_urls_records_an_ingest_url_run_when_prefect_is_configured(use_prefect, site, data_dir):
    from flows.runs import ingest_urls
    from flows.settings import Settings

    _news_site(site)
    urls = [site.url("/a.html"), site.url("/missing.html")]
    results = ingest_urls(urls, Settings.resolve(data_dir), allow_private=True)
    assert [r.url for r in results] == urls
    assert results[1].outcome in ("rejected", "failed") and results[1].reason

    run = _newest_run("ingest-url")
    assert run is not None and run.state.is_completed()
    assert run.parameters == {"urls": urls}  # the store and --allow-private stay with this process
    assert {"wirecrawl", "cli"} <= set(run.tags)
    artifacts = _artifacts(run.id)
    assert [(r["url"], r["outcome"]) for r in _rows(artifacts["ingest-url"])] == [(r.url, r.outcome) for r in results]
    table = _table(artifacts["ingest-url-counts"])
    assert table["urls"] == 2
    assert sum(table[o] for o in ("stored", "copy", "unchanged", "rejected", "failed")) == 2
    assert any(line.message == results[1].line() for line in _run_logs(run.id))


def test_an_adhoc_run_whose_only_url_was_rejected_ends_failed_and_its_artifact_says_why(prefect_api, site,
                                                                                          data_dir, monkeypatch):
    """The `ingest-url/adhoc` deployment runs this flow: a loopback URL on a
    worker that does not allow private addresses is refused, and the run
    must not look green."""
    import flows.prefect_flows as wf

    monkeypatch.setenv("WIRECRAWL_DATA_DIR", str(data_dir))  # the worker's store
    monkeypatch.delenv("WIRECRAWL_ALLOW_PRIVATE", raising=False)
    _news_site(site)
    url = site.url("/a.html")
    state = wf.ingest_url_flow(url=url, return_state=True)
    assert state.is_failed()
    assert url in state.message and "rejected (private_address" in state.message
    [row] = _rows(_artifacts(state.state_details.flow_run_id)["ingest-url"])
    assert row["url"] == url and row["outcome"] == "rejected" and row["reason"].startswith("private_address: ")


def test_an_adhoc_run_lists_every_url_with_its_outcome_and_fails_only_when_none_was_ingested(prefect_api, site,
                                                                                               data_dir, monkeypatch):
    import flows.prefect_flows as wf

    monkeypatch.setenv("WIRECRAWL_DATA_DIR", str(data_dir))  # a worker on this store, allowed private addresses
    monkeypatch.setenv("WIRECRAWL_ALLOW_PRIVATE", "1")
    _news_site(site)
    good, missing, also_missing = site.url("/a.html"), site.url("/missing.html"), site.url("/gone.html")
    state = wf.ingest_url_flow(urls=[good, missing], return_state=True)
    assert state.is_completed(), state.message
    rows = _rows(_artifacts(state.state_details.flow_run_id)["ingest-url"])
    assert [(r["url"], r["outcome"]) for r in rows] == [(good, "stored"), (missing, "failed")]
    assert rows[1]["reason"].startswith("http_status: ") and rows[0]["cluster"] is not None

    state = wf.ingest_url_flow(urls=[missing, also_missing], return_state=True)
    assert state.is_failed()
    assert state.message == "none of the 2 URLs was ingested: 2 failed (http_status)"


def test_adhoc_ingest_refuses_private_addresses_unless_allowed(use_prefect, site, data_dir):
    from flows.runs import ingest_urls
    from flows.settings import Settings

    _news_site(site)
    [result] = ingest_urls([site.url("/a.html")], Settings.resolve(data_dir))
    assert result.outcome == "rejected" and result.reason
    assert "/a.html" not in site.paths_requested()


def test_a_run_of_ingest_url_cannot_switch_the_guard_off_nor_choose_the_store(use_prefect, site, data_dir,
                                                                               tmp_path, monkeypatch):
    """The deployment's parameters are its URLs: the store and the
    private-address switch are the worker's environment."""
    from prefect.exceptions import ParameterBindError

    from flows.prefect_flows import ingest_url_flow
    from storage.store import Store

    assert set(ingest_url_flow.parameters.properties) == {"url", "urls"}
    for forbidden in ({"allow_private": True}, {"data_dir": str(tmp_path / "elsewhere")},
                      {"database_url": "sqlite:////tmp/elsewhere.db"}):
        with pytest.raises((ParameterBindError, TypeError)):
            ingest_url_flow(url=site.url("/a.html"), **forbidden)

    _news_site(site)
    monkeypatch.setenv("WIRECRAWL_DATA_DIR", str(data_dir))  # the worker's store
    monkeypatch.delenv("WIRECRAWL_DATABASE_URL", raising=False)
    monkeypatch.delenv("WIRECRAWL_ALLOW_PRIVATE", raising=False)
    refused = ingest_url_flow(url=site.url("/a.html"), return_state=True)
    assert refused.is_failed() and "rejected (private_address" in refused.message
    assert site.requests == []

    monkeypatch.setenv("WIRECRAWL_ALLOW_PRIVATE", "1")  # a worker started so by its operator
    [stored] = ingest_url_flow(url=site.url("/a.html"))
    assert stored.outcome == "stored"
    with Store(None, data_dir) as store:
        assert store.find_document(site.url("/a.html")) is not None
    assert not (tmp_path / "elsewhere").exists()


def test_runs_of_the_crawl_and_snapshot_deployments_cannot_choose_the_store_or_where_files_go():
    """A run of crawl-source, crawl-sources or snapshot names sources, or
    what goes into a snapshot; the store and the snapshot folder are the
    worker's environment."""
    from prefect.exceptions import ParameterBindError

    from flows.prefect_flows import crawl_source_flow, crawl_sources_flow, snapshot_flow

    assert set(crawl_source_flow.parameters.properties) == {"source", "sources"}
    assert set(crawl_sources_flow.parameters.properties) == {"sources", "names"}
    assert set(snapshot_flow.parameters.properties) == {"canonical_only", "since"}
    for flow, wanted in ((crawl_source_flow, {"source": "wire"}), (crawl_sources_flow, {}), (snapshot_flow, {})):
        for forbidden in ({"data_dir": "/tmp/elsewhere"}, {"database_url": "sqlite:////tmp/elsewhere.db"},
                          {"allow_private": True}, {"out_dir": "/tmp/elsewhere"}):
            with pytest.raises((ParameterBindError, TypeError)):
                flow(**wanted, **forbidden)


def test_under_serve_a_crawl_run_cannot_name_another_sources_file(prefect_api, site, worker_store, tmp_path,
                                                                  monkeypatch):
    """A sources file is trusted (it may reach private addresses): under
    `serve`, a run that names another file fails at once, reading nothing,
    whoever triggered it."""
    import flows.prefect_flows as wf
    from crawler.crawl.sources import load_sources
    from flows.schedule import SERVED_ENV, served_plan

    _news_site(site)
    served = _sources(tmp_path, site, ("town", None))
    other = tmp_path / "other.toml"
    other.write_text(served.read_text(), encoding="utf-8")
    monkeypatch.setenv(SERVED_ENV, served_plan(str(served.resolve()), load_sources(served)))
    for run in (lambda: wf.crawl_sources_flow(sources=str(other), names=["town"], return_state=True),
                lambda: wf.crawl_source_flow(source="town", sources=str(other), return_state=True)):
        state = run()
        assert state.is_failed() and "crawl the sources file serve was started with" in state.message, state.message
    assert site.paths_requested() == []
    state = wf.crawl_source_flow(source="town", sources=str(served), return_state=True)  # its own file: crawled
    assert state.is_completed(), state.message


def test_artifact_keys_of_source_names_that_differ_only_in_punctuation_stay_apart():
    from flows.prefect_flows import _artifact_key

    keys = {_artifact_key(f"crawl-{name}") for name in ("news_a", "news.a", "news-a", "News-A")}
    assert len(keys) == 4 and all(re.fullmatch(r"[a-z0-9-]+", k) for k in keys)
    assert _artifact_key("crawl-alpha") == "crawl-alpha"  # a name Prefect takes as it is stays as it is


def test_a_schedule_added_while_serve_runs_is_named_as_not_registered():
    from crawler.crawl.sources import Source
    from flows.schedule import served_plan, unserved

    before = {"golf": Source(name="golf", start_urls=("http://golf.example/",), schedule="*/2 * * * *")}
    plan = json.loads(served_plan("/srv/sources.toml", before))
    now = {**before,
           "hotel": Source(name="hotel", start_urls=("http://hotel.example/",), schedule="1-59/2 * * * *"),
           "india": Source(name="india", start_urls=("http://india.example/",), schedule="*/2 * * * *")}
    assert unserved(before, plan) == []
    lines = unserved(now, plan)
    assert len(lines) == 2
    assert lines[0].startswith("hotel: schedule '1-59/2 * * * *' is not registered")
    assert lines[1].startswith("india: added since serve started")


def test_a_run_of_the_snapshot_flow_writes_into_the_workers_snapshot_folder(use_prefect, worker_store, tmp_path,
                                                                           monkeypatch):
    """The worker names the folder (WIRECRAWL_SNAPSHOT_DIR), as it names the
    store; without it, `snapshots` in the worker's working directory."""
    from flows.prefect_flows import snapshot_flow
    from storage.snapshot import list_versions

    monkeypatch.setenv("WIRECRAWL_SNAPSHOT_DIR", str(tmp_path / "worker-snapshots"))
    info = snapshot_flow()
    assert info.path.parent == tmp_path / "worker-snapshots"
    assert list_versions(tmp_path / "worker-snapshots") == [info.version]

    monkeypatch.delenv("WIRECRAWL_SNAPSHOT_DIR")
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path / "home")
    info = snapshot_flow(canonical_only=True)
    assert info.path.parent == tmp_path / "home" / "snapshots" and info.canonical_only


def test_ingest_with_allow_private_through_prefect_leaves_the_environment_as_it_was(use_prefect, site, data_dir,
                                                                                     monkeypatch):
    from flows.runs import ingest_urls
    from flows.settings import Settings

    monkeypatch.delenv("WIRECRAWL_ALLOW_PRIVATE", raising=False)
    monkeypatch.setenv("WIRECRAWL_DATA_DIR", "/nonexistent/elsewhere")
    _news_site(site)
    [result] = ingest_urls([site.url("/b.html")], Settings.resolve(data_dir), allow_private=True)
    assert result.outcome == "stored"
    assert "WIRECRAWL_ALLOW_PRIVATE" not in os.environ
    assert os.environ["WIRECRAWL_DATA_DIR"] == "/nonexistent/elsewhere"


def test_ingest_urls_skips_prefect_when_none_is_configured(prefect_api, site, data_dir, tmp_path, monkeypatch):
    from flows.runs import ingest_urls
    from flows.settings import Settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "no-profiles"))
    _news_site(site)
    before = _newest_run("ingest-url")
    [result] = ingest_urls([site.url("/b.html")], Settings.resolve(data_dir), allow_private=True)
    assert result.url == site.url("/b.html") and "/b.html" in site.paths_requested()
    after = _newest_run("ingest-url")
    assert (after and after.id) == (before and before.id)  # no flow run was made


def test_ingest_urls_runs_without_prefect_when_its_server_is_down(site, data_dir, monkeypatch, caplog):
    import socket

    from flows.runs import ingest_urls
    from flows.settings import Settings

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
    _news_site(site)
    [result] = ingest_urls([site.url("/a.html")], Settings.resolve(data_dir), allow_private=True)
    assert result.url == site.url("/a.html")
    assert "not answering" in caplog.text


def test_ingest_with_a_prefect_server_prints_each_line_once_and_records_its_run(prefect_api, site, data_dir):
    """`wirecrawl ingest` with a server configured: the command's own lines,
    once each, and nothing of Prefect's on the terminal; the run is on the
    server, with the same lines in its log and each URL in its artifact."""
    _news_site(site)
    urls = [site.url("/a.html"), site.url("/missing.html")]
    before = _newest_run("ingest-url")
    out = subprocess.run([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), "ingest",
                          "--allow-private", *urls], cwd=REPO, env={**os.environ, "PREFECT_API_URL": prefect_api},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr  # the missing page failed
    lines = out.stdout.splitlines()
    assert len(lines) == 2, out.stdout
    assert lines[0].startswith(f"{urls[0]}: stored (new cluster ") and lines[1].startswith(f"{urls[1]}: failed (")
    assert out.stderr == ""

    run = _newest_run("ingest-url")
    assert run.id != (before and before.id)
    assert run.state.is_completed() and run.parameters["urls"] == urls
    assert [(r["url"], r["outcome"]) for r in _rows(_artifacts(run.id)["ingest-url"])] == [
        (urls[0], "stored"), (urls[1], "failed")]
    logged = [entry.message for entry in _run_logs(run.id)]
    assert logged[:2] == lines and logged[2].startswith("ingest done: urls 2, stored 1")


def test_ingest_whose_every_url_was_rejected_records_a_failed_run_saying_why(prefect_api, site, data_dir):
    _news_site(site)
    url = site.url("/a.html")
    out = subprocess.run([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), "ingest", url],
                         cwd=REPO, env={**os.environ, "PREFECT_API_URL": prefect_api},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and out.stdout.startswith(f"{url}: rejected (private_address: ")
    run = _newest_run("ingest-url")
    assert run.parameters["urls"] == [url] and run.state.is_failed()
    assert run.state.message == f"the URL was not ingested: {out.stdout.strip()}"


def test_ingest_with_a_prefect_server_never_imports_prefect(prefect_api, site, data_dir):
    """Importing Prefect costs about 2 s: the command reports over HTTP."""
    _news_site(site)
    script = textwrap.dedent(f"""
        import sys
        from flows.cli import _load_commands
        from flows.runs import ingest_urls
        from flows.settings import Settings
        _load_commands()
        [r] = ingest_urls([{site.url('/b.html')!r}], Settings.resolve({str(data_dir)!r}), allow_private=True)
        print(r.outcome, "prefect" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env={**os.environ, "PREFECT_API_URL": prefect_api},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["stored", "False"]
    assert _newest_run("ingest-url").parameters["urls"] == [site.url("/b.html")]


def test_a_prefect_server_that_refuses_the_report_costs_a_warning_not_the_work(site, data_dir):
    from tests.sites import Site

    _news_site(site)
    with Site() as prefect:  # answers its health check, refuses every POST
        prefect.add("/api/health", "true")
        out = subprocess.run([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), "ingest",
                              "--allow-private", site.url("/a.html")], cwd=REPO,
                             env={**os.environ, "PREFECT_API_URL": prefect.url("/api")},
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{site.url('/a.html')}: stored (new cluster ")
    [warning] = out.stderr.splitlines()
    assert "did not take the ingest-url run's report" in warning and "the work itself is done" in warning


def test_the_command_line_fast_path_never_imports_prefect(site, data_dir, tmp_path):
    _news_site(site)
    script = textwrap.dedent(f"""
        import sys
        from flows.cli import _load_commands
        from flows.runs import ingest_urls
        from flows.settings import Settings
        _load_commands()
        [r] = ingest_urls([{site.url('/a.html')!r}], Settings.resolve({str(data_dir)!r}), allow_private=True)
        print(r.url, "prefect" in sys.modules)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [site.url("/a.html"), "False"]


# -- snapshot -----------------------------------------------------------------

def test_snapshot_flow_leaves_its_path_and_row_counts(use_prefect, data_dir, tmp_path, monkeypatch):
    from flows.runs import take_snapshot
    from flows.settings import Settings
    from storage.snapshot import list_versions

    out = tmp_path / "snapshots"
    monkeypatch.setenv("WIRECRAWL_DATA_DIR", "/nonexistent/elsewhere")
    monkeypatch.setenv("WIRECRAWL_SNAPSHOT_DIR", "/nonexistent/snapshots")
    info = take_snapshot(Settings.resolve(data_dir), out)
    # `--out` and the store were this run's, then the environment was put back
    assert os.environ["WIRECRAWL_DATA_DIR"] == "/nonexistent/elsewhere"
    assert os.environ["WIRECRAWL_SNAPSHOT_DIR"] == "/nonexistent/snapshots"
    assert list_versions(out) == [info.version] and info.path.parent == out
    run = _newest_run("snapshot")
    assert run.state.is_completed()
    assert set(run.parameters) <= {"canonical_only", "since"}  # no store and no folder among them
    artifacts = _artifacts(run.id)
    table = _table(artifacts["snapshot"])
    assert table["version"] == info.version and table["path"] == str(info.path)
    assert table["rows: all"] == info.rows["all"] and "rows: canonical" in table
    assert str(info.path) in artifacts["snapshot-path"].data


# -- serve and deploy/prefect.yaml ---------------------------------------------

def _serve(prefect_api, data_dir, sources, tmp_path, new_session: bool = False, **env):
    """`wirecrawl serve` in a subprocess (in a process group of its own
    with `new_session`, as at a terminal); returns it once every deployment
    is registered."""
    env = {**os.environ, "PREFECT_API_URL": prefect_api, **env}
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), "serve",
                             "--sources", str(sources), "--snapshots", str(tmp_path / "snaps")],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=new_session)
    banner = []
    for line in proc.stdout:  # `serve` prints its banner once every deployment is registered
        banner.append(line)
        if "prefect deployment run" in line:
            break
    assert proc.poll() is None, "".join(banner)
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep its pipe drained
    return proc


def _deployments() -> dict[str, object]:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags

    with _client() as client:
        found = client.read_deployments(deployment_filter=DeploymentFilter(
            tags=DeploymentFilterTags(all_=["wirecrawl"])))
        flows_by_id = {d.flow_id: client.read_flow(d.flow_id).name for d in found}
    return {f"{flows_by_id[d.flow_id]}/{d.name}": d for d in found}


def test_serve_registers_every_deployment_with_its_schedule(prefect_api, site, data_dir, tmp_path):
    sources = _sources(tmp_path, site, ("north", "*/30 * * * *"), ("east", "*/30 * * * *"), ("south", None),
                       ("west", "0 6 * * *"))
    proc = _serve(prefect_api, data_dir, sources, tmp_path)
    try:
        by_name = _deployments()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert {"crawl-sources/scheduled", "crawl-source/north", "crawl-source/south", "ingest-url/adhoc",
            "snapshot/daily"} <= set(by_name)
    crons = {name: [s.schedule.cron for s in d.schedules] for name, d in by_name.items()}
    # one deployment carries every distinct schedule: sources due together are one crawl
    assert sorted(crons["crawl-sources/scheduled"]) == ["*/30 * * * *", "0 6 * * *"]
    assert all(s.schedule.timezone == "UTC" for s in by_name["crawl-sources/scheduled"].schedules)
    assert crons["crawl-source/north"] == [] and crons["crawl-source/south"] == []  # by hand
    assert crons["ingest-url/adhoc"] == [] and crons["snapshot/daily"] == ["0 3 * * *"]
    assert by_name["crawl-sources/scheduled"].parameters == {"sources": str(sources.resolve())}
    assert by_name["crawl-sources/scheduled"].entrypoint == "flows.prefect_flows.crawl_sources_flow"
    north = by_name["crawl-source/north"]
    assert north.parameters == {"source": "north", "sources": str(sources.resolve())}
    assert north.entrypoint == "flows.prefect_flows.crawl_source_flow"
    assert by_name["snapshot/daily"].parameters == {}  # its folder is `--snapshots`, in its runs' environment


_HARBOUR_WORKS = ARTICLE.format(title="Harbour works", body="Work on the harbour wall goes on.")


def _one_page_site(site, page) -> None:
    """A site of one article behind its start page; `page` answers for the article."""
    site.add("/", '<html><body><a href="/s.html">s</a></body></html>')
    site.add("/s.html", page)


def _finished(data_dir, source: str) -> bool:
    """Whether the store records a finished crawl of `source`."""
    from storage.store import Store

    with Store(None, data_dir) as store:
        return any(r.source == source and r.status == "finished" for r in store.recent_runs())


def _two_sites_file(tmp_path: Path, sites: dict, crons: dict[str, str | None]) -> Path:
    lines = ["[defaults]", "download_delay = 0.0", "autothrottle = false", "obey_robots = false",
             "retry_times = 0", "robots_sitemaps = false", "discover = false", ""]
    for name, site in sites.items():
        lines += ["[[source]]", f'name = "{name}"', f'start_urls = ["{site.url("/")}"]', "max_depth = 1"]
        lines += [f'schedule = "{crons[name]}"'] if crons.get(name) else []
        lines.append("")
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_serve_batch_of_sources_due_together_is_one_crawl_reported_per_source(prefect_api, data_dir, tmp_path):
    """A run of crawl-sources/scheduled for a minute when two of three
    sources fall due: those two are crawled, in one crawl (one process),
    each with its own run record and its own task run and artifact; the
    third is not touched."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter
    from prefect.states import Scheduled
    from storage.store import Store
    from tests.sites import Site

    minute = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)  # "0 0 1 1 *" falls due; "0 12 * * *" does not
    with Site() as a, Site() as b, Site() as c:
        for site in (a, b, c):
            _news_site(site)
        sources = _two_sites_file(tmp_path, {"alpha": a, "beta": b, "gamma": c},
                                  {"alpha": "0 0 1 1 *", "beta": "0 0 1 1 *", "gamma": "0 12 * * *"})
        proc = _serve(prefect_api, data_dir, sources, tmp_path, PREFECT_RUNNER_POLL_FREQUENCY="1")
        try:
            deployment = _deployments()["crawl-sources/scheduled"]
            with _client() as client:
                run = client.create_flow_run_from_deployment(deployment.id, state=Scheduled(scheduled_time=minute))
            deadline = time.monotonic() + 240
            while True:  # poll the run's state, not the clock
                with _client() as client:
                    state = client.read_flow_run(run.id).state
                if state.is_final():
                    break
                assert time.monotonic() < deadline, f"the scheduled run did not end in 240 s ({state.name})"
                time.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        assert state.is_completed(), state.message
        assert "/a.html" in a.paths_requested() and "/b.html" in b.paths_requested()
        assert c.paths_requested() == []
    artifacts = _artifacts(run.id)
    assert {"crawl-alpha", "crawl-beta"} <= set(artifacts) and "crawl-gamma" not in artifacts
    for name in ("crawl-alpha", "crawl-beta"):  # the two sites serve the same stories: copies of each other
        table = _table(artifacts[name])
        assert table["fetched"] == 3 and table["stored"] + table["copies"] == 2, table
    with _client() as client:
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])),
                                      task_run_filter=TaskRunFilter())
    assert {"crawl-alpha", "crawl-beta"} <= {t.name for t in tasks}
    with Store(None, data_dir) as store:
        crawls = {r.source: r for r in store.recent_runs() if r.kind == "crawl"}
    assert set(crawls) == {"alpha", "beta"} and all(r.status == "finished" for r in crawls.values())
    # one crawl: one crawl process (the same log) started by one flow-run process
    assert crawls["alpha"].stats["log_file"] == crawls["beta"].stats["log_file"]
    assert crawls["alpha"].pid == crawls["beta"].pid


def test_a_source_still_running_is_left_out_of_a_batch_not_started_twice(prefect_api, worker_store, tmp_path):
    """While a source's crawl slot is held (its last crawl still running),
    a crawl of several sources that names it crawls the others and reports
    it as left out; its site is not asked for anything."""
    import flows.prefect_flows as wf
    from prefect.concurrency.sync import concurrency
    from tests.sites import Site

    with Site() as a, Site() as b:
        for site in (a, b):
            _news_site(site)
        sources = _two_sites_file(tmp_path, {"free": a, "held": b}, {})
        wf._ensure_limit("crawl-source-held")
        with concurrency("crawl-source-held", occupy=1, strict=True):
            state = wf.crawl_sources_flow(sources=str(sources), names=["free", "held"], return_state=True)
        assert state.is_completed(), state.message
        reports = state.result()
        assert reports["free"]["fetched"] == 3
        assert reports["held"]["crawled"] == "no" and "still running" in reports["held"]["why"]
        assert b.paths_requested() == []
    artifacts = _artifacts(state.state_details.flow_run_id)
    assert _table(artifacts["crawl-held"])["crawled"] == "no"


def test_a_source_done_early_in_a_batch_lets_go_of_its_slot_while_a_slow_one_still_crawls(
        prefect_api, worker_store, tmp_path):
    """Two sources crawled together, one of them slow: the quick one's slot
    is free as soon as its own crawl is done, so its next due minute is not
    lost to the slow one (it is not "still running")."""
    import threading

    import flows.prefect_flows as wf
    from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
    from prefect.concurrency.sync import concurrency
    from tests.sites import Response, Site

    gate, seen = threading.Event(), {}

    def slow_page(req):
        gate.wait(timeout=120)  # the slow site answers once the test has looked
        return Response(200, _HARBOUR_WORKS)

    def look_then_open_the_gate() -> None:
        try:
            deadline = time.monotonic() + 120
            while not _finished(worker_store, "quick"):
                assert time.monotonic() < deadline, "the quick source never finished"
                time.sleep(0.2)
            # The slow source cannot finish while the gate is shut: a slot that frees now was let
            # go by the quick source's own end (its run is recorded a moment before).
            deadline = time.monotonic() + 30
            while "quick slot" not in seen:
                try:
                    with concurrency("crawl-source-quick", occupy=1, strict=True, max_retries=0):
                        seen["quick slot"] = "free"
                except ConcurrencySlotAcquisitionError:
                    if time.monotonic() > deadline:
                        seen["quick slot"] = "held"
                    time.sleep(0.2)
        finally:
            gate.set()

    with Site() as quick, Site() as slow:
        _news_site(quick)
        _one_page_site(slow, slow_page)
        sources = _two_sites_file(tmp_path, {"quick": quick, "slow": slow}, {})
        looker = threading.Thread(target=look_then_open_the_gate)
        looker.start()
        state = wf.crawl_sources_flow(sources=str(sources), names=["quick", "slow"], return_state=True)
        looker.join()
    assert state.is_completed(), state.message
    assert seen == {"quick slot": "free"}
    assert state.result()["slow"]["fetched"] == 2


def test_a_batch_stopped_by_ctrl_c_reports_each_source_then_ends_as_stopped(prefect_api, worker_store, tmp_path):
    """Ctrl-C while two sources are crawled together, one of them done:
    each source still gets its task run and its table (the stopped one
    says interrupted), and the flow run ends Crashed, not Completed."""
    import signal

    import flows.prefect_flows as wf
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from tests.sites import Site

    gate = threading.Event()

    def slow_page(req):
        gate.wait(timeout=120)
        return Response(200, _HARBOUR_WORKS)

    def ctrl_c_once_early_is_done() -> None:
        try:
            deadline = time.monotonic() + 120
            while not (_finished(worker_store, "early") and "/s.html" in late.paths_requested()):
                assert time.monotonic() < deadline, "the early source never finished"
                time.sleep(0.1)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, as at the terminal
        finally:
            gate.set()

    with Site() as early, Site() as late:
        _news_site(early)
        _one_page_site(late, slow_page)
        sources = _two_sites_file(tmp_path, {"early": early, "late": late}, {})
        presser = threading.Thread(target=ctrl_c_once_early_is_done)
        presser.start()
        with pytest.raises(KeyboardInterrupt):
            wf.crawl_sources_flow(sources=str(sources), names=["early", "late"])
        presser.join()
    with _client() as client:
        [run] = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["crawl-2-sources"])),
                                      limit=1, sort="START_TIME_DESC")
    assert run.state.is_crashed(), run.state
    artifacts = _artifacts(run.id)
    assert _table(artifacts["crawl-early"])["fetched"] == 3
    assert _table(artifacts["crawl-late"])["status"] == "interrupted"


def _crawl_processes() -> list[int]:
    """The crawl processes this test process started: children of its fork
    server that have extraction processes of their own."""
    from tests.process_tree import children

    found = []
    for server in children(os.getpid()):
        try:
            if b"forkserver" not in Path(f"/proc/{server}/cmdline").read_bytes():
                continue
        except FileNotFoundError:
            continue
        found += [crawl for crawl in children(server) if children(crawl)]
    return found


def test_a_batch_retry_crawls_again_only_the_source_whose_crawl_failed_and_under_its_slot(
        prefect_api, worker_store, tmp_path, monkeypatch):
    """Two sources crawled together; the crawl process is killed after one
    of them finished. The task's retry crawls only the other, while the run
    still holds that one's slot (a second run of it would be refused); the
    finished source's slot is free and its site is not asked again. Each
    source is reported with its own counts."""
    import signal

    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs /proc/<pid>/task/<tid>/children (Linux) to find the crawl process")
    import flows.prefect_flows as wf
    from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
    from prefect.concurrency.sync import concurrency
    from storage.store import Store
    from tests.sites import Response, Site

    def slot_is_free(source: str) -> bool:
        try:
            with concurrency(f"crawl-source-{source}", occupy=1, strict=True, max_retries=0):
                return True
        except ConcurrencySlotAcquisitionError:
            return False

    gate, slots_seen, asked = threading.Event(), [], []

    def slow_page(req):
        asked.append(time.monotonic())
        if len(asked) == 1:
            gate.wait(timeout=120)  # the first attempt dies waiting for this answer
        else:
            slots_seen.append({"quick": slot_is_free("quick"), "slow": slot_is_free("slow")})
        return Response(200, _HARBOUR_WORKS)

    def kill_once_quick_is_done() -> None:
        try:
            deadline = time.monotonic() + 120
            while not (asked and _finished(worker_store, "quick")):
                assert time.monotonic() < deadline, "the quick source never finished"
                time.sleep(0.1)
            crawls = _crawl_processes()
            assert len(crawls) == 1, crawls
            os.kill(crawls[0], signal.SIGKILL)
        finally:
            gate.set()

    monkeypatch.setattr(wf, "crawl_together_task", wf.crawl_together_task.with_options(retry_delay_seconds=0))
    with Site() as quick, Site() as slow:
        _news_site(quick)
        _one_page_site(slow, slow_page)
        sources = _two_sites_file(tmp_path, {"quick": quick, "slow": slow}, {})
        killer = threading.Thread(target=kill_once_quick_is_done)
        killer.start()
        state = wf.crawl_sources_flow(sources=str(sources), names=["quick", "slow"], return_state=True)
        killer.join()
        quick_asked = quick.paths_requested()
    assert state.is_completed(), state.message
    assert slots_seen == [{"quick": True, "slow": False}]
    assert sorted(quick_asked) == ["/", "/a.html", "/b.html"]  # once each: not crawled again by the retry
    reports = state.result()
    assert reports["quick"]["fetched"] == 3 and reports["slow"]["fetched"] >= 1
    with Store(None, worker_store) as store:
        runs = sorted((r.source, r.status) for r in store.recent_runs() if r.kind == "crawl")
    assert runs == [("quick", "finished"), ("slow", "failed"), ("slow", "finished")]


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "sigint-to-serve-only"])
def test_stopping_serve_mid_crawl_ends_its_flow_run_and_records_the_crawl_as_interrupted(
        prefect_api, data_dir, tmp_path, how):
    """Ctrl-C at the terminal (SIGINT to the whole group), SIGTERM from a
    service manager, or SIGINT to `serve` alone (`kill -INT`, a container
    runtime) while a crawl run is on a page: `serve` exits, the crawl stops
    cleanly (its run in the store says interrupted), and the flow run is
    not left Running in the UI."""
    import signal

    from storage.store import Store
    from tests.sites import Site

    gate = threading.Event()

    def slow_page(req):
        gate.wait(timeout=120)
        return Response(200, _HARBOUR_WORKS)

    name = f"harbour-{how}"
    with Site() as site:
        _one_page_site(site, slow_page)
        sources = _two_sites_file(tmp_path, {name: site}, {})
        proc = _serve(prefect_api, data_dir, sources, tmp_path, new_session=True, PREFECT_RUNNER_POLL_FREQUENCY="1")
        try:
            with _client() as client:
                run = client.create_flow_run_from_deployment(_deployments()[f"crawl-source/{name}"].id)
            deadline = time.monotonic() + 120
            while "/s.html" not in site.paths_requested():
                assert proc.poll() is None and time.monotonic() < deadline, "the crawl never asked for the page"
                time.sleep(0.1)
            with _client() as client:
                assert client.read_flow_run(run.id).state.is_running()
            if how == "ctrl-c":
                os.killpg(proc.pid, signal.SIGINT)
            elif how == "sigterm":
                proc.terminate()
            else:
                proc.send_signal(signal.SIGINT)
            # The page in flight is answered once the stop has reached the crawl (its log says it
            # is closing): the crawl finishes that page, then stops. Answered before, the page
            # could end the crawl of its one-page site first.
            deadline = time.monotonic() + 60
            while not any("Closing spider (shutdown)" in log.read_text(encoding="utf-8", errors="replace")
                          for log in (data_dir / "logs").glob(f"crawl-{name}-*.log")):
                assert time.monotonic() < deadline, "the stop never reached the crawl"
                time.sleep(0.1)
            gate.set()
            assert proc.wait(timeout=90) == 0
        finally:
            gate.set()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    with _client() as client:
        state = client.read_flow_run(run.id).state
    assert state.is_final() and not state.is_completed(), (state.type, state.name, state.message)
    with Store(None, data_dir) as store:
        assert [r.status for r in store.recent_runs() if r.source == name] == ["interrupted"]


def test_a_flow_run_that_does_not_stop_when_serve_stops_is_killed_and_marked_crashed_saying_why(
        prefect_api, monkeypatch):
    """A flow-run process of `serve` that ignores SIGTERM: once the wait is
    over it is killed, and its run, still Running, is marked Crashed with
    the reason; a run that ended by itself is left as it said."""
    import signal

    from prefect import flow
    from prefect.states import Completed, Running

    import flows.serve as serve

    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs /proc/<pid>/task/<tid>/children (Linux) to find the flow-run processes")
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)

    @flow(name="stubborn")
    def stubborn() -> None:
        pass

    with _client() as client:
        stuck = client.create_flow_run(stubborn, state=Running())
        done = client.create_flow_run(stubborn, state=Completed())
    stubborn_code = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
                     "time.sleep(600)")
    procs = [subprocess.Popen([sys.executable, "-c", stubborn_code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PREFECT__FLOW_RUN_ID": str(run.id)}) for run in (stuck, done)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        ended = serve.end_flow_runs(signal.SIGTERM, wait_s=1.0)
        assert [proc.wait(timeout=30) for proc in procs] == [-signal.SIGKILL, -signal.SIGKILL]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert ended == {str(stuck.id): "killed", str(done.id): "killed"}
    with _client() as client:
        state = client.read_flow_run(stuck.id).state
        assert state.is_crashed() and state.message == serve.STOPPED_BY_SERVE
        assert client.read_flow_run(done.id).state.is_completed()


def test_a_batch_whose_every_attempt_fails_still_reports_the_sources_done(prefect_api, worker_store, tmp_path,
                                                                          monkeypatch):
    """The crawl process is killed in every attempt while one source is
    still on a page: the run fails, and the source that finished in the
    first attempt still has its task run and table."""
    import signal

    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs /proc/<pid>/task/<tid>/children (Linux) to find the crawl process")
    import flows.prefect_flows as wf
    from tests.sites import Site

    asked = []

    def never_answered(req):
        asked.append(req)
        while True:  # until the crawl process asking is killed (the server drops the answer)
            if stop.wait(0.1):
                break
        return Response(200, "gone")

    stop = threading.Event()

    def kill_each_attempt() -> None:
        killed = 0
        deadline = time.monotonic() + 180
        while killed < 3 and time.monotonic() < deadline:
            if len(asked) > killed and _finished(worker_store, "quick") and (crawls := _crawl_processes()):
                os.kill(crawls[0], signal.SIGKILL)
                killed += 1
            time.sleep(0.1)

    monkeypatch.setattr(wf, "crawl_together_task", wf.crawl_together_task.with_options(retry_delay_seconds=0))
    with Site() as quick, Site() as stuck:
        _news_site(quick)
        _one_page_site(stuck, never_answered)
        sources = _two_sites_file(tmp_path, {"quick": quick, "stuck": stuck}, {})
        killer = threading.Thread(target=kill_each_attempt)
        killer.start()
        try:
            state = wf.crawl_sources_flow(sources=str(sources), names=["quick", "stuck"], return_state=True)
        finally:
            killer.join()
            stop.set()
    assert state.is_failed(), state
    assert len(asked) == 3  # the stuck page, once an attempt
    artifacts = _artifacts(state.state_details.flow_run_id)
    assert _table(artifacts["crawl-quick"])["fetched"] == 3 and "crawl-stuck" not in artifacts


def test_serve_refuses_a_temporary_prefect_server_and_says_how_to_start_one(site, tmp_path):
    sources = _sources(tmp_path, site, ("north", "*/30 * * * *"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    out = subprocess.run([sys.executable, "-m", "flows.cli", "serve", "--sources", str(sources)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "no Prefect server is configured" in out.stderr
    assert "wirecrawl server" in out.stderr and "prefect server start" in out.stderr


def test_deploy_prefect_yaml_declares_the_same_deployments():
    import yaml
    from prefect.utilities.importtools import import_object

    config = yaml.safe_load((REPO / "deploy" / "prefect.yaml").read_text(encoding="utf-8"))
    declared = {}
    for d in config["deployments"]:
        flow = import_object(d["entrypoint"])
        declared[f"{flow.name}/{d['name']}"] = d
        assert set(d.get("parameters") or {}) <= set(flow.parameters.properties), d["name"]
        assert d["work_pool"]["name"] == "wirecrawl"
    assert {"crawl-sources/scheduled", "ingest-url/adhoc", "snapshot/daily"} <= set(declared)
    crawls = [d for name, d in declared.items() if name.startswith("crawl-source/")]
    assert crawls and all(d["parameters"]["source"] == d["name"] and not d.get("schedules") for d in crawls)
    assert [s["cron"] for s in declared["snapshot/daily"]["schedules"]] == ["0 3 * * *"]
    # the batch deployment carries the schedules of the example sources file
    from crawler.crawl.sources import load_sources
    from flows.schedule import distinct_schedules

    scheduled = declared["crawl-sources/scheduled"]
    assert [s["cron"] for s in scheduled["schedules"]] == distinct_schedules(load_sources(
        REPO / "sources.example.toml"))


def test_serve_exits_within_its_grace_after_sigterm_even_when_the_runner_hangs_stopping(tmp_path):
    """A runner whose stop never returns (Prefect's teardown stuck) still
    lets `serve` exit once its grace after SIGTERM has passed."""
    script = tmp_path / "stuck.py"
    script.write_text(
        "import logging, signal, sys, time\n"
        "import flows.serve as serve\n"
        "from prefect.runner import Runner\n"
        "serve.SHUTDOWN_GRACE_S = 1.0\n"
        "serve._stop_flow_runs_first()\n"
        "Runner.stop = lambda self: time.sleep(600)  # a teardown that never ends\n"
        "runner = Runner.__new__(Runner)\n"
        "runner._logger = logging.getLogger('runner')\n"
        "signal.signal(signal.SIGTERM, lambda *a: runner.handle_sigterm())  # as Runner.start installs it\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, str(script)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        started = time.monotonic()
        proc.terminate()
        assert proc.wait(timeout=60) == 0
        assert time.monotonic() - started < 30
    finally:
        proc.kill()
