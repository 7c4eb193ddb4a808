"""Stateful property tests: the real Volume next to a plain model of what was acknowledged.

Rules commit and append batches, fail and restore segments and AZs (always
leaving every protection group at least 4 of 6 segments), recover, and for the
on-disk machine close and reopen. After every step the volume must agree with
the model: VDL <= VCL, watermarks never move back except by recovery (and
then never below the previous VDL), every acknowledged record readable and on
at least 4 segments of its PG, and rows at every past commit as the model says.
"""
from __future__ import annotations

import shutil
import struct
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from aurora_lite.storage import AZS, QuorumUnavailableError, RecordKind, RedoRecord, Volume
from aurora_lite.storage.faults import FaultyFileSystem
from aurora_lite.storage.rows import encode_rows

PAGES = 6
PAGES_PER_PG = 2
QUORUM = 4
FAST_FAIL_S = 0.01  # the bounded wait of an append that cannot reach quorum
SCHEMA = pa.schema([("id", pa.int64()), ("v", pa.string())])

# A write: (page, key within the page, value or None for a delete).
WRITES = st.lists(st.tuples(st.integers(0, PAGES - 1), st.integers(0, 4), st.none() | st.text(max_size=4)),
                  min_size=1, max_size=4)


def record_of(page: int, key: int, value: str | None) -> RedoRecord:
    """The redo record of one write (row id = page * 100 + key)."""
    row_id = page * 100 + key
    if value is None:
        return RedoRecord(page, RecordKind.ROW_DELETE, encode_rows(pa.table({"id": pa.array([row_id], pa.int64())}),
                                                                   ["id"]))
    rows = pa.Table.from_pylist([{"id": row_id, "v": value}], schema=SCHEMA)
    return RedoRecord(page, RecordKind.ROW_UPSERT, encode_rows(rows, ["id"]))


def content(t: pa.Table | None) -> list[tuple[int, str]]:
    """Rows of a materialised table, sorted."""
    return [] if t is None else sorted((r["id"], r["v"]) for r in t.to_pylist())


class VolumeMachine(RuleBasedStateMachine):
    """Volume vs model. The model: acknowledged records, rows after each commit, which segments are down."""

    on_disk = False

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="aurora-lite-sm-")) if self.on_disk else None
        self.root = self.tmp / "vol" if self.tmp else None
        self.volume = Volume(self.root, pages_per_pg=PAGES_PER_PG, file_system=self.file_system())
        self.records: list[tuple[int, int, RecordKind, bytes]] = []   # acknowledged: lsn, page, kind, payload
        self.pending: list[tuple[int, int, RecordKind, bytes, tuple]] = []  # appended, no commit yet
        self.rows: dict[int, str] = {}
        self.history: list[tuple[int, list[tuple[int, str]]]] = [(0, [])]
        self.next_lsn = 1
        self.n_pgs = 0
        self.down: set[tuple[int, int]] = set()
        self.down_azs: set[str] = set()
        self.clock = 1_000.0
        self.seen = (0, 0)           # (vcl, vdl) after the previous step
        self.recovered = False

    def file_system(self) -> FaultyFileSystem | None:
        """Segment files through the fault layer without real fsyncs (durability is not under test here)."""
        return FaultyFileSystem(real_sync=False) if self.on_disk else None

    def teardown(self) -> None:
        self.volume.close()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ model helpers
    @property
    def vdl(self) -> int:
        return self.records[-1][0] if self.records else 0

    def grow(self, pages: list[int]) -> None:
        """New PGs start with their segments in lost AZs down."""
        top = max(pages) // PAGES_PER_PG + 1
        for pg in range(self.n_pgs, top):
            self.down |= {(pg, s) for s in range(6) if AZS[s // 2] in self.down_azs}
        self.n_pgs = max(self.n_pgs, top)

    def tolerable(self, down: set[tuple[int, int]], down_azs: set[str]) -> bool:
        """Every PG, existing or still to come, keeps a write quorum."""
        worst = max([sum(1 for p, _ in down if p == pg) for pg in range(self.n_pgs)] + [2 * len(down_azs)])
        return 6 - worst >= QUORUM

    def send(self, writes: list[tuple[int, int, str | None]], commit: bool) -> tuple[list[RedoRecord], int]:
        """Append writes (with a COMMIT when commit); returns the records and the last LSN."""
        records = [record_of(*w) for w in writes]
        self.clock += 1.0
        lsn = self.volume.append(records, txn=len(self.records), commit_time=self.clock if commit else None)
        self.grow([r.page for r in records])
        for i, (rec, w) in enumerate(zip(records, writes)):
            self.pending.append((self.next_lsn + i, rec.page, rec.kind, rec.payload, w))
        self.next_lsn += len(records)
        if commit:
            self.pending.append((self.next_lsn, records[-1].page, RecordKind.COMMIT, struct.pack("<d", self.clock),
                                 ()))
            self.next_lsn += 1
        assert lsn == self.next_lsn - 1
        return records, lsn

    def acknowledge(self) -> None:
        """The pending records up to the last COMMIT are durable now: apply them to the model."""
        for lsn, page, kind, payload, write in self.pending:
            self.records.append((lsn, page, kind, payload))
            if write:
                page, key, value = write
                if value is None:
                    self.rows.pop(page * 100 + key, None)
                else:
                    self.rows[page * 100 + key] = value
        self.pending.clear()
        self.history.append((self.vdl, sorted(self.rows.items())))

    def truncated(self) -> None:
        """Recovery voids everything above VDL; LSNs are reused from VDL + 1."""
        self.pending.clear()
        self.next_lsn = self.vdl + 1
        self.recovered = True

    # ------------------------------------------------------------ rules
    @rule(writes=WRITES)
    def commit(self, writes: list[tuple[int, int, str | None]]) -> None:
        _, lsn = self.send(writes, commit=True)
        self.volume.wait_for_vdl(lsn, 5.0)
        self.acknowledge()

    @rule(writes=WRITES)
    def append_without_commit(self, writes: list[tuple[int, int, str | None]]) -> None:
        self.send(writes, commit=False)

    @rule(data=st.data())
    def fail_segment(self, data: st.DataObject) -> None:
        if not self.n_pgs:
            return
        target = (data.draw(st.integers(0, self.n_pgs - 1)), data.draw(st.integers(0, 5)))
        if target not in self.down and self.tolerable(self.down | {target}, self.down_azs):
            self.volume.fail_segment(*target)
            self.down.add(target)

    @rule(az=st.sampled_from(AZS))
    def fail_az(self, az: str) -> None:
        lost = {(pg, s) for pg in range(self.n_pgs) for s in range(6) if AZS[s // 2] == az}
        if self.tolerable(self.down | lost, self.down_azs | {az}):
            self.volume.fail_az(az)
            self.down |= lost
            self.down_azs.add(az)

    @precondition(lambda self: self.down)
    @rule(data=st.data())
    def restore_segment(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(sorted(self.down)))
        self.volume.restore_segment(*target)
        self.down.discard(target)

    @rule(az=st.sampled_from(AZS))
    def restore_az(self, az: str) -> None:
        self.volume.restore_az(az)
        self.down = {(pg, s) for pg, s in self.down if AZS[s // 2] != az}
        self.down_azs.discard(az)

    @rule()
    def recover(self) -> None:
        report = self.volume.recover()
        assert report.vdl == self.vdl
        self.truncated()

    @precondition(lambda self: self.on_disk)
    @rule()
    def reopen(self) -> None:
        epoch = self.volume.epoch
        self.volume.close()
        self.volume = Volume.open(self.root, file_system=self.file_system())
        assert self.volume.epoch == epoch + 1
        assert all(r.status == "clean" for r in self.volume.last_scan.values())
        self.down.clear()
        self.down_azs.clear()
        self.truncated()

    @precondition(lambda self: self.n_pgs > 0)
    @rule(data=st.data(), writes=WRITES)
    def commit_with_a_pg_down_to_three(self, data: st.DataObject, writes: list[tuple[int, int, str | None]]) -> None:
        """Beyond tolerance the append times out with a clear error; after repair it completes."""
        pg = data.draw(st.integers(0, self.n_pgs - 1))
        extra = [(pg, s) for s in range(6) if (pg, s) not in self.down][: 3 - sum(p == pg for p, _ in self.down)]
        for target in extra:
            self.volume.fail_segment(*target)
        writes = [*writes, (pg * PAGES_PER_PG, 0, "degraded")]
        _, lsn = self.send(writes, commit=True)
        with pytest.raises(QuorumUnavailableError, match=r"did not reach write quorum \(4/6\).*segments down: "):
            self.volume.wait_for_vdl(lsn, FAST_FAIL_S)
        assert self.volume.vdl == self.vdl
        assert content(self.volume.materialize(0, PAGES)) == self.history[-1][1]
        for target in extra:
            self.volume.restore_segment(*target)
        self.volume.wait_for_vdl(lsn, 5.0)
        self.acknowledge()

    @rule(data=st.data())
    def read_as_of_a_past_commit(self, data: st.DataObject) -> None:
        lsn, rows = data.draw(st.sampled_from(self.history))
        assert content(self.volume.materialize(0, PAGES, lsn)) == rows

    # ------------------------------------------------------------ invariants
    @invariant()
    def watermarks_are_ordered_and_monotonic(self) -> None:
        v = self.volume
        assert v.vdl <= v.vcl <= v.last_lsn
        old_vcl, old_vdl = self.seen
        assert v.vdl >= old_vdl
        if not self.recovered:
            assert v.vcl >= old_vcl
        self.seen, self.recovered = (v.vcl, v.vdl), False

    @invariant()
    def vdl_is_the_last_acknowledged_commit(self) -> None:
        assert self.volume.vdl == self.vdl

    @invariant()
    def every_acknowledged_record_is_readable(self) -> None:
        got = [(r.lsn, r.page, r.kind, r.payload) for r in self.volume.read_log()]
        assert got == self.records
        assert content(self.volume.materialize(0, PAGES)) == sorted(self.rows.items())

    @invariant()
    def every_acknowledged_record_is_on_a_write_quorum(self) -> None:
        pgs = self.volume.protection_groups
        for lsn, page, _, _ in self.records:
            segments = pgs[page // PAGES_PER_PG].segments
            holders = [s.index for s in segments if s.log.find(lsn) >= 0]
            assert len(holders) >= QUORUM, (lsn, holders)
            if not any(p == page // PAGES_PER_PG for p, _ in self.down):
                assert len(holders) == 6, (lsn, holders)   # no faults in this PG: its segments converged

    @invariant()
    def available_segments_hold_nothing_that_contradicts_the_log(self) -> None:
        """At or below VDL an available segment holds exactly the acknowledged records (no stale epochs)."""
        acked = {lsn: (page, kind, payload) for lsn, page, kind, payload in self.records}
        for pg in self.volume.protection_groups:
            for segment in pg.available_segments():
                for pos in range(len(segment.log)):
                    record = segment.record(pos)
                    if record.lsn <= self.vdl:
                        assert acked.get(record.lsn) == (record.page, record.kind, record.payload), (segment, record)

    @invariant()
    def availability_matches_the_model(self) -> None:
        actual = {(pg.index, s.index) for pg in self.volume.protection_groups for s in pg.segments if not s.available}
        assert actual == self.down
        assert len(self.volume.protection_groups) == self.n_pgs


class OnDiskVolumeMachine(VolumeMachine):
    """The same machine over segment files, with close and reopen."""

    on_disk = True


TestInMemoryVolume = VolumeMachine.TestCase
TestInMemoryVolume.settings = settings(max_examples=30, stateful_step_count=25, deadline=None, database=None,
                                       print_blob=True)
TestOnDiskVolume = OnDiskVolumeMachine.TestCase
TestOnDiskVolume.settings = settings(max_examples=15, stateful_step_count=20, deadline=None, database=None,
                                     print_blob=True)


@settings(max_examples=25, deadline=None, database=None)
@given(before=st.lists(WRITES, min_size=1, max_size=4), pg=st.integers(0, PAGES // PAGES_PER_PG - 1),
       down=st.lists(st.integers(0, 5), min_size=3, max_size=3, unique=True), writes=WRITES)
def test_append_to_a_pg_with_three_segments_down_times_out_and_loses_nothing(
        before: list[list[tuple[int, int, str | None]]], pg: int, down: list[int],
        writes: list[tuple[int, int, str | None]]) -> None:
    v = Volume(pages_per_pg=PAGES_PER_PG)
    rows: dict[int, str] = {}
    for batch in before + [[(PAGES - 1, 0, "grow")]]:
        v.commit([record_of(*w) for w in batch])
        for page, key, value in batch:
            rows.pop(page * 100 + key, None) if value is None else rows.__setitem__(page * 100 + key, value)
    acked = v.vdl
    for s in down:
        v.fail_segment(pg, s)
    lsn = v.append([record_of(*w) for w in writes] + [record_of(pg * PAGES_PER_PG, 1, "x")], commit_time=1.0)
    with pytest.raises(QuorumUnavailableError) as err:
        v.wait_for_vdl(lsn, FAST_FAIL_S)
    message = str(err.value)
    assert f"LSN {lsn} did not reach write quorum (4/6)" in message and f"VDL is {acked}" in message
    assert all(f"{pg}/{s}({AZS[s // 2]})" in message for s in down)
    assert v.vdl == acked
    assert content(v.materialize(0, PAGES)) == sorted(rows.items())
    assert [r.lsn for r in v.read_log(kinds=[RecordKind.COMMIT])][-1] == acked
