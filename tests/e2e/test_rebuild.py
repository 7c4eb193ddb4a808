"""The volume is the source of truth: Chinook rebuilt from the volume alone equals what the writer serves.

Two ways back from the volume:
- a fresh Instance over the loaded cluster's volume (as Cluster._start_instance builds
  one, without following the redo stream), rebuilt with `rebuild()` and queried through
  its own connection;
- a durable cluster (``path=``) loaded with part of the script, closed, and reopened
  with `Cluster.open(path)`.
Rows are compared exactly (no normalisation): same values, same Python types, same
column names and type codes, in ``ORDER BY <every column>`` order.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chinook_e2e import (
    DIALECT,
    ENGINES,
    SCRIPT,
    TABLES,
    Loaded,
    Statement,
    chinook_file,
    ident,
    load_script,
    mysql_literal,
)

import aurora_lite as al
from aurora_lite.dbapi.connection import Connection
from aurora_lite.engine import duck
from aurora_lite.engine.instance import Instance

# Reported aurora_lite bugs that break these tests, by dialect (strict: the test fails once fixed).
KNOWN_BUGS: dict[str, str] = {}


def known_bugs(request: pytest.FixtureRequest, dialect: str) -> None:
    """Mark the running test xfail(strict) when a reported bug breaks it for this dialect."""
    if dialect in KNOWN_BUGS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_BUGS[dialect], strict=True))


def columns_of(reference: sqlite3.Connection, table: str) -> list[str]:
    """The table's columns in the reference, in order."""
    return [row[1] for row in reference.execute(f"PRAGMA table_info({table})")]


def snapshot(connection: al.Connection, table: str, columns: list[str], dialect: str) -> tuple[Any, Any]:
    """(description, rows) of SELECT * FROM table ORDER BY every column."""
    order = ", ".join(ident(c, dialect) for c in columns)
    cursor = connection.cursor()
    cursor.execute(f"SELECT * FROM {ident(table, dialect)} ORDER BY {order}")
    description = tuple((d[0], d[1]) for d in cursor.description)
    return description, cursor.fetchall()


def catalog_rows(instance: Instance) -> dict[str, list[tuple[Any, ...]]]:
    """What DuckDB's catalog of an instance holds: columns with types, indexes, constraints, sequences."""
    cursor = duck.cursor(instance.catalog_name)
    here = "database_name = current_database()"
    try:
        return {
            "columns": cursor.execute(
                f"SELECT table_name, column_index, column_name, data_type, is_nullable, column_default "
                f"FROM duckdb_columns() WHERE {here} ORDER BY ALL").fetchall(),
            "indexes": cursor.execute(
                f"SELECT index_name, table_name, is_unique, expressions FROM duckdb_indexes() WHERE {here} "
                f"ORDER BY ALL").fetchall(),
            "constraints": cursor.execute(
                f"SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() "
                f"WHERE {here} ORDER BY ALL").fetchall(),
            "sequences": cursor.execute(
                f"SELECT sequence_name FROM duckdb_sequences() WHERE {here} ORDER BY ALL").fetchall(),
        }
    finally:
        cursor.close()


# ---------------------------------------------------------------- a fresh instance over the same volume
@pytest.fixture(scope="module")
def rebuild(chinook: Loaded) -> Iterator[Any]:
    """A function returning the instance rebuilt from the loaded cluster's volume alone (reader role:
    it cannot write). Rebuilt once; a failure is raised in each test that asks, where xfail applies."""
    cluster = chinook.cluster
    instance = Instance(f"{cluster.name}-rebuilt", "reader", cluster.volume, cluster._front, cluster.database,
                        clock=cluster.clock)
    outcome: list[Any] = []
    try:
        instance.rebuild()
        outcome.append(Connection(instance, autocommit=True, endpoint=instance.identifier))
    except Exception as exc:  # noqa: BLE001 -- re-raised by every test that uses the instance
        outcome.append(exc)

    def rebuilt() -> tuple[Instance, al.Connection]:
        if isinstance(outcome[0], Exception):
            raise outcome[0]
        return instance, outcome[0]

    yield rebuilt
    instance.close()


@pytest.fixture(autouse=True)
def _known_bugs(request: pytest.FixtureRequest) -> None:
    params = getattr(request.node, "callspec", None)
    engine = params.params.get("chinook", params.params.get("engine")) if params else None
    if engine is not None:
        known_bugs(request, DIALECT[engine])


def test_rebuilt_instance_reached_the_writers_lsn(chinook: Loaded, rebuild: Any) -> None:
    instance, _ = rebuild()
    assert instance.applied_lsn == chinook.cluster.volume.vdl
    assert instance.applied_lsn >= chinook.cluster.writer.applied_lsn


def test_rebuilt_catalog_equals_writer(chinook: Loaded, rebuild: Any) -> None:
    instance, _ = rebuild()
    writer = chinook.cluster.writer
    assert instance.catalog.tables == writer.catalog.tables
    assert {name.name for name in instance.catalog.tables} == {ident(t, chinook.dialect).lower() for t in TABLES}
    assert catalog_rows(instance) == catalog_rows(writer)


@pytest.mark.parametrize("table", TABLES)
def test_rebuilt_table_equals_writer(table: str, chinook: Loaded, rebuild: Any,
                                     chinook_sqlite: sqlite3.Connection) -> None:
    _, copy = rebuild()
    columns = columns_of(chinook_sqlite, table)
    writer = chinook.connect(autocommit=True)
    try:
        want_description, want = snapshot(writer, table, columns, chinook.dialect)
    finally:
        writer.close()
    got_description, got = snapshot(copy, table, columns, chinook.dialect)
    (count,) = chinook_sqlite.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    assert len(want) == count  # the writer holds the whole table: the comparison is not vacuous
    assert got_description == want_description
    assert len(got) == len(want)
    diff = [i for i, (g, w) in enumerate(zip(got, want)) if g != w or list(map(type, g)) != list(map(type, w))]
    assert diff == [], f"first differing row: rebuilt {got[diff[0]]!r}, writer {want[diff[0]]!r}"


def test_rebuilt_instance_refuses_writes(chinook: Loaded, rebuild: Any) -> None:
    _, copy = rebuild()
    with pytest.raises(al.Error) as caught:
        copy.cursor().execute(f"DELETE FROM {ident('Genre', chinook.dialect)}")
    assert caught.value.sqlstate in ("25006", "HY000")


# ---------------------------------------------------------------- a durable cluster, closed and reopened
SUBSET = ("Genre", "MediaType", "Artist", "Album")
_TARGET = re.compile(r"""(?:\bTABLE|\bINTO|\bON)\s+[`"]?(\w+)""", re.IGNORECASE)
_REFERENCES = re.compile(r"""\bREFERENCES\s+[`"]?(\w+)""", re.IGNORECASE)


def in_subset(dialect: str) -> Any:
    """A predicate on script statements: the database statements and those on SUBSET tables only."""
    names = {ident(t, dialect).lower() for t in SUBSET}

    def keep(statement: Statement) -> bool:
        target = _TARGET.search(statement.text)
        if target is None:
            return True  # DROP/CREATE DATABASE, USE, \c
        tables = {target.group(1).lower(), *(m.lower() for m in _REFERENCES.findall(statement.text))}
        return tables <= names

    return keep


@pytest.mark.parametrize("engine", ENGINES)
def test_durable_cluster_reopens_with_every_row(engine: str, tmp_path: Path,
                                                chinook_sqlite: sqlite3.Connection) -> None:
    dialect = DIALECT[engine]
    script = chinook_file(SCRIPT[dialect])
    path = tmp_path / "chinook"
    columns = {t: columns_of(chinook_sqlite, t) for t in SUBSET}

    cluster = al.Cluster(engine, path=path, name=f"durable-{dialect}")
    try:
        connection = cluster.connect()
        # The mysql client and psql run scripts in autocommit mode: a commit per statement.
        report = load_script(connection, script, dialect, commit_every=1, only=in_subset(dialect))
        before = {t: snapshot(connection, t, columns[t], dialect) for t in SUBSET}
        connection.close()
    finally:
        cluster.close()
    assert report.statements >= 4 * 3  # each table: CREATE TABLE, INSERT, and an index or a key
    for table in SUBSET:
        (count,) = chinook_sqlite.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        assert len(before[table][1]) == count

    reopened = al.Cluster.open(path)
    try:
        connection = reopened.connect()
        for table in SUBSET:
            assert snapshot(connection, table, columns[table], dialect) == before[table], table
        tables = {name.name for name in reopened.writer.catalog.tables}
        assert tables == {ident(t, dialect).lower() for t in SUBSET}
        # Still a working writer: a new row survives another close and reopen.
        cursor = connection.cursor()
        cursor.execute(f"INSERT INTO {ident('Genre', dialect)} ({ident('GenreId', dialect)}, "
                       f"{ident('Name', dialect)}) VALUES (%s, %s)", (26, "Fado"))
        connection.commit()
        connection.close()
    finally:
        reopened.close()

    again = al.Cluster.open(path)
    try:
        connection = again.connect()
        _, rows = snapshot(connection, "Genre", columns["Genre"], dialect)
        expected = [tuple(mysql_literal(v) if dialect == "mysql" and isinstance(v, str) else v for v in row)
                    for row in chinook_sqlite.execute("SELECT GenreId, Name FROM Genre ORDER BY GenreId, Name")]
        assert rows == [*expected, (26, "Fado")]
        connection.close()
    finally:
        again.close()
