"""Snapshots: what a downstream user reads. Full, canonical-only and incremental
snapshots of a store (SQLite and PostgreSQL), their manifest and checksums,
crash safety, and reading them with pyarrow, pandas, DuckDB and `datasets`."""

from __future__ import annotations

import gzip
import hashlib
import json
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from storage.records import Document
from storage.snapshot import (
    JSONL,
    PARQUET,
    SCHEMA,
    SnapshotError,
    latest_version,
    list_versions,
    read_manifest,
    write_snapshot,
)

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
COLUMNS = ["id", "url", "canonical_url", "source", "title", "author", "published", "language", "sitename",
           "text", "fetched_at", "content_hash", "cluster_id", "is_canonical", "duplicate_of", "similarity",
           "version", "is_latest"]


def _add(store, url: str, text: str, *, cluster: int | None = None, **fields) -> Document:
    """Store one document, alone in a new cluster unless `cluster` is given."""
    with store.write() as conn:
        cid = cluster if cluster is not None else store.new_cluster(conn)
        doc = Document(url=url, url_key=url, text=text, text_hash=hashlib.sha256(text.encode()).hexdigest(),
                       fetched_at=T0, cluster_id=cid, source="example", **fields)
        store.insert_document(conn, doc)
        if cluster is None:
            store.set_cluster_decision(conn, cid, doc.id, {doc.id: None})
    return doc


def _decide(store, cluster: int, canonical: Document, copies: list[tuple[Document, float]]) -> None:
    with store.write() as conn:
        sims = {canonical.id: None} | {d.id: s for d, s in copies}
        store.set_cluster_decision(conn, cluster, canonical.id, sims)


@pytest.fixture
def small_store(store):
    """A (canonical) and B (its copy) in one cluster; C and G alone."""
    a = _add(store, "http://a.example/story", "The harbour reopened on Monday after the storm.",
             title="Harbour reopens", published="2026-10-30", language="en", canonical_url="http://a.example/story")
    b = _add(store, "http://b.example/wire/story", "The harbour reopened on Monday after the storm. Via A.",
             cluster=a.cluster_id, title="Port back in business", attribution="Via A")
    _decide(store, a.cluster_id, a, [(b, 0.91)])
    c = _add(store, "http://c.example/tea", "茶畑の収穫は今年も順調だった。", language="ja",
             published="last Tuesday")  # not ISO 8601: must come out as null
    g = _add(store, "http://g.example/bridge", "The old bridge will be repaired next spring.",
             published="2026-10-31T09:30:00+02:00")
    store.docs = {"a": a, "b": b, "c": c, "g": g}
    return store


def _rows(snapshot_dir: Path) -> list[dict]:
    return pq.read_table(snapshot_dir / PARQUET).to_pylist()


def test_snapshot_round_trips_through_pyarrow_with_documented_schema_and_checksums(small_store, tmp_path):
    out = tmp_path / "snapshots"
    info = write_snapshot(small_store, out, dedup_config={"shingle_size": 5})
    docs = small_store.docs

    table = pq.read_table(info.path / PARQUET)
    assert table.schema.equals(SCHEMA, check_metadata=False)
    assert set(COLUMNS) <= set(table.column_names)
    meta = pq.ParquetFile(info.path / PARQUET).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"

    rows = {r["url"]: r for r in table.to_pylist()}
    assert len(rows) == 4
    a, b, c = rows["http://a.example/story"], rows["http://b.example/wire/story"], rows["http://c.example/tea"]
    assert (a["is_canonical"], a["duplicate_of"], a["similarity"]) == (True, None, None)
    assert (b["is_canonical"], b["duplicate_of"], b["cluster_id"]) == (False, docs["a"].id, a["cluster_id"])
    assert b["similarity"] == pytest.approx(0.91)
    # published: a timestamp in UTC; a day-precision date is midnight UTC and says so
    g = rows["http://g.example/bridge"]
    assert (a["published"], a["published_precision"]) == (datetime(2026, 10, 30, tzinfo=timezone.utc), "date")
    assert (g["published"], g["published_precision"]) == (datetime(2026, 10, 31, 7, 30, tzinfo=timezone.utc),
                                                          "datetime")
    assert (c["published"], c["published_precision"]) == (None, None)  # "last Tuesday" is not ISO 8601
    assert b["published"] is None
    assert c["text"] == "茶畑の収穫は今年も順調だった。"
    assert a["fetched_at"] == T0
    assert a["content_hash"] == hashlib.sha256(docs["a"].text.encode()).hexdigest()

    # the JSON lines hold the same rows
    with gzip.open(info.path / JSONL, "rt", encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    assert [r["id"] for r in lines] == [r["id"] for r in table.to_pylist()]
    assert lines[0]["fetched_at"] == "2026-11-01T12:00:00.000000Z"
    assert lines[0]["published"] == "2026-10-30T00:00:00.000000Z"
    assert {len(r["updated_at"]) for r in lines} == {len("2026-11-01T12:00:00.000000Z")}

    manifest = read_manifest(out, info.version)
    assert manifest["version"] == info.version and manifest["previous_version"] is None
    assert manifest["incremental"] is None and manifest["dedup"] == {"shingle_size": 5}
    assert manifest["rows"] == {"all": 4, "latest": 4, "canonical": 3, "copies": 1, "superseded": 0}
    assert [c["name"] for c in manifest["schema"]] == SCHEMA.names
    by_name = {c["name"]: c for c in manifest["schema"]}
    assert by_name["published"]["type"] == "timestamp[us, tz=UTC]"
    assert by_name["published"]["jsonl"].startswith("string, ISO 8601 in UTC")
    assert by_name["duplicate_of"]["jsonl"] == "number, or null"
    assert set(manifest["encodings"]) == {"parquet", "jsonl"}
    # unreadable dates are counted, with examples, not dropped in silence
    assert manifest["published"] == {"datetime": 1, "date": 1, "missing": 1, "unreadable": 1,
                                     "unreadable_examples": ["last Tuesday"]}
    assert (manifest["kind"], manifest["empty"]) == ("full", False)
    assert manifest["pointer"] == {"symlink": "latest", "text_file": "LATEST"}
    for name in (PARQUET, JSONL):
        assert manifest["files"][name]["sha256"] == hashlib.sha256((info.path / name).read_bytes()).hexdigest()
    assert (out / "LATEST").read_text().strip() == info.version
    assert (out / "latest").resolve() == info.path.resolve()


def test_canonical_only_keeps_one_row_per_cluster(small_store, tmp_path):
    info = write_snapshot(small_store, tmp_path / "snap", canonical_only=True)
    rows = _rows(info.path)
    assert sorted(r["url"] for r in rows) == ["http://a.example/story", "http://c.example/tea",
                                              "http://g.example/bridge"]
    assert len({r["cluster_id"] for r in rows}) == len(rows)
    assert read_manifest(tmp_path / "snap", "latest-canonical")["canonical_only"] is True
    # `latest` names full snapshots only, and there is none yet
    assert not (tmp_path / "snap" / "latest").exists() and not (tmp_path / "snap" / "LATEST").exists()
    with pytest.raises(SnapshotError, match="no full snapshot"):
        read_manifest(tmp_path / "snap", "latest")


def test_incremental_snapshot_holds_exactly_the_changes(small_store, tmp_path):
    out = tmp_path / "snap"
    store, docs = small_store, small_store.docs
    first = write_snapshot(store, out)

    # a new document, a new version of C, and a changed cluster decision (B becomes canonical)
    d = _add(store, "http://d.example/rain", "Rain is expected across the valley this weekend.")
    with store.write() as conn:
        store.supersede(conn, docs["c"].id)
    c2 = _add(store, "http://c.example/tea", "茶畑の収穫は今年も順調で、値段も上がった。", cluster=docs["c"].cluster_id,
              version=2)
    _decide(store, docs["c"].cluster_id, c2, [])
    _decide(store, docs["a"].cluster_id, docs["b"], [(docs["a"], 0.91)])

    second = write_snapshot(store, out, since=first.version)
    rows = {r["id"]: r for r in _rows(second.path)}
    assert set(rows) == {docs["a"].id, docs["b"].id, docs["c"].id, c2.id, d.id}
    assert rows[docs["c"].id]["is_latest"] is False and rows[c2.id]["version"] == 2
    assert rows[docs["b"].id]["is_canonical"] is True and rows[docs["a"].id]["duplicate_of"] == docs["b"].id
    manifest = read_manifest(out, second.version)
    assert manifest["incremental"]["since"] == first.version
    assert manifest["previous_version"] == first.version
    assert manifest["rows"]["all"] == 5 and manifest["rows"]["superseded"] == 1

    # nothing changed since: an empty but complete incremental snapshot, which says so
    third = write_snapshot(store, out, since="latest-incremental")
    assert _rows(third.path) == [] and third.rows["all"] == 0 and third.empty
    assert read_manifest(out, third.version)["empty"] is True
    assert read_manifest(out, third.version)["high_water_mark"] == manifest["high_water_mark"]
    assert list_versions(out) == [first.version, second.version, third.version]


def _add_keyed(store, key: int, url: str, text: str, *, hold=None, held=None) -> Document:
    """Store one document in a keyed write (PostgreSQL writers of other pages
    commit side by side); with `hold`, the transaction stays open, its row
    written, until `hold` is set (`held` is set once the row is written)."""
    with store.write(keys=[key]) as conn:
        cid = store.new_cluster(conn)
        doc = Document(url=url, url_key=url, text=text, text_hash=hashlib.sha256(text.encode()).hexdigest(),
                       fetched_at=T0, cluster_id=cid, source="example")
        store.insert_document(conn, doc)
        store.set_cluster_decision(conn, cid, doc.id, {doc.id: None})
        if hold is not None:
            held.set()
            assert hold.wait(timeout=60), "the test never let the writer commit"
    return doc


def test_a_row_committed_after_a_snapshot_by_a_writer_that_began_before_it_is_in_the_next_incremental(
        postgres_url, data_dir, tmp_path):
    # On PostgreSQL two writers commit side by side: one that stamped its row
    # first can commit after a later writer, and after a snapshot that read
    # the later writer's row. The next incremental must still hold it.
    import threading

    from storage.store import Store

    out = tmp_path / "snap"
    with Store(postgres_url, data_dir) as store:
        _add_keyed(store, 1, "http://a.example/first", "The ferry timetable changes in the spring.")
        hold, held = threading.Event(), threading.Event()
        slow: list[Document] = []
        writer = threading.Thread(target=lambda: slow.append(_add_keyed(
            store, 2, "http://b.example/slow", "The library extends its opening hours.", hold=hold, held=held)))
        writer.start()
        try:
            assert held.wait(timeout=60)
            fast = _add_keyed(store, 3, "http://c.example/fast", "A new bakery opens by the station.")
            first = write_snapshot(store, out)
        finally:
            hold.set()
            writer.join()
        assert {r["url"] for r in _rows(first.path)} == {"http://a.example/first", "http://c.example/fast"}

        second = write_snapshot(store, out, since=first.version)
        assert slow[0].id in {r["id"] for r in _rows(second.path)}
        # and what no writer touched since is not repeated
        assert "http://a.example/first" not in {r["url"] for r in _rows(second.path)}
        third = write_snapshot(store, out, since=second.version)
        assert third.empty  # and nothing is told a third time
    assert fast.id in {r["id"] for r in _rows(first.path)}


def test_latest_always_names_the_newest_full_snapshot_and_each_kind_has_its_own_pointer(small_store, tmp_path):
    out = tmp_path / "snap"
    full = write_snapshot(small_store, out)
    incremental = write_snapshot(small_store, out, since="latest")
    canonical = write_snapshot(small_store, out, canonical_only=True)
    both = write_snapshot(small_store, out, canonical_only=True, since="latest")

    pointers = {"latest": full, "latest-incremental": incremental, "latest-canonical": canonical,
                "latest-canonical-incremental": both}
    for pointer, info in pointers.items():
        assert (out / pointer).resolve() == info.path.resolve(), pointer
        assert (out / pointer.upper()).read_text().strip() == info.version, pointer
        assert info.pointer == pointer
        manifest = read_manifest(out, pointer)
        assert manifest["version"] == info.version and manifest["pointer"]["symlink"] == pointer
        assert manifest["pointer_rule"]["latest"].startswith("the newest full snapshot")
    assert incremental.kind == "incremental" and incremental.since == full.version
    # what the README tells a reader to load still holds every row
    assert len(_rows(out / "latest")) == 4
    assert latest_version(out) == both.version and latest_version(out, "full") == full.version


def test_pointers_left_on_an_incremental_by_an_older_release_are_corrected(small_store, tmp_path):
    out = tmp_path / "snap"
    full = write_snapshot(small_store, out)
    incremental = write_snapshot(small_store, out, since=full.version)
    # what an older release left: `latest` on the incremental, and a manifest without `kind`
    manifest_path = incremental.manifest_path
    old = json.loads(manifest_path.read_text())
    del old["kind"]
    manifest_path.write_text(json.dumps(old))
    (out / "latest").unlink()
    (out / "latest").symlink_to(incremental.version, target_is_directory=True)
    (out / "LATEST").write_text(incremental.version + "\n")

    newer = write_snapshot(small_store, out, since="latest")
    assert newer.since == full.version  # "latest" read by the rule, not by the stale link
    assert (out / "latest").resolve() == full.path.resolve()
    assert (out / "LATEST").read_text().strip() == full.version
    assert (out / "LATEST-INCREMENTAL").read_text().strip() == newer.version


def test_a_snapshot_of_an_empty_store_says_so(store, tmp_path):
    info = write_snapshot(store, tmp_path / "snap")
    manifest = read_manifest(tmp_path / "snap", "latest")
    assert info.empty and manifest["empty"] is True and manifest["rows"]["all"] == 0
    assert pq.read_table(info.path / PARQUET).schema.equals(SCHEMA, check_metadata=False)


def test_an_out_folder_that_is_a_file_is_refused_in_one_sentence(small_store, tmp_path):
    not_a_folder = tmp_path / "hostname"
    not_a_folder.write_text("box\n")
    with pytest.raises(SnapshotError, match="is a file, not a folder"):
        write_snapshot(small_store, not_a_folder)
    with pytest.raises(SnapshotError, match="cannot create the snapshot folder"):
        write_snapshot(small_store, not_a_folder / "snapshots")


def test_since_an_unknown_version_is_refused_and_writes_nothing(small_store, tmp_path):
    out = tmp_path / "snap"
    write_snapshot(small_store, out)
    with pytest.raises(SnapshotError, match="no snapshot '20000101T000000Z'"):
        write_snapshot(small_store, out, since="20000101T000000Z")
    assert len(list_versions(out)) == 1
    # into a folder that does not exist yet: refused, and the folder is not made
    with pytest.raises(SnapshotError, match="no full snapshot under"):
        write_snapshot(small_store, tmp_path / "new", since="latest")
    assert not (tmp_path / "new").exists()


def test_versions_sort_in_write_order_even_within_one_second(small_store, tmp_path):
    out = tmp_path / "snap"
    written = [write_snapshot(small_store, out).version for _ in range(4)]
    assert written == sorted(written) == list_versions(out)
    assert len(set(written)) == 4
    assert latest_version(out) == written[-1] == (out / "LATEST").read_text().strip()


def test_failure_before_rename_leaves_no_version_and_no_partial(small_store, tmp_path, monkeypatch):
    import storage.snapshot as snapshot

    out = tmp_path / "snap"
    first = write_snapshot(small_store, out)

    def disk_full(path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot, "_sha256", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_snapshot(small_store, out)
    assert list_versions(out) == [first.version]
    assert sorted(p.name for p in out.iterdir()) == sorted([first.version, "LATEST", "latest"])
    assert (out / "LATEST").read_text().strip() == first.version


_KILLED_WRITER = """
import sys
import storage.snapshot as snapshot
from storage.store import Store

real = snapshot._write_batch
def write_then_wait(*args):
    real(*args)
    print("midway", flush=True)
    sys.stdin.readline()  # held here until the test kills us
snapshot._write_batch = write_then_wait
snapshot.write_snapshot(Store(None, sys.argv[1]), sys.argv[2])
"""


def test_snapshot_killed_midway_leaves_no_version_behind(data_dir, tmp_path):
    from storage.store import Store

    with Store(None, data_dir) as store:
        for i in range(3):
            _add(store, f"http://k.example/{i}", f"Story number {i} about the county fair.")
        out = tmp_path / "snap"
        first = write_snapshot(store, out)

        child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_KILLED_WRITER), str(data_dir), str(out)],
                                 cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "midway"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        assert list_versions(out) == [first.version]
        assert (out / "LATEST").read_text().strip() == first.version
        leftovers = [p.name for p in out.iterdir() if p.name.startswith(".partial-")]
        assert len(leftovers) == 1  # the dead writer's, under no version name

        second = write_snapshot(store, out)  # cleans up after the dead writer
        assert list_versions(out) == [first.version, second.version]
        assert not [p for p in out.iterdir() if p.name.startswith(".partial-")]


def test_snapshot_reads_with_pandas_duckdb_and_datasets(small_store, tmp_path):
    pd = pytest.importorskip("pandas")
    duckdb = pytest.importorskip("duckdb")
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "snap"
    write_snapshot(small_store, out)
    parquet = out / "latest" / PARQUET

    df = pd.read_parquet(parquet)
    assert len(df) == 4 and df["is_canonical"].sum() == 3
    lines = pd.read_json(out / "latest" / JSONL, lines=True, compression="gzip")
    assert list(lines["id"]) == list(df["id"])

    copies = duckdb.sql(f"SELECT url, duplicate_of FROM '{parquet}' WHERE NOT is_canonical").fetchall()
    assert copies == [("http://b.example/wire/story", small_store.docs["a"].id)]

    ds = datasets.load_dataset("parquet", data_files=str(parquet), split="train",
                               cache_dir=str(tmp_path / "hf-cache"))
    assert ds.num_rows == 4 and "茶畑の収穫は今年も順調だった。" in ds["text"]


def test_column_types_are_what_pandas_and_datasets_users_expect(small_store, tmp_path):
    pd = pytest.importorskip("pandas")
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "snap"
    write_snapshot(small_store, out)
    parquet, jsonl = out / "latest" / PARQUET, out / "latest" / JSONL

    df = pd.read_parquet(parquet)
    assert str(df["duplicate_of"].dtype) == "Int64"  # ids stay ids, not 12.0
    copy = df[~df["is_canonical"]].iloc[0]
    assert copy["duplicate_of"] == small_store.docs["a"].id
    assert df["duplicate_of"].isna().sum() == 3
    for column in ("published", "fetched_at", "updated_at"):
        assert str(df[column].dtype) == "datetime64[us, UTC]", column

    timestamps = ("published", "fetched_at", "updated_at")
    from_parquet = datasets.load_dataset("parquet", data_files=str(parquet), split="train",
                                         cache_dir=str(tmp_path / "hf-parquet")).features
    assert {str(from_parquet[c].dtype) for c in timestamps} == {"timestamp[us, tz=UTC]"}
    assert from_parquet["duplicate_of"].dtype == "int64"
    from_jsonl = datasets.load_dataset("json", data_files=str(jsonl), split="train",
                                       cache_dir=str(tmp_path / "hf-json")).features
    # the same type for every timestamp column (ISO 8601 strings), whatever their values
    assert len({str(from_jsonl[c].dtype) for c in timestamps}) == 1, from_jsonl
    assert from_jsonl["duplicate_of"].dtype == "int64"


def test_snapshot_command_writes_a_version_without_prefect(small_store, data_dir, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import _load_commands
    from flows.app import app

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    _load_commands()
    out = tmp_path / "snap"
    args = ["--data-dir", str(data_dir), "--database-url", small_store.database_url,
            "snapshot", "--out", str(out), "--canonical-only"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    version = latest_version(out)
    assert version in result.output and "3 rows" in result.output
    assert read_manifest(out, version)["canonical_only"] is True


def test_two_snapshots_that_pick_one_name_both_publish_the_second_under_the_next(small_store, tmp_path, monkeypatch):
    # Two snapshots started within one second choose one name; the one that
    # finishes second finds it taken, and is published under the next name.
    import storage.snapshot as snapshot

    out = tmp_path / "snap"
    moment = datetime(2026, 12, 6, 3, 0, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(snapshot, "utc_now", lambda: moment)
    export, others, started = snapshot._export, [], []

    def export_while_another_publishes(*args, **kw):
        if not started:  # the other snapshot, started in the same second, finishes first
            started.append(True)
            prefix = snapshot.PARTIAL_PREFIX
            monkeypatch.setattr(snapshot, "PARTIAL_PREFIX", prefix + "other-")  # as another process's would
            others.append(write_snapshot(small_store, out))
            monkeypatch.setattr(snapshot, "PARTIAL_PREFIX", prefix)
        return export(*args, **kw)

    monkeypatch.setattr(snapshot, "_export", export_while_another_publishes)
    mine = write_snapshot(small_store, out)

    [other] = others
    assert (other.version, mine.version) == ("20261206T030000Z", "20261206T030000Z-001")
    assert list_versions(out) == [other.version, mine.version]
    manifest = json.loads((out / mine.version / "manifest.json").read_text())
    assert (manifest["version"], manifest["previous_version"]) == (mine.version, other.version)
    assert latest_version(out) == mine.version == (out / "LATEST").read_text().strip()
