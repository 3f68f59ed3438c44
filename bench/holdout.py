"""Held-out evaluation of extraction and near-duplicate detection.

    .venv/bin/python bench/holdout.py [--only extraction|dedup] [--failures N]

Pages built by `bench/holdout_pages.py` (CMS templates modelled on WordPress
classic/JNews/tagDiv, Drupal, Blogger, an Arc-style news site, AMP, a
Medium-like platform, a Disqus-threaded local site and a live blog; copies
made the way syndication makes them) go through the real path:
`crawler.ingest.ingest_page` into a fresh SQLite `Store` in a temporary folder.
None of these pages or copies are used to tune the product.

Extraction, per template: boilerplate leakage (share of pages whose text holds
any line of page furniture planted there), body recall (share of the article's
own sentences found), pages where a further article of an infinite-scroll page
or a second rendering of the body got in, title and date found. The same
figures for bare `trafilatura.extract` (comments off) are the baseline.

Dedup, per copy kind: recall (the copy ends in its original's cluster), with
originals first and with copies first; per negative kind: false merges; the
canonical member: clusters whose canonical member is the original, and AMP
copies chosen over the page their rel=canonical names. The
same again on the clean article texts (extraction bypassed, `commit` called
with a prepared Article), to tell extraction-caused misses from dedup ones.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import trafilatura  # noqa: E402

import holdout_pages as hp  # noqa: E402
from crawler.ingest.config import IngestConfig  # noqa: E402
from crawler.ingest.ingest import Prepared, commit, ingest_page, page_hash  # noqa: E402
from crawler.ingest.records import Article, Page  # noqa: E402
from storage.store import Store  # noqa: E402

FETCHED = datetime(2024, 12, 1, 12, 0, tzinfo=timezone.utc)
# Store files on a RAM disk when there is one: the figures are about quality, not fsync.
TMP = "/dev/shm" if Path("/dev/shm").is_dir() else None

# -- text matching ------------------------------------------------------------------

_UNIFY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-",
                        "\u00a0": " ", "\u200b": "", "\u2026": "..."})
_SPACES = re.compile(r"\s+")
_CJK_END = re.compile(r"(?<=[。！？])")
_SPACELESS = re.compile(r"[\u0e00-\u0eff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def squash(text: str) -> str:
    """Text as compared here: NFKC, case-folded, one quote/dash style, no whitespace."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text).casefold().translate(_UNIFY))


def units(text: str) -> list[str]:
    """Sentence-sized pieces of `text` (squashed) long enough to be unique."""
    if len(_SPACELESS.findall(text)) > len(text) / 4:
        pieces = [p for part in _CJK_END.split(text) for p in (part.split() or [part])]
        return [squash(p) for p in pieces if len(squash(p)) >= 8]
    return [squash(s) for s in hp.sentences_of(text) if len(squash(s)) >= 14]


def own_units(blocks: list[tuple[str, str]]) -> list[str]:
    return [u for kind, text in blocks if kind in ("p", "h2", "quote") for u in units(text)]


def short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


# -- extraction -----------------------------------------------------------------------


@dataclass
class PageScore:
    page: hp.HoldoutPage
    text: str | None
    reason: str | None = None  # rejection reason
    title: str | None = None
    published: str | None = None
    recall: float = 0.0
    missing: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)


def score_page(page: hp.HoldoutPage, text: str | None, reason: str | None = None,
               title: str | None = None, published: str | None = None) -> PageScore:
    s = PageScore(page, text, reason, title, published)
    if text is None:
        s.missing = own_units(page.body)
        return s
    flat = squash(text)
    lines = {squash(line) for line in text.splitlines() if line.strip()}
    want = own_units(page.body)
    s.missing = [u for u in want if u not in flat]
    s.recall = 1 - len(s.missing) / len(want) if want else 1.0
    s.leaks = [b for b in page.boiler_lines if squash(b) and squash(b) in flat]
    s.leaks += [b for b in page.boiler_stubs if squash(b) in lines]
    expected = Counter(want)
    own_flat = squash(" ".join(t for k, t in page.body if k in ("p", "h2", "quote")))
    s.foreign = [u for u in dict.fromkeys(u for t in page.foreign for u in units(t))
                 if u not in expected and u in flat]
    s.doubled = [u for u in expected if flat.count(u) > own_flat.count(u)]
    return s


def run_extraction(pages: list[hp.HoldoutPage], config: IngestConfig) -> tuple[list[PageScore], list[PageScore], float]:
    product, bare = [], []
    with tempfile.TemporaryDirectory(dir=TMP) as tmp:
        store = Store(None, Path(tmp))
        t0 = time.perf_counter()
        for p in pages:
            result = ingest_page(to_page(p.url, p.html), store, config=config)
            if result.outcome == "rejected" or result.document_id is None:
                product.append(score_page(p, None, result.reason or result.outcome))
                continue
            doc = store.get_document(result.document_id)
            product.append(score_page(p, doc.text, title=doc.title, published=doc.published))
        elapsed = time.perf_counter() - t0
        store.close()
    t0 = time.perf_counter()
    for p in pages:
        text = trafilatura.extract(p.html, url=p.url, include_comments=False)
        bare.append(score_page(p, text, None if text else "empty"))
    return product, bare, (elapsed, time.perf_counter() - t0)


def to_page(url: str, html: str) -> Page:
    return Page(url=url, status=200, headers={"content-type": "text/html; charset=utf-8"},
                body=html.encode("utf-8"), fetched_at=FETCHED, final_url=url, source="holdout")


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def report_extraction(product: list[PageScore], bare: list[PageScore], times: tuple[float, float],
                      failures: int) -> None:
    elapsed, bare_elapsed = times
    print(f"\n== EXTRACTION: {len(product)} pages, {len(hp.TEMPLATES)} templates; ingest {len(product) / elapsed:.1f} "
          f"pages/s, bare trafilatura {len(bare) / bare_elapsed:.1f} pages/s (ingest costs {elapsed / bare_elapsed:.2f}x) ==")
    print("leak = pages with any planted boilerplate line in the text; recall = mean share of the article's own "
          "sentences found;\nfull = pages with recall >= 0.95; scroll = further articles of the page got in; "
          "dup = body sentences twice; rej = rejected.\n(bare trafilatura, include_comments=False, in brackets)")
    head = f"{'template':<12} {'leak':>15} {'recall':>15} {'full':>15} {'scroll':>6} {'dup':>5} {'rej':>4} {'title':>6} {'date':>6}"
    print(head)
    print("-" * len(head))
    by_t: dict[str, list[tuple[PageScore, PageScore]]] = defaultdict(list)
    for a, b in zip(product, bare):
        by_t[a.page.template].append((a, b))
    rows = list(by_t.items()) + [("ALL", [pair for v in by_t.values() for pair in v])]
    for name, pairs in rows:
        n = len(pairs)
        P = [a for a, _ in pairs]
        B = [b for _, b in pairs]

        def both(fn):
            return f"{_pct(sum(map(fn, P)) / n)} ({_pct(sum(map(fn, B)) / n).strip()})"
        leak = both(lambda s: bool(s.leaks))
        recall = both(lambda s: s.recall)
        full = both(lambda s: s.recall >= 0.95)
        scroll = sum(bool(s.foreign) for s in P)
        dup = sum(bool(s.doubled) for s in P)
        rej = sum(s.text is None for s in P)
        title = sum(bool(s.title) and squash(s.title) == squash(s.page.title) for s in P)
        date = sum(bool(s.published) and s.published[:10] == s.page.published[:10] for s in P)
        print(f"{name:<12} {leak:>15} {recall:>15} {full:>15} {scroll:>6} {dup:>5} {rej:>4} {title:>3}/{n:<2} {date:>3}/{n:<2}")

    # What leaked, most often first.
    leaked = Counter((s.page.template, b) for s in product for b in s.leaks)
    print(f"\n-- boilerplate that reached the text (template: line  x pages), top {failures}")
    for (t, line), k in leaked.most_common(failures):
        print(f"  {t:<12} {short(line, 90)!r}  x{k}")
    worst = sorted((s for s in product if s.text is not None and s.recall < 0.95), key=lambda s: s.recall)
    print(f"\n-- lowest body recall (of {len(worst)} pages under 0.95), top {failures}")
    for s in worst[:failures]:
        print(f"  {s.page.template:<12} {s.page.story_key:<34} recall {s.recall:.2f}  missing e.g. {short(s.missing[0])!r}")
    rejected = [s for s in product if s.text is None]
    if rejected:
        print(f"\n-- rejected pages: {len(rejected)}")
        for reason, k in Counter(s.reason for s in rejected).most_common(8):
            print(f"  {k:4d} x {short(reason or '', 150)}")
    scroll = [s for s in product if s.foreign]
    if scroll:
        print(f"\n-- first-article-only violations: {len(scroll)} pages")
        for s in scroll[:failures]:
            print(f"  {s.page.template:<12} {s.page.story_key:<34} {len(s.foreign)} sentences of later articles, "
                  f"e.g. {short(s.foreign[0])!r}")
    doubled = [s for s in product if s.doubled]
    if doubled:
        print(f"\n-- body sentences kept twice: {len(doubled)} pages")
        for s in doubled[:failures]:
            print(f"  {s.page.template:<12} {s.page.story_key:<34} {len(s.doubled)} sentences, e.g. {short(s.doubled[0])!r}")


# -- dedup ----------------------------------------------------------------------------


def report_copy_pages(corpus: list[hp.CorpusPage], run: DedupRun, failures: int) -> None:
    """Extraction on the copy pages of the dedup corpus, short pages apart:
    an excerpt of one or two paragraphs is where furniture outweighs the body."""
    rows: dict[str, list[PageScore]] = defaultdict(list)
    for i, c in enumerate(corpus):
        if c.kind == "original":
            continue
        cluster, text, reason = run.docs[i]
        words = sum(len(t.split()) for k, t in c.page.body if k in ("p", "h2", "quote"))
        size = "short" if words < 150 else "long"
        rows[f"{c.page.template}/{size}"].append(score_page(c.page, text, reason))
    print("\n== EXTRACTION ON COPY PAGES (ingest path; short = article under 150 words) ==")
    head = f"{'template/size':<20} {'pages':>5} {'leak':>7} {'recall':>7} {'wrong':>6} {'rej':>4}"
    print(head + "   (wrong = under half the article found, page not rejected)")
    print("-" * len(head))
    for name in sorted(rows):
        ss = rows[name]
        n = len(ss)
        wrong = sum(s.text is not None and s.recall < 0.5 for s in ss)
        print(f"{name:<20} {n:>5} {_pct(sum(bool(s.leaks) for s in ss) / n):>7} "
              f"{_pct(sum(s.recall for s in ss) / n):>7} {wrong:>6} {sum(s.text is None for s in ss):>4}")
    leaked = Counter((s.page.template, b) for ss in rows.values() for s in ss for b in s.leaks
                     if s.page.template not in ("wp_td", "hashed"))
    for (t, line), k in leaked.most_common(failures):
        print(f"  leak: {t:<12} {short(line, 90)!r}  x{k}")
    bad = [s for ss in rows.values() for s in ss if s.text is not None and s.recall < 0.5]
    for s in bad[:failures]:
        first = short(s.text.splitlines()[0] if s.text.strip() else "(empty)", 80)
        print(f"  wrong text: {s.page.template:<11} {s.page.story_key:<32} text starts {first!r}")


def _similarity(a: str, b: str, config: IngestConfig) -> str:
    """Jaccard/containment/lead from crawler.ingest.dedup when it exposes them."""
    try:
        from crawler.ingest.dedup import Shingled, compare
        sim = compare(Shingled.of(a, config.dedup), Shingled.of(b, config.dedup))
        return f"J={sim.jaccard:.2f} C={sim.containment:.2f} lead={sim.lead:.2f}"
    except Exception as exc:  # the module changes under us; say why there is no figure
        return f"(no similarity: {type(exc).__name__})"


def clean_text(blocks: list[tuple[str, str]]) -> str:
    """What a perfect extractor would return: the body and the copy's own
    lines (notes), without pictures."""
    return "\n\n".join(t for k, t in blocks if k != "figure")


def _prepared_clean(cp: hp.CorpusPage, config: IngestConfig) -> Prepared:
    from crawler.ingest.dedup import fingerprint
    page = to_page(cp.page.url, cp.page.html)
    text = clean_text(cp.page.body)
    article = Article(url=cp.page.url, text=text, final_url=cp.page.url, title=cp.page.title,
                      published=cp.page.published,
                      canonical_url=cp.page.url if cp.kind != "amp_url" else cp.page.url[: -len("amp/")])
    return Prepared(page=page, page_hash=page_hash(page.body), article=article,
                    fingerprint=fingerprint(text, config.dedup))


@dataclass
class DedupRun:
    name: str
    docs: dict[int, tuple[int | None, str | None, str | None]]  # corpus index -> (cluster, text, reason)
    canonical: dict[int, bool] = field(default_factory=dict)  # corpus index -> stands for its cluster


def run_dedup(corpus: list[hp.CorpusPage], order: list[int], config: IngestConfig, clean: bool) -> DedupRun:
    docs: dict[int, tuple[int | None, str | None, str | None]] = {}
    with tempfile.TemporaryDirectory(dir=TMP) as tmp:
        store = Store(None, Path(tmp))
        ids: dict[int, int | None] = {}
        reasons: dict[int, str] = {}
        for i in order:
            cp = corpus[i]
            if clean:
                result = commit(_prepared_clean(cp, config), store, config=config)
            else:
                result = ingest_page(to_page(cp.page.url, cp.page.html), store, config=config)
            ids[i] = result.document_id
            if result.document_id is None:
                reasons[i] = f"{result.outcome}: {result.reason}"
        canonical: dict[int, bool] = {}
        for i, doc_id in ids.items():
            doc = store.get_document(doc_id) if doc_id is not None else None
            docs[i] = (doc.cluster_id, doc.text, None) if doc else (None, None, reasons.get(i, "no document"))
            canonical[i] = bool(doc and doc.is_canonical)
        store.close()
    return DedupRun("", docs, canonical)


def orders(corpus: list[hp.CorpusPage], seed: int) -> dict[str, list[int]]:
    rng = random.Random(seed)
    originals = sorted((i for i, c in enumerate(corpus) if c.kind == "original"),
                       key=lambda i: corpus[i].page.published)
    copies = [i for i, c in enumerate(corpus) if c.kind != "original"]
    rng.shuffle(copies)
    return {"orig->copy": originals + copies, "copy->orig": copies[::-1] + originals[::-1]}


@dataclass
class DedupScore:
    recall: dict[str, tuple[int, int]]
    misses: list[tuple[int, str]]
    false: dict[str, tuple[int, int]]
    merges: list[str]
    # Originals standing for their cluster, of the originals stored.
    canonical_original: tuple[int, int] = (0, 0)
    # AMP copies (which name their original by rel=canonical) standing for the
    # cluster that holds the page they name, of those in their original's cluster.
    amp_over_named: tuple[int, int] = (0, 0)


def score_dedup(corpus: list[hp.CorpusPage], negatives, run: DedupRun, config: IngestConfig) -> DedupScore:
    orig = {c.story_key: i for i, c in enumerate(corpus) if c.kind == "original"}
    recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for i, c in enumerate(corpus):
        if c.kind == "original":
            continue
        cluster, text, reason = run.docs[i]
        o_cluster, o_text, o_reason = run.docs[orig[c.story_key]]
        hit = cluster is not None and cluster == o_cluster
        recall[c.kind][0] += hit
        recall[c.kind][1] += 1
        if not hit:
            why = reason or o_reason or _similarity(text, o_text, config)
            misses.append((i, why))
    false: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    merges = []
    for kind, a, b in negatives:
        ca, ta, _ = run.docs[orig[a]]
        cb, tb, _ = run.docs[orig[b]]
        merged = ca is not None and ca == cb
        false[kind][0] += merged
        false[kind][1] += 1
        if merged:
            merges.append(f"{kind}: {a} + {b}  {_similarity(ta, tb, config)}")
    # Clusters holding more than one story, however they got linked.
    stories_in: dict[int, set[str]] = defaultdict(set)
    for i, c in enumerate(corpus):
        cluster = run.docs[i][0]
        if cluster is not None:
            stories_in[cluster].add(c.story_key)
    for cluster, keys in stories_in.items():
        if len(keys) > 1:
            merges.append(f"cluster {cluster} mixes {len(keys)} stories: {', '.join(sorted(keys))}; "
                          f"edges: {_bridge_hint(corpus, run, cluster, config)}")
    stored_originals = [i for i in orig.values() if run.docs[i][0] is not None]
    canonical_original = (sum(run.canonical[i] for i in stored_originals), len(stored_originals))
    amps = [i for i, c in enumerate(corpus) if c.kind == "amp_url" and run.docs[i][0] is not None
            and run.docs[i][0] == run.docs[orig[c.story_key]][0]]
    amp_over_named = (sum(run.canonical[i] for i in amps), len(amps))
    return DedupScore({k: tuple(v) for k, v in recall.items()}, misses,
                      {k: tuple(v) for k, v in false.items()}, merges, canonical_original, amp_over_named)


def _bridge_hint(corpus, run: DedupRun, cluster: int, config: IngestConfig) -> str:
    """The cross-story pairs in `cluster` that crawler.ingest.dedup.is_copy accepts:
    the edges that linked two different stories."""
    try:
        from crawler.ingest.dedup import Shingled, is_copy
    except ImportError as exc:
        return f"(no is_copy: {exc})"
    members = [i for i in range(len(corpus)) if run.docs[i][0] == cluster]
    shingled = {i: Shingled.of(run.docs[i][1] or "", config.dedup) for i in members}
    edges = []
    for x, i in enumerate(members):
        for j in members[x + 1:]:
            if corpus[i].story_key == corpus[j].story_key:
                continue
            sim = is_copy(shingled[i], shingled[j], config.dedup)
            if sim is not None:
                edges.append(f"{corpus[i].story_key}:{corpus[i].kind} ~ {corpus[j].story_key}:{corpus[j].kind} "
                             f"(J={sim.jaccard:.2f} C={sim.containment:.2f} lead={sim.lead:.2f})")
    return "; ".join(edges[:4]) + (f"; +{len(edges) - 4} more" if len(edges) > 4 else "") if edges else "no direct edge"


def report_dedup(corpus, negatives, results: dict[str, DedupScore], failures: int) -> None:
    cols = list(results)
    print(f"\n== DEDUP: {sum(c.kind == 'original' for c in corpus)} originals, "
          f"{sum(c.kind != 'original' for c in corpus)} copies, {len(negatives)} negative pairs ==")
    print("recall = copies that ended in their original's cluster; ingest = real path (extraction included), "
          "clean = article text given")
    head = f"{'copy kind':<18}" + "".join(f"{c:>22}" for c in cols)
    print(head)
    print("-" * len(head))
    kinds = list(hp.COPY_KINDS)
    for kind in kinds + ["ALL"]:
        cells = []
        for c in cols:
            r = results[c].recall
            hit, n = (sum(v[0] for v in r.values()), sum(v[1] for v in r.values())) if kind == "ALL" else r.get(kind, (0, 0))
            cells.append(f"{hit:>3}/{n:<3} {_pct(hit / n if n else 0)}")
        print(f"{kind:<18}" + "".join(f"{x:>22}" for x in cells))
    print(f"\n{'negative kind':<26}" + "".join(f"{c:>22}" for c in cols) + "   (false merges / pairs)")
    for kind in dict.fromkeys(k for k, _, _ in negatives):
        print(f"{kind:<26}" + "".join(f"{results[c].false[kind][0]:>18}/{results[c].false[kind][1]:<3}" for c in cols))
    print(f"{'clusters mixing stories':<26}" + "".join(
        f"{sum(m.startswith('cluster') for m in results[c].merges):>22}" for c in cols))
    print(f"\n{'canonical member':<26}" + "".join(f"{c:>22}" for c in cols))
    for label, attr in (("the original", "canonical_original"), ("an AMP page over its page", "amp_over_named")):
        cells = []
        for c in cols:
            hit, n = getattr(results[c], attr)
            cells.append(f"{hit:>3}/{n:<3} {_pct(hit / n if n else 0)}")
        print(f"{label:<26}" + "".join(f"{x:>22}" for x in cells))
    print("(the original: clusters whose canonical member is the story's original, higher is better; "
          "an AMP page over its page: AMP copies chosen over the page their rel=canonical names, lower is better)")
    for c in cols:
        s = results[c]
        if s.misses:
            by_kind = Counter(corpus[i].kind for i, _ in s.misses)
            print(f"\n-- [{c}] missed copies: {len(s.misses)} ({', '.join(f'{k} {v}' for k, v in by_kind.most_common())})")
            for i, why in s.misses[:failures]:
                cp = corpus[i]
                print(f"  {cp.kind:<16} {cp.story_key:<34} via {cp.page.template:<11} {why}")
        if s.merges:
            print(f"\n-- [{c}] false merges: {len(s.merges)}")
            for m in s.merges[:failures]:
                print(f"  {m}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("extraction", "dedup"))
    parser.add_argument("--failures", type=int, default=12, help="failures listed per section")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="dedup runs in parallel processes")
    args = parser.parse_args()
    config = IngestConfig()
    if args.only != "dedup":
        pages = hp.extraction_pages()
        product, bare, elapsed = run_extraction(pages, config)
        report_extraction(product, bare, elapsed, args.failures)
    if args.only != "extraction":
        corpus, negatives = hp.dedup_corpus()
        jobs = {f"{'clean' if clean else 'ingest'} {name}": (order, clean)
                for name, order in orders(corpus, args.seed).items() for clean in (False, True)}
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = {label: pool.submit(run_dedup, corpus, order, config, clean)
                       for label, (order, clean) in jobs.items()}
            runs = {label: fut.result() for label, fut in futures.items()}
        results = {label: score_dedup(corpus, negatives, run, config) for label, run in runs.items()}
        report_copy_pages(corpus, runs["ingest orig->copy"], args.failures)
        report_dedup(corpus, negatives, results, args.failures)


if __name__ == "__main__":
    main()
