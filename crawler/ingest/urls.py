"""URL canonicalisation: the identity of "the same URL" before a request is made."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
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
    port, no fragment, no tracking or session parameters, sorted query. An
    IPv6 host keeps its brackets (`http://[2001:db8::1]:8080/`); a host in
    another script becomes its IDNA (`xn--`) form.

    Raises ValueError for anything else: a URL that is not absolute http(s),
    a port that is not a number from 1 to 65535, a host that is no host name
    or IP address (empty labels, spaces, an `xn--` label that does not
    decode)."""
    try:
        return _remembered(url)
    except TypeError:  # unhashable, so not a string: refused below as any other non-string
        return _canonicalize(url)


def _canonicalize(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # reading it checks it
    except (ValueError, AttributeError) as exc:  # AttributeError: not a string at all
        raise ValueError(f"not an absolute http(s) URL: {url!r} ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    if port == 0:
        raise ValueError(f"port 0 in {url!r}: ports run from 1 to 65535")
    host = parts.hostname.lower()
    if ("[" in parts.netloc) != (":" in host):  # brackets hold an IPv6 address and nothing else
        raise ValueError(f"not an absolute http(s) URL: {url!r} (brackets around {host!r})")
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    if port and not (
        (parts.scheme.lower() == "http" and port == 80)
        or (parts.scheme.lower() == "https" and port == 443)
    ):
        netloc = f"{netloc}:{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    path = _JSESSION_PATH.sub("", parts.path) or "/"
    cleaned = urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))
    drop = {p for p in TRACKING_PARAMS + _SESSION_PARAMS}
    query_names = [kv.split("=", 1)[0] for kv in parts.query.split("&") if kv]
    to_drop = [n for n in query_names if n.lower() in drop or n.lower().startswith("utm_")]
    if to_drop:
        cleaned = url_query_cleaner(cleaned, to_drop, remove=True, unique=False)
    try:
        canonical = canonicalize_url(cleaned, keep_fragments=False)  # w3lib: IDNA-encodes the host
    except (ValueError, UnicodeError) as exc:
        raise ValueError(f"not a usable URL: {url!r} ({exc})") from None
    check_host(urlsplit(canonical).hostname or "", url)
    return canonical


# A page's URL is canonicalised where it is found, where its page is made and
# several times more when it is stored (its identity, its lock keys, its names
# as a candidate copy), at 0.05 ms each. A ValueError is not remembered: it
# is raised again each time.
_remembered = lru_cache(maxsize=8192)(_canonicalize)


_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def check_host(host: str, url: str = "") -> None:
    """Raises ValueError unless `host` (lower case, as `urlsplit` gives it:
    an IPv6 address without its brackets) is an IP address or a host name
    of ASCII labels (letters, digits, `-`, `_`; 1 to 63 characters; 253 in
    all; a trailing dot allowed) whose `xn--` labels decode."""
    where = f" in {url!r}" if url else ""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r}{where} is not an IPv6 address") from None
        return
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"{host!r}{where} is not a host name")
    for label in labels:
        if label.startswith("xn--"):
            try:
                label.encode("ascii").decode("idna")
            except UnicodeError:
                raise ValueError(f"{host!r}{where} is not a host name: {label!r} is no IDNA label") from None


def document_key(url: str, final_url: str | None) -> str:
    """The URL identity of a page's document: the canonical form of where
    the page ended after redirects (the URL first asked for when it was not
    redirected). A shortlink, a feed's tracking redirect and the article's
    own URL, asked on one day or the next, then lead to one document and its
    versions, never to a document and its copy."""
    if final_url:
        try:
            return canonicalize(final_url)
        except ValueError:
            pass
    return canonicalize(url)
