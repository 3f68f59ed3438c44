"""A full disk stops the crawl with the reason, and every command says it in
one line. The disk is "full" for the command's process tree alone: a limit on
the size of the files it may write (RLIMIT_FSIZE), past which every write
fails with EFBIG, on the real code paths (the archive's os.write, SQLite's
own writes, the snapshot's files). Sites on 127.0.0.1."""

from __future__ import annotations

import base64
import errno
import os
import random
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from storage.errors import as_cannot_write, cannot_write
from storage.schema import documents
from storage.store import Store
from tests.sites import Response, Site
from tests.test_crawl import plain_article_html

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, data_dir: Path, max_file_bytes: int | None = None) -> subprocess.CompletedProcess:
    """A wirecrawl command; with `max_file_bytes`, no process of it may write
    a file past that size (the disk is full for it)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return subprocess.run([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PREFECT_API_URL": ""},
                          preexec_fn=limit if max_file_bytes else None)


def _heavy_article(i: int) -> str:
    """An article whose page carries 300 KB that does not compress (a script
    of random bytes): its archive record alone is over the limit below."""
    junk = base64.b64encode(random.Random(i).randbytes(225_000)).decode()
    return plain_article_html(i).replace("</body>", f"<script>var state = '{junk}';</script></body>")


def _long_article(i: int) -> str:
    """Article number i, 40 paragraphs of its own words: about 14 KB of text."""
    rng = random.Random(i)
    words = [w for w in (plain_article_html(0) + plain_article_html(1)).split() if w.isalpha()]
    paragraphs = "".join(f"<p>{' '.join(rng.choices(words, k=60))}.</p>" for _ in range(40))
    return f"<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>{paragraphs}</article></body></html>"


def _sources(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text("[defaults]\ndownload_delay = 0.0\nautothrottle = false\nconcurrency_per_host = 2\n"
                    f'[[source]]\nname = "wire"\nstart_urls = ["{url}"]\n', encoding="utf-8")
    return path


def _site_of(site: Site, pages: dict[str, str], delay: float = 0.1) -> list[str]:
    site.add("/robots.txt", "")
    site.add("/", "<html><body>" + "".join(f'<a href="{p}">{p}</a>' for p in pages) + "</body></html>")
    for path, html in pages.items():
        site.add(path, Response(200, html, delay=delay))  # a server of ordinary speed, not a sync
    return [site.url(p) for p in pages]


def test_a_crawl_that_cannot_write_its_archive_stops_fetching_fails_its_run_and_the_next_crawl_resumes(
        tmp_path, data_dir):
    pages = {f"/story/{i}.html": _heavy_article(i) for i in range(60)}
    with Site() as site:
        urls = _site_of(site, pages, delay=0.2)  # 6 s to fetch them all, two at a time
        sources = _sources(tmp_path, site.url("/"))
        full = _cli("crawl", "--sources", str(sources), data_dir=data_dir, max_file_bytes=200_000)
        asked_while_full = [r.path for r in site.requests if r.path.startswith("/story/")]
        again = _cli("crawl", "--sources", str(sources), data_dir=data_dir)
    assert full.returncode == 5, full.stderr
    [line] = full.stderr.strip().splitlines()  # one line, no traceback
    assert line.startswith(f"wirecrawl crawl: cannot write to {data_dir.resolve() / 'archive'}")
    assert "File too large" in line and "the crawl stopped" in line
    assert len(asked_while_full) < 30  # stopped fetching at the first write that failed, not after 60 pages
    with Store(None, data_dir) as store:
        first, second = sorted(store.recent_runs(), key=lambda r: r.id)
        with store.read() as conn:
            stored = dict(conn.execute(select(documents.c.url, func.count()).group_by(documents.c.url)).all())
    assert first.status == "failed" and "File too large" in first.stats["error"]
    assert again.returncode == 0, again.stderr
    assert second.status == "finished"
    assert {u: stored.get(u) for u in urls} == {u: 1 for u in urls}  # resumed: every page, none twice


def test_a_crawl_that_cannot_write_its_store_names_the_store(tmp_path, data_dir):
    pages = {f"/story/{i}.html": plain_article_html(i) for i in range(40)}
    with Site() as site:
        _site_of(site, pages, delay=0.05)
        Store(None, data_dir).close()  # the store's tables exist; what grows is the pages' rows
        full = _cli("crawl", "--sources", str(_sources(tmp_path, site.url("/"))), data_dir=data_dir,
                    max_file_bytes=130_000)
    assert full.returncode == 5, full.stderr
    [line] = full.stderr.strip().splitlines()
    assert line.startswith(f"wirecrawl crawl: cannot write to the store {data_dir.resolve() / 'wirecrawl.db'}: ")
    with Store(None, data_dir) as store:
        [run] = store.recent_runs()
    assert run.status == "failed"


def test_ingest_and_snapshot_on_a_full_disk_say_so_in_one_line(tmp_path, data_dir):
    with Site() as site:
        site.add("/robots.txt", "")
        heavy = site.add("/heavy.html", _heavy_article(1))
        ingest = _cli("ingest", "--allow-private", heavy, data_dir=data_dir, max_file_bytes=200_000)
        many = _cli("ingest", "--allow-private", *(site.add(f"/{i}.html", _long_article(i)) for i in range(30)),
                    data_dir=data_dir)
    assert many.returncode == 0, many.stderr
    Store(None, data_dir).close()  # the last to close copies the write-ahead log into the store's file
    snapshot = _cli("snapshot", "--out", str(tmp_path / "snapshots"), data_dir=data_dir, max_file_bytes=64_000)
    assert ingest.returncode == 5
    assert ingest.stderr.strip().splitlines() == [ingest.stderr.strip()]
    assert f" ingest: cannot write to {data_dir.resolve() / 'archive'}" in ingest.stderr
    assert "File too large" in ingest.stderr
    assert snapshot.returncode == 5, snapshot.stderr
    [line] = snapshot.stderr.strip().splitlines()
    assert f" snapshot: cannot write to the snapshot folder {tmp_path / 'snapshots'}: " in line
    assert "File too large" in line


@pytest.mark.parametrize("exc, reason", [
    (OSError(errno.ENOSPC, "No space left on device"), "[Errno 28] No space left on device"),
    (OSError(errno.EDQUOT, "Disk quota exceeded", "/d/archive/a.warc.gz"), "[Errno 122] Disk quota exceeded"),
    (OSError(errno.EROFS, "Read-only file system"), "[Errno 30] Read-only file system"),
    (sqlite3.OperationalError("database or disk is full"), "database or disk is full"),
    (OperationalError("INSERT …", {}, sqlite3.OperationalError("database or disk is full")),
     "database or disk is full"),
    (OSError(errno.ECONNREFUSED, "Connection refused"), None),
    (sqlite3.OperationalError("database is locked"), None),
    (ValueError("bad page"), None),
])
def test_writes_that_cannot_succeed_are_told_from_other_errors(exc, reason):
    assert cannot_write(exc) == reason
    try:
        raise RuntimeError("while storing a page") from exc
    except RuntimeError as wrapped:
        assert cannot_write(wrapped) == reason  # also as the cause of another error


def test_what_could_not_be_written_is_named():
    assert str(as_cannot_write(OSError(errno.ENOSPC, "No space left on device", "/d/archive/a.warc.gz"), "db")) \
        == "cannot write to /d/archive/a.warc.gz: [Errno 28] No space left on device"
    assert str(as_cannot_write(OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full")),
                               "/d/wirecrawl.db")) == "cannot write to the store /d/wirecrawl.db: database or disk is full"
    assert as_cannot_write(ValueError("x"), "db") is None



def test_runs_on_a_full_disk_still_shows_the_runs(data_dir, monkeypatch):
    # `runs` marks the runs whose process is gone as abandoned first: a write,
    # which a full disk refuses. The runs are still shown, and why not marked.
    from typer.testing import CliRunner

    from flows.app import app
    from flows.cli import _load_commands

    with Store(None, data_dir) as store:
        run_id = store.start_run("ingest")

    def disk_full(self):
        raise OperationalError("UPDATE runs …", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(Store, "mark_abandoned_runs", disk_full)
    _load_commands()
    shown = CliRunner().invoke(app, ["runs"], env={"WIRECRAWL_DATA_DIR": str(data_dir)}, catch_exceptions=False)

    assert shown.exit_code == 0, shown.output
    assert "wirecrawl runs: runs whose process is gone are not marked abandoned: cannot write to the store " \
           "(database or disk is full)" in shown.output
    assert any(line.split()[:3] == ["run", str(run_id), "ingest"] and "running" in line
               for line in shown.output.splitlines()), shown.output
