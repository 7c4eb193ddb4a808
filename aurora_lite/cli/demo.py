"""``aurora-lite demo``: a narrated tour of an Aurora cluster inside this process (in memory).

Each step uses the public API only (`aurora_lite.Cluster`, PEP 249
connections) and prints what it measured on this run: create a cluster with
two readers, load orders through the writer with a progress bar, read through
the reader endpoint and show the lag, make a stale read visible by pausing
replication, lose an AZ and keep committing, fail over, and restore to a point
in time just before a mistaken DELETE. A few seconds on a laptop.
"""
from __future__ import annotations

import datetime
import statistics
import time
from typing import TYPE_CHECKING, Any, TextIO

from .output import Narrator, Progress, describe_error
from .views import (
    SEGMENT_HEADERS,
    TOPOLOGY_HEADERS,
    join_restarts,
    segment_health,
    topology,
)

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..dbapi.connection import Connection

DEFAULT_ROWS = 200_000
BATCH_ROWS = 10_000
AZ_COMMITS = 200
STATUSES = ("pending", "shipped", "delivered")
WATCHED_ORDER = 7  # status 'shipped' (7 % 3 == 1): the stale-read step marks it 'delivered'

CREATE_ORDERS = """CREATE TABLE orders (
    id BIGINT PRIMARY KEY,
    customer INT NOT NULL,
    status VARCHAR(16) NOT NULL,
    amount DECIMAL(10, 2) NOT NULL,
    placed TIMESTAMP NOT NULL
)"""
INSERT_ORDER = "INSERT INTO orders VALUES (%s, %s, %s, %s, %s)"
EPOCH = datetime.datetime(2024, 1, 1)


def order(i: int) -> tuple[Any, ...]:
    """The demo's order number i: (id, customer, status, amount, placed)."""
    return (i, i % 5000, STATUSES[i % 3], round((i % 997) * 1.37, 2), EPOCH + datetime.timedelta(seconds=30 * i))


def run(stream: TextIO, *, engine: str = "aurora-postgresql", rows: int = DEFAULT_ROWS) -> int:
    """The narrated tour; returns an exit code."""
    from ..cluster import Cluster

    out = Narrator(stream)
    started = time.perf_counter()
    out.write(f"aurora-lite demo: an Amazon Aurora cluster ({engine}) inside this process, in memory.\n"
              "Every figure below was measured just now.\n")
    cluster = _create(out, Cluster, engine)
    try:
        tour = _Tour(out, cluster, rows)
        tour.load()
        tour.read_through_reader()
        tour.stale_read()
        tour.lose_an_az()
        tour.fail_over()
        tour.restore_to_a_point_in_time()
    finally:
        join_restarts()
        cluster.close()
    out.write(f"\nDone in {time.perf_counter() - started:.1f} s. Next: `aurora-lite shell PATH` for a durable "
              "cluster of your own,\nthe pytest fixtures (docs/pytest.md), and docs/architecture.md for how it "
              "works.\n")
    return 0


def _create(out: Narrator, cluster_class: type[Cluster], engine: str) -> Cluster:
    out.step("Create a cluster: one writer and two Aurora Replicas over one cluster volume")
    t = time.perf_counter()
    cluster = cluster_class(engine, name="demo")
    try:
        cluster.add_reader(promotion_tier=1)
        cluster.add_reader(promotion_tier=2)
    except BaseException:
        cluster.close()
        raise
    out.say(f"Cluster('{engine}', name='demo') and two add_reader() calls took {_ms(time.perf_counter() - t)}.")
    out.table(TOPOLOGY_HEADERS, topology(cluster))
    out.say("The volume keeps six copies of every page: protection groups of six segments,")
    out.say("two in each of az-a, az-b and az-c. A commit is durable at 4 of 6; a read needs one.")
    return cluster


class _Tour:
    """The tour's state: the cluster, the writer connection, and what was committed."""

    def __init__(self, out: Narrator, cluster: Cluster, rows: int) -> None:
        self.out = out
        self.cluster = cluster
        self.rows = rows
        self.writer = cluster.connect()
        self.committed = 0  # orders acknowledged to this client

    def count(self, connection: Connection) -> int:
        cur = connection.cursor()
        cur.execute("SELECT count(*) FROM orders")
        return int(cur.fetchone()[0])

    # ------------------------------------------------------------ steps
    def load(self) -> None:
        out, cluster = self.out, self.cluster
        out.step("Load data through the writer endpoint")
        cur = self.writer.cursor()
        cur.execute(CREATE_ORDERS)
        self.writer.commit()
        t = time.perf_counter()
        with Progress(out.stream, "loading orders", self.rows, " rows") as progress:
            for first in range(0, self.rows, BATCH_ROWS):
                batch = [order(i) for i in range(first, min(first + BATCH_ROWS, self.rows))]
                cur.executemany(INSERT_ORDER, batch)
                self.writer.commit()
                self.committed += len(batch)
                progress.update(self.committed)
        seconds = time.perf_counter() - t
        volume = cluster.volume
        out.say(f"{self.rows:,} orders in {-(-self.rows // BATCH_ROWS)} transactions of up to {BATCH_ROWS:,} "
                f"rows: {seconds:.2f} s ({self.rows / seconds:,.0f} rows/s).")
        out.say(f"Each commit returned once 4 of 6 segments held it. VDL (the durable point) is LSN "
                f"{volume.vdl:,};")
        out.say(f"the volume holds {volume.bytes_used / 1e6:.1f} MB in {len(volume.protection_groups)} "
                f"protection group(s).")

    def read_through_reader(self) -> None:
        out, cluster = self.out, self.cluster
        out.step("Read through the reader endpoint")
        t = time.perf_counter()
        cluster.wait_for_replicas()
        out.say(f"The replicas apply the redo stream on their own; both had caught up within "
                f"{_ms(time.perf_counter() - t)}.")
        reader = cluster.connect("reader", autocommit=True)
        cur = reader.cursor()
        cur.execute("SELECT count(*), sum(amount) FROM orders WHERE status = 'pending'")
        count, total = cur.fetchone()
        out.say(f"reader endpoint -> {reader.instance_identifier}: {count:,} pending orders worth {total:,}")
        lag = cluster.metrics()["AuroraReplicaLag"]
        out.say("AuroraReplicaLag: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in lag.items()))
        try:
            cur.execute("UPDATE orders SET status = 'cancelled' WHERE id = 1")
            out.say("(a reader accepted a write: this should not happen)")
        except Exception as exc:  # noqa: BLE001 - the point is what the reader answers
            out.say("A reader refuses writes, with the engine's own error:")
            out.say(f"  {describe_error(exc)}")
        reader.close()

    def stale_read(self) -> None:
        out, cluster = self.out, self.cluster
        out.step("Make a stale read visible: pause replication, write, read on a replica")
        cluster.pause_replication()
        reader = cluster.connect(cluster.readers[0].identifier, autocommit=True)
        rcur = reader.cursor()
        cur = self.writer.cursor()
        cur.execute("UPDATE orders SET status = 'delivered' WHERE id = %s", (WATCHED_ORDER,))
        self.writer.commit()
        time.sleep(0.25)  # let the lag grow to something visible
        cur.execute("SELECT status FROM orders WHERE id = %s", (WATCHED_ORDER,))
        on_writer = cur.fetchone()[0]
        rcur.execute("SELECT status FROM orders WHERE id = %s", (WATCHED_ORDER,))
        on_reader = rcur.fetchone()[0]
        replica = cluster.readers[0]
        out.say(f"pause_replication(); the writer marks order {WATCHED_ORDER} delivered and commits.")
        out.table(("asked", "order status", "applied LSN", "lag"),
                  [(f"writer {cluster.writer.identifier}", on_writer, cluster.writer.applied_lsn, "-"),
                   (f"reader {replica.identifier}", on_reader, replica.applied_lsn,
                    f"{replica.replica_lag:.2f} s")])
        out.say(f"The reader answers from LSN {replica.applied_lsn:,} while VDL is {cluster.volume.vdl:,}: "
                f"a stale read{'' if on_reader != on_writer else ' (not seen: the reader caught up)'}.")
        cluster.resume_replication()
        t = time.perf_counter()
        cluster.wait_for_replicas()
        rcur.execute("SELECT status FROM orders WHERE id = %s", (WATCHED_ORDER,))
        out.say(f"resume_replication(): caught up in {_ms(time.perf_counter() - t)}; the reader now says "
                f"'{rcur.fetchone()[0]}'.")
        reader.close()

    def lose_an_az(self) -> None:
        out, cluster = self.out, self.cluster
        volume = cluster.volume
        out.step("Lose an Availability Zone and keep writing")
        volume.fail_az("az-a")
        out.say("volume.fail_az('az-a'): two of the six segments of every protection group are gone.")
        cur = self.writer.cursor()
        latencies = []
        with Progress(out.stream, "one-row commits", AZ_COMMITS) as progress:
            for n in range(AZ_COMMITS):
                t = time.perf_counter()
                cur.execute(INSERT_ORDER, order(self.rows + n))
                self.writer.commit()
                latencies.append(time.perf_counter() - t)
                self.committed += 1
                progress.update(n + 1)
        out.say(f"{AZ_COMMITS} one-row commits went on at 4/6: p50 {_ms(statistics.median(latencies))}, "
                f"max {_ms(max(latencies))}.")
        out.table(SEGMENT_HEADERS, segment_health(volume))
        reader = cluster.connect("reader", autocommit=True)
        cluster.wait_for_replicas()
        out.say(f"Reads go on too: {self.count(reader):,} orders on {reader.instance_identifier}.")
        reader.close()
        copied = volume.restore_az("az-a")
        out.say(f"volume.restore_az('az-a'): gossip copied {copied:,} records the returning segments missed;")
        out.say("every segment is complete again:")
        out.table(SEGMENT_HEADERS, segment_health(volume))

    def fail_over(self) -> None:
        out, cluster = self.out, self.cluster
        out.step("Fail over: promote a replica")
        event = cluster.failover()
        tier = cluster.instance(event.new_writer).promotion_tier
        out.say(f"failover(): {event.new_writer} (promotion tier {tier}) is the writer after "
                f"{_ms(event.seconds)}; {event.old_writer} restarts as a reader.")
        try:
            self.writer.cursor().execute("SELECT 1")
            out.say("(the old writer's connection still works: this should not happen)")
        except Exception as exc:  # noqa: BLE001 - the point is what the client sees
            out.say("The application's connection to the old writer fails on its next use:")
            out.say(f"  {describe_error(exc)}")
        self.writer.close()
        self.writer = cluster.connect()
        found = self.count(self.writer)
        verdict = "every acknowledged commit is there" if found == self.committed else \
            f"MISMATCH: {self.committed:,} were acknowledged"
        out.say(f"A new connection to the cluster endpoint reaches {self.writer.instance_identifier}: "
                f"{found:,} orders ({verdict}).")
        join_restarts(5.0)  # the old writer comes back as a reader in the background
        out.table(TOPOLOGY_HEADERS, topology(cluster))

    def restore_to_a_point_in_time(self) -> None:
        out, cluster = self.out, self.cluster
        out.step("Restore to a point in time, just before a mistake")
        cur = self.writer.cursor()
        before = self.count(self.writer)
        time.sleep(0.02)
        moment = time.time()
        time.sleep(0.02)
        cur.execute("DELETE FROM orders WHERE status = 'pending'")
        deleted = cur.rowcount
        self.writer.commit()
        stamp = datetime.datetime.fromtimestamp(moment).strftime("%H:%M:%S.%f")[:-3]
        out.say(f"At {stamp} there were {before:,} orders. Then a mistake, committed:")
        out.say(f"  DELETE FROM orders WHERE status = 'pending'   -- {deleted:,} rows")
        t = time.perf_counter()
        restored = cluster.restore_to_point_in_time(moment, name="demo-restored")
        try:
            seconds = time.perf_counter() - t
            conn = restored.connect()
            found = self.count(conn)
            conn.close()
            out.say(f"restore_to_point_in_time({stamp}) made a new cluster '{restored.name}' in {seconds:.2f} s:")
            out.say(f"  {found:,} orders there (the deleted ones are back); {self.count(self.writer):,} in 'demo'.")
            out.say("The restored cluster is independent: copy the rows back, or point the application at it.")
        finally:
            restored.close()


def _ms(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"  # an in-memory promotion takes tens of microseconds
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
