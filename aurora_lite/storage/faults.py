"""A fault-injecting file layer for on-disk volumes (LevelDB's fault-injection Env, SQLite's crash tests).

`FaultyFileSystem` wraps the real `FileSystem` and hands the volume wrapped
segment files. It remembers, per file, how many bytes were durable at the last
sync() and which writes came after it, so a test can:

- simulate a power loss with `crash()`: every file keeps its synced bytes and,
  depending on `unsynced`, none, all, a torn prefix of the last write, or a
  random prefix of the rest; every handle of the crashed process fails from
  then on, so a test reopens the volume with a fresh real `FileSystem`;
- fail the Nth matching operation from now, once or forever, with
  `StorageIOError` (an append may write part of its data first, as a full
  disk does).

Every random choice comes from `random.Random(seed)` and every operation is
numbered and kept in `trace`, so a failing run is reproduced by its seed and
schedule. Durability is what this layer records, so with `real_sync=False` it
skips the real fdatasync/fsync calls (like SQLite's test VFS): tests then run
at memory speed whatever the disk is doing. Thread-safe: the volume's flusher
syncs files from a pool.
"""
from __future__ import annotations

import os
import random
import threading
from collections.abc import Iterable
from pathlib import Path

import attrs

from .errors import StorageIOError
from .files import FileSystem, SegmentFile

OPS = ("open", "append", "sync", "read", "truncate", "size", "write_atomic", "makedirs")
UNSYNCED = ("drop", "keep", "tear", "random")


@attrs.define
class _Rule:
    """Fail the countdown-th matching operation, and every later one when forever."""

    countdown: int
    ops: frozenset[str]
    path_contains: str
    forever: bool
    partial: bool
    armed: bool = True

    def matches(self, op: str, path: Path) -> bool:
        return self.armed and op in self.ops and self.path_contains in path.as_posix()


class FaultyFileSystem(FileSystem):
    """The real file system plus crashes, torn writes and failing operations, driven by a seed."""

    def __init__(self, base: FileSystem | None = None, *, seed: int = 0, real_sync: bool = True) -> None:
        self.base = base or FileSystem()
        self.seed = seed
        self.real_sync = real_sync
        self.rng = random.Random(seed)
        self.ops = 0
        self.failures = 0
        self.crashed = False
        self.trace: list[str] = []
        self._rules: list[_Rule] = []
        self._files: list[FaultySegmentFile] = []
        self._lock = threading.RLock()

    # ------------------------------------------------------------ schedule
    def fail(self, nth: int = 1, *, ops: Iterable[str] = ("append", "sync"), path_contains: str = "",
             forever: bool = False, partial: bool = False) -> None:
        """Fail the nth operation from now whose kind is in ops and whose path contains path_contains.

        With forever, every later matching operation fails too. With partial, a
        failing append first writes a seeded-random strict prefix of its data.
        """
        kinds = frozenset(ops)
        unknown = kinds - set(OPS)
        if unknown or nth < 1:
            raise ValueError(f"nth must be >= 1 and ops among {OPS}; got {nth}, {sorted(unknown)}")
        with self._lock:
            self._rules.append(_Rule(nth, kinds, path_contains, forever, partial))

    def heal(self) -> None:
        """Forget every scheduled failure."""
        with self._lock:
            self._rules.clear()

    def _check(self, op: str, path: Path) -> _Rule | None:
        """Count one operation; return the rule that makes it fail, if any (the caller raises)."""
        with self._lock:
            self.ops += 1
            if self.crashed:
                self.trace.append(f"{self.ops} {op} {_short(path)} after crash")
                raise StorageIOError(f"{op} of {path}: the process crashed (simulated)")
            fired = None
            for rule in self._rules:
                if not rule.matches(op, path):
                    continue
                rule.countdown -= 1
                if rule.countdown <= 0 and fired is None:
                    fired = rule
                    rule.armed = rule.forever
            self.trace.append(f"{self.ops} {op} {_short(path)}{' FAIL' if fired else ''}")
            if fired is not None:
                self.failures += 1
            return fired

    def _fail(self, op: str, path: Path) -> None:
        if self._check(op, path) is not None:
            raise StorageIOError(f"{op} of {path} failed: injected I/O error (op {self.ops})")

    # ------------------------------------------------------------ crash
    def crash(self, *, unsynced: str = "drop", tear_at: int | None = None) -> None:
        """Simulate a power loss: each file keeps its synced bytes, then per unsynced:

        "drop" nothing more; "keep" every unsynced write (only the process died);
        "tear" every unsynced write but the last, and tear_at bytes of the last
        (seeded-random when None); "random" a seeded-random prefix of the
        unsynced bytes. Afterwards every operation through this file system fails.
        """
        if unsynced not in UNSYNCED:
            raise ValueError(f"unsynced must be one of {UNSYNCED}, not {unsynced!r}")
        with self._lock:
            self.crashed = True
            for file in self._files:
                file._lose_unsynced(unsynced, tear_at, self.rng)
            self.trace.append(f"crash unsynced={unsynced} tear_at={tear_at}")

    # ------------------------------------------------------------ FileSystem
    def open_segment(self, path: Path) -> SegmentFile:
        """Open (creating if needed) a segment file, wrapped."""
        self._fail("open", path)
        with self._lock:
            file = FaultySegmentFile(self, self.base.open_segment(path))
            self._files.append(file)
            return file

    def write_atomic(self, path: Path, data: bytes) -> None:
        """Replace path with data durably (a crash keeps the old or the new content: here, the new)."""
        self._fail("write_atomic", path)
        if self.real_sync:
            self.base.write_atomic(path, data)
            return
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            raise StorageIOError(f"cannot write {path}: {exc}") from exc

    def read(self, path: Path) -> bytes:
        """Whole content of a small file."""
        self._fail("read", path)
        return self.base.read(path)

    def makedirs(self, path: Path) -> None:
        """Create a directory and its parents."""
        self._fail("makedirs", path)
        self.base.makedirs(path)

    def files(self) -> list[FaultySegmentFile]:
        """Every segment file opened through this file system, in opening order."""
        with self._lock:
            return list(self._files)


class FaultySegmentFile(SegmentFile):
    """A real segment file that tracks its synced length and unsynced writes for its FaultyFileSystem."""

    def __init__(self, fs: FaultyFileSystem, inner: SegmentFile) -> None:
        # No super().__init__(): the inner file owns the descriptor.
        self._fs = fs
        self._inner = inner
        self.path = inner.path
        self.synced_size = inner.size()  # what is on disk when we open it counts as durable
        self.unsynced: list[int] = []     # lengths of the writes since the last sync, in order
        self.closed = False

    @property
    def size_written(self) -> int:
        """Bytes the process has written: synced plus unsynced."""
        return self.synced_size + sum(self.unsynced)

    def append(self, data: bytes) -> None:
        """Append data; an injected failure may first write part of it."""
        with self._fs._lock:
            rule = self._fs._check("append", self.path)
            if rule is not None:
                if rule.partial and len(data) > 1:
                    cut = self._fs.rng.randrange(1, len(data))
                    self._inner.append(data[:cut])
                    self.unsynced.append(cut)
                raise StorageIOError(f"append to {self.path} failed: injected I/O error (op {self._fs.ops})")
            self._inner.append(data)
            self.unsynced.append(len(data))

    def sync(self) -> None:
        """Make every write so far durable (unless the sync is made to fail)."""
        with self._fs._lock:
            self._fs._fail("sync", self.path)
            if self._fs.real_sync:
                self._inner.sync()
            self.synced_size = self.size_written
            self.unsynced.clear()

    def read_all(self) -> bytes:
        """The whole file."""
        self._fs._fail("read", self.path)
        return self._inner.read_all()

    def truncate(self, size: int) -> None:
        """Cut the file to size bytes, durably."""
        with self._fs._lock:
            self._fs._fail("truncate", self.path)
            if self._fs.real_sync:
                self._inner.truncate(size)
            else:
                try:
                    os.truncate(self.path, size)
                except OSError as exc:
                    raise StorageIOError(f"truncate of {self.path} failed: {exc}") from exc
            self.synced_size = size
            self.unsynced.clear()

    def size(self) -> int:
        """Current length in bytes."""
        self._fs._fail("size", self.path)
        return self._inner.size()

    def close(self) -> None:
        """Release the descriptor (allowed after a crash: the old process lets go of its files)."""
        with self._fs._lock:
            self.closed = True
            self._inner.close()

    def _lose_unsynced(self, unsynced: str, tear_at: int | None, rng: random.Random) -> None:
        """Cut the real file to what survives a power loss (called by crash() under the lock)."""
        pending = sum(self.unsynced)
        if unsynced == "keep" or pending == 0:
            keep = pending
        elif unsynced == "drop":
            keep = 0
        elif unsynced == "tear":
            last = self.unsynced[-1]
            torn = rng.randrange(last) if tear_at is None else max(0, min(tear_at, last))
            keep = pending - last + torn
        else:
            keep = rng.randint(0, pending)
        if keep < pending:
            with open(self.path, "r+b") as f:
                f.truncate(self.synced_size + keep)
        self.synced_size += keep
        self.unsynced.clear()


def _short(path: Path) -> str:
    return "/".join(path.parts[-2:])
