"""SHOW ... and DESCRIBE, answered with MySQL 8.0's column names and value formats."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ...dbapi.exceptions import mysql_error
from ..params import Placeholders
from ..plan import Kind, Plan
from .catalog import create_table_text, table_shape
from .common import CHARSET, COLLATION, SYSTEM_DATABASES, ident, syntax_error
from .schema import TEXT_TYPES
from .variables import VARIABLES, connection_id, status, user_of, variable_value

if TYPE_CHECKING:
    from ..frontend import FrontEnd


_NAME = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_FILTER = r"(?:\s+LIKE\s+(?P<like>'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|\?)|\s+WHERE\s+(?P<where>.+?))?"
_SHOW = re.compile(r"^\s*SHOW\b\s*(?P<rest>.*?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)

_DESCRIBE = re.compile(
    rf"^\s*(?:DESC|DESCRIBE|EXPLAIN)\s+(?!(?:SELECT|INSERT|UPDATE|DELETE|REPLACE|TABLE|WITH|FORMAT|ANALYZE|"
    rf"EXTENDED|PARTITIONS|FOR)\b)(?P<table>{_NAME}(?:\s*\.\s*{_NAME})?)"
    rf"(?:\s+(?P<column>{_NAME}|'[^']*'))?\s*;?\s*$", re.IGNORECASE | re.DOTALL)


_FORMS: list[tuple[str, re.Pattern[str]]] = [(name, re.compile(pattern + r"\s*$", re.IGNORECASE | re.DOTALL))
                                              for name, pattern in [
    ("tables", rf"(?P<full>FULL\s+)?TABLES(?:\s+(?:FROM|IN)\s+(?P<db>{_NAME}))?{_FILTER}"),
    ("columns", (rf"(?P<full>FULL\s+|EXTENDED\s+(?:FULL\s+)?)?(?:COLUMNS|FIELDS)\s+(?:FROM|IN)\s+"
                 rf"(?P<table>{_NAME}(?:\s*\.\s*{_NAME})?)(?:\s+(?:FROM|IN)\s+(?P<db>{_NAME}))?{_FILTER}")),
    ("index", (rf"(?:EXTENDED\s+)?(?:INDEX|INDEXES|KEYS)\s+(?:FROM|IN)\s+(?P<table>{_NAME}(?:\s*\.\s*{_NAME})?)"
               rf"(?:\s+(?:FROM|IN)\s+(?P<db>{_NAME}))?(?:\s+WHERE\s+(?P<where>.+?))?")),
    ("create_table", rf"CREATE\s+TABLE\s+(?P<table>{_NAME}(?:\s*\.\s*{_NAME})?)"),
    ("create_database", rf"CREATE\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<db>{_NAME})"),
    ("databases", rf"(?:DATABASES|SCHEMAS){_FILTER}"),
    ("variables", rf"(?:(?P<scope>GLOBAL|SESSION|LOCAL)\s+)?VARIABLES{_FILTER}"),
    ("status", rf"(?:(?P<scope>GLOBAL|SESSION|LOCAL)\s+)?STATUS{_FILTER}"),
    ("warnings", r"(?P<what>WARNINGS|ERRORS)(?:\s+LIMIT\s+[\d\s,]+)?"),
    ("count_warnings", r"COUNT\s*\(\s*\*\s*\)\s+(?P<what>WARNINGS|ERRORS)"),
    ("engines", r"(?:STORAGE\s+)?ENGINES"),
    ("processlist", r"(?P<full>FULL\s+)?PROCESSLIST"),
    ("grants", r"GRANTS(?:\s+FOR\s+.+)?"),
    ("table_status", rf"TABLE\s+STATUS(?:\s+(?:FROM|IN)\s+(?P<db>{_NAME}))?{_FILTER}"),
]]

_KNOWN = re.compile(r"^(?:BINARY|BINLOG|CHARACTER|CHARSET|COLLATION|CREATE|ENGINE|EVENTS|FUNCTION|MASTER|"
                    r"OPEN|PLUGINS|PRIVILEGES|PROCEDURE|PROFILE|PROFILES|RELAYLOG|REPLICA|REPLICAS|SLAVE|"
                    r"TRIGGERS)\b", re.IGNORECASE)


def _unquote(name: str) -> str:
    name = name.strip()
    if name.startswith("`") and name.endswith("`"):
        return name[1:-1].replace("``", "`")
    return name


def _split_table(text: str) -> tuple[str | None, str]:
    parts = re.findall(_NAME, text)
    if len(parts) == 2:
        return _unquote(parts[0]), _unquote(parts[1])
    return None, _unquote(parts[0])


def show_hook(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    describe = _DESCRIBE.match(text)
    if describe:
        db, table = _split_table(describe.group("table"))
        column = describe.group("column")
        like = None
        if column is not None:
            like = column[1:-1] if column.startswith("'") else _unquote(column)
        return _emulated("DESCRIBE", placeholders, _columns_show(front, table, db, False, like, None))
    match = _SHOW.match(text)
    if not match:
        return None
    rest = match.group("rest")
    if not rest:
        raise syntax_error(text)
    for form, pattern in _FORMS:
        found = pattern.match(rest)
        if found:
            return _emulated("SHOW", placeholders, _SHOW_FORMS[form](front, found))
    if _KNOWN.match(rest):
        raise mysql_error(1235, f"This version of MySQL doesn't yet support 'SHOW {rest.split()[0].upper()} ...' "
                                "(not emulated by aurora_lite)")
    raise syntax_error(text)


def show_statement_hook(front: FrontEnd, statement: exp.Expression, placeholders: Placeholders) -> Plan | None:
    """HOOKS fallback: a SHOW / DESCRIBE that reached sqlglot (several statements in one text)."""
    if not isinstance(statement, (exp.Show, exp.Describe)) and not (
            isinstance(statement, exp.Command) and statement.name.upper() in ("SHOW", "DESC", "DESCRIBE")):
        return None
    return show_hook(front, statement.sql(dialect="mysql"), placeholders)


Emulate = Callable[[Any, list[Any], Plan], tuple[list[str], list[tuple[Any, ...]]]]


def _emulated(verb: str, placeholders: Placeholders, emulate: Emulate) -> Plan:
    return Plan(Kind.EMULATED, "", placeholders, verb=verb, emulate=emulate)


def _like_value(match: re.Match[str], params: list[Any]) -> str | None:
    like = match.groupdict().get("like")
    if like is None:
        return None
    if like == "?":
        return str(params[0])
    quote = like[0]
    return like[1:-1].replace(quote * 2, quote).replace("\\" + quote, quote)


def like_regex(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """SQL LIKE (with backslash escapes) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE)


def _filtered(session: Any, columns: list[str], rows: list[tuple[Any, ...]], like: str | None,
              where: str | None, params: list[Any], case_sensitive: bool = False) -> list[tuple[Any, ...]]:
    if like is not None:
        regex = like_regex(like, case_sensitive)
        rows = [r for r in rows if r[0] is not None and regex.match(str(r[0]))]
    if where:
        rows = _where(session, columns, rows, where, params)
    return rows


def _where(session: Any, columns: list[str], rows: list[tuple[Any, ...]], where: str,
           params: list[Any]) -> list[tuple[Any, ...]]:
    """Evaluate a SHOW ... WHERE condition in DuckDB over the rows."""
    try:
        condition = sqlglot.parse_one(f"SELECT 1 FROM t WHERE {where}", read="mysql").args["where"].this
    except (ParseError, TokenError):
        raise syntax_error(f"WHERE {where}") from None
    arrays = {}
    for i, column in enumerate(columns):
        values = [r[i] for r in rows]
        try:
            arrays[column] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[column] = pa.array([None if v is None else str(v) for v in values], type=pa.string())
        if pa.types.is_null(arrays[column].type):
            arrays[column] = arrays[column].cast(pa.string())
    table = pa.table(arrays)
    index = pa.array(range(len(rows)), type=pa.int64())
    table = table.append_column("__row", index)
    sql = exp.select("__row").from_("__aurora_show").where(condition).sql(dialect="duckdb")
    session.cursor.register("__aurora_show", table)
    try:
        kept = [r["__row"] for r in session.query_arrow(sql, params).to_pylist()]
    finally:
        session.cursor.unregister("__aurora_show")
    return [rows[i] for i in sorted(kept)]


def _check_database(front: FrontEnd, db: str | None) -> None:
    if db is not None and db.lower() != front.database.lower() and db.lower() not in SYSTEM_DATABASES:
        raise mysql_error(1049, f"Unknown database '{db}'")


def _tables(session: Any) -> list[tuple[str, str]]:
    rows = session.query_arrow(
        "SELECT table_name, 'BASE TABLE' FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT internal UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal").to_pylist()
    return sorted((tuple(r.values()) for r in rows), key=lambda r: r[0])


def _show_tables(front: FrontEnd, match: re.Match[str]) -> Emulate:
    full = bool(match.group("full"))
    db = _unquote(match.group("db")) if match.group("db") else None
    _check_database(front, db)
    where = match.group("where")

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        like = _like_value(match, params)
        name = f"Tables_in_{db or front.database}" + (f" ({like})" if like is not None else "")
        columns = [name, "Table_type"] if full else [name]
        rows = [] if db and db.lower() in SYSTEM_DATABASES else _tables(session)
        rows = [r if full else r[:1] for r in rows]
        return columns, _filtered(session, columns, rows, like, where, params, case_sensitive=True)

    return emulate


def _columns_show(front: FrontEnd, table: str, db: str | None, full: bool, like: str | None, where: str | None,
                  match: re.Match[str] | None = None) -> Emulate:
    _check_database(front, db)

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        shape = table_shape(session, table)
        pattern = _like_value(match, params) if match is not None else like
        if full:
            columns = ["Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment"]
            rows = [(c.name, c.type, COLLATION if c.type.split("(")[0] in TEXT_TYPES else None,
                     "YES" if c.nullable else "NO", c.key, c.default, c.extra,
                     "select,insert,update,references", c.comment) for c in shape.columns]
        else:
            columns = ["Field", "Type", "Null", "Key", "Default", "Extra"]
            rows = [(c.name, c.type, "YES" if c.nullable else "NO", c.key, c.default, c.extra)
                    for c in shape.columns]
        return columns, _filtered(session, columns, rows, pattern, where, params)

    return emulate


def _show_columns(front: FrontEnd, match: re.Match[str]) -> Emulate:
    db, table = _split_table(match.group("table"))
    db = _unquote(match.group("db")) if match.group("db") else db
    full = bool(match.group("full")) and "FULL" in match.group("full").upper()
    return _columns_show(front, table, db, full, None, match.group("where"), match=match)


def _show_index(front: FrontEnd, match: re.Match[str]) -> Emulate:
    db, table = _split_table(match.group("table"))
    db = _unquote(match.group("db")) if match.group("db") else db
    _check_database(front, db)
    where = match.group("where")
    columns = ["Table", "Non_unique", "Key_name", "Seq_in_index", "Column_name", "Collation", "Cardinality",
               "Sub_part", "Packed", "Null", "Index_type", "Comment", "Index_comment", "Visible", "Expression"]

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        shape = table_shape(session, table)
        nullable = {c.name: c.nullable for c in shape.columns}
        keys = ([("PRIMARY", shape.primary, 0)] if shape.primary else []) + \
            [(n, cols, 0) for n, cols in shape.unique] + [(n, cols, 1) for n, cols in shape.indexes]
        rows = []
        quoted = f'"{shape.name}"'
        for key_name, cols, non_unique in keys:
            for seq, column in enumerate(cols, start=1):
                prefix = ", ".join(f'"{c}"' for c in cols[:seq])
                cardinality = session.query_arrow(
                    f"SELECT count(*) AS n FROM (SELECT DISTINCT {prefix} FROM {quoted})").to_pylist()[0]["n"]
                rows.append((shape.name, non_unique, key_name, seq, column, "A", cardinality, None, None,
                             "YES" if nullable.get(column) else "", "BTREE", "", "", "YES", None))
        if where:
            rows = _where(session, columns, rows, where, params)
        return columns, rows

    return emulate


def _show_create_table(front: FrontEnd, match: re.Match[str]) -> Emulate:
    db, table = _split_table(match.group("table"))
    _check_database(front, db)

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        return ["Table", "Create Table"], [(table_shape(session, table).name, create_table_text(session, table))]

    return emulate


def _show_create_database(front: FrontEnd, match: re.Match[str]) -> Emulate:
    db = _unquote(match.group("db"))
    _check_database(front, db)

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        text = (f"CREATE DATABASE {ident(db)} /*!40100 DEFAULT CHARACTER SET {CHARSET} COLLATE {COLLATION} */ "
                "/*!80016 DEFAULT ENCRYPTION='N' */")
        return ["Database", "Create Database"], [(db, text)]

    return emulate


def _show_databases(front: FrontEnd, match: re.Match[str]) -> Emulate:
    where = match.group("where")

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        like = _like_value(match, params)
        columns = ["Database" + (f" ({like})" if like is not None else "")]
        rows = [(n,) for n in sorted({*SYSTEM_DATABASES, front.database})]
        return columns, _filtered(session, columns, rows, like, where, params)

    return emulate


def _show_variables(front: FrontEnd, match: re.Match[str]) -> Emulate:
    scope = "global" if (match.group("scope") or "").upper() == "GLOBAL" else "session"
    where = match.group("where")

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        like = _like_value(match, params)
        columns = ["Variable_name", "Value"]
        names = sorted(VARIABLES)
        if like is not None:
            regex = like_regex(like)
            names = [n for n in names if regex.match(n)]
        rows = [(n, variable_value(session, n, scope) or "") for n in names
                if n not in ("identity", "last_insert_id", "warning_count", "error_count")]
        return columns, _filtered(session, columns, rows, None, where, params)

    return emulate


def _show_status(front: FrontEnd, match: re.Match[str]) -> Emulate:
    where = match.group("where")

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        columns = ["Variable_name", "Value"]
        rows = [(k, str(v)) for k, v in sorted(status(session).items())]
        return columns, _filtered(session, columns, rows, _like_value(match, params), where, params)

    return emulate


def _show_warnings(front: FrontEnd, match: re.Match[str]) -> Emulate:
    return lambda session, params, plan: (["Level", "Code", "Message"], [])


def _show_count_warnings(front: FrontEnd, match: re.Match[str]) -> Emulate:
    name = f"@@session.{match.group('what').lower()[:-1]}_count"
    return lambda session, params, plan: ([name], [("0",)])


def _show_engines(front: FrontEnd, match: re.Match[str]) -> Emulate:
    row = ("InnoDB", "DEFAULT", "Supports transactions, row-level locking, and foreign keys", "YES", "YES", "YES")
    return lambda session, params, plan: (["Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"], [row])


def _show_processlist(front: FrontEnd, match: re.Match[str]) -> Emulate:
    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        rows = []
        for other in list(getattr(session.instance, "_sessions", [session])):
            current = other is session
            rows.append((str(connection_id(other)), user_of(other), "localhost", front.database,
                         "Query" if current else "Sleep", "0", "init" if current else "",
                         "SHOW PROCESSLIST" if current else None))
        return ["Id", "User", "Host", "db", "Command", "Time", "State", "Info"], rows

    return emulate


def _show_grants(front: FrontEnd, match: re.Match[str]) -> Emulate:
    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        user = user_of(session)
        grant = (f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, "
                 f"SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, REPLICATION "
                 f"CLIENT, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER ON "
                 f"*.* TO `{user}`@`%` WITH GRANT OPTION")
        return [f"Grants for {user}@%"], [(grant,)]

    return emulate


def _show_table_status(front: FrontEnd, match: re.Match[str]) -> Emulate:
    db = _unquote(match.group("db")) if match.group("db") else None
    _check_database(front, db)
    where = match.group("where")
    columns = ["Name", "Engine", "Version", "Row_format", "Rows", "Avg_row_length", "Data_length",
               "Max_data_length", "Index_length", "Data_free", "Auto_increment", "Create_time", "Update_time",
               "Check_time", "Collation", "Checksum", "Create_options", "Comment"]

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        rows = []
        for name, kind in _tables(session):
            if kind == "VIEW":
                rows.append((name, *([None] * 16), "VIEW"))
                continue
            count = session.query_arrow(f'SELECT count(*) AS n FROM "{name}"').to_pylist()[0]["n"]
            shape = table_shape(session, name)
            rows.append((name, "InnoDB", 10, "Dynamic", count, 0, 16384, 0, 0, 0, shape.auto_increment, None,
                         None, None, COLLATION, None, "", shape.comment))
        return columns, _filtered(session, columns, rows, _like_value(match, params), where, params,
                                  case_sensitive=True)

    return emulate


_SHOW_FORMS: dict[str, Callable[[FrontEnd, re.Match[str]], Emulate]] = {
    "tables": _show_tables, "columns": _show_columns, "index": _show_index, "create_table": _show_create_table,
    "create_database": _show_create_database, "databases": _show_databases, "variables": _show_variables,
    "status": _show_status, "warnings": _show_warnings, "count_warnings": _show_count_warnings,
    "engines": _show_engines, "processlist": _show_processlist, "grants": _show_grants,
    "table_status": _show_table_status,
}
