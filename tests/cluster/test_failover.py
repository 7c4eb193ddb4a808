"""Failover: planned and unplanned, in the middle of a write workload.

What an application sees (AURORA.md "Replicas, failover, endpoints" and
DESIGN.md "Behaviour the contract implies"): the target is the reader with
the lowest promotion tier (or the one asked for); connections to the old
writer raise the engine's connection-loss error on next use; new connections
to the cluster endpoint reach the new writer; every acknowledged commit is
there, no transaction is there in part, generated keys go on without
collisions; the old writer comes back as a reader; FailoverEvent.seconds is
measured. A crash without readers restarts the writer in place; a reader
crash restarts the reader.
"""
from __future__ import annotations

import threading
import time

import pytest
from cluster_support import (
    assert_connection_lost,
    insert_returning_id,
    is_connection_lost,
    query,
    serial_column,
    table_rows,
    wait_until,
)

import aurora_lite as al

REJOIN_S = 30.0  # bound for a rebuilt instance to become available again


def _ledger(cluster: al.Cluster) -> None:
    connection = cluster.connect()
    connection.cursor().execute(
        f"CREATE TABLE ledger ({serial_column(cluster)}, worker INT NOT NULL, n INT NOT NULL, part INT NOT NULL)")
    connection.commit()
    connection.close()


def _came_back_as_reader(cluster: al.Cluster, identifier: str) -> None:
    def back() -> bool:
        instance = cluster.instance(identifier)
        return instance.status == "available" and instance.role == "reader" and instance in cluster.readers
    wait_until(back, REJOIN_S, f"{identifier} to come back as an available reader")


# ---------------------------------------------------------------- choosing the target
def test_planned_failover_promotes_the_lowest_promotion_tier(make_cluster):
    cluster = make_cluster()
    cluster.add_reader("tier-2", promotion_tier=2)
    cluster.add_reader("tier-0", promotion_tier=0)
    cluster.add_reader("tier-1", promotion_tier=1)
    old = cluster.writer.identifier
    event = cluster.failover()
    assert (event.old_writer, event.new_writer, event.kind) == (old, "tier-0", "planned")
    assert cluster.writer.identifier == "tier-0" and cluster.writer.role == "writer"
    assert cluster.connect().instance_identifier == "tier-0"
    assert cluster.events[-1] == event
    _came_back_as_reader(cluster, old)
    assert sorted(r.identifier for r in cluster.readers) == sorted([old, "tier-1", "tier-2"])


def test_planned_failover_to_an_explicit_target(make_cluster):
    cluster = make_cluster()
    cluster.add_reader("preferred", promotion_tier=0)
    cluster.add_reader("chosen", promotion_tier=15)
    event = cluster.failover(target="chosen")
    assert event.new_writer == "chosen" == cluster.writer.identifier
    assert cluster.instance("preferred").role == "reader"


def test_failover_refuses_impossible_targets(make_cluster):
    cluster = make_cluster()
    with pytest.raises(al.OperationalError):
        cluster.failover()  # no reader to promote
    reader = cluster.add_reader()
    with pytest.raises(al.ProgrammingError):
        cluster.failover(target=cluster.writer.identifier)
    with pytest.raises(al.ProgrammingError):
        cluster.failover(target="no-such-instance")
    assert cluster.writer.role == "writer" and reader.role == "reader" and not cluster.events


def test_promoted_reader_catches_up_from_the_volume_even_when_paused(make_cluster):
    cluster = make_cluster(replicas=1)
    _ledger(cluster)
    cluster.wait_for_replicas()
    cluster.pause_replication()
    connection = cluster.connect()
    cursor = connection.cursor()
    for n in range(20):
        cursor.execute("INSERT INTO ledger (worker, n, part) VALUES (0, %s, 0)", (n,))
    connection.commit()
    assert cluster.readers[0].applied_lsn < cluster.volume.vdl
    cluster.failover()
    assert query(cluster, "writer", "SELECT count(*) FROM ledger") == [(20,)]


# ---------------------------------------------------------------- under a write workload
class Writers:
    """Threads committing two ledger rows per transaction; they reconnect when a connection is lost.

    acked[(worker, n)] holds the ids of a commit the client saw succeed;
    unknown holds transactions whose COMMIT failed with a lost connection
    (their outcome is unknown to the client, as on a real server).
    """

    def __init__(self, cluster: al.Cluster, workers: int = 3) -> None:
        self.cluster = cluster
        self.acked: dict[tuple[int, int], list[int]] = {}
        self.acked_at: dict[tuple[int, int], float] = {}
        self.unknown: set[tuple[int, int]] = set()
        self.lost: dict[int, int] = {w: 0 for w in range(workers)}
        self.unexpected: list[BaseException] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(workers)]
        for thread in self.threads:
            thread.start()

    def count(self) -> int:
        with self._lock:
            return len(self.acked)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30.0)
            assert not thread.is_alive(), "a writer thread hung"

    def _connect(self) -> al.Connection:
        return self.cluster.connect()

    def _run(self, worker: int) -> None:
        try:
            connection = self._connect()
        except BaseException as error:  # noqa: BLE001 - asserted empty by the test thread
            self.unexpected.append(error)
            return
        n = 0
        while not self.stop.is_set():
            key = (worker, n)
            committing = False
            try:
                cursor = connection.cursor()
                ids = [insert_returning_id(cursor, self.cluster, "ledger", "worker, n, part", (worker, n, part))
                       for part in (0, 1)]
                committing = True
                connection.commit()
                with self._lock:
                    self.acked[key] = ids
                    self.acked_at[key] = time.monotonic()
            except al.Error as error:
                if not is_connection_lost(error, self.cluster):
                    self.unexpected.append(error)
                    return
                with self._lock:
                    self.lost[worker] += 1
                    if committing:
                        self.unknown.add(key)
                connection.close()
                try:
                    connection = self._connect()
                except BaseException as error:  # noqa: BLE001 - asserted empty by the test thread
                    self.unexpected.append(error)
                    return
            except BaseException as error:  # noqa: BLE001 - asserted empty by the test thread
                self.unexpected.append(error)
                return
            n += 1
        connection.close()


@pytest.mark.parametrize("kind", ["planned", "crash", "crash-without-readers"])
def test_failover_in_the_middle_of_a_write_workload(make_cluster, kind):
    cluster = make_cluster(replicas=0 if kind == "crash-without-readers" else 2)
    _ledger(cluster)
    old = cluster.writer.identifier
    idle = cluster.connect()  # an idle connection to the old writer
    idle.cursor().execute("SELECT count(*) FROM ledger")
    writers = Writers(cluster)
    try:
        wait_until(lambda: writers.count() >= 30 or writers.unexpected, 30.0, "30 commits before the failover")
        events_before = len(cluster.events)
        started = time.monotonic()
        if kind == "planned":
            event = cluster.failover()
        else:
            cluster.writer.crash()
            event = cluster.events[-1] if len(cluster.events) > events_before else None
        call_s = time.monotonic() - started
        acked_before = writers.count()
        wait_until(lambda: writers.count() >= acked_before + 30 or writers.unexpected, 30.0,
                   "30 commits after the failover")
    finally:
        writers.finish()
    assert not writers.unexpected, writers.unexpected

    # Who is the writer now, and what the event says.
    if kind == "crash-without-readers":
        assert event is None and cluster.writer.identifier == old  # restarted in place
        assert cluster.writer.status == "available"
    else:
        assert event is not None and event.kind == ("planned" if kind == "planned" else "crash")
        assert event.old_writer == old and event.new_writer == cluster.writer.identifier != old
        assert 0.0 < event.seconds <= call_s
    writer = cluster.connect()
    assert writer.instance_identifier == cluster.writer.identifier

    # Every connection to the old writer heard about it on its next use.
    assert all(count >= 1 for count in writers.lost.values()), writers.lost
    with pytest.raises(al.OperationalError) as caught:
        idle.cursor().execute("SELECT 1")
    assert_connection_lost(caught.value, cluster)

    # Every acknowledged commit is there whole; nothing is there in part; keys never collide.
    rows = table_rows(writer, "ledger", "id")
    by_txn: dict[tuple[int, int], list[int]] = {}
    for row_id, worker, n, _part in rows:
        by_txn.setdefault((worker, n), []).append(row_id)
    missing = [key for key in writers.acked if sorted(by_txn.get(key, [])) != sorted(writers.acked[key])]
    assert not missing, f"acknowledged commits missing or changed: {missing[:5]}"
    assert all(len(ids) == 2 for ids in by_txn.values()), "a transaction is there in part"
    strangers = set(by_txn) - set(writers.acked) - writers.unknown
    assert not strangers, f"transactions never acknowledged nor in doubt are there: {sorted(strangers)[:5]}"
    assert len({r[0] for r in rows}) == len(rows)
    cutoff = started
    before = [i for key, ids in writers.acked.items() if writers.acked_at[key] < cutoff for i in ids]
    after = [i for key, ids in writers.acked.items() if writers.acked_at[key] > cutoff + call_s for i in ids]
    assert before and after
    assert min(after) > max(before), "a generated key was handed out again after the failover"
    next_id = insert_returning_id(writer.cursor(), cluster, "ledger", "worker, n, part", (99, 0, 0))
    writer.commit()
    assert next_id > max(r[0] for r in rows)

    # The old writer comes back as a reader and, like every reader, converges on the writer.
    if kind != "crash-without-readers":
        _came_back_as_reader(cluster, old)
    cluster.wait_for_replicas(timeout=10.0)
    expected = table_rows(writer, "ledger", "id")
    for reader in cluster.readers:
        assert table_rows(cluster.connect(reader.identifier), "ledger", "id") == expected, reader.identifier


def test_generated_keys_continue_after_failover_when_commits_finish_out_of_order(make_cluster):
    """Two transactions draw ids 1 and 2 and commit 2 first: the new writer must not hand out 2 again."""
    cluster = make_cluster(replicas=1)
    _ledger(cluster)
    first, second = cluster.connect(), cluster.connect()
    id1 = insert_returning_id(first.cursor(), cluster, "ledger", "worker, n, part", (1, 0, 0))
    id2 = insert_returning_id(second.cursor(), cluster, "ledger", "worker, n, part", (2, 0, 0))
    assert id1 < id2
    second.commit()
    first.commit()
    cluster.wait_for_replicas()
    cluster.failover()
    writer = cluster.connect()
    id3 = insert_returning_id(writer.cursor(), cluster, "ledger", "worker, n, part", (3, 0, 0))
    writer.commit()
    assert id3 > id2
    assert [r[0] for r in table_rows(writer, "ledger", "id")] == [id1, id2, id3]


def test_a_sequence_used_through_nextval_continues_after_failover(make_cluster, engine):
    if engine != "aurora-postgresql":
        pytest.skip("sequences with nextval() are PostgreSQL")
    cluster = make_cluster(replicas=1)
    cursor = cluster.connect(autocommit=True).cursor()
    cursor.execute("CREATE SEQUENCE order_numbers")
    drawn = []
    for _ in range(3):
        cursor.execute("SELECT nextval('order_numbers')")
        drawn.append(cursor.fetchone()[0])
    cluster.failover()
    cursor = cluster.connect(autocommit=True).cursor()
    cursor.execute("SELECT nextval('order_numbers')")
    assert cursor.fetchone()[0] > max(drawn)


def test_remaining_readers_follow_the_new_writer(make_cluster):
    cluster = make_cluster(replicas=2)
    _ledger(cluster)
    event = cluster.failover()
    bystander = next(r for r in cluster.readers if r.identifier != event.old_writer)
    writer = cluster.connect()
    writer.cursor().execute("INSERT INTO ledger (worker, n, part) VALUES (1, 1, 1)")
    writer.commit()
    cluster.wait_for_replicas()
    assert query(cluster, bystander.identifier, "SELECT worker, n, part FROM ledger") == [(1, 1, 1)]
    # Reads on the new writer and writes through the promoted reader's old endpoint name both work.
    assert query(cluster, event.new_writer, "SELECT count(*) FROM ledger") == [(1,)]


def test_the_promoted_readers_own_connections_are_dropped(make_cluster):
    cluster = make_cluster(replicas=1)
    target = cluster.readers[0].identifier
    on_target = cluster.connect(target)
    on_target.cursor().execute("SELECT 1")
    cluster.failover()
    with pytest.raises(al.OperationalError) as caught:
        on_target.cursor().execute("SELECT 1")
    assert_connection_lost(caught.value, cluster)
    assert cluster.connect(target).instance_identifier == target == cluster.writer.identifier


def test_commit_on_the_old_writer_after_failover_is_lost_not_applied(make_cluster):
    cluster = make_cluster(replicas=1)
    _ledger(cluster)
    connection = cluster.connect()
    connection.cursor().execute("INSERT INTO ledger (worker, n, part) VALUES (7, 7, 7)")
    cluster.failover()
    with pytest.raises(al.OperationalError) as caught:
        connection.commit()
    assert_connection_lost(caught.value, cluster)
    assert query(cluster, "writer", "SELECT count(*) FROM ledger") == [(0,)]


# ---------------------------------------------------------------- crashes without failover
def test_writer_crash_without_readers_restarts_it_in_place(make_cluster):
    cluster = make_cluster()
    _ledger(cluster)
    connection = cluster.connect()
    cursor = connection.cursor()
    ids = [insert_returning_id(cursor, cluster, "ledger", "worker, n, part", (0, n, 0)) for n in range(5)]
    connection.commit()
    identifier = cluster.writer.identifier
    cluster.writer.crash()
    assert not cluster.events
    with pytest.raises(al.OperationalError) as caught:
        cursor.execute("SELECT 1")
    assert_connection_lost(caught.value, cluster)
    fresh = cluster.connect()
    assert fresh.instance_identifier == identifier == cluster.writer.identifier
    assert [r[0] for r in table_rows(fresh, "ledger", "id")] == ids
    assert insert_returning_id(fresh.cursor(), cluster, "ledger", "worker, n, part", (0, 5, 0)) > max(ids)


def test_reader_crash_restarts_the_reader(make_cluster):
    cluster = make_cluster(replicas=2)
    _ledger(cluster)
    crashed = cluster.readers[0]
    identifier = crashed.identifier
    connection = cluster.connect(identifier)
    connection.cursor().execute("SELECT 1")
    writer_before = cluster.writer
    crashed.crash()
    assert cluster.writer is writer_before and not cluster.events  # no failover for a reader
    with pytest.raises(al.OperationalError) as caught:
        connection.cursor().execute("SELECT 1")
    assert_connection_lost(caught.value, cluster)
    wait_until(lambda: cluster.instance(identifier) is not crashed
               and cluster.instance(identifier).status == "available", REJOIN_S, "the reader to restart")
    restarted = cluster.instance(identifier)
    assert restarted.role == "reader"
    writer = cluster.connect()
    writer.cursor().execute("INSERT INTO ledger (worker, n, part) VALUES (1, 2, 3)")
    writer.commit()
    cluster.wait_for_replicas()
    assert query(cluster, identifier, "SELECT worker, n, part FROM ledger") == [(1, 2, 3)]


@pytest.mark.parametrize("role", ["writer", "reader"])
def test_reboot_restarts_in_place_without_failover(make_cluster, role):
    cluster = make_cluster(replicas=1)
    _ledger(cluster)
    writer = cluster.connect()
    writer.cursor().execute("INSERT INTO ledger (worker, n, part) VALUES (1, 1, 1)")
    writer.commit()
    cluster.wait_for_replicas()
    instance = cluster.writer if role == "writer" else cluster.readers[0]
    identifier = instance.identifier
    connection = cluster.connect(identifier)
    instance.reboot()
    with pytest.raises(al.OperationalError) as caught:
        connection.cursor().execute("SELECT 1")
    assert_connection_lost(caught.value, cluster)
    assert not cluster.events
    assert cluster.instance(identifier).role == role
    wait_until(lambda: cluster.instance(identifier).status == "available", REJOIN_S, "the reboot to finish")
    assert query(cluster, identifier, "SELECT worker, n, part FROM ledger") == [(1, 1, 1)]


def test_a_script_that_never_closes_its_cluster_exits_cleanly_after_a_failover():
    # Found while testing TRUNCATE: threads still inside DuckDB at interpreter exit aborted the
    # process ("terminate called after throwing an instance of ''", exit status 134).
    import subprocess
    import sys

    script = ("import aurora_lite as al\n"
              "c = al.Cluster('aurora-mysql', replicas=1)\n"
              "cur = c.connect(autocommit=True).cursor()\n"
              "cur.execute('CREATE TABLE t (id INT PRIMARY KEY)')\n"
              "cur.execute('INSERT INTO t VALUES (1)')\n"
              "c.wait_for_replicas()\n"
              "c.failover()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr
