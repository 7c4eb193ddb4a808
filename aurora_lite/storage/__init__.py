"""The cluster volume: protection groups × six segments, quorum writes, VCL/VDL, recovery.

| module              | role                                                     |
|---------------------|----------------------------------------------------------|
| records.py          | redo record value objects and small payload codecs       |
| rows.py             | Arrow row payloads and applying them to a page           |
| segment.py          | one segment: hot log, page images, its file              |
| protection_group.py | six segments over three AZs, read routing, gossip        |
| volume.py           | LSN allocation, quorum writes, VCL/VDL, reads, faults    |
| flusher.py          | group commit for on-disk volumes                         |
| recovery.py         | find the durable point, truncate above VDL, new epoch    |
| files.py            | the file layer (swappable for fault injection)           |
"""
from __future__ import annotations

from .errors import CorruptionError, QuorumUnavailableError, StorageError, StorageIOError, VolumeClosedError
from .protection_group import AZS, ProtectionGroup
from .records import LoggedRecord, RecordKind, RedoRecord
from .recovery import RecoveryReport
from .segment import ScanReport, Segment
from .volume import Volume

__all__ = [
    "AZS", "CorruptionError", "LoggedRecord", "ProtectionGroup", "QuorumUnavailableError", "RecordKind",
    "RecoveryReport", "RedoRecord", "ScanReport", "Segment", "StorageError", "StorageIOError", "Volume",
    "VolumeClosedError",
]
