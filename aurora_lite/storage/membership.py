"""Membership change of a protection group: replace a segment that stays dead (P18 §4.1).

Aurora replaces segment F of group ABCDEF by a new segment G in two steps, each
under a new membership epoch:

1. ABCDEF -> ABCDEF+G: G joins, receives every new write and hydrates from its
   peers by gossip. The paper's write quorum during the change is "4/6 of ABCDEF
   AND 4/6 of ABCDEG". Here F is fenced as the change starts (its copy is thrown
   away: its acknowledgements are revoked, it is never read, written or asked
   again), so both halves reduce to "4 of the 5 remaining members": writes go on
   with the five live members while G hydrates, and reads go to members complete
   to their read point (G too, once complete to it).
2. ABCDEF+G -> ABCDEG: once G holds the group's whole chain (its complete LSN,
   the end of its gap-free back-link chain, reached the group's tail) it counts
   toward quorum like any member, and acknowledges every pending write it holds.

A hydrating segment never counts toward the read quorum of recovery either
(recovery still truncates and repairs it, which may finish its hydration). The
old segment, if its node comes back, is stale: its membership epoch is older
than the group's and it is not a member, so nothing reaches it. On disk, the
new segment gets its own file (``seg-<i>-<az>.m<epoch>.log``) and volume.json
records, per changed group, the membership epoch and each replaced slot's file
and state; the old file is left untouched and never opened again.

Guarded by the volume lock, which hydration releases between chunks so that
commits interleave with it.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import attrs

from .errors import StorageError
from .protection_group import ProtectionGroup
from .segment import Segment

if TYPE_CHECKING:
    from .volume import Volume

HYDRATE_CHUNK = 4096  # records copied per step of a hydration before the volume lock is released


class FencedSegmentError(StorageError):
    """A segment that left its protection group (membership change) was asked to serve."""


@attrs.frozen
class Replacement:
    """One finished or ongoing replacement, for reports: what was copied and how long it took."""

    pg_index: int
    seg_index: int
    epoch: int
    records: int
    bytes: int
    seconds: float
    hydrated: bool


def replace_segment(volume: Volume, pg_index: int, seg_index: int, *, hydrate: bool = True,
                    chunk_records: int = HYDRATE_CHUNK) -> Segment:
    """Start (and with hydrate, finish) replacing segment seg_index of protection group pg_index."""
    with volume._cond:
        if volume._closed:
            from .errors import VolumeClosedError

            raise VolumeClosedError("the volume is closed")
        pg = volume._pgs[pg_index] if 0 <= pg_index < len(volume._pgs) else None
        if pg is None or not 0 <= seg_index < len(pg.segments):
            raise ValueError(f"no segment {seg_index} in protection group {pg_index}")
        old = pg.segments[seg_index]
        epoch = pg.membership_epoch + 1
        new = _new_segment(volume, pg, old, epoch)
        # Fence the old copy before the new one counts for anything.
        old.available = False
        old.fenced = True
        volume._tracker.revoke(pg.index, seg_index)
        pg.retired.append(old)
        pg.membership_epoch = epoch
        for member in pg.segments:
            member.membership_epoch = epoch
        pg.segments[seg_index] = new
        new.available = new.az not in volume._down_azs
        volume._in_flight = [m for m in volume._in_flight if m[0] is not old]
        _stats(volume)[(pg_index, seg_index)] = [time.perf_counter(), 0, 0, epoch]
        if volume.path is not None:
            volume._save_metadata()  # the new membership is durable before G takes part
        old.close()
        if not pg.tail_lsn and new.available:
            finish_if_hydrated(volume, pg, new)  # an empty group: nothing to copy
    if hydrate and new.hydrating and new.available:
        while True:
            copied, done = _hydrate_step(volume, pg_index, seg_index, chunk_records, expect=new)
            if done or not copied or not new.available or new.fenced:
                break  # whole, or the missing records are on segments that are down: later (rejoin)
            time.sleep(0)  # let committers take the lock between chunks
    return new


def hydrate(volume: Volume, pg_index: int, seg_index: int, max_records: int | None = None) -> tuple[int, bool]:
    """One hydration step of the replacement in slot seg_index; returns (records copied, hydrated)."""
    return _hydrate_step(volume, pg_index, seg_index, max_records, expect=None)


def _hydrate_step(volume: Volume, pg_index: int, seg_index: int, limit: int | None,
                  expect: Segment | None) -> tuple[int, bool]:
    with volume._cond:
        pg = volume._pgs[pg_index]
        segment = pg.segments[seg_index]
        if expect is not None and segment is not expect:
            return 0, False  # replaced again meanwhile
        if not segment.hydrating:
            return 0, True
        if not segment.available or volume._closed:
            return 0, False
        before = segment.bytes_held
        copied = 0
        for peer in pg.segments:
            if peer is segment or not peer.available or peer.fenced:
                continue
            budget = None if limit is None else limit - copied
            if budget is not None and budget <= 0:
                break
            copied += segment.receive(peer, volume._next_lsn, budget)
        stat = _stats(volume).get((pg_index, seg_index))
        if stat is not None:
            stat[1] += copied
            stat[2] += segment.bytes_held - before
        done = finish_if_hydrated(volume, pg, segment)
        return copied, done


def finish_if_hydrated(volume: Volume, pg: ProtectionGroup, segment: Segment) -> bool:
    """Complete the change ABCDEF+G -> ABCDEG if segment holds its group's whole chain; True if it did."""
    if not segment.hydrating:
        return True
    if segment.fenced or not segment.available or segment.complete_lsn < pg.tail_lsn:
        return False
    segment.hydrating = False
    pg.membership_epoch += 1
    for member in pg.segments:
        member.membership_epoch = pg.membership_epoch
    advanced = False
    for part_id, part_last, acks in volume._tracker.pending_parts(pg.index):
        if segment.complete_lsn >= part_last and not acks & (1 << segment.index):
            advanced |= volume._tracker.ack(part_id, segment.index)
    stat = _stats(volume).pop((pg.index, segment.index), None)
    if stat is not None:
        started, records, nbytes, epoch = stat
        volume.replacements.append(Replacement(pg.index, segment.index, epoch, records, nbytes,
                                               time.perf_counter() - started, True))
    if volume.path is not None:
        volume._save_metadata()
    if advanced:
        volume._cond.notify_all()
    return True


def settle(volume: Volume) -> None:
    """Finish every replacement whose segment became whole (after recovery repaired it)."""
    for pg in volume._pgs:
        for segment in pg.segments:
            if segment.hydrating:
                finish_if_hydrated(volume, pg, segment)


def check_member(pg: ProtectionGroup, segment: Segment) -> None:
    """Raise FencedSegmentError unless segment is a current member of pg (its epoch is not stale)."""
    if segment.fenced or segment not in pg.segments:
        raise FencedSegmentError(
            f"segment {segment.pg_index}/{segment.index} ({segment.az}) left protection group {pg.index} at "
            f"membership epoch {segment.membership_epoch}; the group is at epoch {pg.membership_epoch}")


def hydrating(volume: Volume) -> list[tuple[int, int]]:
    """(pg, slot) of every replacement still hydrating."""
    return [(pg.index, s.index) for pg in volume._pgs for s in pg.segments if s.hydrating]


# ------------------------------------------------------------ persistence
def describe(volume: Volume) -> dict[str, Any]:
    """The volume.json fields of membership: nothing until a segment was replaced."""
    groups = {}
    for pg in volume._pgs:
        if pg.membership_epoch == 1:
            continue
        slots = {}
        for segment in pg.segments:
            name = getattr(segment, "file_name", None)
            if name is not None:
                slots[str(segment.index)] = {"file": name, "hydrating": segment.hydrating}
        groups[str(pg.index)] = {"epoch": pg.membership_epoch, "segments": slots}
    return {"membership": groups} if groups else {}


def adopt_persisted(volume: Volume, pg: ProtectionGroup, meta: dict[str, Any]) -> None:
    """At open: put the recorded replacement segments (not the original files) into their slots."""
    recorded = (meta.get("membership") or {}).get(str(pg.index))
    if not recorded:
        return
    pg.membership_epoch = int(recorded["epoch"])
    for slot, info in recorded.get("segments", {}).items():
        index = int(slot)
        default = pg.segments[index]
        default.close()  # the replaced original: fenced, never loaded
        default.fenced = True
        default.available = False
        pg.retired.append(default)
        file = _open(volume, _folder(volume, pg.index) / info["file"])
        segment = Segment(pg.index, index, default.az, file)
        segment.file_name = info["file"]
        segment.hydrating = bool(info.get("hydrating"))
        pg.segments[index] = segment
    for segment in pg.segments:
        segment.membership_epoch = pg.membership_epoch


def _new_segment(volume: Volume, pg: ProtectionGroup, old: Segment, epoch: int) -> Segment:
    file = None
    name = None
    if volume.path is not None:
        folder = _folder(volume, pg.index)
        volume._fs.makedirs(folder)
        name = f"seg-{old.index}-{old.az}.m{epoch}.log"
        file = _open(volume, folder / name)
    segment = Segment(pg.index, old.index, old.az, file)
    segment.hydrating = True
    segment.membership_epoch = epoch
    segment.truncations = set(volume.truncations)
    if file is not None:
        segment.file_name = name
        try:
            if file.size() == 0:
                segment.load()  # writes the file header
        except StorageError:
            segment.close()
            raise
    return segment


def _open(volume: Volume, path):
    file = volume._fs.open_segment(path)
    if volume.fsync == "always" and getattr(file, "defer_writes", None) is False:
        file.defer_writes = True  # as the volume's own files: the flusher writes and syncs in one go
    return file


def _folder(volume: Volume, pg_index: int):
    assert volume.path is not None
    return volume.path / f"pg-{pg_index:05d}"


def _stats(volume: Volume) -> dict[tuple[int, int], list]:
    stats = getattr(volume, "_hydration_stats", None)
    if stats is None:
        stats = volume._hydration_stats = {}
        if not hasattr(volume, "replacements"):
            volume.replacements = []
    return stats
