"""What extraction keeps and what it refuses: a page goes in, the article's
own paragraphs and metadata come out, and nothing of the page around it."""

from __future__ import annotations

import pickle
import random
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone

import pytest
from trafilatura.utils import INVALID_XML_CHARS, repair_faulty_html

from crawler.ingest.extract import _XML_FORBIDDEN, ExtractConfig, _needs_repair, extract
from crawler.ingest.records import Page, Rejected
from tests.sampleweb.seeds import load_seeds, render_seed
from tests.sampleweb.templates import TEMPLATES, render_article_page

URL = "https://harbour.example/2024/03/pier-closure.html"
TITLE = "Council votes to close the eastern pier for repairs"
PARAGRAPHS = [
    "The harbour council voted on Tuesday to close the eastern pier for eighteen months while engineers "
    "replace the timber piles that have carried the walkway since the nineteen-twenties.",
    "Officials said the decision followed a survey that found rot in more than a third of the supports, and "
    "that the cost would be shared between the council and the regional transport fund.",
    "Fishing crews who moor at the pier will be moved to the western basin, where temporary pontoons are "
    "being installed this month. Several skippers said the new berths were too shallow at low tide.",
    "The council's chair, Ines Moreau, told the meeting that the alternative was a permanent closure within "
    "five years. \u201cWe either spend the money now or we lose the pier,\u201d she said.",
    "Work is expected to begin in March, once the winter storms have passed, and the contractor has "
    "promised to keep the lifeboat slipway open throughout.",
    "Residents will be able to follow the progress on a noticeboard at the harbour office, which will also "
    "list the days when heavy machinery is moved along the quay.",
]
MORE = [
    ("Ferry operator trims the late crossing",
     ["The ferry operator published a winter timetable on Monday, cutting the late weekday crossing and "
      "adding an early Saturday sailing for market traders who bring produce from the islands.",
      "Passengers' groups said they had not been consulted and asked the operator to wait until spring."]),
    ("Volunteers repaint the lighthouse",
     ["Volunteers repainted the lighthouse over the weekend, finishing a week earlier than planned thanks "
      "to a spell of dry weather along the whole of the northern coast.",
      "The trust that owns the tower said visitors would be let in again once the handrails are replaced."]),
]
WHEN = datetime(2024, 3, 5, 12, 0, tzinfo=timezone.utc)


def page(html: str | bytes, *, status: int = 200, content_type: str | None = "text/html; charset=utf-8",
         url: str = URL, final_url: str | None = None) -> Page:
    body = html.encode("utf-8") if isinstance(html, str) else html
    headers = {"content-type": content_type} if content_type is not None else {}
    return Page(url=url, status=status, headers=headers, body=body, fetched_at=WHEN, final_url=final_url)


def article_page(template: str = "wordpress", **kw) -> str:
    args = dict(title=TITLE, paragraphs=PARAGRAPHS, site_name="Harbour Post", url=URL, author="Dana Whitlock",
                published="2024-03-04T09:30:00+00:00", tags=("harbour", "council"))
    return render_article_page(template, **{**args, **kw})


def rejection(p: Page, config: ExtractConfig = ExtractConfig()) -> str:
    with pytest.raises(Rejected) as exc:
        extract(p, config)
    return exc.value.reason


def normal(line: str) -> str:
    return " ".join(line.split())


# -------------------------------------------------------------- rejections

@pytest.mark.parametrize("status", [404, 500, 301])
def test_a_non_2xx_response_is_rejected_with_its_status(status):
    assert rejection(page(article_page(), status=status)) == "http_status"


@pytest.mark.parametrize("content_type, body", [
    ("application/json", b'{"title": "not a page"}'),
    ("image/png", b"\x89PNG\r\n\x1a\n" + bytes(200)),
    ("text/plain; charset=utf-8", b"Just some notes, no markup at all."),
    (None, b'{"title": "no content type and no markup"}'),
])
def test_anything_but_html_is_rejected_as_not_html(content_type, body):
    assert rejection(page(body, content_type=content_type)) == "not_html"


@pytest.mark.parametrize("content_type", [None, "application/octet-stream", "application/xhtml+xml"])
def test_html_without_an_html_content_type_is_still_read(content_type):
    assert extract(page(article_page(), content_type=content_type)).text.splitlines() == PARAGRAPHS


@pytest.mark.parametrize("body", [b"", b"  \r\n\t "])
def test_an_empty_body_is_rejected(body):
    assert rejection(page(body)) == "empty_body"


def test_binary_bytes_are_rejected_as_undecodable():
    assert rejection(page(random.Random(1).randbytes(5000))) == "undecodable"


def test_a_body_over_the_size_limit_is_rejected_before_any_parsing():
    assert rejection(page(article_page()), ExtractConfig(max_bytes=2000)) == "too_large"
    huge = b"<html><body>" + b"<p>filler text</p>" * (10 * 1024 * 1024 // 18) + b"</body></html>"
    assert len(huge) > ExtractConfig().max_bytes
    assert rejection(page(huge)) == "too_large"


def test_a_page_of_menus_and_forms_has_no_article():
    html = ("<html><head><title>Sign in</title></head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
            "<form><input name='user'><input type='password'><button>Sign in</button></form></body></html>")
    assert rejection(page(html)) == "no_article"


def test_a_short_text_is_rejected_below_the_configured_minimum():
    short = ["The ferry is cancelled today because of the storm warning issued this morning."]
    html = render_article_page("minimal", title="Ferry cancelled", paragraphs=short, site_name="Harbour Post", url=URL)
    assert rejection(page(html)) == "too_short"
    assert extract(page(html), ExtractConfig(min_text_length=50)).text == short[0]


# -------------------------------------------------------------- the article and only the article

@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_gives_exactly_the_article_paragraphs(template):
    """Comments, share bars, donation and newsletter boxes, related stories,
    ads, counters and the posts loaded below must all stay out."""
    article = extract(page(article_page(template, more_articles=MORE)))
    assert article.text.splitlines() == PARAGRAPHS


def _story_cards(count: int = 4) -> str:
    """A "more stories" rail as sites build them now: hashed class names that
    say nothing, each card an image, a linked headline and a one-line teaser."""
    cards = "".join(
        f'<div class="css-8k2q1"><a href="/story/{i}.html" tabindex="-1"><img src="/img/{i}.jpg" alt=""></a>'
        f'<h3 class="css-x71ba"><a href="/story/{i}.html">Tram depot number {i} gets a new roof</a></h3>'
        f'<p class="css-0p2wd">Teaser {i}: the works will close the depot yard for most of the summer months.</p></div>'
        for i in range(count))
    return f'<section class="css-4fj2n"><h2 class="css-yy0">Keep reading</h2><div class="css-g1">{cards}</div></section>'


@pytest.mark.parametrize("template", TEMPLATES)
def test_story_cards_below_the_article_stay_out_whatever_their_class_names(template):
    """Also on the templates with no article container (minimal, legacy),
    where the cards are siblings of the article's own text, and without the
    page taking a card's headline for its title."""
    html = article_page(template).replace("</body>", _story_cards() + "</body>")
    html = html.replace("</BODY>", _story_cards() + "</BODY>")
    article = extract(page(html))
    assert article.text.splitlines() == PARAGRAPHS
    assert article.title == TITLE


def test_a_roundup_of_linked_headings_inside_the_article_is_kept():
    """Linked headings with short text are the article itself when they sit
    in its container: a roundup, not a rail of other stories."""
    items = "".join(
        f'<h3><a href="https://venue{i}.example/">Venue {i} on the quay</a></h3>'
        f'<p>Venue {i} opens its terrace at noon and serves fish soup until the last ferry leaves.</p>'
        for i in range(4))
    html = (f"<html><head><title>Where to eat by the harbour</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Where to eat by the harbour</h1><p>{PARAGRAPHS[0]}</p>{items}</article>"
            f"{_story_cards()}</body></html>")
    text = extract(page(html)).text
    for i in range(4):
        assert f"Venue {i} opens its terrace" in text
    assert "Teaser" not in text


def test_a_one_paragraph_story_with_a_signup_box_and_a_long_comment_thread_keeps_its_paragraph():
    """Generated class names everywhere: the sign-up box inside the story's
    container must not take the story with it, and the thread below (far
    more text than the story) must not be taken for the article."""
    story = ("The lifeboat crew at Pellin was called out twice on Sunday night, first to a yacht with a fouled "
             "propeller and then to two walkers cut off by the tide below the old quarry.")
    comments = "".join(
        f'<div class="x-c{i}"><div class="x-n">Reader {i}</div><p class="x-t">Comment {i}: I have walked that '
        f'stretch for years and the tide comes in faster than anyone expects, even on a calm evening in summer. '
        f'Good to read that everyone got home safely and that the crew was there in minutes.</p></div>'
        for i in range(4))
    html = (f"<html><head><title>Two lifeboat call-outs in one night</title></head><body><div class='a1'>"
            f"<h1 class='h9'>Two lifeboat call-outs in one night</h1><div class='b7'><p class='p1'>{story}</p>"
            f"<div class='q3'><p class='q4'>Sign up to the Pellin Post</p><p class='q5'>The week's news in one "
            f"email, every Friday.</p><a class='q6' href='#'>Sign up</a></div>"
            f"<p><em>Continue reading at the Pellin Post</em></p></div>"
            f"<div class='c2'><h2 class='c3'>Comments (4)</h2>{comments}</div></div></body></html>")
    article = extract(page(html))
    assert article.text == story
    assert article.attribution == "Continue reading at the Pellin Post"


# A news page with generated class names (our held-out "hashed" layout):
# the story's container holds its paragraph, an inline sign-up box and the
# line naming its source; a comment thread and a most-viewed list follow.
_GENERATED_CLASSES_PAGE = (
    '<html><head><title>A Story</title></head><body><div id="app"><div class="dcr-623d"><a class="dcr-59f'
    'f" href="/">The Morning Tide</a>\n<div class="dcr-3253"><p>Support fearless reporting from just one p'
    'ound a month. It takes a minute.</p></div></div>\n<div class="dcr-723a"><div class="dcr-2426"><h1 cla'
    'ss="dcr-b097">A Story</h1></div>\n<div class="dcr-9129"><div class="dcr-1f35"><a rel="author" href="#'
    '">Desk</a></div>\n<div class="dcr-3102"><time datetime="2024-05-02T10:00:00+00:00">Thu 02 May 2024 10'
    '.00 GMT</time></div>\n<div class="dcr-75da">Share</div></div>\n<div class="dcr-b372" id="maincontent">'
    '\n<p class="dcr-1d0">{story}</p>\n{box}\n<p><em>Read the full story at Eastbay Chronicle</em></p>\n</div'
    '>\n<div class="dcr-ae8e"><p class="dcr-36b8">Explore more on these topics: coasts, local government, '
    'transport.</p></div>\n<div class="dcr-156d"><h2 class="dcr-8c45">Comments (42)</h2>\n<p class="dcr-8f9'
    'f">This discussion is now closed for comments but you can still sign in to recommend comments.</p><d'
    'iv class="dcr-3770"><div class="dcr-b1a2">M. Ferrante</div><div class="dcr-b4fc">3h ago</div><p clas'
    's="dcr-3940">Balanced piece, but I wish you had asked the other side the same hard questions. Every '
    'quote from the officials is allowed to stand without a single follow-up.</p><div class="dcr-771e">Re'
    'ply</div></div><div class="dcr-3770"><div class="dcr-b1a2">Annika S.</div><div class="dcr-b4fc">4h a'
    'go</div><p class="dcr-3940">Can the paper follow this up in six months? These stories always vanish '
    'once the cameras leave and then nobody checks whether any of the promises were actually kept.</p><di'
    'v class="dcr-771e">Reply</div></div><div class="dcr-3770"><div class="dcr-b1a2">tidewatcher42</div><'
    'div class="dcr-b4fc">5h ago</div><p class="dcr-3940">Same thing happened in our town a few years bac'
    'k and it took the best part of a decade to recover. Good luck to everyone affected, you are going to'
    ' need patience and a good lawyer.</p><div class="dcr-771e">Reply</div></div></div>\n<div class="dcr-5'
    'a45"><h2 class="dcr-41c4">Most viewed</h2><ol class="dcr-740"><li><a href="#">Hospital car park char'
    'ges to rise from April</a></li><li><a href="#">Teenage chess champion beats grandmaster in simultane'
    'ous match</a></li><li><a href="#">Council votes to keep ferry subsidy for another two years</a></li>'
    '<li><a href="#">Old cinema on Bridge Street sold to developer</a></li></ol></div>\n</div><div class="'
    'dcr-7c48"><p>Copyright held by the publishers of this site and its many patient contributors.</p></d'
    'iv></div></body></html>'
)


@pytest.mark.parametrize("box", [
    # known by its name
    '<div class="dcr-420a" data-component="inline-signup"><p class="dcr-5037">Sign up to the Pellin Post</p>'
    '<p class="dcr-b1e8">Our editors pick the stories that matter and send them to you before breakfast.</p>'
    '<div class="dcr-2a2">We only use your address to send the email you asked for.</div>'
    '<a class="dcr-b4fc" href="#">Sign up</a></div>',
    # known by its call alone
    '<div class="dcr-420a"><p class="dcr-5037">Sign up to the Pellin Post</p>'
    '<p class="dcr-b1e8">Our editors pick the stories that matter and send them to you before breakfast.</p>'
    '<a class="dcr-b4fc" href="#">Sign up</a></div>',
])
def test_a_story_shorter_than_a_pitch_beside_a_signup_box_keeps_its_paragraph(box):
    """The story's one paragraph is no longer than a newsletter pitch, and
    the comment thread below holds more text: the sign-up box inside the
    story's container goes alone, not with the container."""
    story = ("The lifeboat crew at Pellin was called out twice on Sunday night, to a yacht off the point and "
             "to two walkers below the quarry.")
    article = extract(page(_GENERATED_CLASSES_PAGE.format(story=story, box=box)))
    assert article.text == story


def _recommended(cards: list[tuple[str, str]]) -> str:
    return ('<div class="more-from"><h2>More from this writer and recommended for you</h2>'
            + "".join(f'<div class="card"><h2 class="card-title">{title}</h2><h3 class="card-sub">{sub}</h3></div>'
                      for title, sub in cards) + "</div>")


_CARDS = [
    ("Ferry operator trims the late crossing", "The ferry operator published a winter timetable on Monday, "
     "cutting the late weekday crossing and adding an early Saturday sailing."),
    ("Volunteers repaint the lighthouse", "Volunteers repainted the lighthouse over the weekend, finishing "
     "a week earlier than planned thanks to a spell of dry weather."),
    ("Market hall roof to be replaced", "The market hall will close for six weeks in the spring while its "
     "leaking glass roof is replaced with panels that let in more light."),
    ("School choir wins the regional final", "The choir of the harbour primary school won the regional "
     "final on Saturday with a programme of sea shanties and folk songs."),
]


def _excerpt_page(paragraph: str, ending: str) -> str:
    return (f"<html><head><title>{TITLE}</title></head><body><nav><a href='/'>Civic Pages</a></nav>"
            f"<article><div class='l'><h1>{TITLE}</h1><div class='meta'><a href='#'>Dana Whitlock</a> "
            f"<span>4 min read</span></div><p class='body-p'>{paragraph}</p>{ending}</div></article>"
            f"<div class='about'><h2>Written by Dana Whitlock</h2><p class='bio'>Writes about harbours.</p></div>"
            f"{_recommended(_CARDS)}</body></html>")


def test_a_one_paragraph_excerpt_above_a_box_of_recommended_stories_is_its_paragraph():
    """trafilatura reads the box of recommended stories (more text than the
    excerpt); the text is the excerpt's own paragraph, and two excerpts of
    different stories on one site do not come out as the same box."""
    ending = "<p><em>Read the full story at the Harbour Post</em></p>"
    one = extract(page(_excerpt_page(PARAGRAPHS[0], ending)))
    assert one.text == PARAGRAPHS[0]
    assert one.attribution == "Read the full story at the Harbour Post"
    other = extract(page(_excerpt_page(PARAGRAPHS[3], ending), url="https://harbour.example/other.html"))
    assert other.text == PARAGRAPHS[3]


def test_a_one_paragraph_excerpt_is_not_run_together_with_its_headline_byline_and_caption():
    """trafilatura, reading under its minimum, falls back to the text of the
    whole <article> in one line (headline, byline, caption, paragraph); the
    excerpt's text is its paragraph. (An AMP page's markup.)"""
    html = (f"<html><head><title>{TITLE}</title></head><body>"
            f"<header id='top' class='amp-wp-header'><div><a href='/'>Harbour Post</a></div></header>"
            f"<article class='amp-wp-article'><header class='amp-wp-article-header'>"
            f"<h1 class='amp-wp-title'>{TITLE}</h1><div class='amp-wp-meta amp-wp-byline'>"
            f"<amp-img src='/avatar.png' width='24' height='24' layout='fixed'></amp-img>"
            f"<span class='amp-wp-author author vcard'>Dana Whitlock</span></div>"
            f"<div class='amp-wp-meta amp-wp-posted-on'><time datetime='2024-03-04T09:30:00+00:00'>4 March 2024"
            f"</time></div></header><figure class='amp-wp-article-featured-image wp-caption'>"
            f"<amp-img width='1024' height='683' src='/pier.jpg' layout='responsive'></amp-img>"
            f"<p class='wp-caption-text'>The eastern pier at low tide. Photo: Ines Moreau</p></figure>"
            f"<div class='amp-wp-article-content'><p>{PARAGRAPHS[0]}</p>"
            f"<p><em>Continue reading at the Harbour Post</em></p></div></article></body></html>")
    article = extract(page(html))
    assert article.text == PARAGRAPHS[0]
    assert article.attribution == "Continue reading at the Harbour Post"


def test_a_one_paragraph_post_above_a_named_box_of_related_posts_is_its_paragraph():
    """A blog's related-posts box, known by its name, holds most of a
    one-paragraph post's text: it goes all the same."""
    related = "".join(
        f"<div class='jp-relatedposts-post'><h4 class='jp-relatedposts-post-title'><a href='#'>{title}</a></h4>"
        f"<p class='jp-relatedposts-post-excerpt'>{sub}</p><p class='jp-relatedposts-post-context'>In "
        f"&quot;News&quot;</p></div>" for title, sub in _CARDS[:3])
    html = (f"<html><head><title>{TITLE}</title></head><body><article class='post'><h1 class='entry-title'>"
            f"{TITLE}</h1><div class='entry-content'><p>{PARAGRAPHS[0]}</p>"
            f"<p><em>Continue reading at the Harbour Post</em></p>"
            f"<div id='jp-relatedposts' class='jp-relatedposts'><h3 class='jp-relatedposts-headline'><em>Related"
            f"</em></h3><div class='jp-relatedposts-items'>{related}</div></div></div></article></body></html>")
    article = extract(page(html))
    assert article.text == PARAGRAPHS[0]


def _cards_in_the_article(paragraphs: list[str], heading: str, cards: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{TITLE}</title></head><body><header><a href='/'>Harbour Post</a></header>"
            f"<main><article class='story'><h1>{TITLE}</h1><div class='story-body'>{body}"
            f"<p><em>Continue reading at the Harbour Post</em></p></div>"
            f"<section class='s-foot'><h2>{heading}</h2>{cards}</section></article></main></body></html>")


def test_a_one_paragraph_excerpt_over_cards_of_other_stories_inside_its_article_is_its_paragraph():
    """A "More from" section of story cards at the foot of the <article>
    itself: trafilatura reads the whole box of a one-paragraph story, cards
    and all; the text is the story's paragraph (two cards are enough)."""
    cards = "".join(f"<div class='card'><h3><a href='#'>{title}</a></h3><p>{sub}</p></div>"
                    for title, sub in _CARDS[:2])
    article = extract(page(_cards_in_the_article([PARAGRAPHS[0]], "More from Harbour", cards)))
    assert article.text == PARAGRAPHS[0]


def test_links_under_a_more_on_heading_inside_the_story_body_keep_the_paragraphs_around_them():
    """The heading's box is the story's own body, of short paragraphs, with
    two linked headlines under it and the standfirst above it in the
    header: none of the story's paragraphs goes with the links."""
    body = ["The company blamed the price of fuel and a new contract for the crews, agreed after a long dispute "
            "over night shifts.",
            "Islanders who hold a resident's card will pay the old fare until the end of the summer, a "
            "spokeswoman added.",
            "The island council said it would ask the government to cover part of the rise for students and "
            "pensioners.",
            "Its leader said many families on the outer islands already spent more on crossings than on food.",
            "The operator will publish the new timetable and price list on its website next week."]
    title = "Ferry fares rise on the island routes"
    html = (f"<html><head><title>{title} - Coast Gazette</title></head><body><header><a href='/'>Coast Gazette</a>"
            f"</header><main><article class='post'><div class='post-head'><h1>{title}</h1>"
            f"<p class='byline'>By Rona Pellew</p><p class='standfirst'>Fares on the three island ferry routes will "
            f"go up by nine per cent from next month, the operator said on Thursday.</p></div>"
            f"<div class='post-body'><p>{body[0]}</p><p>{body[1]}</p><h3>More on the ferries</h3>"
            f"<h4><a href='/a'>New ferry delayed until the autumn</a></h4>"
            f"<h4><a href='/b'>Pier repairs finished ahead of time</a></h4>"
            + "".join(f"<p>{p}</p>" for p in body[2:]) + "</div></article></main></body></html>")
    text = extract(page(html)).text
    for paragraph in body:
        assert paragraph in text


def test_a_list_of_cards_under_a_more_from_heading_at_the_foot_of_a_story_stays_out():
    """Cards set as a list (a headline and a teaser in each item) under a
    "More from" heading inside the <article>, after a story of several
    paragraphs: the text is the story."""
    cards = "<ul>" + "".join(f"<li><h3><a href='#'>{title}</a></h3><span>{sub}</span></li>"
                             for title, sub in _CARDS[:3]) + "</ul>"
    article = extract(page(_cards_in_the_article(PARAGRAPHS[:3], "More from Harbour", cards)))
    assert article.text == "\n".join(PARAGRAPHS[:3])


_SECTION_CARDS = [
    ("Ferry timetable changes from May", "The winter timetable ends on the last Sunday of April, and the first "
     "boat of the day leaves half an hour earlier from then until the end of September."),
    ("Quay lights to be replaced after storm damage", "Three of the lamp posts on the north quay were bent in "
     "the February storm, and the harbour board has ordered new ones from a foundry in the valley."),
    ("Harbour master retires after thirty years", "Colleagues gathered on the slipway to mark the last shift of "
     "the harbour master, who started as a deckhand on the pilot boat when he was sixteen years old."),
    ("Fish market opens on Saturdays too", "Stallholders voted to open on Saturday mornings through the summer, "
     "after a trial last year brought more visitors to the market hall than any weekday did."),
    ("Dredging of the inner basin to start", "The inner basin has silted up so much that boats touch the bottom "
     "at low tide, and the dredger is due to arrive from the estuary at the start of next month."),
    ("Sailing school takes its first pupils", "Twelve children from the town's two primary schools had their "
     "first lesson in the sheltered corner of the outer harbour on a calm and sunny afternoon."),
]


def _section_page(heading: str, intro: str = "", *, head: str = "", href: str = "/story/{i}.html") -> str:
    """A tag, section or front page: a heading that names it, a line of
    blurb, and cards of stories each in a box of its own with a teaser too
    long for a card rail's."""
    cards = "".join(f'<article class="c{i}"><h2><a href="{href.format(i=i)}">{title}</a></h2><p>{teaser}</p>'
                    f'<time datetime="2024-03-0{i + 1}">{i + 1} March</time></article>'
                    for i, (title, teaser) in enumerate(_SECTION_CARDS))
    return (f"<html><head><title>{heading} | Harbour Post</title>{head}</head><body>"
            f"<header><a href='/'>Harbour Post</a></header><main><h1>{heading}</h1>{intro}{cards}</main>"
            f"<footer>Harbour Post, on the quay since 1921</footer></body></html>")


@pytest.mark.parametrize("heading, intro, url, href", [
    ("Harbour", "<p>All our reporting on the port, its boats and the people who work there.</p>",
     "https://harbourpost.example/topic/harbour", "/story/{i}.html"),
    ("Harbour Post", "", "https://harbourpost.example/", "/story/{i}.html"),  # the site's name over the day's stories
    ("Sport", "", "https://harbourpost.example/sport", "/sport/2024/03/rowing-club-story-{i}"),  # stories below it
    ("Harbour", "", "https://harbourpost.example/index.php?cat=harbour", "/index.php?p={i}"),
])
def test_a_tag_or_front_page_of_story_cards_under_its_name_is_not_an_article(heading, intro, url, href):
    p = page(_section_page(heading, intro, href=href), url=url)
    with pytest.raises(Rejected) as exc:
        extract(p)
    assert exc.value.reason == "no_article" and "a list of 6 stories" in exc.value.detail


def test_stories_under_a_headline_or_linking_to_other_sites_or_on_a_page_declaring_an_article_are_kept():
    """What a list page's rule must leave alone: the same cards under a
    headline (a roundup of the week's stories), cards linking to other
    sites (a roundup of venues), cards linking to pages below the page's
    own (a live page's entries, a gallery's pictures, a guide's sections),
    and a page that says it is an article."""
    url = "https://harbourpost.example/news/week"
    roundup = extract(page(_section_page("The week on the quay in six stories"), url=url))
    venues = extract(page(_section_page("Harbour", href="https://venue{i}.example/"), url=url))
    live = "https://harbourpost.example/news/2024/03/harbour-storm-live"
    entries = extract(page(_section_page("Harbour storm live", href="/news/2024/03/harbour-storm-live/entry-{i}"),
                           url=live))
    declared = extract(page(_section_page("Harbour", head='<meta property="og:type" content="article">'), url=url))
    for article in (roundup, venues, entries, declared):
        assert "Twelve children from the town's two primary schools" in article.text


def test_a_short_notice_naming_no_source_is_too_short_even_when_furniture_made_trafilatura_read_more():
    """trafilatura reads the sign-up box and the author's bio with the one
    sentence (over 250 characters in all); the cleaning leaves the sentence,
    under 100 characters, and a page that names no source is not kept that
    short."""
    sentence = "The night bus to the harbour will run again from Friday, the transport board said this week."
    html = (f"<html><head><title>{TITLE}</title></head><body><main><article class='post'><h1>{TITLE}</h1>"
            f"<p>{sentence}</p><div class='newsletter-signup'><p>Sign up for our morning briefing and get the "
            f"day's coast news in your inbox before breakfast, every weekday, free of charge.</p></div>"
            f"<div class='author-bio'><p>Rona Pellew covers transport, the harbour and the islands for the "
            f"paper and has written for it for twelve years.</p></div></article></main></body></html>")
    with pytest.raises(Rejected) as rejected:
        extract(page(html))
    assert rejected.value.reason == "too_short"


@pytest.mark.parametrize("before", [1, 3])
def test_a_box_of_related_cards_in_the_middle_of_the_story_body_leaves_the_whole_story(before):
    """A "Related stories" box of linked headlines set between paragraphs of
    the body goes with its heading; the paragraphs after it stay, whether
    one or three come before it."""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:before])
    body += ("<section><h3>Related stories</h3>"
             + "".join(f"<div><h3><a href='/{i}'>{title}</a></h3></div>" for i, (title, _s) in enumerate(_CARDS[:2]))
             + "</section>")
    body += "".join(f"<p>{p}</p>" for p in PARAGRAPHS[before:5])
    html = (f"<html><head><title>{TITLE}</title></head><body><main><article class='story'><h1>{TITLE}</h1>"
            f"<div class='story-body'>{body}</div></article></main></body></html>")
    text = extract(page(html)).text
    assert text.splitlines() == PARAGRAPHS[:5]


def test_a_more_from_box_of_cards_ending_in_a_link_to_the_section_stays_out_of_an_excerpt():
    """The box of cards at the foot of a one-paragraph excerpt ends with a
    plain "All … news" link: still a box of cards, and the text is the
    excerpt's paragraph."""
    cards = ("".join(f"<div class='card'><h3><a href='#'>{title}</a></h3><p>{sub}</p></div>"
                     for title, sub in _CARDS[:2]) + "<p><a href='/harbour'>All Harbour news</a></p>")
    article = extract(page(_cards_in_the_article([PARAGRAPHS[0]], "More from Harbour", cards)))
    assert article.text == PARAGRAPHS[0]


def test_a_live_page_keeps_its_entries_under_a_latest_heading_though_each_links_to_itself():
    """A live page's entries, each headed by a link to itself (#e2), under
    "Latest": the page's own text, not cards of other stories."""
    entries = [
        ("16:40 Last sailing of the day cancelled", "The operator has cancelled the last sailing to the outer islands, "
         "saying the swell at the harbour mouth is now above the limit its captains are allowed to sail in."),
        ("15:55 Council opens the school gym", "The council has opened the gym of the island school for passengers "
         "stuck on the mainland side, with camp beds and hot drinks provided by volunteers from the lifeboat crew."),
        ("15:10 Coastguard warns walkers off the cliffs", "The coastguard asked walkers to keep away from the cliff "
         "paths on the north shore, where gusts of more than ninety kilometres an hour were recorded at noon."),
        ("14:25 Morning freight run delayed", "Lorries booked on the morning freight run were told to wait at the "
         "quay, and the operator said perishable goods would be given priority once the crossings resume."),
    ]
    feed = "".join(f"<div class='entry'><h3><a href='#e{i}'>{h}</a></h3><p>{p}</p></div>"
                   for i, (h, p) in enumerate(entries))
    title = "Storm closes the island ferries: live updates"
    html = (f"<html><head><title>{title} - Island Courier</title></head><body><header><a href='/'>Island Courier"
            f"</a></header><main><article class='live'><h1>{title}</h1>"
            f"<p class='standfirst'>Every crossing to the outer islands is off as the storm reaches the coast.</p>"
            f"<div class='live-feed'><h2>Latest</h2>{feed}</div></article></main></body></html>")
    text = extract(page(html)).text
    for _heading, entry in entries:
        assert entry in text


def test_nested_wrappers_around_a_signup_box_are_judged_in_linear_work(monkeypatch):
    """Each wrapper asks whether a box inside it is furniture; that question
    must not ask it again of every box inside (2 ** depth checks)."""
    from crawler.ingest import boilerplate

    calls = 0
    named = boilerplate._named_rule

    def counted(el):
        nonlocal calls
        calls += 1
        return named(el)

    monkeypatch.setattr(boilerplate, "_named_rule", counted)
    box = "<p>Our editors pick the stories that matter for you.</p><a href='#'>Sign up</a>"
    for depth in range(18):
        box = f"<div class='w{depth}'>{box}</div>"
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = f"<html><head><title>{TITLE}</title></head><body><article><h1>{TITLE}</h1>{body}{box}</article></body></html>"
    assert extract(page(html)).text.splitlines() == PARAGRAPHS
    assert calls < 5_000


def test_an_article_box_named_for_a_popular_tag_keeps_its_text():
    """WordPress names a post's tags in its classes ("tag-popular"): the
    article's box is not taken for a box of popular stories."""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3])
    links = "".join(f"<li><a href='/{i}'>Section {i} of the harbour archive</a></li>" for i in range(40))
    html = (f"<html><head><title>{TITLE}</title></head><body><div class='page-header'><h1>{TITLE}</h1>"
            f"<p class='standfirst'>{PARAGRAPHS[5]}</p></div><div class='entry-content tag-popular post-12'>{body}"
            f"</div><div class='sidebar'><ul>{links}</ul></div><footer><ul>{links}</ul></footer></body></html>")
    text = extract(page(html)).text
    for paragraph in PARAGRAPHS[:3]:
        assert paragraph in text


def test_a_short_page_above_a_box_of_recommended_stories_is_too_short_not_the_box():
    """Without a line naming its source, a paragraph under the minimum is
    too short: never the box stored in its place."""
    with pytest.raises(Rejected) as rejected:
        extract(page(_excerpt_page(PARAGRAPHS[0], "")))
    assert rejected.value.reason == "too_short"


@pytest.mark.parametrize("template", TEMPLATES)
def test_metadata_comes_from_the_page(template):
    article = extract(page(article_page(template, canonical_url="https://harbour.example/pier")))
    assert article.title == TITLE
    assert article.author == "Dana Whitlock"
    assert article.tags == ["harbour", "council"]
    if template != "legacy":  # the old layout prints the date only as words
        assert article.published.startswith("2024-03-04")
    if template in ("wordpress", "newspaper", "amp"):  # the ones that name the site in markup
        assert article.sitename == "Harbour Post"
    if template != "legacy":  # the old layout declares no language
        assert article.language == "en"
    if template not in ("minimal", "legacy"):
        assert article.canonical_url == "https://harbour.example/pier"


@pytest.mark.parametrize("marked", [
    '<time class="entry-date published updated" datetime="{when}">4 March</time>',  # hAtom (WordPress themes)
    '<abbr class="published" title="{when}">4 March, 09:30</abbr>',  # hAtom, older themes
    '<time itemprop="datePublished" datetime="{when}">4 March</time>',  # schema.org microdata
])
def test_a_date_marked_only_in_the_body_keeps_its_time_and_offset(marked):
    """No meta tag, no JSON-LD: the date the article marks in its own header
    is read whole (time and offset), and a later one in a teaser does not win."""
    when = "2024-03-04T09:30:00+01:00"
    teaser = marked.format(when="2024-05-20T18:00:00+01:00")
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (f"<html><head><title>{TITLE}</title></head><body><article><h1>{TITLE}</h1>"
            f"<p class='meta'>By Dana Whitlock, {marked.format(when=when)}</p>{body}</article>"
            f"<aside><h3>Next story</h3><p><a href='/next'>Ferry timetable changes</a> {teaser}</p></aside>"
            f"</body></html>")
    assert extract(page(html)).published == when


def test_the_canonical_url_is_made_absolute_against_the_final_url():
    html = article_page("minimal").replace("</title>", '</title><link rel="canonical" href="/2024/pier.html">')
    article = extract(page(html, url="https://harbour.example/?p=12", final_url="https://www.harbour.example/p/12"))
    assert article.canonical_url == "https://www.harbour.example/2024/pier.html"
    og_url = '<meta property="og:url" content="//harbour.example/og">'
    og_only = article_page("minimal").replace("</title>", "</title>" + og_url)
    assert extract(page(og_only)).canonical_url == "https://harbour.example/og"


FURNITURE_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><div class="topbar"><a href="/">Harbour Post</a> <a href="/login">Log in</a></div>
<div class="container"><div class="story-wrap">
<h1 class="post-heading">{title}</h1>
<div class="info-line"><span>By Dana Whitlock</span> <span>Published on 4 March 2024</span> <span>2,318 views</span></div>
{paragraphs}
<div class="donate-panel"><p>Independent local news costs money. If you value it, please chip in what you can.</p></div>
<div class="jp-relatedposts"><h3>You may also like</h3><p><a href="/a">Quay lights switched to LED</a></p></div>
<div id="disqus_thread"><p>Load 14 comments</p></div>
<div class="signup-box"><p>Get the Harbour Post newsletter every Friday. Enter your email below.</p></div>
</div></div></body></html>"""
# Widget text CMSs print between paragraphs (the end-of-article kind is tested below).
FURNITURE_LINES = [
    "Advertisement", "1,234 views", "Published on 4 March 2024", "Like what you read? Back us on Patreon!",
    "Sign up for our daily newsletter", "Share on Facebook", "Tweet", "Sponsored content", "4 min read",
    "Listen to this article", "Image caption Delegates arrive at the town hall", "Follow Harbour Post on Instagram",
    "We use cookies to make this site work better for you.", "Already a subscriber? Log in",
]


def test_furniture_named_by_class_or_id_stays_out_of_the_text():
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    article = extract(page(FURNITURE_PAGE.format(title=TITLE, paragraphs=paragraphs)))
    assert article.text.splitlines() == PARAGRAPHS


def test_furniture_lines_inside_the_article_body_stay_out_of_the_text():
    """Widget text that sits in plain paragraphs, mixed into the article,
    as pages flattened by their CMS have it."""
    mixed = PARAGRAPHS[:2] + FURNITURE_LINES[:4] + PARAGRAPHS[2:4] + FURNITURE_LINES[4:] + PARAGRAPHS[4:]
    html = render_article_page("minimal", title=TITLE, paragraphs=mixed, site_name="Harbour Post", url=URL)
    article = extract(page(html))
    assert article.text.splitlines() == PARAGRAPHS


LOOKALIKES = [
    "By the time the ferry arrived, the storm had passed and the quay was empty again.",
    "Please donate blood if you can, the regional health service urged residents on Monday.",
    "You can sign up for the new bus pass at any library from next week onwards.",
    "PayPal shares fell five per cent after the results were published on Thursday morning.",
    "US support for the harbour project was confirmed by the ambassador during her visit.",
    "Via Appia, the old Roman road, still crosses the valley south of the town centre.",
    "The report was published on Monday and found that the pier had been neglected for years.",
    "Discussion",
    "Readers who want to comment on the plans can write to the council before the end of April.",
]


def test_article_sentences_that_resemble_furniture_are_kept():
    paragraphs = PARAGRAPHS[:3] + LOOKALIKES + PARAGRAPHS[3:]
    html = render_article_page("minimal", title=TITLE, paragraphs=paragraphs, site_name="Harbour Post", url=URL)
    article = extract(page(html))
    assert article.text.splitlines() == paragraphs
    assert article.attribution is None


@pytest.mark.parametrize("marker", ["Leave a comment", "Click here to comment", "17 Comments", "Related posts",
                                    "You might also like", "Share this article", "Continue reading"])
def test_the_text_ends_where_the_comments_or_related_links_begin(marker):
    trailing = ["A reader wrote that the pier should have been closed years ago, and that the council had "
                "ignored every warning the harbour master gave it since the storm of two winters ago."]
    html = render_article_page("minimal", title=TITLE, paragraphs=PARAGRAPHS + [marker] + trailing,
                               site_name="Harbour Post", url=URL)
    assert extract(page(html)).text.splitlines() == PARAGRAPHS


def test_a_standfirst_and_subheadings_in_boxes_named_for_the_layout_are_kept_and_the_menus_are_not():
    """A CMS puts the standfirst in a "header" box below the headline and wraps
    each subheading in a "section-header" div or anchors it with a "nav"
    id for its table of contents: article text, whatever the box is called.
    The site's own header and navigation menus, links and all, stay out."""
    standfirst = ("Engineers found rot in a third of the timber piles, and the council chose an eighteen-month "
                  "repair over losing the pier within five years.")
    headings = ["What the survey found", "Where the boats will go", "When the work starts"]
    body = (f"<div class='section-header'><h2>{headings[0]}</h2></div><p>{PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p>"
            f"<h3 id='nav-moorings'>{headings[1]}</h3><p>{PARAGRAPHS[2]}</p><p>{PARAGRAPHS[3]}</p>"
            f"<div class='block-header'><h2>{headings[2]}</h2></div><p>{PARAGRAPHS[4]}</p><p>{PARAGRAPHS[5]}</p>")
    menu = "".join(f"<li><a href='/section/{w}'>{w.title()}</a></li>" for w in ("news", "sport", "weather", "jobs"))
    html = (f"<html><head><title>{TITLE} | Harbour Post</title></head><body>"
            f"<div class='site-header'><a href='/'>Harbour Post</a><ul class='nav-menu'>{menu}</ul></div>"
            f"<div class='main-nav'><h2>Sections</h2><ul>{menu}</ul></div>"
            f"<article><h1>{TITLE}</h1><div class='story-header'><p>{standfirst}</p></div>"
            f"<div class='story'>{body}</div></article>"
            f"<footer><ul>{menu}</ul></footer></body></html>")
    lines = extract(page(html)).text.splitlines()
    assert lines == [standfirst, headings[0], *PARAGRAPHS[:2], headings[1], *PARAGRAPHS[2:4],
                     headings[2], *PARAGRAPHS[4:]]


def test_a_page_written_in_decomposed_characters_gives_its_text_composed():
    """"u" followed by a combining diaeresis reads as "ü" but neither searches
    nor compares like it: the text comes out composed (NFC), as the page
    looks."""
    words = ["Die Br\u00fccke \u00fcber den Fluss bleibt gesperrt, bis die Pr\u00fcfer ihre Arbeit "
             "abgeschlossen haben und der Stadtrat \u00fcber die Kosten entschieden hat.",
             "Die F\u00e4hre f\u00e4hrt in dieser Zeit st\u00fcndlich, auch am Wochenende, und die "
             "Gemeinde \u00fcbernimmt die Geb\u00fchren f\u00fcr Sch\u00fclerinnen und Sch\u00fcler."]
    decomposed = [unicodedata.normalize("NFD", w) for w in words]
    assert decomposed != words
    html = render_article_page("minimal", title="Br\u00fccke gesperrt", paragraphs=decomposed,
                               site_name="Harbour Post", url=URL, lang="de")
    assert extract(page(html)).text.splitlines() == words


def test_headings_inside_one_article_do_not_split_it():
    """A site-name h1, the headline repeated in a sticky bar, and section
    headings in the body: one article, kept whole."""
    sections = "".join(f"<h2>Part {i}</h2><p>{p}</p>" for i, p in enumerate(PARAGRAPHS))
    html = (f"<html><head><title>{TITLE} | Harbour Post</title></head><body>"
            f"<h1>Harbour Post</h1><div class='sticky'><h1>{TITLE}</h1></div>"
            f"<div><h1>{TITLE}</h1><p class='byline'>By Dana Whitlock</p>{sections}</div></body></html>")
    lines = extract(page(html)).text.splitlines()
    assert [line for line in lines if not line.startswith("Part ")] == PARAGRAPHS


def test_a_repeated_body_appears_once():
    html = render_article_page("minimal", title=TITLE, paragraphs=PARAGRAPHS + PARAGRAPHS,
                               site_name="Harbour Post", url=URL)
    assert extract(page(html)).text.splitlines() == PARAGRAPHS


# -------------------------------------------------------------- attribution

@pytest.mark.parametrize("template", ["wordpress", "blogger", "newspaper", "amp", "minimal", "legacy"])
@pytest.mark.parametrize("line", [
    "Via Coastline Wire", "(AFP) —", "Reuters —", "Read more at Northline News",
    "Continue reading at Northline News", "Originally published at The Valley Courier",
    "This article first appeared on Northline News", "© AFP 2016",
    "Editor's note: This article was first published by Northline News and is republished here with permission.",
    "Editor's note: republished from Northline News.",
])
def test_the_attribution_line_is_moved_out_of_the_text(template, line):
    article = extract(page(article_page(template, attribution=line)))
    assert article.attribution == line
    assert article.text.splitlines() == PARAGRAPHS


def test_an_attribution_link_in_the_article_footer_is_found():
    """"Originally published at <a>X</a>" beside the tag list, in the footer
    that pruning removes and where its link would fail link-density rules."""
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (f"<html><head><title>{TITLE}</title></head><body><article class='post'><h1>{TITLE}</h1>"
            f"<div class='entry-content'>{paragraphs}</div><footer class='entry-footer'>"
            f"<span class='tags-links'>Tagged <a href='/t/harbour'>harbour</a></span>"
            f"<p class='source'>Originally published at <a href='https://valley.example/'>The Valley Courier</a></p>"
            f"</footer></article></body></html>")
    article = extract(page(html))
    assert article.attribution == "Originally published at The Valley Courier"
    assert article.text.splitlines() == PARAGRAPHS


@pytest.mark.parametrize("dateline", ["WASHINGTON (AFP) —", "HAMBURG (dpa) -", "Hamburg (dpa/lno) –"])
def test_a_dateline_with_a_place_keeps_the_place_in_the_attribution(dateline):
    paras = [f"{dateline} " + PARAGRAPHS[0]] + PARAGRAPHS[1:]
    article = extract(page(article_page("newspaper", paragraphs=paras)))
    assert article.attribution == dateline
    assert article.text.splitlines() == PARAGRAPHS


@pytest.mark.parametrize("template", TEMPLATES)
def test_an_original_has_no_attribution_and_its_own_copyright_is_not_one(template):
    assert extract(page(article_page(template))).attribution is None


# -------------------------------------------------------------- languages

CHINESE = [
    "江边的老码头在修缮两年之后重新向市民开放。新的木栈道沿着河岸延伸了三公里，两旁种满了本地的树木。",
    "负责工程的设计师说，他们保留了码头原来的石头台阶和铁环，希望让老人们还能认出年轻时熟悉的地方。",
    "开放第一天，许多家庭带着孩子来散步。一位在附近住了四十年的居民说，这里终于又有了热闹的声音。",
    "市政府表示，今后每个周末都会在码头举办小型市集，售卖本地农产品和手工艺品，收入将用于维护栈道。",
    "有关部门还提醒游客，河水在雨季上涨较快，请不要越过栏杆，也不要在夜间独自靠近水边。",
    "据介绍，修缮工程共花费一千二百万元，其中一半来自省里的专项资金，另一半由市里和沿江的几家企业共同承担。",
    "工程期间，施工队在旧码头下面发现了一段清代的石砌护岸。文物部门已经对它进行了记录，并决定在原地保护展示。",
    "码头旁边的旧仓库也将改造成一座小型博物馆，展出老照片、船具和船工们的口述故事，预计明年春天对外开放。",
]


@pytest.mark.parametrize("template", ["newspaper", "wordpress", "amp"])
def test_a_short_chinese_page_extracts_with_its_language(template):
    """233 characters of Chinese: a short article, not too short, and not the
    whole-page dump trafilatura falls back to under 250 characters."""
    html = render_article_page(template, title="江边老码头修缮后重新开放", paragraphs=CHINESE[:5], site_name="江城日报",
                               url="https://jiangcheng.example/news/1.html", lang="zh-CN", author="李明")
    article = extract(page(html, url="https://jiangcheng.example/news/1.html"))
    assert article.text.splitlines() == CHINESE[:5]
    assert article.language == "zh"
    assert article.title == "江边老码头修缮后重新开放"


# -------------------------------------------------------------- seeds: the first article rule

def seed_pages(seeds_dir, *names):
    seeds = {s.name: s for s in load_seeds(seeds_dir)}
    missing = [n for n in names if n not in seeds]
    assert not missing, f"seed pages {missing} not found or not in the known layout"
    return [seeds[n] for n in names]


@pytest.mark.parametrize("flat", [False, True], ids=["semantic", "flat"])
@pytest.mark.parametrize("name", ["000", "001"])
def test_only_the_first_article_of_an_infinite_scroll_page_is_kept(seeds_dir, name, flat):
    [seed] = seed_pages(seeds_dir, name)
    assert len(seed.articles) == 4
    lines = extract(page(render_seed(seed, flat=flat), url=seed.url)).text.splitlines()
    first = seed.articles[0]
    assert [normal(b) for b in first.body if normal(b) not in lines] == []
    for later in seed.articles[1:]:
        assert later.opening(), "each later article has paragraphs to look for"
        for line in later.opening():
            assert normal(line) not in lines
        assert not set(map(normal, later.body)) & set(lines)


@pytest.mark.parametrize("flat", [False, True], ids=["semantic", "flat"])
@pytest.mark.parametrize("name", ["000", "001", "002", "003", "004"])
def test_seed_page_furniture_stays_out_and_the_body_stays_in(seeds_dir, name, flat):
    [seed] = seed_pages(seeds_dir, name)
    article = extract(page(render_seed(seed, flat=flat), url=seed.url))
    lines = set(article.text.splitlines())
    assert seed.furniture, "the seed layout names its furniture"
    assert [f for f in seed.furniture if normal(f) in lines] == []
    body = [normal(b) for b in seed.articles[0].body]
    assert sum(b in lines for b in body) >= 0.95 * len(body)


@pytest.mark.parametrize("flat", [False, True], ids=["semantic", "flat"])
def test_a_seed_credit_line_becomes_the_attribution(seeds_dir, flat):
    [seed] = seed_pages(seeds_dir, "004")
    [credit] = seed.articles[0].attribution
    article = extract(page(render_seed(seed, flat=flat), url=seed.url))
    assert article.attribution == credit
    assert credit not in article.text


def test_a_seed_whose_title_is_repeated_in_the_body_has_it_once_at_most(seeds_dir):
    [seed] = seed_pages(seeds_dir, "002")
    text = extract(page(render_seed(seed), url=seed.url)).text
    assert text.count(normal(seed.articles[0].title)) <= 1


# -------------------------------------------------------------- a pure function

def test_extraction_does_not_depend_on_what_was_extracted_before():
    config = ExtractConfig(deduplicate=True)
    p = page(article_page("blogger"))
    first = extract(p, config)
    assert all(extract(p, config) == first for _ in range(3))
    assert first.text.splitlines() == PARAGRAPHS


def test_extraction_runs_in_a_process_pool():
    pages = [page(article_page(t)) for t in ("wordpress", "amp")]
    config = pickle.loads(pickle.dumps(ExtractConfig()))
    with ProcessPoolExecutor(max_workers=1) as pool:
        results = list(pool.map(extract, pages, [config] * len(pages)))
    assert results == [extract(p, config) for p in pages]


# -- pages without <p>, and furniture named only in data-* attributes ---------

_PIER = [
    "The harbour board voted on Tuesday to extend the north pier by forty metres, ending a debate that began two winters ago.",
    "The council will pay for half of the work, and the rest comes from a regional grant approved in May after a second application.",
    "Construction should begin next spring and last about eleven months, weather permitting, with the ferry timetable unchanged.",
    "The harbour master said the longer pier would let two ferries dock at once, which should shorten queues in the summer months.",
]


def test_a_post_written_as_br_separated_runs_keeps_its_first_paragraph():
    html = ("<html><head><title>North pier to grow by forty metres</title></head><body>"
            "<div class='sidebar'><h3>Featured post</h3><h3>North pier to grow by forty metres</h3></div>"
            "<div class='post'><h3 class='post-title'>North pier to grow by forty metres</h3>"
            "<div class='post-body'>" + "<br /><br />".join(_PIER) + "</div></div></body></html>")
    text = extract(page(html)).text
    assert text.splitlines() == _PIER


def test_signup_boxes_with_generated_class_names_do_not_reach_the_text():
    body = "".join(f"<p class='dcr-{i}x9'>{p}</p>" for i, p in enumerate(_PIER))
    box_a = ("<div class='dcr-q1w2'><h2 class='dcr-77a'>Sign up to Harbour Mornings</h2>"
             "<p class='dcr-88b'>The day's tides, ferries and weather, before breakfast.</p></div>")
    box_b = ("<div class='dcr-zz' data-component='newsletter-promo'>"
             "<p>Every Friday: the week on the coast in five minutes.</p></div>")
    html = (f"<html><head><title>North pier to grow</title></head><body><article><h1>North pier to grow</h1>"
            f"{body[:len(body) // 2]}{box_a}{body[len(body) // 2:]}{box_b}</article></body></html>")
    text = extract(page(html)).text
    assert "Harbour Mornings" not in text and "before breakfast" not in text
    assert "five minutes" not in text
    assert all(p in text for p in _PIER)


# -- the page is repaired as trafilatura repairs it, only faster ----------------

@pytest.mark.parametrize("html", [
    "<!DOCTYPE html>\n<html><body><p>A plain page.</p></body></html>",
    "<!DOCTYPE html/>\n<html><body><p>A doctype with a slash.</p></body></html>",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
    "<html><body><p>XHTML.</p></body></html>",
    "<!doctype html><html><body><p>All on one line.</p></body></html>",
    "<html lang='en' />\n<body><p>A self-closing html tag.</p></body>",
    "<!DOCTYPE html>\r\n<html/>\r\n<body><p>Carriage returns.</p></body>",
    "<html><body><p>A vertical\x0btab and a\x00nul.</p></body></html>",
    "<html><body><p>A non\ufffecharacter, another\uffff.</p></body></html>",
    "<html><body><p>Curly \u2019quotes\u2019, \u00e9t\u00e9 and \u4e2d\u6587 need no repair.</p></body></html>",
])
def test_a_page_needs_repair_exactly_when_trafilatura_would_change_it(html):
    beginning = html[:50].lower()
    assert _needs_repair(html, beginning) == (repair_faulty_html(html, beginning) != html)


def test_the_characters_looked_for_are_those_trafilatura_removes():
    assert set(_XML_FORBIDDEN) == {chr(c) for c in range(0x10000) if INVALID_XML_CHARS.match(chr(c))}


# -------------------------------------------------------------- what trafilatura is given

def _whole_page_read(html: str) -> str:
    """trafilatura's text of the page as it is, with wirecrawl's options."""
    import trafilatura

    from crawler.ingest.extract import parse_html

    config = ExtractConfig()
    document = trafilatura.bare_extraction(parse_html(html), url=URL, include_comments=False,
                                           favor_recall=config.favor_recall, fast=config.fast)
    return (document.text or "").strip()


def _pages_to_compare() -> list[tuple[str, str]]:
    pages = [(f"template {t}", article_page(t, more_articles=MORE)) for t in TEMPLATES]
    pages.append(("menu and footer around the text", (
        "<html><body><div class='story'><nav><ul>" + "".join(f"<li><a href='/s{i}'>Section {i}</a></li>"
                                                             for i in range(30))
        + "</ul></nav>" + PARAGRAPHS[0] + "<script>var a = 1;</script>" + PARAGRAPHS[1]
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:]) + "<footer><p>Harbour Post, all rights reserved</p>"
        "</footer>" + PARAGRAPHS[-1] + "</div></body></html>")))
    pages.append(("the story only inside an aside", (
        "<html><body><nav><a href='/'>Home</a></nav><aside>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</aside></body></html>")))
    return pages


@pytest.mark.parametrize("name,html", _pages_to_compare(), ids=[n for n, _ in _pages_to_compare()])
def test_trafilatura_reads_the_same_text_with_menus_and_scripts_set_aside(name, html):
    """Before trafilatura copies and prunes the page, the menus, scripts,
    asides and footers it deletes anyway are set aside (cheaper on a news
    page, whose menus are most of its elements): its read is the one of the
    whole page, text between the set-aside elements included, and the page's
    tree is as it was afterwards, for the cleaning that reads it next."""
    from lxml import etree

    from crawler.ingest.extract import _main_text, parse_html

    tree = parse_html(html)
    before = etree.tostring(tree)
    assert _main_text(tree, URL, ExtractConfig()) == _whole_page_read(html)
    assert etree.tostring(tree) == before


def test_text_between_menus_and_scripts_is_read():
    html = _pages_to_compare()[-2][1]
    text = extract(page(html)).text
    for paragraph in (PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[-1]):
        assert paragraph in text
    assert "Section 3" not in text and "var a" not in text


def test_a_story_kept_only_in_an_aside_is_still_read():
    """trafilatura keeps what it would delete when that is every paragraph
    of the page: so must the setting aside."""
    article = extract(page(_pages_to_compare()[-1][1]))
    assert PARAGRAPHS[0] in article.text and PARAGRAPHS[-1] in article.text


def test_seed_pages_read_the_same_with_menus_and_scripts_set_aside(seeds_dir):
    from lxml import etree

    from crawler.ingest.extract import _main_text, parse_html

    seeds = load_seeds(seeds_dir)
    assert seeds
    for seed in seeds:
        html = render_seed(seed)
        tree = parse_html(html)
        before = etree.tostring(tree)
        assert _main_text(tree, URL, ExtractConfig()) == _whole_page_read(html), seed.name
        assert etree.tostring(tree) == before


@pytest.mark.parametrize("extra", [
    "<figure><img src='/pier.jpg'><figcaption><p>The eastern pier.</p></figcaption></figure>",
    "<noscript><p>Please enable JavaScript.</p></noscript>"], ids=["figure caption", "noscript"])
def test_a_story_only_in_an_aside_beside_other_paragraphs_trafilatura_deletes_is_read(extra):
    """trafilatura keeps the page as it came when its cleaning would leave
    no paragraph, whatever the deleted elements are (a caption, a notice):
    nothing is set aside then."""
    story = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = f"<html><body><nav><a href='/'>Home</a></nav>{extra}<aside>{story}</aside></body></html>"
    assert PARAGRAPHS[0] in extract(page(html)).text
    assert _whole_page_read(html) and PARAGRAPHS[0] in _whole_page_read(html)


def test_an_article_body_given_only_in_json_ld_inside_the_footer_is_read():
    """A page drawn by scripts may give its text only as a JSON-LD
    articleBody, sometimes in its footer: trafilatura reads it there, so a
    footer holding one is not set aside."""
    import json

    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "headline": TITLE, "articleBody": "\n".join(PARAGRAPHS)})
    html = (f"<html><head><title>{TITLE}</title></head><body>"
            "<div id='app'>Loading…</div><footer>Harbour Post"
            f"<script type='application/ld+json'>{ld}</script></footer></body></html>")
    assert PARAGRAPHS[0] in extract(page(html)).text



# A standfirst of our own: the summary a news page sets under its headline
# and repeats as its description.
STANDFIRST = ("The council will decide next month whether the harbour wall is repaired or rebuilt, after engineers "
              "found the storm had undermined two of its foundations.")
# Where themes put it: in a header above the article box, or in the article's
# own header box. trafilatura leaves both out.
_STANDFIRST_LAYOUTS = {
    "page-header": ("<header class='page-header'>{extra}<h1>{title}</h1><p class='lead'>{lead}</p></header>"
                    "<article><div class='entry-content'>{body}</div></article>"),
    "article-header": ("<div class='article'><div class='article-header'>{extra}<h1>{title}</h1>"
                       "<p class='intro'>{lead}</p></div><div class='article-body'>{body}</div></div>"),
}


def _standfirst_page(layout: str = "page-header", description: str | None = STANDFIRST, extra: str = "",
                     body_first: str | None = None, title: str = TITLE) -> str:
    meta = f"<meta name='description' content='{description}'>" if description is not None else ""
    body = "".join(f"<p>{p}</p>" for p in ([body_first] if body_first else []) + PARAGRAPHS)
    story = _STANDFIRST_LAYOUTS[layout].format(extra=extra, title=title, lead=STANDFIRST, body=body)
    return (f"<html><head><title>{title} | Harbour Post</title>{meta}</head><body>"
            f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>{story}"
            f"<footer><p>Harbour Post, 12 Quay Street</p></footer></body></html>")


@pytest.mark.parametrize("layout", sorted(_STANDFIRST_LAYOUTS))
def test_the_standfirst_under_the_headline_that_the_page_describes_itself_by_opens_the_text(layout):
    """trafilatura leaves the standfirst out; the page's description says
    that paragraph is the article's summary, so it opens the text, once,
    before the body's paragraphs."""
    import trafilatura

    html = _standfirst_page(layout)
    assert STANDFIRST not in (trafilatura.extract(html, favor_recall=True) or "")
    lines = extract(page(html)).text.splitlines()
    assert lines == [STANDFIRST, *(normal(p) for p in PARAGRAPHS)]


@pytest.mark.parametrize("description", [None, STANDFIRST[:60]], ids=["no-description", "description-too-short"])
def test_a_header_paragraph_the_description_does_not_name_stays_out(description):
    """Without a description that names it, a paragraph beside the headline
    is the header's."""
    assert STANDFIRST not in extract(page(_standfirst_page(description=description))).text


@pytest.mark.parametrize("run_on", [False, True], ids=["headline", "headline-run-into-the-first-paragraph"])
def test_a_description_that_is_the_headline_adds_no_line_even_where_a_breadcrumb_repeats_it(run_on):
    """Many pages describe themselves by their headline (some with the first
    paragraph run on after it); the block that starts as that description,
    here the breadcrumb's last step above the article, is the headline
    again, not a standfirst."""
    title = "Council votes to shut the eastern pier for eighteen months while engineers replace its timber piles"
    description = title + (PARAGRAPHS[0] if run_on else "")
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (f"<html><head><title>{title} - HARBOUR POST</title>"
            f"<meta property='og:title' content='{title} - HARBOUR POST'>"
            f"<meta name='description' content='{description}'></head><body><nav><a href='/'>Home</a></nav>"
            f"<div class='crumb-container'><div class='entry-crumbs'><span><a href='/news'>News</a></span> "
            f"<i class='sep'></i> <span class='crumb-last'>{title}</span></div></div>"
            f"<article><header><h1>{title}</h1><div class='meta'><time>May 1</time></div></header>"
            f"<div class='post-content'>{body}</div></article></body></html>")
    assert extract(page(html)).text.splitlines() == [normal(p) for p in PARAGRAPHS]


def test_a_description_that_is_the_first_paragraph_of_the_body_is_not_added_twice():
    text = extract(page(_standfirst_page(body_first=STANDFIRST))).text
    assert text.count(STANDFIRST[:60]) == 1 and text.splitlines()[0] == STANDFIRST


@pytest.mark.parametrize("where", ["council will", "harbour wall"], ids=["in-the-words-looked-for", "later"])
@pytest.mark.parametrize("odd", ["&#1;", "&#x1b;", "\u00ad", "\u200b", "\ufeff"],
                         ids=["control", "escape", "soft-hyphen", "zero-width-space", "byte-order-mark"])
def test_a_description_with_control_or_invisible_characters_neither_loses_the_page_nor_doubles_the_lead(odd, where):
    """Character references survive the parser's cleaning into the
    description, and invisible characters into the page's text nodes, while
    trafilatura drops them from its text: the page is read, and its
    standfirst is in the text at most once."""
    first, second = where.split()
    marked = STANDFIRST.replace(where, f"{first} {odd}{second}")
    # The standfirst also opens the body, where trafilatura reads it.
    html = _standfirst_page(description=marked, body_first=marked).replace(
        f"<p class='lead'>{STANDFIRST}", f"<p class='lead'>{marked}")
    lines = extract(page(html)).text.splitlines()
    assert sum("whether the harbour" in line for line in lines) == 1
    assert lines[-len(PARAGRAPHS):] == [normal(p) for p in PARAGRAPHS]


@pytest.mark.parametrize("block", [
    "<div class='site-branding'><p class='site-description'>{d}</p></div>",
    "<div class='image'><img src='/wall.jpg'><div class='caption'>{d}</div></div>",
    "<figure><img src='/wall.jpg'><figcaption><p>{d}</p></figcaption></figure>",
], ids=["site-tagline", "caption-div", "figcaption"])
def test_a_tagline_or_a_caption_that_repeats_the_description_is_no_standfirst(block):
    """A site that describes every page by its tagline, or a page described
    by its picture's caption: that text does not open the article."""
    tagline = ("Independent news from the harbour towns of the northern coast, written by people who live here "
               "and funded by our readers")
    html = (f"<html><head><title>{TITLE}</title><meta name='description' content='{tagline}'></head><body>"
            f"<nav><a href='/'>Home</a></nav>{block.format(d=tagline) if 'site' in block else ''}"
            f"<article><h1>{TITLE}</h1>{block.format(d=tagline) if 'site' not in block else ''}"
            f"<div class='story-body'>{''.join(f'<p>{p}</p>' for p in PARAGRAPHS)}</div></article></body></html>")
    assert tagline[:60] not in extract(page(html)).text


@pytest.mark.parametrize("reference", ["&#1;", "&#x1b;", "&#X0C;", "&#65535;"])
def test_a_reference_to_a_control_character_in_the_body_loses_nothing(reference):
    """A stray "&#1;" in one paragraph: trafilatura alone reads nothing of
    such a page; the reference goes, the article stays."""
    html = article_page().replace("council voted", f"council voted {reference}", 1)
    assert reference in html
    assert extract(page(html)).text.splitlines() == [normal(p) for p in PARAGRAPHS]


@pytest.mark.parametrize("reference", ["&#1", "&#x1b", "&#0000001;"])
def test_a_control_character_reference_without_its_semicolon_loses_nothing(reference):
    html = article_page().replace("council voted", f"council voted {reference} ", 1)
    assert extract(page(html)).text.splitlines() == [normal(p) for p in PARAGRAPHS]


@pytest.mark.parametrize("odd", ["\u00ad", "\u200b"], ids=["soft-hyphen", "zero-width-space"])
def test_a_standfirst_with_an_invisible_character_in_its_first_words_is_still_found(odd):
    html = _standfirst_page().replace(f"<p class='lead'>{STANDFIRST}",
                                      f"<p class='lead'>{STANDFIRST.replace('council will', f'council {odd}will')}")
    lines = extract(page(html)).text.splitlines()
    assert lines == [STANDFIRST, *(normal(p) for p in PARAGRAPHS)]
