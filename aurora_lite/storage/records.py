"""Redo record value objects: what the writer sends and what segments hold."""
from __future__ import annotations

import enum
import struct

import attrs


class RecordKind(enum.IntEnum):
    """What a redo record does; stored as one byte in its frame."""

    ROW_UPSERT = 1      # payload: Arrow IPC batch of full row images
    ROW_DELETE = 2      # payload: Arrow IPC batch of keys (full images for keyless tables)
    TRUNCATE = 3        # payload: empty; drops every row of the page
    DDL = 4             # payload: engine-defined catalog change
    SEQUENCE = 5        # payload: engine-defined sequence / auto-increment state
    COMMIT = 6          # payload: commit timestamp; a consistency point (CPL)
    EPOCH = 7           # payload: truncation point; volume recovery marker
    ROW_INSERT = 8      # payload: as ROW_UPSERT, rows whose keys the table did not hold (a plain INSERT)


@attrs.frozen(slots=True)
class RedoRecord:
    """A change to one page, before the volume gives it an LSN."""

    page: int
    kind: RecordKind
    payload: bytes = b""


@attrs.frozen(slots=True)
class LoggedRecord:
    """A redo record as the volume holds it: with its LSN, back-link, transaction and epoch."""

    lsn: int
    prev_lsn: int
    page: int
    txn: int
    epoch: int
    kind: RecordKind
    payload: bytes


_COMMIT = struct.Struct("<d")
_EPOCH = struct.Struct("<QI")


def encode_commit_time(commit_time: float) -> bytes:
    """COMMIT payload for a POSIX timestamp."""
    return _COMMIT.pack(commit_time)


def decode_commit_time(payload: bytes) -> float:
    """POSIX timestamp of a COMMIT payload."""
    return _COMMIT.unpack_from(payload)[0]


def encode_truncation(point: int, epoch: int) -> bytes:
    """EPOCH payload: records above point from epochs before epoch are void."""
    return _EPOCH.pack(point, epoch)


def decode_truncation(payload: bytes) -> tuple[int, int]:
    """(point, epoch) of an EPOCH payload."""
    return _EPOCH.unpack_from(payload)
