"""pyformat placeholders (``%s``, ``%(name)s``, ``%%``) to DuckDB's ``?``.

Like psycopg and PyMySQL, placeholders are recognised anywhere in the text
(a literal ``%`` must be written ``%%`` when parameters are passed), and a
query executed without parameters is left exactly as written.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..dbapi.exceptions import ProgrammingError

_TOKEN = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<conv>.)?", re.S)


@attrs.frozen
class Placeholders:
    """A query with ``?`` markers and how to order the user's parameters for them."""

    sql: str
    names: tuple[str, ...] | None  # None: positional (%s); else the %(name)s order
    count: int

    def bind(self, params: Sequence[Any] | Mapping[str, Any] | None) -> list[Any]:
        """The parameter list for the ``?`` markers, checked against the placeholders."""
        if params is None:
            params = ()
        if self.names is None:
            if isinstance(params, Mapping):
                if self.count == 0 and not params:
                    return []
                raise ProgrammingError("query uses positional placeholders (%s) but a mapping was given")
            if isinstance(params, (str, bytes)):
                raise ProgrammingError("parameters must be a sequence or a mapping, not a string")
            values = list(params)
            if len(values) != self.count:
                raise ProgrammingError(
                    f"the query has {self.count} placeholders but {len(values)} parameters were passed"
                )
            return values
        if not isinstance(params, Mapping):
            raise ProgrammingError("query uses named placeholders (%(name)s) but a sequence was given")
        try:
            return [params[name] for name in self.names]
        except KeyError as exc:
            raise ProgrammingError(f"no value for placeholder %({exc.args[0]})s") from None


def convert(query: str) -> Placeholders:
    """Rewrite pyformat placeholders to ``?``; raises ProgrammingError on a malformed one."""
    out: list[str] = []
    names: list[str] = []
    positional = 0
    last = 0
    for match in _TOKEN.finditer(query):
        out.append(query[last:match.start()])
        last = match.end()
        name, conv = match.group("name"), match.group("conv")
        if name is None and conv == "%":
            out.append("%")
            continue
        if conv != "s":
            raise ProgrammingError(
                f"only '%s', '%(name)s' and '%%' placeholders are supported, found {match.group(0)!r}"
            )
        if name is None:
            positional += 1
        else:
            names.append(name)
        # Fix: sqlglot cannot parse PostgreSQL's `?::type` (psycopg code and SQLAlchemy write
        # `%(x)s::JSONB`); `(?)::type` is the same cast.
        out.append("(?)" if query.startswith("::", match.end()) else "?")
    out.append(query[last:])
    if positional and names:
        raise ProgrammingError("a query cannot mix '%s' and '%(name)s' placeholders")
    if names:
        return Placeholders("".join(out), tuple(names), len(names))
    return Placeholders("".join(out), None, positional)
