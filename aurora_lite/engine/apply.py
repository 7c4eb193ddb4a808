"""Applying redo to a DuckDB catalog: rows from Arrow, DDL from its logged statements.

Used to rebuild an instance from the volume, to restore a session's state
at a savepoint, and by readers following the redo stream.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
import pyarrow as pa

from ..storage.records import RecordKind
from .catalog import Catalog, DdlChange, TableInfo

_BATCH = "__aurora_rows"

# Up to this many rows travel as statement parameters: registering an Arrow batch with
# DuckDB costs ~0.4 ms a statement, more than a one-row INSERT itself (~0.25 ms).
PARAMETER_ROWS = 64


def apply_rows(cursor: duckdb.DuckDBPyConnection, info: TableInfo, kind: RecordKind, rows: pa.Table | None,
               *, replace_by_delete: bool = False) -> None:
    """Apply one row record (upsert, insert, delete or truncate) of a table.

    replace_by_delete: apply a keyed upsert as DELETE of its keys + INSERT, about
    half the cost of INSERT ... ON CONFLICT DO UPDATE; only valid when no foreign
    key references the table (DuckDB refuses to delete a referenced row).
    """
    target = info.name.sql()
    if kind == RecordKind.TRUNCATE:
        cursor.execute(f"DELETE FROM {target}").fetchall()
        return
    if rows is None or rows.num_rows == 0:
        return
    rows = rows.replace_schema_metadata(None)
    if kind == RecordKind.ROW_INSERT or (kind == RecordKind.ROW_UPSERT and not info.key):
        _insert(cursor, target, rows)
    elif kind == RecordKind.ROW_UPSERT and replace_by_delete:
        _delete(cursor, target, info.key, rows.select(list(info.key)))
        _insert(cursor, target, rows)
    elif kind == RecordKind.ROW_UPSERT:
        # Fix: INSERT OR REPLACE is refused for tables with a UNIQUE constraint besides the
        # primary key (MySQL's UNIQUE KEY); name the key as the conflict target instead.
        key = ", ".join(f'"{c}"' for c in info.key)
        update = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in rows.column_names if c not in info.key)
        action = f"DO UPDATE SET {update}" if update else "DO NOTHING"
        with _registered(cursor, rows):
            cursor.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {_BATCH} ON CONFLICT ({key}) {action}").fetchall()
    elif kind == RecordKind.ROW_DELETE:
        _delete(cursor, target, info.key, rows)


def _insert(cursor: duckdb.DuckDBPyConnection, target: str, rows: pa.Table) -> None:
    if _as_parameters(rows):
        columns = ", ".join(f'"{c}"' for c in rows.column_names)
        row = "(" + ", ".join("?" * rows.num_columns) + ")"
        cursor.execute(f"INSERT INTO {target} ({columns}) VALUES {', '.join([row] * rows.num_rows)}",
                       _flat(rows)).fetchall()
        return
    with _registered(cursor, rows):
        cursor.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {_BATCH}").fetchall()


def _delete(cursor: duckdb.DuckDBPyConnection, target: str, key: tuple[str, ...], rows: pa.Table) -> None:
    """Delete the rows whose key (or, keyless, whole image) matches one of rows."""
    columns = key or tuple(rows.column_names)
    if key and _as_parameters(rows):
        match = " AND ".join(f'"{c}" = ?' for c in columns)
        where = " OR ".join([f"({match})"] * rows.num_rows)
        cursor.execute(f"DELETE FROM {target} WHERE {where}", _flat(rows.select(list(columns)))).fetchall()
        return
    match = " AND ".join(f'{target}."{c}" IS NOT DISTINCT FROM {_BATCH}."{c}"' for c in columns)
    with _registered(cursor, rows):
        cursor.execute(f"DELETE FROM {target} USING {_BATCH} WHERE {match}").fetchall()


@contextlib.contextmanager
def _registered(cursor: duckdb.DuckDBPyConnection, rows: pa.Table) -> Iterator[None]:
    """rows visible to the cursor's statements as _BATCH for the duration of a with block."""
    cursor.register(_BATCH, rows)
    try:
        yield
    finally:
        cursor.unregister(_BATCH)


def _as_parameters(rows: pa.Table) -> bool:
    return rows.num_rows <= PARAMETER_ROWS and all(python_exact(f.type) for f in rows.schema)


def python_exact(kind: pa.DataType) -> bool:
    """True for Arrow types whose values survive a trip through Python values (and DuckDB's binding of them)."""
    if pa.types.is_timestamp(kind) or pa.types.is_time64(kind):
        return kind.unit == "us"  # Python's datetime stops at microseconds
    return (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
            or pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_boolean(kind)
            or pa.types.is_date32(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
            or pa.types.is_null(kind))


def _flat(rows: pa.Table) -> list:
    """The rows' values, row after row."""
    columns = [column.to_pylist() for column in rows.columns]
    return [value for row in zip(*columns) for value in row]


def apply_ddl(cursor: duckdb.DuckDBPyConnection, catalog: Catalog, change: DdlChange) -> None:
    """Run a logged DDL change's statements and apply its effect to the catalog."""
    for statement in change.statements:
        cursor.execute(statement).fetchall()
    catalog.apply(change)


def load_table(cursor: duckdb.DuckDBPyConnection, info: TableInfo, rows: pa.Table | None) -> None:
    """Bulk-load materialised rows into an empty table."""
    if rows is None or rows.num_rows == 0:
        return
    with _registered(cursor, rows.replace_schema_metadata(None)):
        cursor.execute(f"INSERT INTO {info.name.sql()} BY NAME SELECT * FROM {_BATCH}").fetchall()
