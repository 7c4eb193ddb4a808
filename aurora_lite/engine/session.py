"""A session: one client connection's server side on an instance.

A session owns one DuckDB cursor (its own DuckDB connection, so its own
snapshot-isolated transaction), the redo its transaction has produced, its
savepoints and its settings. Not thread-safe: a DB-API connection drives it
from one thread at a time (the connection serialises its cursors).

Change capture: every INSERT / UPDATE / DELETE runs with ``RETURNING`` the
full row image, so the rows it changed come back as Arrow and become
ROW_UPSERT / ROW_DELETE records on the table's page; an UPDATE that moves a
key (or touches a keyless table) first reads the old images to delete them.
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
from ..storage.rows import encode_rows
from . import duck
from .apply import apply_ddl, apply_rows
from .catalog import CATALOG_PAGE, DdlChange, TableInfo, encode_sequence
from .declared_lengths import too_long

if TYPE_CHECKING:
    from .instance import Instance


@attrs.frozen
class Result:
    """What one statement returns to the client."""

    description: tuple[tuple[Any, ...], ...] | None
    rows: list[tuple[Any, ...]]
    rowcount: int
    lastrowid: int | None = None


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
        except Exception as exc:  # noqa: BLE001 - see below
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
            return self._sequence_query(plan, params)
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

    def _sequence_query(self, plan: Plan, params: list[Any]) -> Result:
        """A query calling nextval()/setval(): the sequences' new states are logged with the commit."""
        single = not self.in_transaction
        self._begin_if_needed(force=True)
        mark = (len(self._redo), len(self._changes))
        try:
            self.cursor.execute(plan.sql, params)
            description = self.cursor.description
            rows = self.cursor.fetchall()
            states = self.cursor.execute(
                "SELECT schema_name, sequence_name, last_value FROM duckdb_sequences() "
                "WHERE database_name = current_database() AND last_value IS NOT NULL").fetchall()
        except duckdb.Error as exc:
            raise self._statement_failed(exc, plan, mark) from None
        for schema, name, value in states:
            qualified = f"{schema}.{name}"
            if value > self._sequences.get(qualified, 0):
                self._sequences[qualified] = value
        if single and self.autocommit:
            self.commit()
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
                result = self._ddl(plan, params)
            elif plan.kind is Kind.TRUNCATE:
                result = self._truncate(plan)
            else:
                result = self._dml(plan, params)
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

    def _dml(self, plan: Plan, params: list[Any]) -> Result:
        info = self.table(plan.table)
        old: pa.Table | None = None
        if plan.kind is Kind.UPDATE and (not info.key or plan.set_columns & {k.lower() for k in info.key}):
            # The key moves (or rows have no key): delete the old images explicitly.
            old = self.cursor.execute(plan.pre_image_sql, params[plan.pre_image_params:]).to_arrow_table()
        # Fix: MySQL's LAST_INSERT_ID() takes only generated ids, so note the counter before the insert.
        counter = self._sequence_value(info, info.sequences[0][1]) if plan.kind is Kind.INSERT \
            and info.sequences and self.front.dialect == "mysql" else None
        # Look the schema up before the DML: the look-up is a query on the same cursor.
        schema = self.instance.image_schema(self.cursor, info, self._tables)
        # Fix: RETURNING * / t.* is one expression but several columns; the row image is the
        # table's columns at the end, so the user's columns are whatever comes before them.
        width = 0
        if plan.user_columns > 0:
            width = len(schema) if schema is not None else \
                len(self.cursor.execute(f"SELECT * FROM {info.name.sql()} LIMIT 0").description)
        sql = plan.sql
        if self.front.dialect == "mysql" and plan.kind is not Kind.DELETE:
            if plan.kind is Kind.INSERT and (info.sequences or not plan.inserts_only):
                sql = self.instance.mysql_insert_sql(self.cursor, sql, info, self._tables)
            if not plan.inserts_only:  # UPDATE, or an upsert's update: ON UPDATE CURRENT_TIMESTAMP
                sql, functions = self.instance.mysql_update_sql(self, sql, info, self._tables)
                if functions:
                    self._register_functions(functions)
        self.cursor.execute(sql, params)
        description = self.cursor.description
        user = len(description) - width if plan.user_columns > 0 else 0
        user_rows, images = self._fetch_returned(schema, user)
        if plan.kind is not Kind.DELETE and images.num_rows:
            lengths = self.instance.declared_lengths(self.cursor, info, self._tables)
            error = too_long(images, lengths, self.front.dialect) if lengths else None
            if error is not None and (self.front.dialect == "postgres" or self._strict()):
                raise error  # the caller undoes the statement
        if old is not None and old.num_rows:
            self._capture(info, RecordKind.ROW_DELETE, old)
        if images.num_rows:
            kind = RecordKind.ROW_DELETE if plan.kind is Kind.DELETE else \
                RecordKind.ROW_INSERT if plan.inserts_only else RecordKind.ROW_UPSERT
            self._capture(info, kind, images)
        lastrowid, rowcount = None, images.num_rows
        if plan.kind is Kind.INSERT and info.sequences and images.num_rows:
            lastrowid, generated = self._note_sequences(info, images, counter)
            if counter is not None and not plan.inserts_only:
                # MySQL's affected rows count a row an upsert updated twice; a row whose id this
                # statement did not generate was there before (an updated one keeps its id).
                rowcount = 2 * images.num_rows - generated
        if plan.user_columns < 0:
            return Result(None, [], rowcount, lastrowid)
        return Result(tuple(description[:user]), user_rows, rowcount, lastrowid)

    def _strict(self) -> bool:
        """MySQL: a strict sql_mode (the default) turns data truncation into an error."""
        return "STRICT_" in (self.settings.get("sql_mode", "STRICT_TRANS_TABLES") or "")

    def _fetch_returned(self, schema: pa.Schema | None, user: int) -> tuple[list[tuple[Any, ...]], pa.Table]:
        """(the user's RETURNING rows, the row images as Arrow) of the DML just executed.

        DuckDB's Arrow export costs ~0.2 ms per result, more than a one-row
        DML itself: small results come back as tuples and are typed with the
        table's cached Arrow schema; large ones stream as Arrow.
        """
        if schema is None:
            returned = self.cursor.to_arrow_table()
            return _user_rows(returned, user), returned.select(range(user, returned.num_columns))
        first = self.cursor.fetchmany(SMALL_RESULT)
        head = pa.Table.from_arrays(
            [pa.array([row[user + i] for row in first], type=field.type) for i, field in enumerate(schema)],
            schema=schema)
        user_rows = [row[:user] for row in first]
        if len(first) < SMALL_RESULT:
            return user_rows, head
        rest = self.cursor.to_arrow_table()
        images = pa.concat_tables([head, rest.select(range(user, rest.num_columns)).cast(schema)])
        return user_rows + _user_rows(rest, user), images

    def _capture(self, info: TableInfo, kind: RecordKind, rows: pa.Table) -> None:
        if kind == RecordKind.ROW_DELETE and info.key:
            rows = rows.select(list(info.key))
        self._redo.append(RedoRecord(info.page, kind, encode_rows(rows, info.key)))

    def _sequence_value(self, info: TableInfo, sequence: str) -> int | None:
        row = self.cursor.execute(
            "SELECT last_value FROM duckdb_sequences() WHERE database_name = current_database() "
            "AND schema_name = ? AND sequence_name = ?", [info.name.schema, sequence]).fetchall()
        return row[0][0] if row else None

    def _note_sequences(self, info: TableInfo, images: pa.Table, counter: int | None = None) -> tuple[int | None, int]:
        """Log the sequences' new states; (lastrowid, how many ids MySQL's counter generated)."""
        import pyarrow.compute as pc

        first, generated_count = None, 0
        names = {name.lower(): name for name in images.column_names}
        for column, sequence in info.sequences:
            # Volumes written before the fix hold the column name lower-cased (AlbumId -> albumid).
            values = images.column(names.get(column.lower(), column))
            top = pc.max(values).as_py()
            if top is None:
                continue
            qualified = f"{info.name.schema}.{sequence}"
            if top > self._sequences.get(qualified, 0):
                self._sequences[qualified] = top
            if self.front.dialect == "mysql":
                # MySQL: an explicit value above the counter moves the counter.
                current = self._sequence_value(info, sequence)
                if current is None or top > current:
                    self.cursor.execute("SELECT setval(?, ?)", [qualified, top]).fetchall()
                if first is None:
                    # Fix: LAST_INSERT_ID() is the first *generated* id (the ids the counter moved
                    # past in this statement) and an explicit id leaves it alone; lastrowid
                    # (mysql_insert_id) is that id, or else the last explicit one.
                    ids = [v for v in values.to_pylist() if v is not None]
                    generated = [v for v in ids if (counter or 0) < v <= (current or 0)]
                    generated_count = len(generated)
                    if generated:
                        self.last_insert_id = generated[0]
                    first = generated[0] if generated else ids[-1]
                continue
            if first is None:
                first = values[0].as_py()
                self.last_insert_id = first
        return first, generated_count

    def _truncate(self, plan: Plan) -> Result:
        info = self.table(plan.table)
        self.cursor.execute(plan.sql).fetchall()
        self._redo.append(RedoRecord(info.page, RecordKind.TRUNCATE, b""))
        if self.front.dialect == "mysql":
            for _, sequence in info.sequences:
                self._restart_sequence(info.name.schema, sequence)
        return Result(None, [], 0)

    def _restart_sequence(self, schema: str, sequence: str) -> None:
        """MySQL TRUNCATE TABLE: AUTO_INCREMENT starts again at its start value."""
        row = self.cursor.execute(
            "SELECT start_value, min_value FROM duckdb_sequences() WHERE database_name = current_database() "
            "AND schema_name = ? AND sequence_name = ?", [schema, sequence]).fetchall()
        if not row or row[0][0] - 1 < row[0][1]:
            return  # a sequence created before MINVALUE 0 (sql/ddl.py) cannot go below its start
        qualified = f"{schema}.{sequence}"
        self.cursor.execute("SELECT setval(?, ?)", [qualified, row[0][0] - 1]).fetchall()
        self._sequence_resets[qualified] = row[0][0] - 1
        self._sequences.pop(qualified, None)

    def _ddl(self, plan: Plan, params: list[Any]) -> Result:
        for statement in plan.before:
            self.cursor.execute(statement).fetchall()
        self.cursor.execute(plan.sql, params).fetchall()
        statements = (*plan.before, plan.sql)
        if plan.nullable:
            key = {k.lower() for k in self._key_of(plan.table)}
            drops = tuple(f'ALTER TABLE {plan.table.sql()} ALTER COLUMN "{c}" DROP NOT NULL'
                          for c in plan.nullable if c.lower() not in key)
            for statement in drops:
                self.cursor.execute(statement).fetchall()
            statements += drops
        effect = self._ddl_effect(plan)
        change = DdlChange(statements, effect)
        self._changes.append((len(self._redo), change))
        self._redo.append(RedoRecord(CATALOG_PAGE, RecordKind.DDL, change.encode()))
        if effect is not None and effect[0] == "create":
            info = effect[1]
            self._tables[info.name] = info
            if plan.ddl_effect[0] == "create_as":
                rows = self.cursor.execute(f"SELECT * FROM {info.name.sql()}").to_arrow_table()
                if rows.num_rows:
                    self._capture(info, RecordKind.ROW_UPSERT, rows)
                return Result(None, [], rows.num_rows)
        elif effect is not None and effect[0] == "drop":
            for name in effect[1]:
                self._tables[name] = None
        elif effect is not None and effect[0] == "rename":
            info = self._tables.get(effect[1]) or self.instance.catalog.get(effect[1])
            self._tables[effect[1]] = None
            if info is not None:
                self._tables[effect[2]] = attrs.evolve(info, name=effect[2])
        elif effect is not None and effect[0] == "key":
            info = self._tables.get(effect[1]) or self.instance.catalog.get(effect[1])
            if info is not None:
                info = attrs.evolve(info, key=effect[2])
                self._tables[effect[1]] = info
                # ALTER may add, drop, rename or retype columns: rewrite the table's rows (as a
                # database rewrites a table) so no row image of the old shape meets the new one.
                rows = self.cursor.execute(f"SELECT * FROM {info.name.sql()}").to_arrow_table()
                self._redo.append(RedoRecord(info.page, RecordKind.TRUNCATE, b""))
                if rows.num_rows:
                    self._capture(info, RecordKind.ROW_UPSERT, rows)
        return Result(None, [], -1)

    def _ddl_effect(self, plan: Plan) -> tuple[Any, ...] | None:
        if plan.ddl_effect is None:
            if plan.table is not None and plan.verb.startswith("ALTER"):
                # ALTER TABLE may add or drop a primary key: record the key as it is now.
                return ("key", plan.table, self._key_of(plan.table))
            return None
        verb, target = plan.ddl_effect
        if verb in ("create", "create_as"):
            table_id = self.instance.allocate_table_id()
            return ("create", TableInfo(table_id, target, self._key_of(target), plan.sequences))
        if verb == "drop":
            return ("drop", tuple(n for n in target if n in self._tables and self._tables[n] is not None
                                  or self.instance.catalog.get(n) is not None))
        if verb == "rename":
            return ("rename", target[0], target[1])
        return None

    def _key_of(self, name: TableName) -> tuple[str, ...]:
        row = self.cursor.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = current_database() "
            "AND schema_name = ? AND lower(table_name) = ? AND constraint_type = 'PRIMARY KEY'",
            [name.schema, name.name],
        ).fetchall()
        # DuckDB's spelling: Arrow column names (and so the key in row payloads) are case-sensitive.
        return tuple(row[0][0]) if row else ()

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
                apply_ddl(self.cursor, _Overlay(self), changes_at[index])
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
            if not self.lost:
                self.cursor.close()


SMALL_RESULT = 256  # RETURNING rows fetched as tuples before switching to Arrow


def _user_rows(table: pa.Table, user: int) -> list[tuple[Any, ...]]:
    """The first `user` columns of an Arrow result as row tuples."""
    columns = [table.column(i).to_pylist() for i in range(user)]
    return list(zip(*columns)) if columns else [() for _ in range(table.num_rows)]


def _literal(value: Any) -> str:
    """A SQL literal for a session value (str, int, float, bool or None)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


class _Overlay:
    """The catalog a restored transaction replays DDL into: the session's own overlay."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def apply(self, change: DdlChange) -> None:
        effect = change.effect
        if effect is None:
            return
        tables = self._session._tables
        if effect[0] == "create":
            tables[effect[1].name] = effect[1]
        elif effect[0] == "drop":
            for name in effect[1]:
                tables[name] = None
        elif effect[0] == "rename":
            info = tables.get(effect[1]) or self._session.instance.catalog.get(effect[1])
            tables[effect[1]] = None
            if info is not None:
                tables[effect[2]] = attrs.evolve(info, name=effect[2])
        elif effect[0] == "key":
            # Fix: a replayed ALTER TABLE was forgotten, so after ROLLBACK TO SAVEPOINT the
            # table looked unchanged to this transaction (stale key; its row-image schema
            # cached as the committed one: IndexError once the ALTER was rolled back).
            info = tables.get(effect[1]) or self._session.instance.catalog.get(effect[1])
            if info is not None:
                tables[effect[1]] = attrs.evolve(info, key=tuple(effect[2]))


_CONTROL = {
    Kind.BEGIN: lambda s, p: (s.begin(), _NO_ROWS)[1],
    Kind.COMMIT: lambda s, p: (s.commit(), _NO_ROWS)[1],
    Kind.ROLLBACK: lambda s, p: (s.rollback(), _NO_ROWS)[1],
    Kind.SAVEPOINT: lambda s, p: (s.savepoint(p.name), _NO_ROWS)[1],
    Kind.RELEASE: lambda s, p: (s.release(p.name), _NO_ROWS)[1],
    Kind.ROLLBACK_TO: lambda s, p: (s.rollback_to(p.name), _NO_ROWS)[1],
}
