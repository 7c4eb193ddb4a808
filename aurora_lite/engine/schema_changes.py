"""DDL and TRUNCATE in a session's transaction, and the catalog overlay they leave.

A DDL statement runs in DuckDB, then becomes a DDL record (its statements and
their catalog effect: create, drop, rename or a new primary key) in the redo
and an entry in the session's own catalog overlay (``Session._tables``), which
the instance's catalog takes on at commit. CREATE TABLE AS and ALTER TABLE also
log the table's rows; TRUNCATE logs a TRUNCATE record (MySQL: and restarts
AUTO_INCREMENT). `Overlay` replays DDL into the overlay when a savepoint or a
failed MySQL statement rebuilds the transaction.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import attrs

from ..sql.plan import Plan, TableName
from ..storage.records import RecordKind, RedoRecord
from . import row_capture, sequences
from .catalog import CATALOG_PAGE, DdlChange, TableInfo, altered
from .result import Result

if TYPE_CHECKING:
    from .session import Session


def run_ddl(session: Session, plan: Plan, params: list[Any]) -> Result:
    for statement in plan.before:
        session.cursor.execute(statement).fetchall()
    session.cursor.execute(plan.sql, params).fetchall()
    statements = (*plan.before, plan.sql)
    if plan.nullable:
        key = {k.lower() for k in _key_of(session, plan.table)}
        drops = tuple(f'ALTER TABLE {plan.table.sql()} ALTER COLUMN "{c}" DROP NOT NULL'
                      for c in plan.nullable if c.lower() not in key)
        for statement in drops:
            session.cursor.execute(statement).fetchall()
        statements += drops
    effect = _ddl_effect(session, plan)
    change = DdlChange(statements, effect)
    session._changes.append((len(session._redo), change))
    session._redo.append(RedoRecord(CATALOG_PAGE, RecordKind.DDL, change.encode()))
    Overlay(session).apply(change)  # this transaction's own catalog sees the change at once
    if effect is not None and effect[0] == "create" and plan.ddl_effect[0] == "create_as":
        info = effect[1]
        rows = session.cursor.execute(f"SELECT * FROM {info.name.sql()}").to_arrow_table()
        if rows.num_rows:
            row_capture.capture(session, info, RecordKind.ROW_UPSERT, rows)
        return Result(None, [], rows.num_rows)
    if effect is not None and effect[0] == "key" and session._tables.get(effect[1]) is not None:
        info = session._tables[effect[1]]
        # ALTER may add, drop, rename or retype columns: rewrite the table's rows (as a
        # database rewrites a table) so no row image of the old shape meets the new one.
        rows = session.cursor.execute(f"SELECT * FROM {info.name.sql()}").to_arrow_table()
        session._redo.append(RedoRecord(info.page, RecordKind.TRUNCATE, b""))
        if rows.num_rows:
            row_capture.capture(session, info, RecordKind.ROW_UPSERT, rows)
    return Result(None, [], -1)


def _ddl_effect(session: Session, plan: Plan) -> tuple[Any, ...] | None:
    if plan.ddl_effect is None:
        if plan.table is not None and plan.verb.startswith("ALTER"):
            # ALTER TABLE may add or drop a primary key, or make a sequence feed a column
            # (pg_dump's SET DEFAULT nextval): record both as they are now.
            return ("key", plan.table, _key_of(session, plan.table), _sequences_of(session, plan.table))
        return None
    verb, target = plan.ddl_effect
    if verb in ("create", "create_as"):
        table_id = session.instance.allocate_table_id()
        return ("create", TableInfo(table_id, target, _key_of(session, target), plan.sequences))
    if verb == "drop":
        return ("drop", tuple(n for n in target if n in session._tables and session._tables[n] is not None
                              or session.instance.catalog.get(n) is not None))
    if verb == "rename":
        return ("rename", target[0], target[1])
    return None


_NEXTVAL = re.compile(r"^nextval\('(?:[^'.]+\.)?([^'.]+)'\)$", re.I)


def _sequences_of(session: Session, name: TableName) -> tuple[tuple[str, str], ...]:
    """(column, sequence) for each column whose default draws from a sequence, in column order."""
    rows = session.cursor.execute(
        "SELECT column_name, column_default FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND lower(table_name) = ? AND column_default IS NOT NULL ORDER BY column_index",
        [name.schema, name.name]).fetchall()
    found = []
    for column, default in rows:
        match = _NEXTVAL.match(default.strip())
        if match:
            found.append((column, match.group(1)))
    return tuple(found)


def _key_of(session: Session, name: TableName) -> tuple[str, ...]:
    row = session.cursor.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = current_database() "
        "AND schema_name = ? AND lower(table_name) = ? AND constraint_type = 'PRIMARY KEY'",
        [name.schema, name.name],
    ).fetchall()
    # DuckDB's spelling: Arrow column names (and so the key in row payloads) are case-sensitive.
    return tuple(row[0][0]) if row else ()


def truncate(session: Session, plan: Plan) -> Result:
    info = session.table(plan.table)
    session.cursor.execute(plan.sql).fetchall()
    session._redo.append(RedoRecord(info.page, RecordKind.TRUNCATE, b""))
    if session.front.dialect == "mysql":
        for _, sequence in info.sequences:
            sequences.restart(session, info.name.schema, sequence)
    return Result(None, [], 0)


class Overlay:
    """The session's own catalog overlay, which DDL (run or replayed by a restored transaction) changes."""

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
                tables[effect[1]] = altered(info, effect)
