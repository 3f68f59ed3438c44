"""Extraction on real pages nobody here wrote (the corpus of saved pages with
labelled sentences, read at run time from WIRECRAWL_REALPAGES or the folder
beside the checkout): trafilatura alone is the floor. Every page it reads an
article on is an article for wirecrawl too, and pages whose article an
earlier cleaning took away keep the sentences trafilatura finds."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest
import trafilatura

from crawler.ingest.config import ingest_config
from crawler.ingest.extract import extract, text_length
from crawler.ingest.records import Page, Rejected


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


def _floor_kept(job: tuple[str, str]) -> tuple[str, int, str | None]:
    """(url, characters trafilatura read, wirecrawl's rejection or None)."""
    url, path = job
    body = Path(path).read_bytes()
    read = text_length(_bare(url, body))
    try:
        extract(_page(url, body))
    except Rejected as exc:
        return url, read, str(exc)
    return url, read, None


def test_no_page_trafilatura_reads_an_article_on_is_rejected(realpages_dir):
    minimum = ingest_config().extract.min_text_length
    jobs = [(url, str(realpages_dir / "pages" / item["file"])) for url, item in sorted(_labels(realpages_dir).items())]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_floor_kept, jobs, chunksize=16))
    assert len(results) == len(jobs)
    lost = [(url, read, why) for url, read, why in results if why is not None and read >= minimum]
    assert lost == []
    assert sum(1 for _, read, _ in results if read >= minimum) > 0.9 * len(jobs)


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
