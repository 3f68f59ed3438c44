"""Content-Encoding, decoded strictly: a compressed body that stops before
its compressed stream ends is a cut-off page, not a shorter one.

Scrapy's HttpCompressionMiddleware keeps whatever a gzip body gives before
it breaks off ("as much data as possible"): a server that closes the
connection early with a Content-Length that matches what it sent, or a
proxy that cuts the body, then yields half an article that extraction
cannot tell from a whole one. This middleware takes its place
(DOWNLOADER_MIDDLEWARES, same priority) and decodes gzip and deflate to
the end of their stream: a body that ends before it, or does not decode at
all, is refused as `bad_encoding` (recorded, never stored). A gzip stream
whose checksum alone is wrong has given all its data and is kept, as
Scrapy keeps it. Brotli and zstd are Scrapy's. The size limit
(DOWNLOAD_MAXSIZE, decompressed) is applied as Scrapy applies it.
"""

from __future__ import annotations

import zlib

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.utils._compression import _CHUNK_SIZE, _check_max_size

from crawler.crawl.failures import Refused
from crawler.ingest.records import Rejected

# zlib's messages for a stream whose data all came out but whose trailer
# does not match it.
_CHECKSUM_ERRORS = ("incorrect data check", "incorrect length check")


class StrictCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware, but gzip and deflate bodies must
    be whole (see the module docstring)."""

    @staticmethod
    def _decode(body: bytes, encoding: bytes, max_size: int) -> bytes:
        if not body:
            return body  # a 304, a 204: nothing to decode
        if encoding in {b"gzip", b"x-gzip"}:
            return inflate_whole(body, zlib.MAX_WBITS | 16, "gzip", max_size)
        if encoding == b"deflate":
            try:
                return inflate_whole(body, zlib.MAX_WBITS, "deflate", max_size)
            except Refused:
                # Some servers send raw deflate, without the zlib header.
                return inflate_whole(body, -zlib.MAX_WBITS, "deflate", max_size)
        return HttpCompressionMiddleware._decode(body, encoding, max_size)


def inflate_whole(body: bytes, wbits: int, name: str, max_size: int = 0) -> bytes:
    """`body` decompressed to the end of its stream (every member of a
    multi-member gzip); Refused (`bad_encoding`) when it does not decode or
    ends before its stream does. Raises Scrapy's size error past `max_size`
    bytes of output (0: no limit)."""
    out = bytearray()
    data = body
    while True:
        inflater = zlib.decompressobj(wbits)
        whole_so_far = len(out)  # 0 for the first member
        try:
            while data:
                out += inflater.decompress(data, _CHUNK_SIZE)
                _check_max_size(len(out), max_size)
                data = inflater.unconsumed_tail
                if inflater.eof:
                    break
            if not inflater.eof:
                out += inflater.flush()
        except zlib.error as exc:
            if out and str(exc).startswith(_CHECKSUM_ERRORS):
                return bytes(out)
            if whole_so_far and len(out) == whole_so_far:
                return bytes(out)  # bytes after a whole gzip member that are no member: not the page's
            raise Refused(Rejected("bad_encoding", f"the body does not decode as {name}: {exc}")) from exc
        if not inflater.eof:
            raise Refused(Rejected("bad_encoding", f"the {name} body ends before its compressed stream does "
                                                   f"({len(body)} bytes received): cut off in transit"))
        data = inflater.unused_data
        if not data.strip(b"\0") or wbits != zlib.MAX_WBITS | 16:
            return bytes(out)
