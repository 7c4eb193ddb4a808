"""What the MySQL emulation modules share: versions, character set, small SQL helpers."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ...dbapi.exceptions import Error, mysql_error

if TYPE_CHECKING:
    from ..frontend import FrontEnd


AURORA_VERSION = "3.08.0"
MYSQL_VERSION = "8.0.39"               # the MySQL release Aurora MySQL 3.08 is compatible with
ENGINE_VERSION = f"8.0.mysql_aurora.{AURORA_VERSION}"
VERSION_COMMENT = f"Source distribution (Aurora MySQL {AURORA_VERSION}, aurora_lite)"
CHARSET = "utf8mb4"
COLLATION = "utf8mb4_0900_ai_ci"
SYSTEM_DATABASES = ("information_schema", "mysql", "performance_schema", "sys")
planning = threading.local()   # the SQL text being planned (for MySQL-style column names)


def call(name: str, *args: exp.Expression) -> exp.Expression:
    """A call of a DuckDB function, left as written by sqlglot's generator."""
    return exp.Anonymous(this=name, expressions=list(args))


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def parse_single(front: FrontEnd, text: str) -> exp.Expression | None:
    """The one statement of a MySQL text, or None (several statements, or the front end's syntax error)."""
    try:
        statements = [s for s in sqlglot.parse(text, read="mysql") if s is not None]
    except (ParseError, TokenError):
        return None
    return statements[0] if len(statements) == 1 else None


def cast(node: exp.Expression, to: str) -> exp.Expression:
    """CAST(node AS to)."""
    return exp.Cast(this=node, to=exp.DataType.build(to))


def syntax_error(text: str) -> Error:
    """MySQL's 1064, worded as the server words it."""
    near = text.strip()[:80]
    return mysql_error(1064, "You have an error in your SQL syntax; check the manual that corresponds to your "
                             f"MySQL server version for the right syntax to use near '{near}' at line 1")


def ident(name: str) -> str:
    """A MySQL `identifier`."""
    return "`" + name.replace("`", "``") + "`"
