"""Aurora Replicas: a reader follows the volume's redo stream up to VDL, whole commits at a time.

A replica's follower thread waits for VDL to move, reads the new records
(LSN order, one complete segment per protection group) and applies them
to the reader's DuckDB catalog inside ONE DuckDB transaction per batch of
commits, so a reader session sees LSN prefixes that end at a commit and
never goes back. Consecutive upserts of a keyed table are merged into one
Arrow batch (last image per key wins) before they reach DuckDB.

Replica lag is measured, not assumed: the writer notes the wall time at
which each commit LSN was handed to the volume (`CommitTimes`); a replica
records, for every commit it applies, how long after that it became visible.
"""
from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from ..storage.errors import StorageError
from ..storage.records import LoggedRecord, RecordKind
from ..storage.rows import decode_rows
from . import duck
from .apply import apply_ddl, apply_rows
from .catalog import CATALOG_PAGES, DdlChange, TableInfo, decode_sequence

if TYPE_CHECKING:
    from .instance import Instance

LAG_SAMPLES = 10_000


class CommitTimes:
    """Wall-clock time at which each recent commit LSN left the writer. Thread-safe."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._lsns: deque[int] = deque(maxlen=capacity)
        self._times: deque[float] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def record(self, lsn: int, at: float) -> None:
        """Note that commit lsn was handed to the volume at wall time `at`."""
        with self._lock:
            self._lsns.append(lsn)
            self._times.append(at)

    def between(self, after_lsn: int, upto_lsn: int) -> list[float]:
        """Times of commits with after_lsn < lsn <= upto_lsn still remembered."""
        with self._lock:
            lsns = list(self._lsns)
            lo = bisect.bisect_right(lsns, after_lsn)
            hi = bisect.bisect_right(lsns, upto_lsn)
            return list(self._times)[lo:hi]

    def oldest_after(self, lsn: int) -> float | None:
        """Time of the first commit above lsn, if remembered."""
        with self._lock:
            i = bisect.bisect_right(list(self._lsns), lsn)
            return self._times[i] if i < len(self._times) else None


class Follower:
    """The thread that keeps one reader instance up to date with VDL."""

    def __init__(self, instance: Instance, commit_times: CommitTimes) -> None:
        self.instance = instance
        self.commit_times = commit_times
        self.lag_samples: deque[float] = deque(maxlen=LAG_SAMPLES)
        self._running = threading.Event()
        self._running.set()  # cleared = replication paused
        self._stop = False
        self._applied = threading.Condition()
        self.error: BaseException | None = None
        self._cursor = duck.cursor(instance.catalog_name)
        self._thread = threading.Thread(target=self._run, name=f"aurora-lite-follow-{instance.identifier}",
                                        daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ control
    def pause(self) -> None:
        """Stop applying (reads on this replica go stale) until resume()."""
        self._running.clear()

    def resume(self) -> None:
        """Apply again."""
        self._running.set()

    @property
    def paused(self) -> bool:
        """True while replication is paused."""
        return not self._running.is_set()

    def stop(self) -> None:
        """End the thread (instance removal, promotion, cluster close)."""
        self._stop = True
        self._running.set()
        self._thread.join(timeout=10)
        self._cursor.close()

    def wait_for(self, lsn: int, timeout_s: float) -> bool:
        """Block until the replica applied lsn; False on timeout."""
        with self._applied:
            return self._applied.wait_for(lambda: self.instance.applied_lsn >= lsn or self._stop, timeout_s)

    # ------------------------------------------------------------ the loop
    def _run(self) -> None:
        volume = self.instance.volume
        while not self._stop:
            self._running.wait()
            if self._stop:
                return
            applied = self.instance.applied_lsn
            try:
                vdl = volume.wait_beyond(applied, 0.05)
                if volume.closed:
                    return
                if not self._running.is_set() or vdl <= applied:
                    continue
                self._apply(applied, vdl)
            except StorageError as exc:
                if volume.closed:
                    return
                self.error = exc  # e.g. no complete segment right now: try again on the next turn
            except Exception as exc:  # a replica that cannot apply is broken: report, do not spin
                self.error = exc
                self.instance.fail(f"replication stopped: {exc!r}")
                return

    def _apply(self, applied: int, vdl: int) -> None:
        records = self.instance.volume.read_log(applied, vdl)
        last_commit = max((r.lsn for r in records if r.kind == RecordKind.COMMIT), default=applied)
        batch = [r for r in records if r.lsn <= last_commit]
        if not batch:
            return
        apply_records(self._cursor, self.instance, batch)
        done = time.time()
        for committed_at in self.commit_times.between(applied, last_commit):
            self.lag_samples.append(max(0.0, done - committed_at))
        with self._applied:
            self.instance.applied_lsn = last_commit
            self._applied.notify_all()

    def lag_seconds(self) -> float:
        """Seconds the replica is behind: age of the oldest commit it has not applied (0 if caught up)."""
        applied = self.instance.applied_lsn
        if applied >= self.instance.volume.vdl:
            return 0.0
        oldest = self.commit_times.oldest_after(applied)
        return max(0.0, time.time() - oldest) if oldest is not None else 0.0


def apply_records(cursor, instance: Instance, records: list[LoggedRecord]) -> None:
    """Apply committed records to instance's catalog in one DuckDB transaction."""
    catalog = instance.catalog
    with instance.apply_lock:
        cursor.execute("BEGIN TRANSACTION")
        try:
            pending: list[LoggedRecord] = []  # a run of upserts to one keyed table
            for record in records:
                if pending and not _extends(pending, record):
                    _flush(cursor, catalog_table(catalog, pending[0].page), pending)
                    pending = []
                if record.page < CATALOG_PAGES:
                    if record.kind == RecordKind.DDL:
                        apply_ddl(cursor, catalog, DdlChange.decode(record.payload))
                    elif record.kind == RecordKind.SEQUENCE:
                        name, value = decode_sequence(record.payload)
                        catalog.note_sequence(name, value)
                        cursor.execute("SELECT setval(?, ?)", [name, value]).fetchall()
                    continue
                if record.kind == RecordKind.COMMIT:
                    continue
                info = catalog_table(catalog, record.page)
                if info is None:
                    continue  # rows of a table dropped later in this batch
                if record.kind == RecordKind.ROW_UPSERT and info.key:
                    pending.append(record)
                else:
                    apply_rows(cursor, info, record.kind,
                               decode_rows(record.payload) if record.payload else None)
            if pending:
                _flush(cursor, catalog_table(catalog, pending[0].page), pending)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise


def catalog_table(catalog, page: int) -> TableInfo | None:
    """The table owning a page, if it exists in catalog."""
    for info in catalog.tables.values():
        if info.page == page:
            return info
    return None


def _extends(run: list[LoggedRecord], record: LoggedRecord) -> bool:
    return record.kind == RecordKind.ROW_UPSERT and record.page == run[0].page or record.kind == RecordKind.COMMIT


def _flush(cursor, info: TableInfo | None, run: list[LoggedRecord]) -> None:
    if info is None:
        return
    tables = [decode_rows(r.payload) for r in run]
    rows = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="permissive")
    if len(tables) > 1:
        # INSERT OR REPLACE refuses a key twice in one statement: keep each key's last image.
        positions = pa.arange(0, rows.num_rows)
        indexed = rows.append_column("__aurora_pos", positions)
        last = indexed.group_by(list(info.key), use_threads=False).aggregate([("__aurora_pos", "max")])
        rows = rows.filter(pc.is_in(positions, value_set=last["__aurora_pos_max"]))
    apply_rows(cursor, info, RecordKind.ROW_UPSERT, rows)
