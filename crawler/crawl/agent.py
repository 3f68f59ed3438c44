"""Who wirecrawl says it is: one User-Agent for crawls and ad-hoc fetches."""

from __future__ import annotations

VERSION = "0.1.0"
# The product token robots.txt groups are matched against ("User-agent: wirecrawl").
ROBOTS_TOKEN = "wirecrawl"


def user_agent(contact_url: str | None = None, configured: str | None = None) -> str:
    """The User-Agent header: `configured` when the operator set one, else
    wirecrawl's own, naming `contact_url` (when given) so a site owner knows
    whom to ask."""
    if configured:
        return configured
    contact = f"; +{contact_url}" if contact_url else ""
    return f"{ROBOTS_TOKEN}/{VERSION} (news article crawler{contact})"
