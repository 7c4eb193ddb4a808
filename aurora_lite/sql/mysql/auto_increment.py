"""MySQL's AUTO_INCREMENT rule for explicit values: NULL or 0 into the column generates the next id.

``INSERT INTO t VALUES (NULL, 'Bob')`` is how many MySQL applications insert
(NO_AUTO_VALUE_ON_ZERO is off by default, so 0 generates too). DuckDB's column
DEFAULT only applies to an omitted column, so the INSERT that reaches DuckDB
wraps the value given for the AUTO_INCREMENT column in
``COALESCE(NULLIF(value, 0), nextval(seq))``. The front end plans without a
catalog, so the session asks for this rewrite per (statement, table) once it
knows the table's AUTO_INCREMENT column.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError


def generate_on_null_or_zero(sql: str, column: str, sequence: str, table_columns: Sequence[str], *,
                             zero_generates: bool = True) -> str:
    """The DuckDB INSERT `sql` with NULL (or 0, unless sql_mode has NO_AUTO_VALUE_ON_ZERO) for `column` generated."""
    try:
        statement = sqlglot.parse_one(sql, read="duckdb")
    except ParseError:
        return sql  # DuckDB reports what is wrong with it
    if not isinstance(statement, exp.Insert):
        return sql
    target = statement.this
    names = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else list(table_columns)
    lowered = [name.lower() for name in names]
    if column.lower() not in lowered:
        return sql  # the column is omitted: its DEFAULT generates
    position = lowered.index(column.lower())

    def generated(value: exp.Expression) -> exp.Expression:
        given = exp.Nullif(this=value, expression=exp.Literal.number(0)) if zero_generates else value
        return exp.Coalesce(this=given,
                            expressions=[exp.Anonymous(this="nextval", expressions=[exp.Literal.string(sequence)])])

    source = statement.expression
    if isinstance(source, exp.Values):
        for row in source.expressions:
            if isinstance(row, exp.Tuple) and len(row.expressions) == len(names):
                row.expressions[position] = generated(row.expressions[position])
        return statement.sql(dialect="duckdb")
    if isinstance(source, exp.Query):
        # INSERT ... SELECT (and executemany's Arrow batch): name the query's columns, then wrap one.
        aliases = [f"__c{i}" for i in range(len(names))]
        wrapped = exp.select(*[generated(exp.column(a)) if i == position else exp.column(a)
                               for i, a in enumerate(aliases)]).from_(
            exp.Subquery(this=source.copy(), alias=exp.TableAlias(
                this=exp.to_identifier("__source"), columns=[exp.to_identifier(a) for a in aliases])))
        statement.set("expression", wrapped)
        return statement.sql(dialect="duckdb")
    return sql
