"""The cluster volume: quorum writes, VCL/VDL, growth, reads at an LSN, faults within and beyond tolerance.

Expected values come from the Aurora rules in DESIGN.md (six segments, two per
AZ, write quorum 4/6, dense LSNs, VDL at commit points) and from plain dict
models of the rows written, never from the volume itself.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pytest

from aurora_lite.storage import AZS, QuorumUnavailableError, RecordKind, RedoRecord, StorageError, Volume
from aurora_lite.storage.errors import VolumeClosedError
from aurora_lite.storage.faults import FaultyFileSystem
from aurora_lite.storage.records import decode_commit_time
from aurora_lite.storage.rows import encode_rows

FAST_FAIL_S = 0.05
SCHEMA = pa.schema([("id", pa.int64()), ("v", pa.string())])


# ---------------------------------------------------------------- helpers
def table(*pairs: tuple[int, str]) -> pa.Table:
    """Rows (id, v)."""
    return pa.Table.from_pylist([{"id": i, "v": v} for i, v in pairs], schema=SCHEMA)


def upsert(page: int, *pairs: tuple[int, str], key: tuple[str, ...] = ("id",)) -> RedoRecord:
    """A ROW_UPSERT of (id, v) rows."""
    return RedoRecord(page, RecordKind.ROW_UPSERT, encode_rows(table(*pairs), list(key)))


def delete_keys(page: int, *ids: int) -> RedoRecord:
    """A ROW_DELETE of keyed rows by id."""
    keys = pa.table({"id": pa.array(ids, pa.int64())})
    return RedoRecord(page, RecordKind.ROW_DELETE, encode_rows(keys, ["id"]))


def delete_rows(page: int, *pairs: tuple[int, str]) -> RedoRecord:
    """A ROW_DELETE of keyless rows by full image."""
    return RedoRecord(page, RecordKind.ROW_DELETE, encode_rows(table(*pairs), []))


def content(t: pa.Table | None) -> list[tuple[int, str]]:
    """Rows of a materialised table as a sorted list (a multiset)."""
    return [] if t is None else sorted((r["id"], r["v"]) for r in t.to_pylist())


def holders(volume: Volume, lsn: int, pg: int) -> int:
    """How many segments of protection group pg hold lsn."""
    return sum(s.log.find(lsn) >= 0 for s in volume.protection_groups[pg].segments)


def down(volume: Volume, pg: int) -> list[int]:
    """Indexes of the unavailable segments of pg."""
    return [s.index for s in volume.protection_groups[pg].segments if not s.available]


# ---------------------------------------------------------------- writes and watermarks
def test_commit_returns_its_commit_lsn_and_makes_it_durable() -> None:
    v = Volume()
    assert (v.vcl, v.vdl, v.last_lsn) == (0, 0, 0)
    lsn = v.commit([upsert(0, (1, "a")), upsert(1, (2, "b"))])
    assert lsn == 3  # two records, then the COMMIT record
    assert (v.vcl, v.vdl, v.last_lsn) == (3, 3, 3)


def test_lsns_are_dense_across_commits() -> None:
    v = Volume()
    assert [v.commit([upsert(0, (i, "x"))] * i) for i in (1, 2, 3)] == [2, 5, 9]
    assert [r.lsn for r in v.read_log()] == list(range(1, 10))


def test_append_without_commit_time_moves_vcl_not_vdl() -> None:
    v = Volume()
    v.commit([upsert(0, (1, "a"))])
    lsn = v.append([upsert(0, (2, "b"))])
    assert (lsn, v.vcl, v.vdl) == (3, 3, 2)
    with pytest.raises(QuorumUnavailableError):
        v.wait_for_vdl(3, FAST_FAIL_S)  # no consistency point at 3: it can never be reached alone


def test_append_with_commit_time_then_wait() -> None:
    v = Volume()
    lsn = v.append([upsert(0, (1, "a"))], txn=5, commit_time=1_700_000_000.25)
    v.wait_for_vdl(lsn, 1.0)
    commit = v.read_log(kinds=[RecordKind.COMMIT])
    assert [(r.lsn, r.txn, r.page) for r in commit] == [(2, 5, 0)]
    assert decode_commit_time(commit[0].payload) == 1_700_000_000.25


def test_commit_without_records_is_just_a_consistency_point() -> None:
    v = Volume()
    assert v.commit([], commit_time=1.0) == 1
    assert [r.kind for r in v.read_log()] == [RecordKind.COMMIT]


def test_append_of_nothing_is_rejected() -> None:
    with pytest.raises(ValueError):
        Volume().append([])


def test_constructor_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        Volume(fsync="sometimes")
    with pytest.raises(ValueError):
        Volume(pages_per_pg=0)


def test_closed_volume_refuses_appends() -> None:
    v = Volume()
    v.close()
    with pytest.raises(VolumeClosedError):
        v.commit([upsert(0, (1, "a"))])
    assert v.closed


def test_every_record_reaches_all_six_segments_when_healthy() -> None:
    v = Volume(pages_per_pg=2)
    lsn = v.commit([upsert(0, (1, "a")), upsert(3, (2, "b"))])
    assert [holders(v, n, pg) for n, pg in ((1, 0), (2, 1), (lsn, 1))] == [6, 6, 6]
    assert holders(v, 2, 0) == 0 and holders(v, 1, 1) == 0  # a record lives in its own PG only


def test_group_commit_from_many_threads(tmp_path: Path) -> None:
    v = Volume(tmp_path / "vol", pages_per_pg=2)
    got: list[int] = []

    def worker(t: int) -> None:
        for i in range(10):
            got.append(v.commit([upsert(t, (t * 100 + i, "x"))], txn=t))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(got) == list(range(2, 81, 2)) and v.vdl == 80
    assert len(content(v.materialize(0, 4))) == 40
    v.close()


# ---------------------------------------------------------------- growth and layout
def test_volume_grows_by_protection_groups() -> None:
    v = Volume(pages_per_pg=2)
    v.commit([upsert(0, (1, "a"))])
    assert len(v.protection_groups) == 1
    v.commit([upsert(7, (2, "b"))])  # page 7 -> PG 3; PGs 1 and 2 exist too, empty
    pgs = v.protection_groups
    assert [(pg.index, pg.first_page, pg.pages) for pg in pgs] == [(0, 0, 2), (1, 2, 2), (2, 4, 2), (3, 6, 2)]
    assert content(v.materialize(0, 8)) == [(1, "a"), (2, "b")]


def test_each_protection_group_has_two_segments_in_each_az() -> None:
    v = Volume(pages_per_pg=2)
    v.commit([upsert(5, (1, "a"))])
    for pg in v.protection_groups:
        assert [s.az for s in pg.segments] == ["az-a", "az-a", "az-b", "az-b", "az-c", "az-c"]
        assert all(s.available for s in pg.segments)
    assert AZS == ("az-a", "az-b", "az-c")


# ---------------------------------------------------------------- reads
def test_read_goes_to_one_segment() -> None:
    v = Volume(pages_per_pg=4)
    v.commit([upsert(0, (1, "a"))])
    pg = v.protection_groups[0]
    before = pg.reads
    v.materialize(0, 4)
    assert pg.reads == before + 1


def test_read_skips_a_segment_that_is_not_complete() -> None:
    v = Volume(pages_per_pg=4)
    v.commit([upsert(0, (1, "a"))])
    v.fail_segment(0, 0)
    v.commit([upsert(0, (2, "b"))])
    v.protection_groups[0].segments[0].available = True  # back without gossip: it lacks LSNs 3-4
    assert content(v.materialize(0, 4)) == [(1, "a"), (2, "b")]


def test_read_from_the_only_complete_segment() -> None:
    v = Volume(pages_per_pg=4)
    v.commit([upsert(0, (1, "a"))])
    for s in range(5):
        v.fail_segment(0, s)
    assert content(v.materialize(0, 4)) == [(1, "a")]  # one segment is enough to read


def test_read_with_no_complete_segment_fails_clearly() -> None:
    v = Volume(pages_per_pg=4)
    v.commit([upsert(0, (1, "a"))])
    v.fail_segment(0, 0)
    v.commit([upsert(0, (2, "b"))])
    for s in range(1, 6):
        v.fail_segment(0, s)
    v.protection_groups[0].segments[0].available = True  # incomplete, and the only one up
    with pytest.raises(QuorumUnavailableError, match="no available segment is complete"):
        v.materialize(0, 4)


def test_materialize_keyed_table_as_of_past_lsns() -> None:
    v = Volume(pages_per_pg=2)
    steps = [
        ([upsert(0, (1, "a"), (2, "b"))], {1: "a", 2: "b"}),
        ([upsert(0, (2, "B"), (3, "c"))], {1: "a", 2: "B", 3: "c"}),
        ([delete_keys(0, 1)], {2: "B", 3: "c"}),
        ([upsert(0, (1, "again")), delete_keys(0, 3)], {1: "again", 2: "B"}),
        ([delete_keys(0, 1, 2)], {}),
    ]
    lsns = [v.commit(records) for records, _ in steps]
    for lsn, (_, state) in zip(lsns, steps):
        assert content(v.materialize(0, 2, lsn)) == sorted(state.items())
    assert v.materialize(0, 2, 0) is None
    assert v.materialize(0, 2) is None  # at VDL every row is gone


def test_materialize_keyless_table_is_a_multiset() -> None:
    v = Volume(pages_per_pg=2)
    first = v.commit([upsert(1, (1, "a"), (1, "a"), (2, "b"), key=())])
    second = v.commit([delete_rows(1, (1, "a")), upsert(1, (3, "c"), key=())])
    third = v.commit([delete_rows(1, (1, "a"), (2, "b"))])
    assert content(v.materialize(0, 2, first)) == [(1, "a"), (1, "a"), (2, "b")]
    assert content(v.materialize(0, 2, second)) == [(1, "a"), (2, "b"), (3, "c")]
    assert content(v.materialize(0, 2, third)) == [(3, "c")]


def test_truncate_drops_every_row_of_the_page_only() -> None:
    v = Volume(pages_per_pg=4)
    before = v.commit([upsert(0, (1, "a"), (2, "b")), upsert(1, (9, "other page"))])
    cut = v.commit([RedoRecord(0, RecordKind.TRUNCATE)])
    after = v.commit([upsert(0, (3, "c"))])
    assert content(v.materialize(0, 1, before)) == [(1, "a"), (2, "b")]
    assert v.materialize(0, 1, cut) is None
    assert content(v.materialize(0, 2, cut)) == [(9, "other page")]
    assert content(v.materialize(0, 1, after)) == [(3, "c")]


def test_ddl_and_sequence_records_do_not_change_rows() -> None:
    v = Volume()
    v.commit([upsert(0, (1, "a")), RedoRecord(0, RecordKind.DDL, b"create"), RedoRecord(0, RecordKind.SEQUENCE, b"7")])
    assert content(v.materialize(0, 1)) == [(1, "a")]
    assert [r.payload for r in v.read_log(kinds=[RecordKind.DDL, RecordKind.SEQUENCE])] == [b"create", b"7"]


def test_materialize_spans_protection_groups() -> None:
    v = Volume(pages_per_pg=2)
    v.commit([upsert(p, (p, f"page {p}")) for p in range(7)])
    assert content(v.materialize(0, 7)) == [(p, f"page {p}") for p in range(7)]
    assert content(v.materialize(3, 5)) == [(3, "page 3"), (4, "page 4")]


def test_commits_go_on_while_a_large_read_applies_its_records(monkeypatch) -> None:
    # Found measuring failover: a reader joining (or a demoted writer rebuilding) applied every
    # record under the volume lock, and every commit waited for it (30-80 ms for 100k rows).
    from aurora_lite.storage import volume as volume_module

    v = Volume(pages_per_pg=2)
    first = v.commit([upsert(0, (1, "a"))])
    applying, committed = threading.Event(), threading.Event()
    real_apply = volume_module.apply_page

    def slow_apply(image, records):
        applying.set()
        assert committed.wait(10), "a commit could not get past a read that was applying records"
        return real_apply(image, records)

    monkeypatch.setattr(volume_module, "apply_page", slow_apply)
    read: list = []
    reader = threading.Thread(target=lambda: read.append(v.materialize(0, 2, first)))
    reader.start()
    assert applying.wait(10)
    v.commit([upsert(0, (2, "b"))])  # must not wait for the read
    committed.set()
    reader.join(10)
    monkeypatch.undo()
    assert content(read[0]) == [(1, "a")]
    assert content(v.materialize(0, 2)) == [(1, "a"), (2, "b")]


def test_materialize_above_vdl_is_refused() -> None:
    v = Volume()
    v.commit([upsert(0, (1, "a"))])
    v.append([upsert(0, (2, "b"))])
    with pytest.raises(StorageError, match="above VDL"):
        v.materialize(0, 1, 3)


def test_coalesced_page_images_answer_old_and_new_read_points() -> None:
    """More than COALESCE_AFTER (32) hot records on a page: the stored image must not leak into older reads."""
    v = Volume(pages_per_pg=2)
    model: dict[int, str] = {}
    history = []
    for i in range(40):
        model[i % 7] = f"v{i}"
        history.append((v.commit([upsert(0, (i % 7, f"v{i}"))]), sorted(model.items())))
    assert content(v.materialize(0, 2)) == history[-1][1]   # stores an image at VDL
    for lsn, state in history[::5]:
        assert content(v.materialize(0, 2, lsn)) == state
    model[100] = "new"
    lsn = v.commit([upsert(0, (100, "new"))])
    assert content(v.materialize(0, 2, lsn)) == sorted(model.items())


def test_read_log_returns_every_record_in_lsn_order() -> None:
    v = Volume(pages_per_pg=2)
    written = [upsert(0, (1, "a")), upsert(5, (2, "b")), delete_keys(2, 3)]
    v.commit(written, txn=11, commit_time=5.0)
    log = v.read_log()
    assert [(r.lsn, r.page, r.kind, r.payload, r.txn, r.epoch) for r in log[:3]] == [
        (i + 1, rec.page, rec.kind, rec.payload, 11, 1) for i, rec in enumerate(written)]
    assert (log[3].lsn, log[3].kind, log[3].page) == (4, RecordKind.COMMIT, 2)
    # prev_lsn links each record to the previous one in its protection group
    assert [r.prev_lsn for r in log] == [0, 0, 0, 3]


def test_read_log_ranges_and_kinds() -> None:
    v = Volume(pages_per_pg=2)
    for p in range(4):
        v.commit([upsert(p, (p, "x"))])     # LSNs 2p+1 (row), 2p+2 (commit)
    assert [r.lsn for r in v.read_log(3, 6)] == [4, 5, 6]
    assert [r.lsn for r in v.read_log(kinds=[RecordKind.COMMIT])] == [2, 4, 6, 8]
    assert [r.lsn for r in v.read_log(2, kinds=[RecordKind.ROW_UPSERT, RecordKind.COMMIT])] == [3, 4, 5, 6, 7, 8]
    assert v.read_log(8) == []
    v.append([upsert(0, (9, "y"))])
    with pytest.raises(StorageError, match="above VDL"):
        v.read_log(0, 9)


# ---------------------------------------------------------------- faults within tolerance
@pytest.mark.parametrize("az", AZS)
def test_one_az_down_writes_go_on(az: str) -> None:
    v = Volume(pages_per_pg=2)
    v.commit([upsert(0, (1, "a"))])
    v.fail_az(az)
    lsn = v.commit([upsert(0, (2, "b")), upsert(2, (3, "c"))], timeout_s=2.0)  # PG 1 is new: az is down there too
    assert v.vdl == lsn == 5
    assert [holders(v, 3, 0), holders(v, 4, 1), holders(v, 5, 1)] == [4, 4, 4]
    assert all(s.available == (s.az != az) for pg in v.protection_groups for s in pg.segments)
    assert content(v.materialize(0, 4)) == [(1, "a"), (2, "b"), (3, "c")]


def test_one_az_down_plus_a_segment_in_another_pg_writes_go_on() -> None:
    v = Volume(pages_per_pg=2)
    v.commit([upsert(0, (1, "a")), upsert(2, (2, "b"))])
    v.fail_az("az-b")
    v.fail_segment(1, 0)  # PG 1 down to 3, but this commit does not touch it
    assert v.commit([upsert(0, (3, "c"))], timeout_s=2.0) == 5


def test_az_plus_one_down_commit_times_out_then_completes_after_restore() -> None:
    v = Volume(pages_per_pg=2)
    acked = v.commit([upsert(0, (1, "a"))])
    v.fail_az("az-a")
    v.fail_segment(0, 2)
    lsn = v.append([upsert(0, (2, "b"))], commit_time=1.0)
    with pytest.raises(QuorumUnavailableError):
        v.wait_for_vdl(lsn, FAST_FAIL_S)
    assert v.vdl == acked and holders(v, lsn, 0) == 3
    assert content(v.materialize(0, 2)) == [(1, "a")]   # reads go on, at the old VDL
    v.restore_segment(0, 2)
    v.wait_for_vdl(lsn, 2.0)
    assert v.vdl == lsn and holders(v, lsn, 0) == 4
    assert content(v.materialize(0, 2)) == [(1, "a"), (2, "b")]


def test_az_plus_one_down_later_commits_wait_behind_the_stuck_one() -> None:
    v = Volume(pages_per_pg=2)
    v.commit([upsert(0, (1, "a")), upsert(2, (2, "b"))])
    v.fail_az("az-c")
    v.fail_segment(0, 0)
    stuck = v.append([upsert(0, (3, "c"))], commit_time=1.0)
    with pytest.raises(QuorumUnavailableError):
        v.commit([upsert(2, (4, "d"))], timeout_s=FAST_FAIL_S)  # PG 1 is fine, but VCL is a prefix
    v.restore_az("az-c")
    v.wait_for_vdl(stuck + 2, 2.0)
    assert content(v.materialize(0, 4)) == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]


def test_three_segments_down_times_out_with_a_clear_message() -> None:
    v = Volume(pages_per_pg=2)
    v.commit([upsert(0, (1, "a"))])
    for s in (0, 3, 5):
        v.fail_segment(0, s)
    with pytest.raises(QuorumUnavailableError) as err:
        v.commit([upsert(1, (2, "b"))], timeout_s=FAST_FAIL_S)
    message = str(err.value)
    assert "LSN 4" in message and "write quorum (4/6)" in message and "VDL is 2" in message
    assert "0/0(az-a), 0/3(az-b), 0/5(az-c)" in message


def test_nothing_acknowledged_is_lost_while_a_pg_is_down_to_three() -> None:
    v = Volume(pages_per_pg=2)
    lsns = [v.commit([upsert(p, (p, "x"))]) for p in range(4)]
    for s in (1, 2, 4):
        v.fail_segment(1, s)
    with pytest.raises(QuorumUnavailableError):
        v.commit([upsert(3, (9, "y"))], timeout_s=FAST_FAIL_S)
    assert v.vdl == lsns[-1]
    assert content(v.materialize(0, 4)) == [(p, "x") for p in range(4)]
    assert [r.lsn for r in v.read_log(kinds=[RecordKind.COMMIT])] == lsns


def test_restore_segment_catches_up_by_gossip() -> None:
    v = Volume(pages_per_pg=2)
    v.commit([upsert(0, (1, "a"))])
    v.fail_segment(0, 4)
    missed = [v.commit([upsert(0, (i, "m")), upsert(2, (i, "other pg"))]) for i in range(2, 6)]
    pg0_lsns = [lsn - 2 for lsn in missed]  # row on page 0, row on page 2, COMMIT: only the first is PG 0's
    segment = v.protection_groups[0].segments[4]
    assert all(segment.log.find(n) < 0 for n in pg0_lsns)
    assert v.restore_segment(0, 4) == len(pg0_lsns)
    assert segment.available and all(segment.log.find(n) >= 0 for n in pg0_lsns)
    assert segment.complete_lsn == pg0_lsns[-1]
    assert v.restore_segment(0, 4) == 0   # already up: nothing to do
    for s in range(6):                    # and it can serve reads alone
        if s != 4:
            v.fail_segment(0, s)
    assert content(v.materialize(0, 2)) == [(1, "a")] + [(i, "m") for i in range(2, 6)]


def test_restore_az_catches_up_every_segment_in_it() -> None:
    v = Volume(pages_per_pg=2)
    v.fail_az("az-b")
    lsns = [v.commit([upsert(p, (p, "x"))]) for p in (0, 2, 4)]
    assert v.restore_az("az-b") == 2 * 2 * 3    # 2 records per commit, 2 segments, 3 PGs
    for pg, lsn in zip(range(3), lsns):
        assert holders(v, lsn - 1, pg) == 6 and holders(v, lsn, pg) == 6


def test_fault_arguments_are_checked() -> None:
    v = Volume()
    v.commit([upsert(0, (1, "a"))])
    with pytest.raises(ValueError):
        v.fail_az("az-z")
    with pytest.raises(ValueError):
        v.fail_segment(0, 6)
    with pytest.raises(ValueError):
        v.restore_segment(3, 0)


# ---------------------------------------------------------------- on disk
def test_fsync_always_acknowledges_after_sync(tmp_path: Path) -> None:
    fs = FaultyFileSystem()
    v = Volume(tmp_path / "vol", fsync="always", pages_per_pg=2, file_system=fs)
    lsn = v.commit([upsert(0, (1, "a"))])
    # Every segment file of PG 0 was synced to its written length by the time of the acknowledgement
    # (at least four of them: a quorum); nothing acknowledged waits in an OS cache.
    synced = [f for f in fs.files() if "pg-00000" in str(f.path) and not f.unsynced]
    assert len(synced) >= 4
    v.close()
    again = Volume.open(tmp_path / "vol")
    assert again.vdl == lsn and content(again.materialize(0, 2)) == [(1, "a")]
    again.close()


def test_fsync_never_acknowledges_without_sync(tmp_path: Path) -> None:
    fs = FaultyFileSystem()
    v = Volume(tmp_path / "vol", fsync="never", pages_per_pg=2, file_system=fs)
    v.commit([upsert(0, (0, "first"))])            # creates the PG (its files start synced)
    syncs_before = sum(line.split()[1] == "sync" for line in fs.trace)
    lsn = v.commit([upsert(0, (1, "a"))])
    assert sum(line.split()[1] == "sync" for line in fs.trace) == syncs_before
    assert all(f.unsynced for f in fs.files())       # acknowledged while still in the OS cache
    v.close()
    again = Volume.open(tmp_path / "vol")           # a clean close keeps it (no power loss)
    assert again.vdl == lsn and again.fsync == "never"
    assert content(again.materialize(0, 2)) == [(0, "first"), (1, "a")]
    again.close()


def test_creating_over_an_existing_volume_is_refused(tmp_path: Path) -> None:
    Volume(tmp_path / "vol").close()
    with pytest.raises(StorageError, match="already exists"):
        Volume(tmp_path / "vol")
    with pytest.raises(StorageError, match="no volume"):
        Volume.open(tmp_path / "missing")


def test_on_disk_volume_layout(tmp_path: Path) -> None:
    v = Volume(tmp_path / "vol", pages_per_pg=2)
    v.commit([upsert(3, (1, "a"))])
    v.close()
    files = sorted(p.relative_to(tmp_path / "vol").as_posix() for p in (tmp_path / "vol").rglob("*.log"))
    assert files == [f"pg-0000{pg}/seg-{s}-{AZS[s // 2]}.log" for pg in (0, 1) for s in range(6)]
