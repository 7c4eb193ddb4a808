"""A session: one client connection's server side on an instance.

A session owns one DuckDB cursor (its own DuckDB connection, so its own
snapshot-isolated transaction), the redo its transaction has produced, its
savepoints and its settings. Not thread-safe: a DB-API connection drives it
from one thread at a time (the connection serialises its cursors).

This module dispatches statements, runs transactions and savepoints and
applies the dialects' error rules. What a write statement logs is done by
functions that take the session: `row_capture` (INSERT / UPDATE / DELETE
become row images in the redo), `sequences` (nextval() / setval() and
AUTO_INCREMENT / SERIAL ids) and `schema_changes` (DDL, TRUNCATE and this
transaction's catalog overlay).

Savepoints and MySQL's statement-level rollback restore a transaction by
rolling DuckDB back and re-applying the redo kept so far, so the restored
state holds exactly the rows (and generated ids) the client saw.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import duckdb
import pyarrow as pa

from ..dbapi.errors_map import translate_duckdb_error
from ..dbapi.exceptions import Error, InterfaceError, OperationalError
from ..sql.plan import Kind, Plan, TableName
from ..storage.records import RecordKind, RedoRecord
from . import duck, row_capture, schema_changes, sequences
from .apply import apply_ddl, apply_rows
from .catalog import CATALOG_PAGE, DdlChange, TableInfo, encode_sequence
from .result import Result

if TYPE_CHECKING:
    from .instance import Instance


_NO_ROWS = Result(None, [], -1)


@attrs.define
class _Savepoint:
    name: str
    redo_len: int
    changes_len: int


INTERNAL_ERROR = "aurora_lite internal error"  # message prefix of an error that is a bug of ours


class Session:
    """A connection's transaction state, redo and settings on one instance."""

    def __init__(self, instance: Instance, *, autocommit: bool = False) -> None:
        self.instance = instance
        self.front = instance.front
        self.autocommit = autocommit
        self.settings: dict[str, str] = {}
        self.cursor = duck.cursor(instance.catalog_name)
        self.in_transaction = False
        self.explicit = False          # began with BEGIN / START TRANSACTION
        self.aborted = False           # PostgreSQL: failed statement, only ROLLBACK helps
        self._settled = False          # this transaction's snapshot is known durable
        self.closed = False
        self.lost: str | None = None   # why the instance dropped this session, once it did
        self.last_insert_id = 0
        self._redo: list[RedoRecord] = []
        self._changes: list[tuple[int, DdlChange]] = []   # (redo index, change) of DDL in this transaction
        self._tables: dict[TableName, TableInfo | None] = {}  # this transaction's catalog overlay
        self._sequences: dict[str, int] = {}
        self._sequence_resets: dict[str, int] = {}   # MySQL TRUNCATE: sequence -> value it restarts after
        self._savepoints: list[_Savepoint] = []
        self._functions: set[str] = set()
        self._function_values: dict[str, Any] = {}

    # ------------------------------------------------------------ entry point
    def execute(self, plan: Plan, params: list[Any]) -> Result:
        """Run one planned statement."""
        if self.lost:
            raise self.instance.connection_lost(self.lost)
        if self.closed:
            raise InterfaceError("the connection is closed")
        self.instance.check_available()
        try:
            result = self._execute(plan, params)
            if not self._settled:
                # The statement's snapshot may hold commits not yet durable: none reaches the client.
                self.instance.settle_visible()
                # DuckDB takes a transaction's snapshot at its first read, not at BEGIN.
                self._settled = self.in_transaction and plan.kind not in _CONTROL and plan.kind is not Kind.SESSION
            return result
        except Error as error:
            # Fix: errors raised here rather than by DuckDB (unknown table, unknown savepoint,
            # read-only ...) left a PostgreSQL transaction usable; PostgreSQL aborts it.
            # A failed COMMIT / ROLLBACK has already ended the transaction.
            if plan.kind not in (Kind.COMMIT, Kind.ROLLBACK):
                self.statement_error(error)
            raise
        except Exception as exc:
            # An aurora_lite bug, not the client's: never a bare Python error through PEP 249.
            # The statement may have half-run, so the whole transaction goes (PostgreSQL's
            # XX000 aborts it too); the cause stays attached for the bug report.
            error = self.front.error("XX000", 1105, f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}")
            self.rollback()
            raise error from exc

    def _execute(self, plan: Plan, params: list[Any]) -> Result:
        if plan.functions:
            self._register_functions(plan.functions)
        if plan.relations:
            self._register_relations(plan.relations)
        kind = plan.kind
        if kind is Kind.QUERY:
            return self._query(plan, params)
        if kind.writes:
            self.instance.check_writable(plan)
        if kind in _CONTROL:
            return _CONTROL[kind](self, plan)
        if kind is Kind.SESSION:
            if plan.refused_on_reader:
                self.instance.check_writable(plan)
            if plan.emulate is not None:
                plan.emulate(self, params, plan)
            return _NO_ROWS
        if kind is Kind.EMULATED:
            self._begin_if_needed()
            columns, rows = plan.emulate(self, params, plan)
            return Result(tuple((c, "VARCHAR", None, None, None, None, None) for c in columns), rows, len(rows))
        return self._write(plan, params)

    def execute_bulk(self, plan: Plan, batch: pa.Table) -> Result:
        """Run an INSERT's bulk twin over an Arrow batch of parameter rows."""
        from ..sql.frontend import BULK_BATCH

        self.cursor.register(BULK_BATCH, batch)
        try:
            return self.execute(attrs.evolve(plan, sql=plan.bulk_sql), [])
        finally:
            self.cursor.unregister(BULK_BATCH)

    def _register_functions(self, names: frozenset[str]) -> None:
        from ..sql.session_functions import REGISTRY

        for name in names:
            function = REGISTRY[name]
            value = function.bind(self)()
            if name in self._functions and self._function_values.get(name) == value:
                continue
            self.cursor.execute(f"SET VARIABLE {function.variable} = {_literal(value)}::{function.returns}")
            self._functions.add(name)
            self._function_values[name] = value

    def _register_relations(self, names: frozenset[str]) -> None:
        from ..sql.session_functions import RELATIONS

        for name in names:
            self.cursor.register(name, RELATIONS[name].build(self))

    # ------------------------------------------------------------ reads
    def _query(self, plan: Plan, params: list[Any]) -> Result:
        if plan.sequence_writes or plan.locks:
            self.instance.check_writable(plan)  # a reader refuses nextval() and locking reads
        if plan.sequence_writes:
            return sequences.run_query(self, plan, params)
        self._begin_if_needed()
        # Fix: without a mark a failed SELECT rolled back the whole MySQL transaction; MySQL
        # undoes only the failed statement (DuckDB aborted its transaction, so restore it).
        mark = (len(self._redo), len(self._changes))
        try:
            self.cursor.execute(plan.sql, params)
            description = self.cursor.description
            rows = self.cursor.fetchall()
        except duckdb.Error as exc:
            raise self._statement_failed(exc, plan, mark) from None
        return Result(tuple(description) if description else None, rows, len(rows))

    def query_arrow(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run DuckDB SQL in this session's transaction; for emulation look-ups."""
        return self.cursor.execute(sql, params or []).to_arrow_table()

    # ------------------------------------------------------------ writes
    def _write(self, plan: Plan, params: list[Any]) -> Result:
        # Fix: MySQL commits the open transaction before DDL / TRUNCATE and commits the
        # statement itself after ("Statements That Cause an Implicit Commit"); they ran inside
        # the transaction, so a later ROLLBACK undid the earlier work and the DDL with it.
        implicit_commit = self.front.dialect == "mysql" and plan.kind in (Kind.DDL, Kind.TRUNCATE)
        if implicit_commit:
            self.commit()
        single = not self.in_transaction  # autocommit: this statement is its own transaction
        self._begin_if_needed(force=True)
        mark = (len(self._redo), len(self._changes))
        try:
            if plan.kind is Kind.DDL:
                result = schema_changes.run_ddl(self, plan, params)
            elif plan.kind is Kind.TRUNCATE:
                result = schema_changes.truncate(self, plan)
            else:
                result = row_capture.run_dml(self, plan, params)
        except duckdb.Error as exc:
            raise self._statement_failed(exc, plan, mark) from None
        except Error:
            self._undo_statement(mark)
            raise
        if single and (self.autocommit or implicit_commit):
            self.commit()
        return result

    def table(self, name: TableName) -> TableInfo:
        """The catalog entry of a table as this transaction sees it."""
        if name in self._tables:
            info = self._tables[name]
        else:
            info = self.instance.catalog.get(name)
        if info is None:
            raise self.front.error("42P01", 1146, f'relation "{name.name}" does not exist'
                                   if self.front.dialect == "postgres"
                                   else f"Table '{self.instance.database}.{name.name}' doesn't exist")
        return info

    # ------------------------------------------------------------ transactions
    def _begin_if_needed(self, force: bool = False) -> None:
        if self.in_transaction:
            if self.aborted:
                raise self.front.error("25P02", 1105, "current transaction is aborted, commands ignored "
                                       "until end of transaction block")
            return
        if self.autocommit and not force:
            return
        self.instance.check_available()
        self.cursor.execute("BEGIN TRANSACTION")
        self.in_transaction = True

    def begin(self) -> None:
        """Start an explicit transaction (BEGIN / START TRANSACTION)."""
        if self.in_transaction:
            if self.front.dialect == "mysql":
                self.commit()  # MySQL: BEGIN commits the open transaction first
            else:
                return  # PostgreSQL: a warning, the transaction goes on
        self._begin_if_needed(force=True)
        self.explicit = True

    def commit(self) -> None:
        """Commit: DuckDB commit and redo append under the commit lock, then wait for VDL."""
        if self.lost:
            raise self.instance.connection_lost(self.lost)
        if not self.in_transaction:
            return
        if self.aborted:
            self.rollback()  # PostgreSQL answers COMMIT of a failed transaction with ROLLBACK
            return
        redo = self._redo
        for name, value in self._sequence_resets.items():
            redo.append(RedoRecord(CATALOG_PAGE, RecordKind.SEQUENCE, encode_sequence(name, value, reset=True)))
        for name, value in self._sequences.items():
            redo.append(RedoRecord(CATALOG_PAGE, RecordKind.SEQUENCE, encode_sequence(name, value)))
        tables, changes = self._tables, self._changes
        self._reset()
        self.instance.commit(self.cursor, redo, tables, changes)

    def rollback(self) -> None:
        """Discard the transaction."""
        if not self.in_transaction or self.lost:
            return
        self._reset()
        try:
            self.cursor.execute("ROLLBACK")
        except duckdb.Error:
            pass  # DuckDB already ended a transaction it could not continue

    def _reset(self) -> None:
        self.instance.named_locks.end_transaction(self)  # pg_advisory_xact_lock ends with it
        self.in_transaction = self.explicit = self.aborted = self._settled = False
        self._redo = []
        self._changes = []
        self._tables = {}
        self._sequences = {}
        self._sequence_resets = {}
        self._savepoints = []

    def savepoint(self, name: str) -> None:
        """Mark the transaction's current state under name."""
        if self.autocommit and not self.in_transaction:
            # Fix: this used to open a transaction that autocommit never committed, so every
            # later write stayed uncommitted. PostgreSQL refuses a SAVEPOINT outside a
            # transaction block; MySQL accepts it and forgets it at once (autocommit).
            if self.front.dialect == "postgres":
                raise self.front.error("25P01", 1305, "SAVEPOINT can only be used in transaction blocks")
            return
        self._begin_if_needed(force=True)
        self._savepoints.append(_Savepoint(name, len(self._redo), len(self._changes)))

    def _find_savepoint(self, name: str) -> int:
        for i in range(len(self._savepoints) - 1, -1, -1):
            if self._savepoints[i].name == name:
                return i
        if self.front.dialect == "postgres":
            raise self.front.error("3B001", 1305, f'savepoint "{name}" does not exist')
        raise self.front.error("42000", 1305, f"SAVEPOINT {name} does not exist")

    def release(self, name: str) -> None:
        """Forget a savepoint and those after it."""
        self._begin_for_savepoint()
        if self.aborted:
            # Fix: an aborted PostgreSQL transaction accepts only ROLLBACK [TO SAVEPOINT]; this raises 25P02.
            self._begin_if_needed(force=True)
        if not self.in_transaction:
            raise self.front.error("25P01", 1305, "RELEASE SAVEPOINT can only be used in transaction blocks")
        del self._savepoints[self._find_savepoint(name):]

    def rollback_to(self, name: str) -> None:
        """Return the transaction to a savepoint (which stays)."""
        self._begin_for_savepoint()
        if not self.in_transaction:
            raise self.front.error("25P01", 1305, "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
        index = self._find_savepoint(name)
        point = self._savepoints[index]
        del self._savepoints[index + 1:]
        self._restore(point.redo_len, point.changes_len)

    def _begin_for_savepoint(self) -> None:
        # Fix: outside autocommit the client is always in a transaction (psycopg sends BEGIN
        # before the first statement; MySQL with autocommit=0), so an unknown savepoint is
        # 3B001 / 1305 there, not "no transaction in progress" (25P01).
        if not self.autocommit and not self.in_transaction:
            self._begin_if_needed(force=True)

    def _restore(self, redo_len: int, changes_len: int) -> None:
        """Rebuild the DuckDB transaction from the redo kept up to a mark."""
        keep_redo = self._redo[:redo_len]
        keep_changes = self._changes[:changes_len]
        savepoints, sequences, explicit = self._savepoints, self._sequences, self.explicit
        try:
            self.cursor.execute("ROLLBACK")
        except duckdb.Error:
            pass
        self.cursor.execute("BEGIN TRANSACTION")
        self._settled = False  # a new snapshot
        self._redo, self._changes, self._tables = [], [], {}
        changes_at = {index: change for index, change in keep_changes}
        from ..storage.rows import decode_rows

        for index, record in enumerate(keep_redo):
            if index in changes_at:
                apply_ddl(self.cursor, schema_changes.Overlay(self), changes_at[index])
                self._changes.append((len(self._redo), changes_at[index]))
            elif record.kind != RecordKind.SEQUENCE:
                info = self._table_by_page(record.page)
                rows = decode_rows(record.payload) if record.payload else None
                apply_rows(self.cursor, info, record.kind, rows)
            self._redo.append(record)
        self._savepoints, self._sequences, self.explicit = savepoints, sequences, explicit
        self.in_transaction, self.aborted = True, False

    def _table_by_page(self, page: int) -> TableInfo:
        for info in self._tables.values():
            if info is not None and info.page == page:
                return info
        for info in self.instance.catalog.tables.values():
            if info.page == page:
                return info
        raise OperationalError(f"no table owns page {page}")

    def _statement_failed(self, exc: duckdb.Error, plan: Plan, mark: tuple[int, int] | None = None) -> Error:
        error = translate_duckdb_error(exc, self.front.dialect, statement_kind=plan.verb,
                                       table=plan.table.name if plan.table else None,
                                       db_name=self.instance.database)
        if not self.in_transaction:
            return error
        if self.autocommit and not self.explicit:
            self.rollback()
        elif self.front.dialect == "mysql" and mark is not None and error.errno != 1213:
            self._undo_statement(mark)   # MySQL rolls back the statement, not the transaction
        elif self.front.dialect == "mysql":
            self.rollback()              # a deadlock rolls back the whole transaction
        else:
            self.aborted = True
            try:
                self.cursor.execute("ROLLBACK")  # DuckDB cannot continue it; PostgreSQL waits for ROLLBACK
            except duckdb.Error:
                pass
        return error

    def statement_error(self, error: Error) -> None:
        """Apply the dialect's transaction rule to a server error raised outside DuckDB.

        PostgreSQL aborts the transaction block on any error (25P02 until ROLLBACK); with
        autocommit off psycopg has sent BEGIN before the statement, so a failing first
        statement leaves an aborted transaction too. MySQL keeps the transaction. Errors
        without a SQLSTATE are client-side (parameters) and change nothing; after a lost
        connection (class 08) there is nothing left to abort.
        """
        if self.front.dialect != "postgres" or self.closed or self.aborted:
            return
        if error.sqlstate is None or error.sqlstate.startswith("08"):
            return
        if self.autocommit and not self.explicit:
            self.rollback()
            return
        if not self.in_transaction:
            try:
                self._begin_if_needed(force=True)
            except Error:
                return
        self.aborted = True
        try:
            self.cursor.execute("ROLLBACK")  # DuckDB's side; PostgreSQL waits for the client's ROLLBACK
        except duckdb.Error:
            pass

    def _undo_statement(self, mark: tuple[int, int]) -> None:
        if not self.in_transaction:
            return
        if self.autocommit and not self.explicit:
            self.rollback()
            return
        self._restore(*mark)

    def lose(self, reason: str) -> None:
        """The instance dropped this session: forget the transaction; the client hears of it on next use."""
        self.lost = reason
        self._reset()
        self.instance.named_locks.release_all(self)
        try:
            self.cursor.close()
        except duckdb.Error:
            pass

    def close(self) -> None:
        """Roll back and release the DuckDB cursor."""
        if self.closed:
            return
        try:
            self.rollback()
        finally:
            self.closed = True
            self.instance.named_locks.release_all(self)
            if not self.lost:
                self.cursor.close()


def _literal(value: Any) -> str:
    """A SQL literal for a session value (str, int, float, bool or None)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


_CONTROL = {
    Kind.BEGIN: lambda s, p: (s.begin(), _NO_ROWS)[1],
    Kind.COMMIT: lambda s, p: (s.commit(), _NO_ROWS)[1],
    Kind.ROLLBACK: lambda s, p: (s.rollback(), _NO_ROWS)[1],
    Kind.SAVEPOINT: lambda s, p: (s.savepoint(p.name), _NO_ROWS)[1],
    Kind.RELEASE: lambda s, p: (s.release(p.name), _NO_ROWS)[1],
    Kind.ROLLBACK_TO: lambda s, p: (s.rollback_to(p.name), _NO_ROWS)[1],
}
