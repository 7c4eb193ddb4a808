"""Declared column types DuckDB does not keep, recorded as column comments.

DuckDB keeps no declared length and one VARCHAR / JSON type, so CREATE TABLE
and ALTER TABLE (ADD COLUMN, ALTER COLUMN TYPE) also set a column comment
``aurora_pg:<declared type>`` for varchar(n), varchar, char(n) and jsonb; it is
logged with the DDL, survives RENAME COLUMN, and the catalogs read the type
from it and hide it from col_description(). An uncommented VARCHAR reads back
as ``text``. (A bare ``numeric`` is DECIMAL(38,10), see rewrite.py: DuckDB's
bare DECIMAL is (18,3) and rounds; the catalogs report that as unconstrained
numeric.)
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs
import sqlglot
from sqlglot import exp

from ..params import Placeholders
from ..plan import Kind, Plan
from .catalog_sources import DECLARED_TYPE_MARKER

if TYPE_CHECKING:
    from ..frontend import FrontEnd


def _declared(kind: exp.DataType) -> str | None:
    """The PostgreSQL spelling of a declared type DuckDB would not keep (varchar(n), char(n), jsonb)."""
    param = kind.expressions[0] if kind.expressions else None
    length = (param.this if isinstance(param, exp.DataTypeParam) else param) if param is not None else None
    if kind.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR):
        return f"character varying({length.name})" if length is not None else "character varying"
    if kind.this in (exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR):
        return f"character({length.name if length is not None else 1})"
    if kind.this == exp.DataType.Type.JSONB:
        return "jsonb"
    return None


def _type_comments(statement: exp.Expression) -> list[str]:
    """COMMENT ON COLUMN statements that record the declared types of a CREATE / ALTER TABLE.

    DuckDB keeps one VARCHAR and one JSON type. A column comment survives ALTER TYPE and
    RENAME COLUMN (a CHECK constraint would forbid ALTER TYPE), so the comment holds the
    PostgreSQL type; an ALTER to another type clears it. A user's own COMMENT ON COLUMN
    replaces it (the column then reads back as text / json).
    """
    if isinstance(statement, exp.Create) and isinstance(statement.this, exp.Schema):
        table = statement.this.this
        changes = [(c.this, c.args.get("kind")) for c in statement.this.expressions if isinstance(c, exp.ColumnDef)]
    elif isinstance(statement, exp.Alter) and isinstance(statement.this, exp.Table):
        table = statement.this
        changes = [(a.this, a.args.get("kind")) for a in statement.args.get("actions") or []
                   if isinstance(a, exp.ColumnDef)]
        changes += [(a.this, a.args.get("dtype")) for a in statement.args.get("actions") or []
                    if isinstance(a, exp.AlterColumn) and a.args.get("dtype") is not None]
    else:
        return []
    if not isinstance(table, exp.Table):
        return []
    schema = table.db if table.db and table.db.lower() != "public" else "main"
    comments = []
    for column, kind in changes:
        declared = _declared(kind) if isinstance(kind, exp.DataType) else None
        if declared is None and isinstance(statement, exp.Create):
            continue
        target = exp.column(column.copy(), table=table.this.copy(), db=exp.to_identifier(schema))
        text = exp.Literal.string(DECLARED_TYPE_MARKER + declared) if declared else exp.Null()
        comments.append(f"COMMENT ON COLUMN {target.sql(dialect='duckdb')} IS {text.sql(dialect='duckdb')}")
    return comments


_TABLE_DDL = re.compile(r"^\s*(?:CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE|"
                        r"ALTER\s+TABLE)\b", re.IGNORECASE)


def _table_ddl_plan(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    """CREATE / ALTER TABLE planned as usual, followed by the comments that keep declared types.

    Only single-statement texts: a script sent in one execute plans as usual (its
    varchar columns then read back as text).
    """
    try:
        statements = [s for s in sqlglot.parse(text, read="postgres") if s is not None]
    except sqlglot.errors.SqlglotError:
        return None  # the front end reports the syntax error
    if len(statements) != 1:
        return None
    comments = _type_comments(statements[0])
    if not comments:
        return None
    plan = front._statement_plan(statements[0], placeholders)
    if plan.kind is not Kind.DDL:
        return plan
    # Logged with the DDL (the statements replay as one text), so rebuilt instances keep them.
    return attrs.evolve(plan, sql="; ".join([plan.sql, *comments]))
