"""varchar(n) / char(n): a value longer than declared is the engine's error, and the statement changes nothing."""
from __future__ import annotations

import pytest

import aurora_lite as al

PG, MY = "aurora-postgresql", "aurora-mysql"


@pytest.fixture(params=[PG, MY], ids=["pg", "mysql"])
def cluster(request):
    with al.Cluster(request.param) as c:
        cursor = c.connect(autocommit=True).cursor()
        cursor.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(5), code CHAR(2), note TEXT)")
        yield c


def rows(cluster: al.Cluster) -> list[tuple]:
    cursor = cluster.connect(autocommit=True).cursor()
    cursor.execute("SELECT id, name, code FROM t ORDER BY id")
    return cursor.fetchall()


def assert_too_long(error: al.Error, cluster: al.Cluster, column: str, row: int = 1) -> None:
    assert isinstance(error, al.DataError) and error.sqlstate == "22001"
    if cluster.engine == PG:
        declared = {"name": "character varying(5)", "code": "character(2)"}[column]
        assert str(error) == f"value too long for type {declared}"
    else:
        assert error.args == (1406, f"Data too long for column '{column}' at row {row}")


@pytest.mark.parametrize(("values", "column"), [
    ((1, "abcdef", "ab"), "name"),
    ((1, "abc", "abc"), "code"),
    ((1, "éééééé", "é"), "name"),  # characters, not bytes
])
def test_an_insert_longer_than_declared_fails_and_leaves_nothing(cluster, values, column):
    cursor = cluster.connect(autocommit=True).cursor()
    before = cluster.volume.last_lsn
    with pytest.raises(al.DataError) as info:
        cursor.execute("INSERT INTO t (id, name, code) VALUES (%s, %s, %s)", values)
    assert_too_long(info.value, cluster, column)
    assert rows(cluster) == [] and cluster.volume.last_lsn == before


def test_values_at_the_limit_and_excess_spaces_are_accepted(cluster):
    cursor = cluster.connect(autocommit=True).cursor()
    cursor.execute("INSERT INTO t (id, name, code, note) VALUES (1, 'éééée', 'ab', %s)", ("x" * 10_000,))
    cursor.execute("INSERT INTO t (id, name, code) VALUES (2, 'abc    ', 'a ')")
    assert [r[0] for r in rows(cluster)] == [1, 2]


def test_an_update_longer_than_declared_fails(cluster):
    cursor = cluster.connect(autocommit=True).cursor()
    cursor.execute("INSERT INTO t (id, name, code) VALUES (1, 'abc', 'ab')")
    with pytest.raises(al.DataError) as info:
        cursor.execute("UPDATE t SET name = %s WHERE id = 1", ("abcdefg",))
    assert_too_long(info.value, cluster, "name")
    assert rows(cluster) == [(1, "abc", "ab")]


def test_mysql_names_the_row_and_keeps_the_transaction():
    with al.Cluster(MY) as cluster:
        connection = cluster.connect()
        cursor = connection.cursor()
        cursor.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(3))")
        cursor.execute("INSERT INTO t VALUES (1, 'a')")
        with pytest.raises(al.DataError) as info:
            cursor.executemany("INSERT INTO t VALUES (%s, %s)", [(2, "ok"), (3, "long"), (4, "x")])
        assert info.value.args == (1406, "Data too long for column 'name' at row 2")
        cursor.execute("INSERT INTO t VALUES (5, 'b')")  # MySQL undoes the statement, not the transaction
        connection.commit()
        cursor.execute("SELECT id FROM t ORDER BY id")
        assert cursor.fetchall() == [(1,), (5,)]


def test_mysql_without_strict_mode_accepts_the_value():
    with al.Cluster(MY) as cluster:
        cursor = cluster.connect(autocommit=True).cursor()
        cursor.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(3))")
        cursor.execute("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'")
        cursor.execute("INSERT INTO t VALUES (1, 'long')")  # MySQL truncates with a warning; kept here
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (1,)


def test_postgres_aborts_the_transaction():
    with al.Cluster(PG) as cluster:
        connection = cluster.connect()
        cursor = connection.cursor()
        cursor.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(3))")
        connection.commit()
        cursor.execute("INSERT INTO t VALUES (1, 'a')")
        with pytest.raises(al.DataError):
            cursor.execute("INSERT INTO t VALUES (2, 'long')")
        with pytest.raises(al.InternalError) as info:
            cursor.execute("SELECT 1")
        assert info.value.sqlstate == "25P02"
        connection.rollback()
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone() == (0,)


@pytest.mark.parametrize("engine", [PG, MY])
def test_a_column_added_or_changed_later_is_checked(engine):
    with al.Cluster(engine) as cluster:
        cursor = cluster.connect(autocommit=True).cursor()
        cursor.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(3))")
        cursor.execute("ALTER TABLE t ADD COLUMN extra VARCHAR(2)")
        with pytest.raises(al.DataError):
            cursor.execute("INSERT INTO t (id, extra) VALUES (1, 'abc')")
        cursor.execute("ALTER TABLE t ALTER COLUMN name TYPE VARCHAR(10)" if engine == PG
                       else "ALTER TABLE t MODIFY COLUMN name VARCHAR(10)")
        cursor.execute("INSERT INTO t (id, name) VALUES (1, 'abcdefghij')")
        with pytest.raises(al.DataError):
            cursor.execute("INSERT INTO t (id, name) VALUES (2, 'abcdefghijk')")
