"""What the cleaning of one page removed, step by step: read by the floor
(crawler.ingest.floor) and by `wirecrawl extract --explain`."""

from __future__ import annotations

from lxml.html import HtmlElement


class Removals:
    """What the cleaning took out of one page, step by step, in the order it
    happened: `(rule, text, element)` triples, `element` being the removed
    subtree (None for a line of text). Read by `wirecrawl extract --explain`
    and by the extraction's floor (crawler.ingest.floor), which lets a step remove
    a line of trafilatura's own text only when that line was in what the
    step removed."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[str, str, HtmlElement | None]] = []

    def add(self, rule: str, text: str, element: HtmlElement | None = None) -> None:
        if text and not text.isspace():
            self.items.append((rule, text, element))

    def drop(self, el: HtmlElement, rule: str) -> None:
        """Remove `el` (its tail stays), recording it under `rule`."""
        self.add(rule, el.text_content(), el)
        el.drop_tree()

    def by_rule(self) -> dict[str, int]:
        """Characters removed per rule (whitespace collapsed), largest first."""
        totals: dict[str, int] = {}
        for rule, text, _ in self.items:
            totals[rule] = totals.get(rule, 0) + len(" ".join(text.split()))
        return dict(sorted(totals.items(), key=lambda kv: -kv[1]))
