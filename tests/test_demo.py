"""The offline demo's news web, ingested end to end (fetch, extract, dedup,
store): every syndicated copy lands in its original's cluster, and different
articles about one event never share a cluster. This is also the end-to-end
check of extraction and dedup on pages that look like the real thing."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from crawler.crawl.adhoc import ingest_url
from crawler.crawl.fetch import FetchConfig
from crawler.crawl.sources import load_sources
from crawler.ingest.urls import canonicalize
from flows.app import app
from flows.cli import _load_commands
from storage.archive import Archive
from tests.sampleweb.articles import ARTICLES
from tests.sampleweb.web import SITES, SampleWeb

_load_commands()
REPO = Path(__file__).resolve().parents[1]


def _ingest(store, data_dir: Path, urls: list[str]) -> list:
    archive = Archive(data_dir / "archive")
    config = FetchConfig(allow_private=True)  # the sample web lives on 127.0.0.1
    return [ingest_url(url, store, archive=archive, fetch_config=config) for url in urls]


def _cluster_of(store, url: str) -> int:
    doc = store.find_document(canonicalize(url))
    assert doc is not None and doc.cluster_id is not None, f"{url} was not stored"
    return doc.cluster_id


@pytest.mark.parametrize("order", ["originals first", "copies first"])
def test_each_copy_joins_its_original_and_same_event_articles_stay_apart(store, data_dir, order):
    with SampleWeb() as web:
        pages = sorted(web.pages, key=lambda p: p.kind == "original") if order == "copies first" else web.pages
        results = _ingest(store, data_dir, [p.url for p in pages])
    assert [r.line() for r in results if r.outcome in ("rejected", "failed")] == []

    by_story: dict[str, set[int]] = defaultdict(set)
    by_cluster: dict[int, set[str]] = defaultdict(set)
    for page in web.pages:
        cid = _cluster_of(store, page.url)
        by_story[page.story].add(cid)
        by_cluster[cid].add(page.story)
    split = {story: sorted(c) for story, c in by_story.items() if len(c) > 1}
    merged = {cid: sorted(s) for cid, s in by_cluster.items() if len(s) > 1}
    assert split == {}, f"copies left outside their original's cluster: {split}"
    assert merged == {}, f"different articles merged into one cluster: {merged}"
    for topic in ("halvern-port-strike", "ostra-flood"):
        slugs = [a.slug for a in ARTICLES if a.topic == topic]
        assert len({min(by_story[s]) for s in slugs}) == 3, topic
    assert {p.kind for p in web.pages} >= {"original", "wire", "trimmed", "excerpt", "second_url"}

    # The canonical member is the original: never another site's copy, an
    # excerpt, a trimmed copy, or its AMP page (same site, same text, same
    # date, and it names the original by rel=canonical), whatever came first.
    kind = {canonicalize(p.url): p.kind for p in web.pages}
    wrong = {}
    for page in web.pages:
        if page.kind == "original":
            canonical = [m for m in store.members(_cluster_of(store, page.url)) if m.is_canonical]
            if [kind[m.url_key] for m in canonical] != ["original"]:
                wrong[page.story] = [(m.url, kind[m.url_key]) for m in canonical]
    assert wrong == {}, f"stories whose canonical member is not the original: {wrong}"


def test_every_article_page_is_listed_for_a_crawler(data_dir):
    with SampleWeb() as web, httpx.Client() as http:
        sources = load_sources(web.write_sources(data_dir / "sources.toml"))
        assert set(sources) == set(web.sites)
        listed: set[str] = set()
        for name, source in sources.items():
            robots = http.get(web.sites[name] + "/robots.txt").text
            assert ("Sitemap:" in robots) == bool(source.sitemaps)
            for url in source.start_urls + source.feeds + source.sitemaps:
                answer = http.get(url)
                assert answer.status_code == 200, url
                listed.update(u for u in web.article_urls() if u in answer.text)
                again = http.get(url, headers={"If-None-Match": answer.headers["etag"]})
                assert again.status_code == 304, url
            # All sites share the host 127.0.0.1: each source keeps to its own port.
            own = [u for u in web.article_urls() if any(re.search(p, u) for p in source.allow)]
            assert own == [p.url for p in web.pages if p.site == name]
        assert listed == set(web.article_urls())


def test_without_the_seeds_folder_the_web_serves_our_sites_and_says_why(tmp_path):
    with SampleWeb(seeds=tmp_path / "no-seeds") as web, httpx.Client() as http:
        assert set(web.sites) == {s.name for s in SITES}
        assert len(web.skipped) == 1 and str(tmp_path / "no-seeds") in web.skipped[0]
        assert {p.kind for p in web.pages} == {"original", "wire", "trimmed", "excerpt", "second_url"}
        assert all(http.get(u).status_code == 200 for u in web.article_urls())


def test_the_same_ports_serve_the_same_bytes():
    port = _free_port_block(len(SITES) + 1)
    bodies = []
    for _ in range(2):
        with SampleWeb(port) as web, httpx.Client() as http:
            bodies.append({u: http.get(u).content for u in web.article_urls()})
    assert bodies[0] == bodies[1]


def test_demo_command_twice_second_run_finds_everything_unchanged(data_dir):
    port = str(_free_port_block(len(SITES) + 1))
    args = ["--data-dir", str(data_dir), "demo", "--by-url", "--port", port]
    first = CliRunner().invoke(app, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "stored as a copy of" in first.output
    assert "every copy joined its original" in first.output
    second = CliRunner().invoke(app, args, catch_exceptions=False)
    assert second.exit_code == 0, second.output
    lines = [line for line in second.output.splitlines() if line.startswith("http://127.0.0.1:")]
    assert lines and all(line.endswith(": unchanged") for line in lines), second.output
    assert str(data_dir) in second.output
    # it ends with what to try next, written to work as printed
    after = second.output[second.output.index("Next, try:"):]
    for command in ("clusters", "show http://127.0.0.1:", "snapshot --out snapshots/", "runs"):
        assert f"wirecrawl {command}" in after, after
    assert f"--data-dir {data_dir}" in after and "wirecrawl demo --serve" in after
    shown = re.search(r"wirecrawl (show \S+) --data-dir", after).group(1).split()
    assert CliRunner().invoke(app, [*shown, "--data-dir", str(data_dir)]).exit_code == 0


def test_demo_serve_keeps_the_web_up_so_its_sources_file_can_be_crawled(data_dir, tmp_path):
    port = _free_port_block(len(SITES) + 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    demo = subprocess.Popen([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), "demo", "--by-url",
                             "--port", str(port), "--serve"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        printed = []
        for line in demo.stdout:  # until the demo says it is serving (or ends: then the test fails)
            printed.append(line)
            if line.startswith("Serving the sample web"):
                break
        assert printed and printed[-1].startswith("Serving the sample web"), "".join(printed)
        output = "".join(printed)
        assert f"wirecrawl crawl --sources {data_dir / 'demo-sources.toml'}" in output
        probe = CliRunner().invoke(app, ["sources", "check", str(data_dir / "demo-sources.toml"), "--probe"])
        assert probe.exit_code == 0, probe.output
        assert "No article URL found" not in probe.output
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0 and "Stopped serving the sample web." in rest


def test_demo_reindexes_a_store_left_by_other_dedup_settings(data_dir):
    """A data directory from an older version (its index made with other
    settings) does not stop the demo: the demo reindexes its own store."""
    from storage.store import Store

    port = str(_free_port_block(len(SITES) + 1))
    args = ["--data-dir", str(data_dir), "demo", "--by-url", "--port", port]
    assert CliRunner().invoke(app, args, catch_exceptions=False).exit_code == 0
    with Store(None, data_dir) as store:
        store.set_meta("dedup_config", "v0;older-settings")
    again = CliRunner().invoke(app, args, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "reindexed" in again.output and "every copy joined its original" in again.output


def test_the_demo_finds_its_web_in_the_checkout_from_anywhere(tmp_path):
    """The installed command runs outside the checkout, where `tests` is not
    importable: the demo still loads the sample web from the checkout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = "from flows.commands.demo import sample_web_class; print(sample_web_class().__module__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "tests.sampleweb.web"


def test_demo_names_the_port_that_is_taken(data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "demo", "--port", str(port)])
    assert result.exit_code == 1
    assert str(port) in result.output and "--port" in result.output


def test_sample_articles_are_long_varied_and_multilingual():
    english = [a for a in ARTICLES if a.lang == "en"]
    assert len(english) >= 10
    for a in english:
        assert 7 <= len(a.paragraphs) <= 12 and 450 <= len(a.text.split()) <= 800, a.slug
    assert {"zh", "ja", "th"} <= {a.lang for a in ARTICLES}
    by_topic = defaultdict(list)
    for a in ARTICLES:
        by_topic[a.topic].append(a)
    assert sum(len(arts) == 3 for arts in by_topic.values()) >= 2
    assert len({a.slug for a in ARTICLES}) == len(ARTICLES)


def _free_port_block(n: int) -> int:
    """A first port p with p .. p+n-1 free on 127.0.0.1 now."""
    rng = random.Random()
    for _ in range(50):
        first = rng.randrange(20000, 60000)
        sockets = []
        try:
            for port in range(first, first + n):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError(f"no block of {n} free ports found")


def test_demo_by_url_extracts_within_the_extraction_time_limit_as_ingest_does(data_dir):
    """`demo --by-url` runs each page's extraction in the time-limited
    extraction process of `wirecrawl ingest`, so it reads the same setting:
    a wrong value is one line and exit 2, with nothing stored."""
    port = str(_free_port_block(len(SITES) + 1))
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "demo", "--by-url", "--port", port],
                                env={"WIRECRAWL_EXTRACT_TIMEOUT": "soon", "PREFECT_API_URL": ""})
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wirecrawl demo: WIRECRAWL_EXTRACT_TIMEOUT='soon'"), lines
    from storage.store import Store
    with Store(None, data_dir) as store:
        assert store.count_documents() == 0
