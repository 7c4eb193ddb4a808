"""PEP 249 type objects and constructors.

``cursor.description[i][1]`` (the type code) is the column's DuckDB type as
DuckDB names it: ``INTEGER``, ``DECIMAL(18,3)``, ``TIMESTAMP WITH TIME
ZONE``, ``INTEGER[]``... DuckDB's Python client hands out ``DuckDBPyType``
objects that compare equal to those strings, so the type objects here
compare by ``str(type_code)`` and accept either form. Parameters such as a
DECIMAL's precision are ignored; nested types (``INTEGER[]``, ``STRUCT``,
``MAP``) belong to no group.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

__all__ = [
    "DBAPITypeObject", "Date", "Time", "Timestamp", "DateFromTicks", "TimeFromTicks",
    "TimestampFromTicks", "Binary", "STRING", "BINARY", "NUMBER", "DATETIME", "ROWID",
]


def base_type_name(type_code: object) -> str:
    """Return a type code's upper-case name without its parameters: DECIMAL(18,3) -> DECIMAL."""
    name = str(type_code).strip().upper()
    # Lists and arrays ("INTEGER[]", "INTEGER[2]") keep their brackets so they
    # never match the scalar group of their element type.
    paren = name.find("(")
    if paren > 0 and not name.endswith("]"):
        name = name[:paren].rstrip()
    return name


class DBAPITypeObject:
    """A PEP 249 type group: equal to every DuckDB type code in the group."""

    __module__ = "aurora_lite"

    def __init__(self, name: str, type_names: tuple[str, ...]) -> None:
        self.name = name
        self.type_names = frozenset(type_names)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self.name == other.name
        return base_type_name(other) in self.type_names

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((DBAPITypeObject, self.name))

    def __repr__(self) -> str:
        return f"<aurora_lite type object {self.name}>"


# Canonical DuckDB names (what description reports) plus the aliases DuckDB
# accepts in DDL, so a type name copied from a CREATE TABLE also matches.
STRING = DBAPITypeObject("STRING", (
    "VARCHAR", "CHAR", "BPCHAR", "TEXT", "STRING", "NVARCHAR", "JSON", "UUID", "ENUM",
))
BINARY = DBAPITypeObject("BINARY", (
    "BLOB", "BYTEA", "BINARY", "VARBINARY", "BIT", "BITSTRING",
))
NUMBER = DBAPITypeObject("NUMBER", (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
    "INT1", "INT2", "INT4", "INT8", "INT", "SHORT", "LONG", "SIGNED",
    "FLOAT", "FLOAT4", "REAL", "DOUBLE", "FLOAT8",
    "DECIMAL", "NUMERIC", "BIGNUM", "VARINT",
))
DATETIME = DBAPITypeObject("DATETIME", (
    "DATE", "TIME", "TIME_NS", "TIME WITH TIME ZONE", "TIMETZ",
    "TIMESTAMP", "DATETIME", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS",
    "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "INTERVAL",
))
# DuckDB has no row-identifier type (its rowid pseudo-column is a BIGINT,
# already a NUMBER), so ROWID matches only its own name.
ROWID = DBAPITypeObject("ROWID", ("ROWID",))

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime


def DateFromTicks(ticks: float) -> datetime.date:  # noqa: N802 - PEP 249 name
    """Return the local date of a POSIX timestamp."""
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:  # noqa: N802 - PEP 249 name
    """Return the local time of day of a POSIX timestamp."""
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:  # noqa: N802 - PEP 249 name
    """Return the local date and time of a POSIX timestamp."""
    return Timestamp(*time.localtime(ticks)[:6])


def Binary(data: Any) -> bytes:  # noqa: N802 - PEP 249 name
    """Return a value that binds as a BLOB parameter."""
    return bytes(data)
