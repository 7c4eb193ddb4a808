"""A protection group: six segments, two in each of three AZs, holding a range of pages.

The group knows its segments, the LSN ranges of the batch parts written to it
(to tell which segment is complete for a read point) and runs gossip between
its segments. Guarded by the volume lock.
"""
from __future__ import annotations

from array import array
from bisect import bisect_right

from .errors import QuorumUnavailableError
from .segment import Segment

AZS = ("az-a", "az-b", "az-c")
SEGMENTS_PER_PG = 6
WRITE_QUORUM = 4
READ_QUORUM = 3


def az_of(segment_index: int) -> str:
    """The AZ of a segment: segments 0-1 in az-a, 2-3 in az-b, 4-5 in az-c."""
    return AZS[segment_index // 2]


class ProtectionGroup:
    """Six segments replicating the log of pages [first_page, first_page + pages)."""

    def __init__(self, index: int, first_page: int, pages: int, segments: list[Segment]) -> None:
        assert len(segments) == SEGMENTS_PER_PG
        self.index = index
        self.first_page = first_page
        self.pages = pages
        self.segments = segments
        # LSN ranges of the parts written here, in order; a read point needs the
        # last part at or below it, so this is how "complete to R" is decided.
        self._part_first = array("Q")
        self._part_last = array("Q")
        self.reads = 0
        self.membership_epoch = 1        # moves on every membership change (storage/membership.py)
        self.retired: list[Segment] = []  # replaced segments: fenced, kept only for inspection

    def __repr__(self) -> str:
        up = sum(s.available for s in self.segments)
        return f"<ProtectionGroup {self.index} pages {self.first_page}..{self.first_page + self.pages - 1} {up}/6 up>"

    @property
    def tail_lsn(self) -> int:
        """Last LSN written to this group (0 if none)."""
        return self._part_last[-1] if self._part_last else 0

    def available_segments(self) -> list[Segment]:
        """Segments that accept reads and writes now."""
        return [s for s in self.segments if s.available]

    def note_part(self, first_lsn: int, last_lsn: int) -> None:
        """Remember that a batch part with this LSN range was sent to the group."""
        self._part_first.append(first_lsn)
        self._part_last.append(last_lsn)

    def needed_lsn(self, read_lsn: int) -> int:
        """The LSN a segment must be complete to, to serve a read at read_lsn."""
        i = bisect_right(self._part_first, read_lsn)
        if i == 0:
            return 0
        # A part never straddles a commit point, so its end is at or below read_lsn
        # for any consistent read point; for other points, demand the whole part.
        return self._part_last[i - 1]

    def read_segment(self, read_lsn: int) -> Segment:
        """One available segment complete to read_lsn (not a quorum read)."""
        needed = self.needed_lsn(read_lsn)
        for segment in self.segments:
            if segment.available and segment.complete_lsn >= needed:
                self.reads += 1
                return segment
        raise QuorumUnavailableError(
            f"protection group {self.index}: no available segment is complete to LSN {read_lsn}"
        )

    def truncate_parts(self, point: int) -> None:
        """Forget parts above point (recovery truncation)."""
        while self._part_first and self._part_first[-1] > point:
            self._part_first.pop()
            self._part_last.pop()

    def reset_parts(self, tail_lsn: int) -> None:
        """After recovery every live segment holds the whole chain: one part up to tail_lsn."""
        self._part_first = array("Q", [1] if tail_lsn else [])
        self._part_last = array("Q", [tail_lsn] if tail_lsn else [])

    def repair(self, segment: Segment, upto: int) -> int:
        """Gossip: fill segment's gaps up to upto from every available peer; returns records copied."""
        copied = 0
        for peer in self.segments:
            if peer is not segment and peer.available:
                copied += segment.receive(peer, upto)
        return copied
