"""The storage layer's own errors; the dbapi layer translates them for users."""
from __future__ import annotations


class StorageError(Exception):
    """Base of every error the cluster volume raises."""


class QuorumUnavailableError(StorageError):
    """A write could not reach 4 of 6 segments (or a read 3 of 6) within its timeout."""


class CorruptionError(StorageError):
    """A log holds a record that fails its checksum before its tail."""


class VolumeClosedError(StorageError):
    """The volume was closed, or fenced by a newer epoch."""


class StorageIOError(StorageError):
    """The file layer failed (EIO, ENOSPC, ...) while persisting or reading a segment."""
