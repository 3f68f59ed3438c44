"""`wirecrawl extract`: the extraction as a dry run, JSON Lines out, with
--explain saying what the cleaning took out and why; nothing is stored."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flows.app import app
from flows.cli import _load_commands
from tests.sampleweb.articles import ARTICLES
from tests.sampleweb.templates import render_article_page

_load_commands()
STORY = ARTICLES[0]
URL = "https://harbour.example/2024/03/strike.html"


def wirecrawl(*args: str):
    return CliRunner().invoke(app, list(args), env={"PREFECT_API_URL": ""})


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def article_html(url: str = URL, template: str = "wordpress") -> str:
    return render_article_page(template, title=STORY.title, paragraphs=list(STORY.paragraphs),
                               site_name="Harbour Post", url=url, author=STORY.author, published=STORY.published)


def test_saved_pages_become_one_json_object_each_and_nothing_is_stored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "a.html").write_text(article_html())
    (folder / "b.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    result = wirecrawl("extract", str(folder))
    assert result.exit_code == 1  # one input gave no article
    first, second = lines(result.output)
    assert first["input"].endswith("a.html") and first["url"] == URL  # its own canonical link
    assert first["title"] == STORY.title and first["author"] == STORY.author
    assert first["published"].startswith(STORY.published) and first["language"] == "en"
    assert first["text"].splitlines() == [" ".join(p.split()) for p in STORY.paragraphs]
    assert second["input"].endswith("b.html") and second["rejected"]["reason"] == "no_article"
    assert not (tmp_path / "data").exists()


def test_explain_names_each_rule_and_what_it_took_out(tmp_path):
    path = tmp_path / "a.html"
    path.write_text(article_html(template="newspaper"))  # a page trafilatura reads with a menu line in
    [out] = lines(wirecrawl("extract", str(path), "--explain").output)
    explain = out["explain"]
    assert explain["trafilatura_characters"] > len(out["text"])
    rules = {entry["rule"]: entry for entry in explain["removed"]}
    assert rules, "the page's furniture came out of trafilatura's text"
    for entry in rules.values():
        assert entry["characters"] == sum(map(len, entry["lines"]))
        assert not any(line in out["text"].splitlines() for line in entry["lines"])
    assert {step["rule"] for step in explain["page_steps"]}


def test_a_url_is_fetched_and_extracted(site):
    site.add("/story.html", article_html(site.url("/story.html")))
    result = wirecrawl("extract", site.url("/story.html"), "--allow-private")
    assert result.exit_code == 0, result.output
    [out] = lines(result.output)
    assert out["url"] == site.url("/story.html") and out["title"] == STORY.title
    assert [r.path for r in site.requests if r.path != "/robots.txt"] == ["/story.html"]


def test_a_private_url_is_refused_without_allow_private(site):
    site.add("/story.html", article_html())
    result = wirecrawl("extract", site.url("/story.html"))
    assert result.exit_code == 1
    [out] = lines(result.output)
    assert out["rejected"]["reason"] == "private_address"
    assert site.requests == []
