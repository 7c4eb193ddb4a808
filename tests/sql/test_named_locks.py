"""Application locks: PostgreSQL's advisory locks and MySQL's GET_LOCK(), per instance, held by sessions."""
from __future__ import annotations

import threading

import aurora_lite as al


def value(connection, sql, params=None):
    cursor = connection.cursor()
    cursor.execute(sql, params)
    return cursor.fetchone()[0]


def test_postgres_advisory_locks_are_reentrant_and_exclusive():
    with al.Cluster("aurora-postgresql") as cluster:
        a, b = cluster.connect(autocommit=True), cluster.connect(autocommit=True)
        assert value(a, "SELECT pg_advisory_lock(42)") is None
        assert value(a, "SELECT pg_catalog.pg_advisory_lock(%s)", (42,)) is None  # twice: release twice
        assert value(b, "SELECT pg_try_advisory_lock(42)") is False
        assert value(b, "SELECT pg_try_advisory_lock(42, 1)") is True  # the two-key form is another lock
        assert value(a, "SELECT pg_advisory_unlock(42)") is True
        assert value(b, "SELECT pg_try_advisory_lock(42)") is False
        assert value(a, "SELECT pg_advisory_unlock(42)") is True
        assert value(a, "SELECT pg_advisory_unlock(42)") is False  # not held any more
        assert value(b, "SELECT pg_try_advisory_lock(42)") is True
        b.close()  # a session's locks end with it
        assert value(a, "SELECT pg_try_advisory_lock(42)") is True


def test_postgres_advisory_lock_waits_for_the_holder():
    with al.Cluster("aurora-postgresql") as cluster:
        a, b = cluster.connect(autocommit=True), cluster.connect(autocommit=True)
        value(a, "SELECT pg_advisory_lock(1)")
        got: list = []
        waiter = threading.Thread(target=lambda: got.append(value(b, "SELECT pg_advisory_lock(1)")))
        waiter.start()
        assert got == []
        value(a, "SELECT pg_advisory_unlock(1)")
        waiter.join(10)
        assert got == [None] and value(a, "SELECT pg_try_advisory_lock(1)") is False


def test_postgres_transaction_level_locks_end_with_the_transaction():
    with al.Cluster("aurora-postgresql") as cluster:
        a, other = cluster.connect(), cluster.connect(autocommit=True)
        a.cursor().execute("SELECT pg_advisory_xact_lock(7)")
        assert value(other, "SELECT pg_try_advisory_lock(7)") is False
        assert value(a, "SELECT pg_advisory_unlock(7)") is False  # not released by hand
        a.commit()
        assert value(other, "SELECT pg_try_advisory_lock(7)") is True


def test_locks_are_per_instance():
    with al.Cluster("aurora-postgresql", replicas=1) as cluster:
        writer, reader = cluster.connect(autocommit=True), cluster.connect("reader", autocommit=True)
        assert value(writer, "SELECT pg_try_advisory_lock(5)") is True
        assert value(reader, "SELECT pg_try_advisory_lock(5)") is True  # the reader's own lock table


def test_mysql_get_lock_family():
    with al.Cluster("aurora-mysql") as cluster:
        a, b = cluster.connect(), cluster.connect()
        cursor = a.cursor()
        cursor.execute("SELECT GET_LOCK('migrations', 10)")
        assert cursor.description[0][0] == "GET_LOCK('migrations', 10)" and cursor.fetchone() == (1,)
        assert value(b, "SELECT GET_LOCK('MIGRATIONS', 0)") == 0  # names are case-insensitive
        assert value(b, "SELECT IS_FREE_LOCK('migrations')") == 0
        assert value(b, "SELECT IS_USED_LOCK('migrations')") == value(a, "SELECT CONNECTION_ID()")
        assert value(b, "SELECT RELEASE_LOCK('migrations')") == 0  # held by another session
        assert value(a, "SELECT RELEASE_LOCK(%s)", ("migrations",)) == 1
        assert value(a, "SELECT RELEASE_LOCK('migrations')") is None  # no such lock now
        assert value(b, "SELECT GET_LOCK('migrations', 0) AS got") == 1
        assert value(b, "SELECT RELEASE_ALL_LOCKS()") == 1
