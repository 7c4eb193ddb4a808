"""A self-contained copy of a volume's state at an LSN, in one commit.

Catalog records (DDL, sequence states) are copied in LSN order; every row
page becomes one upsert of its materialised rows. The copy needs nothing
from its source afterwards: this is how snapshots of durable clusters, and
restores or clones into a path, stand on their own.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..storage.records import RecordKind, RedoRecord
from ..storage.rows import encode_rows, key_of

if TYPE_CHECKING:
    from ..storage.volume import Volume

_CATALOG_KINDS = (RecordKind.DDL, RecordKind.SEQUENCE)


def compact_into(source: Volume, lsn: int, target: Volume, commit_time: float) -> int:
    """Write source's state at lsn into the empty target as one durable commit; returns its LSN."""
    records = [RedoRecord(r.page, r.kind, r.payload)
               for r in source.read_log(0, lsn, kinds=_CATALOG_KINDS)]
    for page in source.pages(0, 2**63, lsn):
        rows = source.materialize(page, page + 1, lsn)
        if rows is not None and rows.num_rows:
            records.append(RedoRecord(page, RecordKind.ROW_UPSERT, encode_rows(rows, key_of(rows.schema))))
    return target.commit(records, commit_time=commit_time, timeout_s=60.0)
