"""A table as SHOW COLUMNS / SHOW INDEX / SHOW CREATE TABLE describe it, from DuckDB's catalog."""
from __future__ import annotations

import json
import re
from typing import Any

import attrs

from ...dbapi.exceptions import Error, mysql_error
from .common import CHARSET, COLLATION, ident, quote
from .schema import META_KEY, NO_DEFAULT_NULL, derived_type, duckdb_family


@attrs.frozen
class Column:
    """One column as SHOW COLUMNS / SHOW CREATE TABLE describe it."""

    name: str
    type: str
    nullable: bool
    key: str
    default: str | None
    default_expression: bool
    extra: str
    comment: str


@attrs.frozen
class TableShape:
    """A table's columns and keys, read from DuckDB's catalog and the recorded MySQL types."""

    name: str
    columns: list[Column]
    primary: list[str]
    unique: list[tuple[str, list[str]]]
    indexes: list[tuple[str, list[str]]]
    foreign: list[tuple[list[str], str, list[str]]]
    auto_increment: int | None
    comment: str


def _missing(session: Any, table: str) -> Error:
    return mysql_error(1146, f"Table '{session.instance.database}.{table}' doesn't exist")


def _meta(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        meta = json.loads(text)
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) and meta.get(META_KEY) else {}


def _index_columns(expressions: str) -> list[str]:
    inner = expressions.strip()
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
    return [c.strip().strip('"') for c in inner.split(",") if c.strip()]


def table_shape(session: Any, table: str) -> TableShape:
    """Columns, keys and recorded MySQL types of a table (or view); 1146 if it does not exist."""
    found = session.query_arrow(
        "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND lower(table_name) = lower(?) UNION ALL SELECT view_name, NULL "
        "FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'main' "
        "AND NOT internal AND lower(view_name) = lower(?)", [table, table]).to_pylist()
    if not found:
        raise _missing(session, table)
    name = found[0]["table_name"]
    meta = _meta(found[0]["comment"])
    recorded = {k.lower(): v for k, v in (meta.get("columns") or {}).items()}
    raw = session.query_arrow(
        "SELECT column_name, data_type, is_nullable, column_default, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ? "
        "ORDER BY column_index", [name]).to_pylist()
    constraints = session.query_arrow(
        "SELECT constraint_type, constraint_column_names, referenced_table, referenced_column_names "
        "FROM duckdb_constraints() WHERE database_name = current_database() AND schema_name = 'main' "
        "AND table_name = ? ORDER BY constraint_index", [name]).to_pylist()
    index_rows = session.query_arrow(
        "SELECT index_name, is_unique, expressions FROM duckdb_indexes() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ? ORDER BY index_oid", [name]).to_pylist()
    primary: list[str] = []
    unique: list[tuple[str, list[str]]] = []
    foreign: list[tuple[list[str], str, list[str]]] = []
    names = meta.get("unique") or {}
    for row in constraints:
        cols = list(row["constraint_column_names"] or [])
        if row["constraint_type"] == "PRIMARY KEY":
            primary = cols
        elif row["constraint_type"] == "UNIQUE":
            unique.append((names.get(",".join(c.lower() for c in cols), cols[0]), cols))
        elif row["constraint_type"] == "FOREIGN KEY":
            foreign.append((cols, row["referenced_table"], list(row["referenced_column_names"] or [])))
    present = {r["column_name"].lower() for r in raw}
    indexes: list[tuple[str, list[str]]] = [
        (name, list(cols)) for name, cols in meta.get("keys") or [] if all(c.lower() in present for c in cols)]
    for row in index_rows:
        cols = _index_columns(row["expressions"] or "")
        (unique if row["is_unique"] else indexes).append((row["index_name"], cols))
    auto = _auto_increment_columns(session, name)
    columns = []
    for row in raw:
        column = row["column_name"]
        info = _meta(row["comment"]) or recorded.get(column.lower(), {})
        duck = row["data_type"]
        kind = info.get("type")
        if not kind or duckdb_family(kind) != duck.split("(")[0].upper():
            kind, info = derived_type(duck), {}
        key = _key(column, primary, unique, indexes)
        nullable = bool(row["is_nullable"]) and column not in primary
        extra = []
        if column.lower() in auto:
            extra.append("auto_increment")
            default, expression = None, False
        elif "default" in info:
            default, expression = info["default"], bool(info.get("default_expression"))
        else:
            default, expression = _duck_default(row["column_default"])
        if expression and default and default.upper().startswith(("CURRENT_TIMESTAMP", "NOW")) or expression:
            extra.append("DEFAULT_GENERATED")
        if info.get("on_update"):
            extra.append(f"on update {info['on_update']}")
        columns.append(Column(column, kind, nullable, key, default, expression, " ".join(extra),
                              info.get("comment") or ""))
    return TableShape(name, columns, primary, unique, indexes, foreign, _next_auto_increment(session, name, auto),
                      meta.get("comment") or "")


def _key(column: str, primary: list[str], unique: list[tuple[str, list[str]]],
         indexes: list[tuple[str, list[str]]]) -> str:
    if column in primary:
        return "PRI"
    if any(len(cols) == 1 and cols[0] == column for _, cols in unique):
        return "UNI"
    if any(cols and cols[0] == column for _, cols in [*unique, *indexes]):
        return "MUL"
    return ""


def _duck_default(text: str | None) -> tuple[str | None, bool]:
    if text is None or text.upper() == "NULL" or text.upper().startswith("CAST(NULL"):
        return None, False
    literal = re.fullmatch(r"(?:CAST\()?'((?:[^']|'')*)'(?:\s+AS\s+\w+(?:\(.*\))?\))?", text, re.DOTALL)
    if literal:
        return literal.group(1).replace("''", "'"), False
    if re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", text, re.IGNORECASE):
        return text, False
    if text.lower() in ("true", "false"):
        return ("1" if text.lower() == "true" else "0"), False
    if text.upper() in ("CURRENT_TIMESTAMP", "NOW()", "CURRENT_TIMESTAMP()", "GET_CURRENT_TIMESTAMP()"):
        return "CURRENT_TIMESTAMP", True
    return text, True


def _auto_increment_columns(session: Any, table: str) -> set[str]:
    from ..plan import TableName

    try:
        info = session.table(TableName("main", table.lower()))
    except Error:
        return set()
    return {column.lower() for column, _ in info.sequences}


def _next_auto_increment(session: Any, table: str, auto: set[str]) -> int | None:
    if not auto:
        return None
    sequence = f"{table.lower()}_{min(auto)}_seq"
    rows = session.query_arrow(
        "SELECT last_value, start_value FROM duckdb_sequences() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND sequence_name = ?", [sequence]).to_pylist()
    if not rows:
        return None
    last = rows[0]["last_value"]
    return (last + 1) if last is not None else rows[0]["start_value"]


def create_table_text(session: Any, table: str) -> str:
    """SHOW CREATE TABLE's text, as MySQL 8.0 writes it."""
    shape = table_shape(session, table)
    lines = []
    for c in shape.columns:
        line = f"  {ident(c.name)} {c.type}"
        base = c.type.split("(")[0]
        if not c.nullable:
            line += " NOT NULL"
        elif base == "timestamp":
            line += " NULL"
        if c.default is not None:
            line += f" DEFAULT {c.default}" if c.default_expression else f" DEFAULT {quote(c.default)}"
        elif c.nullable and base not in NO_DEFAULT_NULL and "auto_increment" not in c.extra:
            line += " DEFAULT NULL"
        if "auto_increment" in c.extra:
            line += " AUTO_INCREMENT"
        if "on update" in c.extra:
            line += " ON UPDATE " + c.extra.split("on update ", 1)[1]
        if c.comment:
            line += f" COMMENT {quote(c.comment)}"
        lines.append(line)

    def cols(names: list[str]) -> str:
        return ",".join(ident(n) for n in names)

    if shape.primary:
        lines.append(f"  PRIMARY KEY ({cols(shape.primary)})")
    for name, columns in shape.unique:
        lines.append(f"  UNIQUE KEY {ident(name)} ({cols(columns)})")
    for name, columns in shape.indexes:
        lines.append(f"  KEY {ident(name)} ({cols(columns)})")
    for number, (columns, referenced, referenced_columns) in enumerate(shape.foreign, start=1):
        lines.append(f"  CONSTRAINT {ident(f'{shape.name}_ibfk_{number}')} FOREIGN KEY ({cols(columns)}) "
                     f"REFERENCES {ident(referenced)} ({cols(referenced_columns)})")
    options = "ENGINE=InnoDB"
    if shape.auto_increment is not None and shape.auto_increment > 1:
        options += f" AUTO_INCREMENT={shape.auto_increment}"
    options += f" DEFAULT CHARSET={CHARSET} COLLATE={COLLATION}"
    if shape.comment:
        options += f" COMMENT={quote(shape.comment)}"
    return f"CREATE TABLE {ident(shape.name)} (\n" + ",\n".join(lines) + f"\n) {options}"
