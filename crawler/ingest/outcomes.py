"""What can happen to a page: the one list of outcomes and reason codes.

Every path (a crawl, `wirecrawl ingest URL`, a saved page) says what became
of a URL with one of the outcomes below and, for all but `stored` and
`copy`, a reason code: short and stable, to count. The fetch history keeps
the code followed by a sentence to read ("too_short: 180 characters of text,
the minimum is 250"). A reason code belongs to one outcome, so the code
alone says whether a URL was refused or failed.

The README's table of outcomes and reasons is printed from this module
(`python -m crawler.ingest.outcomes`), and a test keeps the two equal.

Fetch histories written by earlier releases hold other names for some of
these (`error`, `not_modified` as outcomes; `robots`, `http_404`,
`fetch_error`… as reasons): `recorded` and `current_reason` read them under
today's names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.records import FetchRecord

STORED = "stored"
COPY = "copy"
UNCHANGED = "unchanged"
SKIPPED = "skipped"
REJECTED = "rejected"
FAILED = "failed"

OUTCOMES: dict[str, str] = {
    STORED: "a new document (or a new version of one) that starts its cluster or stands for it",
    COPY: "a new document stored as a copy in the cluster of what it copies, with the canonical member "
          "and the similarity",
    UNCHANGED: "nothing new: the stored document stands",
    SKIPPED: "not requested at all (counted, not written to the fetch history)",
    REJECTED: "refused by a rule: the URL or the page will not become a document as it is",
    FAILED: "the fetch, or our processing of the page, did not complete; a later attempt may succeed",
}


@dataclass(frozen=True)
class Reason:
    code: str
    outcome: str
    meaning: str


_REASONS = (
    Reason("not_modified", UNCHANGED, "the server answered 304 Not Modified to the validators of the last fetch"),
    Reason("same_body", UNCHANGED, "the body is byte for byte the one of the last fetch that made a document "
                                   "(not extracted again)"),
    Reason("same_text", UNCHANGED, "the extracted text is the stored version's"),

    Reason("recently_fetched", SKIPPED, "an article page stored or confirmed within the recrawl interval "
                                        "(a crawl only)"),
    Reason("recently_gone", SKIPPED, "an article page that answered 404 or 410 within the recrawl interval; "
                                     "asked again after it (a crawl only)"),
    Reason("recently_rejected", SKIPPED, "an article page whose body was rejected (not an article, too short, "
                                         "not HTML…) within the recrawl interval; asked again, conditionally, "
                                         "after it (a crawl only). Not a page reached by a link and rejected as "
                                         "a list of stories, links or labels (a section, tag or home page): "
                                         "that one is read in full every run"),
    Reason("too_old", SKIPPED, "listed in a sitemap or feed with a date older than the source's "
                               "`max_age_hours` (a crawl only)"),

    Reason("bad_url", REJECTED, "not an absolute http(s) URL: the input, a listed link or a redirect target"),
    Reason("unreadable_file", REJECTED, "a saved page that cannot be read (`wirecrawl ingest --html`)"),
    Reason("no_url", REJECTED, "a saved page that names no URL of its own (rel=canonical, og:url) and was given "
                               "none with --url"),
    Reason("private_address", REJECTED, "an ad-hoc URL on a private, loopback, link-local or otherwise "
                                        "non-public address"),
    Reason("robots_disallowed", REJECTED, "robots.txt forbids it (the URL is never requested)"),
    Reason("offsite", REJECTED, "outside the source's allowed domains"),
    Reason("ignored", REJECTED, "a request Scrapy dropped for a reason of its own (named in the detail)"),
    Reason("redirect_loop", REJECTED, "a redirect chain that comes back on itself"),
    Reason("too_many_redirects", REJECTED, "more redirects than the limit"),
    Reason("redirect_to_seen_url", REJECTED, "redirects to a URL already fetched in this crawl"),
    Reason("too_large", REJECTED, "more bytes than the limit, on the wire or once decompressed"),
    Reason("bad_encoding", REJECTED, "a Content-Encoding other than gzip or deflate, or a body that does "
                                     "not decompress or is cut off before its compressed stream ends"),
    Reason("empty_body", REJECTED, "a response without a body"),
    Reason("not_html", REJECTED, "not an HTML page (its content type or its bytes say so)"),
    Reason("undecodable", REJECTED, "no character encoding turns the bytes into text"),
    Reason("no_article", REJECTED, "no main text found on the page"),
    Reason("too_short", REJECTED, "the main text is under the minimum length"),
    Reason("pathological_markup", REJECTED, "more elements, attributes on one element or levels of nesting than "
                                            "any page needs (refused before parsing, where they would cost minutes "
                                            "or be cut off)"),
    Reason("extract_timeout", REJECTED, "extraction ran over its time limit (`WIRECRAWL_EXTRACT_TIMEOUT`, 30 s "
                                        "unless set), and its process was ended (a crawl, `wirecrawl ingest` and "
                                        "`extract` alike)"),
    Reason("extract_error", REJECTED, "extraction raised on this page (the detail names the exception)"),
    Reason("malformed_sitemap", REJECTED, "a sitemap that is empty, not valid gzip or not valid XML "
                                          "(what could be read is used)"),
    Reason("not_a_sitemap", REJECTED, "a document listed as a sitemap that is none"),
    Reason("too_many_sitemaps", REJECTED, "more sitemaps than the limit of a crawl"),
    Reason("malformed_feed", REJECTED, "a feed with errors (the entries read before them are used)"),
    Reason("not_a_feed", REJECTED, "a document listed as a feed that holds no RSS or Atom feed"),
    Reason("trap_url_length", REJECTED, "a link with a URL longer than the limit: a spider trap"),
    Reason("trap_path", REJECTED, "a link with too many path segments, or a segment repeated: a spider trap"),
    Reason("trap_query", REJECTED, "a link with too many query parameters or query variants: a spider trap"),
    Reason("trap_calendar", REJECTED, "a link into an endless calendar: a spider trap"),

    Reason("http_status", FAILED, "an HTTP error status (after retries), a 3xx without a Location, or a 304 "
                                  "to a request that sent no validators; the status is recorded"),
    Reason("robots_unavailable", FAILED, "not requested: the site's robots.txt answered 5xx, or could not be read "
                                         "in time or at all, so every path counts as disallowed until it is asked "
                                         "for again (by the next crawl, or after a pause)"),
    Reason("timeout", FAILED, "no complete answer within the time limit"),
    Reason("dns_error", FAILED, "the host name does not resolve"),
    Reason("connection_refused", FAILED, "the host refused the connection"),
    Reason("connection_error", FAILED, "the connection failed or broke, or the server broke the protocol"),
    Reason("data_loss", FAILED, "the response ended before its declared length"),
    Reason("download_error", FAILED, "any other failure of the download (the detail names it)"),
    Reason("spider_error", FAILED, "the spider raised on the response (a bug, logged)"),
    Reason("store_error", FAILED, "the store could not take the page (logged)"),
    Reason("extract_crashed", FAILED, "the extraction process died on this page"),
)
REASONS: dict[str, Reason] = {r.code: r for r in _REASONS}

# Names earlier releases wrote into the fetch history.
_OLD_OUTCOMES = {"error": FAILED, "not_modified": UNCHANGED}
_OLD_CODES = {"robots": "robots_disallowed", "fetch_error": "connection_error", "bad_input": "bad_url",
              "not modified (304)": "not_modified", "same body as the last fetch": "same_body"}


def outcome_of(code: str) -> str:
    """The outcome a reason code belongs to. Raises KeyError for a code that
    is not in the list (a wirecrawl bug, never bad input)."""
    return REASONS[code].outcome


def code_of(reason: str | None) -> str | None:
    """The reason code of a recorded reason ("too_short: 180 characters…" ->
    "too_short"), under today's name when an earlier release wrote another;
    None for no reason. An unknown code comes back as it is."""
    if not reason:
        return None
    code = reason.split(":", 1)[0].strip()
    if code.startswith("http_") and code[5:].isdigit():  # http_404: one code a status before
        return "http_status"
    return _OLD_CODES.get(reason.strip(), _OLD_CODES.get(code, code))


def current_reason(reason: str) -> str:
    """A recorded reason with its code under today's name, detail kept
    ("robots: disallowed…" -> "robots_disallowed: disallowed…")."""
    code, sep, detail = reason.partition(":")
    return f"{code_of(reason)}{sep}{detail}" if sep else (code_of(reason) or reason)


def recorded(record: FetchRecord) -> tuple[str, str | None]:
    """The outcome and reason code of a fetch record, under today's names
    whichever release wrote it. The code decides the outcome when it names
    one (an earlier release recorded some failures as rejections)."""
    code = code_of(record.reason)
    if code in REASONS:
        return outcome_of(code), code
    return _OLD_OUTCOMES.get(record.outcome, record.outcome), code


def markdown_table() -> str:
    """The README's table: every outcome and its reason codes, with what each means."""
    lines = ["| outcome | reason | what happened |", "|---|---|---|"]
    for outcome, meaning in OUTCOMES.items():
        lines.append(f"| `{outcome}` | | {meaning} |")
        lines += [f"| | `{r.code}` | {r.meaning} |" for r in _REASONS if r.outcome == outcome]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
