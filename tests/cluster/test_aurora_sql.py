"""Aurora's SQL surface as topology-aware clients use it, before and after failover.

The queries are the AWS Advanced Python Wrapper's, sent verbatim (AURORA.md
"SQL surface"). The wrapper reads results by position, so the checks do too;
column names are checked where the documentation fixes them.
"""
from __future__ import annotations

import datetime
import re

import pytest
from cluster_support import query, wait_until

import aurora_lite as al

# ---------------------------------------------------------------- aurora-postgresql
PG_HAS_REPLICA_STATUS = "SELECT 1 FROM pg_catalog.aurora_replica_status() LIMIT 1"
PG_STAT_UTILS = ("SELECT (setting LIKE '%aurora_stat_utils%') AS aurora_stat_utils FROM pg_catalog.pg_settings "
                 "WHERE name OPERATOR(pg_catalog.=) 'rds.extensions'")
PG_TOPOLOGY = ("SELECT SERVER_ID, CASE WHEN SESSION_ID OPERATOR(pg_catalog.=) 'MASTER_SESSION_ID' THEN TRUE "
               "ELSE FALSE END, CPU, COALESCE(REPLICA_LAG_IN_MSEC, 0), LAST_UPDATE_TIMESTAMP FROM "
               "pg_catalog.aurora_replica_status() WHERE EXTRACT(EPOCH FROM(pg_catalog.NOW() OPERATOR(pg_catalog.-) "
               "LAST_UPDATE_TIMESTAMP)) OPERATOR(pg_catalog.<=) 300 OR SESSION_ID OPERATOR(pg_catalog.=) "
               "'MASTER_SESSION_ID' OR LAST_UPDATE_TIMESTAMP IS NULL")
PG_INSTANCE_ID = "SELECT pg_catalog.aurora_db_instance_identifier(), pg_catalog.aurora_db_instance_identifier()"
PG_IS_WRITER = ("SELECT SERVER_ID FROM pg_catalog.aurora_replica_status() WHERE SESSION_ID OPERATOR(pg_catalog.=) "
                "'MASTER_SESSION_ID' AND SERVER_ID OPERATOR(pg_catalog.=) pg_catalog.aurora_db_instance_identifier()")
PG_IN_RECOVERY = "SELECT pg_catalog.pg_is_in_recovery()"

REPLICA_STATUS_COLUMNS = [
    "server_id", "session_id", "durable_lsn", "highest_lsn_rcvd", "current_read_lsn",
    "cur_replay_latency_in_usec", "active_txns", "is_current", "last_transport_error", "last_error_timestamp",
    "last_update_timestamp", "feedback_xmin", "feedback_epoch", "replica_lag_in_msec",
    "log_stream_speed_in_kib_per_second", "log_buffer_sequence_number", "oldest_read_view_trx_id",
    "oldest_read_view_lsn", "pending_read_ios", "read_ios", "iops", "cpu",
]

# ---------------------------------------------------------------- aurora-mysql
MY_VERSION_COMMENT = "SHOW VARIABLES LIKE 'version_comment'"
MY_AURORA_VERSION = "SHOW VARIABLES LIKE 'aurora_version'"
MY_INSTANCE_ID = "SELECT @@aurora_server_id, @@aurora_server_id"
MY_READ_ONLY = "SELECT @@innodb_read_only"
MY_TOPOLOGY = ("SELECT SERVER_ID, CASE WHEN SESSION_ID = 'MASTER_SESSION_ID' THEN TRUE ELSE FALSE END, CPU, "
               "REPLICA_LAG_IN_MILLISECONDS, LAST_UPDATE_TIMESTAMP FROM information_schema.replica_host_status "
               "WHERE time_to_sec(timediff(now(), LAST_UPDATE_TIMESTAMP)) <= 300 OR SESSION_ID = 'MASTER_SESSION_ID'")
MY_IS_WRITER = ("SELECT SERVER_ID FROM information_schema.replica_host_status WHERE SESSION_ID = 'MASTER_SESSION_ID' "
                "AND SERVER_ID = @@aurora_server_id")
MY_HOST_STATUS = ("SELECT SERVER_ID, SESSION_ID, CPU, IS_CURRENT, LAST_UPDATE_TIMESTAMP, REPLICA_LAG_IN_MILLISECONDS "
                  "FROM information_schema.replica_host_status")

@pytest.fixture
def pg_cluster():
    cluster = al.Cluster("aurora-postgresql", replicas=2)
    yield cluster
    cluster.close()


@pytest.fixture
def mysql_cluster():
    cluster = al.Cluster("aurora-mysql", replicas=2)
    yield cluster
    cluster.close()


def _topology(cluster, endpoint, sql):
    """{server_id: is_writer} from a topology query, checking the other columns' types on the way."""
    rows = query(cluster, endpoint, sql)
    for server_id, is_writer, cpu, lag, updated in rows:
        assert isinstance(server_id, str) and isinstance(cpu, (int, float)) and lag is not None and lag >= 0
        assert isinstance(updated, datetime.datetime)
    topology = {r[0]: bool(r[1]) for r in rows}
    assert len(topology) == len(rows), "an instance listed twice"
    return topology


def _expected_topology(cluster):
    return {i.identifier: i.role == "writer" for i in cluster.instances if i.status == "available"}


def _fail_over_and_settle(cluster):
    event = cluster.failover()
    wait_until(lambda: cluster.instance(event.old_writer).status == "available", 30.0,
               "the old writer to come back as a reader")
    return event


# ---------------------------------------------------------------- PostgreSQL
def test_pg_wrapper_detects_aurora(pg_cluster):
    for endpoint in ("writer", "reader"):
        assert query(pg_cluster, endpoint, PG_HAS_REPLICA_STATUS) == [(1,)]
        assert query(pg_cluster, endpoint, PG_STAT_UTILS) == [(True,)]


def test_pg_topology_before_and_after_failover(pg_cluster):
    writer = pg_cluster.writer.identifier
    expected = {writer: True, **{r.identifier: False for r in pg_cluster.readers}}
    for endpoint in [writer, *(r.identifier for r in pg_cluster.readers)]:
        assert _topology(pg_cluster, endpoint, PG_TOPOLOGY) == expected

    event = _fail_over_and_settle(pg_cluster)
    after = {event.new_writer: True, **{r.identifier: False for r in pg_cluster.readers}}
    assert after[event.old_writer] is False and len(after) == 3
    assert after == _expected_topology(pg_cluster)
    for endpoint in ("writer", "reader", event.old_writer):
        assert _topology(pg_cluster, endpoint, PG_TOPOLOGY) == after


def test_pg_instance_identity_and_role_before_and_after_failover(pg_cluster):
    def check():
        for instance in pg_cluster.instances:
            me = instance.identifier
            assert query(pg_cluster, me, PG_INSTANCE_ID) == [(me, me)]
            writer = instance.role == "writer"
            assert query(pg_cluster, me, PG_IS_WRITER) == ([(me,)] if writer else [])
            assert query(pg_cluster, me, PG_IN_RECOVERY) == [(not writer,)]

    check()
    old = pg_cluster.writer.identifier
    event = _fail_over_and_settle(pg_cluster)
    assert pg_cluster.instance(old).role == "reader" and pg_cluster.writer.identifier == event.new_writer
    check()
    # The wrapper's "am I connected to the writer" answers on a new cluster-endpoint connection.
    assert query(pg_cluster, "writer", PG_IS_WRITER) == [(event.new_writer,)]


def test_pg_replica_status_columns_and_lag(pg_cluster):
    connection = pg_cluster.connect(autocommit=True)
    cursor = connection.cursor()
    cursor.execute("SELECT * FROM aurora_replica_status()")
    assert [d[0] for d in cursor.description] == REPLICA_STATUS_COLUMNS
    rows = {r[0]: dict(zip(REPLICA_STATUS_COLUMNS, r)) for r in cursor.fetchall()}
    assert set(rows) == {i.identifier for i in pg_cluster.instances}
    me = pg_cluster.writer.identifier
    assert rows[me]["session_id"] == "MASTER_SESSION_ID" and rows[me]["is_current"] is True
    for reader in pg_cluster.readers:
        row = rows[reader.identifier]
        assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", row["session_id"])
        assert row["is_current"] is False

    cursor.execute("CREATE TABLE t (a INT)")
    pg_cluster.wait_for_replicas()
    pg_cluster.pause_replication()
    cursor.execute("INSERT INTO t (a) VALUES (1)")
    vdl = pg_cluster.volume.vdl
    reader = pg_cluster.readers[0].identifier

    def lagging():
        status = {r[0]: r for r in query(pg_cluster, "writer",
                                          "SELECT server_id, durable_lsn, current_read_lsn, replica_lag_in_msec "
                                          "FROM aurora_replica_status()")}
        _, durable, read, lag = status[reader]
        return durable == vdl and read < vdl and lag is not None and lag > 10.0

    wait_until(lagging, 10.0, "aurora_replica_status() to show the paused reader lagging")
    pg_cluster.resume_replication()
    pg_cluster.wait_for_replicas()
    status = {r[0]: r[1:] for r in query(pg_cluster, "writer",
                                         "SELECT server_id, current_read_lsn, replica_lag_in_msec "
                                         "FROM aurora_replica_status()")}
    assert status[reader] == (vdl, 0.0)


def test_pg_aurora_version(pg_cluster):
    for endpoint in ("writer", "reader"):
        (version,), = query(pg_cluster, endpoint, "SELECT aurora_version()")
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)


def test_pg_function_result_columns_are_named_like_postgresql(pg_cluster):
    # Session functions are rewritten to getvariable(...); psycopg dict_row users see the name.
    connection = pg_cluster.connect()
    cursor = connection.cursor()
    cursor.execute("SELECT pg_catalog.aurora_db_instance_identifier()")
    assert cursor.description[0][0] == "aurora_db_instance_identifier"
    cursor.execute(PG_IN_RECOVERY)
    assert cursor.description[0][0] == "pg_is_in_recovery"
    cursor.execute("SELECT current_user, aurora_version()")
    assert [d[0] for d in cursor.description] == ["current_user", "aurora_version"]


# ---------------------------------------------------------------- MySQL
def test_mysql_replica_host_status_before_and_after_failover(mysql_cluster):
    def check():
        for instance in mysql_cluster.instances:
            rows = query(mysql_cluster, instance.identifier, MY_HOST_STATUS)
            assert {r[0]: r[1] == "MASTER_SESSION_ID" for r in rows} == _expected_topology(mysql_cluster)
            assert [r[0] for r in rows if r[3] == 1] == [instance.identifier]  # IS_CURRENT
            for _, _, cpu, _, updated, lag in rows:
                assert isinstance(cpu, float) and isinstance(updated, datetime.datetime) and lag >= 0

    check()
    connection = mysql_cluster.connect()
    cursor = connection.cursor()
    cursor.execute("SELECT * FROM information_schema.replica_host_status")
    assert [d[0] for d in cursor.description] == ["SERVER_ID", "SESSION_ID", "CPU", "IS_CURRENT",
                                                  "LAST_UPDATE_TIMESTAMP", "REPLICA_LAG_IN_MILLISECONDS"]
    _fail_over_and_settle(mysql_cluster)
    check()


def test_mysql_topology_query_before_and_after_failover(mysql_cluster):
    assert _topology(mysql_cluster, "writer", MY_TOPOLOGY) == _expected_topology(mysql_cluster)
    _fail_over_and_settle(mysql_cluster)
    for endpoint in ("writer", "reader"):
        assert _topology(mysql_cluster, endpoint, MY_TOPOLOGY) == _expected_topology(mysql_cluster)


def test_mysql_instance_identity_and_role_before_and_after_failover(mysql_cluster):
    def check():
        for instance in mysql_cluster.instances:
            me = instance.identifier
            writer = instance.role == "writer"
            assert query(mysql_cluster, me, MY_INSTANCE_ID) == [(me, me)]
            (read_only,), = query(mysql_cluster, me, MY_READ_ONLY)
            assert read_only == (0 if writer else 1)
            assert query(mysql_cluster, me, MY_IS_WRITER) == ([(me,)] if writer else [])

    check()
    event = _fail_over_and_settle(mysql_cluster)
    check()
    assert query(mysql_cluster, "writer", MY_IS_WRITER) == [(event.new_writer,)]


def test_mysql_wrapper_detects_aurora_mysql(mysql_cluster):
    for endpoint in ("writer", "reader"):
        (name, comment), = query(mysql_cluster, endpoint, MY_VERSION_COMMENT)
        assert name == "version_comment" and "mysql" in comment.lower()
        (name, version), = query(mysql_cluster, endpoint, MY_AURORA_VERSION)
        assert name == "aurora_version" and re.fullmatch(r"\d+\.\d+\.\d+", version)
