"""Anomaly tests through the fault-injecting file layer: crashes, torn writes, failing operations.

SQLite style: a crash drops (or tears) what was not synced and the reopened
volume must hold every acknowledged commit and all or nothing of the rest; an
I/O error at the Nth operation, once or forever, must surface as a storage
error or take one segment out, never lose an acknowledged commit.
"""
from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from aurora_lite.storage import QuorumUnavailableError, RecordKind, RedoRecord, StorageError, StorageIOError, Volume
from aurora_lite.storage.faults import OPS, FaultyFileSystem
from aurora_lite.storage.files import FileSystem
from aurora_lite.storage.rows import encode_rows

MAGIC_BYTES = 8     # "AURLSEG1", the segment file header
PAGES = 6
SCHEMA = pa.schema([("id", pa.int64()), ("v", pa.string())])


# ---------------------------------------------------------------- helpers
def txn(*rows: tuple[int, int]) -> list[RedoRecord]:
    """Upserts of (page, id) rows, v = f"v{id}"."""
    return [RedoRecord(page, RecordKind.ROW_UPSERT,
                       encode_rows(pa.Table.from_pylist([{"id": i, "v": f"v{i}"}], schema=SCHEMA), ["id"]))
            for page, i in rows]


def rows_of(volume: Volume) -> set[int]:
    """Ids of every row at VDL."""
    t = volume.materialize(0, PAGES)
    return set() if t is None else set(t.column("id").to_pylist())


def workload(volume: Volume, count: int, start: int = 0) -> set[int]:
    """count acknowledged commits of two rows each on different PGs; returns their ids."""
    ids: set[int] = set()
    for i in range(start, start + count):
        volume.commit(txn((i % PAGES, 2 * i), ((i + 3) % PAGES, 2 * i + 1)), timeout_s=5.0)
        ids |= {2 * i, 2 * i + 1}
    return ids


def reopen(root: Path) -> Volume:
    """Reopen with the real file system, as a restarted process would."""
    return Volume.open(root, file_system=FileSystem())


def all_or_nothing(got: set[int], txn_ids: set[int]) -> bool:
    """True when a transaction is entirely present or entirely absent."""
    return txn_ids <= got or not (txn_ids & got)


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "vol"
    shutil.rmtree(tmp_path / "vol", ignore_errors=True)


# ---------------------------------------------------------------- pass-through
def test_faulty_file_system_without_faults_behaves_like_the_real_one(root: Path) -> None:
    fs = FaultyFileSystem(seed=1)
    v = Volume(root, pages_per_pg=2, file_system=fs)
    ids = workload(v, 5)
    v.close()
    assert fs.failures == 0 and fs.ops > 0 and fs.trace[0].startswith("1 ")
    v = Volume.open(root, file_system=FaultyFileSystem(seed=1))
    assert rows_of(v) == ids and all(r.status == "clean" for r in v.last_scan.values())
    v.close()


def test_fault_schedule_arguments_are_checked() -> None:
    fs = FaultyFileSystem()
    with pytest.raises(ValueError):
        fs.fail(0)
    with pytest.raises(ValueError):
        fs.fail(1, ops=["rename"])
    with pytest.raises(ValueError):
        fs.crash(unsynced="maybe")


# ---------------------------------------------------------------- crashes
@pytest.mark.parametrize("unsynced", ["drop", "keep", "tear", "random"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_crash_after_acknowledged_commits_loses_none(root: Path, unsynced: str, seed: int) -> None:
    fs = FaultyFileSystem(seed=seed)
    v = Volume(root, fsync="always", pages_per_pg=2, file_system=fs)
    acked = workload(v, 6)
    in_flight = {1000, 1001}
    v.append(txn((0, 1000), (5, 1001)), commit_time=1.0)   # not waited for: the client never learns
    fs.crash(unsynced=unsynced)
    v.close()
    v = reopen(root)
    got = rows_of(v)
    assert acked <= got, sorted(acked - got)
    assert all_or_nothing(got, in_flight) and got <= acked | in_flight
    v.close()


def test_crash_during_a_stream_of_commits_from_threads(root: Path) -> None:
    fs = FaultyFileSystem(seed=9)
    v = Volume(root, fsync="always", pages_per_pg=2, file_system=fs)
    acked: set[int] = set()
    lock = threading.Lock()
    started = threading.Barrier(4)

    def writer(t: int) -> None:
        started.wait(5)
        for i in range(t * 1000, t * 1000 + 200):
            try:
                v.commit(txn((i % PAGES, 2 * i), ((i + 1) % PAGES, 2 * i + 1)), timeout_s=0.5)
            except StorageError:
                return
            with lock:
                acked.update({2 * i, 2 * i + 1})

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    started.wait(5)
    with v._cond:                     # crash once a few commits are in: wait on the volume's condition
        v._cond.wait_for(lambda: v.vdl >= 30, timeout=10)
    fs.crash(unsynced="random")
    for t in threads:
        t.join(10)
    v.close()
    with lock:
        acked_now = set(acked)
    assert len(acked_now) >= 10
    v = reopen(root)
    got = rows_of(v)
    assert acked_now <= got
    for i in {x // 2 for x in got}:   # every transaction is whole
        assert {2 * i, 2 * i + 1} <= got
    v.close()


def test_crash_drops_every_unsynced_byte(root: Path) -> None:
    fs = FaultyFileSystem()
    v = Volume(root, fsync="never", pages_per_pg=2, file_system=fs)
    workload(v, 4)                         # acknowledged, never synced: fsync="never" trades this away
    assert all(f.path.stat().st_size > MAGIC_BYTES for f in fs.files())
    fs.crash(unsynced="drop")
    v.close()
    assert all(f.path.stat().st_size == MAGIC_BYTES for f in fs.files())
    v = reopen(root)
    assert (v.vdl, rows_of(v)) == (0, set())
    v.close()


def test_crash_keep_is_only_a_process_crash(root: Path) -> None:
    fs = FaultyFileSystem()
    v = Volume(root, fsync="never", pages_per_pg=2, file_system=fs)
    ids = workload(v, 4)
    fs.crash(unsynced="keep")
    v.close()
    v = reopen(root)
    assert rows_of(v) == ids
    v.close()


def test_crashed_file_system_refuses_every_operation(root: Path) -> None:
    fs = FaultyFileSystem()
    v = Volume(root, fsync="never", pages_per_pg=2, file_system=fs)
    workload(v, 1)
    fs.crash()
    with pytest.raises(StorageIOError, match="crashed"):
        fs.files()[0].append(b"late write")
    with pytest.raises(StorageIOError, match="crashed"):
        fs.read(root / "volume.json")
    v.close()


@pytest.mark.parametrize("keep", [0, 1, 47, 48, 49, 100, -1])
def test_tear_the_last_unsynced_write_at_a_chosen_byte(root: Path, keep: int) -> None:
    fs = FaultyFileSystem()
    v = Volume(root, fsync="never", pages_per_pg=64, file_system=fs)
    v.commit(txn((0, 1)))                 # one append per segment file: row + COMMIT frames
    written = fs.files()[0].path.stat().st_size - MAGIC_BYTES
    tear_at = written if keep == -1 else keep
    fs.crash(unsynced="tear", tear_at=tear_at)
    v.close()
    assert {f.path.stat().st_size for f in fs.files()} == {MAGIC_BYTES + tear_at}
    v = reopen(root)
    statuses = {r.status for r in v.last_scan.values()}
    row_frame = written - 48 - 8                     # the COMMIT frame is 48 + 8 bytes (a double)
    clean = tear_at in (0, row_frame, written)
    assert statuses == {"clean" if clean else "torn-tail"}
    assert rows_of(v) == ({1} if tear_at == written else set())
    v.close()


def test_same_seed_same_crash(tmp_path: Path) -> None:
    def run(name: str, seed: int) -> tuple[list[int], int, list[str]]:
        """Sizes after a random crash, recovered VDL, and the trace (op and file name)."""
        fs = FaultyFileSystem(seed=seed)
        root = tmp_path / name / "vol"
        v = Volume(root, fsync="never", pages_per_pg=2, file_system=fs)
        workload(v, 5)
        fs.crash(unsynced="random")
        v.close()
        sizes = [f.path.stat().st_size for f in fs.files()]
        v = reopen(root)
        vdl = v.vdl
        v.close()
        return sizes, vdl, [line.split()[1] + " " + line.split()[-1].rsplit("/", 1)[-1] for line in fs.trace]

    assert run("a", 42) == run("b", 42)


# ---------------------------------------------------------------- failing operations
def test_append_error_on_one_segment_takes_it_out_and_writes_go_on(root: Path) -> None:
    fs = FaultyFileSystem(seed=5)
    v = Volume(root, pages_per_pg=2, file_system=fs)
    ids = workload(v, 2)
    fs.fail(1, ops=["append"], path_contains="pg-00000/seg-1-")
    ids |= workload(v, 3, start=2)
    segment = v.protection_groups[0].segments[1]
    assert not segment.available and "injected" in segment.last_error
    assert fs.failures == 1
    v.restore_segment(0, 1)                                 # the fault fired once: it rejoins
    assert segment.available and segment.complete_lsn == v.protection_groups[0].segments[0].complete_lsn
    ids |= workload(v, 2, start=5)
    v.close()
    v = reopen(root)
    assert rows_of(v) == ids
    v.close()


def test_partial_append_then_rejoin_leaves_a_clean_file(root: Path) -> None:
    """A failed append may leave part of its frames in the file; the segment's later records must stay readable."""
    fs = FaultyFileSystem(seed=5)
    v = Volume(root, pages_per_pg=2, file_system=fs)
    ids = workload(v, 2)
    fs.fail(1, ops=["append"], path_contains="pg-00000/seg-1-", partial=True)
    ids |= workload(v, 2, start=2)
    v.restore_segment(0, 1)
    ids |= workload(v, 2, start=4)
    v.close()
    v = reopen(root)
    assert v.last_scan[(0, 1)].status == "clean", v.last_scan[(0, 1)]
    assert v.last_recovery.repaired_records == 0
    assert rows_of(v) == ids
    v.close()


def test_sync_error_forever_takes_one_segment_out_and_writes_go_on(root: Path) -> None:
    fs = FaultyFileSystem(seed=6)
    v = Volume(root, fsync="always", pages_per_pg=2, file_system=fs)
    ids = workload(v, 1)
    fs.fail(1, ops=["sync"], path_contains="pg-00000/seg-4-", forever=True)
    ids |= workload(v, 4, start=1)         # 5 of 6 still acknowledge
    segment = v.protection_groups[0].segments[4]
    assert not segment.available and "injected" in segment.last_error
    with pytest.raises(StorageIOError):
        v.restore_segment(0, 4)            # its disk still fails: it cannot catch up
    assert not segment.available
    fs.heal()
    v.restore_segment(0, 4)
    assert segment.available
    ids |= workload(v, 1, start=5)
    v.close()
    v = reopen(root)
    assert rows_of(v) == ids
    v.close()


def test_io_errors_on_three_segments_of_a_pg_time_out_as_storage_errors(root: Path) -> None:
    fs = FaultyFileSystem(seed=7)
    v = Volume(root, pages_per_pg=2, file_system=fs)
    ids = workload(v, 1)
    for seg in (0, 2, 4):
        fs.fail(1, ops=["append", "sync"], path_contains=f"pg-00000/seg-{seg}-", forever=True)
    with pytest.raises(QuorumUnavailableError) as err:
        v.commit(txn((0, 50)), timeout_s=0.05)
    assert isinstance(err.value, StorageError) and "0/0(az-a), 0/2(az-b), 0/4(az-c)" in str(err.value)
    assert rows_of(v) == ids                # reads go on at the old VDL
    v.close()
    v = reopen(root)
    assert ids <= rows_of(v) and all_or_nothing(rows_of(v), {50})
    v.close()


def count_open_ops(root: Path) -> int:
    """Operations one clean reopen of root performs."""
    fs = FaultyFileSystem(real_sync=False)
    Volume.open(root, file_system=fs).close()
    return fs.ops


def test_io_error_at_every_operation_of_a_reopen(tmp_path: Path) -> None:
    """SQLite's I/O-error loop over recovery: fail op N once (every 8th N also forever), then reopen cleanly."""
    golden = tmp_path / "golden"
    v = Volume(golden, pages_per_pg=2)
    ids = workload(v, 4)
    v.append(txn((1, 900)))             # an uncommitted tail for recovery to truncate
    v.close()
    threads = threading.active_count()
    total = count_open_ops(_copy(golden, tmp_path / "count"))
    assert total > 20
    for n in range(1, total + 1):
        for forever in (False, True) if n % 8 == 1 else (False,):
            root = _copy(golden, tmp_path / f"n{n}{forever}")
            fs = FaultyFileSystem(seed=n, real_sync=False)
            fs.fail(n, ops=OPS, forever=forever)
            try:
                v = Volume.open(root, file_system=fs)
            except StorageError:
                pass
            else:
                assert rows_of(v) == ids
                v.close()
            assert threading.active_count() == threads, f"op {n}: a failed open left threads behind"
            v = Volume.open(root, file_system=FaultyFileSystem(real_sync=False))
            assert rows_of(v) == ids, (n, forever, fs.trace[-3:])
            v.close()
            shutil.rmtree(root)


def test_crash_at_every_operation_of_a_reopen(tmp_path: Path) -> None:
    """Power loss in the middle of recovery (truncation, repair, new epoch), at every point, then reopen."""
    golden = tmp_path / "golden"
    v = Volume(golden, pages_per_pg=2)
    ids = workload(v, 4)
    v.append(txn((1, 900), (4, 901)))                   # an uncommitted tail for recovery to truncate
    v.close()
    damaged = next((golden / "pg-00000").glob("seg-1-*.log"))
    damaged.write_bytes(damaged.read_bytes()[:-60])     # a torn tail for recovery to repair
    total = count_open_ops(_copy(golden, tmp_path / "count"))
    for n in range(1, total + 1, 3):
        root = _copy(golden, tmp_path / f"n{n}")
        fs = FaultyFileSystem(seed=n, real_sync=False)
        fs.fail(n, ops=OPS, forever=True)               # the process is gone from op n on
        try:
            Volume.open(root, file_system=fs).close()
        except StorageError:
            pass
        fs.crash(unsynced="random")
        for _ in range(2):                               # the next open recovers; so does the one after
            v = Volume.open(root, file_system=FaultyFileSystem(real_sync=False))
            assert rows_of(v) == ids, (n, fs.trace[-3:])
            assert v.read_log()[-1].lsn == v.vdl == 4 * 3     # four commits of two rows and a COMMIT
            v.close()
        shutil.rmtree(root)


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


@pytest.mark.parametrize("op", ["makedirs", "open", "size", "read", "append", "sync", "write_atomic"])
def test_io_error_while_the_volume_grows_loses_nothing(root: Path, op: str) -> None:
    """A failure while a commit adds a protection group fails that commit whole; later commits survive reopen."""
    fs = FaultyFileSystem(seed=11, real_sync=False)
    v = Volume(root, pages_per_pg=2, file_system=fs)
    acked = workload(v, 1)                             # pages 0 and 3: PGs 0 and 1
    fs.fail(1, ops=[op])
    try:
        v.commit(txn((1, 500), (4, 501)), timeout_s=2.0)  # page 4 needs PG 2
        acked |= {500, 501}
    except StorageError:
        pass
    assert fs.failures == 1
    assert [r.lsn for r in v.read_log()] == list(range(1, v.vdl + 1))   # no hole in the LSNs
    for i in (502, 504):
        v.commit(txn((4, i), (5, i + 1)), timeout_s=2.0)
        acked |= {i, i + 1}
    assert rows_of(v) == acked
    v.close()
    v = Volume.open(root, file_system=FaultyFileSystem(real_sync=False))
    assert rows_of(v) == acked
    v.close()
