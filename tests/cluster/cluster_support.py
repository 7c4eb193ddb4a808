"""Helpers for the cluster tests: bounded waits, dialect spellings, the errors clients check.

Imported by the test modules as ``cluster_support`` (a unique name: several
test folders have a conftest.py and none is a package). Nothing here sleeps
for a fixed time: `wait_until` polls a condition and fails the test once its
bound has passed.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

import aurora_lite as al

ENGINES = ("aurora-postgresql", "aurora-mysql")
POLL_S = 0.002


def wait_until(predicate: Callable[[], Any], timeout_s: float = 10.0, what: str = "condition") -> Any:
    """Poll predicate until it returns something truthy; fail the test after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(POLL_S)  # a poll interval inside a bounded wait, not a synchronisation sleep


def is_postgres(cluster: al.Cluster) -> bool:
    """True for aurora-postgresql."""
    return cluster.engine == "aurora-postgresql"


def serial_column(cluster: al.Cluster) -> str:
    """A generated integer primary key column called id, as the dialect spells it."""
    return "id SERIAL PRIMARY KEY" if is_postgres(cluster) else "id INT AUTO_INCREMENT PRIMARY KEY"


def insert_returning_id(cursor: Any, cluster: al.Cluster, table: str, columns: str, values: tuple) -> int:
    """Insert one row and return its generated id (RETURNING on PostgreSQL, lastrowid on MySQL)."""
    marks = ", ".join(["%s"] * len(values))
    if is_postgres(cluster):
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", values)
        return cursor.fetchone()[0]
    cursor.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
    return cursor.lastrowid


def query(cluster: al.Cluster, endpoint: str, sql: str, params: Any = None) -> list[tuple]:
    """Rows of one autocommit query through an endpoint (a fresh connection, closed after)."""
    connection = cluster.connect(endpoint, autocommit=True)
    try:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        connection.close()


def table_rows(connection: al.Connection, table: str, order_by: str) -> list[tuple]:
    """Every row of a table, in a stable order."""
    cursor = connection.cursor()
    cursor.execute(f"SELECT * FROM {table} ORDER BY {order_by}")
    return cursor.fetchall()


def is_connection_lost(error: BaseException, cluster: al.Cluster) -> bool:
    """The error a client sees on a dropped connection: PostgreSQL 08006, MySQL errno 2013."""
    if not isinstance(error, al.OperationalError):
        return False
    if is_postgres(cluster):
        return error.sqlstate == "08006"
    return error.errno == 2013


def is_conflict(error: BaseException, cluster: al.Cluster) -> bool:
    """A write-write conflict the client retries: PostgreSQL 40001, MySQL errno 1213."""
    if not isinstance(error, al.OperationalError):
        return False
    return error.sqlstate == "40001" if is_postgres(cluster) else error.errno == 1213


def assert_connection_lost(error: BaseException, cluster: al.Cluster) -> None:
    """Assert error is the engine's connection-loss error, 08-class on PostgreSQL, 2013 on MySQL."""
    assert isinstance(error, al.OperationalError), repr(error)
    if is_postgres(cluster):
        assert error.sqlstate == "08006", repr(error)
    else:
        assert error.errno == 2013, repr(error)
        assert "Lost connection to MySQL server" in str(error)
