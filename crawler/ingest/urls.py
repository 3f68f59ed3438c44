"""URL canonicalisation: the identity of "the same URL" before a request is made."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Parameters that track the visitor, not the resource.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
    "utm_name", "utm_reader", "utm_brand", "utm_social", "utm_social-type",
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "mc_cid", "mc_eid",
    "igshid", "_ga", "_gl", "ref_src", "cmpid", "ito", "ncid", "sr_share",
    "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc", "wt.mc_id", "__twitter_impression",
    "spm", "share", "s_cid", "mkt_tok", "hsenc", "_hsenc", "_hsmi", "rss", "at_medium",
    "at_campaign", "src", "feature", "ocid", "smid", "partner",
)
_SESSION_PARAMS = ("phpsessid", "jsessionid", "sid", "sessionid", "session_id", "aspsessionid", "cfid", "cftoken")
_JSESSION_PATH = re.compile(r";jsessionid=[^/?#]*", re.I)


def canonicalize(url: str) -> str:
    """Canonical form of an http(s) URL: lower-case scheme and host, no default
    port, no fragment, no tracking or session parameters, sorted query.

    Raises ValueError for a URL that is not absolute http(s)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    netloc = parts.hostname.lower()
    if parts.port and not (
        (parts.scheme.lower() == "http" and parts.port == 80)
        or (parts.scheme.lower() == "https" and parts.port == 443)
    ):
        netloc = f"{netloc}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    path = _JSESSION_PATH.sub("", parts.path) or "/"
    cleaned = urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))
    drop = {p for p in TRACKING_PARAMS + _SESSION_PARAMS}
    query_names = [kv.split("=", 1)[0] for kv in parts.query.split("&") if kv]
    to_drop = [n for n in query_names if n.lower() in drop or n.lower().startswith("utm_")]
    if to_drop:
        cleaned = url_query_cleaner(cleaned, to_drop, remove=True, unique=False)
    return canonicalize_url(cleaned, keep_fragments=False)
