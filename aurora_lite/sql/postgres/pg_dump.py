"""What pg_dump writes that DuckDB does not take as written.

A schema or data dump from ``pg_dump`` (plain format, as psql replays it)
creates tables without keys, then sequences, column defaults, keys and indexes
with separate statements. Here:

- ``ALTER TABLE|SEQUENCE|VIEW|... x OWNER TO role`` and ``ALTER SEQUENCE s OWNED
  BY t.c`` are accepted and change nothing (roles are not modelled; one owner);
- ``ALTER TABLE ONLY t`` loses ONLY (there is no table inheritance);
- ``CREATE SEQUENCE ... AS integer ... CACHE n`` loses the type and the cache
  (DuckDB sequences are BIGINT and uncached);
- ``CREATE INDEX ... USING btree`` loses the method (DuckDB has one kind);
- a sequence named in ``nextval('public.s'::regclass)`` / ``setval('public.s', ...)``
  is the one in DuckDB's main schema, as tables of ``public`` are.

``ALTER TABLE t ADD CONSTRAINT ... PRIMARY KEY / UNIQUE`` and ``ALTER COLUMN ...
SET DEFAULT nextval(...)`` run as written; the catalog records the new key and the
sequence feeding the column (engine/schema_changes.py).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlglot import exp

from ..params import Placeholders
from ..plan import Kind, Plan

if TYPE_CHECKING:
    from ..frontend import FrontEnd

_OWNER = re.compile(r"^\s*ALTER\s+(?:TABLE|SEQUENCE|VIEW|MATERIALIZED\s+VIEW|FUNCTION|PROCEDURE|SCHEMA|TYPE|INDEX|"
                    r"DOMAIN)\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?[\w.\"]+(?:\([^)]*\))?\s+OWNER\s+TO\s+[\w\"]+\s*;?\s*$",
                    re.I)
_OWNED_BY = re.compile(r"^\s*ALTER\s+SEQUENCE\s+[\w.\"]+\s+OWNED\s+BY\s+[\w.\"]+\s*;?\s*$", re.I)
_SEQUENCE_FUNCTIONS = {"nextval", "setval", "currval"}


def pre_parse(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    """Ownership statements: accepted, no change (a reader still refuses them, as DDL)."""
    if _OWNER.match(text) or _OWNED_BY.match(text):
        return Plan(Kind.SESSION, "", placeholders, verb="ALTER", refused_on_reader=True)
    return None


def transform(front: FrontEnd, statement: exp.Expression) -> exp.Expression:
    """Drop what DuckDB cannot take from pg_dump's DDL; point public sequences at main."""
    if isinstance(statement, exp.Alter) and statement.args.get("only"):
        statement.set("only", False)
    if isinstance(statement, exp.Create):
        kind = (statement.args.get("kind") or "").upper()
        if kind == "SEQUENCE":
            statement.set("expression", None)  # AS integer
            for props in statement.find_all(exp.SequenceProperties):
                props.set("cache", None)
        elif kind == "INDEX" and isinstance(statement.this, exp.Index):
            params = statement.this.args.get("params")
            if params is not None and params.args.get("using") is not None:
                params.set("using", None)
    for call in statement.find_all(exp.Anonymous):
        if call.name.lower() in _SEQUENCE_FUNCTIONS and call.expressions:
            first = call.expressions[0]
            name = first.this if isinstance(first, exp.Cast) else first  # 'public.s'::regclass
            if isinstance(name, exp.Literal) and name.is_string and name.name.lower().startswith("public."):
                name.replace(exp.Literal.string(name.name[len("public."):]))
    return statement
