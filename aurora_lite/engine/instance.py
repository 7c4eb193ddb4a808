"""A DB instance: a DuckDB catalog caching the cluster volume, its catalog and sessions.

The volume is the source of truth: `rebuild()` throws nothing away that it
needs, it recreates the whole cache from DDL, sequence and row records at a
read point. The writer's `commit()` is the commit protocol: under the commit
lock, DuckDB commit and hand the redo to the volume; then, outside the lock,
wait until VDL reaches the commit LSN (group commit). A commit that cannot
reach write quorum fails the instance: its connections see 08006 from then on.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from ..dbapi.errors_map import translate_duckdb_error
from ..dbapi.exceptions import Error, mysql_error, postgres_error
from ..sql.frontend import FrontEnd
from ..sql.mysql.auto_increment import generate_on_null_or_zero
from ..sql.mysql.catalog import table_shape
from ..sql.mysql.conflict_target import name_conflict_target
from ..sql.mysql.on_update import add_on_update, on_update_columns
from ..sql.plan import Plan, TableName
from ..storage.errors import QuorumUnavailableError, StorageError
from ..storage.records import RecordKind, RedoRecord
from . import duck
from .apply import apply_ddl, load_table, python_exact
from .catalog import (
    CATALOG_PAGE,
    CATALOG_PAGES,
    Catalog,
    DdlChange,
    TableInfo,
    decode_sequence,
)
from .declared_lengths import DeclaredLength, declared_lengths
from .named_locks import NamedLocks
from .replica import CommitTimes, Follower
from .session import Session

if TYPE_CHECKING:
    from ..storage.volume import Volume


_CACHE_LIMIT = 4096  # entries per per-statement / per-table cache of an instance


def _remember(cache: dict, key: Any, value: Any) -> None:
    """Keep value under key, forgetting the oldest entry beyond _CACHE_LIMIT (SQL texts are unbounded)."""
    cache[key] = value
    if len(cache) > _CACHE_LIMIT:
        del cache[next(iter(cache))]


class Instance:
    """One DB instance (writer or reader) over a cluster volume."""

    def __init__(self, identifier: str, role: str, volume: Volume, front: FrontEnd, database: str, *,
                 clock: Callable[[], float] = time.time, commit_timeout_s: float = 5.0,
                 promotion_tier: int = 1, commit_times: CommitTimes | None = None) -> None:
        self.identifier = identifier
        self.role = role
        self.promotion_tier = promotion_tier
        self.volume = volume
        self.front = front
        self.database = database
        self.clock = clock
        self.commit_timeout_s = commit_timeout_s
        self.status = "creating"
        self.failure: str | None = None
        self.catalog = Catalog()
        self.catalog_name = duck.attach()
        self.applied_lsn = 0
        # The volume epoch this instance's cache was built in (a promotion moves it): storage
        # refuses a writer from an older epoch, and decides its commits a recovery overtook.
        self.volume_epoch: int | None = None
        self.commit_lock = threading.Lock()
        self.named_locks = NamedLocks()  # pg_advisory_lock(), GET_LOCK(): per instance, as on Aurora
        self.apply_lock = threading.Lock()  # a reader's follower vs. its promotion
        self.commit_times = commit_times or CommitTimes()
        self.follower: Follower | None = None
        self.cluster: Any = None  # set by the Cluster that owns it
        self._txn_ids = itertools.count(1)
        self._sessions: list[Session] = []
        self.commits = 0
        self.catalog_version = 0  # moves on every committed catalog change (keys cached schemas)
        self._image_schemas: dict[tuple[int, int], pa.Schema | None] = {}
        self._declared_lengths: dict[tuple[int, int], tuple[DeclaredLength, ...]] = {}
        self._mysql_insert_sql: dict[tuple[str, int, int, bool], str] = {}
        self._mysql_update_sql: dict[tuple[str, str, int, int], tuple[str, frozenset[str]]] = {}
        self.commit_latency_s_total = 0.0

    def __repr__(self) -> str:
        return f"<Instance {self.identifier} {self.role} {self.status} lsn={self.applied_lsn}>"

    # ------------------------------------------------------------ lifecycle
    def rebuild(self, read_lsn: int | None = None) -> None:
        """Recreate the DuckDB cache from the volume as of read_lsn (default VDL)."""
        epoch = self.volume.epoch
        lsn = self.volume.vdl if read_lsn is None else read_lsn
        cursor = duck.cursor(self.catalog_name)
        try:
            cursor.execute("BEGIN TRANSACTION")
            for record in self.volume.read_log(0, lsn, first_page=CATALOG_PAGE, end_page=CATALOG_PAGES):
                if record.kind == RecordKind.DDL:
                    apply_ddl(cursor, self.catalog, DdlChange.decode(record.payload))
                elif record.kind == RecordKind.SEQUENCE:
                    self.catalog.note_sequence(*decode_sequence(record.payload))
            for sequence, value in self.catalog.sequences.items():
                # A rebuilt writer must never hand out a value committed work used.
                schema, _, name = sequence.partition(".")
                exists = cursor.execute(
                    "SELECT 1 FROM duckdb_sequences() WHERE database_name = current_database() "
                    "AND schema_name = ? AND sequence_name = ?", [schema, name]).fetchall()
                if exists:
                    cursor.execute("SELECT setval(?, ?)", [sequence, value]).fetchall()
            for info in list(self.catalog.tables.values()):
                load_table(cursor, info, self.volume.materialize(info.page, info.page + 1, lsn))
            cursor.execute("COMMIT")
        finally:
            cursor.close()
        self.applied_lsn = lsn
        self.volume_epoch = epoch
        self.status = "available"

    def follow(self) -> None:
        """Start following the redo stream (readers)."""
        if self.follower is None:
            self.follower = Follower(self, self.commit_times)

    def stop_following(self) -> None:
        """Stop the follower thread (removal, promotion, close)."""
        if self.follower is not None:
            self.follower.stop()
            self.follower = None

    @property
    def replica_lag(self) -> float:
        """Seconds behind the writer (0.0 for the writer and for a caught-up reader)."""
        return self.follower.lag_seconds() if self.follower is not None else 0.0

    def session(self, *, autocommit: bool = False) -> Session:
        """A new session (the server side of a connection)."""
        self.check_available()
        session = Session(self, autocommit=autocommit)
        self._sessions.append(session)
        return session

    def forget(self, session: Session) -> None:
        """Drop a closed session from the instance's list."""
        try:
            self._sessions.remove(session)
        except ValueError:
            pass

    @property
    def connections(self) -> int:
        """Open sessions (DatabaseConnections)."""
        return len(self._sessions)

    def fail(self, reason: str) -> None:
        """Mark the instance failed: every session's next statement raises a connection error."""
        self.status = "failed"
        self.failure = reason

    def close(self) -> None:
        """Close every session and drop the DuckDB catalog."""
        self.stop_following()
        if self.status != "failed":
            self.status = "stopped"
        self.drop_sessions(f"instance {self.identifier} is {self.status}"
                           + (f" ({self.failure})" if self.failure else ""))
        duck.detach(self.catalog_name)

    def crash(self) -> None:
        """Unplanned failure: a writer fails over to a reader if one exists, else restarts in place."""
        if self.cluster is None:
            self.fail("crashed")
            return
        self.cluster._crashed(self)

    def reboot(self) -> None:
        """Restart the instance in place (no failover)."""
        if self.cluster is None:
            raise Error("a stand-alone instance cannot reboot")
        self.cluster._rebooted(self)

    # ------------------------------------------------------------ checks
    def check_available(self) -> None:
        """Raise the engine's connection-loss error unless the instance serves requests."""
        if self.status != "available":
            raise self.connection_lost()

    def connection_lost(self, reason: str | None = None) -> Error:
        """The error a client sees on a connection this instance dropped (08006 / 2013)."""
        detail = reason or (f"instance {self.identifier} is {self.status}"
                            + (f" ({self.failure})" if self.failure else ""))
        if self.front.dialect == "postgres":
            return postgres_error("08006", f"server closed the connection unexpectedly: {detail}")
        return mysql_error(2013, f"Lost connection to MySQL server during query ({detail})")

    def drop_sessions(self, reason: str) -> None:
        """Drop every connection (a restart, a promotion): each learns it on next use."""
        for session in list(self._sessions):
            session.lose(reason)
        self._sessions.clear()

    def check_writable(self, plan: Plan) -> None:
        """Refuse writes on a reader with the engine's read-only error."""
        if self.role == "writer":
            return
        if self.front.dialect == "postgres":
            raise postgres_error("25006", f"cannot execute {plan.verb or 'this statement'} in a read-only transaction")
        raise mysql_error(1290, "The MySQL server is running with the --read-only option so it cannot "
                                "execute this statement")

    def image_schema(self, cursor: duckdb.DuckDBPyConnection, info: TableInfo,
                     overlay: dict[TableName, TableInfo | None]) -> pa.Schema | None:
        """The Arrow schema of a table's row images, if plain Python values convert to it exactly."""
        key = (info.table_id, self.catalog_version)
        if info.name not in overlay and key in self._image_schemas:
            return self._image_schemas[key]
        schema = cursor.execute(f"SELECT * FROM {info.name.sql()} LIMIT 0").to_arrow_table().schema
        if not all(python_exact(field.type) for field in schema):
            schema = None
        if info.name not in overlay:  # a table this transaction changed may look different to others
            _remember(self._image_schemas, key, schema)
        return schema

    def declared_lengths(self, cursor: duckdb.DuckDBPyConnection, info: TableInfo,
                         overlay: dict[TableName, TableInfo | None]) -> tuple[DeclaredLength, ...]:
        """The declared varchar(n) / char(n) lengths of a table's columns (cached per catalog version)."""
        key = (info.table_id, self.catalog_version)
        if info.name not in overlay and key in self._declared_lengths:
            return self._declared_lengths[key]
        found = declared_lengths(cursor, info, self.front.dialect)
        if info.name not in overlay:  # a table this transaction changed may look different to others
            _remember(self._declared_lengths, key, found)
        return found

    def mysql_insert_sql(self, cursor: duckdb.DuckDBPyConnection, sql: str, info: TableInfo,
                         overlay: dict[TableName, TableInfo | None], *, zero_generates: bool = True) -> str:
        """MySQL: the INSERT `sql` as this table needs it (AUTO_INCREMENT from NULL or 0; upsert conflict target)."""
        key = (sql, info.table_id, self.catalog_version, zero_generates)
        if info.name not in overlay and key in self._mysql_insert_sql:
            return self._mysql_insert_sql[key]
        names = [d[0] for d in cursor.execute(f"SELECT * FROM {info.name.sql()} LIMIT 0").description]
        rewritten = sql
        if info.sequences:
            column, sequence = info.sequences[0]
            rewritten = generate_on_null_or_zero(rewritten, column, f"{info.name.schema}.{sequence}", names,
                                                 zero_generates=zero_generates)
        if "ON CONFLICT" in rewritten or "OR REPLACE" in rewritten:
            unique_keys = [row[0] for row in cursor.execute(
                "SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = current_database() "
                "AND schema_name = ? AND lower(table_name) = ? AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') "
                "ORDER BY constraint_type = 'UNIQUE', constraint_index", [info.name.schema, info.name.name]).fetchall()]
            rewritten = name_conflict_target(rewritten, unique_keys, names, info.auto_increment)
        if info.name not in overlay:
            _remember(self._mysql_insert_sql, key, rewritten)
        return rewritten

    def mysql_update_sql(self, session: Session, sql: str, info: TableInfo,
                         overlay: dict[TableName, TableInfo | None]) -> tuple[str, frozenset[str]]:
        """MySQL: an UPDATE / upsert `sql` that also sets the table's ON UPDATE CURRENT_TIMESTAMP columns."""
        key = ("update", sql, info.table_id, self.catalog_version)
        if info.name not in overlay and key in self._mysql_update_sql:
            return self._mysql_update_sql[key]
        shape = table_shape(session, info.name.name)
        rewritten = add_on_update(sql, on_update_columns((c.name, c.extra) for c in shape.columns))
        if info.name not in overlay:
            _remember(self._mysql_update_sql, key, rewritten)
        return rewritten

    def allocate_table_id(self) -> int:
        """A table id no table of this volume has had."""
        with self.commit_lock:
            return self.catalog.allocate_id()

    # ------------------------------------------------------------ commit
    def commit(self, cursor: duckdb.DuckDBPyConnection, redo: list[RedoRecord],
               tables: dict[TableName, TableInfo | None], changes: list[tuple[int, DdlChange]]) -> None:
        """The commit protocol for one session's transaction."""
        if not redo:
            try:
                cursor.execute("COMMIT")
            except duckdb.Error as exc:
                raise translate_duckdb_error(exc, self.front.dialect, statement_kind="COMMIT",
                                             db_name=self.database) from None
            return
        started = time.perf_counter()
        with self.commit_lock:
            self.check_available()
            try:
                cursor.execute("COMMIT")
            except duckdb.Error as exc:
                raise translate_duckdb_error(exc, self.front.dialect, statement_kind="COMMIT",
                                             db_name=self.database) from None
            for name, info in tables.items():
                if info is None:
                    self.catalog.tables.pop(name, None)
                else:
                    self.catalog.tables[name] = info
            if tables or changes:
                self.catalog_version += 1
            for record in redo:
                if record.kind == RecordKind.SEQUENCE:
                    self.catalog.note_sequence(*decode_sequence(record.payload))
            try:
                lsn = self.volume.append(redo, txn=next(self._txn_ids), commit_time=self.clock(),
                                         epoch=self.volume_epoch)
            except StorageError as exc:
                self.fail(f"the volume refused the commit: {exc}")
                raise self._lost(exc) from None
            self.applied_lsn = lsn
            self.commit_times.record(lsn, time.time())
        try:
            # Fix (found by aurora_lite.sim): with its epoch, a commit that a recovery truncated fails
            # instead of being acknowledged when a later commit reuses its LSN.
            self.volume.wait_for_vdl(lsn, self.commit_timeout_s, epoch=self.volume_epoch)
        except (QuorumUnavailableError, StorageError) as exc:
            # Unacknowledged: it survives only if it became durable; this writer is done.
            self.fail(f"commit LSN {lsn} did not become durable: {exc}")
            raise self._lost(exc) from None
        self.commits += 1
        self.commit_latency_s_total += time.perf_counter() - started

    def settle_visible(self) -> None:
        """Wait until every commit a statement just saw is durable (RELIABILITY invariant 2)."""
        # The DuckDB COMMIT makes a transaction visible before its redo reaches VDL; a session
        # whose snapshot saw it must not show it to its client until VDL covers it. A commit
        # that is visible but still holds the lock has not set applied_lsn yet: wait it out.
        if self.commit_lock.locked():
            with self.commit_lock:
                pass
        self.check_available()
        target = self.applied_lsn
        if self.volume.vdl >= target:
            return
        try:
            self.volume.wait_for_vdl(target, self.commit_timeout_s, epoch=self.volume_epoch)
        except (QuorumUnavailableError, StorageError) as exc:
            raise self._lost(exc) from None

    def _lost(self, exc: Exception) -> Error:
        if self.front.dialect == "postgres":
            error = postgres_error("08006", f"connection to the cluster volume lost during COMMIT; the "
                                            f"transaction's outcome is unknown: {exc}")
        else:
            error = mysql_error(2013, f"Lost connection to MySQL server during query: {exc}")
        error.__cause__ = exc
        return error

    def metrics(self) -> dict[str, Any]:
        """Per-instance figures behind the cluster's CloudWatch metrics."""
        return {
            "DatabaseConnections": self.connections,
            "CommitThroughput": self.commits,
            "CommitLatency": (self.commit_latency_s_total / self.commits * 1000.0) if self.commits else 0.0,
        }
