"""psycopg 3's Connection.execute and transaction blocks; PyMySQL's begin() and ping()."""
from __future__ import annotations

import pytest

import aurora_lite as al


@pytest.fixture(params=["aurora-postgresql", "aurora-mysql"], ids=["pg", "mysql"])
def cluster(request):
    with al.Cluster(request.param) as c:
        c.connect(autocommit=True).execute("CREATE TABLE t (id INT PRIMARY KEY)")
        yield c


def committed(cluster) -> list[int]:
    return [r[0] for r in cluster.connect().execute("SELECT id FROM t ORDER BY id").fetchall()]


def test_a_block_commits_and_nested_blocks_are_savepoints(cluster):
    connection = cluster.connect()
    with connection.transaction():
        connection.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(ValueError):
            with connection.transaction():
                connection.execute("INSERT INTO t VALUES (2)")
                raise ValueError("undo the inner block only")
        with connection.transaction() as inner:
            connection.execute("INSERT INTO t VALUES (3)")
            raise al.Rollback(inner)
        with connection.transaction():
            connection.execute("INSERT INTO t VALUES (4)")
    assert committed(cluster) == [1, 4]


def test_an_error_rolls_the_outer_block_back_also_in_autocommit(cluster):
    connection = cluster.connect(autocommit=True)
    with pytest.raises(RuntimeError):
        with connection.transaction():
            connection.execute("INSERT INTO t VALUES (5)")
            assert committed(cluster) == []  # not visible to others before the block ends
            raise RuntimeError("boom")
    with connection.transaction(force_rollback=True):
        connection.execute("INSERT INTO t VALUES (6)")
    assert committed(cluster) == []
    with connection.transaction():
        connection.execute("INSERT INTO t VALUES (7)")
    assert committed(cluster) == [7]


def test_begin_and_ping(cluster):
    connection = cluster.connect()
    connection.begin()
    connection.execute("INSERT INTO t VALUES (8)")
    connection.rollback()
    connection.ping()
    assert committed(cluster) == []
    connection.close()
    with pytest.raises(al.InterfaceError):
        connection.ping()



def test_pymysql_reads_autocommit_with_get_autocommit():
    with al.Cluster("aurora-mysql") as cluster:
        connection = cluster.connect()
        assert connection.get_autocommit() is False
        connection.autocommit = True
        assert connection.get_autocommit() is True
