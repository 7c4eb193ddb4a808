"""Group commit for on-disk volumes: one thread syncs many appends at once.

Committers append frames to segment files under the volume lock and leave
(segment, part) notes here. The flusher takes every note that has piled up,
syncs each touched segment file once (outside the lock, so committers go on
appending), then acknowledges all of those parts to the quorum tracker. With
N committers waiting, one round of syncs serves them all.

Left alone, committers fall into cohorts: those woken by one round append
while the next round is already syncing. So a round that starts with fewer
appends than recent rounds carried waits a little (never longer than the
last sync took) for the rest: the adaptive delay of MySQL's
binlog_group_commit_sync_delay / PostgreSQL's commit_delay.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .errors import StorageIOError
from .segment import Segment


class GroupCommitFlusher:
    """A daemon thread that syncs segment files and acknowledges what they hold."""

    def __init__(self, lock: threading.Condition, acknowledge: Callable[[list[tuple[Segment, int]]], None],
                 on_failure: Callable[[Segment, StorageIOError], None]) -> None:
        self._cond = lock
        self._acknowledge = acknowledge
        self._on_failure = on_failure
        self._notes: list[tuple[Segment, int]] = []
        self._groups = 0  # appends whose notes are waiting
        self._recent_groups: deque[int] = deque(maxlen=16)
        self._last_sync_s = 0.0
        self._wake = threading.Condition(threading.Lock())
        self._stopping = False
        self.rounds = 0
        self._pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="aurora-lite-sync")
        self._thread = threading.Thread(target=self._run, name="aurora-lite-flusher", daemon=True)
        self._thread.start()

    def note(self, notes: list[tuple[Segment, int]]) -> None:
        """Ask for each (segment, part_id): sync the segment, then acknowledge the part for it."""
        with self._wake:
            self._notes.extend(notes)
            self._groups += 1
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._notes and not self._stopping:
                    self._wake.wait()
                if not self._notes and self._stopping:
                    return
                target = max(self._recent_groups, default=1)
                deadline = time.monotonic() + min(self._last_sync_s, 0.0005)
                while self._groups < target and not self._stopping:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._wake.wait(remaining)
                notes, self._notes = self._notes, []
                self._recent_groups.append(self._groups)
                self._groups = 0
            started = time.monotonic()
            segments = list({id(s): s for s, _ in notes}.values())
            # Six files on six "nodes": sync them side by side, as storage nodes would.
            errors = list(self._pool.map(_sync, segments))
            synced = {id(s) for s, e in zip(segments, errors) if e is None}
            for segment, error in zip(segments, errors):
                if error is not None:
                    # A segment whose disk fails stops counting toward quorum.
                    with self._cond:
                        self._on_failure(segment, error)
            self._last_sync_s = time.monotonic() - started
            with self._cond:
                self._acknowledge([(s, p) for s, p in notes if id(s) in synced])
            self.rounds += 1

    def stop(self) -> None:
        """Sync what is pending, then end the thread."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join()
        self._pool.shutdown()


def _sync(segment: Segment) -> StorageIOError | None:
    try:
        segment.sync()
    except StorageIOError as exc:
        return exc
    return None
