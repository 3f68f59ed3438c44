"""`wirecrawl demo`: serve the sample news web on 127.0.0.1, crawl it into
the configured store, and show the clusters found. No internet needed; safe
to run twice (the second run finds everything unchanged).

The sample web is test material, kept in the checkout's `tests/sampleweb/`
(the tests and the benchmarks use it too), not in the installed packages:
the demo runs from a checkout (`make demo`), whose editable install this
module is part of."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from flows.app import CommandError, app, settings

if TYPE_CHECKING:
    from flows.settings import Settings
    from storage.store import Store
    from tests.sampleweb.web import SampleWeb

console = Console(soft_wrap=True)  # lines whole at any width: greppable when piped
err = Console(stderr=True, soft_wrap=True)  # one line per message, also when piped

# Fixed by default so that a second run serves the same URLs and finds them unchanged.
DEFAULT_PORT = 8470
CHECKOUT = Path(__file__).resolve().parents[2]  # this file is <checkout>/flows/commands/demo.py


class NoSampleWeb(RuntimeError):
    """This wirecrawl does not run from a checkout: there is no sample web to serve."""


def sample_web_class() -> type[SampleWeb]:
    """The SampleWeb of the checkout's `tests/sampleweb/`. NoSampleWeb, naming
    the folder, when this wirecrawl was installed without its checkout."""
    folder = CHECKOUT / "tests" / "sampleweb"
    if not (folder / "web.py").is_file():
        raise NoSampleWeb(f"the sample web of the demo is not at {folder}: the demo runs from a wirecrawl "
                          "checkout (`make demo` there)")
    if str(CHECKOUT) not in sys.path:
        sys.path.append(str(CHECKOUT))  # last: installed packages keep their precedence
    from tests.sampleweb.web import SampleWeb

    return SampleWeb


@app.command()
def demo(
    ctx: typer.Context,
    port: int = typer.Option(DEFAULT_PORT, "--port", envvar="WIRECRAWL_DEMO_PORT", min=1, max=65535,
                             metavar="PORT",
                             help="First port of the sample web; its other sites take the next ones."),
    by_url: bool = typer.Option(False, "--by-url",
                                help="Fetch the article URLs one by one instead of crawling the sites."),
    serve: bool = typer.Option(False, "--serve",
                               help="Keep serving the sample web afterwards (until Ctrl-C), so that its "
                                    "sources file can be crawled again."),
) -> None:
    """Crawl a small sample news web served on 127.0.0.1, offline.

    The web has several sites with their own templates, syndicated copies,
    and the seed pages if present (WIRECRAWL_SEEDS). Prints the
    clusters found, where the data went and the commands to try next. Exits
    1 if the web cannot be served (a port taken: try --port) or a crawl
    process dies, 2 when there is no sample web (not a checkout)."""
    try:
        sample_web = sample_web_class()
    except NoSampleWeb as exc:
        raise CommandError(str(exc)) from exc
    cfg = settings(ctx)
    cfg.ensure_data_dir()
    try:
        web = sample_web(port)
    except OSError as exc:
        raise CommandError(f"{exc.strerror or exc} (choose other ports with --port)", code=1) from exc
    _reindex_if_older(cfg)
    with web:
        _print_web(web)
        sources_file = web.write_sources(cfg.data_dir / "demo-sources.toml")
        if by_url:
            ingest_by_url(web, cfg)
        else:
            crawl_sites(sources_file, cfg)
        with cfg.open_store() as store:
            report = compare(web, store)
            console.print(clusters_table(report, store))
            _print_verdict(report)
        console.print(f"Data: {cfg.describe()}\nRaw pages (WARC): {cfg.data_dir / 'archive'}\n"
                      f"Sources file of the sample web: {sources_file}\nCrawl logs: {cfg.data_dir / 'logs'}",
                      markup=False, highlight=False)
        _print_next(cfg, web, sources_file, serving=serve, port=port)
        if serve:
            _serve_until_interrupted(web)


def _print_next(cfg: "Settings", web: "SampleWeb", sources_file, *, serving: bool, port: int) -> None:
    """The commands to try next, written so that they work as printed: the
    program as it was called, and the data directory and ports given."""
    import sys
    from pathlib import Path

    from flows.settings import Settings

    called = sys.argv[0] if Path(sys.argv[0]).name == "wirecrawl" else "wirecrawl"
    default = Settings.resolve(None, None)
    where = "" if cfg == default else f" --data-dir {cfg.data_dir}" + (
        "" if cfg.database_url == Settings.resolve(cfg.data_dir).database_url
        else f" --database-url {cfg.store_name()}")
    lines = [
        ("clusters" + where, "the clusters with copies, biggest first"),
        (f"show {web.article_urls()[0]}" + where, "one document, its text and its cluster"),
        ("snapshot --out snapshots/" + where, "a versioned dataset: Parquet, JSON lines, manifest"),
        ("runs" + where, "what each run did"),
    ]
    if serving:
        lines.append((f"crawl --sources {sources_file}" + where, "crawl the sample web again"))
    else:
        ports = "" if port == DEFAULT_PORT else f" --port {port}"
        lines.append(("demo --serve" + ports + where, f"keep the sample web up, so {sources_file.name} can be crawled"))
    console.print("\nNext, try:", highlight=False)
    for command, what in lines:
        console.print(f"  {called} {command}\n      {what}", markup=False, highlight=False, soft_wrap=True)


def _serve_until_interrupted(web: "SampleWeb") -> None:
    import threading

    first = next(iter(web.sites.values()))
    console.print(f"\nServing the sample web ({first} and the next ports) until Ctrl-C.", highlight=False)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("Stopped serving the sample web.", highlight=False)


def _reindex_if_older(cfg: "Settings") -> None:
    """The demo owns its data directory: a store left there by a version of
    wirecrawl with other dedup settings is reindexed, not refused."""
    from crawler.ingest.config import dedup_config
    from crawler.ingest.reindex import reindex

    config = dedup_config()
    with cfg.open_store() as store:
        recorded = store.get_meta("dedup_config")
        if recorded is not None and recorded != config.fingerprint_id():
            count = reindex(store, config)
            console.print(f"The demo's store was indexed with other dedup settings: reindexed {count} documents.",
                          markup=False, highlight=False)


def _print_web(web: "SampleWeb") -> None:
    table = Table(title=f"Sample news web: {len(web.pages)} article pages")
    for name in ("site", "address", "articles"):
        table.add_column(name)
    for name, base in web.sites.items():
        table.add_row(name, base, str(sum(p.site == name for p in web.pages)))
    console.print(table)
    for reason in web.skipped:
        console.print(reason, markup=False, highlight=False)


def ingest_by_url(web: "SampleWeb", cfg: "Settings") -> None:
    """Fetch and ingest every article page of the web, one line per URL, each
    extracted within WIRECRAWL_EXTRACT_TIMEOUT as `wirecrawl ingest` does."""
    from crawler.crawl.adhoc import ingest_url
    from crawler.crawl.extract_limit import ExtractionProcess, extract_timeout_setting
    from crawler.crawl.fetch import FetchConfig

    archive = cfg.archive()
    # Our own pages on 127.0.0.1: a loopback address is expected here.
    fetch_config = FetchConfig(allow_private=True)
    with cfg.open_store() as store, ExtractionProcess(extract_timeout_setting()) as extraction:
        run_id = store.start_run("demo")
        outcomes: dict[str, int] = {}
        for url in web.article_urls():
            result = ingest_url(url, store, archive=archive, fetch_config=fetch_config, run_id=run_id,
                                extraction=extraction)
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
            console.print(result.line(), markup=False, highlight=False, soft_wrap=True)
        store.finish_run(run_id, {"urls": len(web.pages), "outcomes": outcomes})


def crawl_sites(sources_file, cfg: "Settings") -> None:
    """Crawl every source of the web's sources file, all together in one
    crawl, with the live table of `wirecrawl crawl`. Raises typer.Exit(1)
    when the crawl process dies or a site could not be reached."""
    from crawler.crawl.run import crawl_sources
    from crawler.crawl.sources import load_sources
    from flows.commands.crawl import Board, shown

    sources = load_sources(sources_file)
    board = Board(list(sources), title="Crawling the sample web")
    with shown(board, console):
        for name in sources:
            board.set_state(name, "starting")
        result = crawl_sources(list(sources.values()), database_url=cfg.database_url, data_dir=cfg.data_dir,
                               on_progress=board.update, on_done=lambda s: board.update(s, "done"))
    console.print()
    failures = [result.failure] if result.failure else []
    failures += [f"{s.source}: unreachable: {s.unreachable}" for s in result.stats if s.unreachable]
    failures += [f"{name}: busy: {holder}" for name, holder in result.busy.items()]
    for failure in failures:
        err.print(f"wirecrawl demo: {failure}", markup=False, highlight=False)
    if failures:
        raise typer.Exit(1)


@dataclass
class Report:
    """The clusters the store holds for the web's pages, against the stories
    the web was built from."""

    clusters: dict[int, list[str]] = field(default_factory=dict)  # cluster id -> page URLs
    missing: list[str] = field(default_factory=list)  # pages with no stored document
    split: dict[str, list[int]] = field(default_factory=dict)  # story -> its clusters, when > 1
    merged: dict[int, list[str]] = field(default_factory=dict)  # cluster -> its stories, when > 1

    @property
    def ok(self) -> bool:
        return not (self.missing or self.split or self.merged)


def compare(web: "SampleWeb", store: "Store") -> Report:
    """Where each article page of `web` ended up in `store`: every copy
    should share its original's cluster, no two stories one cluster."""
    from crawler.ingest.urls import canonicalize

    report = Report()
    story_clusters: dict[str, set[int]] = {}
    cluster_stories: dict[int, set[str]] = {}
    for page in web.pages:
        doc = store.find_document(canonicalize(page.url))
        if doc is None or doc.cluster_id is None:
            report.missing.append(page.url)
            continue
        report.clusters.setdefault(doc.cluster_id, []).append(page.url)
        story_clusters.setdefault(page.story, set()).add(doc.cluster_id)
        cluster_stories.setdefault(doc.cluster_id, set()).add(page.story)
    report.split = {s: sorted(c) for s, c in story_clusters.items() if len(c) > 1}
    report.merged = {c: sorted(s) for c, s in cluster_stories.items() if len(s) > 1}
    return report


def clusters_table(report: Report, store: "Store") -> Table:
    """One row per cluster of the web's pages, biggest first: canonical
    title and URL, and every other member with its similarity."""
    table = Table(title="Clusters found", show_lines=True)
    table.add_column("cluster", justify="right")
    table.add_column("size", justify="right")
    table.add_column("canonical", overflow="fold")
    table.add_column("copies (similarity to canonical)", overflow="fold")
    for cid in sorted(report.clusters, key=lambda c: (-len(report.clusters[c]), c)):
        members = store.members(cid)
        canonical = next((m for m in members if m.is_canonical), members[0] if members else None)
        if canonical is None:
            continue
        copies = "\n".join(f"{m.url} ({m.similarity:.2f})" if m.similarity is not None else m.url
                           for m in members if m is not canonical)
        table.add_row(str(cid), str(len(members)), f"{canonical.title or '(no title)'}\n{canonical.url}",
                      copies or "-")
    return table


def _print_verdict(report: Report) -> None:
    found = sum(len(urls) > 1 for urls in report.clusters.values())
    if report.ok:
        console.print(f"{len(report.clusters)} clusters, {found} with copies: every copy joined its "
                      "original, and no two different articles share a cluster.")
        return
    for url in report.missing:
        console.print(f"not stored: {url}", markup=False, highlight=False)
    for story, cids in report.split.items():
        console.print(f"copies of {story} were split over clusters {cids}", markup=False, highlight=False)
    for cid, stories in report.merged.items():
        console.print(f"cluster {cid} merges different articles: {', '.join(stories)}",
                      markup=False, highlight=False)
