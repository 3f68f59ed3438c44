"""What an answer for robots.txt means (RFC 9309 §2.3.1), for the crawl
(`crawler.crawl.robots`) and the ad-hoc fetch (`crawler.crawl.fetch`) alike.
No network here: the callers fetch, these functions read what came back."""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

from crawler.ingest.records import Rejected

# RFC 9309 §2.5: a crawler must parse at least the first 500 KiB of robots.txt;
# like the big search engines we ignore what follows.
ROBOTS_PARSED_BYTES = 500 * 1024
# RFC 9309 §2.4: a cached robots.txt should not be used for more than 24 hours;
# a server error is retried sooner so a brief outage does not block a host all day.
ROBOTS_TTL = 24 * 3600.0
ROBOTS_ERROR_TTL = 600.0


@dataclass(frozen=True)
class RobotsRules:
    """What one answer for robots.txt means for the URLs of its origin:
    `refusal` says whether a URL may be requested, and why not."""

    rules: Protego
    robots_url: str
    reason: str = "robots_disallowed"  # the code a forbidden URL is recorded with
    why: str = ""  # the sentence a forbidden URL is recorded with
    temporary: bool = False  # an error, not an answer: ask again after ROBOTS_ERROR_TTL

    def refusal(self, url: str, agent: str) -> Rejected | None:
        """None when `agent` may fetch `url`, else the Rejected to record."""
        if self.rules.can_fetch(url, agent):
            return None
        return Rejected(self.reason, f"{url}: {self.why}")

    def crawl_delay(self, agent: str) -> float | None:
        return self.rules.crawl_delay(agent)


_DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


def robots_rules(robots_url: str, status: int, body: bytes) -> RobotsRules:
    """The rules of an answer for robots.txt (after redirects), by RFC 9309
    §2.3.1: 2xx, the rules of its first ROBOTS_PARSED_BYTES (bytes that are
    not UTF-8 replaced); 4xx, or a redirect left unfollowed, allows
    everything; 5xx forbids everything (`robots_unavailable`, temporary)."""
    if status >= 500:
        return robots_unreadable(robots_url, f"answered HTTP {status}")
    if not 200 <= status < 300:
        return RobotsRules(Protego.parse(""), robots_url)
    text = body[:ROBOTS_PARSED_BYTES].decode("utf-8", errors="replace")
    return RobotsRules(Protego.parse(text), robots_url, why=f"disallowed by {robots_url}")


def robots_unreadable(robots_url: str, why: str) -> RobotsRules:
    """robots.txt that could not be read (a 5xx, no answer in time, a body
    that does not decompress): everything is forbidden, as `robots_unavailable`,
    until it is asked for again (RFC 9309 §2.3.1.4)."""
    return RobotsRules(Protego.parse(_DISALLOW_ALL), robots_url, "robots_unavailable",
                       f"not requested: {robots_url} {why}, so every path of the site counts as "
                       "disallowed until it can be read (RFC 9309)", temporary=True)
