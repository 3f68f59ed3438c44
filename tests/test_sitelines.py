"""Furniture learned from a site's own pages: a line the site puts on page
after page of different stories is taken out of its later pages, while a
story the site publishes several times keeps every line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crawler.ingest import sitelines
from crawler.ingest.ingest import ingest_page
from crawler.ingest.records import Page
from crawler.ingest.sitelines import CLUSTERS_NEEDED, drop_site_furniture, line_key, site_of
from tests.sampleweb.articles import ARTICLES
from tests.sampleweb.templates import render_article_page

SITE = "https://www.lantern-quay.example"
# A pitch in no rule's vocabulary: only the site's other pages show it is furniture.
PITCH = "Lantern Quay is written by four neighbours and printed on the old press behind the chandlery."
T0 = datetime(2024, 6, 1, 8, 0, tzinfo=timezone.utc)
STORIES = [a for a in ARTICLES if a.lang == "en"][:8]


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch):
    # What a process learned of a site stays in the process: each test starts knowing nothing.
    known = sitelines.KnownFurniture()
    monkeypatch.setattr(sitelines, "KNOWN", known)
    monkeypatch.setattr("crawler.ingest.ingest.KNOWN", known)


def page(story, n: int, path: str | None = None) -> Page:
    url = f"{SITE}/{path or story.slug}/"
    html = render_article_page("minimal", title=story.title, paragraphs=[*story.paragraphs, PITCH],
                               site_name="Lantern Quay", url=url, author=story.author, published=story.published)
    return Page(url=url, status=200, headers={"content-type": "text/html; charset=utf-8"}, body=html.encode(),
                fetched_at=T0 + timedelta(minutes=n))


def test_a_pitch_on_every_page_of_a_site_is_dropped_once_pages_of_enough_stories_show_it(store):
    results = [ingest_page(page(story, n), store) for n, story in enumerate(STORIES)]
    assert all(r.outcome == "stored" for r in results)
    texts = [store.find_document(r.url).text for r in results]
    # The pages before the site showed the line in enough different stories keep it; later ones lose it.
    assert [PITCH in t for t in texts] == [True] * CLUSTERS_NEEDED + [False] * (len(STORIES) - CLUSTERS_NEEDED)
    for story, text in zip(STORIES, texts):
        assert all(" ".join(p.split()) in text for p in story.paragraphs)
    assert line_key(PITCH) in store.site_furniture(site_of(SITE))


def test_a_story_the_site_publishes_again_and_again_keeps_its_lines(store):
    story, others = STORIES[0], STORIES[1:3]
    for n, other in enumerate(others):  # two other stories show the pitch too
        ingest_page(page(other, n), store)
    for n in range(CLUSTERS_NEEDED + 2):  # one story at several addresses: one cluster
        result = ingest_page(page(story, 10 + n, path=f"{story.slug}-{n}"), store)
        assert result.outcome in ("stored", "copy")
    last = ingest_page(page(story, 30, path=f"{story.slug}-again"), store)
    text = store.find_document(last.url).text
    assert all(" ".join(p.split()) in text for p in story.paragraphs)
    # Three clusters have shown the pitch so far: not yet enough to call it furniture.
    assert PITCH in text
    assert store.site_furniture(site_of(SITE)) == set()


def test_learned_furniture_never_takes_most_of_a_text():
    lines = ["A short line the site repeats on every page.", "Another line it repeats on every page too.",
             "The only sentence of this page's own, which is short."]
    furniture = {line_key(lines[0]), line_key(lines[1])}
    assert drop_site_furniture(lines, furniture).kept == lines
    assert drop_site_furniture(lines + ["x" * 200], furniture).kept == lines[2:] + ["x" * 200]


def test_the_site_is_the_host_without_www():
    assert site_of("https://WWW.Example.org/a/b.html") == "example.org"
    assert site_of("http://news.example.org:8080/") == "news.example.org"


def test_a_line_becomes_furniture_once_in_as_many_distinct_clusters_as_needed(store):
    """The store's counting rule, the same on every store: a cluster counts
    once per line however often it shows it, the line is reported the call
    it becomes furniture (never again), and each site counts its own."""
    from datetime import datetime, timezone

    at = datetime(2026, 1, 2, tzinfo=timezone.utc)

    def learn(site, keys, cluster, needed=3):
        with store.write() as conn:
            return store.learn_site_lines(conn, site, keys, cluster, at, needed)

    assert learn("a.example", [1, 2], 10) == set()
    assert learn("a.example", [1, 2], 10) == set()  # the same cluster again: still one
    assert learn("a.example", [1], 11) == set()
    assert learn("b.example", [1], 12) == set()  # another site's count
    assert learn("a.example", [1, 2, 3], 12) == {1}  # three clusters for line 1
    assert learn("a.example", [1, 2], 13) == {2}  # line 1 is furniture already: not again
    assert learn("a.example", [5], 14, needed=1) == {5}  # needed 1: furniture on sight
    furniture = store.site_furniture("a.example")
    assert {1, 2, 5} <= set(furniture) and 3 not in set(furniture)
    assert set(store.site_furniture("b.example")) == set()
