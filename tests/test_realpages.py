"""Extraction and dedup on real pages nobody here wrote (the corpus of saved
pages with labelled sentences, read at run time from WIRECRAWL_REALPAGES or
the folder beside the checkout): trafilatura alone is the floor. Every page
it reads an article on is an article for wirecrawl too, pages whose article
an earlier cleaning took away keep the sentences trafilatura finds, and the
pages, all stored together, make clusters only of the copies among them."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
import trafilatura

from crawler.ingest.config import ingest_config
from crawler.ingest.extract import extract, text_length
from crawler.ingest.ingest import Prepared, commit, prepare
from crawler.ingest.records import Page
from storage.store import Store


def _labels(corpus: Path) -> dict:
    return json.loads((corpus / "evaldata.json").read_text(encoding="utf-8"))


def _page(url: str, body: bytes) -> Page:
    return Page(url=url, status=200, headers={"content-type": "text/html"}, body=body,
                fetched_at=datetime(2024, 5, 1, tzinfo=timezone.utc))


def _bare(url: str, body: bytes) -> str:
    """trafilatura alone, with the options wirecrawl gives it."""
    config = ingest_config().extract
    return trafilatura.extract(body, url=url, include_comments=False, fast=config.fast,
                               favor_precision=config.favor_precision, favor_recall=config.favor_recall) or ""


def _address(url: str) -> str:
    """Where the store files a page: its URL, or for a page the corpus saved
    without one ("hard::<file>"), an address on a host of its own."""
    return url if url.startswith(("http://", "https://")) else f"http://{url.split('::')[-1]}.invalid/"


def _floor_kept(job: tuple[str, str]) -> tuple[str, int, str | None, Prepared]:
    """(url, characters trafilatura read, wirecrawl's rejection or None, the
    page prepared for the store: its body and archive record left out)."""
    url, path = job
    body = Path(path).read_bytes()
    read = text_length(_bare(url, body))
    prepared = prepare(_page(url, body))
    prepared.page, prepared.archive_record = replace(prepared.page, url=_address(url), body=b""), None
    return url, read, None if prepared.rejection is None else str(prepared.rejection), prepared


@pytest.fixture(scope="module")
def real_results(realpages_dir) -> list[tuple[str, int, str | None, Prepared]]:
    jobs = [(url, str(realpages_dir / "pages" / item["file"])) for url, item in sorted(_labels(realpages_dir).items())]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_floor_kept, jobs, chunksize=16))
    assert len(results) == len(jobs)
    return results


def test_no_page_trafilatura_reads_an_article_on_is_rejected(real_results):
    minimum = ingest_config().extract.min_text_length
    lost = [(url, read, why) for url, read, why, _ in real_results if why is not None and read >= minimum]
    assert lost == []
    assert sum(1 for _, read, _, _ in real_results if read >= minimum) > 0.9 * len(real_results)


# The copies among the real pages, each pair read and judged by hand: the
# same page saved twice under two names (twice), and a press release that a
# second site ran in reported speech ("gibt" became "gebe") under its own
# headline and lead. The corpus is otherwise different articles from several
# hundred sites, some of them on one topic.
REAL_COPIES = [
    {"hard::heavenlynnhealthy.de.areenburk.html",
     "https://heavenlynnhealthy.de/lieblingslabel-faire-swimwear-von-mymarini-interview-mit-gruenderin-mareen-burk/"},
    {"hard::womencantalksports.com.top10.html", "http://www.womencantalksports.com/top-10-women-talking-sports/"},
    {"https://djz.de/amoklauf-in-heidelberg-rufe-nach-schneller-aufklaerung/",
     "https://www.jagdverband.de/wir-sind-tief-erschuettert"},
]


def test_real_pages_stored_together_cluster_only_their_copies(real_results, tmp_path):
    corpus_url = {_address(url): url for url, _, _, _ in real_results}
    with Store(None, tmp_path) as store:
        outcomes = Counter(commit(prepared, store).outcome for _, _, _, prepared in real_results)
        clusters = [{corpus_url[doc.url] for doc in store.members(cid)} for cid, _, _ in store.clusters(min_size=2)]
    assert outcomes["stored"] + outcomes["copy"] > 0.9 * len(real_results)
    assert sorted(map(sorted, clusters)) == sorted(map(sorted, REAL_COPIES))


# Pages whose article an earlier cleaning removed (a theme calling every
# block a "widget" or a "share" wrapper, a JSON-LD article body, text in
# <noscript>, a comments heading in the article's own box, a later-article
# cut that took the first article's body, story cards that were the body).
LOST_BEFORE = [
    "citylimits.org/2023/11/08/video-voting-on-nychas-future",
    "hard::nowgrenada.com-pm.html",
    "security.googleblog.com/2020/05/enhanced-safe-browsing",
    "homify.de/diy/20546",
    "internet-law.de/2011/07/",
    "bbc.com/news/world-us-canada-52241221",
    "tagesschau.de/investigativ/ndr/rheinmetall-datenleck",
    "legrandcontinent.eu/fr/2020/03/02/",
]


@pytest.mark.parametrize("key", LOST_BEFORE)
def test_an_article_an_earlier_cleaning_removed_keeps_what_trafilatura_finds(realpages_dir, key):
    labels = _labels(realpages_dir)
    [url] = [u for u in labels if key in u]
    body = (realpages_dir / "pages" / labels[url]["file"]).read_bytes()
    found = [s for s in labels[url]["with"] if s in _bare(url, body)]
    assert found, "trafilatura finds the labelled sentences of this page"
    text = extract(_page(url, body)).text
    assert [s for s in found if s not in text] == []
