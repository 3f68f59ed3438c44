"""The raw-page archive: every fetched body kept as a gzip WARC response record,
so any document can be re-extracted later without refetching.

Each process appends to its own file (no two writers share one), one gzip
member per record: a kill mid-write leaves at most a torn last member, which
no stored fetch points at because the store row is written after the record.
The next process writes a file of its own; a write that fails in a living
process (a full disk) is cut back off the file, so no record is ever written
after a torn one. Readers know a torn record: `read` refuses it, and
`records` ends before it.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


logger = logging.getLogger(__name__)


@dataclass
class ArchivedPage:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: str | None


try:
    # ISA-L's deflate writes the same gzip format as zlib, four times faster:
    # on 120 KB news pages its level 2 takes 0.22 ms for 24.8 % of the raw
    # size, where zlib's fastest level takes 0.85 ms for 25.9 % (zlib level 9,
    # warcio's own, takes 2.6 ms). Every page is compressed once, on the cores
    # the extraction needs; the archive is read rarely.
    from isal import isal_zlib as _deflate

    COMPRESS_LEVEL = 2
except ImportError:  # a platform without ISA-L wheels: plain zlib, fastest level
    _deflate = zlib
    COMPRESS_LEVEL = 1


def encode_record(url: str, status: int, headers: dict[str, str], body: bytes, fetched_at: datetime) -> bytes:
    """One WARC response record as a gzip member, ready to append. Pure (no
    file access), so a crawl builds it in the extraction process."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    http_headers = StatusAndHeaders(
        f"{status} {'OK' if status == 200 else ''}".strip(),
        [(k, v) for k, v in headers.items() if k.lower() not in ("content-encoding", "transfer-encoding")],
        protocol="HTTP/1.1",
    )
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    writer.write_record(record)
    compressor = _deflate.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)  # one gzip member
    return compressor.compress(buf.getvalue()) + compressor.flush()


class Archive:
    """Append-only WARC files under `root`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._path: Path | None = None
        self._pid: int | None = None

    def _current_file(self, when: datetime) -> Path:
        # A new file per process (and after a fork); the date keeps files small.
        day = when.strftime("%Y%m%d")
        if self._path is None or self._pid != os.getpid() or not self._path.name.startswith(day):
            self._pid = os.getpid()
            host = socket.gethostname().split(".")[0] or "host"
            self._path = self.root / f"{day}-{host}-{self._pid}-{os.urandom(3).hex()}.warc.gz"
        return self._path

    def write(
        self, url: str, status: int, headers: dict[str, str], body: bytes, fetched_at: datetime
    ) -> tuple[str, int]:
        """Append one response record; returns (file name, offset) to read it back."""
        return self.append(encode_record(url, status, headers, body, fetched_at), fetched_at)

    def append(self, record: bytes, fetched_at: datetime) -> tuple[str, int]:
        """Append a record made by `encode_record`; returns (file name, offset).
        A write that fails (OSError, naming the file, or an interrupt) leaves
        the file as it was, or, when even that fails, the file is left for a
        new one."""
        path = self._current_file(fetched_at)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            offset = os.fstat(fd).st_size
            try:
                view = memoryview(record)
                while view:
                    view = view[os.write(fd, view):]
            except BaseException as exc:
                self._cut_back(fd, path, offset)
                if isinstance(exc, OSError) and exc.filename is None:  # os.write names no file
                    raise OSError(exc.errno, exc.strerror, str(path)) from exc
                raise
        finally:
            os.close(fd)
        return path.name, offset

    def _cut_back(self, fd: int, path: Path, offset: int) -> None:
        try:
            os.ftruncate(fd, offset)
        except OSError as exc:
            logger.warning("%s: a record could not be written nor cut back off (%s); the next record goes "
                           "to a new file", path, exc)
            self._path = None

    def read(self, name: str, offset: int) -> ArchivedPage:
        """The record written at (name, offset). Raises ValueError if it is
        not there or is cut short (a write a crash interrupted)."""
        with open(self.root / name, "rb") as fh:
            fh.seek(offset)
            try:
                for record in ArchiveIterator(fh):
                    if record.rec_type != "response":
                        break
                    return _whole(record, f"{name}:{offset}")
            except ValueError:
                raise
            except Exception as exc:  # warcio meeting bytes that are no record raises all sorts
                raise ValueError(f"no readable record at {name}:{offset} ({type(exc).__name__}: {exc})") from exc
        raise ValueError(f"no response record at {name}:{offset}")

    def records(self, name: str) -> Iterator[tuple[int, ArchivedPage]]:
        """Every response record of one file with its offset, in order. A
        file whose last record was cut by a crash ends before that record
        (logged), whatever reads it next."""
        with open(self.root / name, "rb") as fh:
            records = ArchiveIterator(fh)
            try:
                for record in records:
                    if record.rec_type != "response":
                        continue
                    offset = records.get_record_offset()
                    yield offset, _whole(record, f"{name}:{offset}")
            except Exception as exc:  # warcio meeting bytes that are no record raises all sorts
                logger.warning("%s: the records from offset %s on cannot be read, left out (%s: %s)", name,
                               records.get_record_offset(), type(exc).__name__, exc)


def _whole(record, where: str) -> ArchivedPage:
    """The page of a response record; ValueError when the file ends inside it."""
    headers = dict(record.http_headers.headers) if record.http_headers else {}
    status = int(record.http_headers.get_statuscode() or 0) if record.http_headers else 0
    body = record.content_stream().read()
    if record.raw_stream.limit:  # bytes the record announced and the file does not hold
        raise ValueError(f"the record at {where} is cut short: {record.raw_stream.limit} of its "
                         f"{record.length} bytes are missing")
    return ArchivedPage(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=status,
        headers=headers,
        body=body,
        fetched_at=record.rec_headers.get_header("WARC-Date"),
    )
