"""The demo's news web: a few sites on 127.0.0.1, one port each, serving the
sample articles on their home site, syndicated copies of them on the others,
and the seed pages when the seeds folder is there.

    with SampleWeb() as web:             # ephemeral ports; SampleWeb(port=8470) for fixed ones
        web.sites                         # {"harbour-herald": "http://127.0.0.1:PORT", ...}
        web.article_urls()                # every article page, originals and copies
        web.write_sources("sources.toml") # one [[source]] per site, for the crawler

Every site has a home page listing all its articles, a robots.txt, and an RSS
feed and/or a sitemap (named in robots.txt), so a crawler finds everything.
Pages answer conditional requests (ETag, Last-Modified) with 304. The same
port gives byte-identical pages on every run: copies are made from seeded
random generators, so a second ingest finds nothing new.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from tests.sampleweb.articles import ARTICLES, SampleArticle
from tests.sampleweb.copies import make_copy
from tests.sampleweb.templates import render_article_page, render_index_page

REPO = Path(__file__).resolve().parents[2]


def seeds_folder() -> Path:
    """Where the seed pages live: env WIRECRAWL_SEEDS, else ../shared/seeds
    beside the repository."""
    return Path(os.environ.get("WIRECRAWL_SEEDS") or REPO.parent / "shared" / "seeds")


@dataclass(frozen=True)
class SiteSpec:
    """One site of the sample web: its URL-safe name (it names the source),
    the name shown on its pages, its template, and how it lists its pages."""

    name: str
    title: str
    template: str
    feed: bool = True
    sitemap: bool = True


SITES = (
    SiteSpec("harbour-herald", "The Harbour Herald", "wordpress", feed=True, sitemap=True),
    SiteSpec("valley-courier", "Valley Courier", "newspaper", feed=True, sitemap=False),
    SiteSpec("northline", "Northline News", "blogger", feed=False, sitemap=True),
    SiteSpec("daily-ledger", "The Daily Ledger", "legacy", feed=True, sitemap=True),
)
SEED_SITE = SiteSpec("seed-news", "Seed News", "minimal", feed=True, sitemap=True)

# Each original: its home site and its copies as (kind, site). A "second_url"
# copy is the AMP twin on the home site itself. The two same-event triples
# (Halvern strike, Ostra flood) share sites on purpose, copies included.
PLAN: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "halvern-dockworkers-strike": ("harbour-herald", (("wire", "valley-courier"), ("excerpt", "northline"))),
    "halvern-strike-strands-reefers": ("harbour-herald", (("trimmed", "daily-ledger"),)),
    "halvern-strike-ends": ("valley-courier", (("wire", "northline"), ("second_url", "valley-courier"))),
    "ostra-river-floods-kellbridge": ("northline", (("wire", "harbour-herald"), ("trimmed", "valley-courier"))),
    "kellbridge-cleanup-warnings": ("northline", (("excerpt", "daily-ledger"),)),
    "ostra-flood-defences-pledge": ("daily-ledger", (("wire", "valley-courier"), ("excerpt", "harbour-herald"))),
    "orange-cloud-forest-frog": ("valley-courier", (("trimmed", "harbour-herald"),)),
    "valdera-marathon-course-record": ("daily-ledger", (("wire", "northline"), ("second_url", "daily-ledger"))),
    "torvane-brno-packaging-plant": ("harbour-herald", (("excerpt", "valley-courier"),)),
    "aarvik-lakeside-tram-opens": ("valley-courier", (("wire", "daily-ledger"),)),
    "oyvik-church-doors-return": ("northline", (("trimmed", "daily-ledger"), ("second_url", "northline"))),
    "lenz-valley-apricot-frost": ("daily-ledger", (("excerpt", "harbour-herald"),)),
    "xijiang-river-tunnel-opens": ("harbour-herald", (("wire", "northline"),)),
    "yamabuki-line-reopens": ("valley-courier", (("wire", "harbour-herald"),)),
    "leatherback-turtle-nest-phang-nga": ("northline", (("excerpt", "valley-courier"),)),
}
# Copies of seed articles (the first article of each seed page) on our sites:
# they must join their seed, never another seed on the same topic.
SEED_COPIES: dict[str, tuple[tuple[str, str], ...]] = {
    "000": (("trimmed", "daily-ledger"),),
    "002": (("wire", "northline"),),
    "004": (("excerpt", "valley-courier"),),
}
# The site whose template scrolls on into the next post: its pages carry the
# site's previous article below the main one (only the first is the document).
INFINITE_SCROLL_SITE = "harbour-herald"


@dataclass(frozen=True)
class SamplePage:
    """One article page of the sample web. Pages with the same `story` are
    copies of one article and belong in one cluster; different stories never."""

    url: str
    site: str
    story: str  # the original's slug, or "seed-<name>"
    kind: str  # "original", a copy kind of tests.sampleweb.copies, or "seed"
    title: str
    published: str | None  # ISO 8601; None when the page shows no date


@dataclass(frozen=True)
class _Resource:
    body: bytes
    content_type: str
    last_modified: datetime

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


class SampleWeb:
    """The sample news web. Binds its ports when built, serves in
    `with SampleWeb() as web:`. `port=0` takes free ports; a fixed `port`
    puts the sites on port, port+1, ... and raises OSError naming the port
    when one is taken. `seeds=None` looks in `seeds_folder()`; a missing
    folder leaves the seed site out and says why in `skipped`."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", seeds: Path | None = None):
        self.host = host
        self.skipped: list[str] = []
        self._routes: dict[int, dict[str, _Resource]] = {}
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        specs = list(SITES)
        found_seeds = self._load_seeds(seeds)
        if found_seeds:
            specs.append(SEED_SITE)
        self.specs = {s.name: s for s in specs}
        self.sites: dict[str, str] = {}
        for i, spec in enumerate(specs):
            self.sites[spec.name] = self._bind(port + i if port else 0)
        self.pages: list[SamplePage] = []
        try:
            self._build(found_seeds)
        except BaseException:
            self.close()  # free the ports bound above
            raise

    # -- serving --------------------------------------------------------------

    def _bind(self, port: int) -> str:
        try:
            server = ThreadingHTTPServer((self.host, port), _handler(self._routes))
        except OSError as exc:
            self.close()
            raise OSError(exc.errno, f"cannot serve the sample web on {self.host}:{port}: {exc.strerror}") from exc
        server.daemon_threads = True
        self._servers.append(server)
        bound = server.server_address[1]
        self._routes[bound] = {}
        return f"http://{self.host}:{bound}"

    def __enter__(self) -> "SampleWeb":
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, daemon=True, name="sampleweb")
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and free the ports. Safe to call twice."""
        for server in self._servers:
            if self._threads:
                server.shutdown()
            server.server_close()
        self._servers, self._threads = [], []

    def _serve(self, site: str, path: str, body: str | bytes, content_type: str, when: datetime) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        port = int(self.sites[site].rsplit(":", 1)[1])
        self._routes[port][path] = _Resource(data, content_type, when)
        return self.sites[site] + path

    # -- what is served -------------------------------------------------------

    def article_urls(self) -> list[str]:
        """Every article page: originals, copies and seed pages, in build order."""
        return [p.url for p in self.pages]

    def stories(self) -> dict[str, list[str]]:
        """Article page URLs grouped by story: what the clusters should be."""
        out: dict[str, list[str]] = {}
        for page in self.pages:
            out.setdefault(page.story, []).append(page.url)
        return out

    def _build(self, seeds: list) -> None:
        by_slug = {a.slug: a for a in ARTICLES}
        missing = set(by_slug) ^ set(PLAN)
        if missing:
            raise ValueError(f"PLAN and ARTICLES disagree on {sorted(missing)}")
        listed: dict[str, list[SamplePage]] = {name: [] for name in self.sites}
        previous: dict[str, SampleArticle] = {}
        for slug, (home, copies) in PLAN.items():
            article = by_slug[slug]
            page = self._original(article, home, previous.get(home))
            previous[home] = article
            listed[home].append(page)
            for kind, site in copies:
                listed[site].append(self._copy(article, kind, site, page.url))
        for seed in seeds:
            page = self._seed(seed)
            listed[SEED_SITE.name].append(page)
            for kind, site in SEED_COPIES.get(seed.name, ()):
                listed[site].append(self._seed_copy(seed, kind, site, page))
        for name, pages in listed.items():
            self.pages.extend(pages)
            self._site_lists(self.specs[name], pages)

    def _original(self, article: SampleArticle, site: str, before: SampleArticle | None) -> SamplePage:
        spec = self.specs[site]
        path = f"/news/{article.slug}/"
        url = self.sites[site] + path
        published = f"{article.published}T08:00:00+00:00"
        more = [(before.title, list(before.paragraphs))] if before and site == INFINITE_SCROLL_SITE else []
        html = render_article_page(spec.template, title=article.title, paragraphs=list(article.paragraphs),
                                   site_name=spec.title, url=url, author=article.author,
                                   published=published, lang=article.lang, tags=_tags(article),
                                   more_articles=more)
        self._serve(site, path, html, "text/html; charset=utf-8", _when(published))
        return SamplePage(url, site, article.slug, "original", article.title, published)

    def _copy(self, article: SampleArticle, kind: str, site: str, original_url: str) -> SamplePage:
        published = f"{article.published}T08:00:00+00:00"
        return self._render_copy(article.slug, article.title, list(article.paragraphs), kind, site,
                                 original_url, author=article.author, published=published,
                                 lang=article.lang, tags=_tags(article), home=PLAN[article.slug][0])

    def _seed_copy(self, seed, kind: str, site: str, original: SamplePage) -> SamplePage:
        first = seed.articles[0]
        return self._render_copy(original.story, first.title, list(first.body), kind, site, original.url,
                                 author=None, published=None, lang="en", tags=(), home=SEED_SITE.name,
                                 path=f"/news/seed-{seed.name}/")

    def _render_copy(self, story: str, title: str, paragraphs: list[str], kind: str, site: str,
                     original_url: str, *, author: str | None, published: str | None, lang: str,
                     tags: tuple[str, ...], home: str, path: str | None = None) -> SamplePage:
        spec = self.specs[site]
        # One generator per (story, kind, site): the same copy on every run.
        rng = random.Random(f"{story}/{kind}/{site}")
        new_title, paragraphs, attribution = make_copy(kind, paragraphs, rng, source=self.specs[home].title)
        title = new_title or title
        path = path or f"/news/{story}/"
        canonical = None
        if kind == "second_url":
            # The AMP twin: same site, another URL, pointing back to the original.
            path, canonical = "/amp" + path, original_url
        elif published is not None:
            # A syndicated copy appears some hours after the original.
            published = published.replace("T08:00", f"T{8 + rng.randint(2, 9):02d}:{rng.randint(0, 59):02d}")
        url = self.sites[site] + path
        html = render_article_page("amp" if kind == "second_url" else spec.template, title=title,
                                   paragraphs=paragraphs, site_name=spec.title, url=url,
                                   author=author if kind != "excerpt" else None, published=published,
                                   lang=lang, tags=tags, canonical_url=canonical, attribution=attribution)
        self._serve(site, path, html, "text/html; charset=utf-8", _when(published))
        return SamplePage(url, site, story, kind, title, published)

    def _site_lists(self, spec: SiteSpec, pages: list[SamplePage]) -> None:
        """Home page, robots.txt, feed and sitemap of one site."""
        base = self.sites[spec.name]
        newest = max((_when(p.published) for p in pages), default=_UNDATED)
        links = [(p.url, p.title) for p in sorted(pages, key=lambda p: _when(p.published), reverse=True)]
        self._serve(spec.name, "/", render_index_page(spec.title, links), "text/html; charset=utf-8", newest)
        robots = ["User-agent: *", "Disallow: /search", ""]
        if spec.sitemap:
            robots.append(f"Sitemap: {base}/sitemap.xml")
            self._serve(spec.name, "/sitemap.xml", _sitemap(pages), "application/xml", newest)
        if spec.feed:
            listed = [p for p in pages if p.kind != "second_url"]  # feeds carry one URL per story
            self._serve(spec.name, "/feed.xml", _rss(spec, base, listed), "application/rss+xml", newest)
        self._serve(spec.name, "/robots.txt", "\n".join(robots) + "\n", "text/plain; charset=utf-8", newest)

    # -- the seed pages -------------------------------------------------------

    def _load_seeds(self, seeds: Path | None) -> list:
        folder = Path(seeds) if seeds is not None else seeds_folder()
        if not folder.is_dir():
            self.skipped.append(f"seed pages left out: no seeds folder at {folder} "
                                "(set WIRECRAWL_SEEDS to add them)")
            return []
        from tests.sampleweb.seeds import load_seeds

        try:
            found = load_seeds(folder)
        except ValueError as exc:  # a seed file that changed: serve the web without seeds
            self.skipped.append(f"seed pages left out: {exc}")
            return []
        if not found:
            self.skipped.append(f"seed pages left out: no known seed page in {folder}")
        return found

    def _seed(self, seed) -> SamplePage:
        """The seed page as it was scraped: infinite-scroll pages carry
        several articles, only the first is the document."""
        from tests.sampleweb.seeds import render_seed

        path = f"/news/seed-{seed.name}/"
        html = render_seed(seed)
        self._serve(SEED_SITE.name, path, html, "text/html; charset=utf-8", _when(None))
        return SamplePage(self.sites[SEED_SITE.name] + path, SEED_SITE.name, f"seed-{seed.name}", "seed",
                          seed.articles[0].title, None)

    # -- for the crawler ------------------------------------------------------

    def write_sources(self, path: str | Path) -> Path:
        """Write a sources file (crawler/sources.py format) with one source
        per site: its home page, feed and sitemap, article pages only under
        its own address, no delays (the sites are ours, on this machine)."""
        lines = ["# The demo's sample web, written by tests/sampleweb/web.py.",
                 "[defaults]", "download_delay = 0.0", "autothrottle = false", "concurrency_per_host = 8", ""]
        for name, base in self.sites.items():
            spec = self.specs[name]
            lines += ["[[source]]", f"name = {_toml(name)}", f"start_urls = [{_toml(base + '/')}]"]
            if spec.feed:
                lines.append(f"feeds = [{_toml(base + '/feed.xml')}]")
            if spec.sitemap:
                lines.append(f"sitemaps = [{_toml(base + '/sitemap.xml')}]")
            # All sites share the host 127.0.0.1: keep each crawl on its own port,
            # and off the template's menu links, which lead to no article.
            lines += [f"allow = [{_toml('^' + re.escape(base) + '/(amp/)?news/')}]", ""]
        path = Path(path)
        path.write_text("\n".join(lines), encoding="utf-8")
        return path


def _handler(routes: dict[int, dict[str, _Resource]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "SampleWeb/1.0"
        # Headers and body go out in two writes: without TCP_NODELAY the body
        # waits for the client's delayed ACK, 40 ms a page.
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:  # the demo prints its own lines
            pass

        def do_HEAD(self) -> None:
            self.do_GET(head_only=True)

        def do_GET(self, head_only: bool = False) -> None:
            # A query string (tracking parameters) does not change the page.
            resource = routes[self.server.server_address[1]].get(self.path.split("?", 1)[0])
            if resource is None:
                return self._send(404, b"<html><body><h1>Not found</h1></body></html>",
                                  {"Content-Type": "text/html; charset=utf-8"}, head_only)
            headers = {"Content-Type": resource.content_type, "ETag": resource.etag,
                       "Last-Modified": format_datetime(resource.last_modified, usegmt=True),
                       "Cache-Control": "max-age=60"}
            if self._not_modified(resource):
                return self._send(304, b"", headers, head_only=True)
            self._send(200, resource.body, headers, head_only)

        def _not_modified(self, resource: _Resource) -> bool:
            tags = self.headers.get("If-None-Match")
            if tags is not None:
                return resource.etag in [t.strip() for t in tags.split(",")] or tags.strip() == "*"
            since = self.headers.get("If-Modified-Since")
            if since is None:
                return False
            try:
                return resource.last_modified <= parsedate_to_datetime(since)
            except (TypeError, ValueError):  # a malformed date asks for the full page
                return False

        def _send(self, status: int, body: bytes, headers: dict[str, str], head_only: bool) -> None:
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head_only:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up: nothing to answer
                pass

    return Handler


def _tags(article: SampleArticle) -> tuple[str, ...]:
    return (article.topic.replace("-", " "),)


# Last-Modified of pages that show no date of their own.
_UNDATED = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _when(iso: str | None) -> datetime:
    return datetime.fromisoformat(iso).astimezone(timezone.utc) if iso else _UNDATED


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sitemap(pages: list[SamplePage]) -> str:
    urls = "\n".join(f"<url><loc>{escape(p.url)}</loc>"
                     + (f"<lastmod>{p.published}</lastmod>" if p.published else "") + "</url>" for p in pages)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}\n</urlset>\n')


def _rss(spec: SiteSpec, base: str, pages: list[SamplePage]) -> str:
    items = "\n".join(
        f"<item><title>{escape(p.title)}</title><link>{escape(p.url)}</link><guid>{escape(p.url)}</guid>"
        + (f"<pubDate>{format_datetime(_when(p.published))}</pubDate>" if p.published else "") + "</item>"
        for p in sorted(pages, key=lambda p: _when(p.published), reverse=True)
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{escape(spec.title)}</title><link>{escape(base)}/</link>"
            f"<description>Latest from {escape(spec.title)}</description>\n{items}\n</channel></rss>\n")
