"""A segment: one of the six copies of a protection group's log, with page images.

A segment holds framed redo records (its hot log) in chunks of bytes, an index
of them (`_core.LogIndex`), and page images coalesced from the log. An on-disk
segment also appends every chunk to its file; its acknowledgement waits for
the group-commit flusher's sync. Segments never talk to each other directly:
their protection group runs gossip between them. Guarded by the volume lock.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from .. import _core
from .errors import CorruptionError, StorageError
from .records import LoggedRecord, RecordKind, decode_truncation, encode_truncation

if TYPE_CHECKING:
    import pyarrow as pa

    from .files import SegmentFile

FILE_MAGIC = b"AURLSEG1"
_HDR = _core.HEADER_SIZE

# Deliberate bug for aurora_lite.sim's tests of itself (never set outside them): when a
# file's last frame fails its checksum, trust it anyway instead of treating it as a torn tail.
DELIBERATE_BUG_TRUST_TAIL_WITHOUT_CRC = False


@attrs.frozen
class ScanReport:
    """What loading a segment file found: how much was valid and why it ended."""

    records: int
    valid_bytes: int
    file_bytes: int
    status: str  # "clean" | "torn-tail" | "corrupt" | "bad-header"

    @property
    def dropped_bytes(self) -> int:
        """Bytes cut from the end of the file because they could not be trusted."""
        return self.file_bytes - self.valid_bytes


_STATUS = {_core.SCAN_CLEAN: "clean", _core.SCAN_TORN_TAIL: "torn-tail", _core.SCAN_CORRUPT: "corrupt"}


class Segment:
    """One copy of a protection group's log: hot records, page images, optional file."""

    # Membership (storage/membership.py): a replacement segment hydrates before it counts
    # toward quorum; a replaced one is fenced (never read, written or counted again).
    hydrating = False
    fenced = False
    membership_epoch = 1
    # A slow segment (aurora_lite.sim): writes reach it, and it acknowledges them, only
    # when the volume delivers them (Volume.deliver_delayed).
    delay_acks = False

    def __init__(self, pg_index: int, index: int, az: str, file: SegmentFile | None = None) -> None:
        self.pg_index = pg_index
        self.index = index
        self.az = az
        self.available = True
        self.complete_lsn = 0  # SCL: no gaps in the protection group's chain below it
        self.log = _core.LogIndex()
        self._chunks: list[bytes] = []
        self._file = file
        self._file_bytes: int | None = None  # length of the file's trusted content (None: not known yet)
        self._file_torn = False   # a failed append may have left part of its bytes after it
        self._images: dict[int, tuple[int, pa.Table]] = {}
        self.truncations: set[tuple[int, int]] = set()

    def __repr__(self) -> str:
        state = "up" if self.available else "down"
        return f"<Segment pg={self.pg_index} seg={self.index} {self.az} {state} scl={self.complete_lsn}>"

    @property
    def on_disk(self) -> bool:
        """True when the segment persists to a file."""
        return self._file is not None

    @property
    def bytes_held(self) -> int:
        """Bytes of framed records held in the hot log."""
        return sum(len(c) for c in self._chunks)

    # ------------------------------------------------------------ writes
    def append(self, frames: bytes, first_prev_lsn: int, last_lsn: int) -> None:
        """Persist a run of chained frames (not yet synced for on-disk segments)."""
        if self._file is not None:
            self._persist(frames)
        self._index_chunk(frames)
        if first_prev_lsn == self.complete_lsn:
            # In-order arrival: the run chains onto what we hold, so no gap opens.
            self.complete_lsn = last_lsn

    def _persist(self, data: bytes) -> None:
        # Append to the file. A failed append can leave a prefix of its data in the file;
        # cut that off before the next one, or every later frame would sit behind garbage
        # and be lost at the next scan.
        assert self._file is not None
        if self._file_bytes is None:
            self._file_bytes = self._file.size()
        if self._file_torn:
            self._file.truncate(self._file_bytes)
            self._file_torn = False
        try:
            self._file.append(data)
        except StorageError:
            self._file_torn = True
            raise
        self._file_bytes += len(data)

    def sync(self) -> None:
        """Make appended frames durable (no-op in memory)."""
        if self._file is not None:
            self._file.sync()

    def _index_chunk(self, frames: bytes) -> None:
        chunk = len(self._chunks)
        self._chunks.append(frames)
        self.log.add_frames(frames, chunk, 0, False, RecordKind.EPOCH)

    @property
    def votes(self) -> bool:
        """True when this segment's acknowledgements count toward write quorum."""
        return not self.hydrating and not self.fenced

    def receive(self, peer: Segment, upto: int, limit: int | None = None) -> int:
        """Gossip: copy from peer every record up to upto that this segment lacks (at most limit,
        lowest LSNs first); returns how many."""
        missing = self.log.missing_from(peer.log, upto)
        if limit is not None:
            missing = missing[:limit]
        if not missing:
            return 0
        frames = b"".join(peer.frame(i) for i in missing)
        if self._file is not None:
            self._persist(frames)
            self._file.sync()
        self._index_chunk(frames)
        self.complete_lsn = self.log.complete_lsn(0)
        return len(missing)

    def truncate(self, point: int, epoch: int) -> int:
        """Void records above point from epochs before epoch; returns how many were dropped."""
        dropped = self.log.truncate(point, epoch)
        self.truncations.add((point, epoch))
        if self._file is not None:
            marker = _core.encode_frame(0, 0, 0, 0, epoch, RecordKind.EPOCH, encode_truncation(point, epoch))
            self._persist(marker)
            self._file.sync()
        self._images = {p: img for p, img in self._images.items() if img[0] <= point}
        self.complete_lsn = self.log.complete_lsn(0)
        return dropped

    # ------------------------------------------------------------ reads
    def frame(self, position: int) -> bytes:
        """The framed bytes of the record at position."""
        _, _, _, _, _, _, chunk, offset, length = self.log.entry(position)
        return self._chunks[chunk][offset : offset + _HDR + length]

    def payload(self, position: int) -> bytes:
        """The payload of the record at position."""
        _, _, _, _, _, _, chunk, offset, length = self.log.entry(position)
        return self._chunks[chunk][offset + _HDR : offset + _HDR + length]

    def record(self, position: int) -> LoggedRecord:
        """The record at position, decoded."""
        lsn, prev, page, txn, epoch, kind, _, _, _ = self.log.entry(position)
        return LoggedRecord(lsn, prev, page, txn, epoch, RecordKind(kind), self.payload(position))

    def image(self, page: int, read_lsn: int) -> tuple[int, pa.Table | None]:
        """The newest coalesced image of page at or below read_lsn: (lsn, rows) or (0, None)."""
        img = self._images.get(page)
        if img is not None and img[0] <= read_lsn:
            return img
        return 0, None

    def store_image(self, page: int, lsn: int, rows: pa.Table) -> None:
        """Keep rows as the image of page at lsn (coalescing its hot log up to lsn)."""
        old = self._images.get(page)
        if old is None or old[0] < lsn:
            self._images[page] = (lsn, rows)

    # ------------------------------------------------------------ files
    def load(self) -> ScanReport:
        """Read this segment's file: index valid frames, cut a torn or corrupt tail."""
        assert self._file is not None
        data = self._file.read_all()
        if not data:
            self._file.append(FILE_MAGIC)
            self._file.sync()
            self._file_bytes = len(FILE_MAGIC)
            return ScanReport(0, len(FILE_MAGIC), len(FILE_MAGIC), "clean")
        if data[: len(FILE_MAGIC)] != FILE_MAGIC:
            # The header itself is damaged: nothing in the file can be trusted.
            self._file.truncate(0)
            self._file.append(FILE_MAGIC)
            self._file.sync()
            self._file_bytes = len(FILE_MAGIC)
            return ScanReport(0, 0, len(data), "bad-header")
        chunk = len(self._chunks)
        self._chunks.append(data)
        count, end, status, markers = self.log.add_frames(data, chunk, len(FILE_MAGIC), True, RecordKind.EPOCH)
        if DELIBERATE_BUG_TRUST_TAIL_WITHOUT_CRC and status == _core.SCAN_TORN_TAIL:
            more, more_end, more_status, more_markers = self.log.add_frames(data, chunk, end, False,
                                                                            RecordKind.EPOCH)
            count, end, status, markers = count + more, more_end, more_status, markers + more_markers
        for offset in markers:
            point, epoch = decode_truncation(data[offset + _HDR : offset + _HDR + 16])
            self.truncations.add((point, epoch))
        if status != _core.SCAN_CLEAN:
            # Never trust bytes after the first bad frame; peers hold the records.
            self._file.truncate(end)
        self._file_bytes = end
        return ScanReport(count, end, len(data), _STATUS[status])

    def apply_truncations(self, truncations: set[tuple[int, int]]) -> None:
        """Apply every recorded truncation (this segment may have missed some while down)."""
        for point, epoch in sorted(truncations | self.truncations, key=lambda t: t[1]):
            self.log.truncate(point, epoch)
        self.truncations |= truncations
        self.complete_lsn = self.log.complete_lsn(0)

    def verify(self) -> None:
        """Re-check every frame's checksum (scrub); raises CorruptionError on a bad one."""
        for position in range(len(self.log)):
            frame = self.frame(position)
            probe = _core.LogIndex()
            _, _, status, _ = probe.add_frames(frame, 0, 0, True, -1)
            if status != _core.SCAN_CLEAN:
                raise CorruptionError(f"segment {self.pg_index}/{self.index}: record at position {position} fails its checksum")

    def close(self) -> None:
        """Release the file."""
        if self._file is not None:
            self._file.close()
