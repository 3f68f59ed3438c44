"""Syndicated copies of real pages, end to end: the original is a real page
as its site served it, each copy its article re-published on another site.

    .venv/bin/python bench/realcopies.py [--pages 300] [--kinds via_top,excerpt_1,...] [--failures 10]

Originals: pages of the real-pages corpus (`../shared/realpages`, as
`bench/realpages.py` reads it) whose text, as wirecrawl reads it, holds at
least three lines of 80 characters or more: pages nobody here wrote, of
several hundred sites and a dozen languages. Copies: those lines (the
article's paragraphs) re-published the way `bench/holdout_pages.py` makes
copies (a "Via" line, a dropped paragraph, an excerpt of one or two
paragraphs, a trimmed copy, captions, an editor's note, all edits at once),
each on a page of one of the held-out templates, on a host of its own.

Every original, then every copy, goes through the real path
(`crawler.ingest.ingest_page`: extraction, fingerprint, the cluster
decision) into one fresh SQLite store. Prints, per copy kind, the copies
that joined their original's cluster, those stored apart, and those
rejected; then the false merges: copies that joined another original's
cluster, and clusters holding more than one original (the corpus holds a
page saved twice and a press release republished by another site: those
are copies indeed, and are named).

Liveblog and infinite-scroll templates are left out: they render a story
as a feed of updates or several articles, which is not how a site
re-publishes one.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import holdout_pages as hp  # noqa: E402
from realpages import DEFAULT_CORPUS, load_corpus, wirecrawl_text  # noqa: E402

from crawler.ingest.ingest import ingest_page  # noqa: E402
from crawler.ingest.records import Page  # noqa: E402
from storage.store import Store  # noqa: E402

KINDS = ("via_top", "drop_paragraph", "excerpt_1", "excerpt_2", "trimmed_third", "captions_added",
         "editors_note", "combined")
TEMPLATES = tuple(t for t in hp.TEMPLATES if t not in hp.SCROLL_TEMPLATES and t != "liveblog")
MIN_LINE = 80  # a paragraph of the article; shorter lines (headings, labels) are not copied
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)


def originals(corpus: Path, count: int, seed: int) -> list[tuple[str, bytes, list[str]]]:
    """(url, raw bytes, paragraphs) of `count` corpus pages picked at random."""
    out = []
    for url, _labels, body in load_corpus(corpus):
        text, _reason = wirecrawl_text(url, body)
        paragraphs = [line.strip() for line in (text or "").splitlines() if len(line.strip()) >= MIN_LINE]
        if len(paragraphs) >= 3:
            # Pages saved from an archive carry a name, not an address: give them one.
            out.append((url if url.startswith("http") else f"http://saved.example/{url.split('::')[-1]}",
                        body, paragraphs))
    random.Random(seed).shuffle(out)
    return out[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=300, help="originals (real pages)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="copy kinds (bench/holdout_pages.py COPY_KINDS)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--failures", type=int, default=10, help="copies not joined to list per kind")
    parser.add_argument("--save", type=Path, default=None, metavar="DIR",
                        help="write the pages of the copies that did not join their original here")
    args = parser.parse_args(argv)
    if not (args.corpus / "evaldata.json").is_file():
        print(f"no corpus of real pages at {args.corpus} (evaldata.json and pages/ expected)")
        return 2
    kinds = args.kinds.split(",")
    rng = random.Random(args.seed)
    origs = originals(args.corpus, args.pages, args.seed)
    outcome: dict[str, Counter] = {kind: Counter() for kind in kinds}
    missed: dict[str, list[str]] = defaultdict(list)
    wrong: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, Store(None, Path(tmp)) as store:
        cluster_of: dict[int, int] = {}
        for n, (url, body, _paragraphs) in enumerate(origs):
            page = Page(url=url, status=200, headers={"content-type": "text/html"}, body=body,
                        fetched_at=T0 + timedelta(seconds=n), final_url=url, source="originals")
            result = ingest_page(page, store)
            if result.cluster_id is not None:
                cluster_of[n] = result.cluster_id
        owner = {}
        for n, cluster in cluster_of.items():
            owner.setdefault(cluster, n)
        for n, (url, _body, paragraphs) in enumerate(origs):
            if n not in cluster_of:
                continue
            story = hp.Story(f"real{n}", paragraphs[0][:90], "Staff", "2024-05-01T09:00:00+00:00", "und",
                             f"real{n}", tuple(("p", p) for p in paragraphs))
            for kind in kinds:
                title, blocks = hp.make_copy(kind, story, rng)
                template = rng.choice(TEMPLATES)
                copy_url = f"http://copy{rng.randint(1, 40)}.example/{n}/{kind}"
                html = hp.render_page(template, title=title, author="Desk", published="2024-05-02T10:00:00+00:00",
                                      lang="und", blocks=blocks, url=copy_url, rng=rng).html
                page = Page(url=copy_url, status=200, headers={"content-type": "text/html; charset=utf-8"},
                            body=html.encode("utf-8"), fetched_at=T0 + timedelta(days=1, seconds=n),
                            final_url=copy_url, source="copies")
                result = ingest_page(page, store)
                if result.cluster_id == cluster_of[n]:
                    outcome[kind]["joined"] += 1
                    continue
                if args.save is not None:
                    args.save.mkdir(parents=True, exist_ok=True)
                    (args.save / f"{n}-{kind}-{template}.html").write_text(html, encoding="utf-8")
                if result.cluster_id is None:
                    outcome[kind]["rejected"] += 1
                    missed[kind].append(f"{url} via {template}: rejected, {result.reason}")
                else:
                    outcome[kind]["apart"] += 1
                    other = owner.get(result.cluster_id)
                    if other is not None:
                        members = [m.url for m in store.members(result.cluster_id)]
                        wrong.append(f"{kind} copy of {url} via {template} joined {origs[other][0]} "
                                     f"(members: {', '.join(members)})")
                    else:
                        missed[kind].append(f"{url} via {template}: stored apart ({result.outcome})")
        with store.read() as conn:
            docs = store.get_documents([r for r in _document_ids(store)], conn)
    by_cluster: dict[int, set[int]] = defaultdict(set)
    index = {url: n for n, (url, _b, _p) in enumerate(origs)}
    for doc in docs:
        if doc.url in index:
            by_cluster[doc.cluster_id].add(index[doc.url])
    mixed = [sorted(group) for group in by_cluster.values() if len(group) > 1]

    print(f"{len(origs)} real pages as originals ({len(cluster_of)} stored), "
          f"{sum(sum(c.values()) for c in outcome.values())} copies on {len(TEMPLATES)} held-out templates")
    print(f"  {'kind':<16}{'joined':>14}{'apart':>8}{'rejected':>10}")
    for kind in kinds:
        c = outcome[kind]
        total = sum(c.values())
        print(f"  {kind:<16}{c['joined']:>6}/{total:<4} {c['joined'] / max(total, 1):5.1%}{c['apart']:>6}"
              f"{c['rejected']:>10}")
    print(f"copies that joined another original's cluster: {len(wrong)}")
    for line in wrong[:20]:
        print(f"  {line}")
    print(f"clusters holding more than one original: {len(mixed)}")
    for group in mixed:
        print("  " + " ~ ".join(origs[n][0] for n in group))
    if args.failures:
        for kind in kinds:
            for line in missed[kind][:args.failures]:
                print(f"  missed {kind}: {line}")
    return 0


def _document_ids(store: Store) -> list[int]:
    from sqlalchemy import select

    from storage.schema import documents

    with store.read() as conn:
        return [row[0] for row in conn.execute(select(documents.c.id))]


if __name__ == "__main__":
    raise SystemExit(main())
