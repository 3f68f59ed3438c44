"""Fetching one URL: the rules a user can rely on (User-Agent, robots.txt,
timeouts, size limits, redirects, private addresses, conditional requests),
against sites served on 127.0.0.1."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from datetime import timezone

import pytest

import crawler.crawl.fetch as fetch_module
from crawler.crawl.fetch import FetchConfig, check_address, fetch, forget_robots
from crawler.ingest.records import Rejected
from tests.sites import Response, Site, ipv6_loopback

HTML = "<html><head><title>Harbour news</title></head><body><p>The ferry left at dawn.</p></body></html>"
LOCAL = FetchConfig(allow_private=True, timeout=5.0)


@pytest.fixture(autouse=True)
def fresh_robots():
    # Test sites reuse ports; a robots.txt cached for one must not rule another.
    forget_robots()
    yield
    forget_robots()


def rejected(url: str, config: FetchConfig = LOCAL, **kw) -> Rejected:
    with pytest.raises(Rejected) as info:
        fetch(url, config, **kw)
    return info.value


def redirect(to: str, status: int = 302) -> Response:
    return Response(status, b"", headers={"Location": to})


def test_page_comes_back_with_our_user_agent_lowercased_headers_and_utc_time(site):
    url = site.add("/a.html", Response(200, HTML, headers={"X-Edition": "Morning"}))
    config = FetchConfig(allow_private=True, contact_url="https://ops.test/crawler")

    page = fetch(url, config, source="harbour")

    assert page.status == 200 and page.body == HTML.encode()
    assert page.url == url and page.final_url == url and page.source == "harbour"
    assert page.headers["x-edition"] == "Morning" and "content-type" in page.headers
    assert page.fetched_at.tzinfo == timezone.utc
    agents = {r.path: r.headers["user-agent"] for r in site.requests}
    # the crawl's own User-Agent (crawler.crawl.agent), naming the contact URL
    agent = "wirecrawl/0.1.0 (news article crawler; +https://ops.test/crawler)"
    assert agents == {"/robots.txt": agent, "/a.html": agent}


def test_robots_disallowed_path_is_never_requested(site):
    site.add("/robots.txt", Response(200, "User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    secret = site.add("/private/a.html", HTML)
    public = site.add("/public/a.html", HTML)

    error = rejected(secret)
    assert error.reason == "robots_disallowed" and "/private/a.html" in error.detail
    assert fetch(public, LOCAL).status == 200
    assert site.paths_requested() == ["/robots.txt", "/public/a.html"]  # robots.txt read once


def test_robots_group_for_our_agent_applies_even_when_others_may_crawl(site):
    site.add("/robots.txt", Response(200, "User-agent: wirecrawl\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
                                     content_type="text/plain"))
    url = site.add("/a.html", HTML)

    assert rejected(url).reason == "robots_disallowed"
    assert fetch(url, FetchConfig(allow_private=True, obey_robots=False)).status == 200


@pytest.mark.parametrize("robots_status, allowed", [(404, True), (403, True), (503, False), (500, False)])
def test_robots_txt_4xx_allows_and_5xx_disallows_everything(site, robots_status, allowed):
    site.add("/robots.txt", Response(robots_status, "oops"))
    url = site.add("/a.html", HTML)

    if allowed:
        assert fetch(url, LOCAL).status == 200
    else:
        error = rejected(url)
        assert error.reason == "robots_unavailable" and error.outcome == "failed"
        assert f"HTTP {robots_status}" in error.detail and error.detail.startswith(url)
        assert "/a.html" not in site.paths_requested()


def test_robots_txt_server_error_holds_for_the_error_ttl_then_is_asked_again(site, monkeypatch):
    def answers():
        yield Response(503, "busy")
        while True:
            yield Response(200, "User-agent: *\nAllow: /\n", content_type="text/plain")
    robots = answers()
    site.add("/robots.txt", lambda request: next(robots))
    url = site.add("/a.html", HTML)

    assert rejected(url).reason == "robots_unavailable"
    assert rejected(url).reason == "robots_unavailable"  # within ROBOTS_ERROR_TTL: not asked again
    assert site.paths_requested() == ["/robots.txt"]

    monkeypatch.setattr(fetch_module, "ROBOTS_ERROR_TTL", 0.0)
    forget_robots()
    robots = answers()
    assert rejected(url).reason == "robots_unavailable"  # 503 again, and good for no time at all
    assert fetch(url, LOCAL).status == 200
    assert site.paths_requested() == ["/robots.txt"] * 3 + ["/a.html"]


def test_robots_txt_of_12_mb_is_read_to_its_first_500_kib(site):
    padding = "# " + "x" * 97 + "\n"
    long_tail = padding * (12 * 1024 * 1024 // len(padding))
    site.add("/robots.txt", Response(200, "User-agent: *\nDisallow: /\n" + long_tail, content_type="text/plain"))
    url = site.add("/a.html", HTML)

    error = rejected(url)
    assert error.reason == "robots_disallowed" and "/a.html" not in site.paths_requested()

    with Site() as other:  # rules past the first 500 KiB are not read: here the Disallow comes too late
        other.add("/robots.txt", Response(200, "User-agent: *\nAllow: /\n" + long_tail + "Disallow: /\n",
                                          content_type="text/plain"))
        assert fetch(other.add("/a.html", HTML), LOCAL).status == 200


def test_robots_txt_that_does_not_decompress_disallows_everything(site):
    site.add("/robots.txt", Response(200, b"\x1f\x8b\x08 not gzip at all", headers={"Content-Encoding": "gzip"},
                                     content_type="text/plain"))
    url = site.add("/a.html", HTML)

    error = rejected(url)
    assert error.reason == "robots_unavailable" and "does not decompress" in error.detail
    assert "/a.html" not in site.paths_requested()


# A server that sends its headers a byte at a time: httpx's timeouts count per
# read, so only a wall-clock deadline over the whole fetch stops it.
DRIPPING = {"drip": 0.05, "headers": {"X-Pad": "x" * 4000}}  # 200 s if nobody hangs up


@pytest.mark.parametrize("dripping", ["/a.html", "/robots.txt"])
def test_headers_dripped_a_byte_at_a_time_end_at_the_deadline(site, dripping):
    site.add("/robots.txt", Response(200, "User-agent: *\nAllow: /\n", content_type="text/plain"))
    url = site.add("/a.html", HTML)
    site.add(dripping, Response(200, HTML, **DRIPPING))

    started = time.monotonic()
    error = rejected(url, FetchConfig(allow_private=True, timeout=1.5))
    took = time.monotonic() - started

    assert error.reason == "timeout" and error.detail.startswith(url)
    assert 1.4 < took < 2.5, took
    assert site.paths_requested()[0] == "/robots.txt"
    if dripping == "/robots.txt":
        assert "robots.txt" in error.detail and "/a.html" not in site.paths_requested()


def test_a_body_without_length_still_arriving_at_the_deadline_is_a_timeout_not_a_shorter_page(site):
    # The body's end is the connection's end. At the deadline our watchdog
    # shuts the socket, and the read it wakes sees an end: that must not
    # pass for the end of the page, or a cut-off article is stored as whole.
    site.add("/robots.txt", Response(200, "User-agent: *\nAllow: /\n", content_type="text/plain"))
    article = HTML.replace("</body>", "<p>" + "The harbour master read out the tide tables. " * 40 + "</p></body>")
    url = site.add("/a.html", Response(200, article, drip_body=1.0, length=False))  # the deadline finds it waiting

    error = rejected(url, FetchConfig(allow_private=True, timeout=1.0))

    assert error.reason == "timeout" and error.detail.startswith(url)


def test_robots_txt_is_checked_at_every_redirect_hop(site):
    site.add("/robots.txt", Response(200, "User-agent: *\nDisallow: /members/\n", content_type="text/plain"))
    url = site.add("/story", redirect("/members/story.html"))
    site.add("/members/story.html", HTML)

    assert rejected(url).reason == "robots_disallowed"
    assert "/members/story.html" not in site.paths_requested()


def test_http_error_status_is_rejected_with_the_status(site):
    site.add("/gone.html", Response(410, "gone"))

    assert rejected(site.url("/missing.html")).reason == "http_status"
    error = rejected(site.url("/gone.html"))
    assert error.reason == "http_status" and error.detail.startswith("HTTP 410")


def test_slow_response_times_out_without_waiting_for_it(site):
    url = site.add("/slow.html", Response(200, HTML, delay=3.0))

    started = time.monotonic()
    error = rejected(url, FetchConfig(allow_private=True, timeout=0.3))
    assert error.reason == "timeout"
    assert time.monotonic() - started < 2.0


def test_redirect_chain_is_followed_to_the_final_url(site):
    with Site() as other:
        final = other.add("/2016/12/story.html", HTML)
        site.add("/s/1", redirect("/s/2", 301))
        site.add("/s/2", redirect(site.url("/s/3"), 307))
        site.add("/s/3", redirect(final, 308))

        page = fetch(site.url("/s/1"), LOCAL)

        assert page.status == 200 and page.body == HTML.encode()
        assert page.url == site.url("/s/1") and page.final_url == final
        assert other.paths_requested() == ["/robots.txt", "/2016/12/story.html"]


def test_redirect_loop_is_refused(site):
    site.add("/a", redirect("/b"))
    site.add("/b", redirect("/a"))

    assert rejected(site.url("/a")).reason == "redirect_loop"
    assert site.paths_requested().count("/a") == 1


def test_too_many_redirects_are_refused(site):
    for i in range(5):
        site.add(f"/hop/{i}", redirect(f"/hop/{i + 1}"))
    site.add("/hop/5", HTML)
    url = site.url("/hop/0")

    assert fetch(url, FetchConfig(allow_private=True, max_redirects=5)).final_url == site.url("/hop/5")
    error = rejected(url, FetchConfig(allow_private=True, max_redirects=4))
    assert error.reason == "too_many_redirects"
    assert site.paths_requested().count("/hop/5") == 1  # only by the first fetch


def test_gzip_and_deflate_bodies_are_decompressed(site):
    site.add("/g.html", Response(200, gzip.compress(HTML.encode()), headers={"Content-Encoding": "gzip"}))
    site.add("/d.html", Response(200, zlib.compress(HTML.encode()), headers={"Content-Encoding": "deflate"}))

    assert fetch(site.url("/g.html"), LOCAL).body == HTML.encode()
    assert fetch(site.url("/d.html"), LOCAL).body == HTML.encode()


def test_a_compressed_body_cut_off_in_transit_is_bad_encoding_not_a_shorter_page(site):
    # The server sends half the gzip stream with a Content-Length that matches it: HTTP sees
    # a whole response, only the compressed stream knows it is not.
    whole = gzip.compress(HTML.encode())
    site.add("/cut.html", Response(200, whole[:len(whole) // 2], headers={"Content-Encoding": "gzip"}))
    cut = zlib.compress(HTML.encode())
    site.add("/cut-deflate.html", Response(200, cut[:-6], headers={"Content-Encoding": "deflate"}))

    for path in ("/cut.html", "/cut-deflate.html"):
        error = rejected(site.url(path), LOCAL)
        assert error.reason == "bad_encoding" and "cut off" in error.detail, path


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * (50 * 1024 * 1024), compresslevel=9)  # about 50 KB


def test_gzip_bomb_is_refused_without_inflating_it(site, gzip_bomb):
    url = site.add("/bomb.html", Response(200, gzip_bomb, headers={"Content-Encoding": "gzip"}))
    limit = 1024 * 1024
    assert len(gzip_bomb) < limit  # small on the wire: only the inflated size can catch it

    tracemalloc.start()
    try:
        error = rejected(url, FetchConfig(allow_private=True, max_bytes=limit))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.reason == "too_large" and "decompression" in error.detail
    assert peak < 8 * limit  # nowhere near the 50 MB it would inflate to


def test_body_larger_than_the_limit_on_the_wire_is_refused(site):
    big = b"<html><body>" + b"x" * 200_000 + b"</body></html>"
    url = site.add("/big.html", Response(200, big))

    error = rejected(url, FetchConfig(allow_private=True, max_bytes=100_000))
    assert error.reason == "too_large"
    assert fetch(url, FetchConfig(allow_private=True, max_bytes=300_000)).body == big


def test_unsupported_content_encoding_is_refused(site):
    url = site.add("/br.html", Response(200, b"\x8b\x00\x80", headers={"Content-Encoding": "br"}))

    assert rejected(url).reason == "bad_encoding"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/a.html", "file:///etc/passwd", "javascript:alert(1)",
                                 "/relative/a.html", "", "http://", None, "http://xn--.com/", "http://xn--zz.com/",
                                 "http://[::1:8080/", "http://a..example/", "http://example.com:99999/",
                                 "http://exa mple.com/", "http://[v1.x]/"])
def test_only_absolute_http_urls_with_a_usable_host_are_fetched(url):
    for config in (LOCAL, FetchConfig(timeout=5.0)):  # the address check comes after parsing
        assert rejected(url, config).reason == "bad_url"


@pytest.mark.parametrize("target", ["http://xn--.com/", "http://[::1:8080/a.html", "http://example.com:0/"])
def test_redirect_to_an_unusable_url_is_refused(site, target):
    url = site.add("/to-nowhere", redirect(target))

    error = rejected(url)
    assert error.reason == "bad_url" and error.detail.startswith(url)


def test_redirect_to_a_non_http_scheme_is_refused(site):
    url = site.add("/to-file", redirect("file:///etc/passwd"))

    error = rejected(url)
    assert error.reason == "bad_url" and "file:///etc/passwd" in error.detail


def test_loopback_url_is_refused_unless_private_addresses_are_allowed(site):
    site.add("/robots.txt", Response(200, "User-agent: *\nDisallow: /drafts/\n", content_type="text/plain"))
    url = site.add("/a.html", HTML)
    draft = site.add("/drafts/a.html", HTML)

    error = rejected(url, FetchConfig())
    assert error.reason == "private_address" and "127.0.0.1 is loopback" in error.detail
    assert error.detail.startswith(url) and "robots.txt" not in error.detail  # the page, as asked
    assert site.requests == []  # not even robots.txt was asked for
    assert fetch(url, LOCAL).status == 200
    assert rejected(draft).reason == "robots_disallowed"  # the refusal left no stand-in robots.txt behind


def test_redirect_from_a_public_place_to_a_private_one_is_refused(site, monkeypatch):
    with Site() as internal:
        internal.add("/admin", HTML)
        url = site.add("/innocent", redirect(internal.url("/admin")))
        real_check = fetch_module.check_address

        def site_counts_as_public(host, port):
            # Stand-in for a public host: only `site` passes, everything else is checked for real.
            return [host] if port == site.port else real_check(host, port)

        monkeypatch.setattr(fetch_module, "check_address", site_counts_as_public)
        error = rejected(url, FetchConfig())

        assert error.reason == "private_address"
        assert "/innocent" in site.paths_requested()
        assert internal.requests == []


@pytest.mark.parametrize("address", ["10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                                     "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "::", "fe80::1", "fc00::1",
                                     "ff02::1", "::ffff:127.0.0.1"])
def test_internal_addresses_are_refused(address):
    with pytest.raises(Rejected) as info:
        check_address(address, 80)
    assert info.value.reason == "private_address" and address in info.value.detail


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert check_address(address, 443) == [address]


def test_connection_refused_is_named_as_a_crawl_names_it():
    with Site() as gone:
        url = gone.url("/a.html")
    error = rejected(url)
    assert error.reason == "connection_refused" and error.detail.startswith(url)
    assert error.outcome == "failed"


def test_ipv6_host_is_fetched_and_checked_like_any_other():
    if (why := ipv6_loopback()) is not None:
        pytest.skip(why)
    with Site("::1") as site:
        site.add("/robots.txt", Response(200, "User-agent: *\nDisallow: /drafts/\n", content_type="text/plain"))
        url = site.add("/a.html", HTML)
        assert url.startswith("http://[::1]:")

        error = rejected(url, FetchConfig())
        assert error.reason == "private_address" and "::1 is loopback" in error.detail
        assert site.requests == []
        page = fetch(url, LOCAL)
        assert page.status == 200 and page.final_url == url
        assert rejected(site.url("/drafts/a.html")).reason == "robots_disallowed"
        assert site.paths_requested() == ["/robots.txt", "/a.html"]


@pytest.mark.parametrize("address", ["2001:db8::1", "fd00::1"])
def test_bracketed_ipv6_urls_reach_the_address_check(address):
    error = rejected(f"http://[{address}]/a.html", FetchConfig(timeout=5.0))
    assert error.reason == "private_address" and address in error.detail


def test_conditional_request_gets_304_as_an_empty_page(site):
    def answer(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Response(304, b"", headers={"ETag": '"v1"'})
        return Response(200, HTML, headers={"ETag": '"v1"', "Last-Modified": "Tue, 06 Dec 2016 10:00:00 GMT"})

    url = site.add("/a.html", answer)
    first = fetch(url, LOCAL)
    assert first.status == 200 and first.headers["etag"] == '"v1"'

    again = fetch(url, LOCAL, etag=first.headers["etag"], last_modified=first.headers["last-modified"])

    assert again.status == 304 and again.body == b""
    sent = site.requests[-1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Tue, 06 Dec 2016 10:00:00 GMT"
