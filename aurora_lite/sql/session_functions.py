"""Values that depend on the session or instance (LAST_INSERT_ID(), DATABASE(), ...).

Plans are cached across sessions, so such values cannot be baked into SQL
text, and DuckDB Python UDFs are global to the shared database. Instead a
call ``name()`` of a registered zero-argument function is rewritten to
``getvariable('aurora_fn_name')``: DuckDB variables belong to one DuckDB
connection, i.e. to one session, which sets the variable before running a
plan that reads it (only when its value changed). Dialect modules register
functions here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from sqlglot import exp


@attrs.frozen
class SessionFunction:
    """A zero-argument SQL function whose value bind(session)() gives at the time of the statement."""

    name: str                                  # lower-case SQL name
    parameters: tuple[str, ...]                # must be (): only zero-argument functions are supported
    returns: str                               # DuckDB type name of the result
    bind: Callable[[Any], Callable[..., Any]]

    @property
    def variable(self) -> str:
        """The DuckDB variable holding the value."""
        return f"aurora_fn_{self.name}"


REGISTRY: dict[str, SessionFunction] = {}


def register(function: SessionFunction) -> None:
    """Make a session function known to the front end."""
    if function.parameters:
        raise ValueError(f"session function {function.name} must take no arguments")
    REGISTRY[function.name] = function


def rewrite(statement: exp.Expression) -> tuple[exp.Expression, frozenset[str]]:
    """Replace calls of registered session functions by their variables; returns the names used."""
    if not REGISTRY:
        return statement, frozenset()
    names: set[str] = set()

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and not node.expressions:
            function = REGISTRY.get(node.name.lower())
            if function is not None:
                names.add(function.name)
                return exp.Anonymous(this="getvariable", expressions=[exp.Literal.string(function.variable)])
        return node

    statement = statement.transform(swap, copy=False)
    return statement, frozenset(names)


@attrs.frozen
class SessionRelation:
    """A table whose rows depend on the moment and the session: rebuilt as Arrow before each use."""

    name: str                                  # the relation name the rewritten SQL reads
    build: Callable[[Any], Any]                # session -> pyarrow.Table


RELATIONS: dict[str, SessionRelation] = {}


def register_relation(relation: SessionRelation) -> None:
    """Make a session relation known to the front end."""
    RELATIONS[relation.name] = relation


def relations_used_by(statement: exp.Expression) -> frozenset[str]:
    """Names of registered session relations a parsed statement reads."""
    if not RELATIONS:
        return frozenset()
    return frozenset(t.name for t in statement.find_all(exp.Table) if t.name in RELATIONS)
