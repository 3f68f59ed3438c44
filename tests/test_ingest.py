"""One page in, one clean deduplicated document out: the ingest path end to end,
through the `wirecrawl` command line and through two processes at once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.app import app
from flows.cli import _load_commands
from storage.store import Store
from tests.sampleweb.articles import ARTICLES
from tests.sampleweb.templates import render_article_page
from tests.sites import Response

_load_commands()
REPO = Path(__file__).resolve().parents[1]
ENGLISH = [a for a in ARTICLES if a.lang == "en"]


def page_html(article, *, template="minimal", site="Test Daily", url="http://test.example/a",
              title=None, paragraphs=None, attribution=None) -> str:
    return render_article_page(
        template, title=title or article.title, paragraphs=list(paragraphs or article.paragraphs),
        site_name=site, url=url, author=article.author, published=article.published,
        lang=article.lang, attribution=attribution)


def wirecrawl(data_dir: Path, *args: str, database_url: str | None = None):
    env = {"WIRECRAWL_DATA_DIR": str(data_dir)}
    if database_url:
        env["WIRECRAWL_DATABASE_URL"] = database_url
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_ingest_prints_stored_copy_unchanged_and_rejected(site, data_dir, database_url):
    original, other = ENGLISH[0], ENGLISH[1]
    a = site.add("/news/original.html", page_html(original, template="newspaper"))
    copy_paras = list(original.paragraphs[:-2])
    b = site.add("/wire/copy.html", page_html(original, template="blogger", site="Other Site",
                                              title="A new headline for the same story",
                                              paragraphs=copy_paras, attribution="Via Test Daily"))
    c = site.add("/news/other.html", page_html(other))
    d = site.add("/feed.json", Response(200, b'{"not": "html"}', content_type="application/json"))

    r = wirecrawl(data_dir, "ingest", "--allow-private", a, b, c, d, database_url=database_url)
    lines = r.output.strip().splitlines()
    assert r.exit_code == 1  # one URL was rejected
    assert lines[0].startswith(f"{a}: stored (new cluster")
    assert lines[1].startswith(f"{b}: stored as a copy of {a} (")
    assert lines[2].startswith(f"{c}: stored (new cluster")
    assert lines[3].startswith(f"{d}: rejected (not_html")

    again = wirecrawl(data_dir, "ingest", "--allow-private", a, b, database_url=database_url)
    assert again.exit_code == 0
    assert again.output.strip().splitlines() == [f"{a}: unchanged", f"{b}: unchanged"]

    with Store(database_url, data_dir) as store:
        assert store.count_documents() == 3  # re-ingest stored nothing new
        [(cid, size, canonical)] = store.clusters()
        assert size == 2 and canonical.url == a
        rejected = store.last_fetch(d)
        assert rejected.outcome == "rejected" and "not_html" in rejected.reason

    shown = wirecrawl(data_dir, "clusters", database_url=database_url)
    assert a in shown.output and b in shown.output
    detail = wirecrawl(data_dir, "show", b, database_url=database_url)
    assert "A new headline for the same story" in detail.output
    assert original.paragraphs[0][:40] in detail.output.replace("\n", " ") or detail.exit_code == 0


def test_private_addresses_are_refused_without_allow_private(site, data_dir):
    url = site.add("/a.html", page_html(ENGLISH[0]))
    r = wirecrawl(data_dir, "ingest", url)
    assert r.exit_code == 1
    assert "private_address" in r.output
    assert site.paths_requested() == []


def test_same_page_under_a_tracking_url_is_the_same_document(site, data_dir):
    url = site.add("/story.html", page_html(ENGLISH[2]))
    wirecrawl(data_dir, "ingest", "--allow-private", url)
    r = wirecrawl(data_dir, "ingest", "--allow-private", url + "?utm_source=feed&utm_medium=rss#top")
    assert r.output.strip() == f"{url}: unchanged"


def test_a_shortlink_and_the_page_it_leads_to_are_one_document(site, data_dir):
    url = site.add("/2026/12/story.html", page_html(ENGLISH[2]))
    short = site.add("/s/x7", Response(301, "", headers={"Location": "/2026/12/story.html?utm_source=social"}))
    first = wirecrawl(data_dir, "ingest", "--allow-private", short)
    assert first.output.startswith(f"{short}: stored (new cluster"), first.output
    r = wirecrawl(data_dir, "ingest", "--allow-private", url)
    assert r.output.strip() == f"{url}: unchanged"  # not a copy of the shortlink's document
    with Store(None, data_dir) as store:
        assert store.count_documents() == 1


def test_changed_content_becomes_a_new_version_and_keeps_the_old(site, data_dir):
    art = ENGLISH[3]
    site.add("/v.html", page_html(art))
    url = site.url("/v.html")
    wirecrawl(data_dir, "ingest", "--allow-private", url)
    revised = list(art.paragraphs) + ["Update: officials confirmed the figures on Tuesday evening, "
                                      "adding that a full report would follow within a month."]
    site.add("/v.html", page_html(art, paragraphs=revised))
    r = wirecrawl(data_dir, "ingest", "--allow-private", url)
    assert "version 2" in r.output
    with Store(None, data_dir) as store:
        assert store.count_documents() == 2 and store.count_documents(latest_only=True) == 1
        latest = store.find_document(url)
        assert latest.version == 2 and "Update: officials confirmed" in latest.text
        # the new version joins the old one's cluster: it is the same article
        assert store.get_document(latest.id - 1).cluster_id == latest.cluster_id


def test_ingest_a_saved_html_file(tmp_path, data_dir):
    saved = tmp_path / "saved.html"
    saved.write_text(page_html(ENGLISH[4]), encoding="utf-8")
    r = wirecrawl(data_dir, "ingest", "--html", str(saved), "--url", "https://example.org/2016/12/a.html")
    assert r.exit_code == 0 and "stored (new cluster" in r.output
    with Store(None, data_dir) as store:
        doc = store.find_document("https://example.org/2016/12/a.html")
        assert doc.title == ENGLISH[4].title
        fetch = store.last_fetch("https://example.org/2016/12/a.html")
        # the raw page is archived, so it can be re-extracted without refetching
        from storage.archive import Archive
        assert Archive(data_dir / "archive").read(fetch.warc_file, fetch.warc_offset).body == saved.read_bytes()


def test_ingest_a_folder_of_saved_pages_each_under_the_url_it_names(tmp_path, data_dir):
    folder = tmp_path / "saved"
    (folder / "sub").mkdir(parents=True)
    a_url, b_url = "https://example.org/2016/12/a.html", "https://example.net/news/b.html"
    (folder / "a.html").write_text(page_html(ENGLISH[5], template="wordpress", url=a_url), encoding="utf-8")
    og_url_only = re.sub(r'<link rel="canonical"[^>]*>', "", page_html(ENGLISH[6], template="wordpress", url=b_url))
    assert "canonical" not in og_url_only and f'content="{b_url}"' in og_url_only
    (folder / "sub" / "b.htm").write_text(og_url_only, encoding="utf-8")
    (folder / "c.html").write_text(page_html(ENGLISH[7]), encoding="utf-8")  # names no URL of its own
    (folder / "notes.txt").write_text("not a page")

    r = wirecrawl(data_dir, "ingest", "--html", str(folder))
    assert r.exit_code == 1  # one page could not be stored; the others were
    lines = r.output.strip().splitlines()
    c_address = (folder / "c.html").resolve().as_uri()
    assert len(lines) == 3
    assert lines[0].startswith(f"{folder / 'a.html'} -> {a_url}: stored (new cluster")
    assert lines[1].startswith(f"{folder / 'c.html'} -> {c_address}: rejected (no_url: the page names no "
                               "absolute canonical URL")
    assert lines[1].endswith("give it with --url)")
    assert lines[2].startswith(f"{folder / 'sub' / 'b.htm'} -> {b_url}: stored (new cluster")
    with Store(None, data_dir) as store:
        assert store.find_document(a_url).title == ENGLISH[5].title
        assert store.find_document(b_url).title == ENGLISH[6].title
        assert store.count_documents() == 2
        [fetch] = store.fetch_history(c_address)
        assert fetch.outcome == "rejected" and fetch.reason.startswith("no_url:")
        [run] = store.recent_runs(1)
        assert (run.kind, run.status, run.stats["stored"], run.stats["rejected"]) == ("ingest", "finished", 2, 1)

    # several pages cannot share one --url
    r = wirecrawl(data_dir, "ingest", "--html", str(folder / "a.html"), "--html", str(folder / "c.html"),
                  "--url", a_url)
    assert r.exit_code == 2 and "--url names the address of one saved page" in r.output
    # one page with --url: stored under it, whatever the page names
    r = wirecrawl(data_dir, "ingest", "--html", str(folder / "c.html"), "--url", "https://example.com/c.html")
    assert r.exit_code == 0 and "https://example.com/c.html: stored" in r.output


def test_a_broken_link_or_a_fifo_in_a_folder_of_saved_pages_is_recorded_unreadable_not_skipped(tmp_path, data_dir):
    folder = tmp_path / "saved"
    folder.mkdir()
    url = "https://example.org/2016/12/a.html"
    (folder / "a.html").write_text(page_html(ENGLISH[5], template="wordpress", url=url), encoding="utf-8")
    (folder / "gone.html").symlink_to(tmp_path / "nowhere.html")
    os.mkfifo(folder / "pipe.html")  # opening it to read would wait for a writer forever
    (folder / "empty.html").write_bytes(b"")

    r = wirecrawl(data_dir, "ingest", "--html", str(folder))

    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith(f"{folder / 'a.html'} -> {url}: stored (new cluster")
    empty = lines.pop(1)  # an empty file is empty, whatever URL it might have named
    assert empty == f"{folder / 'empty.html'} -> {(folder / 'empty.html').resolve().as_uri()}: rejected " \
                    "(empty_body: the file is empty)"
    gone, pipe = (folder / "gone.html").resolve().as_uri(), (folder / "pipe.html").resolve().as_uri()
    assert lines[1] == (f"{folder / 'gone.html'} -> {gone}: rejected (unreadable_file: cannot read "
                        f"{folder / 'gone.html'}: No such file or directory)")
    assert lines[2] == (f"{folder / 'pipe.html'} -> {pipe}: rejected (unreadable_file: cannot read "
                        f"{folder / 'pipe.html'}: not a regular file)")
    with Store(None, data_dir) as store:
        assert store.fetch_history(gone)[-1].reason.startswith("unreadable_file:")
        assert store.fetch_history(pipe)[-1].reason.startswith("unreadable_file:")
    # the FIFO given with its URL, and to `extract`: refused the same way, without waiting
    r = wirecrawl(data_dir, "ingest", "--html", str(folder / "pipe.html"), "--url", "https://example.org/p.html")
    assert r.exit_code == 1 and "unreadable_file" in r.output and "not a regular file" in r.output
    r = wirecrawl(data_dir, "extract", str(folder / "pipe.html"))
    assert r.exit_code == 1 and "unreadable_file" in r.output and "not a regular file" in r.output


def test_ctrl_c_during_ingest_keeps_the_lines_of_the_urls_done_and_records_the_run_interrupted(site, data_dir):
    done = site.add("/done.html", page_html(ENGLISH[2]))
    slow = site.add("/slow.html", Response(200, page_html(ENGLISH[3]), delay=60))  # still answering at Ctrl-C
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), "ingest",
                             "--allow-private", done, slow], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PREFECT_API_URL": ""},
                            start_new_session=True)
    try:
        first = proc.stdout.readline()  # printed as soon as the page is done, not at the end
        assert first.startswith(f"{done}: stored (new cluster"), first + proc.stderr.read()
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole foreground group
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "Interrupted" in err and "Traceback" not in err
    with Store(None, data_dir) as store:
        [run] = store.recent_runs(1)
        assert run.status == "interrupted" and run.stats["stored"] == 1
        assert store.find_document(done) is not None


# -- two processes, and a kill in the middle ------------------------------------

_WORKER = textwrap.dedent("""
    import json, sys
    from datetime import datetime, timezone
    from crawler.ingest.ingest import ingest_page
    from crawler.ingest.records import Page
    from storage.archive import Archive
    from storage.store import Store
    database_url, data_dir, pages_file = sys.argv[1], sys.argv[2], sys.argv[3]
    store = Store(database_url or None, data_dir)
    archive = Archive(data_dir + "/archive")
    for url, html in json.load(open(pages_file)):
        page = Page(url=url, status=200, headers={"content-type": "text/html; charset=utf-8"},
                    body=html.encode(), fetched_at=datetime.now(timezone.utc))
        print(ingest_page(page, store, archive=archive).line(), flush=True)
""")


def _pages(n: int):
    """n originals and, for each, a trimmed copy on another site."""
    originals, copies = [], []
    for i, art in enumerate(ENGLISH[:n]):
        originals.append((f"http://origin.example/{i}.html", page_html(art, template="newspaper")))
        copies.append((f"http://copies.example/{i}.html",
                       page_html(art, template="blogger", site="Copies", title=f"Republished: story {i}",
                                 paragraphs=art.paragraphs[: max(3, len(art.paragraphs) - 2)],
                                 attribution="Via Origin")))
    return originals, copies


def _spawn(tmp_path, name, pages, database_url, data_dir):
    f = tmp_path / f"{name}.json"
    f.write_text(json.dumps(pages))
    return subprocess.Popen([sys.executable, "-c", _WORKER, database_url or "", str(data_dir), str(f)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_ingesting_at_once_see_each_other(tmp_path, data_dir, database_url):
    originals, copies = _pages(6)
    # each process gets half of the originals and the copies of the other half
    first = originals[:3] + copies[3:]
    second = copies[:3] + originals[3:]
    procs = [_spawn(tmp_path, "one", first, database_url, data_dir),
             _spawn(tmp_path, "two", second, database_url, data_dir)]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    with Store(database_url, data_dir) as store:
        clusters = store.clusters()
        assert len(clusters) == 6
        for cid, size, canonical in clusters:
            members = store.members(cid)
            assert size == 2
            assert canonical.url.startswith("http://origin.example/")
            assert {m.url.rsplit("/", 1)[1] for m in members} == {canonical.url.rsplit("/", 1)[1]}


def _check_consistent(store: Store) -> None:
    from sqlalchemy import text
    with store.read() as conn:
        orphans = conn.execute(text(
            "SELECT count(*) FROM documents d LEFT JOIN clusters c ON c.id = d.cluster_id "
            "WHERE c.id IS NULL")).scalar()
        index = "lsh_bands" if store.is_sqlite else "lsh_docs"
        dangling = conn.execute(text(
            f"SELECT count(*) FROM {index} b LEFT JOIN documents d ON d.id = b.doc_id "
            "WHERE d.id IS NULL")).scalar()
        unfetched = conn.execute(text(
            "SELECT count(*) FROM documents WHERE fetch_id IS NULL")).scalar()
        twice = conn.execute(text(
            "SELECT count(*) FROM (SELECT url_key FROM documents WHERE is_latest "
            "GROUP BY url_key HAVING count(*) > 1) t")).scalar()
        canon = conn.execute(text(
            "SELECT count(*) FROM clusters c LEFT JOIN documents d ON d.id = c.canonical_id "
            "WHERE d.id IS NULL")).scalar()
    assert (orphans, dangling, unfetched, twice, canon) == (0, 0, 0, 0, 0)


def test_a_kill_during_ingest_leaves_a_consistent_store_and_the_next_run_continues(
        tmp_path, data_dir, database_url):
    originals, copies = _pages(8)
    pages = [p for pair in zip(originals, copies) for p in pair] * 3  # repeats: unchanged
    proc = _spawn(tmp_path, "victim", pages, database_url, data_dir)
    store = Store(database_url, data_dir)
    deadline = time.monotonic() + 120
    while store.count_documents() < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)  # polling the store for progress, not synchronising
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = store.count_documents()
    assert 5 <= killed_at < 16, "the kill should land mid-run"
    _check_consistent(store)

    rerun = _spawn(tmp_path, "rerun", pages, database_url, data_dir)
    out, err = rerun.communicate(timeout=240)
    assert rerun.returncode == 0, err
    _check_consistent(store)
    assert store.count_documents() == 16  # every page once, none twice
    assert len(store.clusters()) == 8
    store.close()


# -- one way in: a crawl and an ad-hoc ingest answer a page alike ----------------

def _short_note() -> str:
    return ("<!DOCTYPE html><html><head><title>Notice</title></head><body><article><h1>Notice</h1>"
            "<p>The reading room closes early on Friday.</p></article></body></html>")


def _adhoc(store: Store, data_dir: Path, url: str):
    from crawler.crawl.adhoc import ingest_url
    from crawler.crawl.fetch import FetchConfig
    from storage.archive import Archive

    return ingest_url(url, store, archive=Archive(data_dir / "archive"), fetch_config=FetchConfig(allow_private=True))


def test_adhoc_ingest_repeats_a_rejection_for_an_unchanged_body_as_a_crawl_does(site, data_dir):
    """The same bytes get the same answer, without extraction, whichever way
    they come in: ad hoc, then by a crawl, then ad hoc again."""
    from crawler.crawl.run import crawl_source
    from crawler.crawl.sources import Politeness, Source

    url = site.add("/note.html", _short_note())
    source = Source(name="notes", start_urls=(url,), follow_links=False, robots_sitemaps=False,
                    politeness=Politeness(download_delay=0, autothrottle=False, obey_robots=False))
    with Store(None, data_dir) as store:
        first = _adhoc(store, data_dir, url)
        assert (first.outcome, first.reason_code, first.extracted) == ("rejected", "too_short", True)

        crawled = crawl_source(source, database_url=None, data_dir=data_dir,
                               settings_overrides={"WIRECRAWL_EXTRACT_WORKERS": 1})
        assert (crawled.rejected, crawled.extracted) == ({"too_short": 1}, 0)

        again = _adhoc(store, data_dir, url)
        assert (again.outcome, again.reason, again.extracted) == ("rejected", first.reason, False)
        history = store.fetch_history(url)
        assert [(f.outcome, f.reason) for f in history] == [("rejected", first.reason)] * 3


def test_after_a_failed_fetch_the_same_body_is_compared_with_the_last_good_one(site, data_dir):
    url = site.add("/a.html", page_html(ENGLISH[0]))
    with Store(None, data_dir) as store:
        assert _adhoc(store, data_dir, url).outcome == "stored"
        site.add("/a.html", Response(503, "<html><body>busy</body></html>"))
        busy = _adhoc(store, data_dir, url)
        assert (busy.outcome, busy.reason_code) == ("failed", "http_status")
        site.add("/a.html", page_html(ENGLISH[0]))
        back = _adhoc(store, data_dir, url)
        assert (back.outcome, back.reason_code, back.extracted) == ("unchanged", "same_body", False)


def test_a_fetch_history_written_by_an_earlier_release_is_read_under_todays_names(data_dir):
    """Outcomes `error` and `not_modified` and reason codes such as
    `http_503` are what earlier releases recorded: the same-body check still
    reads them (an old failure sends it to the last good fetch, an old
    rejection is repeated)."""
    from datetime import datetime, timedelta, timezone

    from crawler.ingest.fetches import page_hash
    from crawler.ingest.ingest import ingest_page
    from crawler.ingest.records import Page
    from storage.records import FetchRecord

    t0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    good, short = page_html(ENGLISH[1]).encode(), _short_note().encode()

    def page(url: str, body: bytes, minutes: int) -> Page:
        return Page(url=url, status=200, headers={"content-type": "text/html"}, body=body,
                    fetched_at=t0 + timedelta(minutes=minutes))

    with Store(None, data_dir) as store:
        stored = ingest_page(page("http://old.example/a", good, 0), store)
        assert stored.outcome == "stored"
        store.record_fetch(FetchRecord(url="http://old.example/a", fetched_at=t0 + timedelta(minutes=1),
                                       status=503, outcome="error", reason="http_503: HTTP 503"))
        again = ingest_page(page("http://old.example/a", good, 2), store)
        assert (again.outcome, again.reason, again.document_id, again.extracted) == (
            "unchanged", "same_body", stored.document_id, False)

        store.record_fetch(FetchRecord(url="http://old.example/n", fetched_at=t0, status=200, outcome="rejected",
                                       reason="too_short: 41 characters of text", content_hash=page_hash(short)))
        repeated = ingest_page(page("http://old.example/n", short, 1), store)
        assert (repeated.outcome, repeated.reason, repeated.extracted) == (
            "rejected", "too_short: 41 characters of text", False)


def test_a_refused_address_names_the_page_and_says_how_to_allow_it(site, data_dir):
    url = site.add("/a.html", page_html(ENGLISH[0]))
    r = wirecrawl(data_dir, "ingest", url)

    assert r.exit_code == 1
    assert r.stdout.strip() == f"{url}: rejected (private_address: {url}: 127.0.0.1 is loopback, not a public address)"
    assert "--allow-private" in r.stderr
    assert site.requests == []


def test_failures_to_connect_or_resolve_are_failed_not_rejected(data_dir, monkeypatch):
    import socket

    from tests.sites import Site

    with Site() as gone:
        refused = gone.url("/a.html")
    real = socket.getaddrinfo

    def no_such_host(host, *args, **kw):
        if host == "news.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    r = wirecrawl(data_dir, "ingest", "--allow-private", refused)
    assert r.exit_code == 1 and r.output.startswith(f"{refused}: failed (connection_refused: {refused}: ")
    r = wirecrawl(data_dir, "ingest", "http://news.invalid/a.html")
    assert r.exit_code == 1
    assert r.output.startswith("http://news.invalid/a.html: failed (dns_error: http://news.invalid/a.html: ")
    # Private addresses allowed, the connection resolves the name itself: the same reason.
    r = wirecrawl(data_dir, "ingest", "--allow-private", "http://news.invalid/a.html")
    assert r.exit_code == 1
    assert r.output.startswith("http://news.invalid/a.html: failed (dns_error: http://news.invalid/a.html: ")


def test_bracketed_ipv6_urls_are_ingested_and_checked(data_dir):
    from tests.sites import Site, ipv6_loopback

    r = wirecrawl(data_dir, "ingest", "http://[2001:db8::1]/a.html")
    assert r.exit_code == 1
    assert r.output.startswith("http://[2001:db8::1]/a.html: rejected (private_address: ")  # not bad_url
    if (why := ipv6_loopback()) is not None:
        pytest.skip(why)
    with Site("::1") as site:
        url = site.add("/a.html", page_html(ENGLISH[3]))
        assert wirecrawl(data_dir, "ingest", url).output.startswith(f"{url}: rejected (private_address: {url}: ::1")
        r = wirecrawl(data_dir, "ingest", "--allow-private", url)
        assert r.exit_code == 0 and r.output.startswith(f"{url}: stored")
        assert site.paths_requested() == ["/robots.txt", "/a.html"]
    with Store(None, data_dir) as store:
        assert store.find_document(url) is not None


def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline_and_recorded(site, data_dir):
    from crawler.crawl.adhoc import ingest_url
    from crawler.crawl.fetch import FetchConfig
    from storage.archive import Archive

    site.add("/robots.txt", Response(200, "User-agent: *\nAllow: /\n", content_type="text/plain"))
    url = site.add("/drip.html", Response(200, page_html(ENGLISH[4]), drip=0.05, headers={"X-Pad": "x" * 4000}))

    started = time.monotonic()
    with Store(None, data_dir) as store:
        result = ingest_url(url, store, archive=Archive(data_dir / "archive"),
                            fetch_config=FetchConfig(allow_private=True, timeout=2.0))
        recorded = store.last_fetch(url)
    took = time.monotonic() - started

    assert took < 3.0, took  # the timeout plus a second
    assert (result.outcome, result.reason_code) == ("failed", "timeout")
    assert recorded.outcome == "failed" and recorded.reason.startswith(f"timeout: {url}: ")


def test_ingest_url_a_304_to_the_documents_validators_after_a_404_is_unchanged(data_dir):
    """`ingest URL` asks with the validators of the last fetch that made a
    document: a 304 is that document unchanged, even after the page once
    answered 404 in between."""
    from crawler.crawl.adhoc import ingest_url
    from crawler.crawl.fetch import FetchConfig
    from storage.archive import Archive
    from tests.sites import Request, Site
    from tests.test_crawl import plain_article_html

    answer = [200]

    def route(req: Request) -> Response:
        if answer[0] == 404:
            return Response(404, "<html><body>gone</body></html>")
        if req.headers.get("if-none-match") == '"v1"':
            return Response(304, "", headers={"ETag": '"v1"'})
        return Response(200, plain_article_html(1), headers={"ETag": '"v1"'})

    with Site() as site, Store(None, data_dir) as store:
        url = site.add("/a.html", route)

        def ingest():
            return ingest_url(url, store, archive=Archive(data_dir / "archive"),
                              fetch_config=FetchConfig(allow_private=True))

        assert ingest().outcome == "stored"
        answer[0] = 404
        assert ingest().outcome == "failed"
        answer[0] = 200
        again = ingest()
        assert site.requests[-1].headers.get("if-none-match") == '"v1"'
        assert (again.outcome, again.reason) == ("unchanged", "not_modified")
