"""MySQL upserts on tables with several unique keys: the conflict target DuckDB needs.

``INSERT ... ON DUPLICATE KEY UPDATE`` and ``REPLACE`` act on whichever unique
key the new row collides with; DuckDB's ``ON CONFLICT DO UPDATE`` (and ``INSERT OR
REPLACE``) needs the key named when the table has more than one. The common case
is an upsert by a natural key on a table with a generated primary key (``INSERT
INTO users (email, ...) ... ON DUPLICATE KEY UPDATE``): the key is the unique key
all of whose columns the INSERT supplies, preferring one without the
AUTO_INCREMENT column (a generated id never collides). The session asks for this
rewrite per (statement, table), as it knows the table's keys.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError


def name_conflict_target(sql: str, unique_keys: Sequence[Sequence[str]], table_columns: Sequence[str],
                         auto_increment: str | None) -> str:
    """The DuckDB upsert `sql` with the conflict target MySQL would have hit, when DuckDB needs one."""
    if len(unique_keys) < 2:
        return sql  # one unique key: DuckDB finds it itself
    try:
        statement = sqlglot.parse_one(sql, read="duckdb")
    except ParseError:
        return sql
    if not isinstance(statement, exp.Insert):
        return sql
    conflict = statement.args.get("conflict")
    replace = statement.args.get("alternative") == "REPLACE"
    updates = conflict is not None and conflict.args.get("action") is not None \
        and conflict.args["action"].name.upper() == "DO UPDATE" and not conflict.args.get("conflict_keys")
    if not (updates or replace):
        return sql
    target = statement.this
    supplied = {c.name.lower() for c in target.expressions} if isinstance(target, exp.Schema) \
        else {c.lower() for c in table_columns}
    candidates = [key for key in unique_keys if {c.lower() for c in key} <= supplied]
    if not candidates:
        return sql
    generated = (auto_increment or "").lower()
    # REPLACE names its row by the primary key (listed first) when it gives one; an upsert by a
    # natural key leaves the generated id to the sequence.
    chosen = candidates[0] if replace else \
        next((key for key in candidates if generated not in {c.lower() for c in key}), candidates[0])
    keys = [exp.to_identifier(c, quoted=True) for c in chosen]
    if replace:
        # INSERT OR REPLACE with a target: ON CONFLICT (key) DO UPDATE SET every other column.
        names = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else list(table_columns)
        chosen_lower = {c.lower() for c in chosen}
        sets = [exp.EQ(this=exp.column(n, quoted=True),
                       expression=exp.Column(this=exp.to_identifier(n, quoted=True), table=exp.to_identifier("excluded")))
                for n in names if n.lower() not in chosen_lower]
        statement.set("alternative", None)
        conflict = exp.OnConflict(action=exp.var("DO UPDATE" if sets else "DO NOTHING"), expressions=sets or None)
        statement.set("conflict", conflict)
    conflict.set("conflict_keys", keys)
    return statement.sql(dialect="duckdb")
