"""Repair time of a lost segment against its size (``python -m aurora_lite.sim --repair``).

For each size, a protection group is filled with N records of B bytes, one
segment is lost, and it is replaced by a new segment hydrated from its five
peers (Volume.replace_segment, P18 §4.1); the time is measured from the start
of the replacement until the new segment counts toward quorum. The same is
measured for a segment that comes back after missing every record
(restore_segment: gossip catch-up). In memory, and on disk (files under
/dev/shm when it exists, else the temp directory, plus a few sizes in the temp
directory on a real disk; each hydration chunk is written and fdatasync'ed). Aurora's figure: a 10 GB segment in about 10 s.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import attrs

from ..storage.records import RecordKind, RedoRecord
from ..storage.volume import Volume

SIZES = ((1_000, 1_000), (10_000, 1_000), (50_000, 1_000), (10_000, 8_000), (100_000, 100))


@attrs.frozen
class RepairSample:
    """One measurement."""

    storage: str
    how: str          # "replace" | "restore"
    records: int
    record_bytes: int
    segment_bytes: int
    seconds: float

    @property
    def mb_per_s(self) -> float:
        return self.segment_bytes / 1e6 / self.seconds if self.seconds else float("inf")

    @property
    def seconds_per_10gb(self) -> float:
        return self.seconds * 10e9 / self.segment_bytes if self.segment_bytes else 0.0


def _fill(volume: Volume, records: int, size: int) -> None:
    payload = os.urandom(size)
    batch = 200
    for start in range(0, records, batch):
        n = min(batch, records - start)
        volume.append([RedoRecord(1, RecordKind.ROW_UPSERT, payload) for _ in range(n - 1)],
                      commit_time=float(start))
    volume.wait_for_vdl(volume.last_lsn, 60.0)


def measure(records: int, record_bytes: int, *, storage: str = "memory", how: str = "replace",
            root: Path | None = None) -> RepairSample:
    """Fill a group, lose segment 2, repair it; returns how long the repair took."""
    folder = None
    if storage == "disk":
        folder = Path(tempfile.mkdtemp(prefix="aurora-repair-", dir=root or _tmp_root()))
        volume = Volume(folder / "volume")
    else:
        volume = Volume()
    try:
        _fill(volume, records, record_bytes)
        volume.fail_segment(0, 2)
        if how == "restore":
            # a segment that missed everything: its log is empty, it catches up by gossip
            victim = volume.replace_segment(0, 2, hydrate=False)
            volume.fail_segment(0, 2)
            started = time.perf_counter()
            volume.restore_segment(0, 2)
        else:
            started = time.perf_counter()
            victim = volume.replace_segment(0, 2)
        seconds = time.perf_counter() - started
        assert not victim.hydrating and victim.complete_lsn == volume.protection_groups[0].tail_lsn
        return RepairSample(storage, how, records, record_bytes, victim.bytes_held, seconds)
    finally:
        volume.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _tmp_root() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") else None


def table(samples: list[RepairSample]) -> str:
    lines = ["| storage | repair | records | record bytes | segment MB | seconds | MB/s | s per 10 GB |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for s in samples:
        lines.append(f"| {s.storage} | {s.how} | {s.records:,} | {s.record_bytes:,} | {s.segment_bytes / 1e6:.1f} | "
                     f"{s.seconds:.3f} | {s.mb_per_s:.0f} | {s.seconds_per_10gb:.0f} |")
    return "\n".join(lines)


def main() -> int:
    samples = []
    for storage in ("memory", "disk"):
        for how in ("replace", "restore"):
            for records, size in SIZES:
                samples.append(measure(records, size, storage=storage, how=how))
                print(table(samples[-1:]).splitlines()[-1], flush=True)
    if _tmp_root() is not None:  # also on a real disk (the temp directory), with real fdatasync
        disk = Path(tempfile.gettempdir())
        for records, size in SIZES[1:]:
            sample = measure(records, size, storage="disk", how="replace", root=disk)
            samples.append(attrs.evolve(sample, storage=f"disk ({disk})"))
            print(table(samples[-1:]).splitlines()[-1], flush=True)
    print()
    print(table(samples))
    return 0
