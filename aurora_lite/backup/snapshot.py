"""Manual snapshots: a cluster's state at one LSN, kept until deleted, independent of its source.

A snapshot of an in-memory cluster shares the source volume's records up to
its LSN (copy-on-write: the records are immutable, and the reference keeps
them alive after the source closes). A snapshot of a durable cluster is a
compacted, self-contained volume under ``<cluster path>/snapshots/<name>``.
Both are taken at VDL while writes go on: nothing stops.
"""
from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..dbapi.exceptions import OperationalError, ProgrammingError
from ..storage.base import VolumeBase
from ..storage.errors import StorageError
from ..storage.files import FileSystem
from ..storage.volume import Volume
from .compact import compact_into
from .history import as_datetime

if TYPE_CHECKING:
    from ..cluster import Cluster

SNAPSHOT_DIR = "snapshots"


@attrs.frozen
class Snapshot:
    """A manual DB cluster snapshot."""

    name: str
    lsn: int                         # the source's VDL when it was taken
    time: datetime.datetime          # the source's clock then
    engine: str
    source: str                      # the source cluster's name
    database: str
    master_user: str
    base: VolumeBase | None = attrs.field(default=None, repr=False, eq=False)
    path: Path | None = None         # durable snapshots: a compacted volume here

    def state(self) -> tuple[Volume, int]:
        """The volume holding the snapshot's state, and the LSN of that state in it."""
        if self.base is not None:
            return self.base.volume, self.base.lsn
        assert self.path is not None
        try:
            # Fix: Volume.open recovers (new epoch in volume.json, EPOCH markers appended to every
            # segment file), so restoring used to write into the snapshot and kept its files open.
            # Opened through a copy-on-write file layer, the snapshot's files are only read.
            volume = Volume.open(self.path, file_system=_ReadOnlyFileSystem())
        except StorageError as exc:
            # Fix: a deleted or damaged snapshot reached the user as a raw StorageError.
            raise ProgrammingError(f"DBClusterSnapshotNotFound: snapshot {self.name!r} cannot be read from "
                                   f"{self.path}: {exc}") from None
        return volume, volume.vdl

    def describe(self) -> dict[str, Any]:
        """What cluster.json keeps of a durable snapshot."""
        return {"name": self.name, "lsn": self.lsn, "time": self.time.timestamp(), "engine": self.engine,
                "source": self.source, "database": self.database, "master_user": self.master_user,
                "path": str(self.path)}

    @classmethod
    def from_description(cls, raw: dict[str, Any]) -> Snapshot:
        """A durable snapshot from its cluster.json entry."""
        return cls(raw["name"], raw["lsn"], as_datetime(raw["time"]), raw["engine"], raw["source"],
                   raw["database"], raw["master_user"], path=Path(raw["path"]))


def create_snapshot(cluster: Cluster, name: str) -> Snapshot:
    """Take a snapshot of cluster at its current VDL."""
    if not name or not isinstance(name, str):
        raise ProgrammingError("a snapshot needs a non-empty name")
    if len(name) > 255 or name in (".", "..") or any(c in name for c in "/\\\0"):
        # Fix: the name is a directory under <path>/snapshots; "../x" or "a/b" wrote elsewhere.
        raise ProgrammingError(f"InvalidParameterValue: {name!r} is not a valid snapshot identifier "
                               "(at most 255 characters, no path separators)")
    if any(s.name == name for s in cluster.snapshots):
        raise ProgrammingError(f"DBClusterSnapshotAlreadyExists: a snapshot named {name!r} already exists")
    volume = cluster.volume
    lsn = volume.vdl
    now = cluster.clock()
    common = dict(name=name, lsn=lsn, time=as_datetime(now), engine=cluster.engine, source=cluster.name,
                  database=cluster.database, master_user=cluster.master_user)
    if cluster.path is None:
        return Snapshot(**common, base=VolumeBase(volume, lsn))
    target_dir = cluster.path / SNAPSHOT_DIR / name
    if target_dir.exists():
        raise ProgrammingError(f"DBClusterSnapshotAlreadyExists: {target_dir} exists")
    target = Volume(target_dir, fsync="never")
    try:
        compact_into(volume, lsn, target, now)
        for pg in target.protection_groups:
            for segment in pg.segments:
                segment.sync()
    except StorageError as exc:
        # Fix (found by aurora_lite.sim, seed 243): with no segment of a protection group complete
        # to VDL the volume's QuorumUnavailableError reached the user raw, and the half-written
        # snapshot directory made every retry fail with "already exists".
        target.close()
        shutil.rmtree(target_dir, ignore_errors=True)
        raise OperationalError(f"the snapshot {name!r} cannot be taken now: the cluster volume cannot be "
                               f"read ({exc})") from None
    finally:
        target.close()
    return Snapshot(**common, path=target_dir)


class _MemoryFile:
    """A segment file read once from disk; later writes stay in memory (see _ReadOnlyFileSystem)."""

    def __init__(self, data: bytes) -> None:
        self._data = bytearray(data)

    def append(self, data: bytes) -> None:
        self._data += data

    def sync(self) -> None:
        pass

    def read_all(self) -> bytes:
        return bytes(self._data)

    def truncate(self, size: int) -> None:
        del self._data[size:]

    def size(self) -> int:
        return len(self._data)

    def close(self) -> None:
        self._data = bytearray()


class _ReadOnlyFileSystem(FileSystem):
    """Reads a durable snapshot's files; what opening it writes (recovery) stays in memory.

    The opened volume keeps every record in memory anyway, so nothing it serves
    depends on the files afterwards: the snapshot stays byte-for-byte as taken,
    and no file descriptor outlives the open.
    """

    def __init__(self) -> None:
        self._written: dict[Path, bytes] = {}

    def open_segment(self, path: Path) -> _MemoryFile:  # type: ignore[override]
        return _MemoryFile(self.read(path) if path.exists() else b"")

    def write_atomic(self, path: Path, data: bytes) -> None:
        self._written[path] = data

    def read(self, path: Path) -> bytes:
        if path in self._written:
            return self._written[path]
        return super().read(path)

    def makedirs(self, path: Path) -> None:
        pass
