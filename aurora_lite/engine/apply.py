"""Applying redo to a DuckDB catalog: rows from Arrow, DDL from its logged statements.

Used to rebuild an instance from the volume, to restore a session's state
at a savepoint, and (later) by readers following the redo stream.
"""
from __future__ import annotations

import duckdb
import pyarrow as pa

from ..storage.records import RecordKind
from .catalog import Catalog, DdlChange, TableInfo

_BATCH = "__aurora_rows"


def apply_rows(cursor: duckdb.DuckDBPyConnection, info: TableInfo, kind: RecordKind, rows: pa.Table | None) -> None:
    """Apply one row record (upsert, delete or truncate) of a table."""
    target = info.name.sql()
    if kind == RecordKind.TRUNCATE:
        cursor.execute(f"DELETE FROM {target}").fetchall()
        return
    if rows is None or rows.num_rows == 0:
        return
    cursor.register(_BATCH, rows.replace_schema_metadata(None))
    try:
        if kind == RecordKind.ROW_UPSERT and info.key:
            # Fix: INSERT OR REPLACE is refused for tables with a UNIQUE constraint besides the
            # primary key (MySQL's UNIQUE KEY); name the key as the conflict target instead.
            key = ", ".join(f'"{c}"' for c in info.key)
            update = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in rows.column_names if c not in info.key)
            action = f"DO UPDATE SET {update}" if update else "DO NOTHING"
            cursor.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {_BATCH} ON CONFLICT ({key}) {action}").fetchall()
        elif kind == RecordKind.ROW_UPSERT:
            cursor.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {_BATCH}").fetchall()
        elif kind == RecordKind.ROW_DELETE:
            columns = info.key or tuple(rows.column_names)
            match = " AND ".join(f'{target}."{c}" IS NOT DISTINCT FROM {_BATCH}."{c}"' for c in columns)
            cursor.execute(f"DELETE FROM {target} USING {_BATCH} WHERE {match}").fetchall()
    finally:
        cursor.unregister(_BATCH)


def apply_ddl(cursor: duckdb.DuckDBPyConnection, catalog: Catalog, change: DdlChange) -> None:
    """Run a logged DDL change's statements and apply its effect to the catalog."""
    for statement in change.statements:
        cursor.execute(statement).fetchall()
    catalog.apply(change)


def load_table(cursor: duckdb.DuckDBPyConnection, info: TableInfo, rows: pa.Table | None) -> None:
    """Bulk-load materialised rows into an empty table."""
    if rows is None or rows.num_rows == 0:
        return
    cursor.register(_BATCH, rows.replace_schema_metadata(None))
    try:
        cursor.execute(f"INSERT INTO {info.name.sql()} BY NAME SELECT * FROM {_BATCH}").fetchall()
    finally:
        cursor.unregister(_BATCH)
