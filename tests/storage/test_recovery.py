"""Recovery: reopen of on-disk volumes, truncation above VDL, epochs, damaged segment files.

The model is a list of acknowledged records (LSN, page, kind, payload) and the
rows they leave; segment files are parsed with the frame layout from
docs/log_format.md (48-byte header, length at bytes 4-8) re-implemented here.
"""
from __future__ import annotations

import shutil
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pyarrow as pa
import pytest

from aurora_lite.storage import CorruptionError, QuorumUnavailableError, RecordKind, RedoRecord, Volume
from aurora_lite.storage.faults import FaultyFileSystem
from aurora_lite.storage.rows import encode_rows

PAGES_PER_PG = 2
MAGIC = b"AURLSEG1"
HDR = 48
FAST_FAIL_S = 0.05
SCHEMA = pa.schema([("id", pa.int64()), ("v", pa.string())])
DAMAGED = {"corrupt", "torn-tail", "bad-header"}
CopyOf = Callable[[str], Path]


# ---------------------------------------------------------------- model
@attrs.define
class Model:
    """What the client was told is durable."""

    records: list[tuple[int, int, RecordKind, bytes]] = attrs.Factory(list)  # lsn, page, kind, payload
    rows: dict[int, dict[int, str]] = attrs.Factory(dict)                     # page -> id -> v
    clock: float = 1_000.0

    @property
    def vdl(self) -> int:
        return self.records[-1][0] if self.records else 0

    def commit(self, volume: Volume, writes: dict[int, list[tuple[int, str]]], txn: int = 0) -> int:
        """Commit upserts {page: [(id, v)]} and record them once acknowledged."""
        records, first = batch(writes), volume.last_lsn + 1
        self.clock += 1
        lsn = volume.commit(records, txn=txn, commit_time=self.clock)
        assert lsn == first + len(records)
        for i, rec in enumerate(records):
            self.records.append((first + i, rec.page, rec.kind, rec.payload))
        self.records.append((lsn, records[-1].page, RecordKind.COMMIT, struct.pack("<d", self.clock)))
        for page, pairs in writes.items():
            self.rows.setdefault(page, {}).update(pairs)
        return lsn

    def state(self) -> list[tuple[int, str]]:
        return sorted((i, v) for rows in self.rows.values() for i, v in rows.items())


def batch(writes: dict[int, list[tuple[int, str]]]) -> list[RedoRecord]:
    """One ROW_UPSERT per page."""
    return [RedoRecord(page, RecordKind.ROW_UPSERT,
                       encode_rows(pa.Table.from_pylist([{"id": i, "v": v} for i, v in pairs], schema=SCHEMA), ["id"]))
            for page, pairs in writes.items()]


def content(t: pa.Table | None) -> list[tuple[int, str]]:
    """Rows of a materialised table, sorted."""
    return [] if t is None else sorted((r["id"], r["v"]) for r in t.to_pylist())


def assert_intact(volume: Volume, model: Model) -> None:
    """Every acknowledged record is on every available segment of its PG, byte for byte, and reads agree."""
    assert volume.vdl == model.vdl and volume.vcl == model.vdl
    got = [(r.lsn, r.page, r.kind, r.payload) for r in volume.read_log()]
    assert got == model.records
    for lsn, page, kind, payload in model.records:
        for segment in volume.protection_groups[page // PAGES_PER_PG].available_segments():
            pos = segment.log.find(lsn)
            assert pos >= 0, f"segment {segment.pg_index}/{segment.index} lacks LSN {lsn}"
            record = segment.record(pos)
            assert (record.page, record.kind, record.payload) == (page, kind, payload), (segment, lsn)
    for pg in volume.protection_groups:
        for segment in pg.available_segments():
            segment.verify()  # every frame it indexed still passes its checksum
    assert content(volume.materialize(0, 2 * PAGES_PER_PG * 4)) == model.state()


def segment_file(root: Path, pg: int, seg: int) -> Path:
    """Path of a segment file (layout: pg-NNNNN/seg-I-AZ.log)."""
    return next((root / f"pg-{pg:05d}").glob(f"seg-{seg}-*.log"))


def frame_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each frame after the file magic, from the length fields."""
    spans, off = [], len(MAGIC)
    while off < len(data):
        (length,) = struct.unpack_from("<I", data, off + 4)
        spans.append((off, off + HDR + length))
        off += HDR + length
    assert off == len(data)
    return spans


def open_fast(root: Path) -> Volume:
    """Volume.open through the fault layer with real fsyncs skipped: many reopens, none at disk speed."""
    return Volume.open(root, file_system=FaultyFileSystem(real_sync=False))


def flip(path: Path, offset: int, mask: int = 0xFF) -> None:
    """XOR one byte of a file."""
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


# ---------------------------------------------------------------- a volume to damage
@attrs.frozen
class Golden:
    root: Path
    model: Model


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Golden:
    """A closed on-disk volume of two PGs, reopened once (so files hold an EPOCH marker mid-log)."""
    root = tmp_path_factory.mktemp("golden") / "vol"
    model = Model()
    v = Volume(root, pages_per_pg=PAGES_PER_PG, file_system=FaultyFileSystem(real_sync=False))
    for i in range(4):
        model.commit(v, {i % 2: [(i, f"row {i}" * (i + 1))], 2 + i % 2: [(100 + i, "pg1")]}, txn=i)
    v.close()
    v = open_fast(root)
    for i in range(4, 7):
        model.commit(v, {0: [(i, "after reopen")], 3: [(200 + i, "x" * 50)]}, txn=i)
    v.close()
    return Golden(root, model)


@pytest.fixture
def copy_of(golden: Golden, tmp_path: Path) -> Iterator[CopyOf]:
    """Fresh copies of the golden volume, each under its own name."""
    made = []

    def make(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(golden.root, dest)
        made.append(dest)
        return dest

    yield make
    for dest in made:
        shutil.rmtree(dest, ignore_errors=True)


def reopen_and_check(root: Path, model: Model, damaged: set[tuple[int, int]]) -> Volume:
    """Open root; damaged segments must report damage, the others clean; everything must be intact."""
    v = open_fast(root)
    try:
        for key, report in v.last_scan.items():
            if key in damaged:
                assert report.status in DAMAGED and report.dropped_bytes > 0, (key, report)
            else:
                assert report.status == "clean", (key, report)
        assert_intact(v, model)
    finally:
        v.close()
    return v


# ---------------------------------------------------------------- reopen
def test_reopen_keeps_every_acknowledged_commit(golden: Golden, copy_of: CopyOf) -> None:
    v = reopen_and_check(copy_of("plain"), golden.model, set())
    assert (v.last_recovery.vcl, v.last_recovery.vdl) == (golden.model.vdl, golden.model.vdl)
    assert v.last_recovery.truncated_records == 0 and v.last_recovery.repaired_records == 0
    assert len(v.last_scan) == 2 * 6


def test_epoch_increments_on_every_recovery(tmp_path: Path) -> None:
    v = Volume(tmp_path / "vol")
    assert v.epoch == 1
    v.commit(batch({0: [(1, "a")]}))
    epochs = []
    for _ in range(3):
        v.close()
        v = Volume.open(tmp_path / "vol")
        epochs.append((v.epoch, v.last_recovery.epoch))
        v.commit(batch({0: [(len(epochs) + 1, "b")]}))
    assert epochs == [(2, 2), (3, 3), (4, 4)]
    assert [r.epoch for r in v.read_log(kinds=[RecordKind.COMMIT])] == [1, 2, 3, 4]
    v.recover()
    assert v.epoch == 5
    v.close()


def test_in_memory_recover_bumps_the_epoch_and_keeps_everything() -> None:
    v = Volume(pages_per_pg=PAGES_PER_PG)
    model = Model()
    model.commit(v, {0: [(1, "a")], 3: [(2, "b")]})
    report = v.recover()
    assert (report.epoch, report.vdl, report.vcl, v.epoch) == (2, 3, 3, 2)
    assert_intact(v, model)
    model.commit(v, {1: [(3, "c")]})
    assert v.read_log(model.vdl - 1)[0].epoch == 2
    assert_intact(v, model)


def test_uncommitted_tail_is_truncated_by_recovery(tmp_path: Path) -> None:
    v = Volume(tmp_path / "vol", pages_per_pg=PAGES_PER_PG)
    model = Model()
    model.commit(v, {0: [(1, "a")], 2: [(2, "b")]})
    tail = v.append(batch({0: [(3, "no commit")], 2: [(4, "no commit")]}))  # no consistency point
    v.close()                                    # the flusher syncs what is pending before it stops
    assert (v.vcl, v.vdl) == (tail, model.vdl)
    v = Volume.open(tmp_path / "vol")
    assert (v.last_recovery.vcl, v.last_recovery.vdl) == (tail, model.vdl)
    assert v.last_recovery.truncated_records == 2 * 6   # two records, six copies each
    assert v.last_lsn == model.vdl
    for pg in v.protection_groups:
        assert all(s.log.find(lsn) < 0 for s in pg.segments for lsn in (tail - 1, tail))
    assert_intact(v, model)
    lsn = model.commit(v, {0: [(5, "new epoch")]})      # reuses the truncated LSNs under epoch 2
    assert lsn == tail and v.read_log(tail - 2)[0].epoch == 2
    assert_intact(v, model)
    v.close()
    v = Volume.open(tmp_path / "vol")                    # and the old epoch's copies stay dead on disk
    assert_intact(v, model)
    v.close()


def test_uncommitted_tail_is_truncated_in_memory() -> None:
    v = Volume(pages_per_pg=PAGES_PER_PG)
    model = Model()
    model.commit(v, {0: [(1, "a")]})
    v.append(batch({0: [(2, "x")], 4: [(3, "y")]}))
    assert v.recover().truncated_records == 2 * 6
    assert v.last_lsn == model.vdl
    assert_intact(v, model)


def test_commit_on_three_of_six_is_all_or_nothing_on_reopen(tmp_path: Path) -> None:
    """Never acknowledged, so the client does not know; recovery must keep all of it or none of it."""
    v = Volume(tmp_path / "vol", pages_per_pg=PAGES_PER_PG)
    model = Model()
    model.commit(v, {0: [(1, "a")], 2: [(2, "b")]})
    for s in (0, 1, 2):
        v.fail_segment(0, s)
    records = batch({0: [(3, "maybe")], 2: [(4, "maybe")]})
    first = v.last_lsn + 1
    lsn = v.append(records, commit_time=5_000.0)
    with pytest.raises(QuorumUnavailableError):
        v.wait_for_vdl(lsn, FAST_FAIL_S)
    v.close()
    v = Volume.open(tmp_path / "vol")
    present = [v.vdl >= n and any(s.log.find(n) >= 0 for s in v.protection_groups[r.page // 2].segments)
               for n, r in zip(range(first, lsn), records)]
    assert present in ([True, True], [False, False])
    assert v.vdl in (model.vdl, lsn)
    # Recovery reads every segment at open, a superset of a read quorum, so it finds all of it on
    # segments 3-5 of PG 0 and keeps it whole; it is then repaired onto all six.
    assert v.vdl == lsn and all(present)
    model.records += [(first, 0, RecordKind.ROW_UPSERT, records[0].payload),
                      (first + 1, 2, RecordKind.ROW_UPSERT, records[1].payload),
                      (lsn, 2, RecordKind.COMMIT, struct.pack("<d", 5_000.0))]
    model.rows[0][3], model.rows[2][4] = "maybe", "maybe"
    assert_intact(v, model)
    v.close()


def test_commit_on_three_of_six_unseen_by_recovery_is_dropped_whole_and_stays_dropped() -> None:
    v = Volume(pages_per_pg=PAGES_PER_PG)
    model = Model()
    model.commit(v, {0: [(1, "a")], 2: [(2, "b")]})
    for s in (0, 1, 2):
        v.fail_segment(0, s)
    lost = v.append(batch({0: [(3, "lost")], 2: [(4, "lost")]}), commit_time=5_000.0)  # PG 0 part on 3, 4, 5
    with pytest.raises(QuorumUnavailableError):
        v.wait_for_vdl(lost, FAST_FAIL_S)
    for s in (3, 4, 5):
        v.fail_segment(0, s)
    assert [v.restore_segment(0, s) for s in (0, 1, 2)] == [0, 0, 0]  # no peer up that holds it
    report = v.recover()                     # read quorum 0, 1, 2 of PG 0: a gap at lost - 2
    assert report.vdl == model.vdl and report.vcl == model.vdl
    assert all(s.log.find(lost) < 0 and s.log.find(lost - 1) < 0 for s in v.protection_groups[1].segments)
    for s in (3, 4, 5):                      # they still hold it: their rejoin must not bring it back
        assert v.protection_groups[0].segments[s].log.find(lost - 2) >= 0
        v.restore_segment(0, s)
    assert all(s.log.find(n) < 0 for pg in v.protection_groups for s in pg.segments for n in range(lost - 2, lost + 1))
    assert_intact(v, model)
    reused = model.commit(v, {2: [(5, "new")]})  # the dead LSNs are reused under epoch 2, in PG 1 only
    assert reused == lost - 1
    for s in (0, 1, 2):                      # PG 0 reads now come from a segment that was down at recovery
        v.fail_segment(0, s)
    assert_intact(v, model)


def test_segment_down_during_recovery_does_not_resurrect_truncated_records_on_reopen(tmp_path: Path) -> None:
    root = tmp_path / "vol"
    v = Volume(root, pages_per_pg=PAGES_PER_PG)
    model = Model()
    model.commit(v, {0: [(1, "a")]})
    for s in (0, 1, 2):
        v.fail_segment(0, s)
    lost = v.append(batch({0: [(2, "lost")]}), commit_time=5_000.0)    # on disk in segments 3, 4, 5
    with pytest.raises(QuorumUnavailableError):
        v.wait_for_vdl(lost, FAST_FAIL_S)
    for s in (3, 4, 5):
        v.fail_segment(0, s)
    for s in (0, 1, 2):
        v.restore_segment(0, s)
    assert v.recover().vdl == model.vdl                                  # epoch 2 truncates above it
    v.restore_segment(0, 3)
    model.commit(v, {0: [(3, "epoch 2")]})                              # same LSNs, newer epoch, 4 copies
    v.close()                                                           # segments 4, 5 still hold the old ones
    v = Volume.open(root)
    assert_intact(v, model)
    assert all(s.record(s.log.find(lost)).epoch == 2 for s in v.protection_groups[0].segments)
    v.close()


def test_recovery_needs_a_read_quorum_in_every_pg() -> None:
    v = Volume(pages_per_pg=PAGES_PER_PG)
    Model().commit(v, {0: [(1, "a")], 2: [(2, "b")]})
    for s in (0, 2, 3, 5):
        v.fail_segment(1, s)
    with pytest.raises(QuorumUnavailableError, match="protection group 1: 2 of 6 segments available.*read quorum"):
        v.recover()
    assert v.epoch == 1


def test_recovery_with_a_segment_down_then_rejoin_converges() -> None:
    v = Volume(pages_per_pg=PAGES_PER_PG)
    model = Model()
    model.commit(v, {0: [(1, "a")]})
    v.fail_segment(0, 5)
    model.commit(v, {0: [(2, "b")]})
    v.recover()
    model.commit(v, {1: [(3, "c")]})
    v.restore_segment(0, 5)
    assert all(s.complete_lsn == v.protection_groups[0].segments[0].complete_lsn
               for s in v.protection_groups[0].segments)
    assert_intact(v, model)


# ---------------------------------------------------------------- damaged files
def flip_offsets(path: Path) -> list[int]:
    """Bytes to damage in a segment file: the magic, and in every frame its CRC, length, LSN, kind, payload, end."""
    offsets = [0, len(MAGIC) - 1]
    for start, end in frame_spans(path.read_bytes()):
        offsets += [start, start + 5, start + 8, start + 44, start + 47, (start + HDR + end) // 2, end - 1]
    return sorted(set(o for o in offsets if o < path.stat().st_size))


@pytest.mark.parametrize("pg, seg", [(0, 0), (1, 5)])
def test_byte_flip_anywhere_in_a_segment_file_is_detected_and_repaired(golden: Golden, copy_of: CopyOf,
                                                                       pg: int, seg: int) -> None:
    offsets = flip_offsets(segment_file(golden.root, pg, seg))
    assert len(offsets) > 50
    for n, offset in enumerate(offsets):
        root = copy_of(f"flip-{n}")
        flip(segment_file(root, pg, seg), offset)
        reopen_and_check(root, golden.model, {(pg, seg)})
        shutil.rmtree(root)


@pytest.mark.parametrize("mask", [0x01, 0x80])
def test_single_bit_flips_in_one_frame_are_detected(golden: Golden, copy_of: CopyOf, mask: int) -> None:
    path = segment_file(golden.root, 0, 1)
    start, end = frame_spans(path.read_bytes())[3]
    for offset in range(start, end, 11):
        root = copy_of(f"bit-{offset}")
        flip(segment_file(root, 0, 1), offset, mask)
        reopen_and_check(root, golden.model, {(0, 1)})
        shutil.rmtree(root)


def test_same_frame_damaged_on_three_segments_is_repaired_from_the_other_three(golden: Golden,
                                                                               copy_of: CopyOf) -> None:
    root = copy_of("three")
    start, _ = frame_spans(segment_file(root, 0, 0).read_bytes())[2]
    for seg in (0, 2, 4):
        flip(segment_file(root, 0, seg), start + 20)
    reopen_and_check(root, golden.model, {(0, 0), (0, 2), (0, 4)})


def truncation_points(path: Path) -> list[int]:
    """Cuts to try: inside the magic, around every frame boundary, inside every field of the last
    frame's header and every 37th byte of the last two frames."""
    data = path.read_bytes()
    spans = frame_spans(data)
    cuts = {0, 1, len(MAGIC) - 1}
    for start, end in spans:
        cuts |= {start + 1, start + HDR - 1, start + HDR, end - 1}
    cuts |= {spans[-1][0] + field for field in (2, 6, 12, 20, 28, 36, 42, 44, 46)}
    cuts |= set(range(spans[-2][0], len(data), 37))
    return sorted(c for c in cuts if 0 <= c < len(data))


def expected_status(data: bytes, cut: int) -> str:
    """What scanning a file cut at cut must report."""
    if cut == 0:
        return "clean"        # an empty file gets a fresh header
    if cut < len(MAGIC):
        return "bad-header"
    return "clean" if cut in {end for _, end in frame_spans(data)} | {len(MAGIC)} else "torn-tail"


@pytest.mark.parametrize("pg, seg", [(0, 2), (1, 4)])
def test_truncated_tail_of_a_segment_file_is_detected_and_repaired(golden: Golden, copy_of: CopyOf,
                                                                   pg: int, seg: int) -> None:
    data = segment_file(golden.root, pg, seg).read_bytes()
    for cut in truncation_points(segment_file(golden.root, pg, seg)):
        root = copy_of(f"cut-{cut}")
        path = segment_file(root, pg, seg)
        path.write_bytes(data[:cut])
        v = open_fast(root)
        try:
            report = v.last_scan[(pg, seg)]
            assert report.status == expected_status(data, cut), (cut, report)
            assert report.valid_bytes <= max(cut, len(MAGIC))
            assert_intact(v, golden.model)
        finally:
            v.close()
        assert path.stat().st_size >= len(MAGIC)
        shutil.rmtree(root)


def test_torn_tails_on_a_whole_az_are_repaired(golden: Golden, copy_of: CopyOf) -> None:
    root = copy_of("az")
    for seg, back in ((2, 30), (3, 77)):   # both segments of az-b in PG 0
        path = segment_file(root, 0, seg)
        path.write_bytes(path.read_bytes()[:-back])
    reopen_and_check(root, golden.model, {(0, 2), (0, 3)})


def test_missing_segment_file_is_rebuilt_from_peers(golden: Golden, copy_of: CopyOf) -> None:
    root = copy_of("missing")
    segment_file(root, 1, 3).unlink()
    v = open_fast(root)
    assert v.last_recovery.repaired_records == sum(1 for _, page, _, _ in golden.model.records if page >= 2)
    assert_intact(v, golden.model)
    v.close()


@pytest.mark.parametrize("damage", [b"{not json", b"\xff\xfe", b'{"format": 1}', b"[]", b""])
def test_damaged_volume_metadata_is_a_corruption_error(golden: Golden, copy_of: CopyOf, damage: bytes) -> None:
    root = copy_of("meta")
    (root / "volume.json").write_bytes(damage)
    with pytest.raises(CorruptionError, match="volume metadata"):
        Volume.open(root)
