"""Row factories (psycopg 3's protocol and names) on both engines."""
from __future__ import annotations

import dataclasses

import pytest

import aurora_lite as al
from aurora_lite.rows import class_row, dict_row, namedtuple_row, tuple_row


@pytest.fixture(params=["aurora-postgresql", "aurora-mysql"], ids=["pg", "mysql"])
def cluster(request):
    with al.Cluster(request.param) as c:
        cursor = c.connect(autocommit=True).cursor()
        cursor.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10))")
        cursor.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        yield c


def test_a_connection_row_factory_reaches_every_fetch(cluster):
    cursor = cluster.connect(row_factory=dict_row).cursor()
    cursor.execute("SELECT id, name FROM t ORDER BY id")
    assert cursor.fetchone() == {"id": 1, "name": "a"}
    assert cursor.fetchmany(1) == [{"id": 2, "name": "b"}]
    assert list(cursor) == [{"id": 3, "name": "c"}]


def test_a_cursor_row_factory_overrides_the_connection(cluster):
    connection = cluster.connect(row_factory=dict_row)
    cursor = connection.cursor(row_factory=namedtuple_row)
    cursor.execute("SELECT id, name FROM t WHERE id = 2")
    row = cursor.fetchone()
    assert (row.id, row.name) == (2, "b") and row == (2, "b")
    cursor = connection.cursor(row_factory=tuple_row)
    cursor.execute("SELECT id FROM t WHERE id = 2")
    assert cursor.fetchall() == [(2,)]


def test_class_row_builds_objects_and_no_factory_gives_tuples(cluster):
    @dataclasses.dataclass
    class Item:
        id: int
        name: str

    connection = cluster.connect()
    cursor = connection.cursor(row_factory=class_row(Item))
    cursor.execute("SELECT id, name FROM t WHERE id = 1")
    assert cursor.fetchall() == [Item(1, "a")]
    cursor = connection.cursor()
    cursor.execute("SELECT id, name FROM t WHERE id = 1")
    assert cursor.fetchall() == [(1, "a")]


def test_dict_rows_are_keyed_by_the_engines_column_names(cluster):
    cursor = cluster.connect(row_factory=dict_row).cursor()
    cursor.execute("SELECT COUNT(*) FROM t")
    key = "count" if cluster.engine == "aurora-postgresql" else "COUNT(*)"
    assert cursor.fetchone() == {key: 3}
