"""MySQL's ``ON UPDATE CURRENT_TIMESTAMP``: an UPDATE also sets such columns to the statement's time.

DuckDB has no such column attribute, so the UPDATE (or the update half of
``INSERT ... ON DUPLICATE KEY UPDATE``) that reaches DuckDB gets one more
assignment per column it does not assign itself, with the same clock as
MySQL's ``NOW(fsp)`` (a session function). MySQL sets the column only when
the row's values change; here every row the UPDATE matches gets it. The
session asks for this rewrite per (statement, table) once it knows the
table's columns.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .. import session_functions
from .common import call

_ON_UPDATE = re.compile(r"on update CURRENT_TIMESTAMP(?:\((\d)\))?", re.IGNORECASE)


def on_update_columns(columns: Iterable[tuple[str, str]]) -> list[tuple[str, int]]:
    """(name, fractional digits) of the columns whose SHOW COLUMNS Extra says on update CURRENT_TIMESTAMP."""
    found = []
    for name, extra in columns:
        match = _ON_UPDATE.search(extra or "")
        if match:
            found.append((name, int(match.group(1) or 0)))
    return found


def add_on_update(sql: str, columns: Sequence[tuple[str, int]]) -> tuple[str, frozenset[str]]:
    """The DuckDB UPDATE / upsert `sql` also setting `columns` to now; and the session functions it reads."""
    if not columns:
        return sql, frozenset()
    try:
        statement = sqlglot.parse_one(sql, read="duckdb")
    except ParseError:
        return sql, frozenset()
    if isinstance(statement, exp.Update):
        holder = statement
    elif isinstance(statement, exp.Insert) and statement.args.get("conflict") is not None \
            and statement.args["conflict"].expressions:
        holder = statement.args["conflict"]
    else:
        return sql, frozenset()
    assignments = list(holder.expressions)
    assigned = {a.this.name.lower() for a in assignments if isinstance(a, exp.EQ) and isinstance(a.this, exp.Column)}
    for name, digits in columns:
        if name.lower() not in assigned:
            assignments.append(exp.EQ(this=exp.column(name, quoted=True), expression=call(f"aurora_mysql_now_{digits}")))
    holder.set("expressions", assignments)
    statement, functions = session_functions.rewrite(statement)
    return statement.sql(dialect="duckdb"), functions
