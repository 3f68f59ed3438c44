"""The store on its own: schema, fetch history, meta guard, archive, locking.
Runs against SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from storage.archive import Archive, encode_record
from storage.records import Document, FetchRecord
from storage.store import Store, StoreConfigError

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parents[1]


def _doc(url: str, text: str = "some text", **kw) -> Document:
    return Document(url=url, url_key=url, text=text, text_hash=f"h-{url}", fetched_at=T0, **kw)


def test_documents_clusters_and_index_round_trip(store):
    with store.write() as conn:
        cid = store.new_cluster(conn)
        a = _doc("http://a.example/1", cluster_id=cid)
        b = _doc("http://b.example/1", cluster_id=cid, attribution="Via A")
        store.insert_document(conn, a)
        store.insert_document(conn, b)
        store.lsh_add(conn, a.id, [1, 2, -3])  # band keys in band order
        store.lsh_add(conn, b.id, [9, 2])
        store.set_cluster_decision(conn, cid, a.id, {a.id: None, b.id: 0.93})
    with store.read() as conn:
        assert store.lsh_candidates(conn, [5, 2]) == {a.id, b.id}
        assert store.lsh_candidates(conn, [5, 77, -3]) == {a.id}
        assert store.lsh_candidates(conn, [5, 77, 78]) == set()
    [(cluster_id, size, canonical)] = store.clusters()
    assert (cluster_id, size, canonical.id) == (cid, 2, a.id)
    copy = store.get_document(b.id)
    assert copy.duplicate_of == a.id and copy.similarity == pytest.approx(0.93) and not copy.is_canonical
    assert copy.attribution == "Via A"
    assert store.find_document("http://b.example/1").id == b.id


def test_a_commit_on_sqlite_writes_the_rows_sqlalchemy_would(tmp_path):
    """On SQLite a page's commit runs its statements on the driver's own
    connection, not through SQLAlchemy's execution: every value (times to
    the microsecond, tags, flags, missing fields, band keys, a fetch and its
    link) lands in the database as SQLAlchemy itself writes it, and reads
    back the same way."""
    import sqlite3

    from storage.store import _INSERT_BAND, _INSERT_DOCUMENT, _INSERT_FETCH, _LINK_FETCH, _NEW_CLUSTER, _SET_CLUSTER

    def doc():
        d = _doc("http://a.example/1", title="Ünïcode “title”", author=None, published="2026-11-01T09:30:00+01:00",
                 tags=["politics", "Wahl 2026"], attribution="Via Wire", version=3, page_hash="p" * 64)
        d.fetched_at = datetime(2026, 11, 1, 12, 0, 5, 123456, tzinfo=timezone.utc)
        return d

    fetch = FetchRecord(url="http://a.example/1", status=200, fetched_at=T0, outcome="stored", content_hash="c" * 64,
                        etag='"x"', last_modified=None, source="src", run_id=None, warc_file="a.warc.gz",
                        warc_offset=2 ** 40)
    direct, through = Store(None, tmp_path / "direct"), Store(None, tmp_path / "through")
    with direct.write() as conn:  # the path every commit takes
        d = doc()
        d.cluster_id = direct.new_cluster(conn)
        direct.insert_document(conn, d)
        direct.lsh_add(conn, d.id, [5, -2 ** 63, 2 ** 63 - 1])
        direct.set_cluster_canonical(conn, d.cluster_id, d.id, size=1)
        fetch.document_id = d.id
        direct.record_document_fetch(conn, fetch)
        stamp = conn.connection.driver_connection.execute("SELECT updated_at FROM documents").fetchone()[0]
    with through.write() as conn:  # the same rows through SQLAlchemy's own execution
        t = doc()
        now = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
        cid = conn.execute(_NEW_CLUSTER, {"size": 0, "created_at": now, "updated_at": now}).inserted_primary_key[0]
        t.cluster_id = cid
        values = {f: getattr(t, f) for f in t.__dataclass_fields__ if f != "id"}
        values.update(tags='["politics", "Wahl 2026"]', updated_at=now)
        doc_id = conn.execute(_INSERT_DOCUMENT, values).inserted_primary_key[0]
        conn.execute(_INSERT_BAND, [{"key": k, "doc_id": doc_id} for k in sorted({5, -2 ** 63, 2 ** 63 - 1})])
        conn.execute(_SET_CLUSTER, {"cid": cid, "canonical": doc_id, "size": 1, "now": now})
        values = {f: getattr(fetch, f) for f in fetch.__dataclass_fields__ if f != "id"}
        fid = conn.execute(_INSERT_FETCH, values).inserted_primary_key[0]
        conn.execute(_LINK_FETCH, {"doc_id": doc_id, "fid": fid})
    for store in (direct, through):
        store.close()

    def rows(name):
        db = sqlite3.connect(tmp_path / name / "wirecrawl.db")
        tables = ("documents", "clusters", "lsh_bands", "fetches")
        out = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
        out["clusters"] = [r[:-2] for r in out["clusters"]]  # created_at, updated_at: the clock at each step
        db.close()
        return out

    assert rows("direct") == rows("through")
    with Store(None, tmp_path / "direct") as store:
        back = store.latest_for_url("http://a.example/1")
        assert (back.tags, back.fetched_at, back.published, back.is_latest, back.fetch_id) == (
            ["politics", "Wahl 2026"], doc().fetched_at, "2026-11-01T09:30:00+01:00", True, fetch.id)
        assert store.last_fetch("http://a.example/1", with_page=True) == fetch



def test_a_write_on_a_connection_without_a_transaction_begins_one_as_sqlalchemy_does(store):
    """The store's writes take the caller's connection: without a
    transaction begun, the first write begins one (SQLAlchemy's autobegin),
    so a rollback takes it back on either engine."""
    with store.engine.connect() as conn:
        store.record_fetch(FetchRecord(url="http://a.example/1", status=200, fetched_at=T0, outcome="stored"), conn)
        assert conn.in_transaction()
        conn.rollback()
    assert store.fetch_history("http://a.example/1") == []


def test_on_postgresql_a_band_key_is_found_in_its_own_band_only(postgres_url, data_dir):
    """PostgreSQL keeps a column per band position: a key held in another
    band of a document does not make it a candidate (a band's bucket is only
    comparable with the same band), documents with fewer keys than others
    are indexed as far as they go, and a key is compared on its low 32 bits."""
    with Store(postgres_url, data_dir) as store:
        with store.write() as conn:
            cid = store.new_cluster(conn)
            a, b = _doc("http://a.example/1", cluster_id=cid), _doc("http://b.example/1", cluster_id=cid)
            store.insert_document(conn, a)
            store.insert_document(conn, b)
            store.lsh_add_many(conn, [(a.id, [1, 2, -3]), (b.id, [-3])])
        with store.read() as conn:
            assert store.lsh_candidates(conn, [2, 5, 6]) == set()
            assert store.lsh_candidates(conn, [-3, 5, -3]) == {a.id, b.id}
            assert store.lsh_candidates(conn, [7, 2 + (5 << 32)]) == {a.id}
            assert store.lsh_candidates(conn, [7, 2 + (1 << 31)]) == set()


def test_on_postgresql_settings_making_more_band_keys_than_the_index_holds_are_refused(postgres_url, data_dir):
    from storage.schema import LSH_POSITIONS

    with Store(postgres_url, data_dir) as store:
        store.check_band_keys(LSH_POSITIONS)
        with pytest.raises(StoreConfigError, match="band keys a document"):
            store.check_band_keys(LSH_POSITIONS + 1)
        with store.write() as conn, pytest.raises(StoreConfigError, match="use fewer bands"):
            store.lsh_add(conn, 1, range(LSH_POSITIONS + 1))


def test_on_postgresql_a_keyed_write_holds_the_store_lock_shared_and_its_keys(postgres_url, data_dir):
    """One statement takes both: the store-wide lock shared (a store-wide
    write waits for it) and every key, duplicates once, exclusively."""
    from sqlalchemy import text

    from storage.store import _PG_WRITER_LOCK

    def advisory(conn) -> list[tuple[int, str]]:
        rows = conn.execute(text(
            "SELECT (classid::bigint << 32) | objid::bigint, mode FROM pg_locks "
            "WHERE locktype = 'advisory' AND objsubid = 1 AND pid = pg_backend_pid() AND granted"))
        return sorted((key - (1 << 64) if key >= 1 << 63 else key, mode) for key, mode in rows)

    with Store(postgres_url, data_dir) as store:
        with store.write(keys=[5, -7, 5]) as conn:
            assert advisory(conn) == sorted([(-7, "ExclusiveLock"), (5, "ExclusiveLock"),
                                              (_PG_WRITER_LOCK, "ShareLock")])
        with store.write(keys=()) as conn:
            assert advisory(conn) == [(_PG_WRITER_LOCK, "ShareLock")]
        with store.write() as conn:
            assert advisory(conn) == [(_PG_WRITER_LOCK, "ExclusiveLock")]


def test_superseded_version_is_kept_but_leaves_the_index(store):
    with store.write() as conn:
        cid = store.new_cluster(conn)
        old = _doc("http://a.example/1", cluster_id=cid)
        store.insert_document(conn, old)
        store.lsh_add(conn, old.id, [5])
        store.supersede(conn, old.id)
    with store.read() as conn:
        assert store.lsh_candidates(conn, [5]) == set()
    assert store.get_document(old.id).is_latest is False
    assert store.latest_for_url("http://a.example/1") is None
    assert store.count_documents() == 1


def test_fetch_history_keeps_every_attempt_newest_first(store):
    url = "http://a.example/page"
    store.record_fetch(FetchRecord(url=url, fetched_at=T0, status=200, etag='"v1"', content_hash="x",
                                   outcome="stored", document_id=1))
    store.record_fetch(FetchRecord(url=url, fetched_at=T0 + timedelta(hours=1), status=500,
                                   outcome="error", reason="http_status: 500"))
    assert store.last_fetch(url).status == 500
    assert store.last_fetch(url, with_document=True).etag == '"v1"'
    assert [f.outcome for f in store.fetch_history(url)] == ["stored", "error"]


def test_store_refuses_index_of_other_dedup_settings(store):
    store.ensure_meta("dedup_config", "shingles=5;perm=128")
    store.ensure_meta("dedup_config", "shingles=5;perm=128")  # same: fine
    other = Store(store.database_url, store.data_dir)
    with pytest.raises(StoreConfigError, match="reindex"):
        other.ensure_meta("dedup_config", "shingles=3;perm=64")
    other.close()


def test_a_failed_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            cid = store.new_cluster(conn)
            store.insert_document(conn, _doc("http://a.example/x", cluster_id=cid))
            raise RuntimeError("killed mid-write")
    assert store.count_documents() == 0
    assert store.clusters(min_size=0) == []


def test_runs_are_recorded(store):
    run_id = store.start_run("crawl", "example")
    store.record_fetch(FetchRecord(url="http://a.example/", fetched_at=T0, outcome="stored", run_id=run_id))
    store.record_fetch(FetchRecord(url="http://a.example/b", fetched_at=T0, outcome="rejected", run_id=run_id))
    store.finish_run(run_id, {"stored": 1})
    assert store.fetch_counts(run_id) == {"stored": 1, "rejected": 1}


def test_archive_round_trips_raw_pages(tmp_path):
    archive = Archive(tmp_path / "archive")
    body = "<html><body><p>Grüße aus dem Archiv</p></body></html>".encode("utf-8")
    name, offset = archive.write("http://a.example/1", 200, {"content-type": "text/html"}, body, T0)
    name2, offset2 = archive.write("http://a.example/2", 200, {"content-type": "text/html"}, b"<p>2</p>", T0)
    assert name2 == name and offset2 > offset
    page = archive.read(name, offset)
    assert (page.url, page.status, page.body) == ("http://a.example/1", 200, body)
    assert archive.read(name2, offset2).body == b"<p>2</p>"
    # every record is its own gzip member, so the file stays readable by any gzip tool
    assert "Grüße".encode() in gzip.decompress((tmp_path / "archive" / name).read_bytes())


def _two_records_and_a_torn_third(archive: Archive) -> tuple[str, list[int], int]:
    """Three records written, the third cut halfway as a kill would."""
    written = [archive.write(f"http://a.example/{n}", 200, {"content-type": "text/html"},
                             f"<p>page {n}</p>".encode() * 200 + os.urandom(3000), T0) for n in range(3)]
    name = written[0][0]
    path = archive.root / name
    size = path.stat().st_size
    third = written[2][1]
    with open(path, "r+b") as fh:
        fh.truncate(third + (size - third) // 2)
    return name, [offset for _, offset in written[:2]], third


def test_a_warc_file_cut_by_a_crash_reads_up_to_its_torn_record(tmp_path):
    archive = Archive(tmp_path / "archive")
    name, whole, torn = _two_records_and_a_torn_third(archive)

    assert [archive.read(name, offset).url for offset in whole] == ["http://a.example/0", "http://a.example/1"]
    with pytest.raises(ValueError, match="cut short"):
        archive.read(name, torn)  # warcio alone hands back the part that is there, as if whole
    assert [(offset, page.url) for offset, page in archive.records(name)] == [
        (whole[0], "http://a.example/0"), (whole[1], "http://a.example/1")]

    # The next writer (a new process, after the crash) writes a file of its own.
    again = Archive(tmp_path / "archive")
    name2, offset2 = again.write("http://a.example/3", 200, {}, b"<p>3</p>", T0)
    assert name2 != name and again.read(name2, offset2).body == b"<p>3</p>"
    assert [page.url for _, page in again.records(name2)] == ["http://a.example/3"]


def test_a_write_that_fails_is_cut_back_off_so_the_next_record_follows_a_whole_one(tmp_path, monkeypatch):
    import errno

    import storage.archive as archive_module

    archive = Archive(tmp_path / "archive")
    name, offset = archive.write("http://a.example/0", 200, {}, b"<p>0</p>", T0)
    size = (archive.root / name).stat().st_size
    real_write = os.write

    def disk_full(fd, data):  # half of the record lands, then the disk is full
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(archive_module.os, "write", disk_full)
    with pytest.raises(OSError):
        archive.write("http://a.example/1", 200, {}, os.urandom(5000), T0)
    monkeypatch.setattr(archive_module.os, "write", real_write)
    assert (archive.root / name).stat().st_size == size

    name2, offset2 = archive.write("http://a.example/2", 200, {}, b"<p>2</p>", T0)
    assert name2 == name and offset2 == size
    assert [page.url for _, page in archive.records(name)] == ["http://a.example/0", "http://a.example/2"]


def test_ingest_goes_on_after_a_crash_cut_the_archive(site, data_dir):
    from crawler.crawl.adhoc import ingest_url
    from crawler.crawl.fetch import FetchConfig
    from tests.sampleweb.articles import ARTICLES

    english = [a for a in ARTICLES if a.lang == "en"]
    urls = [site.add(f"/{n}.html", "<html><body><article>" + "".join(f"<p>{p}</p>" for p in a.paragraphs)
                     + "</article></body></html>") for n, a in enumerate(english[:2])]
    local = FetchConfig(allow_private=True)
    with Store(None, data_dir) as store:
        first = ingest_url(urls[0], store, archive=Archive(data_dir / "archive"), fetch_config=local)
        [warc] = (data_dir / "archive").iterdir()
        with open(warc, "ab") as fh:  # the start of a record a crash cut
            fh.write(encode_record("http://a.example/cut", 200, {}, os.urandom(9000), T0)[:4000])
        second = ingest_url(urls[1], store, archive=Archive(data_dir / "archive"), fetch_config=local)
        assert (first.outcome, second.outcome) == ("stored", "stored")
        archive = Archive(data_dir / "archive")
        for url in urls:
            fetch = store.last_fetch(url)
            assert archive.read(fetch.warc_file, fetch.warc_offset).url == url
        assert [page.url for _, page in archive.records(warc.name)] == [urls[0]]
    assert site.paths_requested().count("/robots.txt") == 1


def test_a_database_switching_to_wal_while_another_process_opens_it_is_waited_for(tmp_path):
    """SQLite answers "database is locked" at once (no busy timeout) when two
    processes open a new store together and both switch it to WAL: the
    second waits and retries instead of failing its first page."""
    import sqlite3

    from storage.store import _use_wal

    real = sqlite3.connect(tmp_path / "store.db", isolation_level=None)

    class Contended:
        """A cursor whose first two WAL switches find the file held by another process."""

        def __init__(self):
            self.cur, self.refused = real.cursor(), 0

        def execute(self, sql):
            if sql == "PRAGMA journal_mode=WAL" and self.refused < 2:
                self.refused += 1
                raise sqlite3.OperationalError("database is locked")
            return self.cur.execute(sql)

    cur = Contended()
    _use_wal(cur)
    assert cur.refused == 2
    assert real.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    class Broken(Contended):
        def execute(self, sql):
            if sql == "PRAGMA journal_mode=WAL":
                raise sqlite3.OperationalError("disk I/O error")
            return self.cur.execute(sql)

    other = sqlite3.connect(tmp_path / "other.db", isolation_level=None)
    broken = Broken()
    broken.cur = other.cursor()
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _use_wal(broken)


# -- runs: who owns them, and which are dead; one crawl of a source at a time ----

_OLD_RUNS_TABLE = """CREATE TABLE runs (id INTEGER PRIMARY KEY, kind VARCHAR(40) NOT NULL, source VARCHAR(200),
    started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, status VARCHAR(20) NOT NULL, stats TEXT)"""


def test_a_store_of_an_earlier_release_gains_the_new_columns_and_keeps_its_runs(data_dir, database_url):
    """A store whose runs table predates host and pid (and whose fetches
    table has no source index) is brought up to date when it is opened:
    its rows are kept, and new runs record their process."""
    from sqlalchemy import create_engine, inspect, text

    from storage.store import default_database_url

    url = database_url or default_database_url(data_dir)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(_OLD_RUNS_TABLE.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY")
                          if engine.dialect.name == "postgresql" else _OLD_RUNS_TABLE))
        conn.execute(text("INSERT INTO runs (kind, source, started_at, status) "
                          "VALUES ('crawl', 'old', '2026-01-01 00:00:00', 'running')"))
    engine.dispose()
    with Store(database_url, data_dir) as store:
        new = store.start_run("crawl", "new")
        runs = {r.source: r for r in store.recent_runs()}
        assert runs["old"].status == "running" and runs["old"].pid is None  # kept; its process unknown
        assert runs["new"].pid == os.getpid() and runs["new"].host
        assert store.mark_abandoned_runs() == []  # nothing to tell about a run without a host
        inspector = inspect(store.engine)
        assert "ix_fetches_source" in {ix["name"] for ix in inspector.get_indexes("fetches")}
        assert new
    with Store(database_url, data_dir) as store:  # opened again: nothing to add, nothing lost
        assert [r.source for r in store.recent_runs()] == ["new", "old"]


def test_a_run_whose_process_is_gone_is_marked_abandoned(store):
    # The dead run fetched two pages (one rejected) before its process went.
    script = ("import sys; from storage.store import Store; from storage.records import FetchRecord; "
              "from storage.utc import utc_now; s = Store(sys.argv[1] or None, sys.argv[2]); "
              "rid = s.start_run('crawl', 'dead'); "
              "[s.record_fetch(FetchRecord(url=f'http://a.example/{o}', fetched_at=utc_now(), outcome=o, "
              "run_id=rid)) for o in ('rejected', 'unchanged')]; print(rid)")
    out = subprocess.run([sys.executable, "-c", script, store.database_url, str(store.data_dir)], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    dead = int(out.stdout)
    alive = store.start_run("crawl", "alive")  # this process: still here
    assert store.mark_abandoned_runs() == [dead]
    runs = {r.id: r for r in store.recent_runs()}
    assert runs[dead].status == "abandoned" and "ended without finishing" in runs[dead].stats["error"]
    # what it did is still told: its counts come from its fetch records
    assert (runs[dead].stats["fetched"], runs[dead].stats["rejected"], runs[dead].stats["unchanged"]) == (2, 1, 1)
    assert runs[alive].status == "running"
    assert store.mark_abandoned_runs() == []


def test_one_process_at_a_time_holds_a_source_and_a_dead_holder_lets_go(store):
    script = ("import sys, time; from storage.store import Store; s = Store(sys.argv[1] or None, sys.argv[2]); "
              "lock = s.source_lock('wire'); assert lock.acquire(); print('held', flush=True); time.sleep(600)")
    holder = subprocess.Popen([sys.executable, "-c", script, store.database_url, str(store.data_dir)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        mine = store.source_lock("wire")
        assert not mine.acquire()
        assert not mine.acquire(wait_s=0.5)
        other = store.source_lock("blog")  # another source is free
        assert other.acquire()
        other.release()
        holder.kill()  # SIGKILL: the lock goes with the process
        holder.wait()
        assert mine.acquire(wait_s=30)
        again = store.source_lock("wire")
        assert not again.acquire()
        mine.release()
        assert again.acquire()
        again.release()
    finally:
        if holder.poll() is None:
            holder.kill()
