"""The cluster volume: protection groups of six segments, LSNs, quorum, VCL/VDL.

The volume is the source of truth; instances are caches over it. It allocates
dense LSNs (1, 2, 3, ...), frames records and sends each protection group's
part of a batch to its six segments; a part is durable on 4 acknowledgements,
a batch when all its parts are. VCL is the end of the durable prefix of
batches and VDL the last commit (consistency point) at or below it. Readers
of pages go to one segment complete to their read point.

Thread-safety: every public method may be called from any thread; one lock
(`_cond`) guards all state. Waits for durability happen on that condition.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pyarrow as pa

from .. import _core
from . import membership
from .errors import CorruptionError, QuorumUnavailableError, StorageError, VolumeClosedError
from .files import FileSystem
from .flusher import GroupCommitFlusher
from .protection_group import AZS, SEGMENTS_PER_PG, WRITE_QUORUM, ProtectionGroup, az_of
from .records import LoggedRecord, RecordKind, RedoRecord, encode_commit_time
from .rows import apply_page
from .segment import Segment

if TYPE_CHECKING:
    from .base import VolumeBase

FORMAT_VERSION = 1
META_FILE = "volume.json"
FSYNC_POLICIES = ("always", "never")
DEFAULT_PAGES_PER_PG = 4096
COALESCE_AFTER = 32  # hot records of a page read before its image is stored
_META_FIELDS = {"format", "epoch", "truncations", "protection_groups", "pages_per_pg", "fsync"}

# Deliberate bug for aurora_lite.sim's tests of itself (never set outside them): every new or
# reopened volume acknowledges writes at this many acks instead of write_quorum (3: at 3/6).
DELIBERATE_BUG_WRITE_QUORUM: int | None = None


@attrs.frozen
class _PageRecords:
    """What a read of one page needs, gathered under the volume lock: its image and the hot records after it."""

    segment: Segment
    page: int
    image: pa.Table | None
    records: list[tuple[int, bytes]]  # (kind, payload) in LSN order


def _page_records(segment: Segment, lo: int, hi: int, read: int) -> list[_PageRecords]:
    """The pages of [lo, hi) that segment holds records of, with what materialising them at read needs."""
    by_page: dict[int, list[int]] = {}
    log = segment.log
    for pos in log.select(0, read, lo, hi, -1):
        by_page.setdefault(log.entry(pos)[2], []).append(pos)
    out = []
    for page, positions in sorted(by_page.items()):
        image_lsn, image = segment.image(page, read)
        hot = [(log.entry(p)[5], segment.payload(p)) for p in positions if log.lsn_at(p) > image_lsn]
        out.append(_PageRecords(segment, page, image, hot))
    return out


class Volume:
    """A six-way replicated, log-structured page store (in memory or on disk)."""

    def __init__(self, path: str | Path | None = None, *, fsync: str = "always",
                 pages_per_pg: int = DEFAULT_PAGES_PER_PG, write_quorum: int = WRITE_QUORUM,
                 file_system: FileSystem | None = None, base: VolumeBase | None = None,
                 _opening: bool = False) -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {FSYNC_POLICIES}, not {fsync!r}")
        if pages_per_pg < 1:
            raise ValueError("pages_per_pg must be at least 1")
        self.path = Path(path) if path is not None else None
        self.fsync = fsync
        self.pages_per_pg = pages_per_pg
        if DELIBERATE_BUG_WRITE_QUORUM is not None:
            write_quorum = DELIBERATE_BUG_WRITE_QUORUM
        self.write_quorum = write_quorum  # 4; other values exist only to test the tests
        self._fs = file_system or FileSystem()
        self._cond = threading.Condition(threading.RLock())
        self._pgs: list[ProtectionGroup] = []
        self._pg_tails: dict[int, int] = {}
        self.base = base  # copy-on-write: LSNs up to base.lsn live in another volume
        start = base.lsn if base is not None else 0
        self._next_lsn = start + 1
        self.epoch = 1
        self.truncations: set[tuple[int, int]] = set()
        self._down_azs: set[str] = set()  # AZs lost by fail_az: segments of new PGs there start down too
        self._metadata_stale = False      # a protection group was added but volume.json does not list it yet
        self._tracker = _core.QuorumTracker(start, start, write_quorum)
        self._closed = False
        self.write_ios = 0
        self.bytes_written = 0
        self.last_recovery = None
        self._in_flight: list[tuple] = []  # writes to slow segments, not yet delivered (deliver_delayed)
        if self.path is not None and not _opening:
            if (self.path / META_FILE).exists():
                raise StorageError(f"a volume already exists at {self.path}; use Volume.open()")
            self._fs.makedirs(self.path)
            self._save_metadata()
        self._flusher = (GroupCommitFlusher(self._cond, self._acknowledge, self._segment_failed)
                         if self.path is not None and fsync == "always" else None)

    # ------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, path: str | Path, *, file_system: FileSystem | None = None) -> Volume:
        """Reopen an on-disk volume: scan every segment, recover to VDL under a new epoch."""
        from .recovery import recover

        fs = file_system or FileSystem()
        root = Path(path)
        if not (root / META_FILE).exists():
            raise StorageError(f"no volume at {root}")
        try:
            meta = json.loads(fs.read(root / META_FILE))
            if not isinstance(meta, dict) or not _META_FIELDS <= meta.keys():
                raise ValueError(f"expected the fields {sorted(_META_FIELDS)}")
        except ValueError as exc:  # also JSONDecodeError and UnicodeDecodeError
            raise CorruptionError(f"volume metadata {root / META_FILE} is damaged: {exc}") from exc
        if meta.get("format") != FORMAT_VERSION:
            raise StorageError(f"unsupported volume format {meta.get('format')!r} at {root}")
        volume = cls(root, fsync=meta["fsync"], pages_per_pg=meta["pages_per_pg"], file_system=fs, _opening=True)
        try:
            volume.epoch = meta["epoch"]
            volume.truncations = {tuple(t) for t in meta["truncations"]}
            reports = {}
            for pg_index in range(meta["protection_groups"]):
                pg = volume._add_protection_group()
                membership.adopt_persisted(volume, pg, meta)  # replaced segments: their files, epochs
                for segment in pg.segments:
                    reports[(pg_index, segment.index)] = segment.load()
                    segment.apply_truncations(volume.truncations)
            volume.last_scan = reports
            recover(volume, scan=True)
        except BaseException:
            # A failed open must not leave the flusher thread and open files behind.
            volume.close()
            raise
        return volume

    def close(self) -> None:
        """Sync and release every segment; the volume can no longer be used."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        if self._flusher is not None:
            self._flusher.stop()
        with self._cond:
            for pg in self._pgs:
                for segment in pg.segments:
                    segment.close()

    def __enter__(self) -> Volume:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._closed

    # ------------------------------------------------------------ watermarks
    @property
    def vcl(self) -> int:
        """Volume complete LSN: every record at or below it is durable."""
        return self._tracker.vcl

    @property
    def vdl(self) -> int:
        """Volume durable LSN: the last commit at or below VCL; reads happen here."""
        return self._tracker.vdl

    @property
    def last_lsn(self) -> int:
        """Highest LSN allocated so far."""
        return self._next_lsn - 1

    @property
    def protection_groups(self) -> list[ProtectionGroup]:
        """The protection groups, in page order."""
        return list(self._pgs)

    @property
    def bytes_used(self) -> int:
        """Logical bytes of redo held by the volume (one copy)."""
        return self.bytes_written

    # ------------------------------------------------------------ writes
    def append(self, records: Sequence[RedoRecord], *, txn: int = 0, commit_time: float | None = None,
               epoch: int | None = None) -> int:
        """Send records (and, with commit_time, a COMMIT record) to the segments; returns the last LSN.

        The batch gets consecutive LSNs. Returns without waiting for durability:
        call wait_for_vdl(lsn) to learn that the commit is acknowledged. With epoch (the
        volume epoch its writer started in), a writer fenced by a later recovery is refused.
        """
        batch = list(records)
        if commit_time is not None:
            # The consistency point travels with the transaction's last change.
            page = batch[-1].page if batch else 0
            batch.append(RedoRecord(page, RecordKind.COMMIT, encode_commit_time(commit_time)))
        if not batch:
            raise ValueError("an append needs at least one record")
        with self._cond:
            if self._closed:
                raise VolumeClosedError("the volume is closed")
            if epoch is not None and epoch != self.epoch:
                raise VolumeClosedError(f"fenced: the volume moved to epoch {self.epoch}; this writer's is {epoch}")
            self._grow(max(r.page for r in batch) // self.pages_per_pg)
            first = self._next_lsn
            parts = _core.encode_batch(batch, first, txn, self.epoch, self.pages_per_pg, self._pg_tails)
            last = first + len(batch) - 1
            self._next_lsn = last + 1
            batch_id, _ = self._tracker.open_batch(last, commit_time is not None, len(parts))
            advanced = False
            notes: list[tuple[Segment, int]] = []
            for pg_index, (frames, part_first, part_last, count) in parts.items():
                pg = self._pgs[pg_index]
                prev = self._chain_prev(pg, part_first)
                pg.note_part(part_first, part_last)
                part_id = self._tracker.add_part(batch_id, pg_index, part_last)
                self.bytes_written += len(frames)
                for segment in pg.segments:
                    if not segment.available:
                        continue
                    if segment.delay_acks:  # slow segment: the write arrives when deliver_delayed() runs
                        self._in_flight.append((segment, frames, prev, part_last, part_id, self.epoch))
                        continue
                    try:
                        segment.append(frames, prev, part_last)
                    except StorageError as exc:
                        self._segment_failed(segment, exc)
                        continue
                    self.write_ios += 1
                    if self._flusher is not None:
                        notes.append((segment, part_id))
                    elif segment.votes and self._tracker.ack(part_id, segment.index):
                        advanced = True
            if notes:
                self._flusher.note(notes)
            if advanced:
                self._cond.notify_all()
            return last

    def _chain_prev(self, pg: ProtectionGroup, part_first: int) -> int:
        # encode_batch already advanced the group's tail; the part's first frame
        # links to the group's previous tail, which is what the segments hold.
        return pg.tail_lsn

    def wait_for_vdl(self, lsn: int, timeout_s: float = 5.0, *, epoch: int | None = None) -> None:
        """Block until VDL >= lsn; raise QuorumUnavailableError after timeout_s.

        epoch: the epoch lsn was appended in. Fix (found by aurora_lite.sim, threaded seed 164):
        after a recovery truncated lsn, new commits reuse it, and a commit still waiting for it
        returned as acknowledged once VDL passed the reused LSN: its own records were gone. With
        epoch, a recovery since then decides: lsn was kept (at or below its truncation point) or
        VolumeClosedError.
        """
        with self._cond:
            deadline = time.monotonic() + timeout_s
            while True:
                if epoch is not None and epoch != self.epoch:
                    kept = min((point for point, at in self.truncations if at > epoch), default=None)
                    if kept is not None and lsn > kept:
                        raise VolumeClosedError(f"LSN {lsn}, written in epoch {epoch}, was truncated by the "
                                                f"recovery to LSN {kept} (epoch {self.epoch})")
                if self._tracker.vdl >= lsn:
                    return
                if self._closed:
                    raise VolumeClosedError("the volume was closed while a commit waited for durability")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QuorumUnavailableError(
                        f"LSN {lsn} did not reach write quorum ({self.write_quorum}/6) within {timeout_s:g}s; "
                        f"VDL is {self._tracker.vdl}; segments down: {self._down_summary()}"
                    )
                self._cond.wait(remaining)

    def wait_beyond(self, lsn: int, timeout_s: float) -> int:
        """Block until VDL > lsn or timeout_s passes; returns VDL (readers follow the log with this)."""
        with self._cond:
            if self._tracker.vdl <= lsn and not self._closed:
                self._cond.wait_for(lambda: self._tracker.vdl > lsn or self._closed, timeout_s)
            return self._tracker.vdl

    def commit(self, records: Sequence[RedoRecord], *, txn: int = 0, commit_time: float | None = None,
               timeout_s: float = 5.0) -> int:
        """Append a transaction with its COMMIT record and wait until it is durable; returns the commit LSN."""
        lsn = self.append(records, txn=txn, commit_time=time.time() if commit_time is None else commit_time)
        self.wait_for_vdl(lsn, timeout_s)
        return lsn

    def _acknowledge(self, notes: list[tuple[Segment, int]]) -> None:
        advanced = False
        for segment, part_id in notes:
            if segment.votes and self._tracker.ack(part_id, segment.index):
                advanced = True
        if advanced:
            self._cond.notify_all()

    def _segment_failed(self, segment: Segment, exc: StorageError) -> None:
        segment.available = False
        segment.last_error = str(exc)

    def _down_summary(self) -> str:
        down = [f"{pg.index}/{s.index}({s.az})" for pg in self._pgs for s in pg.segments if not s.available]
        return ", ".join(down) or "none"

    def _grow(self, top: int) -> None:
        # Runs before any LSN or chain tail is allocated: if growing fails, the append fails
        # whole. (A hole in the LSNs would end recovery's VCL there, dropping every later
        # commit.) The metadata lists a protection group before any record goes to it.
        while len(self._pgs) <= top:
            self._add_protection_group()
            self._metadata_stale = True
        if self._metadata_stale and self.path is not None:
            self._save_metadata()
        self._metadata_stale = False

    def _add_protection_group(self) -> ProtectionGroup:
        index = len(self._pgs)
        segments: list[Segment] = []
        try:
            for i in range(SEGMENTS_PER_PG):
                file = None
                if self.path is not None:
                    folder = self.path / f"pg-{index:05d}"
                    self._fs.makedirs(folder)
                    file = self._fs.open_segment(folder / f"seg-{i}-{az_of(i)}.log")
                    if self.fsync == "always" and getattr(file, "defer_writes", None) is False:
                        file.defer_writes = True  # the flusher writes and syncs in one go
                segment = Segment(index, i, az_of(i), file)
                segments.append(segment)
                if file is not None and file.size() == 0:
                    segment.load()  # writes the file header
                segment.available = segment.az not in self._down_azs
        except StorageError:
            for segment in segments:  # the group is not added: release what it opened
                segment.close()
            raise
        pg = ProtectionGroup(index, index * self.pages_per_pg, self.pages_per_pg, segments)
        self._pgs.append(pg)
        return pg

    def _save_metadata(self) -> None:
        assert self.path is not None
        meta = {
            "format": FORMAT_VERSION,
            "epoch": self.epoch,
            "truncations": sorted(self.truncations),
            "protection_groups": len(self._pgs),
            "pages_per_pg": self.pages_per_pg,
            "fsync": self.fsync,
            "azs": list(AZS),
        }
        meta.update(membership.describe(self))  # only once a segment was replaced
        self._fs.write_atomic(self.path / META_FILE, json.dumps(meta, indent=1).encode())

    # ------------------------------------------------------------ reads
    def read_log(self, after_lsn: int = 0, upto_lsn: int | None = None, *,
                 kinds: Iterable[RecordKind] | None = None, first_page: int = 0,
                 end_page: int = 2**64 - 1) -> list[LoggedRecord]:
        """Records with after_lsn < lsn <= upto_lsn (default VDL) on pages [first_page, end_page), in LSN order."""
        with self._cond:
            upto = self._tracker.vdl if upto_lsn is None else upto_lsn
            if upto > self._tracker.vdl:
                raise StorageError(f"cannot read above VDL ({self._tracker.vdl}): {upto}")
            wanted = None if kinds is None else {int(k) for k in kinds}
            out: list[LoggedRecord] = []
            if self.base is not None:
                out.extend(self.base.read_log(after_lsn, upto, kinds=kinds, first_page=first_page,
                                              end_page=end_page))
            for pg in self._pgs:
                if pg.tail_lsn <= after_lsn or pg.first_page >= end_page or pg.first_page + pg.pages <= first_page:
                    continue
                segment = pg.read_segment(upto)
                kind = -1 if wanted is None or len(wanted) != 1 else next(iter(wanted))
                for pos in segment.log.select(after_lsn, upto, first_page, end_page, kind):
                    record = segment.record(pos)
                    if wanted is None or record.kind in wanted:
                        out.append(record)
            out.sort(key=lambda r: r.lsn)
            return out

    def pages(self, first_page: int, end_page: int, upto_lsn: int | None = None) -> list[int]:
        """Pages in [first_page, end_page) holding records at or below upto_lsn (default VDL)."""
        with self._cond:
            upto = self._tracker.vdl if upto_lsn is None else upto_lsn
            found: set[int] = set(self.base.pages(first_page, end_page, upto)) if self.base is not None else set()
            for pg in self._pgs:
                lo, hi = max(first_page, pg.first_page), min(end_page, pg.first_page + pg.pages)
                if lo < hi and pg.tail_lsn:
                    found.update(pg.read_segment(upto).log.pages(lo, hi, upto))
            return sorted(found)

    def materialize(self, first_page: int, end_page: int, read_lsn: int | None = None) -> pa.Table | None:
        """Rows of pages [first_page, end_page) as of read_lsn (default VDL); None if no page has rows."""
        # Fix: the Arrow work (decoding and applying every hot record) ran under the volume lock,
        # so a reader joining or a demoted writer rebuilding stalled every commit (a 1M-row
        # join, ~0.4 s). Only gathering the records needs the lock: records at or below VDL
        # never change, and a coalesced image is only ever replaced by a newer one.
        with self._cond:
            read = self._tracker.vdl if read_lsn is None else read_lsn
            if read > self._tracker.vdl:
                raise StorageError(f"cannot read above VDL ({self._tracker.vdl}): {read}")
            gathered: list[_PageRecords] = []
            for pg in self._pgs:
                lo, hi = max(first_page, pg.first_page), min(end_page, pg.first_page + pg.pages)
                if lo < hi:
                    gathered.extend(_page_records(pg.read_segment(read), lo, hi, read))
            own = {g.page for g in gathered}
            base_pages = [] if self.base is None else [
                page for page in self.base.pages(first_page, end_page, read) if page not in own]
        pieces = []
        for g in gathered:
            image = g.image
            if image is None and self.base is not None:
                # No image yet: start from the base's rows (an image already includes them).
                image = self.base.materialize_page(g.page, read)
            rows = apply_page(image, g.records)
            if len(g.records) >= COALESCE_AFTER and rows is not None:
                with self._cond:
                    g.segment.store_image(g.page, read, rows)
            pieces.append(rows)
        # Pages this volume never wrote are exactly as the base left them.
        pieces.extend(self.base.materialize_page(page, read) for page in base_pages)
        pieces = [p for p in pieces if p is not None and p.num_rows]
        if not pieces:
            return None
        if len(pieces) == 1:
            return pieces[0]
        return pa.concat_tables(pieces, promote_options="permissive")

    # ------------------------------------------------------------ faults
    def segment(self, pg_index: int, seg_index: int) -> Segment:
        """The segment seg_index (0-5) of protection group pg_index."""
        try:
            return self._pgs[pg_index].segments[seg_index]
        except IndexError:
            raise ValueError(f"no segment {seg_index} in protection group {pg_index}") from None

    def fail_segment(self, pg_index: int, seg_index: int) -> None:
        """Make one segment unavailable (its node is lost); it keeps what it held."""
        with self._cond:
            self.segment(pg_index, seg_index).available = False

    def restore_segment(self, pg_index: int, seg_index: int) -> int:
        """Bring a segment back: it catches up from its peers, then counts again; returns records copied."""
        with self._cond:
            segment = self.segment(pg_index, seg_index)
            if segment.available:
                return 0
            return self._rejoin(self._pgs[pg_index], segment)

    def fail_az(self, az: str) -> None:
        """Lose both segments of every protection group in az."""
        self._check_az(az)
        with self._cond:
            self._down_azs.add(az)
            for pg in self._pgs:
                for segment in pg.segments:
                    if segment.az == az:
                        segment.available = False

    def restore_az(self, az: str) -> int:
        """Bring back every segment in az (each catches up from peers); returns records copied."""
        self._check_az(az)
        with self._cond:
            self._down_azs.discard(az)
            return sum(self._rejoin(pg, s) for pg in self._pgs for s in pg.segments
                       if s.az == az and not s.available)

    @staticmethod
    def _check_az(az: str) -> None:
        if az not in AZS:
            raise ValueError(f"unknown AZ {az!r}; the volume spans {', '.join(AZS)}")

    def _rejoin(self, pg: ProtectionGroup, segment: Segment) -> int:
        segment.apply_truncations(self.truncations)
        copied = pg.repair(segment, self._next_lsn)
        segment.available = True
        advanced = self._count_held(pg, segment)
        # Fix (found by aurora_lite.sim, seed 22): gossip runs both ways. A segment that came back
        # while the only holders of some records were down kept that gap for good (nothing
        # repairs an available segment), so the group never converged; peers with gaps now
        # catch up from whoever rejoins.
        for peer in pg.segments:
            if peer is not segment and peer.available and peer.complete_lsn < pg.tail_lsn \
                    and pg.repair(peer, self._next_lsn):
                advanced |= self._count_held(pg, peer)
        if advanced:
            self._cond.notify_all()
        return copied

    def _count_held(self, pg: ProtectionGroup, segment: Segment) -> bool:
        """Acknowledge for segment the pending parts gossip brought it; True if VDL moved.

        A replacement counts only once it holds its group's whole log (membership.py).
        """
        if segment.hydrating:
            membership.finish_if_hydrated(self, pg, segment)  # acknowledges what it holds if it finishes
            return False
        advanced = False
        for part_id, part_last, acks in self._tracker.pending_parts(pg.index):
            if segment.complete_lsn >= part_last and not acks & (1 << segment.index):
                advanced |= self._tracker.ack(part_id, segment.index)
        return advanced

    # ------------------------------------------------------------ membership, slow segments
    def replace_segment(self, pg_index: int, seg_index: int, *, hydrate: bool = True,
                        chunk_records: int = membership.HYDRATE_CHUNK) -> Segment:
        """Replace a segment by a new one in the same AZ under a new membership epoch (P18 4.1).

        The old segment is fenced at once (never read, written or counted again); the new
        one receives every new write and hydrates from its peers, chunk by chunk, without
        stopping writes; it counts toward quorum once it holds the group's whole log. With
        hydrate=False, call hydrate_segment() to make progress. Returns the new segment.
        """
        return membership.replace_segment(self, pg_index, seg_index, hydrate=hydrate, chunk_records=chunk_records)

    def hydrate_segment(self, pg_index: int, seg_index: int, max_records: int | None = None) -> tuple[int, bool]:
        """Copy up to max_records missing records to a hydrating replacement; returns (copied, hydrated)."""
        return membership.hydrate(self, pg_index, seg_index, max_records)

    def set_slow(self, pg_index: int, seg_index: int, slow: bool = True) -> None:
        """Make a segment slow (its writes and acks wait for deliver_delayed) or normal again."""
        with self._cond:
            segment = self.segment(pg_index, seg_index)
            if not slow:
                self.deliver_delayed(segment)
            segment.delay_acks = slow

    def deliver_delayed(self, segment: Segment | None = None) -> int:
        """Deliver writes held for slow segments (all, or one segment's), in order; returns how many.

        A write is dropped when its segment went down or left the group meanwhile, or when
        a recovery moved the volume to a new epoch (storage refuses stale-epoch writes).
        """
        with self._cond:
            keep, due = [], []
            for message in self._in_flight:
                (due if segment is None or message[0] is segment else keep).append(message)
            self._in_flight = keep
            delivered = 0
            advanced = False
            notes: list[tuple[Segment, int]] = []
            for target, frames, prev, part_last, part_id, epoch in due:
                if not target.available or target.fenced or epoch != self.epoch or self._closed:
                    continue
                try:
                    target.append(frames, prev, part_last)
                except StorageError as exc:
                    self._segment_failed(target, exc)
                    continue
                delivered += 1
                if self._flusher is not None:
                    notes.append((target, part_id))
                elif target.votes and self._tracker.ack(part_id, target.index):
                    advanced = True
            if notes:
                self._flusher.note(notes)
            if advanced:
                self._cond.notify_all()
            return delivered

    def _segments_whole(self) -> bool:
        """True when every segment is available and complete to the end of its group's log."""
        return all(s.available and s.complete_lsn == pg.tail_lsn for pg in self._pgs for s in pg.segments)

    # ------------------------------------------------------------ recovery
    def recover(self) -> object:
        """Recompute VCL/VDL from a read quorum, truncate above VDL under a new epoch, repair."""
        from .recovery import recover

        return recover(self)
