"""Crash recovery of the volume: find the durable point from a read quorum, truncate above it.

Used when a volume is reopened from disk and when a new writer takes over.
No redo is replayed: recovery only decides where the log ends.

1. Every protection group needs a read quorum (3 of 6 segments available).
   Any record that reached write quorum (4 of 6) is on at least one of any 3.
2. LSNs are dense, so VCL is the end of the gap-free run of LSNs found in the
   union of the available segments; VDL is the last COMMIT at or below VCL.
3. A new epoch is recorded durably with the truncation point VDL; records
   above VDL from older epochs are void everywhere, also on segments that are
   down now (they apply the truncation before they rejoin).
4. Gossip fills every available segment up to VDL, so each kept record is on
   every available segment (and so durable when 4 are up).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from . import membership
from .errors import QuorumUnavailableError
from .protection_group import READ_QUORUM, WRITE_QUORUM
from .records import RecordKind

if TYPE_CHECKING:
    from .volume import Volume

# Deliberate bug for aurora_lite.sim's tests of itself (never set outside them): truncate at
# VCL instead of VDL, keeping the records of a transaction whose COMMIT never became durable.
DELIBERATE_BUG_TRUNCATE_AT_VCL = False


@attrs.frozen
class RecoveryReport:
    """What a recovery found and did."""

    vcl: int
    vdl: int
    epoch: int
    truncated_records: int
    repaired_records: int


def recover(volume: Volume, *, scan: bool = False) -> RecoveryReport:
    """Bring the volume to a consistent end at VDL under a new epoch (scan: always read the segments)."""
    with volume._cond:
        if not scan and volume._tracker.vdl == volume.last_lsn and volume._tracker.vcl == volume.last_lsn \
                and volume._segments_whole():
            # Nothing above VDL and every segment whole: only the epoch moves (fences the old writer).
            return _new_epoch(volume, volume._tracker.vdl)
        present: set[int] = set()
        commits: list[int] = []
        for pg in volume._pgs:
            live = pg.available_segments()
            # A replacement still hydrating is not part of the read quorum (it may lack old records).
            voters = sum(1 for s in live if s.votes)
            if voters < READ_QUORUM:
                raise QuorumUnavailableError(
                    f"protection group {pg.index}: {voters} of 6 segments available, "
                    f"recovery needs a read quorum of {READ_QUORUM}"
                )
            for segment in live:
                present.update(segment.log.lsns())
                commits.extend(segment.log.lsn_at(p) for p in segment.log.select(0, 2**64 - 1, 0, 2**64 - 1,
                                                                                  RecordKind.COMMIT))
        start = volume.base.lsn if volume.base is not None else 0  # LSNs below live in the base
        vcl = start
        while vcl + 1 in present:
            vcl += 1
        vdl = max((c for c in commits if c <= vcl), default=start)
        # Fix (found by aurora_lite.sim, seed 133): records above the acknowledged VDL that a read
        # quorum happens to hold are not durable yet; kept while a group had only 3 segments up,
        # they stayed on those 3, and a later recovery reading the other 3 truncated below a VDL
        # that the writer and readers had already shown. Keep them only if every group can hold
        # them on a write quorum now (at open every segment is up, so this never applies there).
        acknowledged = volume._tracker.vdl
        if not scan and vdl > acknowledged and any(len(pg.available_segments()) < WRITE_QUORUM
                                                   for pg in volume._pgs):
            vdl = acknowledged
        durable = vdl
        if DELIBERATE_BUG_TRUNCATE_AT_VCL:
            vdl = vcl
        epoch = volume.epoch + 1
        volume.epoch = epoch
        volume.truncations.add((vdl, epoch))
        if volume.path is not None:
            # The truncation must be durable before any segment acts on it.
            volume._save_metadata()
        truncated = repaired = 0
        for pg in volume._pgs:
            live = pg.available_segments()
            for segment in live:
                truncated += segment.truncate(vdl, epoch)
            for segment in live:
                repaired += pg.repair(segment, vdl)
            tail = max((s.complete_lsn for s in live), default=0)
            pg.reset_parts(tail)
            if tail:
                volume._pg_tails[pg.index] = tail
            else:
                volume._pg_tails.pop(pg.index, None)
        volume._next_lsn = vdl + 1
        volume._tracker.reset(vdl, durable)
        membership.settle(volume)  # replacements that recovery's repair filled count from now on
        volume._cond.notify_all()
        report = RecoveryReport(vcl=vcl, vdl=durable, epoch=epoch, truncated_records=truncated,
                                repaired_records=repaired)
        volume.last_recovery = report
        return report


def _new_epoch(volume: Volume, vdl: int) -> RecoveryReport:
    epoch = volume.epoch + 1
    volume.epoch = epoch
    volume.truncations.add((vdl, epoch))
    if volume.path is not None:
        volume._save_metadata()
    report = RecoveryReport(vcl=vdl, vdl=vdl, epoch=epoch, truncated_records=0, repaired_records=0)
    volume.last_recovery = report
    return report
