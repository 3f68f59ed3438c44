"""One vocabulary for what can happen to a page (crawler.ingest.outcomes):
the README's table says exactly what the module says, every reason code the
code base records is in it, and what earlier releases recorded is read under
today's names."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.ingest.outcomes import (
    FAILED,
    OUTCOMES,
    REASONS,
    REJECTED,
    UNCHANGED,
    code_of,
    current_reason,
    markdown_table,
    outcome_of,
    recorded,
)
from crawler.ingest.records import Rejected
from storage.records import FetchRecord

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def test_the_readme_table_is_the_modules():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- outcomes: begin -->\n(.*?)\n<!-- outcomes: end -->", readme, re.S)
    assert found, "README.md has no outcomes table between its markers"
    assert found.group(1) == markdown_table(), (
        "README.md's outcomes table differs from crawler/ingest/outcomes.py: "
        "paste the output of `python -m crawler.ingest.outcomes` between its markers")


def test_every_reason_belongs_to_one_listed_outcome():
    assert set(OUTCOMES) == {"stored", "copy", "unchanged", "skipped", "rejected", "failed"}
    assert {r.outcome for r in REASONS.values()} == set(OUTCOMES) - {"stored", "copy"}
    assert all(re.fullmatch(r"[a-z_]+", code) for code in REASONS)


def _codes_in_code() -> dict[str, str]:
    """Reason codes written as literals in crawler/ (code -> where): the
    first argument of Rejected(...) and Unreadable(...), the reason of the
    spider's _skipped(...), of stat_key(source, outcome, reason) and of
    _count(source, outcome, reason), whatever is assigned to or passed as a
    `reason`, and the code column of the
    download-failure table and of the trap guard's answers."""
    found: dict[str, str] = {}

    def literals(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return literals(node.body) + literals(node.orelse)
        return []

    def codes_of(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            positional = {"Rejected": 0, "Unreadable": 0, "_skipped": 1, "stat_key": 2, "_count": 2}.get(name)
            codes = [c for k in node.keywords if k.arg == "reason" for c in literals(k.value)]
            if positional is not None and len(node.args) > positional:
                codes += literals(node.args[positional])
            return codes
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "reason":
            return literals(node.value)
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple) \
                and isinstance(node.value, ast.Tuple):
            pairs = zip(node.targets[0].elts, node.value.elts)
            return [c for target, value in pairs if getattr(target, "attr", None) == "reason"
                    for c in literals(value)]
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            first, second = literals(node.elts[0]), literals(node.elts[1])
            if isinstance(node.elts[0], ast.Tuple):  # (exception classes, code)
                return second
            return [c for c in first if c.startswith("trap_")]  # (code, detail)
        return []

    for path in sorted((REPO / "crawler").rglob("*.py")):
        where = str(path.relative_to(REPO))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for code in codes_of(node):
                found.setdefault(code, f"{where}:{node.lineno}")
    return found


def test_every_reason_code_the_code_records_is_in_the_vocabulary():
    found = _codes_in_code()
    assert {"too_short", "robots_disallowed", "http_status", "trap_calendar", "timeout", "same_body",
            "recently_fetched", "store_error"} <= set(found)  # the scan sees every kind of place
    unknown = {code: where for code, where in found.items() if code not in REASONS}
    assert unknown == {}, f"reason codes missing from crawler/ingest/outcomes.py: {unknown}"


def test_a_reason_code_says_rejected_or_failed():
    assert Rejected("too_short", "180 characters").outcome == REJECTED
    assert Rejected("timeout").outcome == FAILED
    assert outcome_of("not_modified") == UNCHANGED
    with pytest.raises(KeyError):
        outcome_of("no_such_code")


@pytest.mark.parametrize("old,new", [
    ("robots: disallowed by the site's robots.txt", "robots_disallowed: disallowed by the site's robots.txt"),
    ("http_404: HTTP 404 Not Found", "http_status: HTTP 404 Not Found"),
    ("http_304: 304 Not Modified to a request that was not conditional",
     "http_status: 304 Not Modified to a request that was not conditional"),
    ("fetch_error: http://a.example/: ConnectError", "connection_error: http://a.example/: ConnectError"),
    ("bad_input: not an absolute http(s) URL", "bad_url: not an absolute http(s) URL"),
    ("not modified (304)", "not_modified"),
    ("same body as the last fetch", "same_body"),
    ("too_short: 180 characters of text", "too_short: 180 characters of text"),
])
def test_reasons_an_earlier_release_recorded_are_read_under_todays_codes(old, new):
    assert current_reason(old) == new
    assert code_of(old) in REASONS


@pytest.mark.parametrize("outcome,reason,expected", [
    ("error", "timeout: no answer", (FAILED, "timeout")),
    ("error", "http_503: HTTP 503", (FAILED, "http_status")),
    ("rejected", "robots: disallowed", (REJECTED, "robots_disallowed")),
    ("rejected", "http_status: HTTP 410 from …", (FAILED, "http_status")),  # was a rejection on the ad-hoc path
    ("not_modified", None, (UNCHANGED, None)),
    ("unchanged", None, (UNCHANGED, None)),
    ("stored", None, ("stored", None)),
])
def test_fetch_records_of_earlier_releases_are_read_under_todays_outcomes(outcome, reason, expected):
    record = FetchRecord(url="http://a.example/", fetched_at=T0, outcome=outcome, reason=reason)
    assert recorded(record) == expected
