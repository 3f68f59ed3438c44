"""The command line as a user meets it: one line for every bad argument, the
global options anywhere, --version, help without type placeholders, read
commands that never create a store, honest cluster counts, `show` by any
spelling of a URL, `runs`, and --json for scripts."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.app import app, hoist_global_options
from flows.cli import _load_commands
from storage.records import Document
from storage.store import Store

_load_commands()
REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def wirecrawl(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env={"PREFECT_API_URL": "", **(env or {})})


def _add(store: Store, url: str, text: str, cluster: int | None = None, **fields) -> Document:
    with store.write() as conn:
        cid = cluster if cluster is not None else store.new_cluster(conn)
        doc = Document(url=url, url_key=url, text=text, text_hash=hashlib.sha256(text.encode()).hexdigest(),
                       fetched_at=T0, cluster_id=cid, **fields)
        store.insert_document(conn, doc)
        if cluster is None:
            store.set_cluster_decision(conn, cid, doc.id, {doc.id: None})
    return doc


def _clusters_of_two(store: Store, n: int) -> None:
    """n clusters, each a story and one copy of it."""
    for i in range(n):
        story = _add(store, f"http://a.example/{i}", f"Story {i}.", title=f"Story {i}")
        copy = _add(store, f"http://b.example/{i}", f"Story {i}. Via A.", cluster=story.cluster_id)
        with store.write() as conn:
            store.set_cluster_decision(conn, story.cluster_id, story.id, {story.id: None, copy.id: 0.9})


# -- the global options, --version, help ------------------------------------------------

def test_version_names_the_installed_release():
    from importlib.metadata import version

    result = wirecrawl("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"wirecrawl {version('wirecrawl')}"


def test_global_options_work_before_and_after_the_command(data_dir, tmp_path):
    with Store(None, data_dir) as store:
        _clusters_of_two(store, 2)
    before = wirecrawl("--data-dir", str(data_dir), "clusters")
    after = wirecrawl("clusters", "--data-dir", str(data_dir))
    equals = wirecrawl("clusters", f"--data-dir={data_dir}", "--limit", "1")
    assert before.exit_code == after.exit_code == equals.exit_code == 0, after.output
    assert before.output == after.output and "2 cluster(s) with copies" in after.output
    assert "the biggest 1 shown" in equals.output
    # given twice, the last one wins, as for any option
    other = tmp_path / "other"
    assert "no store at" in wirecrawl("--data-dir", str(data_dir), "clusters", "--data-dir", str(other)).output
    # a value after `--` is an argument, not an option
    assert hoist_global_options(["show", "--", "--data-dir"]) == ["show", "--", "--data-dir"]


def _every_command() -> list[list[str]]:
    from typer.main import get_command

    def walk(group, path):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from walk(command, path + [name])
            else:
                yield path + [name]

    return [[]] + [p for p in walk(get_command(app), [])] + [["sources"]]


def test_help_of_every_command_names_values_without_type_placeholders():
    commands = _every_command()
    assert ["sources", "check"] in commands and ["runs"] in commands
    for command in commands:
        result = wirecrawl(*command, "--help", env={"COLUMNS": "80"})
        assert result.exit_code == 0, (command, result.output)
        placeholders = re.findall(r"<[a-z]+(?:\[[a-z]+\])?>|\{[A-Z]+\}", result.output)
        assert not placeholders, (command, placeholders, result.output)
        assert max(len(line) for line in result.output.splitlines()) <= 80, command
    assert "--data-dir DIR" in wirecrawl("--help").output
    assert "--sources FILE" in wirecrawl("crawl", "--help").output


# -- one line for every bad argument ------------------------------------------------------

def _bad_arguments(tmp_path: Path, store_dir: Path) -> list[tuple[list[str], str]]:
    """(arguments, what the one line must say) for each command."""
    a_file = tmp_path / "hostname"
    a_file.write_text("box\n")
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "one"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    bad_sources = tmp_path / "bad.toml"
    bad_sources.write_text('[[source]]\nname = "bad"\nstart_urls = ["http://127.0.0.1:9/"]\nmax_pages = "many"\n')
    missing = str(tmp_path / "missing")
    d = ["--data-dir", str(store_dir)]
    return [
        (["bogus"], "no such command 'bogus'"),
        (["--bogus"], "no such option: --bogus"),
        (["--data-dir"], "'--data-dir' requires an argument"),
        (["--data-dir", str(a_file), "ingest", "http://example.org/a.html"], "is a file, not a folder"),
        (["--database-url", "nonsense://", "clusters"], "cannot open the store"),
        (["--database-url", "postgresql+psycopg://u:secret@127.0.0.1:9/x", "clusters"], "cannot open the store"),
        (["ingest"], "nothing to ingest"),
        (["ingest", "--url", "http://example.org/a.html"], "--url names where an --html page"),
        (["ingest", "--html", missing], "no such file or folder"),
        (["ingest", "--html", str(tmp_path), "http://example.org/a.html"], "not both"),
        (["ingest", "--html", str(tmp_path)], "no .html, .htm, .xhtml files"),
        (["clusters", *d, "--limit", "0"], "invalid value for '--limit'"),
        (["clusters", *d, "--limit", "many"], "invalid value for '--limit'"),
        (["show", *d], "missing argument 'URL'"),
        (["show", *d, "ftp://example.org/a"], "not an absolute http(s) URL"),
        (["crawl"], "missing option '--sources'"),
        (["crawl", "--sources", missing], "cannot read the file"),
        (["crawl", "--sources", str(bad_sources)], "max_pages"),
        (["crawl", "--sources", str(sources), "--source", "two"], "no source named 'two'"),
        (["snapshot", *d], "missing option '--out'"),
        (["snapshot", *d, "--out", str(a_file)], "is a file, not a folder"),
        (["snapshot", *d, "--out", str(tmp_path / "snaps"), "--since", "yesterday"], "no snapshot 'yesterday'"),
        (["snapshot", *d, "--out", str(tmp_path / "snaps"), "--since", "latest-incremental"],
         "no incremental snapshot"),
        (["serve", "--sources", str(sources), "--snapshot-cron", "3am daily"], "--snapshot-cron '3am daily'"),
        (["serve", "--sources", missing], "cannot read the file"),
        (["serve", "--sources", str(sources), "--snapshots", str(a_file)], "is a file, not a folder"),
        (["serve", "--sources", str(sources), "--snapshots", str(a_file / "sub")],
         f"cannot be made a folder: {a_file} is a file"),
        (["--data-dir", str(a_file / "sub"), "serve", "--sources", str(sources)], "cannot create the data directory"),
        (["server", "--port", "99999"], "invalid value for '--port'"),
        (["demo", "--port", "0"], "invalid value for '--port'"),
        (["runs", *d, "--limit", "-1"], "invalid value for '--limit'"),
        (["sources", "check"], "missing argument 'FILE'"),
        (["sources", "check", missing], "cannot read the file"),
        (["sources", "check", str(bad_sources)], "max_pages"),
        (["sources", "check", str(sources), "--source", "one"], "give --probe with it"),
        (["sources", "check", str(sources), "--probe", "--source", "two"], "no source named 'two'"),
        (["extract"], "missing argument 'PATH_OR_URL...'"),
        (["extract", missing], "no such file or folder"),
        (["extract", str(a_file), str(a_file), "--url", "http://example.org/a.html"], "exactly one file"),
    ]


def test_every_bad_argument_of_every_command_is_one_line_without_traceback(data_dir, tmp_path):
    with Store(None, data_dir) as store:
        _clusters_of_two(store, 1)
    for args, says in _bad_arguments(tmp_path, data_dir):
        result = wirecrawl(*args)
        assert result.exit_code == 2, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert "Traceback" not in result.output, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and result.stdout == "", (args, result.output)
        assert lines[0].startswith("wirecrawl"), (args, lines)
        assert says in lines[0], (args, lines[0])
    # the first command of the issue and the serve check, through the installed script
    hostname = tmp_path / "hostname"
    for args in (["snapshot", "--out", str(hostname)],
                 ["serve", "--sources", str(tmp_path / "sources.toml"), "--snapshot-cron", "3am daily"]):
        out = subprocess.run([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), *args], cwd=REPO,
                             capture_output=True, text=True, timeout=120,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PREFECT_HOME": str(tmp_path)})
        assert out.returncode == 2 and out.stdout == "", out
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_serve_checks_its_cron_before_asking_for_a_prefect_server(tmp_path, monkeypatch):
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "one"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = wirecrawl("serve", "--sources", str(sources), "--snapshot-cron", "3am daily")
    # no Prefect server is configured: had it been asked first, it would say so instead
    assert "cron expression" in result.stderr and "Prefect server" not in result.stderr


def test_serve_takes_its_snapshot_folder_from_the_environment_when_not_given(tmp_path):
    """WIRECRAWL_SNAPSHOT_DIR names the folder as --snapshots does (the folder a
    worker's snapshot runs write into): a file there is refused the same way,
    before any Prefect server is asked, and --snapshots still wins over it."""
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "one"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder\n")
    result = wirecrawl("serve", "--sources", str(sources), env={"WIRECRAWL_SNAPSHOT_DIR": str(a_file)})
    assert result.exit_code == 2
    assert f"--snapshots {a_file} is a file, not a folder" in result.stderr
    # given on the command line, the option wins: the check then passes and
    # the next step (the Prefect server, none here) is what stops it
    result = wirecrawl("serve", "--sources", str(sources), "--snapshots", str(tmp_path / "snaps"),
                       env={"WIRECRAWL_SNAPSHOT_DIR": str(a_file)})
    assert result.exit_code == 2 and "no Prefect server is configured" in result.stderr


# -- read-only commands on a missing store -------------------------------------------------

@pytest.mark.parametrize("command", [["clusters"], ["show", "http://a.example/0"], ["runs"], ["reindex"],
                                     ["snapshot", "--out", "snaps"]])
def test_read_only_commands_on_a_missing_store_say_so_and_create_nothing(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = wirecrawl(*command)  # the default data directory, ./data
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"wirecrawl {command[0]}: no store at {tmp_path / 'data' / 'wirecrawl.db'}: "
                                     "nothing was crawled or ingested there yet (choose another with "
                                     "--data-dir or --database-url)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_an_empty_postgresql_database_is_no_store_and_stays_empty(postgres_url, data_dir):
    from sqlalchemy import create_engine, inspect

    result = wirecrawl("--data-dir", str(data_dir), "--database-url", postgres_url, "clusters")
    assert result.exit_code == 2
    assert "no store at postgresql+psycopg://postgres@127.0.0.1:5432/" in result.stderr
    engine = create_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    Store(postgres_url, data_dir).close()  # once created, it is a store
    assert wirecrawl("--data-dir", str(data_dir), "--database-url", postgres_url, "clusters").exit_code == 0


# -- clusters, show, runs and their --json ----------------------------------------------

def test_clusters_says_how_many_there_are_and_how_many_are_shown(data_dir):
    with Store(None, data_dir) as store:
        _clusters_of_two(store, 15)
    result = wirecrawl("--data-dir", str(data_dir), "clusters", "--limit", "3")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "15 cluster(s) with copies, the biggest 3 shown (--limit)"
    assert result.output.count("canonical    ") == 3
    assert wirecrawl("--data-dir", str(data_dir), "clusters").output.splitlines()[0] == \
        "15 cluster(s) with copies, all 15 shown"

    as_json = wirecrawl("--data-dir", str(data_dir), "clusters", "--limit", "3", "--json")
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert len(lines) == 3 and as_json.stderr.strip() == "3 of 15 clusters with copies shown (--limit 3)"
    assert lines[0]["size"] == 2 and lines[0]["canonical"]["url"] == "http://a.example/0"
    assert lines[0]["copies"] == [{"id": lines[0]["canonical"]["id"] + 1, "url": "http://b.example/0",
                                   "similarity": 0.9}]


def test_show_finds_a_document_by_any_spelling_the_crawler_would_canonicalise(data_dir):
    with Store(None, data_dir) as store:
        story = _add(store, "http://a.example/story.html", "The harbour reopened on Monday.", title="Harbour")
        _add(store, "http://b.example/copy.html", "The harbour reopened on Monday. Via A.", cluster=story.cluster_id)
        with store.write() as conn:
            store.set_cluster_decision(conn, story.cluster_id, story.id, {story.id: None, story.id + 1: 0.95})
    d = ["--data-dir", str(data_dir)]
    for spelling in ("http://a.example/story.html", "HTTP://A.EXAMPLE:80/story.html#top",
                     "http://a.example/story.html?utm_source=feed&utm_medium=rss"):
        result = wirecrawl("show", spelling, *d)
        assert result.exit_code == 0, (spelling, result.output)
        assert "The harbour reopened on Monday." in result.output
    missing = wirecrawl("show", "http://a.example/other.html", *d)
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "wirecrawl show: no document stored for http://a.example/other.html"

    doc = json.loads(wirecrawl("show", "http://a.example/story.html?utm_campaign=x", "--json", *d).stdout)
    assert (doc["id"], doc["title"], doc["text"]) == (story.id, "Harbour", "The harbour reopened on Monday.")
    assert doc["fetched_at"] == "2026-11-01T12:00:00.000000Z"
    assert [(m["url"], m["is_canonical"], m["similarity"]) for m in doc["cluster"]] == [
        ("http://a.example/story.html", True, None), ("http://b.example/copy.html", False, 0.95)]


def test_runs_lists_the_last_runs_with_duration_status_and_counts(data_dir):
    with Store(None, data_dir) as store:
        crawl = store.start_run("crawl", "wire")
        store.finish_run(crawl, {"source": "wire", "fetched": 9, "stored": 7, "copies": 2, "unchanged": 0,
                                 "not_modified": 1, "skipped_recent": 27, "rejected": {"no_article": 1},
                                 "failed": {}, "duration_s": 1.5})
        ingest = store.start_run("ingest")  # counts as an earlier release wrote them: "error" for failed
        store.finish_run(ingest, {"urls": 2, "stored": 1, "copy": 0, "unchanged": 0, "rejected": 1, "error": 0,
                                  "rejected: not_html": 1})
        failed = store.start_run("crawl", "blog")
        store.finish_run(failed, {"error": "CrawlFailed: the crawl process died"}, status="failed")
        store.start_run("crawl", "late")  # still running
    d = ["--data-dir", str(data_dir)]
    result = wirecrawl("runs", *d, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.fullmatch(r"run 4    crawl  late +\d{4}-\d\d-\d\d \d\d:\d\d UTC  no end  running", lines[0])
    wire = next(line for line in lines if line.startswith("run 1 "))
    assert re.fullmatch(r"run 1    crawl  wire +\d{4}-\d\d-\d\d \d\d:\d\d UTC  took \d+\.\d s  finished", wire)
    assert all(line.startswith(("run ", "    ")) for line in lines), lines  # the counts indented under their run
    text = " ".join(result.output.split())
    # `unchanged` counted as the crawl's live table and summary count it
    assert ("fetched 9, stored 7, copies 2, unchanged 28 (fetched recently 27, not modified (304) 1), "
            "rejected 1 (no_article 1), failed 0") in text
    assert "urls 2, stored 1, copies 0, unchanged 0, rejected 1 (not_html 1), failed 0" in text
    assert "error: CrawlFailed: the crawl process died" in text
    assert max(len(line) for line in lines) <= 80
    rows = [json.loads(line) for line in wirecrawl("runs", *d, "--json").stdout.splitlines()]
    assert [(r["kind"], r["source"], r["status"]) for r in rows] == [
        ("crawl", "late", "running"), ("crawl", "blog", "failed"), ("ingest", None, "finished"),
        ("crawl", "wire", "finished")]
    assert rows[0]["duration_s"] is None and rows[0]["finished_at"] is None
    assert rows[3]["duration_s"] >= 0 and rows[3]["stats"]["rejected"] == {"no_article": 1}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", rows[3]["started_at"])
    assert len(wirecrawl("runs", *d, "--limit", "2", "--json").stdout.splitlines()) == 2


def test_runs_of_an_empty_store_says_there_are_none(data_dir):
    Store(None, data_dir).close()
    result = wirecrawl("runs", "--data-dir", str(data_dir))
    assert result.exit_code == 0 and result.output.strip() == "No runs yet."


def test_snapshot_of_an_empty_store_says_so(data_dir, tmp_path):
    Store(None, data_dir).close()
    result = wirecrawl("--data-dir", str(data_dir), "snapshot", "--out", str(tmp_path / "snaps"))
    assert result.exit_code == 0, result.output
    assert "is empty: the store" in result.output and "holds no documents" in result.output
    manifest = json.loads((tmp_path / "snaps" / "latest" / "manifest.json").read_text())
    assert manifest["empty"] is True


def test_snapshot_command_names_the_pointer_it_moved(data_dir, tmp_path):
    with Store(None, data_dir) as store:
        _clusters_of_two(store, 1)
        _add(store, "http://c.example/x", "Undated.", published="last Tuesday")
    d = ["--data-dir", str(data_dir)]
    out = str(tmp_path / "snaps")
    full = wirecrawl(*d, "snapshot", "--out", out)
    assert "latest -> " in full.output and "3 rows" in full.output
    assert "1 publication date(s) are not ISO 8601" in full.output and "'last Tuesday'" in full.output
    incremental = wirecrawl(*d, "snapshot", "--out", out, "--since", "latest")
    assert "is empty: nothing changed since" in incremental.output
    assert "latest-incremental -> " in incremental.output
