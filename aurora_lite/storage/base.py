"""A read-only prefix of another volume that a clone, restore or backtrack starts from.

Copy-on-write at the volume level: a volume with a base holds only the
records written after it was created (LSNs above `base.lsn`); reads of
anything older go to the base volume, which keeps its data alive for as
long as something references it, even after its cluster is closed. The
base never changes below `lsn`: a volume only truncates above its VDL, and
`lsn` was at or below VDL when the base was taken.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import pyarrow as pa

    from .records import LoggedRecord
    from .volume import Volume


@attrs.frozen
class VolumeBase:
    """The records of `volume` up to `lsn`, shared read-only."""

    volume: Volume
    lsn: int

    def read_log(self, after_lsn: int, upto_lsn: int, **filters: object) -> list[LoggedRecord]:
        """The base's records with after_lsn < lsn <= min(upto_lsn, lsn)."""
        upto = min(upto_lsn, self.lsn)
        if after_lsn >= upto:
            return []
        return self.volume.read_log(after_lsn, upto, **filters)

    def pages(self, first_page: int, end_page: int, upto_lsn: int) -> list[int]:
        """Pages in [first_page, end_page) the base has records for at or below upto_lsn."""
        return self.volume.pages(first_page, end_page, min(upto_lsn, self.lsn))

    def materialize_page(self, page: int, upto_lsn: int) -> pa.Table | None:
        """Rows of one page as of min(upto_lsn, lsn)."""
        return self.volume.materialize(page, page + 1, min(upto_lsn, self.lsn))
