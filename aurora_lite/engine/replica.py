"""Aurora Replicas: a reader follows the volume's redo stream up to VDL, whole commits at a time.

A replica's follower thread waits for VDL to move, reads the new records
(LSN order, one complete segment per protection group) and applies them
to the reader's DuckDB catalog inside ONE DuckDB transaction per batch of
commits, so a reader session sees LSN prefixes that end at a commit and
never goes back. The upserts of one table in a batch are merged into one
Arrow batch (last image per key wins) before they reach DuckDB; see
`_apply_locked` for when runs of different tables may be reordered.

Replica lag is measured, not assumed: the writer notes the wall time at
which each commit LSN was handed to the volume (`CommitTimes`); a replica
records, for every commit it applies, how long after that it became visible.
"""
from __future__ import annotations

import bisect
import itertools
import threading
import time
import weakref
from collections import deque
from typing import TYPE_CHECKING

import duckdb
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

# Deliberate bug for aurora_lite.sim's tests of itself (never set outside them): replicas follow
# the log up to the last LSN written instead of VDL, so they show writes that are not durable.
DELIBERATE_BUG_APPLY_ABOVE_VDL = False


class CommitTimes:
    """Wall-clock time at which each recent commit LSN left the writer. Thread-safe."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._lsns: deque[int] = deque(maxlen=capacity)
        self._times: deque[float] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def record(self, lsn: int, at: float) -> None:
        """Note that commit lsn was handed to the volume at wall time `at`."""
        with self._lock:
            # Fix: after a recovery truncated the log, LSNs above the new VDL are handed out
            # again; forget the void ones so the LSNs stay sorted for bisect.
            while self._lsns and self._lsns[-1] >= lsn:
                self._lsns.pop()
                self._times.pop()
            self._lsns.append(lsn)
            self._times.append(at)

    def reset(self) -> None:
        """Forget every commit (the cluster moved to a volume with other LSNs)."""
        with self._lock:
            self._lsns.clear()
            self._times.clear()

    def between(self, after_lsn: int, upto_lsn: int) -> list[float]:
        """Times of commits with after_lsn < lsn <= upto_lsn still remembered."""
        with self._lock:
            # Fix: bisect the deques in place; copying up to 100,000 entries on every apply
            # and every replica_lag read cost milliseconds under the lock the writer needs.
            lo = bisect.bisect_right(self._lsns, after_lsn)
            hi = bisect.bisect_right(self._lsns, upto_lsn)
            return list(itertools.islice(self._times, lo, hi))

    def oldest_after(self, lsn: int) -> float | None:
        """Time of the first commit above lsn, if remembered."""
        with self._lock:
            i = bisect.bisect_right(self._lsns, lsn)
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

    def stop(self, wait: bool = True) -> None:
        """End the thread (instance removal, promotion, cluster close); no apply starts after this returns.

        An apply runs under the instance's apply_lock and checks _stop first, so
        taking the lock once guarantees that. With wait, also join the thread
        (it may sleep up to 50 ms in wait_beyond); its cursor is closed by the
        thread itself. Fix: a promotion waited for that join before every
        planned failover; it now passes wait=False and the cluster joins the
        thread later.
        """
        self._stop = True
        self._running.set()
        with self.instance.apply_lock:
            pass
        if wait:
            self.join()

    @property
    def finished(self) -> bool:
        """True once the thread has ended."""
        return not self._thread.is_alive()

    def join(self, timeout_s: float = 10.0) -> None:
        """Wait for the thread to end (after stop)."""
        if self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    def wait_for(self, lsn: int, timeout_s: float) -> bool:
        """Block until the replica applied lsn; False on timeout."""
        with self._applied:
            return self._applied.wait_for(lambda: self.instance.applied_lsn >= lsn or self._stop, timeout_s)

    # ------------------------------------------------------------ the loop
    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self._cursor.close()

    def _loop(self) -> None:
        volume = self.instance.volume
        while not self._stop:
            self._running.wait()
            if self._stop:
                return
            applied = self.instance.applied_lsn
            try:
                vdl = volume.wait_beyond(applied, 0.05)
                if DELIBERATE_BUG_APPLY_ABOVE_VDL:
                    vdl = max(vdl, volume.last_lsn)
                if volume.closed:
                    return
                if not self._running.is_set() or vdl <= applied:
                    continue
                self._apply(applied, vdl)
            except StorageError as exc:
                if volume.closed or self._stop:
                    return
                self.error = exc  # e.g. no complete segment right now: try again on the next turn
            except Exception as exc:  # a replica that cannot apply is broken: report, do not spin
                if self._stop:
                    return  # stopped (its catalog may be gone): not a replication failure
                self.error = exc
                self.instance.fail(f"replication stopped: {exc!r}")
                return

    def _apply(self, applied: int, vdl: int) -> None:
        with self.instance.apply_lock:
            if self._stop:
                return  # stop() or a promotion took over this catalog
            records = (_read_written(self.instance.volume, applied, vdl) if DELIBERATE_BUG_APPLY_ABOVE_VDL
                       else self.instance.volume.read_log(applied, vdl))
            last_commit = max((r.lsn for r in records if r.kind == RecordKind.COMMIT), default=applied)
            batch = [r for r in records if r.lsn <= last_commit]
            if not batch:
                return
            _apply_locked(self._cursor, self.instance, batch)
            done = time.time()
            with self._applied:
                self.instance.applied_lsn = last_commit
                self._applied.notify_all()
        for committed_at in self.commit_times.between(applied, last_commit):
            self.lag_samples.append(max(0.0, done - committed_at))

    def lag_seconds(self) -> float:
        """Seconds the replica is behind: age of the oldest commit it has not applied (0 if caught up)."""
        applied = self.instance.applied_lsn
        if applied >= self.instance.volume.vdl:
            return 0.0
        oldest = self.commit_times.oldest_after(applied)
        return max(0.0, time.time() - oldest) if oldest is not None else 0.0


def _read_written(volume, after: int, upto: int) -> list[LoggedRecord]:
    """DELIBERATE_BUG_APPLY_ABOVE_VDL: records written (durable or not) in (after, upto], from any live segment."""
    with volume._cond:
        found: dict[int, LoggedRecord] = {}
        if volume.base is not None:
            for record in volume.base.read_log(after, min(upto, volume.base.lsn)):
                found[record.lsn] = record
        for pg in volume.protection_groups:
            for segment in pg.segments:
                if segment.available:
                    for pos in segment.log.select(after, upto, 0, 2**64 - 1, -1):
                        found.setdefault(segment.log.lsn_at(pos), segment.record(pos))
        return [found[lsn] for lsn in sorted(found)]


def apply_records(cursor, instance: Instance, records: list[LoggedRecord]) -> None:
    """Apply committed records to instance's catalog in one DuckDB transaction."""
    with instance.apply_lock:
        _apply_locked(cursor, instance, records)


def _apply_locked(cursor, instance: Instance, records: list[LoggedRecord]) -> None:
    """apply_records with instance.apply_lock held."""
    try:
        _apply_batch(cursor, instance, records, inserts_may_exist=False)
    except duckdb.ConstraintException:
        # A ROW_INSERT met a key the replica holds: only if the writer missed a write-write
        # conflict (DuckDB does not see UPDATE vs DELETE). Follow the log as upserts instead;
        # a batch with DDL changed the catalog object as it went, so it cannot run twice.
        if any(r.kind == RecordKind.DDL for r in records):
            raise
        _apply_batch(cursor, instance, records, inserts_may_exist=True)


def _apply_batch(cursor, instance: Instance, records: list[LoggedRecord], *, inserts_may_exist: bool) -> None:
    """Apply records in one DuckDB transaction.

    Row records are gathered into runs, one per table, and each run becomes one
    DuckDB statement. Upserts and inserts join their table's run (a keyed table keeps the last
    image per key); a delete, truncate or keyless change of a table first flushes
    that table's run; DDL flushes every run. Fix: runs used to end at any record of
    another table, so a transaction touching several tables cost one statement
    (~5 ms for INSERT OR REPLACE here) per row record, and replicas fell seconds
    behind a multi-table workload. Flushing runs of different tables out of LSN
    order is safe only without foreign keys (DuckDB checks them per statement), so
    with any FOREIGN KEY in the catalog every record ends the runs of other tables.
    """
    catalog = instance.catalog
    cursor.execute("BEGIN TRANSACTION")
    try:
        runs: dict[int, list[LoggedRecord]] = {}  # page -> pending upserts, in first-seen order
        strict = _has_foreign_keys(cursor, catalog)

        def flush(page: int | None = None) -> None:
            for run_page in ([page] if page is not None else list(runs)):
                run = runs.pop(run_page, None)
                if run:
                    _flush(cursor, catalog_table(catalog, run_page), run, strict, inserts_may_exist)

        for record in records:
            if record.kind == RecordKind.COMMIT:
                continue
            if record.page < CATALOG_PAGES:
                if record.kind == RecordKind.DDL:
                    flush()
                    apply_ddl(cursor, catalog, DdlChange.decode(record.payload))
                    _FOREIGN_KEYS.pop(catalog, None)
                    strict = strict or _has_foreign_keys(cursor, catalog)
                elif record.kind == RecordKind.SEQUENCE:
                    name, value, reset = decode_sequence(record.payload)
                    catalog.note_sequence(name, value, reset)
                    # Fix: commits reach the log in commit order, not in the order their
                    # transactions drew values, so a SEQUENCE record can be lower than one
                    # applied before it; setval(value) moved the replica's sequence back and
                    # the first inserts after its promotion collided (duplicate key).
                    cursor.execute("SELECT setval(?, ?)", [name, catalog.sequences[name]]).fetchall()
                continue
            info = catalog_table(catalog, record.page)
            if info is None:
                continue  # rows of a table dropped later in this batch
            if strict:
                for other in [p for p in runs if p != record.page]:
                    flush(other)
            if record.kind == RecordKind.ROW_UPSERT or record.kind == RecordKind.ROW_INSERT:
                runs.setdefault(record.page, []).append(record)
                continue
            flush(record.page)
            apply_rows(cursor, info, record.kind, decode_rows(record.payload) if record.payload else None)
        flush()
        cursor.execute("COMMIT")
    except BaseException:
        cursor.execute("ROLLBACK")
        raise


_FOREIGN_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Catalog -> has a FOREIGN KEY


def _has_foreign_keys(cursor, catalog) -> bool:
    """True when a table of the cursor's catalog has a FOREIGN KEY (cached until the next DDL record)."""
    found = _FOREIGN_KEYS.get(catalog)
    if found is None:
        found = _FOREIGN_KEYS[catalog] = bool(cursor.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE database_name = current_database() "
            "AND constraint_type = 'FOREIGN KEY'").fetchall()[0][0])
    return found


def catalog_table(catalog, page: int) -> TableInfo | None:
    """The table owning a page, if it exists in catalog."""
    for info in catalog.tables.values():
        if info.page == page:
            return info
    return None


def _flush(cursor, info: TableInfo | None, run: list[LoggedRecord], strict: bool, inserts_may_exist: bool) -> None:
    """Apply a run of upserts and inserts of one table as one statement (two for keyed upserts)."""
    if info is None:
        return
    tables = [decode_rows(r.payload) for r in run]
    rows = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="permissive")
    if not inserts_may_exist and all(r.kind == RecordKind.ROW_INSERT for r in run):
        # New keys only (a delete of the table would have ended the run): a plain INSERT.
        apply_rows(cursor, info, RecordKind.ROW_INSERT, rows)
        return
    if len(tables) > 1 and info.key:
        # INSERT OR REPLACE refuses a key twice in one statement: keep each key's last image.
        positions = pa.arange(0, rows.num_rows)
        indexed = rows.append_column("__aurora_pos", positions)
        last = indexed.group_by(list(info.key), use_threads=False).aggregate([("__aurora_pos", "max")])
        rows = rows.filter(pc.is_in(positions, value_set=last["__aurora_pos_max"]))
    # With a foreign key in the catalog, a referenced row cannot be deleted and inserted again.
    apply_rows(cursor, info, RecordKind.ROW_UPSERT, rows, replace_by_delete=not strict)
