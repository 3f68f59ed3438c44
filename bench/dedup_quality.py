"""Dedup quality on a labelled set: precision and recall per copy kind, and
false merges among different articles, for datasketch's out-of-the-box
setting and for wirecrawl's DedupConfig, measured in the same run.

    .venv/bin/python bench/dedup_quality.py [--seeds ../shared/seeds] [--copies 20] [--seed 1]

Originals: our own sample articles (two same-event triples, Chinese,
Japanese, Thai) and, when the seed folder is present, the articles of the
seed pages (all on one topic; read at run time). For every original and every
kind of `tests.sampleweb.copies`, `--copies` copies are made.

    .venv/bin/python bench/dedup_quality.py --realpages --copies 2 --sweep 0

With `--realpages`, the originals are instead the texts of the real pages of
the extraction corpus (`../shared/realpages`, as wirecrawl's extraction
reads them; pages of under two lines or 400 characters left out): several
hundred sites and a dozen languages nobody here wrote. A "false merge"
there is two different pages found as copies; the corpus holds one page
saved twice and one press release that another site republished, which are
copies indeed.

Two measurements:

1. Detection: every original is indexed; each copy, and each original
   against the others, is looked up. Recall per kind = share of copies that
   find their original; precision = share of found originals that are the
   right one; false merges = pairs of different originals found as copies.
   - baseline: datasketch MinHashLSH(threshold=0.8) over word
     5-gram shingles, an LSH hit taken as a copy (what the defaults give);
   - wirecrawl: `crawler.ingest.dedup` fingerprints (whole text + lead bands), the
     same candidates-then-verify rule as `store_document` (text hash, bands,
     `is_copy`).
2. Through the store: every original and copy is stored with
   `crawler.ingest.dedup.store_document` into a fresh SQLite store, in a shuffled
   arrival order. Recall per kind = share of copies in their original's
   cluster; false merges = clusters holding more than one original's texts;
   canonical = share of clusters whose canonical member is the original.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from datasketch import MinHash, MinHashLSH  # noqa: E402

from crawler.ingest.dedup import DedupConfig, Shingled, fingerprint, is_copy, store_document  # noqa: E402
from storage.records import Document  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.sampleweb.articles import ARTICLES  # noqa: E402
from tests.sampleweb.copies import KINDS, make_copy, seed_articles  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


@dataclass
class Original:
    name: str
    group: str  # "seed" or "own:<topic>"
    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass
class Copy:
    original: int  # index into the originals
    kind: str
    text: str
    attribution: str | None


def originals(seeds: Path | None) -> list[Original]:
    """Our sample articles and six templated market briefs, then the seed
    pages' articles if `seeds` has any."""
    out = [Original(a.slug, f"own:{a.topic}", list(a.paragraphs)) for a in ARTICLES] + templated_briefs()
    if seeds is not None:
        out += [Original(s.name, "seed", s.paragraphs) for s in seed_articles(seeds)]
    return out


def real_originals(corpus: Path, min_paragraphs: int = 2, min_chars: int = 400) -> list[Original]:
    """The text of every page of the real-pages corpus (`bench/realpages.py`)
    as wirecrawl's extraction reads it, its lines as paragraphs: articles
    nobody here wrote, from several hundred sites and a dozen languages.
    Pages rejected, or shorter than `min_chars` or `min_paragraphs` lines,
    are left out (a copy needs paragraphs to drop)."""
    from realpages import load_corpus, wirecrawl_text

    out = []
    for url, _labels, body in load_corpus(corpus):
        text, _reason = wirecrawl_text(url, body)
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if len(lines) >= min_paragraphs and len(text) >= min_chars:
            out.append(Original(url, "real", lines))
    return out


def labelled_copies(origs: list[Original], per_kind: int, seed: int,
                    word_rate: tuple[float, float] = (0.01, 0.03), furniture: bool = False) -> list[Copy]:
    """`per_kind` copies of every original in every kind. With `furniture`,
    each copy's text also carries page furniture that extraction let through:
    a share line on top, and at the bottom a newsletter line and the opening
    words of three other articles (a "related stories" box, often on the
    same event)."""
    rng = random.Random(seed)
    out = []
    for i, orig in enumerate(origs):
        for kind in KINDS:
            for _ in range(per_kind):
                _title, paragraphs, attribution = make_copy(kind, orig.paragraphs, rng, word_rate=word_rate)
                if furniture:
                    paragraphs = _with_furniture(paragraphs, [o for j, o in enumerate(origs) if j != i], rng)
                out.append(Copy(i, kind, "\n\n".join(paragraphs), attribution))
    return out


def _with_furniture(paragraphs: list[str], others: list[Original], rng: random.Random) -> list[str]:
    # Nine words, or 25 characters of a text written without spaces.
    related = [" ".join(o.paragraphs[0].split()[:9])[:80] for o in rng.sample(others, 3)]
    related = [r if len(r) < 80 else r[:25] for r in related]
    return (["Share this article on social media or send it by email"] + paragraphs
            + ["Sign up for our newsletter to get the top stories of the day", "Related stories"] + related)


# -- hard negatives: different articles that share text with ours -----------------

# Reporting of our own for the two same-event groups (invented, like the events).
_OWN_REPORTING = {
    "halvern-port-strike": (
        "At the Seafarers' Mission on Dock Road, volunteers served soup to crews who had been confined "
        "to their ships for days, unable to sign off because the gangway staff were among the strikers.",
        "Shopkeepers on Quay Street said takings had fallen by a third since the walkout began, as the "
        "lorry drivers who usually stop for breakfast were diverted to the inland depot at Marrow Cross.",
        "A member of the city council's transport committee, Tomas Lindqvist, asked the port authority "
        "to publish its contingency plan, saying residents had a right to know how long queues would last.",
    ),
    "ostra-flood": (
        "At the community centre on Bridge Lane, a rota of volunteers sorted donated blankets, nappies "
        "and tinned food into crates, and a local bakery sent two vans of bread each morning.",
        "Insurers said they had opened a temporary claims office in the town hall car park, and urged "
        "residents to photograph damaged belongings before throwing anything away.",
        "Schoolchildren from the upper town wrote letters to families in the flooded streets, which the "
        "head teacher of Kellbridge Primary delivered with a box of crayons and board games.",
    ),
}

_BRIEF = (
    "Shares in {company} {moved} {pct} percent to {price} crowns on {day}, after the {sector} group reported "
    "quarterly revenue of {rev} million crowns, against {prev} million a year earlier.\n\n"
    "Trading volume reached {vol} million shares, about {mult} times the daily average over the past month. "
    "The broader Meridian 40 index closed {idx_moved} {idx_pct} percent at {idx}.\n\n"
    "The company said it expected full-year operating profit of between {lo} and {hi} million crowns and would "
    "pay a dividend of {div} crowns a share on {month} {date}.\n\n"
    "Analysts at {bank} kept their rating on the stock at \"{rating}\", with a price target of {target} crowns."
)
_COMPANIES = (("Norrhavn Shipping", "logistics"), ("Aldertec", "engineering"), ("Brask Foods", "food"),
              ("Velmora Energy", "energy"), ("Kestrel Software", "software"), ("Holm & Sager", "retail"))


_MATCH = (
    "{home} beat {away} {hg}-{ag} at {ground} on Saturday, a result that lifts them to {pos}th place in the "
    "Northern League with {pts} points from {played} games. {scorer} opened the scoring in the {m1}th minute, "
    "turning in a corner that was only half cleared, after the visitors had the better of the opening half "
    "hour.\n\n"
    "{sub} doubled the lead in the {m2}th minute, soon after coming on, and the home side held on comfortably "
    "despite late pressure. \"We knew it would be a hard afternoon and the players stuck to the plan,\" "
    "manager {manager} said afterwards, adding that the squad would now rest before the cup tie on the "
    "{cup}th. A crowd of {crowd} watched the game in cold and windy conditions."
)
_SCORERS = ("Jonas Hale", "Ruben Okafor", "Lewis Marr", "Teo Brandt", "Sam Ilves", "Finn Carvalho",
            "Ade Mensah", "Oskar Lind")
_MANAGERS = ("Dana Whitlow", "Piet van Rooy", "Marta Sousa", "Glen Abbott")
_CLUBS = (("Harwick Town", "Dunmore Rovers", "Mill Park"), ("Saltcote United", "Breyford City", "the Quay Ground"),
          ("Ashby Vale", "Kelsey Athletic", "Vale Road"), ("Norland FC", "Castleford Wanderers", "the Lido"))


def templated_briefs(seed: int = 3) -> list[Original]:
    """Briefs written from two templates (six market reports, four match
    reports): same wording, other facts. Different articles, which a
    similarity of words alone would merge."""
    rng = random.Random(seed)
    out = []
    for home, away, ground in _CLUBS:
        text = _MATCH.format(home=home, away=away, ground=ground, hg=rng.randint(2, 4), ag=rng.randint(0, 1),
                             pos=rng.randint(4, 12), pts=rng.randint(20, 48), played=rng.randint(18, 24),
                             scorer=rng.choice(_SCORERS), m1=rng.randint(10, 44), sub=rng.choice(_SCORERS),
                             m2=rng.randint(50, 88), manager=rng.choice(_MANAGERS), cup=rng.randint(10, 28),
                             crowd=f"{rng.randint(1200, 9000):,}")
        out.append(Original(f"brief:{home}", "own:match-briefs", text.split("\n\n")))
    for company, sector in _COMPANIES:
        rev = rng.randint(300, 2400)
        text = _BRIEF.format(
            company=company, sector=sector, moved=rng.choice(("rose", "fell")), pct=f"{rng.uniform(1, 9):.1f}",
            price=f"{rng.uniform(40, 400):.2f}", day=rng.choice(("Monday", "Tuesday", "Thursday")), rev=rev,
            prev=rev - rng.randint(-200, 200), vol=f"{rng.uniform(1, 6):.1f}", mult=rng.randint(2, 5),
            idx_moved=rng.choice(("up", "down")), idx_pct=f"{rng.uniform(0.1, 1.5):.1f}",
            idx=f"{rng.uniform(1800, 2300):,.1f}", lo=rev // 10, hi=rev // 10 + rng.randint(10, 60),
            div=f"{rng.uniform(0.5, 6):.2f}", month=rng.choice(("May", "June")), date=rng.randint(2, 28),
            bank=rng.choice(("Fjord Securities", "Carrow Bank", "Lindmark Partners")),
            rating=rng.choice(("buy", "hold", "overweight")), target=rng.randint(50, 450))
        out.append(Original(f"brief:{company}", "own:market-briefs", text.split("\n\n")))
    return out


@dataclass
class Negative:
    kind: str
    text: str
    shares_with: list[str]  # names of the originals it shares text with (and must not join)


def hard_negatives(origs: list[Original]) -> list[Negative]:
    """Different articles that share text with our same-event articles:
    - shared_lead: another outlet's story that opens with an agency's lead
      paragraph, then runs its own reporting (three paragraphs; one in
      shared_lead_short; the agency's first two and one of its own in
      shared_two_paras);
    - shared_quotes: a follow-up that opens its own way and repeats two
      paragraphs (the quotes) of an earlier story;
    - roundup: the lead paragraphs of four stories, one after another."""
    out = []
    for topic, own in _OWN_REPORTING.items():
        group = [o for o in origs if o.group == f"own:{topic}"]
        for i, o in enumerate(group):
            sibling = group[(i + 1) % len(group)]
            out.append(Negative("shared_lead", "\n\n".join([o.paragraphs[0], *own]), [o.name]))
            out.append(Negative("shared_lead_short", "\n\n".join([o.paragraphs[0], own[i % len(own)]]),
                                [o.name]))
            out.append(Negative("shared_two_paras", "\n\n".join([*o.paragraphs[:2], own[i % len(own)]]),
                                [o.name]))
            out.append(Negative("shared_quotes", "\n\n".join(
                [sibling.paragraphs[0], own[i % len(own)], *o.paragraphs[2:4], own[(i + 1) % len(own)]]),
                [o.name, sibling.name]))
    english = [o for o in origs if o.group.startswith("own:") and not o.name.startswith("brief:")][:12]
    for k in range(0, len(english) - 3, 4):
        four = english[k:k + 4]
        out.append(Negative("roundup", "\n\n".join(o.paragraphs[0] for o in four), [o.name for o in four]))
    return out


def detect_negatives(detector, origs: list[Original], negatives: list[Negative]) -> dict[str, list[int]]:
    """Per negative kind: [negatives that joined an original, negatives]
    (the detector must already hold the originals)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for neg in negatives:
        out[neg.kind][0] += bool(detector.query(neg.text))
        out[neg.kind][1] += 1
    return dict(out)


# -- detectors ------------------------------------------------------------------

class Baseline:
    """datasketch out of the box: 5-word shingles, MinHashLSH(threshold=0.8)."""

    name = "datasketch defaults (5-grams, LSH 0.8)"

    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=0.8)

    @staticmethod
    def _minhash(text: str) -> MinHash:
        words = text.lower().split()
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))])
        return m

    def add(self, key: int, text: str) -> None:
        self.lsh.insert(key, self._minhash(text))

    def query(self, text: str, exclude: int | None = None) -> set[int]:
        return {k for k in self.lsh.query(self._minhash(text)) if k != exclude}


class Wirecrawl:
    """crawler.ingest.dedup: text hash + LSH bands for candidates, `is_copy` to verify."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.name = f"wirecrawl {config.fingerprint_id()}"
        self.buckets: dict[int, set[int]] = defaultdict(set)
        self.hashes: dict[str, set[int]] = defaultdict(set)
        self.texts: dict[int, Shingled] = {}
        self.candidates = 0

    def add(self, key: int, text: str) -> None:
        fp = fingerprint(text, self.config)
        self.hashes[fp.text_hash].add(key)
        for k in fp.band_keys:
            self.buckets[k].add(key)
        self.texts[key] = Shingled.of(text, self.config)

    def query(self, text: str, exclude: int | None = None) -> set[int]:
        fp = fingerprint(text, self.config)
        exact = set(self.hashes.get(fp.text_hash, ()))
        cands = set().union(*(self.buckets.get(k, set()) for k in fp.band_keys)) - exact
        cands.discard(exclude)
        exact.discard(exclude)
        self.candidates += len(cands)
        mine = Shingled.of(text, self.config)
        return exact | {c for c in cands if is_copy(mine, self.texts[c], self.config) is not None}


def detect(detector, origs: list[Original], copies: list[Copy]) -> dict:
    """Detection figures of one detector (see the module docstring)."""
    for i, o in enumerate(origs):
        detector.add(i, o.text)
    found: dict[str, list[int]] = {k: [0, 0, 0] for k in KINDS}  # hits, right, copies
    for c in copies:
        hits = detector.query(c.text)
        f = found[c.kind]
        f[0] += len(hits)
        f[1] += c.original in hits
        f[2] += 1
    false_pairs = set()
    for i, o in enumerate(origs):
        for j in detector.query(o.text, exclude=i):
            false_pairs.add(tuple(sorted((i, j))))
    negs = hard_negatives(origs)
    negatives = detect_negatives(detector, origs, negs)
    return {"kinds": found, "false_pairs": sorted(false_pairs), "negatives": negatives,
            "lookups": len(copies) + len(origs) + len(negs)}


# -- through the store ------------------------------------------------------------

def through_store(origs: list[Original], copies: list[Copy], config: DedupConfig, seed: int) -> dict:
    """Store everything in a shuffled order; cluster-level figures."""
    items = [(None, i, o.text, None) for i, o in enumerate(origs)]
    items += [(c.kind, c.original, c.text, c.attribution) for c in copies]
    random.Random(seed).shuffle(items)
    ids: list[tuple[str | None, int, int]] = []
    costs = []
    with tempfile.TemporaryDirectory() as tmp, Store(None, tmp) as store:
        for n, (kind, orig, text, attribution) in enumerate(items):
            # Originals were published a day before their copies.
            published = (T0 + timedelta(days=2 * orig + (kind is not None))).date().isoformat()
            doc = Document(url=f"http://site{n % 7}.example/{n}", url_key=f"http://site{n % 7}.example/{n}",
                           text=text, text_hash="", fetched_at=T0 + timedelta(seconds=n),
                           published=published, attribution=attribution)
            start = time.perf_counter()
            fp = fingerprint(text, config)
            doc.text_hash = fp.text_hash
            with store.write() as conn:
                store_document(conn, store, doc, fp, config)
            costs.append(time.perf_counter() - start)
            ids.append((kind, orig, doc.id))
        with store.read() as conn:
            docs = {d.id: d for d in store.get_documents([i for _, _, i in ids], conn)}
    cluster_of = {doc_id: docs[doc_id].cluster_id for _, _, doc_id in ids}
    original_cluster = {orig: cluster_of[doc_id] for kind, orig, doc_id in ids if kind is None}
    in_cluster = {k: [0, 0] for k in KINDS}
    for kind, orig, doc_id in ids:
        if kind is not None:
            in_cluster[kind][0] += cluster_of[doc_id] == original_cluster[orig]
            in_cluster[kind][1] += 1
    owners: dict[int, set[int]] = defaultdict(set)
    for _kind, orig, doc_id in ids:
        owners[cluster_of[doc_id]].add(orig)
    mixed = [sorted(o) for o in owners.values() if len(o) > 1]
    canonical_right = sum(
        1 for kind, orig, doc_id in ids if kind is None and docs[doc_id].is_canonical
    )
    return {"kinds": in_cluster, "mixed": mixed, "canonical_right": canonical_right,
            "median_ms": statistics.median(costs) * 1000}


# -- report -------------------------------------------------------------------------

def _pct(a: int, b: int) -> str:
    return f"{a / b:6.1%}" if b else "   n/a"


def print_detection(name: str, result: dict, origs: list[Original]) -> None:
    print(f"\n{name}")
    print(f"  {'kind':<11} {'recall':>7} {'precision':>9}   copies")
    for kind, (hits, right, total) in result["kinds"].items():
        print(f"  {kind:<11} {_pct(right, total):>7} {_pct(right, hits):>9}   {total}")
    pairs = result["false_pairs"]
    print(f"  false merges among {len(origs)} different articles: {len(pairs)}"
          + "".join(f"\n    {origs[i].name} ~ {origs[j].name}" for i, j in pairs))
    print("  hard negatives that joined an article they share text with: "
          + ", ".join(f"{kind} {joined}/{total}" for kind, (joined, total) in result["negatives"].items()))


# Variants around the chosen configuration, one parameter moved at a time.
def variants() -> list[tuple[str, DedupConfig]]:
    chosen = DedupConfig()
    return [
        ("chosen", chosen),
        ("no lead signature", replace(chosen, lead_bands=0)),
        ("lead of 40 shingles", replace(chosen, lead_shingles=40)),
        ("lead of 100 shingles", replace(chosen, lead_shingles=100)),
        ("shingles of 2", replace(chosen, shingle_size=2)),
        ("shingles of 4", replace(chosen, shingle_size=4)),
        ("shingles of 5", replace(chosen, shingle_size=5)),
        ("bands 10x3 + lead 8x3", replace(chosen, bands=10, lead_bands=8)),
        ("rows 2 (16x2 + 20x2)", replace(chosen, rows=2, lead_rows=2)),
        ("verify: no number check", replace(chosen, numbers_threshold=0.0)),
        ("verify: no lead check", replace(chosen, lead_threshold=0.0)),
        ("verify: own paragraphs allowed", replace(chosen, max_own_paragraphs=99)),
        ("verify: J>=0.4, C>=0.6", replace(chosen, jaccard_threshold=0.4, containment_threshold=0.6)),
        ("verify: J>=0.6, C>=0.85", replace(chosen, jaccard_threshold=0.6, containment_threshold=0.85)),
    ]


def sweep(origs: list[Original], per_kind: int, seed: int) -> None:
    print(f"\nparameter sweep ({per_kind} copies per original and kind): recall per kind, false merges")
    for label, rate, furniture in (("as generated, 1-3 % of words changed", (0.01, 0.03), False),
                                   ("stress: 4-6 % of words changed", (0.04, 0.06), False),
                                   ("stress: page furniture left in the copy's text", (0.01, 0.03), True)):
        copies = labelled_copies(origs, per_kind, seed + 1, word_rate=rate, furniture=furniture)
        print(f"  {label}")
        print(f"    {'variant':<32}" + "".join(f"{k:>11}" for k in KINDS)
              + "   false  hard neg  cand/lookup  rows/doc")
        rows = [("datasketch defaults", Baseline(), None)] + [(n, Wirecrawl(c), c) for n, c in variants()]
        for name, detector, config in rows:
            result = detect(detector, origs, copies)
            recall = "".join(f"{_pct(r, t):>11}" for _h, r, t in result["kinds"].values())
            cand = f"{detector.candidates / result['lookups']:11.2f}" if config else f"{'':>11}"
            index = f"{config.band_key_count:9d}" if config else f"{'':>9}"
            hard = sum(j for j, _t in result["negatives"].values())
            print(f"    {name:<32}{recall}   {len(result['false_pairs']):5d}  {hard:8d}  {cand}{index}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--copies", type=int, default=20, help="copies per original and kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--realpages", type=Path, nargs="?", const=REPO.parent / "shared" / "realpages",
                        default=None, metavar="CORPUS",
                        help="originals: the texts of the real pages of CORPUS (default ../shared/realpages) "
                             "instead of ours and the seeds'")
    parser.add_argument("--sweep", type=int, default=8, metavar="N",
                        help="copies per original and kind in the parameter sweep (0: no sweep)")
    args = parser.parse_args(argv)

    if args.realpages is not None:
        if not (args.realpages / "evaldata.json").is_file():
            print(f"no corpus of real pages at {args.realpages} (evaldata.json and pages/ expected)")
            return 2
        origs = real_originals(args.realpages)
        copies = labelled_copies(origs, args.copies, args.seed)
        print(f"{len(origs)} originals: the real pages' texts as wirecrawl reads them; {len(copies)} copies "
              f"({args.copies} per original and kind)")
    else:
        origs = originals(args.seeds if args.seeds.is_dir() else None)
        copies = labelled_copies(origs, args.copies, args.seed)
        groups = defaultdict(int)
        for o in origs:
            groups["seed" if o.group == "seed" else "own"] += 1
        print(f"{len(origs)} originals ({groups['own']} own: 2 same-event triples, 10 templated briefs, "
              f"zh/ja/th; {groups['seed']} from the seed pages), {len(copies)} copies "
              f"({args.copies} per original and kind)")

    config = DedupConfig()
    print_detection(Baseline.name, detect(Baseline(), origs, copies), origs)
    ours = Wirecrawl(config)
    result = detect(ours, origs, copies)
    print_detection(ours.name, result, origs)
    print(f"  LSH candidates verified per lookup: {ours.candidates / result['lookups']:.2f}")

    if args.sweep:
        sweep(origs, args.sweep, args.seed)

    result = through_store(origs, copies, config, args.seed)
    print(f"\nwirecrawl through the store (SQLite, {len(origs) + len(copies)} documents, shuffled arrival)")
    for kind, (right, total) in result["kinds"].items():
        print(f"  {kind:<11} in the original's cluster {_pct(right, total)}")
    print(f"  clusters mixing different articles: {len(result['mixed'])}"
          + "".join("\n    " + " ~ ".join(origs[i].name for i in group) for group in result["mixed"][:10]))
    print(f"  clusters whose canonical member is the original: {_pct(result['canonical_right'], len(origs))}")
    print(f"  fingerprint + store_document, median per document: {result['median_ms']:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
