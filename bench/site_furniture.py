"""How many distinct clusters make a line a site's furniture: measured.

    .venv/bin/python bench/site_furniture.py [--seed 3]

Pages: the dedup corpus of `bench/holdout_pages.py` (29 originals and their
copies, spread over twelve sites, so that one site carries several copies of
one story: a story republished on a site twice is there many times over).
Into every page, after the article's last paragraph, go two lines of its
site's own that no cleaning rule knows (a line about the publisher, a line
asking for tips), written as plain paragraphs: only the site's other pages
can show they are furniture.

Each setting ingests every page, in a shuffled order, through the real path
(`crawler.ingest.ingest.ingest_page`) into a fresh SQLite store, then reads
what was stored:

- leak: stored documents whose text still holds one of the site's lines;
- own lines lost: paragraphs of an article's own text (15 to 250
  characters, the lines learning looks at) stored by the run without site
  learning but missing with it: the price;
- clusters mixing stories, and copies outside their story's cluster.

The baseline is the same run with learning off (a line never becomes
furniture).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import holdout_pages as hp  # noqa: E402
import crawler.ingest.ingest as ingest_module  # noqa: E402
from crawler.ingest import sitelines  # noqa: E402
from crawler.ingest.ingest import ingest_page  # noqa: E402
from crawler.ingest.records import Page  # noqa: E402
from storage.store import Store  # noqa: E402

FETCHED = datetime(2024, 12, 1, 12, 0, tzinfo=timezone.utc)
TMP = "/dev/shm" if Path("/dev/shm").is_dir() else None
SETTINGS = {"no learning": 10**9, "2 clusters": 2, "3 clusters": 3, "4 clusters": 4, "5 clusters": 5}


def site_lines(site: str) -> tuple[str, str]:
    """Two lines of a site's own, in no rule's vocabulary."""
    return (f"{site} has been put together by the same small newsroom on the quay since the spring of 1952.",
            "Tips, corrections and old photographs of the valley reach the desk through the post office box.")


def with_site_lines(page: hp.HoldoutPage) -> tuple[str, tuple[str, str]]:
    """The page's HTML with its site's two lines after the article's last paragraph."""
    host = page.url.split("/")[2]
    lines = site_lines(host)
    last = escape(page.body[-1][1], quote=False) if page.body else ""
    html = page.html
    at = html.find(last) if last else -1
    end = html.find("</p>", at) if at >= 0 else -1
    extra = "".join(f"<p>{line}</p>" for line in lines)
    if end < 0:
        return html.replace("</body>", extra + "</body>", 1), lines
    return html[:end + 4] + extra + html[end + 4:], lines


def run(corpus, order: list[int], clusters_needed: int) -> dict:
    ingest_module.CLUSTERS_NEEDED = clusters_needed
    sitelines.KNOWN = sitelines.KnownFurniture()
    ingest_module.KNOWN = sitelines.KNOWN
    with tempfile.TemporaryDirectory(dir=TMP) as tmp:
        with Store(None, Path(tmp)) as store:
            for n, i in enumerate(order):
                cp = corpus[i]
                html, _ = with_site_lines(cp.page)
                page = Page(url=cp.page.url, status=200, headers={"content-type": "text/html; charset=utf-8"},
                            body=html.encode("utf-8"), fetched_at=FETCHED + timedelta(seconds=n))
                ingest_page(page, store)
            stored = {}
            for doc in store.iter_latest_documents():
                stored[doc.url] = doc
    return stored


def score(corpus, stored: dict, baseline: dict) -> dict:
    leak = lost = 0
    by_cluster: dict[int, set[str]] = defaultdict(set)
    by_story: dict[str, set[int]] = defaultdict(set)
    for cp in corpus:
        doc = stored.get(cp.page.url)
        if doc is None:
            continue
        _, lines = with_site_lines(cp.page)
        if any(line in doc.text for line in lines):
            leak += 1
        base = baseline.get(cp.page.url)
        if base is not None:
            for _, block in cp.page.body:
                text = " ".join(block.split())
                if sitelines.MIN_LINE <= len(text) <= sitelines.MAX_LINE and text in base.text \
                        and text not in doc.text:
                    lost += 1
        by_cluster[doc.cluster_id].add(cp.story_key)
        by_story[cp.story_key].add(doc.cluster_id)
    return {"documents": len(stored), "leak": leak, "lost": lost,
            "mixing": sum(1 for s in by_cluster.values() if len(s) > 1),
            "split": sum(len(c) - 1 for c in by_story.values())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    corpus, _ = hp.dedup_corpus()
    order = list(range(len(corpus)))
    random.Random(args.seed).shuffle(order)
    print(f"{len(corpus)} pages on {len({cp.page.url.split('/')[2] for cp in corpus})} sites, "
          f"shuffled (seed {args.seed}); two unknown lines of its site on every page")
    print(f"{'setting':14} {'stored':>6} {'leak':>10} {'own lines lost':>15} {'mixing':>7} {'split':>6}")
    baseline = None
    for name, needed in SETTINGS.items():
        stored = run(corpus, order, needed)
        if baseline is None:
            baseline = stored
        s = score(corpus, stored, baseline)
        print(f"{name:14} {s['documents']:6d} {s['leak']:5d} ({s['leak'] / max(1, s['documents']):4.0%}) "
              f"{s['lost']:15d} {s['mixing']:7d} {s['split']:6d}")
    print(f"chosen: {sitelines.CLUSTERS_NEEDED} clusters (crawler.ingest.sitelines.CLUSTERS_NEEDED)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

