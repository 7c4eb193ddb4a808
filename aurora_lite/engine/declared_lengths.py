"""Declared string lengths (varchar(n), char(n)) checked on the rows a statement wrote.

DuckDB keeps no declared length, and a CHECK constraint would make DuckDB
refuse a later ALTER COLUMN TYPE, so the writer checks the row images its
change capture already holds (Arrow, one compute call per declared column).
The lengths come from what the dialect front ends record beside DuckDB's
catalog: PostgreSQL's declared type in a column comment (``aurora_pg:``),
MySQL's column types in the table's or column's JSON comment.

Both engines count characters and let the excess be spaces only: PostgreSQL
then truncates the value, MySQL (VARCHAR) truncates with a note; here the value
is kept as written. Anything else is PostgreSQL's 22001 "value too long for
type character varying(n)" or, in MySQL's strict sql_mode, error 1406 "Data
too long for column 'c' at row N" (without strict mode MySQL truncates with a
warning; here the value is kept).
"""
from __future__ import annotations

import json
import re
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from ..dbapi.exceptions import Error, mysql_error, postgres_error
from ..sql.mysql.schema import META_KEY as _MYSQL_META_KEY
from ..sql.postgres.catalog_sources import DECLARED_TYPE_MARKER
from .catalog import TableInfo

_POSTGRES_TYPE = re.compile(r"(character varying|character)\((\d+)\)")
_MYSQL_TYPE = re.compile(r"(varchar|char)\((\d+)\)", re.IGNORECASE)


_FEW_ROWS = 16


@attrs.frozen
class DeclaredLength:
    """A string column's declared maximum length, and its type as the engine spells it."""

    column: str
    length: int
    type_name: str


def declared_lengths(cursor: Any, info: TableInfo, dialect: str) -> tuple[DeclaredLength, ...]:
    """The declared lengths of a table's string columns (empty if none)."""
    rows = cursor.execute(
        "SELECT c.column_name, c.comment, t.comment FROM duckdb_columns() c JOIN duckdb_tables() t "
        "ON c.table_oid = t.table_oid WHERE c.database_name = current_database() AND c.schema_name = ? "
        "AND lower(c.table_name) = ? ORDER BY c.column_index", [info.name.schema, info.name.name]).fetchall()
    found = []
    for column, column_comment, table_comment in rows:
        declared = _postgres_type(column_comment) if dialect == "postgres" else \
            _mysql_type(column, column_comment, table_comment)
        match = declared and (_POSTGRES_TYPE if dialect == "postgres" else _MYSQL_TYPE).fullmatch(declared)
        if match:
            found.append(DeclaredLength(column, int(match.group(2)), declared))
    return tuple(found)


def _postgres_type(comment: str | None) -> str | None:
    if comment and comment.startswith(DECLARED_TYPE_MARKER):
        return comment[len(DECLARED_TYPE_MARKER):]
    return None


def _mysql_type(column: str, column_comment: str | None, table_comment: str | None) -> str | None:
    # A column's own comment (ALTER TABLE ADD / MODIFY) is newer than the table's record.
    for text, pick in ((column_comment, lambda meta: meta), (table_comment, lambda meta: {
            k.lower(): v for k, v in (meta.get("columns") or {}).items()}.get(column.lower()))):
        meta = _json(text)
        entry = pick(meta) if meta else None
        if isinstance(entry, dict) and entry.get("type"):
            return str(entry["type"])
    return None


def _json(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        meta = json.loads(text)
    except ValueError:
        return None
    return meta if isinstance(meta, dict) and meta.get(_MYSQL_META_KEY) else None


def too_long(rows: pa.Table, lengths: tuple[DeclaredLength, ...], dialect: str) -> Error | None:
    """The engine's error for the first value longer than its column allows, or None."""
    for declared in lengths:
        if declared.column not in rows.column_names:
            continue
        values = rows.column(declared.column)
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            continue
        # A few values are checked faster in Python than by three Arrow kernels (~18 µs).
        if rows.num_rows <= _FEW_ROWS and all(v is None or len(v) <= declared.length for v in values.to_pylist()):
            continue
        over = pc.greater(pc.utf8_length(values), declared.length)
        if not pc.any(over).as_py():
            continue
        # Only the excess beyond the length may be spaces (both engines then truncate).
        over = pc.and_(over, pc.greater(pc.utf8_length(pc.utf8_rtrim(values, characters=" ")), declared.length))
        if not pc.any(over).as_py():
            continue
        if dialect == "postgres":
            return postgres_error("22001", f"value too long for type {declared.type_name}")
        row = pc.index(over, True).as_py() + 1
        return mysql_error(1406, f"Data too long for column '{declared.column}' at row {row}")
    return None
