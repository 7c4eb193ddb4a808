"""Functions whose value depends on the session or instance (LAST_INSERT_ID(), DATABASE(), ...).

Plans are cached across sessions, so such values cannot be baked into SQL
text. Instead each function is a DuckDB Python UDF registered on the
session's own DuckDB connection the first time a plan that calls it runs
there, bound to that session. Dialect modules register functions here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from sqlglot import exp


@attrs.frozen
class SessionFunction:
    """A UDF factory: bind(session) returns the Python callable DuckDB will call."""

    name: str                                  # lower-case SQL name, as DuckDB will know it
    parameters: tuple[str, ...]                # DuckDB type names of the arguments
    returns: str                               # DuckDB type name of the result
    bind: Callable[[Any], Callable[..., Any]]


REGISTRY: dict[str, SessionFunction] = {}


def register(function: SessionFunction) -> None:
    """Make a session function known to the front end."""
    REGISTRY[function.name] = function


def used_by(statement: exp.Expression) -> frozenset[str]:
    """Names of registered session functions a parsed statement calls."""
    if not REGISTRY:
        return frozenset()
    names = set()
    for node in statement.find_all(exp.Anonymous):
        name = node.name.lower()
        if name in REGISTRY:
            names.add(name)
    return frozenset(names)
