"""The process-wide DuckDB engine that every instance attaches its catalog to.

A new `duckdb.connect()` costs 50-140 ms here, `ATTACH ':memory:'` under
1 ms: so one connection serves the whole process, each instance is an
attached in-memory catalog, and each session is a cursor (a DuckDB
connection of its own, with its own transaction) pointed at that catalog.
"""
from __future__ import annotations

import itertools
import threading
import warnings

import duckdb

# DuckDB warns that Arrow output of a DB-API result copies; change capture
# results are a handful of rows, so the copy is cheaper than a second query.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)

_lock = threading.Lock()
_connection: duckdb.DuckDBPyConnection | None = None
_names = itertools.count(1)


def _shared() -> duckdb.DuckDBPyConnection:
    global _connection
    if _connection is None:
        _connection = duckdb.connect(":memory:")
    return _connection


def attach() -> str:
    """Attach a fresh in-memory catalog; returns its name."""
    with _lock:
        name = f"aurora_{next(_names)}"
        _shared().execute(f'ATTACH \':memory:\' AS "{name}"')
        return name


def detach(name: str) -> None:
    """Drop a catalog and everything in it."""
    with _lock:
        if _connection is not None:
            _connection.execute(f'DETACH DATABASE IF EXISTS "{name}"')


def cursor(catalog: str) -> duckdb.DuckDBPyConnection:
    """A new DuckDB connection whose default catalog is `catalog`."""
    with _lock:
        cur = _shared().cursor()
    cur.execute(f'USE "{catalog}"')
    return cur
