"""The file layer: every byte an on-disk volume reads or writes goes through here.

Tests and the simulator swap the real `FileSystem` for a faulty one (torn or
dropped unsynced writes, failing operations) without touching the volume.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import StorageIOError


class SegmentFile:
    """An append-only file holding one segment's log. Not thread-safe for appends;
    sync() may run concurrently with append() (the group-commit flusher does)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise StorageIOError(f"cannot open segment file {path}: {exc}") from exc

    def append(self, data: bytes) -> None:
        """Append data at the end of the file (not yet durable)."""
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            raise StorageIOError(f"write to {self.path} failed: {exc}") from exc

    def sync(self) -> None:
        """Make every appended byte durable."""
        try:
            os.fdatasync(self._fd)
        except OSError as exc:
            raise StorageIOError(f"fdatasync of {self.path} failed: {exc}") from exc

    def read_all(self) -> bytes:
        """The whole file."""
        try:
            size = os.fstat(self._fd).st_size
            return os.pread(self._fd, size, 0)
        except OSError as exc:
            raise StorageIOError(f"read of {self.path} failed: {exc}") from exc

    def truncate(self, size: int) -> None:
        """Cut the file to size bytes, durably."""
        try:
            os.ftruncate(self._fd, size)
            os.fsync(self._fd)
        except OSError as exc:
            raise StorageIOError(f"truncate of {self.path} failed: {exc}") from exc

    def size(self) -> int:
        """Current length in bytes."""
        return os.fstat(self._fd).st_size

    def close(self) -> None:
        """Release the descriptor."""
        if self._fd >= 0:
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
