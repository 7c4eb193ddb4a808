"""The file layer: every byte an on-disk volume reads or writes goes through here.

Tests and the simulator swap the real `FileSystem` for a faulty one (torn or
dropped unsynced writes, failing operations) without touching the volume.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from .errors import StorageIOError


class SegmentFile:
    """An append-only file holding one segment's log. Not thread-safe for appends;
    sync() may run concurrently with append() (the group-commit flusher does).

    With `defer_writes` (set by volumes that sync before acknowledging), append()
    only queues its bytes and sync() writes the queue with one writev before the
    fdatasync: committers then never wait for the disk under the volume lock, and
    one system call carries a whole group commit. A failed deferred write cuts
    the file back to what was written before it, so nothing follows garbage.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.defer_writes = False
        self._pending: list[bytes] = []
        self._pending_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise StorageIOError(f"cannot open segment file {path}: {exc}") from exc

    def append(self, data: bytes) -> None:
        """Append data at the end of the file (not yet durable)."""
        if self.defer_writes:
            with self._pending_lock:
                self._pending.append(data)
            return
        self._write(data)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            raise StorageIOError(f"write to {self.path} failed: {exc}") from exc

    def sync(self) -> None:
        """Make every appended byte durable."""
        with self._sync_lock:  # queued bytes reach the file in the order they were appended
            with self._pending_lock:
                pending, self._pending = self._pending, []
            if pending:
                before = os.fstat(self._fd).st_size
                try:
                    self._write(b"".join(pending) if len(pending) > 1 else pending[0])
                except StorageIOError:
                    try:
                        os.ftruncate(self._fd, before)
                    except OSError:
                        pass
                    raise
            try:
                os.fdatasync(self._fd)
            except OSError as exc:
                raise StorageIOError(f"fdatasync of {self.path} failed: {exc}") from exc

    def read_all(self) -> bytes:
        """The whole file."""
        self._flush_pending()
        try:
            size = os.fstat(self._fd).st_size
            return os.pread(self._fd, size, 0)
        except OSError as exc:
            raise StorageIOError(f"read of {self.path} failed: {exc}") from exc

    def truncate(self, size: int) -> None:
        """Cut the file to size bytes, durably."""
        self._flush_pending()
        try:
            os.ftruncate(self._fd, size)
            os.fsync(self._fd)
        except OSError as exc:
            raise StorageIOError(f"truncate of {self.path} failed: {exc}") from exc

    def size(self) -> int:
        """Current length in bytes (queued bytes included)."""
        with self._pending_lock:
            queued = sum(len(p) for p in self._pending)
        return os.fstat(self._fd).st_size + queued

    def _flush_pending(self) -> None:
        with self._sync_lock:
            with self._pending_lock:
                pending, self._pending = self._pending, []
            for data in pending:
                self._write(data)

    def close(self) -> None:
        """Release the descriptor (queued bytes are written first, not synced)."""
        if self._fd >= 0:
            try:
                self._flush_pending()
            except StorageIOError:
                pass  # never acknowledged: losing them is allowed
            os.close(self._fd)
            self._fd = -1


class FileSystem:
    """The real file system."""

    def open_segment(self, path: Path) -> SegmentFile:
        """Open (creating if needed) a segment file."""
        return SegmentFile(path)

    def write_atomic(self, path: Path, data: bytes) -> None:
        """Replace path with data so that a crash leaves either the old or the new content."""
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise StorageIOError(f"cannot write {path}: {exc}") from exc

    def read(self, path: Path) -> bytes:
        """Whole content of a small file."""
        try:
            return path.read_bytes()
        except OSError as exc:
            raise StorageIOError(f"cannot read {path}: {exc}") from exc

    def makedirs(self, path: Path) -> None:
        """Create a directory and its parents."""
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageIOError(f"cannot create {path}: {exc}") from exc
