"""The seed pages (real news pages kept as text, outside this repository)
rendered back into HTML at run time.

Each seed file holds the visible lines of one scraped page: menu items,
headline, byline lines, paragraphs, then widgets (appeals, comment boxes),
and on infinite-scroll pages further articles one after another. The layout
below says, by line number only, which line is which; the text itself is read
from the folder the caller names and never stored here.

    seeds = load_seeds(folder)              # the seeds found in `folder`
    html = render_seed(seeds[0])            # semantic page: <nav>, <h1>, <article>s
    flat = render_seed(seeds[0], flat=True) # every line a <p> in one <div>
    seeds[0].articles[0].body               # what the page is about
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path


@dataclass(frozen=True)
class SeedArticle:
    """One article of a seed page. `blocks` are (kind, line) in page order,
    kind one of figure, title, lead, meta, attribution, subhead, paragraph,
    widget; the properties pick lines by kind."""

    blocks: list[tuple[str, str]]

    def lines(self, kind: str) -> list[str]:
        return [line for k, line in self.blocks if k == kind]

    @property
    def title(self) -> str:
        return self.lines("title")[0]

    @property
    def body(self) -> list[str]:
        """The paragraphs: what the article says."""
        return self.lines("paragraph")

    @property
    def widgets(self) -> list[str]:
        return self.lines("widget")

    @property
    def attribution(self) -> list[str]:
        return self.lines("attribution")

    def opening(self, count: int = 2) -> list[str]:
        """The first `count` paragraphs long enough to be unmistakable."""
        return [line for line in self.body if len(line) >= 80][:count]


@dataclass(frozen=True)
class Seed:
    """A seed page: its name (file prefix, e.g. "000"), all its lines in page
    order, and what they are. Only the first article is the document; the
    others are what infinite scroll appended."""

    name: str
    url: str
    lines: list[str]
    nav: list[str]
    before: list[str]  # widgets above the article (appeals, ads)
    articles: list[SeedArticle]
    after: list[str]  # page widgets below the last article

    @property
    def furniture(self) -> list[str]:
        """The page's furniture around the first article (menu, appeals,
        byline and counter lines, widgets): none may reach the extracted text."""
        return self.nav + self.before + self.articles[0].lines("meta") + self.articles[0].widgets + self.after


@dataclass(frozen=True)
class _ArticleLayout:
    title: int | None  # None: the page shows no headline line; ours is used
    body: range
    lead: tuple[int, ...] = ()
    meta: tuple[int, ...] = ()
    figures: tuple[int, ...] = ()
    subheads: tuple[int, ...] = ()
    attribution: tuple[int, ...] = ()  # "Via X", "© AFP 2016": where the copy names its source
    widgets: range = range(0)


@dataclass(frozen=True)
class _Layout:
    lines: int  # non-blank lines the file must have, or the layout does not apply
    articles: tuple[_ArticleLayout, ...]
    nav: range = range(0)
    before: range = range(0)
    after: range = range(0)


_DURAN_NAV = range(0, 4)
_LAYOUTS: dict[str, _Layout] = {
    "000": _Layout(173, nav=_DURAN_NAV, after=range(153, 173), articles=(
        _ArticleLayout(4, range(10, 51), lead=(5,), meta=(6, 7, 8, 9), widgets=range(51, 59)),
        _ArticleLayout(59, range(64, 82), lead=(60,), meta=(61, 62, 63), widgets=range(82, 85)),
        _ArticleLayout(85, range(90, 125), lead=(86,), meta=(87, 88, 89), widgets=range(125, 128)),
        _ArticleLayout(128, range(133, 151), lead=(129,), meta=(130, 131), attribution=(132,),
                       widgets=range(151, 153)),
    )),
    "001": _Layout(133, nav=_DURAN_NAV, after=range(113, 133), articles=(
        _ArticleLayout(4, range(10, 34), lead=(5,), meta=(6, 7, 8, 9), widgets=range(34, 42)),
        _ArticleLayout(42, range(49, 60), lead=(43,), meta=(44, 45, 46, 47), attribution=(48,),
                       widgets=range(60, 63)),
        _ArticleLayout(63, range(68, 83), lead=(64,), meta=(65, 66), attribution=(67,), widgets=range(83, 86)),
        _ArticleLayout(86, range(92, 111), lead=(87,), meta=(88, 89, 90), attribution=(91,),
                       widgets=range(111, 113)),
    )),
    "002": _Layout(29, articles=(_ArticleLayout(1, range(4, 29), lead=(2,), meta=(0, 3)),)),
    "003": _Layout(48, nav=range(1, 4), articles=(
        _ArticleLayout(None, range(4, 48), figures=(0,), subheads=(34, 39)),
    )),
    "004": _Layout(44, before=range(0, 5), articles=(
        _ArticleLayout(7, range(9, 34), lead=(8,), meta=(6,), figures=(5, 15, 21), subheads=(20,),
                       attribution=(34,), widgets=range(35, 44)),
    )),
}
_OUR_HEADLINE = "Live updates from the region"


def load_seeds(folder: Path) -> list[Seed]:
    """The seeds in `folder` (files named "NNN_*.txt") that have a known
    layout, in name order. Raises ValueError when a known seed's line count
    does not match its layout (a changed file would be mis-rendered)."""
    seeds = []
    for path in sorted(Path(folder).glob("*.txt")):
        name = path.name.split("_", 1)[0]
        if name in _LAYOUTS:
            seeds.append(_seed(name, path.read_text(encoding="utf-8"), _LAYOUTS[name]))
    return seeds


def _seed(name: str, text: str, layout: _Layout) -> Seed:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != layout.lines:
        raise ValueError(f"seed {name}: {len(lines)} lines, its layout expects {layout.lines}")
    return Seed(
        name=name,
        url=f"https://seed{name}.example/news/article-{name}.html",
        lines=lines,
        nav=[lines[i] for i in layout.nav],
        before=[lines[i] for i in layout.before],
        articles=[_seed_article(lines, a) for a in layout.articles],
        after=[lines[i] for i in layout.after],
    )


def _seed_article(lines: list[str], a: _ArticleLayout) -> SeedArticle:
    kinds = {i: "paragraph" for i in a.body}
    for kind, indices in (("figure", a.figures), ("lead", a.lead), ("meta", a.meta),
                          ("attribution", a.attribution), ("subhead", a.subheads), ("widget", a.widgets)):
        kinds.update((i, kind) for i in indices)
    if a.title is not None:
        kinds[a.title] = "title"
    blocks = [(kinds[i], lines[i]) for i in sorted(kinds)]
    if a.title is None:
        blocks.insert(0, ("title", _OUR_HEADLINE))
    return SeedArticle(blocks)


def render_seed(seed: Seed, *, flat: bool = False) -> str:
    """The seed as an HTML page. Semantic: menu lines in <nav>, each article
    in its own <article> (headline <h1>, byline lines, paragraphs <p>, its
    widgets in a <footer>), page widgets in <aside>. Flat: every line a <p> in
    one <div>, in the order of the seed file, nothing marked up."""
    if flat:
        return _flat(seed)
    nav = "".join(f'<li><a href="#">{escape(line)}</a></li>' for line in seed.nav)
    before = "".join(f"<p>{escape(line)}</p>" for line in seed.before)
    after = "".join(f"<p>{escape(line)}</p>" for line in seed.after)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(seed.articles[0].title)}</title>
<link rel="canonical" href="{escape(seed.url)}"></head>
<body>
<header><nav><ul>{nav}</ul></nav></header>
{f'<aside class="appeal">{before}</aside>' if before else ''}
<main>
{"".join(_article(a) for a in seed.articles)}
</main>
{f'<aside class="page-widgets">{after}</aside>' if after else ''}
</body></html>
"""


def _article(article: SeedArticle) -> str:
    header, body, widgets = [], [], []
    above_title = True
    for kind, line in article.blocks:
        text = escape(line)
        if kind == "title":
            header.append(f"<h1>{text}</h1>")
            above_title = False
        elif kind == "lead":
            header.append(f'<p class="standfirst">{text}</p>')
        elif kind == "meta":
            header.append(f'<span class="post-info">{text}</span>')
        elif kind == "figure":
            (header if above_title else body).append(f"<figure><figcaption>{text}</figcaption></figure>")
        elif kind == "subhead":
            body.append(f"<h2>{text}</h2>")
        elif kind == "widget":
            widgets.append(f"<p>{text}</p>")
        else:
            body.append(f"<p>{text}</p>")
    footer = f"<footer>{''.join(widgets)}</footer>" if widgets else ""
    return f"<article>\n<header>{''.join(header)}</header>\n{''.join(body)}\n{footer}\n</article>\n"


def _flat(seed: Seed) -> str:
    paragraphs = "\n".join(f"<p>{escape(line)}</p>" for line in seed.lines)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{escape(seed.articles[0].title)}</title></head>
<body><div>
{paragraphs}
</div></body></html>
"""
