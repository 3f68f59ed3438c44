"""Bytes to text for HTML pages whose charset declarations may be missing or wrong.

The order of evidence, strongest first:

1. a byte-order mark;
2. bytes that are UTF-8 (at most one stray byte per 20 good characters):
   legacy encodings almost never produce valid multi-byte UTF-8 by accident,
   so this wins over a declaration (servers that say ``latin-1`` by default
   serve UTF-8 daily);
3. the declared charsets (HTTP header, then ``<meta>``/XML declaration), each
   accepted only if the bytes decode under it without error; a declared
   single-byte charset is overruled when detection clearly sees a multi-byte
   one (a Shift-JIS page labelled ``iso-8859-1`` decodes "fine" as mojibake);
4. detection by charset_normalizer, preferring windows-1252 among equally good
   single-byte guesses (it is the web's most common legacy charset, and the
   WHATWG default for Western pages).

Names are resolved the way browsers do through w3lib (``latin-1`` means
windows-1252, ``shift_jis`` means cp932, ``gb2312`` means gb18030).
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

from crawler.ingest.records import Rejected

# Encodings where one byte is one character: any byte string "decodes", so a
# declaration of one of these proves nothing about non-ASCII bytes.
_MULTI_BYTE = {
    "utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
    "cp932", "shift_jis", "shift_jisx0213", "shift_jis_2004", "euc_jp", "euc_jis_2004",
    "euc_jisx0213", "iso2022_jp", "iso2022_jp_2", "iso2022_kr", "gb18030", "gbk", "gb2312",
    "hz", "big5", "big5hkscs", "cp950", "cp949", "euc_kr", "johab",
}
_WINDOWS_1252 = "cp1252"
_UTF8_GOOD_PER_BAD = 20
# Text, not binary: C0 controls other than tab/newline/return, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_CONTROL_RATIO = 0.01
# Every byte but those controls: deleting them (in C) leaves the control
# bytes. A body without any has no control characters in any encoding it
# can be in, and its text need not be searched.
_NOT_CONTROL = bytes(b for b in range(256) if not _CONTROL.match(chr(b)))
# Declarations sit near the top; sniffing the whole body wastes time on big pages.
_DECLARATION_WINDOW = 4096


def decode_html(body: bytes, headers: dict[str, str]) -> str:
    """Return the text of an HTML body, using the evidence order in the module
    docstring. `headers` are the response headers with lower-case names.

    Empty bytes give "". Raises `Rejected("undecodable", ...)` when no encoding
    yields text (binary data, compressed bytes served as HTML, random noise)."""
    if not body:
        return ""
    text = _decode(body, headers)
    if text is None:
        raise Rejected("undecodable", "no character encoding yields text for these bytes")
    if body.translate(None, _NOT_CONTROL) and len(_CONTROL.findall(text)) > _MAX_CONTROL_RATIO * len(text):
        raise Rejected("undecodable", "the body decodes to control characters: binary data")
    return text


def _decode(body: bytes, headers: dict[str, str]) -> str | None:
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None and bom is not None:
        return body[len(bom):].decode(bom_encoding, errors="replace")
    if body.isascii():
        # 7-bit stateful encodings (ISO-2022-JP) are the only ones that need
        # more than ASCII here; everything else reads ASCII as ASCII.
        if b"\x1b" not in body:
            return body.decode("ascii")
        stateful = [e for e in _declared_encodings(body, headers) if e.startswith("iso2022")]
        return _strict(body, stateful[0]) if stateful else body.decode("ascii")
    as_utf8 = _mostly_utf8(body)
    if as_utf8 is not None:
        return as_utf8
    declared = _declared_encodings(body, headers)
    for encoding in declared:
        text = _strict(body, encoding)
        if text is None:
            continue
        if encoding not in _MULTI_BYTE:
            detected = _detect(body)
            if detected is not None and detected[0] in _MULTI_BYTE:
                return detected[1]
        return text
    detected = _detect(body)
    return detected[1] if detected is not None else None


def _declared_encodings(body: bytes, headers: dict[str, str]) -> list[str]:
    """Declared charsets, header first, resolved to Python codec names."""
    labels = [
        http_content_type_encoding(headers.get("content-type")),
        html_body_declared_encoding(body[:_DECLARATION_WINDOW]),
    ]
    resolved = []
    for label in labels:
        encoding = resolve_encoding(label) if label else None
        if encoding in {"utf-16", "utf-32"}:
            encoding += "-le"  # no BOM was found; little-endian is what servers send
        if encoding and encoding not in resolved:
            resolved.append(encoding)
    return resolved


def _mostly_utf8(body: bytes) -> str | None:
    """The body as UTF-8 if it is UTF-8, allowing a few stray bytes (a page
    pasted together from two sources): legacy-encoded text has almost no valid
    multi-byte sequences, real UTF-8 has almost no invalid ones."""
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad == 0:
        return text
    good = len(text) - len(text.encode("ascii", "ignore")) - bad  # non-ASCII characters that decoded
    return text if good >= _UTF8_GOOD_PER_BAD * bad else None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(body: bytes) -> tuple[str, str] | None:
    """charset_normalizer's best guess as (codec name, text), or None."""
    matches = charset_normalizer.from_bytes(body)
    best = matches.best()
    if best is None:
        return None
    encoding = codecs.lookup(best.encoding).name
    if encoding not in _MULTI_BYTE:
        # Single-byte code pages tie often (é is 0xE9 in most of them);
        # among the equally good guesses take windows-1252.
        tied = [m for m in matches if m.chaos == best.chaos and m.coherence == best.coherence]
        if any(_WINDOWS_1252 in m.could_be_from_charset for m in tied):
            text = _strict(body, _WINDOWS_1252)
            if text is not None:
                return _WINDOWS_1252, text
    return encoding, str(best)
