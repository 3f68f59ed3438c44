"""Dedup through the real store (SQLite and PostgreSQL, the `store` fixture)
and the real commit path: which documents end up in one cluster, which member
stands for it, and what similarity each copy records."""

from __future__ import annotations

import hashlib
import pickle
import random
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from crawler.ingest.canonical_links import page_key, regular_page_of_amp
from crawler.ingest.dedup import (
    DedupConfig,
    Shingled,
    compare,
    ensure_compatible,
    fingerprint,
    forget_expired,
    is_copy,
    normalise,
    shingled,
    tokens,
)
from crawler.ingest.config import IngestConfig
from crawler.ingest.ingest import IngestResult, Prepared, commit, page_hash
from crawler.ingest.records import Article, Page
from storage.records import Document
from storage.schema import clusters
from storage.snapshot import PARQUET
from storage.store import Store, StoreConfigError
from tests.sampleweb.articles import ARTICLES
from tests.sampleweb.copies import KINDS, make_copy, seed_articles

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
BY_SLUG = {a.slug: a for a in ARTICLES}
ENGLISH = [a for a in ARTICLES if a.lang == "en"]


def ingest(store: Store, url: str, paragraphs, *, published: str | None = None,
           attribution: str | None = None, canonical_url: str | None = None, sitename: str | None = None,
           fetched_at: datetime = T0, config: IngestConfig = IngestConfig()) -> IngestResult:
    """Commit one extracted article through the ingest path (no HTML: the
    extractor has its own tests)."""
    text = "\n\n".join(paragraphs)
    page = Page(url=url, status=200, headers={"content-type": "text/html"}, body=text.encode(),
                fetched_at=fetched_at)
    article = Article(url=url, text=text, published=published, attribution=attribution,
                      canonical_url=canonical_url, sitename=sitename)
    prepared = Prepared(page=page, page_hash=page_hash(page.body), article=article,
                        fingerprint=fingerprint(text, config.dedup))
    return commit(prepared, store, config=config)


def members(store: Store, result: IngestResult) -> set[str]:
    return {d.url for d in store.members(result.cluster_id)}


# -- normalisation and shingles ---------------------------------------------------

def test_exact_hash_ignores_case_spacing_quote_styles_dashes_and_unicode_forms():
    a = "The  minister said: \u201cWe\u2019ll meet\u201d \u2014 on Ｍonday.\n\nNext paragraph."
    b = "the minister said: \"we'll meet\" - on Monday. Next paragraph."
    assert normalise(a) == normalise(b)
    assert fingerprint(a).text_hash == fingerprint(b).text_hash
    assert fingerprint(a).text_hash != fingerprint(b + " More.").text_hash


def test_scripts_without_spaces_are_shingled_by_characters():
    zh = BY_SLUG["xijiang-river-tunnel-opens"].text
    th = BY_SLUG["leatherback-turtle-nest-phang-nga"].text
    for text in (zh, th):
        toks = tokens(text)
        # a whole sentence would be one "word" if we split on spaces
        assert len(toks) > len(text.split()) * 5
        assert len(fingerprint(text).band_keys) == DedupConfig().band_key_count


def test_fingerprint_is_picklable_and_has_signed_64_bit_band_keys():
    fp = fingerprint(ENGLISH[0].text)
    assert pickle.loads(pickle.dumps(fp)) == fp
    assert all(-2**63 <= k < 2**63 for k in fp.band_keys)
    assert fingerprint("Too short to index.").band_keys == []


# -- clusters through the store ----------------------------------------------------

def test_an_exact_copy_under_another_url_joins_the_cluster(store):
    art = ENGLISH[0]
    a = ingest(store, "http://origin.example/a", art.paragraphs, published="2024-03-04")
    b = ingest(store, "http://mirror.example/a-copy", art.paragraphs, published="2024-03-05")
    assert a.outcome == "stored" and b.outcome == "copy"
    assert b.cluster_id == a.cluster_id and b.duplicate_of_url == "http://origin.example/a"
    assert b.similarity == 1.0
    copy = store.get_document(b.document_id)
    assert copy.duplicate_of == a.document_id and copy.similarity == 1.0 and not copy.is_canonical


@pytest.mark.parametrize("kind", KINDS)
def test_each_copy_kind_joins_its_original_with_canonical_and_similarity(store, kind):
    art = BY_SLUG["torvane-brno-packaging-plant"]
    original = ingest(store, "http://origin.example/story", art.paragraphs, published=art.published)
    _title, paragraphs, attribution = make_copy(kind, list(art.paragraphs), random.Random(kind))
    copy = ingest(store, f"http://copies.example/{kind}", paragraphs, attribution=attribution,
                  published=art.published, fetched_at=T0 + timedelta(hours=3))
    assert copy.outcome == "copy", copy.line()
    assert copy.cluster_id == original.cluster_id
    assert copy.duplicate_of_url == "http://origin.example/story"
    stored = store.get_document(copy.document_id)
    assert stored.duplicate_of == original.document_id
    assert 0.6 <= stored.similarity <= 1.0 and stored.similarity == pytest.approx(copy.similarity)
    assert store.get_document(original.document_id).is_canonical
    [(cid, size, canonical)] = store.clusters()
    assert (cid, size, canonical.id) == (original.cluster_id, 2, original.document_id)


@pytest.mark.parametrize("excerpt_first", [True, False], ids=["excerpt-first", "full-first"])
def test_arrival_order_does_not_change_the_cluster_or_its_canonical(store, excerpt_first):
    art = ENGLISH[3]
    # The excerpt names no source in a separate line (it sits in the text) and
    # carries no date: only "a full text over an excerpt" can rank the two.
    _t, excerpt, _a = make_copy("excerpt", list(art.paragraphs), random.Random(4), attribution_in_text=True)
    full = ("http://origin.example/full", art.paragraphs)
    part = ("http://blog.example/excerpt", excerpt)
    first, second = (part, full) if excerpt_first else (full, part)
    r1 = ingest(store, *first, fetched_at=T0)
    r2 = ingest(store, *second, fetched_at=T0 + timedelta(minutes=5))
    assert r1.cluster_id == r2.cluster_id
    [(cid, size, canonical)] = store.clusters()
    assert size == 2 and canonical.url == "http://origin.example/full"
    excerpt_doc = store.find_document("http://blog.example/excerpt")
    assert excerpt_doc.duplicate_of == canonical.id and excerpt_doc.similarity >= 0.9


def test_originals_over_copies_that_name_their_source(store):
    art = ENGLISH[5]
    # The copy was fetched first and claims an earlier date, but names its source.
    _t, paragraphs, _a = make_copy("wire", list(art.paragraphs), random.Random(1), attribution_in_text=False)
    ingest(store, "http://copy.example/w", paragraphs, attribution="Via Origin Daily", published="2024-01-01")
    original = ingest(store, "http://origin.example/o", art.paragraphs, published="2024-01-02",
                      fetched_at=T0 + timedelta(hours=1))
    [(_cid, _size, canonical)] = store.clusters()
    assert canonical.id == original.document_id


@pytest.mark.parametrize("order", [(0, 1, 2), (1, 2, 0), (2, 1, 0)], ids=["original-first", "original-last",
                                                                         "credit-first"])
@pytest.mark.parametrize("named_by", ["site name", "host"])
def test_the_site_the_copies_name_as_their_source_stands_for_the_cluster(store, order, named_by):
    """A copy that says nothing of its source, fetched and dated before the
    original, does not stand for the story: a copy that credits the
    original's site ("Via Harbour Gazette", "first published at
    harbourgazette.example") names it, whatever arrived first."""
    art = ENGLISH[6]
    credit = "Via Harbour Gazette" if named_by == "site name" else "First published at harbourgazette.example"
    _t, credited, _a = make_copy("wire", list(art.paragraphs), random.Random(2), attribution_in_text=False)
    pages = [
        dict(url="https://www.harbourgazette.example/story", paragraphs=art.paragraphs, sitename="Harbour Gazette",
             published="2024-01-02"),
        dict(url="http://quiet.example/s", paragraphs=art.paragraphs, sitename="Quiet Courier",
             published="2024-01-01"),  # says nothing of its source, claims an earlier date
        dict(url="http://credit.example/c", paragraphs=credited, sitename="Credit Weekly", attribution=credit,
             published="2024-01-01"),
    ]
    for step, i in enumerate(order):
        ingest(store, **pages[i], fetched_at=T0 + timedelta(minutes=step))
    [(_cid, size, canonical)] = store.clusters()
    assert size == 3 and canonical.url == "https://www.harbourgazette.example/story"


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0)], ids=["source-first", "source-last"])
@pytest.mark.parametrize("credit, named, other", [
    # A site called "News" is not "Harbour News"; the original is known by its host's name.
    ("Via Harbour News", ("https://harbournews.example/strike", None), ("https://aggregator.example/p/1", "News")),
    # news.example is not news.example.org.
    ("First published at news.example.org", ("https://news.example.org/strike", None),
     ("https://news.example/strike", None)),
], ids=["one-word-of-the-name", "a-longer-host"])
def test_only_the_whole_name_or_host_a_copy_credits_is_its_source(store, credit, named, other, order):
    art = ENGLISH[7]
    _t, credited, _a = make_copy("wire", list(art.paragraphs), random.Random(3), attribution_in_text=False)
    pages = [dict(url=named[0], paragraphs=art.paragraphs, sitename=named[1], published="2024-01-03"),
             dict(url=other[0], paragraphs=art.paragraphs, sitename=other[1], published="2024-01-01"),
             dict(url="http://credit.example/c", paragraphs=credited, attribution=credit, published="2024-01-01")]
    for step, i in enumerate(order):
        ingest(store, **pages[i], fetched_at=T0 + timedelta(minutes=step))
    assert _canonical_of(store).url == named[0]


def test_different_articles_on_the_same_event_stay_apart(store):
    triples = [a for a in ARTICLES if a.topic in ("halvern-port-strike", "ostra-flood")]
    assert len(triples) == 6
    results = [ingest(store, f"http://one-site.example/{a.slug}", a.paragraphs) for a in triples]
    assert all(r.outcome == "stored" for r in results)
    assert len({r.cluster_id for r in results}) == 6
    assert store.clusters(min_size=2) == []


def test_seed_articles_are_never_merged(store, seeds_dir):
    seeds = seed_articles(seeds_dir)
    assert len(seeds) >= 5
    results = [ingest(store, f"http://seeds.example/{i}", s.paragraphs) for i, s in enumerate(seeds)]
    assert [r.outcome for r in results] == ["stored"] * len(seeds)
    assert store.clusters(min_size=2) == []


@pytest.mark.parametrize("slug", ["xijiang-river-tunnel-opens", "yamabuki-line-reopens",
                                  "leatherback-turtle-nest-phang-nga"])
def test_copies_in_scripts_without_spaces_are_found(store, slug):
    art = BY_SLUG[slug]
    original = ingest(store, "http://origin.example/cjk", art.paragraphs, published=art.published)
    rng = random.Random(slug)
    for kind in ("wire", "excerpt"):
        _t, paragraphs, attribution = make_copy(kind, list(art.paragraphs), rng)
        copy = ingest(store, f"http://copy.example/{kind}", paragraphs, attribution=attribution)
        assert copy.outcome == "copy" and copy.cluster_id == original.cluster_id, (kind, copy.line())


def test_a_bridging_document_merges_two_clusters(store):
    art = ENGLISH[6]
    n = len(art.paragraphs)
    head = ingest(store, "http://a.example/part-1", art.paragraphs[: n // 2])
    tail = ingest(store, "http://b.example/part-2", art.paragraphs[n // 2 - 1:])
    assert head.cluster_id != tail.cluster_id  # the two halves share one paragraph only
    full = ingest(store, "http://origin.example/whole", art.paragraphs)
    assert full.cluster_id == min(head.cluster_id, tail.cluster_id)
    assert members(store, full) == {"http://a.example/part-1", "http://b.example/part-2",
                                    "http://origin.example/whole"}
    [(cid, size, canonical)] = store.clusters()
    assert size == 3 and canonical.url == "http://origin.example/whole"
    for doc in store.members(cid):
        if doc.id != canonical.id:
            assert doc.duplicate_of == canonical.id and doc.similarity is not None


# Single-row bands: any shingle minimum two texts share makes them candidates,
# so the tests below reach verification. 24 of them: with the lead bands and
# the opening key, 45 keys, within what a PostgreSQL store's index holds a
# document (storage.schema.LSH_POSITIONS).
EAGER = IngestConfig(dedup=replace(DedupConfig(), bands=24, rows=1))


def _proposed(store: Store, stored: IngestResult, paragraphs) -> bool:
    """Whether the index proposes `stored` for a text of `paragraphs` under EAGER."""
    keys = fingerprint("\n\n".join(paragraphs), EAGER.dedup).band_keys
    with store.read() as conn:
        return stored.document_id in store.lsh_candidates(conn, keys)


def test_an_article_sharing_a_long_quote_is_not_an_excerpt(store):
    # Two different articles carry the same long statement: the short one is
    # mostly the statement, the long one quotes it after its own opening.
    statement = list(ENGLISH[0].paragraphs[2:6])
    short = [ENGLISH[7].paragraphs[0]] + statement
    long = list(ENGLISH[8].paragraphs[:3]) + statement + list(ENGLISH[8].paragraphs[3:])
    a, b = Shingled.of("\n\n".join(short), DedupConfig()), Shingled.of("\n\n".join(long), DedupConfig())
    assert compare(a, b).containment > DedupConfig().containment_threshold  # the trap is real
    # Single-row bands: the index proposes the pair, so verification decides.
    r1 = ingest(store, "http://a.example/statement", short, config=EAGER)
    assert _proposed(store, r1, long)
    r2 = ingest(store, "http://b.example/analysis", long, config=EAGER)
    assert r1.cluster_id != r2.cluster_id and r2.outcome == "stored"


def test_a_canonical_link_makes_a_candidate_that_is_still_verified(store):
    # Whole-text bands that never collide: only the canonical link can propose.
    blind = IngestConfig(dedup=replace(DedupConfig(), bands=1, rows=48, lead_bands=0))
    art, other = ENGLISH[1], ENGLISH[2]
    origin = ingest(store, "http://origin.example/story", art.paragraphs, config=blind)
    amp = ingest(store, "http://origin.example/amp/story", art.paragraphs[:-1],
                 canonical_url="http://origin.example/story", config=blind)
    assert amp.outcome == "copy" and amp.cluster_id == origin.cluster_id
    # A site whose every page names its home page as canonical merges nothing.
    wrong = ingest(store, "http://origin.example/other", other.paragraphs,
                   canonical_url="http://origin.example/story", config=blind)
    assert wrong.outcome == "stored" and wrong.cluster_id != origin.cluster_id


# -- the canonical member names itself: rel=canonical, og:url and AMP URLs --------

REGULAR = "http://harbour-news.example/news/2026/pilots-strike"


def _canonical_of(store: Store) -> Document:
    [(_cid, _size, canonical)] = store.clusters()
    return canonical


@pytest.mark.parametrize("amp_first", [True, False], ids=["amp-page-first", "regular-page-first"])
def test_the_page_an_amp_page_names_as_canonical_stands_for_the_cluster(store, amp_first):
    """The AMP page and its regular page carry the same text and date; the
    AMP page names the regular one by rel=canonical. Whichever is fetched
    first, the regular page is canonical and the AMP page its copy (1.00)."""
    art = ENGLISH[2]
    amp_url = "http://harbour-news.example/amp/news/2026/pilots-strike"
    pages = [(amp_url, REGULAR), (REGULAR, REGULAR)]
    results = {}
    for n, (url, canonical_url) in enumerate(pages if amp_first else pages[::-1]):
        results[url] = ingest(store, url, art.paragraphs, published=art.published, canonical_url=canonical_url,
                              fetched_at=T0 + timedelta(minutes=n))
    canonical = _canonical_of(store)
    assert canonical.url == REGULAR
    amp = store.find_document(amp_url)
    assert not amp.is_canonical and amp.duplicate_of == canonical.id and amp.similarity == 1.0
    if amp_first:  # the regular page took the cluster over when it arrived
        assert results[REGULAR].line().endswith(f"stored (canonical of cluster {canonical.cluster_id})")
    else:
        assert results[amp_url].line() == f"{amp_url}: stored as a copy of {REGULAR} (1.00)"


@pytest.mark.parametrize("amp_url", [
    "http://harbour-news.example/amp/news/2026/pilots-strike",
    "http://harbour-news.example/news/2026/pilots-strike/amp",
    "http://harbour-news.example/news/2026/pilots-strike?amp=1",
    "http://amp.harbour-news.example/news/2026/pilots-strike",
    "http://harbour-news.example/news/2026/pilots-strike.amp",
], ids=["amp-prefix", "amp-suffix", "amp-query", "amp-host", "amp-extension"])
def test_an_amp_url_gives_way_to_its_regular_page_without_a_canonical_link(store, amp_url):
    art = ENGLISH[2]
    ingest(store, amp_url, art.paragraphs, published=art.published, fetched_at=T0)
    ingest(store, REGULAR, art.paragraphs, published=art.published, fetched_at=T0 + timedelta(hours=1))
    assert _canonical_of(store).url == REGULAR


@pytest.mark.parametrize("url,regular", [
    ("https://x.example/amp/news/a", "x.example/news/a"),
    ("https://x.example/news/a/amp/", "x.example/news/a"),
    ("https://x.example/news/a?amp", "x.example/news/a"),
    ("https://x.example/news/a?id=3&outputType=amp", "x.example/news/a?id=3"),
    ("https://amp.x.example/news/a", "x.example/news/a"),
    ("https://x.example/news/a.amp.html", "x.example/news/a.html"),
    ("https://x-example.cdn.ampproject.org/c/s/x.example/news/a", "x.example/news/a"),
    ("https://www.google.com/amp/s/www.x.example/news/a", "x.example/news/a"),
    ("https://x.example/news/amp-stadium-opens", None),
    ("https://x.example/campaign/amplifier?champ=1", None),
    ("https://amp.example/news/a", None),
    ("not a url", None),
])
def test_amp_url_forms_and_urls_that_merely_contain_amp(url, regular):
    assert page_key(regular_page_of_amp(url)) == regular


def test_a_copy_naming_the_original_by_its_canonical_link_gives_way_to_it(store):
    """A syndicated copy that names the original as canonical (as syndication
    partners are asked to) yields to it, though it names no source in a
    separate line, was fetched first and claims an earlier date."""
    art = ENGLISH[5]
    _t, paragraphs, _a = make_copy("wire", list(art.paragraphs), random.Random(2), attribution_in_text=True)
    ingest(store, "http://partner.example/wire/ferry", paragraphs, published="2024-01-01",
           canonical_url="http://origin.example/ferry", fetched_at=T0)
    original = ingest(store, "http://origin.example/ferry", art.paragraphs, published="2024-01-02",
                      canonical_url="http://origin.example/ferry", fetched_at=T0 + timedelta(hours=2))
    assert _canonical_of(store).id == original.document_id


def test_pages_naming_each_other_fall_back_to_the_other_rules(store):
    art = ENGLISH[5]
    a, b = "http://one.example/story", "http://two.example/story"
    ingest(store, b, art.paragraphs, published="2024-01-02", canonical_url=a, fetched_at=T0)
    ingest(store, a, art.paragraphs, published="2024-01-01", canonical_url=b, fetched_at=T0 + timedelta(hours=1))
    assert _canonical_of(store).url == a  # the earlier published


def test_a_new_version_keeps_its_cluster_and_becomes_what_copies_point_to(store):
    art = ENGLISH[4]
    v1 = ingest(store, "http://origin.example/v", art.paragraphs, published=art.published)
    _t, paragraphs, attribution = make_copy("trimmed", list(art.paragraphs), random.Random(9))
    copy = ingest(store, "http://copy.example/t", paragraphs, attribution=attribution)
    revised = list(art.paragraphs) + ["A correction was appended to this article on Friday morning, "
                                      "restating the figures given by the authority in full."]
    v2 = ingest(store, "http://origin.example/v", revised, published=art.published,
                fetched_at=T0 + timedelta(days=1))
    assert v2.outcome == "stored" and v2.version == 2  # canonical: nobody's copy
    assert v2.cluster_id == v1.cluster_id == copy.cluster_id
    [(_cid, size, canonical)] = store.clusters()
    assert size == 2 and canonical.id == v2.document_id
    assert store.get_document(copy.document_id).duplicate_of == v2.document_id


def test_a_restarted_store_finds_old_documents_without_rebuilding_the_index(data_dir, database_url):
    art = ENGLISH[9]
    with Store(database_url, data_dir) as first:
        original = ingest(first, "http://origin.example/r", art.paragraphs)
        index_before = first.index_size()
    _t, paragraphs, attribution = make_copy("trimmed", list(art.paragraphs), random.Random(2))
    with Store(database_url, data_dir) as second:
        assert second.index_size() == index_before  # opening the store touched no index row
        copy = ingest(second, "http://copy.example/r", paragraphs, attribution=attribution)
    assert copy.outcome == "copy" and copy.cluster_id == original.cluster_id


def test_a_store_indexed_with_other_settings_is_refused(store):
    ensure_compatible(store, DedupConfig())
    with pytest.raises(StoreConfigError, match="dedup_config"):
        ensure_compatible(store, replace(DedupConfig(), shingle_size=5))


def test_a_revised_page_stays_in_its_cluster_but_a_reused_url_does_not(store):
    art, other = ENGLISH[10], ENGLISH[11]
    v1 = ingest(store, "http://origin.example/page", art.paragraphs)
    v2 = ingest(store, "http://origin.example/page", list(art.paragraphs[:-1]),
                fetched_at=T0 + timedelta(days=1))
    assert v2.version == 2 and v2.cluster_id == v1.cluster_id
    v3 = ingest(store, "http://origin.example/page", other.paragraphs, fetched_at=T0 + timedelta(days=2))
    assert v3.version == 3 and v3.cluster_id != v1.cluster_id
    with store.read() as conn:
        assert store.cluster_members(conn, v1.cluster_id) == []  # no latest member left there
        # and the cluster says so: no canonical member, size 0 (not the superseded version's)
        row = conn.execute(select(clusters.c.canonical_id, clusters.c.size)
                           .where(clusters.c.id == v1.cluster_id)).one()
        assert (row.canonical_id, row.size) == (None, 0)
        # superseded versions are nobody's canonical member any more
        old = [store.get_document(v.document_id, conn) for v in (v1, v2)]
        assert [(d.is_latest, d.is_canonical) for d in old] == [(False, False), (False, False)]
    assert store.count_clusters(min_size=1) == 1


# -- what separates a copy from an article that shares text ---------------------------

_TEMPLATE = (
    "The national weather office issued a yellow warning for {region} on {day}, saying gusts of up to "
    "{gust} kilometres an hour were expected along exposed coasts and on high ground from early afternoon. "
    "Forecasters advised drivers of high-sided vehicles to plan their journeys with care and to check "
    "for road closures before setting out, as fallen branches were likely on rural routes.\n\n"
    "Rainfall totals of {rain} millimetres were possible in the wettest places, the office said, with "
    "temperatures falling to {low} degrees overnight. The warning runs until {until} on {day2} and may "
    "be extended if the low pressure system slows as it crosses the country."
)


def test_briefs_from_one_template_with_other_numbers_stay_apart(store):
    a = _TEMPLATE.format(region="the north-west", day="Friday", gust=95, rain=40, low=3, until="18:00",
                         day2="Saturday")
    b = _TEMPLATE.format(region="the islands", day="Sunday", gust=110, rain=25, low=6, until="09:00",
                         day2="Monday")
    sa, sb = Shingled.of(a, DedupConfig()), Shingled.of(b, DedupConfig())
    assert compare(sa, sb).jaccard >= DedupConfig().jaccard_threshold  # the words alone would merge them
    ra = ingest(store, "http://weather.example/a", a.split("\n\n"), config=EAGER)
    assert _proposed(store, ra, b.split("\n\n"))
    rb = ingest(store, "http://weather.example/b", b.split("\n\n"), config=EAGER)
    assert ra.cluster_id != rb.cluster_id
    # a syndicated copy of one brief still joins it
    rc = ingest(store, "http://radio.example/a", ["Via Weather Office"] + a.split("\n\n"), config=EAGER)
    assert rc.outcome == "copy" and rc.cluster_id == ra.cluster_id


# A story without numbers of its own (written for these tests), so that the
# numbers a copy's editor touches are the only ones it states.
_QUIET_STORY = [
    "The ferry between the two halves of the old harbour town stopped running this week, after the boat "
    "that has carried walkers and cyclists across the estuary for a generation failed its annual survey.",
    "The operator said the hull had worn thinner than the inspectors allow, and that a repair would cost "
    "more than the small company earns in a good summer, so the crossing would stay closed until a "
    "replacement vessel could be found or borrowed from another port along the coast.",
    "Shopkeepers on the quieter side of the water said trade had already fallen, because visitors who "
    "used to cross for lunch now drive the long way round or do not come at all, and the cafe by the "
    "slipway has cut its opening hours until the boats return.",
]


def test_a_copy_whose_editor_shortened_a_dated_line_keeps_its_numbers():
    config = DedupConfig()
    original = ["Published on 16 March 2024 in the evening edition, with photographs by Mara Lind and maps "
                "by the graphics desk", *_QUIET_STORY]
    copy = ["Published on 16 March 2024 in the evening edition", *_QUIET_STORY]
    a, b = Shingled.of("\n".join(copy), config), Shingled.of("\n".join(original), config)
    # The original's line is mostly its own words (furniture to the copy), and its numbers are the copy's.
    assert compare(a, b).numbers in (None, 1.0)
    assert is_copy(a, b, config) is not None


def test_a_copy_that_spells_a_name_with_digits_apart_is_still_a_copy():
    config = DedupConfig()
    named = [p.replace("the small company", "the small company Kanal24") for p in _QUIET_STORY]
    apart = [p.replace("Kanal24", "Kanal 24") for p in named]
    a, b = Shingled.of("\n".join(named), config), Shingled.of("\n".join(apart), config)
    assert is_copy(a, b, config) is not None and is_copy(b, a, config) is not None
    # ... while a story that names another number there is not
    other = Shingled.of("\n".join(p.replace("Kanal24", "Kanal 31") for p in named), config)
    assert is_copy(a, other, config) is None


def test_a_copy_that_dropped_a_paragraph_of_numbers_and_carries_furniture_is_still_a_copy():
    config = DedupConfig()
    first, middle, last = _QUIET_STORY
    first = first.replace("for a generation", "for 40 years")
    dropped = ("The survey found corrosion in 12 places along the waterline, and the yard that built the boat "
               "said a new hull would cost about 250,000 crowns and take most of a year to finish.")
    original = [first, middle, dropped, last]
    furniture = ["Sign up for our newsletter to get the top stories of the day", "Related stories",
                 "Lifeboat crew rescues two walkers cut off by the tide",
                 "Council approves plans for a new cycle path along the estuary",
                 "Harbour festival returns after a year away with music and boats",
                 "Fishing fleet counts the cost of a stormy autumn at sea"]
    copy = [first, middle, last, *furniture]
    a, b = Shingled.of("\n".join(copy), config), Shingled.of("\n".join(original), config)
    assert len(a.all) > len(b.all)  # the furniture made the copy the larger text
    assert is_copy(a, b, config) is not None
    # ... also when the paragraph it dropped held all the numbers the story states
    bare = Shingled.of("\n".join([_QUIET_STORY[0], middle, last, *furniture]), config)
    assert is_copy(bare, Shingled.of("\n".join([_QUIET_STORY[0], middle, dropped, last]), config), config)
    # ... while a story stating other numbers in its place is not
    other = [first.replace("40 years", "65 years"), middle, dropped.replace("12 places", "31 places"), last]
    assert is_copy(Shingled.of("\n".join(other), config), b, config) is None


def test_a_number_in_a_related_headline_at_the_end_of_an_excerpt_is_not_its_fact():
    config = DedupConfig()
    first, middle, last = _QUIET_STORY
    original = [first, middle, last.replace("cut its opening hours", "cut its opening hours to 11 a week")]
    # The page furniture after the excerpt ends in a line too short to hold a shingle of its own.
    excerpt = [first, middle, "Continue reading at Harbour Wire", "Most read", "Bypass A31"]
    a, b = Shingled.of("\n".join(excerpt), config), Shingled.of("\n".join(original), config)
    assert is_copy(a, b, config) is not None


def test_two_notices_of_short_lines_sharing_one_line_are_not_copies():
    """Texts made only of short lines (a meeting notice, a list of dates)
    that share one line (a note the site puts on both, a dateline) are
    different texts: their other lines are not page furniture around it."""
    config = DedupConfig()
    shared = "A note from the desk: this notice is shared with the partner papers of the coast."
    meeting = [shared, "The next meeting of the harbour society is on the first Wednesday of March.",
               "It begins at seven in the upstairs room of the Anchor on Quay Street.",
               "New members are welcome, and there is tea and cake after the talk.",
               "Minutes of earlier meetings are kept in the library's local history room."]
    market = [shared, "The Saturday market moves to the car park behind the town hall from April.",
              "Stalls open at eight and the last traders pack up by two in the afternoon.",
              "Parking for shoppers is free in the multi-storey on market days only.",
              "Traders who want a pitch should write to the market office before the end of March."]
    a, b = Shingled.of("\n".join(meeting), config), Shingled.of("\n".join(market), config)
    assert is_copy(a, b, config) is None and is_copy(b, a, config) is None
    # ... while the same notice under another note is still a copy of it
    renoted = ["Republished with thanks from the Harbour Post."] + meeting[1:]
    assert is_copy(Shingled.of("\n".join(renoted), config), a, config) is not None


def test_briefs_from_one_template_stay_apart_when_one_states_fewer_numbers():
    """The longer of two briefs from one template states fewer numbers of its
    own (one spelled out, one left out): its numbers being among the other's
    says nothing; the other's are not all in it."""
    config = DedupConfig()
    report = ("{home} beat {away} by three goals to one at {ground} on Saturday in the {year} league, with two "
              "goals in the second half after a slow start in which neither side managed a shot on target. "
              "The home side's manager said afterwards that the players had stuck to the plan and deserved the "
              "points, and that the squad would now rest before the cup tie next weekend.{extra}")
    a = report.format(home="Harbour City", away="Northfield", ground="the Quay Ground", year=2024,
                      extra=" The visitors' coach said his team had been beaten by the better side on the day "
                            "and would have to improve quickly.")
    b = report.format(home="Westport", away="Eastvale", ground="Mill Park", year=2024,
                      extra=" A crowd of 12,500 watched, and 47 police officers were on duty.")
    sa, sb = Shingled.of(a, config), Shingled.of(b, config)
    assert compare(sa, sb).jaccard >= config.jaccard_threshold  # the words alone would merge them
    assert is_copy(sa, sb, config) is None and is_copy(sb, sa, config) is None


def test_a_story_opening_with_another_stories_lead_stays_apart(store):
    wire = ENGLISH[0]
    own = ("At the Seafarers' Mission on Dock Road, volunteers served soup to crews who had been kept "
           "aboard for days, because the gangway staff who sign them off were among the strikers.")
    original = ingest(store, "http://agency.example/strike", wire.paragraphs, config=EAGER)
    assert _proposed(store, original, [wire.paragraphs[0], own])
    other = ingest(store, "http://local.example/mission", [wire.paragraphs[0], own], config=EAGER)
    assert other.outcome == "stored" and other.cluster_id != original.cluster_id


def test_an_excerpt_with_page_furniture_left_in_its_text_is_still_a_copy(store):
    art = ENGLISH[2]
    excerpt = list(art.paragraphs[:1]) + ["Continue reading at Harbour Wire"]  # a one-paragraph excerpt
    furniture = ["Share this story on social media or send it by email",
                 "Sign up for our morning newsletter",
                 "Related: " + " ".join(ENGLISH[5].paragraphs[0].split()[:8]),
                 "Related: " + " ".join(ENGLISH[6].paragraphs[0].split()[:8]),
                 "Related: " + " ".join(ENGLISH[7].paragraphs[0].split()[:8])]
    leaky = furniture[:1] + excerpt + furniture[1:]
    bare = replace(DedupConfig(), furniture_tokens=0)  # furniture counted like text
    assert compare(Shingled.of("\n\n".join(leaky), bare), Shingled.of(art.text, bare)).containment \
        < bare.containment_threshold  # the trap is real
    original = ingest(store, "http://origin.example/full", art.paragraphs)
    copy = ingest(store, "http://aggregator.example/excerpt", leaky)
    assert copy.outcome == "copy" and copy.cluster_id == original.cluster_id


def test_a_story_reusing_the_first_two_paragraphs_then_its_own_stays_apart_but_an_excerpt_joins(store):
    wire = ENGLISH[3]
    own = ("Volunteers at the community centre on Bridge Lane sorted donated blankets and tinned food into "
           "crates through the night, and a bakery on the high street sent two vans of bread each morning.")
    original = ingest(store, "http://agency.example/flood", wire.paragraphs, config=EAGER)
    assert _proposed(store, original, [*wire.paragraphs[:2], own])
    other = ingest(store, "http://local.example/volunteers", [*wire.paragraphs[:2], own], config=EAGER)
    excerpt = ingest(store, "http://aggregator.example/flood",
                     [*wire.paragraphs[:2], "Continue reading at Agency"], config=EAGER)
    assert other.outcome == "stored" and other.cluster_id != original.cluster_id
    assert excerpt.outcome == "copy" and excerpt.cluster_id == original.cluster_id
    # the excerpt is inside both stories, but it must not fuse their clusters
    assert store.find_document("http://local.example/volunteers").cluster_id != excerpt.cluster_id


@pytest.mark.parametrize("order", range(6))
def test_two_stories_opening_with_one_wire_lead_never_fuse_whatever_arrives_first(store, order):
    # Two different stories open with the same two agency paragraphs, then go
    # on with their own reporting. An excerpt of that lead is inside both.
    # Whatever arrives first (the excerpt, either story, a copy), the two
    # stories must end in different clusters, each with its own copy.
    wire, other = ENGLISH[3], ENGLISH[8]
    story_a = list(wire.paragraphs)
    story_b = [*wire.paragraphs[:2], *other.paragraphs[1:]]
    rng = random.Random(order)
    _t, copy_a, _a = make_copy("wire", story_a, rng)
    _t, copy_b, _a = make_copy("wire", story_b, rng)
    docs = [("http://agency.example/a", story_a, "Flood waters rise along the river valley"),
            ("http://local.example/b", story_b, "Valley towns count the cost as schools close"),
            ("http://aggregator.example/lead", [*wire.paragraphs[:2], "Continue reading at Agency"],
             "Flood waters rise along the valley"),
            ("http://mirror.example/a", copy_a, None),
            ("http://mirror.example/b", copy_b, None)]
    if order:
        random.Random(order).shuffle(docs)
    else:
        docs.insert(0, docs.pop(2))  # the ambiguous excerpt first
    for i, (url, paragraphs, title) in enumerate(docs):
        text = "\n\n".join(paragraphs)
        page = Page(url=url, status=200, headers={"content-type": "text/html"}, body=text.encode(),
                    fetched_at=T0 + timedelta(minutes=i))
        prepared = Prepared(page=page, page_hash=page_hash(page.body),
                            article=Article(url=url, text=text, title=title),
                            fingerprint=fingerprint(text, DedupConfig()))
        commit(prepared, store)
    cluster = {url: store.find_document(url).cluster_id for url, _p, _t in docs}
    assert cluster["http://agency.example/a"] != cluster["http://local.example/b"]
    assert cluster["http://mirror.example/a"] == cluster["http://agency.example/a"]
    assert cluster["http://mirror.example/b"] == cluster["http://local.example/b"]
    # the excerpt joins one of them and fuses nothing; its headline says which, whatever
    # arrived first (one that went with the other story moves when its own arrives)
    assert cluster["http://aggregator.example/lead"] == cluster["http://agency.example/a"]
    with store.read() as conn:
        sizes = {cid: len(store.cluster_members(conn, cid)) for cid in set(cluster.values())}
    assert sizes == {cluster["http://agency.example/a"]: 3, cluster["http://local.example/b"]: 2}


def test_a_blog_post_quoting_the_whole_story_with_a_comment_is_a_copy(store):
    art = ENGLISH[1]
    comment = ("Our take: this is the third stoppage at the port in five years, and each time the same "
               "promise about night shifts has been made and broken. Readers can tell us what they think below.")
    original = ingest(store, "http://origin.example/story", art.paragraphs)
    post = ingest(store, "http://blog.example/our-take", [comment, *art.paragraphs], attribution="H/T Origin")
    assert post.outcome == "copy" and post.cluster_id == original.cluster_id


SHORT_STORY = [
    "Harbour pilots in Kellmouth will board every cargo ship longer than 200 metres from Monday, the port "
    "authority said, after two groundings in the outer channel this winter.",
    "The authority's chief pilot, Ines Barrow, said the channel had silted faster than the dredging plan "
    "assumed, and that the buoys marking its edge would be moved twenty metres east by the end of the month.",
    "Shipping lines will pay a flat boarding fee of 640 euros per call. Two lines that use the port weekly said "
    "they would pass the cost on to the importers whose containers they carry.",
]


def _page(url: str, html: str, when: datetime) -> Page:
    return Page(url=url, status=200, headers={"content-type": "text/html; charset=utf-8"}, body=html.encode(),
                fetched_at=when)


@pytest.mark.parametrize("ending", ["Continue reading at Kellmouth Tide", "[\u2026] Continue reading on Kellmouth Tide",
                                    "... Read the full story at Kellmouth Tide"])
@pytest.mark.parametrize("excerpt_first", [True, False], ids=["excerpt-first", "full-first"])
def test_a_one_paragraph_excerpt_that_names_its_source_joins_even_under_the_minimum_length(store, excerpt_first,
                                                                                            ending):
    """Its text (about 170 characters) is under the 250 a page needs to be an
    article, but the page says it is a republished copy, so it is kept and
    joins the story it was cut from; the same paragraph naming no source,
    on a page where trafilatura too reads less than 250 characters, is
    rejected as too short."""
    from crawler.ingest.ingest import ingest_page
    from tests.sampleweb.templates import render_article_page

    full = _page("http://kellmouth-tide.example/pilots", render_article_page(
        "newspaper", title="Pilots to board every large ship at Kellmouth", paragraphs=SHORT_STORY,
        site_name="Kellmouth Tide", url="http://kellmouth-tide.example/pilots"), T0)
    excerpt = _page("http://coastwatch.example/pilots", render_article_page(
        "wordpress", title="Kellmouth brings in compulsory pilotage", paragraphs=SHORT_STORY[:1],
        site_name="Coast Watch", url="http://coastwatch.example/pilots",
        attribution=ending), T0 + timedelta(minutes=5))
    bare = _page("http://quiet.example/pilots", render_article_page(
        "minimal", title="Kellmouth brings in compulsory pilotage", paragraphs=SHORT_STORY[:1],
        site_name="Quiet Blog", url="http://quiet.example/pilots"), T0)
    first, second = (excerpt, full) if excerpt_first else (full, excerpt)
    r1, r2 = ingest_page(first, store), ingest_page(second, store)
    assert r1.outcome != "rejected" and r2.outcome != "rejected"
    assert r1.cluster_id == r2.cluster_id
    [(_cid, size, canonical)] = store.clusters()
    assert size == 2 and canonical.url == "http://kellmouth-tide.example/pilots"
    kept = store.find_document("http://coastwatch.example/pilots")
    assert kept.attribution == ending and kept.text == SHORT_STORY[0]
    rejected = ingest_page(bare, store)
    assert rejected.outcome == "rejected" and rejected.reason.startswith("too_short")


# A story whose first paragraph is one sentence of about 20 words: under the
# 20 shingles a text needs to match by similarity (`DedupConfig.min_shingles`).
FERRY_STORY = [
    "The ferry between Kellmouth and Arvel Island will run twice daily from early June, its operator announced "
    "on Friday.",
    "Islanders had asked for a second crossing since the winter timetable left them without a boat after "
    "noon, and the council agreed to pay for the extra fuel for a trial of eighteen months.",
    "The operator said the morning boat would keep its present times, and that the new afternoon crossing "
    "would leave the island at four and return from Kellmouth at half past five.",
]


def _ferry_page(url: str, title: str, paragraphs, site: str, when: datetime, attribution: str | None = None,
                template: str = "newspaper") -> Page:
    from tests.sampleweb.templates import render_article_page

    return _page(url, render_article_page(template, title=title, paragraphs=paragraphs, site_name=site, url=url,
                                          attribution=attribution), when)


@pytest.mark.parametrize("excerpt_first", [True, False], ids=["excerpt-first", "full-first"])
def test_a_one_sentence_excerpt_that_names_its_source_joins_its_story(store, excerpt_first):
    """An aggregator's excerpt of only the first sentence (about 20 words,
    under the minimum size for similarity) that names its source still
    joins the story it was cut from, whichever arrives first."""
    from crawler.ingest.ingest import ingest_page

    assert len(shingled(FERRY_STORY[0], DedupConfig()).all) < DedupConfig().min_shingles
    full = _ferry_page("http://kellmouth-tide.example/ferry", "Second daily ferry for Arvel Island", FERRY_STORY,
                       "Kellmouth Tide", T0)
    excerpt = _ferry_page("http://islands-digest.example/ferry", "Arvel Island gets an afternoon boat",
                          FERRY_STORY[:1], "Islands Digest", T0 + timedelta(minutes=5),
                          attribution="Continue reading at Kellmouth Tide", template="wordpress")
    first, second = (excerpt, full) if excerpt_first else (full, excerpt)
    r1, r2 = ingest_page(first, store), ingest_page(second, store)
    assert r1.outcome != "rejected" and r2.outcome != "rejected", (r1.line(), r2.line())
    assert r1.cluster_id == r2.cluster_id
    [(_cid, size, canonical)] = store.clusters()
    assert size == 2 and canonical.url == "http://kellmouth-tide.example/ferry"


# A story whose first paragraph is one short sentence: under 100 characters.
MOORING_STORY = [
    "Kellmouth harbour will charge visiting yachts a new nightly fee from the first of May.",
    "The harbour board said the fee would pay for a second pontoon and for the dredging of the inner basin, "
    "which has silted up faster than expected since the breakwater was extended.",
    "Local sailing clubs will be exempt for the first season while the board reviews how many berths the "
    "visitors take up in the busiest weeks of the summer.",
]


def test_an_excerpt_of_a_sentence_under_a_hundred_characters_that_names_its_source_joins_its_story(store):
    """A republished first sentence of 86 characters, with its "Continue
    reading at" line: long enough to be matched as an excerpt, so it is
    kept and joins its story; without the line naming its source the same
    page is rejected as too short."""
    from crawler.ingest.ingest import ingest_page

    lede = MOORING_STORY[0]
    assert len(lede) < 100 and len(shingled(lede, DedupConfig()).all) >= DedupConfig().min_excerpt_shingles
    full = _ferry_page("http://kellmouth-tide.example/moorings", "Visiting yachts to pay for moorings",
                       MOORING_STORY, "Kellmouth Tide", T0)
    excerpt = _ferry_page("http://sailing-digest.example/moorings", "Mooring fee for visitors at Kellmouth",
                          MOORING_STORY[:1], "Sailing Digest", T0 + timedelta(minutes=5),
                          attribution="Continue reading at Kellmouth Tide", template="wordpress")
    bare = _ferry_page("http://quiet.example/moorings", "Mooring fee for visitors at Kellmouth",
                       MOORING_STORY[:1], "Quiet Blog", T0, template="minimal")
    r1, r2 = ingest_page(full, store), ingest_page(excerpt, store)
    assert r2.outcome != "rejected", r2.line()
    assert r1.cluster_id == r2.cluster_id
    assert store.find_document("http://sailing-digest.example/moorings").text == lede
    rejected = ingest_page(bare, store)
    assert rejected.outcome == "rejected" and rejected.reason.startswith("too_short")


# A post of short lines (a recipe blog's way of writing) that come back to
# the words of its opening paragraph.
TART_POST = [
    "Try this lemon curd tart once and you will make it every spring. It is sharp and silky and lighter than "
    "the heavy custard tarts of the bakery, and it sets without any gelatine at all.",
    "Try this lemon curd tart once and you will know why the whole street asks me for the recipe every Easter.",
    "It is sharp and silky and nothing like the tins of custard my grandmother kept in the larder for visitors.",
    "Lighter than the heavy custard tarts of the bakery on the corner, it keeps for two days in the fridge.",
    "It sets without any gelatine at all if you give the curd a full night in the cold.",
    "The pastry is the only part that needs patience: rest it twice, once after mixing and once after lining the "
    "tin, or it will shrink away from the sides in the oven and the curd will run out underneath.",
    "For the curd, whisk four eggs with the juice and zest of three lemons and a cup of sugar over a gentle heat, "
    "stirring all the time until it coats the back of a spoon, then beat in the butter a piece at a time.",
]


def test_a_paragraph_excerpt_of_a_post_whose_short_lines_repeat_its_words_joins_the_post(store):
    """The excerpt's shingles recur in short lines of the post that the
    excerpt lacks (lines the comparison sets aside as possible furniture):
    they are found in the post all the same, and the excerpt joins it."""
    excerpt, post = shingled(TART_POST[0], DedupConfig()), shingled("\n".join(TART_POST), DedupConfig())
    in_short_lines = set().union(*(ids for _line, ids in post.short_lines))
    assert 3 * len(excerpt.all & in_short_lines) > len(excerpt.all)  # a third of the excerpt recurs there
    story = ingest(store, "http://lemon-kitchen.example/tart", TART_POST)
    copy = ingest(store, "http://recipe-digest.example/tart", TART_POST[:1],
                  attribution="Continue reading at Lemon Kitchen")
    assert story.outcome == "stored" and copy.outcome == "copy"
    assert copy.cluster_id == story.cluster_id


def test_an_excerpt_naming_its_source_too_short_in_words_to_match_its_story_is_rejected_not_stored_apart(store):
    """A republished first sentence of 90 characters in nine long words is
    under the dozen words the dedup needs to find its story: it is rejected
    as too short, with that reason, rather than stored as a story of its
    own beside the one it was cut from."""
    from crawler.ingest.ingest import ingest_page

    story = ["Kellmouth councillors unanimously approved redeveloping dilapidated waterfront warehouses.",
             *MOORING_STORY[1:]]
    assert 80 <= len(story[0]) < 100 and len(shingled(story[0], DedupConfig()).all) < DedupConfig().min_excerpt_shingles
    full = _ferry_page("http://kellmouth-tide.example/sheds", "Waterfront sheds to become flats", story,
                       "Kellmouth Tide", T0)
    excerpt = _ferry_page("http://harbour-digest.example/sheds", "Waterfront sheds to become flats", story[:1],
                          "Harbour Digest", T0 + timedelta(minutes=5),
                          attribution="Continue reading at Kellmouth Tide", template="wordpress")
    assert ingest_page(full, store).outcome == "stored"
    result = ingest_page(excerpt, store)
    assert result.outcome == "rejected" and result.reason.startswith("too_short")
    assert "matched to the story" in result.reason


def test_a_one_sentence_text_that_shares_only_part_of_a_storys_first_sentence_stays_apart(store):
    """Half a sentence in common (the same place, the same operator) is a
    story on the same subject, not an excerpt: a short text must be nearly
    all found in the story to join it."""
    other = ("The ferry between Kellmouth and Arvel Island will stop for three weeks of repairs in March, its "
             "operator said on Friday.")
    assert len(shingled(other, DedupConfig()).all) < DedupConfig().min_shingles
    story = ingest(store, "http://kellmouth-tide.example/ferry", FERRY_STORY)
    note = ingest(store, "http://islands-digest.example/repairs", [other],
                  attribution="Continue reading at Kellmouth Tide")
    assert story.outcome == "stored" and note.outcome == "stored"
    assert note.cluster_id != story.cluster_id


@pytest.mark.parametrize("order", range(6))
def test_a_one_sentence_wire_lede_in_two_stories_joins_one_and_fuses_nothing(store, order):
    """Two stories open with one agency sentence and go on with their own
    reporting; a one-sentence excerpt of that lede is inside both. Whatever
    arrives first, the stories stay apart, and the excerpt goes with the
    story its headline names."""
    import itertools

    lede = FERRY_STORY[0]
    own = ("Fishermen on the island said the timetable change would let them land their catch in Kellmouth the "
           "same afternoon, instead of keeping it on ice overnight in the harbour sheds.")
    docs = [("http://agency.example/ferry", FERRY_STORY, "Second daily ferry for Arvel Island"),
            ("http://local.example/fish", [lede, own, *ENGLISH[8].paragraphs[1:3]],
             "Fishermen welcome the afternoon boat"),
            ("http://digest.example/ferry", [lede], "Second daily ferry for Arvel")]
    for i, (url, paragraphs, title) in enumerate(list(itertools.permutations(docs))[order]):
        text = "\n\n".join(paragraphs)
        page = Page(url=url, status=200, headers={"content-type": "text/html"}, body=text.encode(),
                    fetched_at=T0 + timedelta(minutes=i))
        attribution = "Continue reading at Agency" if url.startswith("http://digest") else None
        prepared = Prepared(page=page, page_hash=page_hash(page.body),
                            article=Article(url=url, text=text, title=title, attribution=attribution),
                            fingerprint=fingerprint(text, DedupConfig()))
        commit(prepared, store)
    cluster = {url: store.find_document(url).cluster_id for url, _p, _t in docs}
    assert cluster["http://agency.example/ferry"] != cluster["http://local.example/fish"]
    assert cluster["http://digest.example/ferry"] == cluster["http://agency.example/ferry"]
    with store.read() as conn:
        assert len(store.cluster_members(conn, cluster["http://local.example/fish"])) == 1


def _commit_titled(store: Store, url: str, paragraphs, title: str, minute: int, attribution: str | None = None):
    text = "\n\n".join(paragraphs)
    page = Page(url=url, status=200, headers={"content-type": "text/html"}, body=text.encode(),
                fetched_at=T0 + timedelta(minutes=minute))
    prepared = Prepared(page=page, page_hash=page_hash(page.body),
                        article=Article(url=url, text=text, title=title, attribution=attribution),
                        fingerprint=fingerprint(text, DedupConfig()))
    return commit(prepared, store)


# Two stories that open with one agency paragraph, then their own reporting.
QUAKE_LEDE = ("A moderate earthquake shook the hill country around Tollan before dawn on Wednesday, cracking walls "
              "and bringing down chimneys in a dozen villages, the national seismic office said.")
QUAKE_SCHOOLS = [QUAKE_LEDE,
                 "In Tollan itself every school stayed closed while council engineers went from building to building, "
                 "and parents were told that classes would resume only once each gym and hall had been signed off.",
                 "The head of the largest primary school said a crack had opened above the stage in its hall, and that "
                 "the pupils would be taught in the library of the town until the roof had been checked."]
QUAKE_DERBY = [QUAKE_LEDE,
               "The football league called off the weekend derby between the two Tollan clubs, whose shared ground "
               "needs an inspection of its main stand, and said a new date would follow the engineers' report.",
               "Supporters of both clubs have turned the clubhouse into a store for blankets and drinking water for "
               "families who spent the night in their cars."]


@pytest.mark.parametrize("story_title,excerpt_title,copy_title", [
    ("Tollan schools stay closed while engineers inspect damage", "Tollan schools stay closed: what we know so far",
     "Derby called off: what we know so far"),
])
def test_an_excerpt_stays_with_its_story_when_another_storys_copy_shares_its_headline_formula(
        store, story_title, excerpt_title, copy_title):
    """An aggregator's one-paragraph excerpt of the schools story, headlined
    with a desk formula (": what we know so far"), joins the schools story.
    A copy of the football story arriving later under the same formula
    shares its short words with the excerpt's headline; the excerpt stays
    with the story its headline names."""
    _commit_titled(store, "http://tollan-news.example/schools", QUAKE_SCHOOLS, story_title, 0)
    _commit_titled(store, "http://tollan-sport.example/derby", QUAKE_DERBY, "Tollan derby called off after quake", 1)
    excerpt = _commit_titled(store, "http://digest.example/schools", QUAKE_SCHOOLS[:1], excerpt_title, 2,
                             attribution="Continue reading at Tollan News")
    schools = store.find_document("http://tollan-news.example/schools").cluster_id
    assert excerpt.cluster_id == schools
    copy = _commit_titled(store, "http://sport-wire.example/derby", QUAKE_DERBY, copy_title, 3)
    assert copy.cluster_id == store.find_document("http://tollan-sport.example/derby").cluster_id != schools
    assert store.find_document("http://digest.example/schools").cluster_id == schools


# Two stories on one energy shock that open with one agency sentence.
GAS_LEDE = ("Wholesale gas and heating oil prices jumped again on Monday after a pipeline fault cut supplies "
            "from the north, traders in the regional energy market said.")
GAS_TARIFFS = [GAS_LEDE,
               "The regulator told suppliers that household tariffs could follow from the first of May, when the "
               "next price cap is set, and asked them to warn customers in writing before any change.",
               "Consumer groups said families who heat their homes with oil would feel it first, since their "
               "deliveries are priced weekly rather than fixed for a season."]
GAS_GLASSWORKS = [GAS_LEDE,
                  "Factories that run furnaces around the clock began to cut shifts, and two glassworks on the "
                  "coast said they would close their second line until the pipeline is repaired.",
                  "Union officials asked the government to extend the energy support scheme for heavy industry, "
                  "which ends in the spring, and warned that hundreds of jobs were at risk.",
                  "Engineers expect the fault to take at least a fortnight to fix because the damaged section "
                  "lies under a river crossing that can only be reached by boat."]


@pytest.mark.parametrize("excerpt_first", [False, True], ids=["stories-first", "excerpt-first"])
def test_an_excerpt_under_its_storys_headline_of_short_words_joins_that_story(store, excerpt_first):
    """The excerpt of the shared lede carries the tariffs story's headline,
    every word of it under four letters: it joins the tariffs story, not
    the longer glassworks story, whichever arrives first."""
    title = "Gas and oil to go up 9% in May"
    docs = [("http://energy-desk.example/tariffs", GAS_TARIFFS, title, None),
            ("http://industry-news.example/glass", GAS_GLASSWORKS, "Glassworks shut lines as pipeline fault hits "
             "furnaces", None),
            ("http://digest.example/gas", [GAS_LEDE], title, "Continue reading at Energy Desk")]
    if excerpt_first:
        docs = [docs[2], docs[1], docs[0]]
    for minute, (url, paragraphs, headline, attribution) in enumerate(docs):
        _commit_titled(store, url, paragraphs, headline, minute, attribution=attribution)
    tariffs = store.find_document("http://energy-desk.example/tariffs").cluster_id
    assert store.find_document("http://digest.example/gas").cluster_id == tariffs
    assert store.find_document("http://industry-news.example/glass").cluster_id != tariffs


def test_two_stories_in_short_lines_sharing_a_lede_and_stock_phrases_stay_apart(store):
    """Two stories written in one-sentence paragraphs (every line short)
    open with one agency sentence and go on with their own reporting, in
    phrases of the trade they share ("while engineers checked"): two
    articles, not a copy."""
    lede = "A moderate earthquake shook the hill country around Tollan before dawn on Wednesday, the seismic office said."
    schools = [lede,
               "Every school in Tollan stayed closed on Wednesday while council engineers checked the buildings.",
               "Parents were told by text message that classes would resume once each hall had been signed off.",
               "The head of the largest primary said a crack had opened above the stage, the council said.",
               "Pupils will be taught in the town library until the roof has been checked by engineers."]
    derby = [lede,
             "The football league called off the weekend derby on Wednesday while engineers checked the stand.",
             "Supporters were told by the clubs that tickets would be honoured once a new date had been set.",
             "The groundsman said a crack had opened along the roof of the main stand, the league said.",
             "Both clubs will train at the college pitches until the stadium has been checked by engineers."]
    first = _commit_titled(store, "http://tollan-news.example/schools", schools, "Tollan schools stay closed", 0)
    second = _commit_titled(store, "http://tollan-sport.example/derby", derby, "Tollan derby called off", 1)
    assert second.outcome == "stored" and second.cluster_id != first.cluster_id


@pytest.mark.parametrize("last", ["digest", "snip"])
def test_an_excerpt_of_a_shared_lede_ends_with_the_same_story_whatever_comes_last(store, last):
    """Two stories open with one lede; an aggregator posts the lede with the
    next paragraph of one of them (a part of that story), and another the
    lede alone, both under a headline neither story shares. The lede alone
    ends with the same story whether it or the longer excerpt arrives last
    (the fuller story, as no headline tells): the longer excerpt, a part of
    its story, does not lend its headline to it."""
    lede = ("Heavy rain flooded the lower town of Brackwater overnight on Sunday, forcing dozens of households "
            "to leave their homes as the river burst its banks, the county fire service said.")
    schools = [lede, "Three primary schools on the river side of Brackwater will stay shut until Thursday, and the "
               "county asked parents to keep children away from the embankment paths while the water rises.",
               "The education office said the pupils could use the hall of the secondary school on the hill, where "
               "teachers are setting up lessons for the older classes from Tuesday.",
               "Cleaning crews will start pumping out the school basements once the river drops below the warning "
               "level, and the county has asked the army for two more pumps."]
    trains = [lede, "Rail services between Brackwater and the coast were suspended after the line near the old mill "
              "was washed out, and the operator said replacement buses would run for at least a week.",
              "Engineers walked the damaged stretch on Monday and found that a culvert under the track had "
              "collapsed, taking part of the ballast and one signal cabinet with it.",
              "Commuters queued for more than an hour at the square for the first buses, which left half full "
              "because many could not reach the stop through the flooded streets.",
              "The operator promised refunds for season ticket holders and asked travellers to check the timetable "
              "online before setting out for the station this week."]
    _commit_titled(store, "http://river-post.example/schools", schools, "Brackwater schools shut as river rises", 0)
    _commit_titled(store, "http://rail-daily.example/trains", trains, "Washed-out line halts coastal trains", 1)
    excerpts = {"digest": ("http://digest.example/flood", schools[:2]), "snip": ("http://snips.example/flood", [lede])}
    for minute, key in enumerate(sorted(excerpts, key=lambda k: k == last), start=2):
        url, paragraphs = excerpts[key]
        _commit_titled(store, url, paragraphs, "Flood latest: classes cancelled", minute,
                       attribution="Continue reading at River Post")
    trains_cluster = store.find_document("http://rail-daily.example/trains").cluster_id
    assert store.find_document("http://snips.example/flood").cluster_id == trains_cluster  # the fuller story
    assert store.find_document("http://digest.example/flood").cluster_id == \
        store.find_document("http://river-post.example/schools").cluster_id != trains_cluster


# Band keys are stored: a store written by an earlier release must keep
# matching the pages a later release fingerprints. These digests were
# recorded from the release before the fingerprint code was last tuned for
# speed; a change to normalisation, tokens, shingles or hashing shows here.
_STORED_KEY_TEXTS = [
    (" ".join(f"The harbour board approved 1,250,{i:03d} in repairs on day {i}, after the storm of 3.{i} metres "
              f"surged past the old sea wall." for i in range(30)),
     "2adc060e3625f6c0", "57b984cd4d38f520"),
    ("市議会は火曜日、港の防波堤を修理する予算を承認した。嵐で被害を受けた地域の住民は安心している。" * 10,
     "e5fed91acbe47232", "4093f0d05f4831dc"),
    (" ".join(f"Les élus du canton n° {i} ont voté « oui » — à l’unanimité — pour réparer la digue {i * 7} "
              f"du port après la tempête de l’hiver {1990 + i}." for i in range(30)),
     "4e2e103eb134740d", "2b531eeb3c93730f"),
]


def test_the_settings_name_a_store_records_is_the_earlier_releases():
    """A store records `fingerprint_id()` and refuses band keys made under
    another: it must stay what earlier releases recorded, and thresholds
    applied to stored texts (which change no band key) must not enter it."""
    assert DedupConfig().fingerprint_id() == (
        "v1;shingle=3;chargram=2;ids=crc32-mix64;full=16x3;lead=60:20x3;min=20;seed=1;"
        "minhash=datasketch-affine32;bandkey=blake2b64;opening=10")
    thresholds = replace(DedupConfig(), merge_jaccard=0.9, jaccard_threshold=0.6, excerpt_ratio=0.5)
    assert thresholds.fingerprint_id() == DedupConfig().fingerprint_id()


@pytest.mark.parametrize("text,text_hash,keys_digest", _STORED_KEY_TEXTS, ids=["digits", "japanese", "french"])
def test_band_keys_match_those_an_earlier_release_stored(text, text_hash, keys_digest):
    fp = fingerprint(text)
    # The keys earlier releases made (whole text, lead, opening) keep their values and places;
    # the line openings come after them.
    earlier = DedupConfig().bands + DedupConfig().lead_bands + 1
    assert len(fp.band_keys) == earlier + 2
    assert fp.text_hash[:16] == text_hash
    assert hashlib.sha256(repr(fp.band_keys[:earlier]).encode()).hexdigest()[:16] == keys_digest


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_signatures_are_datasketchs_minhash_of_the_shingle_ids(scheme):
    """The band keys are named after datasketch's MinHash (`fingerprint_id`):
    the signature computed without its MinHash object must be the one that
    object holds after an update with the same ids, whatever the ids."""
    import numpy as np
    from datasketch import MinHash

    from crawler.ingest.dedup import _minhash_values

    rng = np.random.default_rng(3)
    for size in (1, 2, 20, 61, 700, 5000):
        ids = np.unique(rng.integers(0, 1 << 32, size, dtype=np.uint64).astype(np.uint32))
        ids[0] = 0  # the extremes of the range too
        ids[-1] = 0xFFFFFFFF
        for num_perm, seed in ((48, 1), (60, 2), (7, 99)):
            expected = MinHash(num_perm=num_perm, seed=seed, scheme=scheme, hashfunc=lambda v: v)
            expected.update_batch(ids.tolist())
            got = _minhash_values(ids, num_perm, seed, scheme)
            assert got.tolist() == expected.hashvalues.tolist(), (size, num_perm, seed)


# -- the index of an earlier release, and a retention window ------------------------

def _as_earlier_release(store: Store, layout: str) -> None:
    """Give `store` the index layout of an earlier release: on PostgreSQL
    each document's 64-bit band keys (recomputed from its text) sorted into
    one lsh_docs array under a GIN index ("arrays"), or one lsh_bands row
    per (band key, document) and no lsh_docs ("rows"), and no lsh_keys; on
    both, no index on documents.fetched_at."""
    from sqlalchemy import text

    with store.write() as conn:
        conn.execute(text("DROP INDEX ix_documents_fetched_at"))
        if store.is_sqlite:
            return
        indexed = [doc_id for (doc_id,) in conn.execute(text("SELECT doc_id FROM lsh_keys"))]
        keys = {d.id: sorted(set(fingerprint(d.text).band_keys)) for d in store.get_documents(indexed, conn)}
        conn.execute(text("DROP TABLE lsh_keys"))
        if layout == "arrays":
            conn.execute(text("INSERT INTO lsh_docs (doc_id, band_keys) VALUES (:d, :k)"),
                         [{"d": doc_id, "k": k} for doc_id, k in keys.items()])
            return
        conn.execute(text("DROP TABLE lsh_docs"))
        conn.execute(text("CREATE TABLE lsh_bands (key BIGINT NOT NULL, doc_id INTEGER NOT NULL, "
                          "PRIMARY KEY (key, doc_id))"))
        conn.execute(text("INSERT INTO lsh_bands (key, doc_id) VALUES (:k, :d)"),
                     [{"k": k, "d": doc_id} for doc_id, ks in keys.items() for k in ks])


def _in_table(store: Store, table: str) -> int:
    from sqlalchemy import text

    with store.read() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


@pytest.mark.parametrize("layout", ["arrays", "rows"])
def test_a_store_indexed_by_an_earlier_release_opens_and_finds_its_documents(data_dir, database_url, layout):
    from crawler.ingest.reindex import reindex

    if database_url is None and layout == "rows":
        pytest.skip("SQLite has had one index layout: the arrays case covers it")
    art = ENGLISH[4]
    with Store(database_url, data_dir) as first:
        original = ingest(first, "http://origin.example/early", art.paragraphs)
        other = ingest(first, "http://origin.example/other", ENGLISH[5].paragraphs)
        _as_earlier_release(first, layout)
    _t, paragraphs, attribution = make_copy("trimmed", list(art.paragraphs), random.Random(4))
    with Store(database_url, data_dir) as upgraded:
        copy = ingest(upgraded, "http://copy.example/early", paragraphs, attribution=attribution)
        assert copy.outcome == "copy" and copy.cluster_id == original.cluster_id
        assert members(upgraded, copy) == {"http://origin.example/early", "http://copy.example/early"}
        assert upgraded.index_size()[1] == 3  # both old documents kept their place in the index, and the copy
        assert upgraded.get_document(other.document_id).cluster_id == other.cluster_id
        if not upgraded.is_sqlite:  # the old documents in the earlier table, the new one by band position
            assert (_in_table(upgraded, "lsh_docs"), _in_table(upgraded, "lsh_keys")) == (2, 1)
    with Store(database_url, data_dir) as again:  # opened once more: nothing to move, nothing lost
        assert again.index_size()[1] == 3
        assert reindex(again, DedupConfig()) == 3
        if not again.is_sqlite:  # every key recomputed into band positions
            assert (_in_table(again, "lsh_docs"), _in_table(again, "lsh_keys")) == (0, 3)
        _t, paragraphs, attribution = make_copy("wire", list(art.paragraphs), random.Random(5))
        late = ingest(again, "http://late.example/early", paragraphs, attribution=attribution)
        assert late.outcome == "copy" and late.cluster_id == original.cluster_id
        assert again.index_size()[1] == 4


def _retention(days: int | None) -> IngestConfig:
    return IngestConfig(dedup=replace(DedupConfig(), index_retention_days=days))


@pytest.mark.parametrize("days", [None, 7])
def test_with_a_retention_window_an_old_story_no_longer_gathers_new_copies(store, tmp_path, days):
    from storage.snapshot import write_snapshot

    now = datetime.now(timezone.utc)
    config = _retention(days)
    old_art, recent_art = ENGLISH[6], ENGLISH[7]
    old = ingest(store, "http://origin.example/old", old_art.paragraphs, fetched_at=now - timedelta(days=30),
                 config=config)
    recent = ingest(store, "http://origin.example/recent", recent_art.paragraphs,
                    fetched_at=now - timedelta(days=2), config=config)
    rng = random.Random(6)
    copies = {}
    for name, art in (("old", old_art), ("recent", recent_art)):
        _t, paragraphs, attribution = make_copy("trimmed", list(art.paragraphs), rng)
        copies[name] = ingest(store, f"http://copy.example/{name}", paragraphs, attribution=attribution,
                              fetched_at=now, config=config)
    assert copies["recent"].cluster_id == recent.cluster_id  # inside the window either way
    if days is None:
        assert copies["old"].cluster_id == old.cluster_id
    else:
        assert copies["old"].outcome == "stored" and copies["old"].cluster_id != old.cluster_id
        # the old story is still stored, in its cluster, and in a snapshot
        assert store.get_document(old.document_id).cluster_id == old.cluster_id
        urls = {r["url"] for r in pq.read_table(write_snapshot(store, tmp_path / "snap").path / PARQUET).to_pylist()}
        assert {"http://origin.example/old", "http://copy.example/old"} <= urls


def test_documents_past_the_retention_window_leave_the_index_but_an_exact_copy_still_finds_them(store):
    now = datetime.now(timezone.utc)
    art = ENGLISH[8]
    old = ingest(store, "http://origin.example/aged", art.paragraphs, fetched_at=now - timedelta(days=40))
    young = ingest(store, "http://origin.example/young", ENGLISH[9].paragraphs, fetched_at=now)
    assert forget_expired(store, DedupConfig(), now) == 0  # no window: nothing leaves
    assert store.index_size()[1] == 2
    assert forget_expired(store, replace(DedupConfig(), index_retention_days=30), now) == 1
    assert store.index_size()[1] == 1
    with store.read() as conn:
        assert store.lsh_candidates(conn, fingerprint("\n\n".join(art.paragraphs)).band_keys) == set()
        assert store.lsh_candidates(conn, fingerprint("\n\n".join(ENGLISH[9].paragraphs)).band_keys) == {
            young.document_id}
    exact = ingest(store, "http://mirror.example/aged", art.paragraphs, fetched_at=now, config=_retention(30))
    assert exact.outcome == "copy" and exact.cluster_id == old.cluster_id


def test_a_retention_window_is_read_from_the_environment(monkeypatch):
    from crawler.ingest import config as settings

    def configured(value: str):
        monkeypatch.setenv(settings.RETENTION_SETTING, value)
        settings.dedup_config.cache_clear()
        settings.ingest_config.cache_clear()
        try:
            return settings.ingest_config().dedup.index_retention_days
        finally:
            settings.dedup_config.cache_clear()
            settings.ingest_config.cache_clear()

    assert configured("") is None and configured("14") == 14
    for bad in ("0", "-3", "two weeks"):
        with pytest.raises(settings.SettingError, match="WIRECRAWL_INDEX_RETENTION_DAYS"):
            configured(bad)


# -- several writers on PostgreSQL -------------------------------------------------

def _prepared(url: str, paragraphs, attribution: str | None = None) -> Prepared:
    text = "\n\n".join(paragraphs)
    page = Page(url=url, status=200, headers={"content-type": "text/html"}, body=text.encode(), fetched_at=T0)
    article = Article(url=url, text=text, attribution=attribution)
    return Prepared(page=page, page_hash=page_hash(page.body), article=article, fingerprint=fingerprint(text))


def _until_a_commit_waits_for_a_lock(store: Store) -> None:
    from sqlalchemy import text

    deadline = time.monotonic() + 60
    with store.engine.connect() as conn:
        while not conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                    "AND NOT granted")).scalar():
            assert time.monotonic() < deadline, "the copy's commit never waited for the original's"
            conn.rollback()
            time.sleep(0.01)  # polling the server's lock table, not synchronising


def test_on_postgresql_a_copy_waits_for_its_original_but_an_unrelated_page_does_not(postgres_url, data_dir):
    """Commits of unrelated pages go on side by side; a copy committed while
    its original's commit is still open waits for it, then joins its cluster."""
    from concurrent.futures import ThreadPoolExecutor

    from crawler.ingest.dedup import lock_keys, store_document

    config = DedupConfig()
    art = ENGLISH[3]
    _t, paragraphs, attribution = make_copy("wire", list(art.paragraphs), random.Random(3))
    original = _prepared("http://origin.example/held", art.paragraphs)
    copy = _prepared("http://copy.example/held", paragraphs, attribution)
    unrelated = _prepared("http://other.example/free", ENGLISH[4].paragraphs)
    with Store(postgres_url, data_dir) as store, ThreadPoolExecutor(2) as pool:
        ensure_compatible(store, config)
        keys = lock_keys(original.page.url, None, original.article, original.fingerprint, "origin.example")
        with store.write(keys=keys) as conn:  # the original's commit, still open
            doc = Document(url=original.page.url, url_key=original.page.url, text=original.article.text,
                           text_hash=original.fingerprint.text_hash, fetched_at=T0)
            store_document(conn, store, doc, original.fingerprint, config)
            assert pool.submit(commit, unrelated, store).result(timeout=60).outcome == "stored"
            waiting = pool.submit(commit, copy, store)
            _until_a_commit_waits_for_a_lock(store)
            assert not waiting.done()
        joined = waiting.result(timeout=60)
        assert joined.outcome == "copy" and joined.cluster_id == doc.cluster_id
        assert {d.url for d in store.members(doc.cluster_id)} == {"http://origin.example/held",
                                                                  "http://copy.example/held"}


def test_a_one_sentence_excerpt_of_another_towns_story_from_one_template_stays_apart(store):
    """Template ledes (police appeals, weather warnings) differ in a word or
    two: a one-sentence excerpt must be wholly found in a story to join it."""
    bradford = ("Police are appealing for witnesses after a man was seriously injured in a stabbing in Bradford on "
                "Saturday night.")
    leeds = bradford.replace("Bradford", "Leeds")
    assert len(shingled(leeds, DedupConfig()).all) < DedupConfig().min_shingles
    story = ingest(store, "http://bradford-news.example/stabbing", [bradford, *FERRY_STORY[1:]])
    excerpt = ingest(store, "http://aggregator.example/leeds-stabbing", [leeds],
                     attribution="Continue reading at Leeds Echo")
    assert excerpt.outcome == "stored" and excerpt.cluster_id != story.cluster_id


@pytest.mark.parametrize("excerpt_first", [True, False], ids=["excerpt-first", "story-first"])
def test_an_excerpt_of_the_first_paragraph_under_a_standfirst_joins_its_story(store, excerpt_first):
    """The story's text opens with a standfirst; an aggregator took its first
    body paragraph. The second line's opening finds them, whichever arrives
    first (looked up crosswise, PostgreSQL's positions included)."""
    # A long standfirst: the story's lead (its first 60 shingles) holds little of the paragraph.
    standfirst = ("A second afternoon crossing will link Arvel Island to the mainland from June, after a winter of "
                  "complaints from islanders left without a boat after noon. The council will pay for the extra "
                  "fuel during a trial, and the operator has promised to review the timetable with residents "
                  "before the summer season begins in earnest.")
    story = [standfirst, *ENGLISH[2].paragraphs]
    excerpt = [ENGLISH[2].paragraphs[0]]
    docs = [("http://digest.example/x", excerpt, "Continue reading at Kellmouth Tide"),
            ("http://kellmouth-tide.example/x", story, None)]
    if not excerpt_first:
        docs.reverse()
    results = {url: ingest(store, url, paragraphs, attribution=attribution, fetched_at=T0 + timedelta(minutes=i))
               for i, (url, paragraphs, attribution) in enumerate(docs)}
    assert results["http://digest.example/x"].cluster_id == results["http://kellmouth-tide.example/x"].cluster_id


def test_two_stories_whose_second_paragraphs_open_alike_are_not_candidates_of_each_other(store):
    """A site's recurring second line (a newsletter pitch under every lede)
    must not make every pair of its stories candidates: line openings pair
    a text's next line only with another's opening, on SQLite as on
    PostgreSQL."""
    pitch = ("Sign up to the morning briefing for the five stories you need to read before you leave the house "
             "today")
    a = "\n\n".join([ENGLISH[0].paragraphs[0], pitch, *ENGLISH[0].paragraphs[1:]])
    b = "\n\n".join([ENGLISH[5].paragraphs[0], pitch, *ENGLISH[5].paragraphs[1:]])
    fa, fb = fingerprint(a), fingerprint(b)
    assert not set(fa.lookup_keys) & set(fb.band_keys) and not set(fb.lookup_keys) & set(fa.band_keys)
    stored = ingest(store, "http://site.example/a", a.split("\n\n"))
    with store.read() as conn:
        assert stored.document_id not in store.candidate_ids(conn, fb.text_hash, [], fb.lookup_keys)


def test_a_one_sentence_excerpt_followed_by_a_furniture_line_still_joins(store):
    """The shingles that run from the sentence into a share line after it
    are in no story: they do not count against the excerpt."""
    lede = "The ferry between Kellmouth and Arvel Island will run twice daily from early June."
    credit = "Image copyright Kellmouth Pictures"  # a line of its own, long enough for a shingle
    assert len(shingled(f"{lede}\n\n{credit}", DedupConfig()).all) < DedupConfig().min_shingles
    story = ingest(store, "http://kellmouth-tide.example/ferry", [lede, *FERRY_STORY[1:]])
    excerpt = ingest(store, "http://islands-digest.example/ferry", [lede, credit],
                     attribution="Continue reading at Kellmouth Tide")
    assert excerpt.outcome == "copy" and excerpt.cluster_id == story.cluster_id
