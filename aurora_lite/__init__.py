"""aurora_lite: an Amazon Aurora cluster inside one Python process, behind PEP 249."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .cluster import Cluster
from .dbapi.connection import Connection
from .dbapi.cursor import Cursor
from .dbapi.exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)
from .dbapi import exceptions as errors
from .dbapi.transaction import Rollback, Transaction
from . import rows
from .dbapi.types import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)

__version__ = "0.1.0"
apilevel = "2.0"
threadsafety = 1
paramstyle = "pyformat"


def connect(target: Cluster | str | Path, *, endpoint: str = "writer", user: str | None = None,
            password: str | None = None, autocommit: bool = False, row_factory: Any = None) -> Connection:
    """A PEP 249 connection to a cluster, or to the durable cluster at a path (opened for it)."""
    if isinstance(target, Cluster):
        return target.connect(endpoint, user=user, password=password, autocommit=autocommit,
                              row_factory=row_factory)
    cluster = Cluster.open(target)
    try:
        connection = cluster.connect(endpoint, user=user, password=password, autocommit=autocommit,
                                     row_factory=row_factory)
    except BaseException:
        cluster.close()
        raise
    connection._owner = cluster
    return connection


def __getattr__(name: str) -> Any:
    # The SQLSTATE classes (UniqueViolation, SerializationFailure, ...) live in aurora_lite.errors.
    try:
        return getattr(errors, name)
    except AttributeError:
        raise AttributeError(f"module 'aurora_lite' has no attribute {name!r}") from None


__all__ = [
    "BINARY", "DATETIME", "NUMBER", "ROWID", "STRING", "Binary", "Cluster", "Connection", "Cursor", "DataError",
    "DatabaseError", "Date", "DateFromTicks", "Error", "IntegrityError", "InterfaceError", "InternalError",
    "NotSupportedError", "OperationalError", "ProgrammingError", "Rollback", "Time", "TimeFromTicks", "Timestamp",
    "TimestampFromTicks", "Transaction", "Warning", "apilevel", "connect", "errors", "paramstyle", "rows", "threadsafety",
]
