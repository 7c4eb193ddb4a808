"""Row factories with psycopg 3's protocol: ``row_factory(cursor)`` returns ``make_row(values)``.

Rows are tuples unless a connection or cursor is given a row factory:
``connection.cursor(row_factory=dict_row)``, ``connection.row_factory = namedtuple_row``
(psycopg 3 spells it the same way; code written for PyMySQL's ``DictCursor`` passes
``dict_row``). The factory runs once per result, ``make_row`` once per fetched row.
"""
from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Sequence
from typing import Any

RowMaker = Callable[[Sequence[Any]], Any]
RowFactory = Callable[[Any], RowMaker]


def _names(cursor: Any) -> list[str]:
    return [column[0] for column in cursor.description or ()]


def tuple_row(cursor: Any) -> RowMaker:
    """Rows as tuples (the default)."""
    return tuple


def dict_row(cursor: Any) -> RowMaker:
    """Rows as dicts keyed by column name."""
    names = _names(cursor)
    return lambda values: dict(zip(names, values))


def namedtuple_row(cursor: Any) -> RowMaker:
    """Rows as named tuples (names that are not identifiers become _0, _1 ...)."""
    return _namedtuple(tuple(_names(cursor)))._make


@functools.lru_cache(maxsize=512)
def _namedtuple(names: tuple[str, ...]) -> type:
    return collections.namedtuple("Row", names, rename=True)  # one class per column list


def class_row(cls: Callable[..., Any]) -> RowFactory:
    """Rows as cls(**{column: value})."""
    def factory(cursor: Any) -> RowMaker:
        names = _names(cursor)
        return lambda values: cls(**dict(zip(names, values)))
    return factory
