"""The whole PEP 249 surface through the public API, for both engines.

Expected values come from PEP 249 and from what the real drivers do
(psycopg 3 for aurora-postgresql, PyMySQL for aurora-mysql), and from the
PostgreSQL / MySQL manuals for transaction semantics: an application
written against aurora_lite must behave the same on the real driver.
"""
from __future__ import annotations

import datetime
import decimal

import pytest

import aurora_lite as al
from aurora_lite.engine.session import Session

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result")

PG, MY = "aurora-postgresql", "aurora-mysql"
SERIAL = {PG: "SERIAL PRIMARY KEY", MY: "INT AUTO_INCREMENT PRIMARY KEY"}
# Behaviour of one engine only: narrow the engine fixture's parameters.
only_postgres = pytest.mark.parametrize("engine", [PG], ids=["postgres"])
only_mysql = pytest.mark.parametrize("engine", [MY], ids=["mysql"])


@pytest.fixture(params=[PG, MY], ids=["postgres", "mysql"])
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def cluster(engine: str):
    c = al.Cluster(engine)
    yield c
    c.close()


@pytest.fixture
def conn(cluster: al.Cluster):
    """A connection to a cluster holding items(id serial, name, qty) with 3 committed rows."""
    connection = cluster.connect()
    cur = connection.cursor()
    cur.execute(f"CREATE TABLE items (id {SERIAL[cluster.engine]}, name VARCHAR(40) NOT NULL, qty INT)")
    cur.execute("INSERT INTO items (name, qty) VALUES ('apple', 1), ('pear', 2), ('plum', NULL)")
    connection.commit()
    yield connection
    connection.close()


@pytest.fixture
def cur(conn: al.Connection) -> al.Cursor:
    return conn.cursor()


def committed(cluster: al.Cluster, sql: str = "SELECT id, name, qty FROM items ORDER BY id") -> list[tuple]:
    """What a new connection sees: committed state only."""
    other = cluster.connect()
    try:
        c = other.cursor()
        c.execute(sql)
        return c.fetchall()
    finally:
        other.close()


def select(cur: al.Cursor, sql: str = "SELECT id, name, qty FROM items ORDER BY id", params=None) -> list[tuple]:
    cur.execute(sql, params)
    return cur.fetchall()


BASE = [(1, "apple", 1), (2, "pear", 2), (3, "plum", None)]


# ---------------------------------------------------------------- module globals
def test_apilevel():
    assert al.apilevel == "2.0"


def test_paramstyle():
    assert al.paramstyle == "pyformat"


def test_threadsafety():
    assert al.threadsafety in (1, 2, 3)


@pytest.mark.parametrize("name, base", [
    ("Warning", Exception), ("Error", Exception),
    ("InterfaceError", al.Error), ("DatabaseError", al.Error),
    ("DataError", al.DatabaseError), ("OperationalError", al.DatabaseError),
    ("IntegrityError", al.DatabaseError), ("InternalError", al.DatabaseError),
    ("ProgrammingError", al.DatabaseError), ("NotSupportedError", al.DatabaseError),
])
def test_exception_hierarchy(name, base):
    assert issubclass(getattr(al, name), base)


def test_warning_is_not_an_error():
    assert not issubclass(al.Warning, al.Error)


@pytest.mark.parametrize("name", ["Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
                                  "OperationalError", "IntegrityError", "InternalError",
                                  "ProgrammingError", "NotSupportedError"])
def test_exceptions_on_the_connection(conn, name):
    # PEP 249 optional extension, offered by psycopg and PyMySQL.
    assert getattr(conn, name) is getattr(al, name)


@pytest.mark.parametrize("made, expected", [
    (lambda: al.Date(2024, 2, 29), datetime.date(2024, 2, 29)),
    (lambda: al.Time(23, 59, 1), datetime.time(23, 59, 1)),
    (lambda: al.Timestamp(2024, 2, 29, 23, 59, 1), datetime.datetime(2024, 2, 29, 23, 59, 1)),
    (lambda: al.DateFromTicks(0) - al.DateFromTicks(86400 * 10), datetime.timedelta(days=-10)),
    (lambda: bytes(al.Binary(b"\x00\xff")), b"\x00\xff"),
])
def test_type_constructors(made, expected):
    assert made() == expected


@pytest.mark.parametrize("group", ["STRING", "BINARY", "NUMBER", "DATETIME", "ROWID"])
def test_type_objects_exist(group):
    assert getattr(al, group) == getattr(al, group)


# ---------------------------------------------------------------- connect / cursor
def test_connect_to_cluster(cluster):
    connection = al.connect(cluster)
    assert isinstance(connection, al.Connection)
    assert connection.autocommit is False
    connection.close()


def test_connect_autocommit_keyword(cluster):
    connection = al.connect(cluster, autocommit=True)
    assert connection.autocommit is True
    connection.close()


def test_connect_by_path_opens_and_closes_the_cluster(engine, tmp_path):
    with al.Cluster(engine, path=tmp_path / "c") as c:
        with c.connect() as setup:
            setup.cursor().execute("CREATE TABLE t (a INT)")
            setup.cursor().execute("INSERT INTO t VALUES (7)")
    connection = al.connect(tmp_path / "c")
    cur = connection.cursor()
    cur.execute("SELECT a FROM t")
    assert cur.fetchall() == [(7,)]
    connection.close()
    # The connection owned the cluster it opened: the volume is released, reopening works.
    again = al.Cluster.open(tmp_path / "c")
    again.close()


def test_cursor_belongs_to_connection(conn):
    cur = conn.cursor()
    assert isinstance(cur, al.Cursor)
    assert cur.connection is conn


def test_new_cursor_state(cur):
    assert cur.description is None
    assert cur.rowcount == -1
    assert cur.arraysize == 1


def test_cursors_of_one_connection_share_the_transaction(conn):
    a, b = conn.cursor(), conn.cursor()
    a.execute("INSERT INTO items (name) VALUES ('fig')")
    b.execute("SELECT count(*) FROM items")
    assert b.fetchone() == (4,)


def test_cursors_hold_their_own_results(conn):
    a, b = conn.cursor(), conn.cursor()
    a.execute("SELECT name FROM items ORDER BY id")
    b.execute("SELECT qty FROM items ORDER BY id")
    assert a.fetchone() == ("apple",)
    assert b.fetchall() == [(1,), (2,), (None,)]
    assert a.fetchall() == [("pear",), ("plum",)]


# ---------------------------------------------------------------- commit / rollback
def test_uncommitted_work_is_invisible_to_others(cluster, conn, cur):
    cur.execute("INSERT INTO items (name, qty) VALUES ('fig', 9)")
    assert committed(cluster) == BASE


def test_commit_makes_work_visible(cluster, conn, cur):
    cur.execute("INSERT INTO items (name, qty) VALUES ('fig', 9)")
    conn.commit()
    assert committed(cluster) == [*BASE, (4, "fig", 9)]


def test_rollback_discards_work(cluster, conn, cur):
    cur.execute("INSERT INTO items (name, qty) VALUES ('fig', 9)")
    cur.execute("UPDATE items SET qty = 0")
    cur.execute("DELETE FROM items WHERE id = 1")
    conn.rollback()
    assert select(cur) == BASE
    assert committed(cluster) == BASE


def test_commit_and_rollback_without_work(conn):
    conn.commit()
    conn.rollback()
    conn.rollback()


def test_close_rolls_back(cluster, conn, cur):
    # PEP 249: closing without committing causes an implicit rollback.
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    conn.close()
    assert committed(cluster) == BASE


def test_sql_commit_and_rollback(cluster, conn, cur):
    cur.execute("BEGIN")
    cur.execute("INSERT INTO items (name, qty) VALUES ('fig', 9)")
    cur.execute("COMMIT")
    cur.execute("BEGIN")
    cur.execute("DELETE FROM items")
    cur.execute("ROLLBACK")
    assert committed(cluster) == [*BASE, (4, "fig", 9)]


# ---------------------------------------------------------------- context managers
def test_with_connection_commits_and_closes(cluster, conn):
    with conn as c:
        assert c is conn
        c.cursor().execute("INSERT INTO items (name, qty) VALUES ('fig', 9)")
    assert conn.closed
    assert committed(cluster) == [*BASE, (4, "fig", 9)]


def test_with_connection_rolls_back_on_exception(cluster, conn):
    with pytest.raises(ZeroDivisionError):
        with conn:
            conn.cursor().execute("INSERT INTO items (name, qty) VALUES ('fig', 9)")
            1 / 0
    assert conn.closed
    assert committed(cluster) == BASE


def test_with_connection_after_database_error(cluster, conn):
    with pytest.raises(al.IntegrityError):
        with conn:
            cur = conn.cursor()
            cur.execute("INSERT INTO items (name, qty) VALUES ('fig', 9)")
            cur.execute("INSERT INTO items (id, name) VALUES (1, 'dup')")
    assert conn.closed
    assert committed(cluster) == BASE


def test_with_cursor_closes_it(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    assert cur.closed
    assert not conn.closed
    with pytest.raises(al.InterfaceError):
        cur.execute("SELECT 1")


def test_with_cluster_closes_it(engine):
    with al.Cluster(engine) as c:
        pass
    assert c.closed
    with pytest.raises(al.InterfaceError):
        c.connect()


# ---------------------------------------------------------------- autocommit
def test_autocommit_makes_each_statement_durable(cluster):
    connection = cluster.connect(autocommit=True)
    cur = connection.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    cur.execute("INSERT INTO t VALUES (1)")
    assert committed(cluster, "SELECT a FROM t") == [(1,)]
    connection.rollback()  # nothing to roll back
    assert committed(cluster, "SELECT a FROM t") == [(1,)]
    connection.close()


def test_autocommit_switch_on_and_off(cluster, conn, cur):
    conn.autocommit = True
    assert conn.autocommit is True
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    assert len(committed(cluster)) == 4
    conn.autocommit = False
    cur.execute("INSERT INTO items (name) VALUES ('kiwi')")
    assert len(committed(cluster)) == 4
    conn.rollback()
    assert len(committed(cluster)) == 4


def test_explicit_transaction_in_autocommit(cluster, conn, cur):
    conn.autocommit = True
    cur.execute("BEGIN")
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    assert committed(cluster) == BASE
    cur.execute("ROLLBACK")
    cur.execute("INSERT INTO items (name) VALUES ('kiwi')")  # autocommit again
    assert [r[1] for r in committed(cluster)] == ["apple", "pear", "plum", "kiwi"]


@only_postgres  # psycopg behaviour
def test_postgres_refuses_autocommit_change_in_transaction(cluster):
    connection = cluster.connect()
    connection.cursor().execute("SELECT 1")
    with pytest.raises(al.ProgrammingError):
        connection.autocommit = True
    assert connection.autocommit is False
    connection.close()


@only_mysql  # MySQL behaviour
def test_mysql_autocommit_on_commits_open_transaction(cluster):
    # MySQL: changing autocommit from 0 to 1 commits the open transaction.
    connection = cluster.connect()
    cur = connection.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    cur.execute("INSERT INTO t VALUES (1)")
    connection.autocommit = True
    assert committed(cluster, "SELECT a FROM t") == [(1,)]
    connection.close()


# ---------------------------------------------------------------- closed objects
@pytest.mark.parametrize("use", [
    lambda conn, cur: conn.cursor(),
    lambda conn, cur: conn.commit(),
    lambda conn, cur: conn.rollback(),
    lambda conn, cur: cur.execute("SELECT 1"),
    lambda conn, cur: cur.executemany("INSERT INTO items (name) VALUES (%s)", [("a",)]),
    lambda conn, cur: cur.fetchone(),
    lambda conn, cur: cur.fetchmany(),
    lambda conn, cur: cur.fetchall(),
], ids=["cursor", "commit", "rollback", "execute", "executemany", "fetchone", "fetchmany", "fetchall"])
def test_closed_connection_raises_interface_error(conn, use):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    conn.close()
    assert conn.closed
    assert cur.closed
    with pytest.raises(al.InterfaceError):
        use(conn, cur)


@pytest.mark.parametrize("use", [
    lambda cur: cur.execute("SELECT 1"),
    lambda cur: cur.executemany("INSERT INTO items (name) VALUES (%s)", [("a",)]),
    lambda cur: cur.fetchone(),
    lambda cur: cur.fetchmany(2),
    lambda cur: cur.fetchall(),
], ids=["execute", "executemany", "fetchone", "fetchmany", "fetchall"])
def test_closed_cursor_raises_interface_error(conn, use):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.close()
    with pytest.raises(al.InterfaceError):
        use(cur)
    conn.cursor().execute("SELECT 1")  # the connection is still usable


@only_postgres  # psycopg: close() on a closed connection does nothing
def test_postgres_close_is_idempotent(cluster):
    connection = cluster.connect()
    connection.close()
    connection.close()
    assert connection.closed


# ---------------------------------------------------------------- execute's return value
@pytest.mark.parametrize("sql, mysql_value", [
    ("SELECT id FROM items", 3),
    ("INSERT INTO items (name) VALUES ('a'), ('b')", 2),
    ("UPDATE items SET qty = 5 WHERE id <= 2", 2),
    ("DELETE FROM items WHERE id = 3", 1),
    ("CREATE TABLE other (a INT)", 0),  # PyMySQL: affected rows of the OK packet
])
def test_execute_return_value(engine, cur, sql, mysql_value):
    value = cur.execute(sql)
    if engine == PG:
        assert value is cur  # psycopg 3: execute returns the cursor
    else:
        assert value == mysql_value  # PyMySQL: execute returns the affected row count


@only_postgres  # psycopg 3
def test_postgres_execute_chains(engine, cur):
    assert cur.execute("SELECT name FROM items WHERE id = %s", (2,)).fetchone() == ("pear",)


# ---------------------------------------------------------------- executemany
def test_executemany_insert(engine, cluster, conn, cur):
    value = cur.executemany("INSERT INTO items (name, qty) VALUES (%s, %s)", [("fig", 4), ("kiwi", 5)])
    assert value == (None if engine == PG else 2)
    assert cur.rowcount == 2
    conn.commit()
    assert committed(cluster)[3:] == [(4, "fig", 4), (5, "kiwi", 5)]


def test_executemany_named(cur):
    cur.executemany("INSERT INTO items (qty, name) VALUES (%(q)s, %(n)s)",
                    [{"n": "fig", "q": 4}, {"q": 5, "n": "kiwi"}])
    assert select(cur)[3:] == [(4, "fig", 4), (5, "kiwi", 5)]


def test_executemany_update_counts_all_rows(cur):
    cur.executemany("UPDATE items SET qty = %s WHERE name = %s", [(10, "apple"), (20, "pear"), (30, "none")])
    assert cur.rowcount == 2
    assert select(cur) == [(1, "apple", 10), (2, "pear", 20), (3, "plum", None)]


def test_executemany_empty_sequence(engine, cluster, conn, cur):
    assert cur.executemany("INSERT INTO items (name) VALUES (%s)", []) is None
    conn.commit()
    assert committed(cluster) == BASE


def _spy_bulk(monkeypatch) -> list[int]:
    """Count the executemany calls that took the Arrow bulk path."""
    calls: list[int] = []
    original = Session.execute_bulk

    def spy(self, plan, batch):
        calls.append(batch.num_rows)
        return original(self, plan, batch)

    monkeypatch.setattr(Session, "execute_bulk", spy)
    return calls


def test_executemany_bulk_path_with_mixed_none(engine, cluster, conn, monkeypatch):
    calls = _spy_bulk(monkeypatch)
    cur = conn.cursor()
    ts, blob, double = ("TIMESTAMP", "BYTEA", "DOUBLE PRECISION") if engine == PG else ("DATETIME", "BLOB", "DOUBLE")
    cur.execute(f"CREATE TABLE m (id INT PRIMARY KEY, n INT, s VARCHAR(10), t {ts}, d DECIMAL(10,2), "
                f"b {blob}, f {double}, u INT)")
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9)
    data = [
        (1, None, "a", None, decimal.Decimal("1.50"), None, 0.5, None),
        (2, 5, None, moment, None, b"\x00\x01", None, None),
        (3, None, None, None, None, None, None, None),
        (4, -7, "", moment, decimal.Decimal("-2.25"), b"", 1e10, None),
    ]
    cur.executemany("INSERT INTO m VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", data)
    assert calls == [4]
    assert cur.rowcount == 4
    conn.commit()
    assert committed(cluster, "SELECT * FROM m ORDER BY id") == data


def test_executemany_falls_back_when_types_are_mixed(engine, cluster, conn, monkeypatch):
    calls = _spy_bulk(monkeypatch)
    cur = conn.cursor()
    # An int and a str in one column: Arrow cannot type it, so each row runs on its own;
    # the server converts '6' for the INT column and 7 for the VARCHAR one as it would.
    cur.executemany("INSERT INTO items (name, qty) VALUES (%s, %s)", [("fig", 5), (7, "6")])
    assert calls == []
    assert cur.rowcount == 2
    conn.commit()
    assert committed(cluster)[3:] == [(4, "fig", 5), (5, "7", 6)]


def test_executemany_bulk_failure_inserts_nothing(engine, cluster, conn, cur):
    with pytest.raises(al.IntegrityError):
        cur.executemany("INSERT INTO items (id, name) VALUES (%s, %s)", [(10, "a"), (1, "dup"), (11, "b")])
    if engine == PG:
        conn.rollback()  # the transaction is aborted
    assert select(cur) == BASE
    conn.commit()
    assert committed(cluster) == BASE


# ---------------------------------------------------------------- fetching
def test_fetchone_sequence(cur):
    cur.execute("SELECT id FROM items ORDER BY id")
    assert [cur.fetchone() for _ in range(4)] == [(1,), (2,), (3,), None]
    assert cur.fetchone() is None


def test_rows_are_tuples(cur):
    cur.execute("SELECT id, name FROM items ORDER BY id")
    assert all(type(r) is tuple for r in cur.fetchall())


def test_fetchmany_uses_arraysize(cur):
    cur.execute("SELECT id FROM items ORDER BY id")
    assert cur.fetchmany() == [(1,)]
    cur.arraysize = 5
    assert cur.fetchmany() == [(2,), (3,)]
    assert cur.fetchmany() == []


@pytest.mark.parametrize("size, first, second", [
    (0, [], [(1,), (2,)]), (1, [(1,)], [(2,), (3,)]), (2, [(1,), (2,)], [(3,)]), (10, [(1,), (2,), (3,)], []),
])
def test_fetchmany_size(cur, size, first, second):
    cur.execute("SELECT id FROM items ORDER BY id")
    assert cur.fetchmany(size) == first
    assert cur.fetchmany(2) == second


def test_fetchall_returns_the_rest(cur):
    cur.execute("SELECT id FROM items ORDER BY id")
    cur.fetchone()
    assert cur.fetchall() == [(2,), (3,)]
    assert cur.fetchall() == []


def test_iteration(cur):
    cur.execute("SELECT name FROM items ORDER BY id")
    assert [row for row in cur] == [("apple",), ("pear",), ("plum",)]


def test_new_execute_resets_position(cur):
    cur.execute("SELECT id FROM items ORDER BY id")
    cur.fetchall()
    cur.execute("SELECT id FROM items ORDER BY id DESC")
    assert cur.fetchone() == (3,)


def test_fetch_before_execute_raises(cur):
    with pytest.raises(al.ProgrammingError):
        cur.fetchone()


@pytest.mark.parametrize("fetch", ["fetchone", "fetchall", "fetchmany"])
def test_fetch_after_statement_without_result_raises(cur, fetch):
    # PEP 249: an Error if the previous execute did not produce a result set.
    cur.execute("UPDATE items SET qty = 1")
    with pytest.raises(al.Error):
        getattr(cur, fetch)()


def test_empty_result(cur):
    cur.execute("SELECT id FROM items WHERE id > 100")
    assert cur.fetchone() is None
    assert cur.fetchall() == []
    assert cur.rowcount == 0
    assert [d[0] for d in cur.description] == ["id"]


# ---------------------------------------------------------------- description
def test_description_names(cur):
    cur.execute("SELECT id, name AS label, qty FROM items")
    assert [d[0] for d in cur.description] == ["id", "label", "qty"]
    assert all(len(d) == 7 for d in cur.description)


def test_description_none_for_statements_without_result(cur):
    cur.execute("SELECT 1 AS one")
    cur.execute("UPDATE items SET qty = 0")
    assert cur.description is None


GROUPS = {"NUMBER": al.NUMBER, "STRING": al.STRING, "DATETIME": al.DATETIME, "BINARY": al.BINARY}
COLUMN_TYPES = {
    PG: [("INTEGER", "NUMBER"), ("BIGINT", "NUMBER"), ("SMALLINT", "NUMBER"), ("NUMERIC(10,2)", "NUMBER"),
         ("DOUBLE PRECISION", "NUMBER"), ("REAL", "NUMBER"), ("VARCHAR(10)", "STRING"), ("TEXT", "STRING"),
         ("CHAR(3)", "STRING"), ("DATE", "DATETIME"), ("TIMESTAMP", "DATETIME"), ("TIME", "DATETIME"),
         ("BYTEA", "BINARY")],
    MY: [("INT", "NUMBER"), ("BIGINT", "NUMBER"), ("SMALLINT", "NUMBER"), ("DECIMAL(10,2)", "NUMBER"),
         ("DOUBLE", "NUMBER"), ("FLOAT", "NUMBER"), ("VARCHAR(10)", "STRING"), ("TEXT", "STRING"),
         ("CHAR(3)", "STRING"), ("DATE", "DATETIME"), ("DATETIME", "DATETIME"), ("TIME", "DATETIME"),
         ("BLOB", "BINARY"), ("VARBINARY(10)", "BINARY")],
}


@pytest.mark.parametrize("engine, sql_type, group",
                         [pytest.param(e, t, g, id=f"{e}-{t}") for e, cols in COLUMN_TYPES.items() for t, g in cols],
                         indirect=["engine"])
def test_description_type_code(cluster, engine, sql_type, group):
    connection = cluster.connect()
    cur = connection.cursor()
    cur.execute(f"CREATE TABLE typed (c {sql_type})")
    cur.execute("SELECT c FROM typed")
    code = cur.description[0][1]
    assert code == GROUPS[group]
    assert GROUPS[group] == code
    for other, type_object in GROUPS.items():
        if other != group:
            assert code != type_object
    connection.close()


# ---------------------------------------------------------------- rowcount
@pytest.mark.parametrize("sql, expected", [
    ("SELECT * FROM items", 3),
    ("SELECT * FROM items WHERE id = 2", 1),
    ("INSERT INTO items (name) VALUES ('a')", 1),
    ("INSERT INTO items (name) VALUES ('a'), ('b'), ('c')", 3),
    ("INSERT INTO items (name, qty) SELECT name, qty FROM items", 3),
    ("UPDATE items SET qty = 7", 3),
    ("UPDATE items SET qty = 7 WHERE id = 1", 1),
    ("UPDATE items SET qty = 7 WHERE id > 10", 0),
    ("DELETE FROM items WHERE id >= 2", 2),
    ("DELETE FROM items WHERE id > 10", 0),
])
def test_rowcount(cur, sql, expected):
    cur.execute(sql)
    assert cur.rowcount == expected


@pytest.mark.xfail(strict=True, reason="bug (engine): MySQL reports changed rows, not matched rows, "
                                       "because PyMySQL does not set CLIENT_FOUND_ROWS")
@only_mysql
def test_mysql_update_rowcount_counts_changed_rows(cluster):
    connection = cluster.connect()
    cur = connection.cursor()
    cur.execute("CREATE TABLE t (a INT PRIMARY KEY, v INT)")
    cur.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
    assert cur.execute("UPDATE t SET v = 1") == 1  # only row 2 changes


# ---------------------------------------------------------------- lastrowid (MySQL)
@only_mysql  # PyMySQL's cursor.lastrowid
def test_mysql_lastrowid(cluster):
    connection = cluster.connect()
    cur = connection.cursor()
    cur.execute("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
    cur.execute("INSERT INTO t (v) VALUES (10)")
    assert cur.lastrowid == 1
    cur.execute("INSERT INTO t (v) VALUES (20), (30), (40)")
    assert cur.lastrowid == 2  # the first id of a multi-row insert
    cur.executemany("INSERT INTO t (v) VALUES (%s)", [(50,), (60,)])
    assert cur.lastrowid == 5
    cur.execute("UPDATE t SET v = v + 1 WHERE id = 1")
    assert cur.lastrowid == 0  # a statement that generated no id
    other = connection.cursor()
    other.execute("INSERT INTO t (v) VALUES (70)")
    assert other.lastrowid == 7
    assert cur.lastrowid == 0  # per cursor
    connection.close()


# ---------------------------------------------------------------- callproc / nextset
def test_callproc_not_supported(cur):
    with pytest.raises(al.NotSupportedError):
        cur.callproc("anything", (1,))


def test_setinputsizes_and_setoutputsize_accepted(cur):
    cur.setinputsizes([None])
    cur.setoutputsize(10)
    cur.setoutputsize(10, 0)


# ---------------------------------------------------------------- pyformat parameters
@pytest.mark.parametrize("sql, params, expected", [
    ("SELECT %s", (1,), (1,)),
    ("SELECT %s, %s", (1, "a"), (1, "a")),
    ("SELECT %s", [5], (5,)),
    ("SELECT %(a)s", {"a": 1}, (1,)),
    ("SELECT %(a)s, %(b)s, %(a)s", {"b": 2, "a": 1}, (1, 2, 1)),
    ("SELECT %(a)s", {"a": 1, "unused": 2}, (1,)),
    ("SELECT '100%%', %s", (1,), ("100%", 1)),
    ("SELECT 'a%%s', %s", ("x",), ("a%s", "x")),
    ("SELECT %s", ("it's",), ("it's",)),
    ("SELECT %s", ("'); DROP TABLE items; --",), ("'); DROP TABLE items; --",)),
    ("SELECT %s", (None,), (None,)),
    ("SELECT %s", (True,), (True,)),
    ("SELECT %s", (2.5,), (2.5,)),
    ("SELECT %s", (decimal.Decimal("12.34"),), (decimal.Decimal("12.34"),)),
    ("SELECT %s", (datetime.date(2024, 1, 2),), (datetime.date(2024, 1, 2),)),
    ("SELECT %s", (b"\x00\x01",), (b"\x00\x01",)),
    ("SELECT %s", ("%s",), ("%s",)),
])
def test_pyformat_params(cur, sql, params, expected):
    cur.execute(sql, params)
    assert cur.fetchone() == expected


def test_params_in_where(cur):
    assert select(cur, "SELECT name FROM items WHERE id = %s OR name = %s ORDER BY id", (1, "plum")) == \
        [("apple",), ("plum",)]
    assert select(cur, "SELECT name FROM items WHERE name LIKE %s ORDER BY id", ("p%",)) == [("pear",), ("plum",)]


@pytest.mark.parametrize("sql, params", [
    ("SELECT %s, %s", (1,)),
    ("SELECT %s", (1, 2)),
    ("SELECT %s", ()),
    ("SELECT 1", (1,)),
    ("SELECT %(a)s", {"b": 1}),
    ("SELECT %(a)s, %(b)s", {"a": 1}),
    ("SELECT %d", (1,)),
])
def test_wrong_params_raise_programming_error(cur, sql, params):
    with pytest.raises(al.ProgrammingError):
        cur.execute(sql, params)


def test_wrong_params_do_not_disturb_the_transaction(cluster, conn, cur):
    # Client-side errors: psycopg and PyMySQL raise them before anything reaches the server.
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    with pytest.raises(al.ProgrammingError):
        cur.execute("SELECT %s, %s", (1,))
    assert len(select(cur)) == 4
    conn.commit()
    assert len(committed(cluster)) == 4


@pytest.mark.parametrize("sql, expected", [
    ("SELECT '100%'", ("100%",)),
    ("SELECT 'a%%b'", ("a%%b",)),
    ("SELECT '%s'", ("%s",)),
    ("SELECT 7 % 3", (1,)),
    ("SELECT count(*) FROM items WHERE name LIKE 'p%'", (2,)),
])
def test_query_without_params_is_left_alone(cur, sql, expected):
    cur.execute(sql)
    assert cur.fetchone() == expected


# ---------------------------------------------------------------- multi-statement texts
def test_multi_statement_runs_every_statement(cluster, conn, cur):
    cur.execute("INSERT INTO items (name) VALUES ('fig'); UPDATE items SET qty = 0 WHERE name = 'fig'; "
                "DELETE FROM items WHERE name = 'apple'")
    conn.commit()
    assert committed(cluster) == [(2, "pear", 2), (3, "plum", None), (4, "fig", 0)]


@only_postgres  # libpq PQexec: only the last statement's result is returned
def test_postgres_multi_statement_returns_last_result(engine, cur):
    cur.execute("INSERT INTO items (name) VALUES ('fig'); SELECT count(*) FROM items")
    assert cur.fetchall() == [(4,)]


@only_postgres  # PostgreSQL simple-query protocol
def test_postgres_multi_statement_is_one_transaction_in_autocommit(cluster):
    # psycopg docs: several statements in one execute() run in one implicit transaction,
    # even in autocommit; a failure undoes all of them.
    connection = cluster.connect(autocommit=True)
    cur = connection.cursor()
    cur.execute("CREATE TABLE t (a INT PRIMARY KEY)")
    with pytest.raises(al.IntegrityError):
        cur.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); INSERT INTO t VALUES (1)")
    assert committed(cluster, "SELECT a FROM t") == []
    cur.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
    assert committed(cluster, "SELECT a FROM t ORDER BY a") == [(1,), (2,)]
    connection.close()


@only_mysql  # MySQL multi-statements: each statement is its own autocommit transaction
def test_mysql_multi_statement_autocommits_each_statement(cluster):
    connection = cluster.connect(autocommit=True)
    cur = connection.cursor()
    cur.execute("CREATE TABLE t (a INT PRIMARY KEY)")
    with pytest.raises(al.IntegrityError):
        cur.execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); INSERT INTO t VALUES (1)")
    assert committed(cluster, "SELECT a FROM t ORDER BY a") == [(1,), (2,)]
    connection.close()


# ---------------------------------------------------------------- savepoints
def _state(cur) -> list[tuple]:
    return select(cur)


def test_rollback_to_savepoint_restores_state(cluster, conn, cur):
    cur.execute("INSERT INTO items (name, qty) VALUES ('fig', 4), ('kiwi', 5)")
    cur.execute("UPDATE items SET qty = 100 WHERE id = 1")
    cur.execute("DELETE FROM items WHERE id = 2")
    at_savepoint = _state(cur)
    cur.execute("SAVEPOINT s1")
    cur.execute("INSERT INTO items (name, qty) VALUES ('lime', 6)")
    cur.execute("UPDATE items SET qty = -1")
    cur.execute("UPDATE items SET id = id + 100 WHERE id = 4")
    cur.execute("DELETE FROM items WHERE id = 3")
    cur.execute("ROLLBACK TO SAVEPOINT s1")
    assert _state(cur) == at_savepoint
    conn.commit()
    assert committed(cluster) == at_savepoint


def test_generated_ids_are_not_reused_after_rollback_to(cluster, conn, cur):
    # Neither a PostgreSQL sequence nor an InnoDB auto-increment counter is rolled back.
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO items (name) VALUES ('fig'), ('kiwi')")  # ids 4, 5
    cur.execute("ROLLBACK TO SAVEPOINT s")
    cur.execute("INSERT INTO items (name) VALUES ('lime')")
    (new_id,) = select(cur, "SELECT id FROM items WHERE name = 'lime'")[0]
    assert new_id > 5
    conn.commit()
    assert committed(cluster) == [*BASE, (new_id, "lime", None)]


def test_savepoint_survives_rollback_to(cur):
    cur.execute("SAVEPOINT s")
    for name in ("fig", "kiwi"):
        cur.execute("INSERT INTO items (name) VALUES (%s)", (name,))
        cur.execute("ROLLBACK TO SAVEPOINT s")
        assert _state(cur) == BASE


def test_nested_savepoints(conn, cur):
    cur.execute("INSERT INTO items (name) VALUES ('a')")
    outer = _state(cur)
    cur.execute("SAVEPOINT outer_sp")
    cur.execute("INSERT INTO items (name) VALUES ('b')")
    inner = _state(cur)
    cur.execute("SAVEPOINT inner_sp")
    cur.execute("INSERT INTO items (name) VALUES ('c')")
    cur.execute("ROLLBACK TO SAVEPOINT inner_sp")
    assert _state(cur) == inner
    cur.execute("ROLLBACK TO SAVEPOINT outer_sp")
    assert _state(cur) == outer
    # Rolling back to outer_sp destroyed inner_sp.
    with pytest.raises(al.OperationalError) as info:
        cur.execute("ROLLBACK TO SAVEPOINT inner_sp")
    assert (info.value.sqlstate, info.value.errno) in (("3B001", None), ("42000", 1305))


def test_release_savepoint_keeps_changes(cluster, conn, cur):
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    cur.execute("RELEASE SAVEPOINT s")
    assert len(_state(cur)) == 4
    with pytest.raises(al.OperationalError):
        cur.execute("ROLLBACK TO SAVEPOINT s")


def test_release_also_releases_later_savepoints(cur):
    cur.execute("SAVEPOINT a")
    cur.execute("SAVEPOINT b")
    cur.execute("RELEASE SAVEPOINT a")
    with pytest.raises(al.OperationalError):
        cur.execute("ROLLBACK TO SAVEPOINT b")


def test_savepoint_name_reused_goes_to_latest(cur):
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    second = _state(cur)
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO items (name) VALUES ('kiwi')")
    cur.execute("ROLLBACK TO SAVEPOINT s")
    assert _state(cur) == second


@only_postgres  # MySQL DDL commits implicitly (see test_mysql_ddl_commits_implicitly)
def test_savepoint_and_ddl(engine, cluster, conn, cur):
    cur.execute("SAVEPOINT before_create")
    cur.execute("CREATE TABLE extra (a INT)")
    cur.execute("INSERT INTO extra VALUES (1)")
    cur.execute("SAVEPOINT after_create")
    cur.execute("INSERT INTO extra VALUES (2)")
    cur.execute("ALTER TABLE items ADD COLUMN note TEXT")
    cur.execute("ROLLBACK TO SAVEPOINT after_create")
    assert select(cur, "SELECT a FROM extra") == [(1,)]
    assert _state(cur) == BASE
    with pytest.raises(al.ProgrammingError):
        cur.execute("SELECT note FROM items")
    cur.execute("ROLLBACK TO SAVEPOINT before_create")
    with pytest.raises(al.ProgrammingError):
        cur.execute("SELECT a FROM extra")
    cur.execute("ROLLBACK TO SAVEPOINT before_create")
    conn.commit()
    assert committed(cluster) == BASE


@pytest.mark.parametrize("sql", ["ROLLBACK TO SAVEPOINT nope", "RELEASE SAVEPOINT nope"])
def test_unknown_savepoint(engine, cur, sql):
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    with pytest.raises(al.OperationalError) as info:
        cur.execute(sql)
    if engine == PG:
        assert info.value.sqlstate == "3B001"
    else:
        assert info.value.errno == 1305
        assert info.value.sqlstate == "42000"


@pytest.mark.parametrize("sql", ["ROLLBACK TO SAVEPOINT nope", "RELEASE SAVEPOINT nope"])
def test_unknown_savepoint_as_first_statement(engine, cur, sql):
    # Outside autocommit the driver is in a transaction already (psycopg sent BEGIN).
    with pytest.raises(al.OperationalError) as info:
        cur.execute(sql)
    assert (info.value.sqlstate, info.value.errno) == (("3B001", None) if engine == PG else ("42000", 1305))


@only_postgres  # PostgreSQL: SAVEPOINT can only be used in transaction blocks
def test_postgres_savepoint_outside_transaction_block(cluster):
    connection = cluster.connect(autocommit=True)
    cur = connection.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    with pytest.raises(al.InternalError) as info:
        cur.execute("SAVEPOINT s")
    assert info.value.sqlstate == "25P01"
    cur.execute("INSERT INTO t VALUES (1)")  # still autocommitted
    assert committed(cluster, "SELECT a FROM t") == [(1,)]
    connection.close()


@only_mysql  # MySQL accepts SAVEPOINT with autocommit=1
def test_mysql_savepoint_in_autocommit_is_harmless(cluster):
    connection = cluster.connect(autocommit=True)
    cur = connection.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO t VALUES (1)")  # still autocommitted
    assert committed(cluster, "SELECT a FROM t") == [(1,)]
    connection.close()


# ---------------------------------------------------------------- PostgreSQL aborted transactions
FOLLOW_UPS = [
    "SELECT 1",
    "SELECT * FROM items",
    "INSERT INTO items (name) VALUES ('x')",
    "UPDATE items SET qty = 1",
    "DELETE FROM items",
    "CREATE TABLE t2 (a INT)",
    "SAVEPOINT s",
    "RELEASE SAVEPOINT s",
]

FAILURES = [
    "INSERT INTO items (id, name) VALUES (1, 'dup')",    # DuckDB error
    "SELECT nope FROM items",                           # DuckDB binder error
    "UPDATE missing SET a = 1",                         # engine catalog error
    "SELEC 1",                                          # front-end syntax error
    "ROLLBACK TO SAVEPOINT nope",                       # savepoint error
]


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("follow_up", FOLLOW_UPS)
@only_postgres
def test_postgres_aborted_transaction_refuses_statements(cluster, conn, cur, failure, follow_up):
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    with pytest.raises(al.DatabaseError):
        cur.execute(failure)
    for _ in range(2):
        with pytest.raises(al.InternalError) as info:
            cur.execute(follow_up)
        assert info.value.sqlstate == "25P02"
        assert type(info.value).__name__ == "InFailedSqlTransaction"
    conn.rollback()
    assert select(cur) == BASE  # usable again, the fig is gone


@pytest.mark.parametrize("failure", FAILURES)
@only_postgres
def test_postgres_commit_of_aborted_transaction_rolls_back(cluster, conn, cur, failure):
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    with pytest.raises(al.DatabaseError):
        cur.execute(failure)
    conn.commit()  # PostgreSQL answers COMMIT with ROLLBACK; psycopg does not raise
    assert committed(cluster) == BASE
    assert select(cur) == BASE


@only_postgres
def test_postgres_sql_commit_of_aborted_transaction(cluster, conn, cur):
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    with pytest.raises(al.IntegrityError):
        cur.execute("INSERT INTO items (id, name) VALUES (1, 'dup')")
    cur.execute("COMMIT")
    assert committed(cluster) == BASE


@only_postgres
def test_postgres_error_in_first_statement_aborts(cluster, conn, cur):
    with pytest.raises(al.ProgrammingError):
        cur.execute("SELECT nope FROM items")
    with pytest.raises(al.InternalError):
        cur.execute("SELECT 1")
    conn.rollback()
    cur.execute("SELECT 1")


@only_postgres
def test_postgres_rollback_to_savepoint_recovers(cluster, conn, cur):
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO items (name) VALUES ('kiwi')")
    with pytest.raises(al.IntegrityError):
        cur.execute("INSERT INTO items (id, name) VALUES (1, 'dup')")
    cur.execute("ROLLBACK TO SAVEPOINT s")
    assert [r[1] for r in _state(cur)] == ["apple", "pear", "plum", "fig"]
    conn.commit()
    assert [r[1] for r in committed(cluster)] == ["apple", "pear", "plum", "fig"]


@only_postgres
def test_postgres_autocommit_error_does_not_abort(cluster):
    connection = cluster.connect(autocommit=True)
    cur = connection.cursor()
    cur.execute("CREATE TABLE t (a INT PRIMARY KEY)")
    cur.execute("INSERT INTO t VALUES (1)")
    for failure in ["INSERT INTO t VALUES (1)", "SELECT nope FROM t", "UPDATE missing SET a = 1", "SELEC 1"]:
        with pytest.raises(al.DatabaseError):
            cur.execute(failure)
        cur.execute("SELECT a FROM t")
        assert cur.fetchall() == [(1,)]
    connection.close()


# ---------------------------------------------------------------- MySQL statement-level rollback
@pytest.mark.parametrize("failure, error", [
    ("INSERT INTO items (id, name) VALUES (10, 'x'), (1, 'dup')", al.IntegrityError),
    ("INSERT INTO items (id, name) VALUES (10, 'x'), (11, NULL)", al.IntegrityError),
    ("UPDATE items SET id = 3 WHERE id = 1", al.IntegrityError),
    ("UPDATE items SET name = NULL WHERE id = 2", al.IntegrityError),
    ("SELECT nope FROM items", al.OperationalError),
    ("UPDATE missing SET a = 1", al.ProgrammingError),
    ("SELEC 1", al.ProgrammingError),
])
@only_mysql
def test_mysql_failed_statement_is_undone_transaction_continues(cluster, conn, cur, failure, error):
    cur.execute("INSERT INTO items (name, qty) VALUES ('fig', 4)")
    cur.execute("UPDATE items SET qty = 50 WHERE id = 1")
    before = _state(cur)
    with pytest.raises(error):
        cur.execute(failure)
    assert _state(cur) == before  # the failed statement left nothing, the rest is there
    cur.execute("INSERT INTO items (name, qty) VALUES ('kiwi', 5)")
    conn.commit()
    assert committed(cluster) == [*before, (5, "kiwi", 5)]


@only_mysql
def test_mysql_statement_rollback_after_savepoint(cluster, conn, cur):
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    with pytest.raises(al.IntegrityError):
        cur.execute("INSERT INTO items (id, name) VALUES (1, 'dup')")
    cur.execute("ROLLBACK TO SAVEPOINT s")  # the savepoint survived the failed statement
    assert _state(cur) == BASE


@only_mysql
def test_mysql_ddl_commits_implicitly(cluster, conn, cur):
    # MySQL: DDL commits the open transaction before it runs, and itself after.
    cur.execute("INSERT INTO items (name) VALUES ('fig')")
    cur.execute("CREATE TABLE extra (a INT)")
    cur.execute("INSERT INTO items (name) VALUES ('kiwi')")
    conn.rollback()
    assert [r[1] for r in committed(cluster)] == ["apple", "pear", "plum", "fig"]
    assert committed(cluster, "SELECT a FROM extra") == []


def test_a_parameter_of_no_sql_type_is_a_programming_error(cluster):
    # psycopg: "cannot adapt type 'object' ..." before anything reaches the server.
    cur = cluster.connect().cursor()
    with pytest.raises(al.ProgrammingError, match="cannot adapt type 'object'"):
        cur.execute("SELECT %s", (object(),))
