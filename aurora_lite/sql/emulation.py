"""Statements the front end answers itself: SET, SHOW, USE, psql meta-commands.

An emulated plan carries `emulate(session, params) -> (columns, rows)`;
`session` is the engine session (its `settings` dict, its instance, and
`query_arrow(sql, params)` for catalog look-ups in DuckDB).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from .params import Placeholders
from .plan import Kind, Plan

if TYPE_CHECKING:
    from .frontend import FrontEnd

_PSQL_META = re.compile(r"^\s*\\(c|connect)\b[^\n]*$", re.I)
_SHOW = re.compile(r"^\s*SHOW\s+(?P<name>[\w.]+)\s*;?\s*$", re.I)

# What SHOW answers before a session SETs anything; names as PostgreSQL spells them.
POSTGRES_SETTINGS = {
    "server_version": "16.4",
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "datestyle": "ISO, MDY",
    "timezone": "UTC",
    "standard_conforming_strings": "on",
    "integer_datetimes": "on",
    "transaction_isolation": "repeatable read",  # DuckDB gives snapshot isolation
    "default_transaction_isolation": "repeatable read",
    "transaction_read_only": "off",
    "default_transaction_read_only": "off",
    "search_path": '"$user", public',
    "application_name": "",
    "max_connections": "5000",
    "lc_collate": "C",
    "is_superuser": "on",
}


def match(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    """A plan for texts recognised before parsing (psql meta-commands, PostgreSQL SHOW)."""
    for hook in PRE_PARSE.get(front.dialect, ()):
        plan = hook(front, text, placeholders)
        if plan is not None:
            return plan
    if _PSQL_META.match(text):
        # \c db: one database per cluster, so connecting to "another" changes nothing.
        return Plan(Kind.SESSION, "", placeholders, verb="\\c")
    if front.dialect == "postgres":
        show = _SHOW.match(text)
        if show:
            name = show.group("name").lower()
            return Plan(Kind.EMULATED, "", placeholders, verb="SHOW", name=name, emulate=_show_postgres)
    return None


def _show_postgres(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
    name = plan.name or ""
    if name == "all":
        merged = {**POSTGRES_SETTINGS, **session.settings}
        return ["name", "setting", "description"], [(k, v, "") for k, v in sorted(merged.items())]
    if name in session.settings:
        return [name], [(session.settings[name],)]
    if name in POSTGRES_SETTINGS:
        return [name], [(POSTGRES_SETTINGS[name],)]
    raise session.front.error("42704", 1193, f'unrecognized configuration parameter "{name}"')


def session_plan(front: FrontEnd, statement: exp.Expression, placeholders: Placeholders) -> Plan:
    """SET / USE: session state only."""
    if isinstance(statement, exp.Use):
        return Plan(Kind.SESSION, "", placeholders, verb="USE")
    settings: list[tuple[str, str]] = []
    for item in statement.expressions:
        inner = item.this if isinstance(item, exp.SetItem) else item
        if isinstance(inner, exp.EQ):
            name = inner.this.sql(dialect=front.dialect).lower().lstrip("@").removeprefix("session.")
            value = inner.expression
            text = value.name if isinstance(value, (exp.Literal, exp.Identifier, exp.Column, exp.Var)) else value.sql()
            settings.append((name, text))
    return Plan(Kind.SESSION, "", placeholders, verb="SET", emulate=_apply_settings(tuple(settings)))


def _apply_settings(settings: tuple[tuple[str, str], ...]) -> Any:
    def apply(session: Any, params: list[Any], plan: Plan) -> None:
        for name, value in settings:
            session.settings[name] = value

    return apply


def statement_plan(front: FrontEnd, statement: exp.Expression, placeholders: Placeholders) -> Plan | None:
    """A plan for parsed statements the dialect modules emulate (MySQL SHOW, DESCRIBE ...), or None."""
    for hook in HOOKS.get(front.dialect, ()):
        plan = hook(front, statement, placeholders)
        if plan is not None:
            return plan
    return None


def transform(front: FrontEnd, statement: exp.Expression) -> exp.Expression:
    """Apply the dialect's rewrites (e.g. LAST_INSERT_ID() to a session function) to a parsed statement."""
    for hook in TRANSFORMS.get(front.dialect, ()):
        statement = hook(front, statement)
    return statement


# Dialect modules (sql/mysql/, sql/postgres/) register their hooks here when imported:
# PRE_PARSE: fn(front, text, placeholders) -> Plan | None, tried on the raw text before sqlglot;
# HOOKS: fn(front, statement, placeholders) -> Plan | None, tried on parsed statements the
#        front end does not classify itself (SHOW, DESCRIBE, commands ...);
# TRANSFORMS: fn(front, statement) -> statement, applied to every parsed statement first.
PRE_PARSE: dict[str, list[Any]] = {"postgres": [], "mysql": []}
HOOKS: dict[str, list[Any]] = {"postgres": [], "mysql": []}
TRANSFORMS: dict[str, list[Any]] = {"postgres": [], "mysql": []}
