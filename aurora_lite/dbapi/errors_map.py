"""Translate DuckDB exceptions into the errors aurora-postgresql or aurora-mysql raise.

An instance runs every statement on DuckDB; an application must see what
PostgreSQL (SQLSTATE, psycopg class, message) or MySQL (errno, SQLSTATE,
PyMySQL class, message) would report. Each situation is one ``_Rule``: the
DuckDB class, a pattern over DuckDB's message, and a function per dialect
returning (code, message). The first matching rule wins; what no rule knows
becomes an internal error (PostgreSQL XX000, MySQL 1105 ER_UNKNOWN_ERROR).
The DuckDB exception is kept as ``__cause__``.
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple

import duckdb

from aurora_lite.dbapi.exceptions import Error, ProgrammingError, mysql_error, postgres_error

__all__ = ["translate_duckdb_error"]


class _Context(NamedTuple):
    """What the caller knows beyond DuckDB's message."""

    table: str | None
    db_name: str
    statement_kind: str | None
    full_message: str


_PostgresRender = Callable[[re.Match[str], _Context], "tuple[str, str]"]
_MySQLRender = Callable[[re.Match[str], _Context], "tuple[int, str]"]


class _Rule(NamedTuple):
    """One DuckDB situation and how each engine reports it."""

    duckdb_classes: tuple[type[BaseException], ...]
    pattern: re.Pattern[str]
    postgres: _PostgresRender
    mysql: _MySQLRender


# DuckDB's internal physical type names -> the names each engine prints.
_POSTGRES_TYPE_NAMES = {
    "INT8": "smallint", "INT16": "smallint", "INT32": "integer", "INT64": "bigint",
    "INT128": "numeric", "UINT8": "smallint", "UINT16": "integer", "UINT32": "bigint",
    "UINT64": "numeric", "DOUBLE": "double precision", "FLOAT": "real",
    "DECIMAL": "numeric", "BOOL": "boolean", "UUID": "uuid", "DATE": "date",
    "TIMESTAMP": "timestamp", "TIME": "time", "INTERVAL": "interval",
}
_MYSQL_TYPE_NAMES = {
    "INT8": "TINYINT", "INT16": "SMALLINT", "INT32": "INTEGER", "INT64": "BIGINT",
    "INT128": "DECIMAL", "UINT8": "TINYINT UNSIGNED", "UINT16": "SMALLINT UNSIGNED",
    "UINT32": "INT UNSIGNED", "UINT64": "BIGINT UNSIGNED", "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT", "DECIMAL": "DECIMAL", "BOOL": "BOOLEAN", "DATE": "DATE",
    "TIMESTAMP": "DATETIME", "TIME": "TIME",
}


def _pg_type(duckdb_type: str) -> str:
    return _POSTGRES_TYPE_NAMES.get(duckdb_type.upper(), duckdb_type.lower())


def _pg_call(call: str) -> str:
    """Render DuckDB's 'abs(STRING_LITERAL, INTEGER)' with PostgreSQL's type names."""
    name, _, args = call.partition("(")
    pg_args = [_pg_type(_LITERAL_TYPES.get(arg, arg)) for arg in args.rstrip(")").split(", ") if arg]
    return f"{name}({', '.join(pg_args)})"


# DuckDB's literal pseudo-types -> the type PostgreSQL gives the same literal.
_LITERAL_TYPES = {"STRING_LITERAL": "unknown", "INTEGER_LITERAL": "INT32", "INTEGER": "INT32",
                  "BIGINT": "INT64", "SMALLINT": "INT16", "VARCHAR": "text", "BOOLEAN": "BOOL"}


def _mysql_type(duckdb_type: str) -> str:
    return _MYSQL_TYPE_NAMES.get(duckdb_type.upper(), duckdb_type.upper())


def _unquote(name: str) -> str:
    return name[1:-1] if len(name) > 1 and name[0] == name[-1] == '"' else name


def _split_key(key: str) -> tuple[list[str], list[str]]:
    """Split DuckDB's 'a: 1, b: q' into column names and values."""
    starts = list(re.finditer(r'(?:^|, )("[^"]+"|[A-Za-z_][\w$]*): ', key))
    columns = [_unquote(m.group(1)) for m in starts]
    ends = [m.start() for m in starts[1:]] + [len(key)]
    values = [key[m.end():end] for m, end in zip(starts, ends)]
    return columns, values


def _mysql_table(name: str, ctx: _Context) -> str:
    # MySQL names a table by database; a qualified name already carries it.
    return name if "." in name else f"{ctx.db_name}.{name}"


# -- unique keys ---------------------------------------------------------------

def _pg_unique(m: re.Match[str], ctx: _Context) -> tuple[str, str]:
    table = ctx.table or "unknown"
    columns, values = _split_key(m.group("key")) if m.group("key") else ([], [])
    # PostgreSQL's default names: <table>_pkey, <table>_<columns>_key. A key
    # DuckDB reports without columns (multi-row insert, commit) is almost
    # always the primary key.
    if m.group("kind") == "unique" and columns:
        constraint = f"{table}_{'_'.join(columns)}_key"
    else:
        constraint = f"{table}_pkey"
    message = f'duplicate key value violates unique constraint "{constraint}"'
    if columns:
        message += f"\nDETAIL:  Key ({', '.join(columns)})=({', '.join(values)}) already exists."
    return "23505", message


def _mysql_unique(m: re.Match[str], ctx: _Context) -> tuple[int, str]:
    if m.group("key"):
        columns, values = _split_key(m.group("key"))
    else:
        columns, values = [], m.group("values").split(", ")
    # MySQL names a unique index after its first column; 8.0.19+ qualifies
    # the key with the table.
    index = columns[0] if m.group("kind") == "unique" and columns else "PRIMARY"
    key = f"{ctx.table}.{index}" if ctx.table else index
    return 1062, f"Duplicate entry '{'-'.join(values)}' for key '{key}'"


def _syntax_near(ctx: _Context) -> str:
    """Return the statement text from DuckDB's caret on, as MySQL quotes it after 'near'."""
    m = re.search(r"^LINE (\d+): (.*)\n( *)\^", ctx.full_message, re.MULTILINE)
    if not m:
        return ""
    prefix = len(f"LINE {m.group(1)}: ")
    return m.group(2)[max(len(m.group(3)) - prefix, 0):]


def _mysql_syntax(ctx: _Context) -> tuple[int, str]:
    line = re.search(r"^LINE (\d+):", ctx.full_message, re.MULTILINE)
    return 1064, ("You have an error in your SQL syntax; check the manual that corresponds to "
                  f"your MySQL server version for the right syntax to use near '{_syntax_near(ctx)}' "
                  f"at line {line.group(1) if line else 1}")


def _drop(ctx: _Context) -> bool:
    return (ctx.statement_kind or "").upper().startswith("DROP")


def _pg_missing_table(m: re.Match[str], ctx: _Context) -> tuple[str, str]:
    noun = "table" if _drop(ctx) else "relation"
    return "42P01", f'{noun} "{m.group("name")}" does not exist'


def _mysql_missing_table(m: re.Match[str], ctx: _Context) -> tuple[int, str]:
    if _drop(ctx):
        return 1051, f"Unknown table '{_mysql_table(m.group('name'), ctx)}'"
    return 1146, f"Table '{_mysql_table(m.group('name'), ctx)}' doesn't exist"


def _pg_already_exists(m: re.Match[str], ctx: _Context) -> tuple[str, str]:
    kind, name = m.group("kind").lower(), m.group("name")
    if kind == "schema":
        return "42P06", f'schema "{name}" already exists'
    if kind in ("table", "view", "sequence", "index"):
        return "42P07", f'relation "{name}" already exists'
    return "42710", f'{kind} "{name}" already exists'


def _mysql_already_exists(m: re.Match[str], ctx: _Context) -> tuple[int, str]:
    kind, name = m.group("kind").lower(), m.group("name")
    if kind == "schema":
        return 1007, f"Can't create database '{name}'; database exists"
    if kind == "index":
        return 1061, f"Duplicate key name '{name}'"
    return 1050, f"Table '{name}' already exists"


def _column_reference(m: re.Match[str]) -> str:
    table = m.groupdict().get("qualifier")
    return f"{table}.{m.group('column')}" if table else m.group("column")


def _pg_missing_column(m: re.Match[str], ctx: _Context) -> tuple[str, str]:
    if m.groupdict().get("relation"):
        return "42703", f'column "{m.group("column")}" of relation "{m.group("relation")}" does not exist'
    if m.groupdict().get("qualifier"):
        return "42703", f"column {_column_reference(m)} does not exist"
    return "42703", f'column "{m.group("column")}" does not exist'


def _mysql_missing_column(m: re.Match[str], ctx: _Context) -> tuple[int, str]:
    return 1054, f"Unknown column '{_column_reference(m)}' in 'field list'"


def _rule(classes: type[BaseException] | tuple[type[BaseException], ...], pattern: str,
          postgres: _PostgresRender, mysql: _MySQLRender) -> _Rule:
    classes = classes if isinstance(classes, tuple) else (classes,)
    return _Rule(classes, re.compile(pattern), postgres, mysql)


_READ_ONLY_MYSQL = "The MySQL server is running with the --read-only option so it cannot execute this statement"
_CONFLICT_PG = "could not serialize access due to concurrent update"
_DEADLOCK_MYSQL = "Deadlock found when trying to get lock; try restarting transaction"
_UNIQUE_KEY = (r'(?:Duplicate key "(?P<key>.*)" violates (?P<kind>primary key|unique) constraint'
               r'|PRIMARY KEY or UNIQUE constraint violation: duplicate key "(?P<values>.*)")')

_RULES: tuple[_Rule, ...] = (
    # Integrity.
    _rule((duckdb.ConstraintException, duckdb.TransactionException), _UNIQUE_KEY, _pg_unique, _mysql_unique),
    _rule(duckdb.ConstraintException, r"NOT NULL constraint failed: (?P<table>[^.]+)\.(?P<column>.+)",
          lambda m, c: ("23502", f'null value in column "{_unquote(m.group("column"))}" of relation '
                                 f'"{_unquote(m.group("table"))}" violates not-null constraint'),
          lambda m, c: (1048, f"Column '{_unquote(m.group('column'))}' cannot be null")),
    _rule(duckdb.ConstraintException, r'CHECK constraint failed on table "?(?P<table>[^" ]+)"?',
          lambda m, c: ("23514", f'new row for relation "{m.group("table")}" violates check constraint '
                                 f'"{m.group("table")}_check"'),
          lambda m, c: (3819, f"Check constraint '{m.group('table')}_chk_1' is violated.")),
    _rule(duckdb.ConstraintException, r'key "(?P<key>.*)" does not exist in the referenced table',
          lambda m, c: ("23503", f'insert or update on table "{c.table or "unknown"}" violates foreign key '
                                 f'constraint "{c.table or "unknown"}_fkey"'),
          lambda m, c: (1452, "Cannot add or update a child row: a foreign key constraint fails")),
    _rule(duckdb.ConstraintException, r'key "(?P<key>.*)" is still referenced',
          lambda m, c: ("23503", f'update or delete on table "{c.table or "unknown"}" violates a foreign key '
                                 "constraint"),
          lambda m, c: (1451, "Cannot delete or update a parent row: a foreign key constraint fails")),
    # Transactions: DuckDB aborts the second writer at once (first-updater-wins).
    _rule(duckdb.TransactionException, r"[Cc]onflict", lambda m, c: ("40001", _CONFLICT_PG),
          lambda m, c: (1213, _DEADLOCK_MYSQL)),
    _rule(duckdb.TransactionException, r"Current transaction is aborted",
          lambda m, c: ("25P02", "current transaction is aborted, commands ignored until end of transaction block"),
          lambda m, c: (1105, "Current transaction is aborted, roll it back")),
    _rule(duckdb.TransactionException, r"cannot start a transaction within a transaction",
          lambda m, c: ("25001", "there is already a transaction in progress"),
          lambda m, c: (1179, "You are not allowed to execute this command in a transaction")),
    _rule(duckdb.TransactionException, r"no transaction is active",
          lambda m, c: ("25P01", "there is no transaction in progress"),
          lambda m, c: (1105, "There is no transaction in progress")),
    # Read-only instances (a reader attaches its database read-only).
    _rule(duckdb.InvalidInputException, r'Cannot execute statement of type "(?P<kind>\w+)".*read-only mode',
          lambda m, c: ("25006", f"cannot execute {(c.statement_kind or m.group('kind')).upper()} "
                                 "in a read-only transaction"),
          lambda m, c: (1290, _READ_ONLY_MYSQL)),
    # Catalog.
    _rule(duckdb.CatalogException, r'Table with name "?(?P<name>[^"!]+?)"? does not exist',
          _pg_missing_table, _mysql_missing_table),
    _rule(duckdb.CatalogException, r'Sequence with name "?(?P<name>[^"!]+?)"? does not exist',
          _pg_missing_table, _mysql_missing_table),
    _rule(duckdb.CatalogException, r'(?P<kind>\w+) with name "(?P<name>[^"]+)" already exists',
          _pg_already_exists, _mysql_already_exists),
    _rule(duckdb.CatalogException, r'Function with name "?(?P<name>[^"!]+?)"? does not exist',
          lambda m, c: ("42883", f"function {m.group('name')} does not exist"),
          lambda m, c: (1305, f"FUNCTION {c.db_name}.{m.group('name')} does not exist")),
    _rule(duckdb.CatalogException, r'Schema with name "?(?P<name>[^"!]+?)"? does not exist',
          lambda m, c: ("3F000", f'schema "{m.group("name")}" does not exist'),
          lambda m, c: (1049, f"Unknown database '{m.group('name')}'")),
    _rule(duckdb.CatalogException, r'main key table of the table "(?P<child>[^"]+)"',
          lambda m, c: ("2BP01", f"cannot drop table {c.table or 'unknown'} because other objects depend on it"),
          lambda m, c: (3730, f"Cannot drop table '{c.table or 'unknown'}' referenced by a foreign key "
                              f"constraint on table '{m.group('child')}'.")),
    # Binder.
    _rule(duckdb.BinderException, r'Referenced column "(?P<column>[^"]+)" not found',
          _pg_missing_column, _mysql_missing_column),
    _rule(duckdb.BinderException, r'Table "(?P<qualifier>[^"]+)" does not have a column named "(?P<column>[^"]+)"',
          _pg_missing_column, _mysql_missing_column),
    _rule(duckdb.BinderException, r'Table "(?P<relation>[^"]+)" does not have a column with name "(?P<column>[^"]+)"',
          _pg_missing_column, _mysql_missing_column),
    _rule(duckdb.BinderException, r"Referenced update column (?P<column>\S+) not found",
          _pg_missing_column, _mysql_missing_column),
    _rule(duckdb.BinderException, r'Ambiguous reference to column name "(?P<column>[^"]+)"',
          lambda m, c: ("42702", f'column reference "{m.group("column")}" is ambiguous'),
          lambda m, c: (1052, f"Column '{m.group('column')}' in field list is ambiguous")),
    _rule(duckdb.BinderException, r'column "(?P<column>[^"]+)" must appear in the GROUP BY clause',
          lambda m, c: ("42803", f'column "{m.group("column")}" must appear in the GROUP BY clause '
                                 "or be used in an aggregate function"),
          lambda m, c: (1055, f"Expression of SELECT list is not in GROUP BY clause and contains nonaggregated "
                              f"column '{m.group('column')}' which is not functionally dependent on columns in "
                              "GROUP BY clause; this is incompatible with sql_mode=only_full_group_by")),
    _rule(duckdb.BinderException, r"No function matches the given name and argument types '(?P<call>[^']+)'",
          lambda m, c: ("42883", f"function {_pg_call(m.group('call'))} does not exist"),
          lambda m, c: (1105, f"No function matches {m.group('call')}")),
    # Parser.
    _rule(duckdb.ParserException, r'syntax error at or near "(?P<token>[^"]*)"',
          lambda m, c: ("42601", f'syntax error at or near "{m.group("token")}"'),
          lambda m, c: _mysql_syntax(c)),
    _rule(duckdb.ParserException, r"syntax error at end of input",
          lambda m, c: ("42601", "syntax error at end of input"), lambda m, c: _mysql_syntax(c)),
    # Data.
    # Fix: errors the front end raises from SQL as error('[SQLSTATE] message') (sql/postgres/functions.py:
    # 'x'::regclass of a missing relation, current_setting() of an unknown parameter).
    _rule(duckdb.InvalidInputException, r"^\[(?P<sqlstate>[0-9A-Z]{5})\] (?P<message>.*)$",
          lambda m, c: (m.group("sqlstate"), m.group("message")), lambda m, c: (1105, m.group("message"))),
    _rule(duckdb.InvalidInputException, r"Division by zero",
          lambda m, c: ("22012", "division by zero"), lambda m, c: (1365, "Division by 0")),
    _rule(duckdb.ConversionException, r"Could not convert string '(?P<value>.*)' to (?P<type>\w+)",
          lambda m, c: ("22P02", f'invalid input syntax for type {_pg_type(m.group("type"))}: "{m.group("value")}"'),
          lambda m, c: (1292, f"Truncated incorrect {_mysql_type(m.group('type'))} value: '{m.group('value')}'")),
    _rule(duckdb.ConversionException, r"with value (?P<value>\S+) can't be cast because the value is out of "
                                      r"range for the destination type (?P<type>\w+)",
          lambda m, c: ("22003", f"{_pg_type(m.group('type'))} out of range"),
          lambda m, c: (1690, f"{_mysql_type(m.group('type'))} value is out of range in '{m.group('value')}'")),
    _rule(duckdb.ConversionException, r'(?P<kind>date|timestamp|time) field value out of range: "(?P<value>[^"]*)"',
          lambda m, c: ("22008", f'date/time field value out of range: "{m.group("value")}"'),
          lambda m, c: (1525, f"Incorrect {_mysql_type(m.group('kind'))} value: '{m.group('value')}'")),
    _rule(duckdb.OutOfRangeException, r"Overflow in \w+ of (?P<type>\w+) (?P<expr>\(.*\))",
          lambda m, c: ("22003", f"{_pg_type(m.group('type'))} out of range"),
          lambda m, c: (1690, f"{_mysql_type(m.group('type'))} value is out of range in '{m.group('expr')}'")),
)

# When no rule matches: the DuckDB class decides. Order matters (subclasses first).
_FALLBACKS: tuple[tuple[type[BaseException], str, int], ...] = (
    (duckdb.ConstraintException, "23000", 1105),
    (duckdb.ParserException, "42601", 1064),
    (duckdb.CatalogException, "42704", 1105),
    (duckdb.BinderException, "42000", 1105),
    (duckdb.ConversionException, "22000", 1105),
    (duckdb.OutOfRangeException, "22003", 1690),
    (duckdb.TypeMismatchException, "42804", 1105),
    (duckdb.InvalidTypeException, "42804", 1105),
    (duckdb.InvalidInputException, "22023", 1105),
    (duckdb.TransactionException, "25000", 1105),
    (duckdb.NotImplementedException, "0A000", 1235),
    (duckdb.InterruptException, "57014", 1317),
    (duckdb.OutOfMemoryException, "53200", 1037),
    (duckdb.ConnectionException, "08006", 2013),
    (duckdb.IOException, "58030", 1105),
    (duckdb.PermissionException, "42501", 1227),
    (duckdb.DependencyException, "2BP01", 1105),
    (duckdb.SequenceException, "2200H", 1467),
)


def _primary_message(text: str) -> str:
    """Return DuckDB's first line without its 'Catalog Error: ' style prefix."""
    first_line = text.split("\n", 1)[0]
    return re.sub(r"^[A-Za-z ]+ Error: ", "", first_line)


_UNADAPTABLE = re.compile(r"Unable to transform python value of type '<class '([\w.]+)'>'")


def translate_duckdb_error(exc: BaseException, dialect: str, *, statement_kind: str | None = None,
                           table: str | None = None, db_name: str = "aurora") -> Error:
    """Return the aurora_lite error the cluster's engine would raise for a DuckDB exception."""
    if dialect not in ("postgres", "mysql"):
        raise ValueError(f"unknown dialect {dialect!r}; expected 'postgres' or 'mysql'")
    if isinstance(exc, Error):
        return exc
    full_message = str(exc)
    primary = _primary_message(full_message)
    ctx = _Context(table, db_name, statement_kind, full_message)
    error = _translate_by_rules(exc, primary, ctx, dialect)
    if error is None:
        error = _translate_by_class(exc, primary, dialect)
    error.__cause__ = exc
    return error


def _translate_by_rules(exc: BaseException, primary: str, ctx: _Context, dialect: str) -> Error | None:
    for rule in _RULES:
        if not isinstance(exc, rule.duckdb_classes):
            continue
        match = rule.pattern.search(primary)
        if match is None:
            continue
        if dialect == "postgres":
            return postgres_error(*rule.postgres(match, ctx))
        return mysql_error(*rule.mysql(match, ctx))
    return None


def _translate_by_class(exc: BaseException, primary: str, dialect: str) -> Error:
    if isinstance(exc, duckdb.InvalidInputException) and "Values were not provided" in primary:
        # A client-side mistake: psycopg and PyMySQL raise it before the server sees the query.
        return ProgrammingError(primary)
    unadaptable = _UNADAPTABLE.search(primary)
    if unadaptable:
        # Also a client-side mistake: psycopg's "cannot adapt type" before anything is sent.
        return ProgrammingError(f"cannot adapt type {unadaptable.group(1)!r} to a query parameter")
    sqlstate, errno = "XX000", 1105
    for duckdb_class, fallback_sqlstate, fallback_errno in _FALLBACKS:
        if isinstance(exc, duckdb_class):
            sqlstate, errno = fallback_sqlstate, fallback_errno
            break
    if dialect == "postgres":
        return postgres_error(sqlstate, primary)
    return mysql_error(errno, primary)
