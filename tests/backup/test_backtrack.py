"""Backtrack (Aurora MySQL): rewind a cluster in place, back and forth within the window.

The expected state at any time comes from the workload's model (backup_model.py).
After a backtrack the cluster has a new timeline; the model keeps a history per
timeline, and a time is looked up on the timeline the cluster was on at that time.
"""
from __future__ import annotations

import pytest
from backup_model import (
    History,
    ManualClock,
    Workload,
    next_auto_id,
    read_state,
    rows_sorted,
)

import aurora_lite as al

HOUR = 3600.0


def hours_of_history(cluster: al.Cluster, clock: ManualClock, hours: int, seed: int = 7) -> History:
    """About one transaction every 10 minutes for `hours` hours."""
    workload = Workload(cluster, clock, seed)
    workload.STEPS = (600.0,)
    try:
        return workload.run(6 * hours, drop_table=False)  # DDL across restores: test_pitr.py
    finally:
        workload.close()


def lost_connection(conn: al.Connection) -> None:
    with pytest.raises(al.OperationalError) as info:
        conn.cursor().execute("SELECT 1")
    assert info.value.errno == 2013, info.value


def test_back_three_hours_then_forward_one(clock: ManualClock, track) -> None:
    cluster = track(al.Cluster("aurora-mysql", clock=clock, replicas=1))
    old = hours_of_history(cluster, clock, hours=5)
    clock.advance(60)
    first_backtrack_at = clock()
    writer_conn, reader_conn = cluster.connect(), cluster.connect("reader")
    cluster.wait_for_replicas()

    three_hours_ago = first_backtrack_at - 3 * HOUR
    cluster.backtrack(three_hours_ago)
    assert read_state(cluster) == old.at_time(three_hours_ago)
    lost_connection(writer_conn)  # every instance restarted: open connections are gone
    lost_connection(reader_conn)
    cluster.wait_for_replicas()
    assert read_state_of(cluster, "reader") == {"acct": old.at_time(three_hours_ago)["acct"]}

    # A new timeline: writes after the backtrack (their auto-increment ids do not collide).
    taken = {r[0] for r in old.at_time(three_hours_ago)["acct"]}
    clock.advance(600)
    new_ids = [next_auto_id(cluster, "after-backtrack")]
    clock.advance(600)
    new_ids.append(next_auto_id(cluster, "after-backtrack-2"))
    assert not taken & set(new_ids)
    on_new_timeline = clock()
    new_state = read_state(cluster)
    clock.advance(600)

    # Forward again, to a time on the OLD timeline that the first backtrack undid.
    two_hours_before_first = first_backtrack_at - 2 * HOUR
    assert old.at_time(two_hours_before_first) != old.at_time(three_hours_ago), "the hour must hold commits"
    cluster.backtrack(two_hours_before_first)
    assert read_state(cluster) == old.at_time(two_hours_before_first)

    # ... and to a time on the new timeline.
    cluster.backtrack(on_new_timeline)
    assert read_state(cluster) == new_state
    # Point-in-time restores follow the same timelines.
    assert read_state(track(cluster.restore_to_point_in_time(two_hours_before_first))) == \
        old.at_time(two_hours_before_first)
    assert read_state(track(cluster.restore_to_point_in_time(on_new_timeline))) == new_state
    after = next_auto_id(cluster, "after-all")
    assert after not in {r[0] for r in new_state["acct"]}


def read_state_of(cluster: al.Cluster, endpoint: str) -> dict:
    conn = cluster.connect(endpoint)
    try:
        cur = conn.cursor()
        cur.execute("SELECT * FROM acct")
        return {"acct": rows_sorted(cur.fetchall())}
    finally:
        conn.close()


def test_backtrack_lands_on_the_last_commit_at_or_before_the_time(clock: ManualClock, track) -> None:
    cluster = track(al.Cluster("aurora-mysql", clock=clock))
    history = hours_of_history(cluster, clock, hours=2)
    clock.advance(60)
    times = history.times
    # A time between two commits, then exactly at a commit, then before the first commit.
    for when in [(times[4] + times[5]) / 2, times[8], history.created_at + 0.5]:
        cluster.backtrack(when)
        assert read_state(cluster) == history.at_time(when), when
    cluster.backtrack(times[-1])  # forward to the newest state of the first timeline
    assert read_state(cluster) == history.at_time(times[-1])


@pytest.mark.parametrize("case", ["beyond-window", "before-creation", "future"])
def test_backtrack_outside_the_window_raises_and_changes_nothing(clock: ManualClock, track, case: str) -> None:
    cluster = track(al.Cluster("aurora-mysql", clock=clock, backtrack_window_s=24 * HOUR))
    history = hours_of_history(cluster, clock, hours=1)
    if case == "beyond-window":
        clock.advance(25 * HOUR)
        next_auto_id(cluster, "recent")
        when = clock() - 24 * HOUR - 1  # one second older than the window
        assert when > history.times[-1] - 25 * HOUR
    elif case == "before-creation":
        when = cluster.created_at - 1
    else:
        when = clock() + 1
    conn = cluster.connect()
    state, volume, writer = read_state(cluster), cluster.volume, cluster.writer
    with pytest.raises(al.ProgrammingError, match="outside the backtrack window"):
        cluster.backtrack(when)
    assert cluster.volume is volume and cluster.writer is writer
    assert read_state(cluster) == state
    cur = conn.cursor()
    cur.execute("SELECT COUNT(*) FROM acct")  # the open connection was not dropped
    assert cur.fetchone()[0] == len(state["acct"])
    conn.close()
    # The window's edge itself is allowed.
    cluster.backtrack(cluster.earliest_backtrack_timestamp())


def test_backtrack_cannot_go_before_a_clones_creation(clock: ManualClock, track) -> None:
    source = track(al.Cluster("aurora-mysql", clock=clock))
    history = hours_of_history(source, clock, hours=1)
    clock.advance(600)
    clone = track(source.clone(name="clone"))
    clock.advance(600)
    with pytest.raises(al.ProgrammingError, match="outside the backtrack window"):
        clone.backtrack(history.times[2])
    clone.backtrack(clone.created_at)
    assert read_state(clone) == history.at_time(clone.created_at)


def test_durable_backtrack_survives_reopen(clock: ManualClock, tmp_path, track) -> None:
    path = tmp_path / "bt"
    cluster = al.Cluster("aurora-mysql", clock=clock, path=path)
    try:
        old = hours_of_history(cluster, clock, hours=3)
        clock.advance(60)
        back_at = clock()
        target = back_at - 2 * HOUR
        cluster.backtrack(target)
        clock.advance(60)
        new_id = next_auto_id(cluster, "new-timeline")
        new_state = read_state(cluster)
    finally:
        cluster.close()
    clock.advance(60)
    reopened = al.Cluster.open(path, clock=clock)
    try:
        assert read_state(reopened) == new_state
        assert new_id not in {r[0] for r in old.at_time(target)["acct"]}
        # Forward again after the reopen: the old timeline is still on disk.
        forward = back_at - HOUR
        reopened.backtrack(forward)
        assert read_state(reopened) == old.at_time(forward)
    finally:
        reopened.close()
    again = track(al.Cluster.open(path, clock=clock))
    assert read_state(again) == old.at_time(forward)


def test_backtrack_is_aurora_mysql_only(clock: ManualClock, track) -> None:
    cluster = track(al.Cluster("aurora-postgresql", clock=clock))
    history = hours_of_history(cluster, clock, hours=1)
    conn = cluster.connect()
    volume = cluster.volume
    with pytest.raises(al.NotSupportedError):
        cluster.backtrack(history.times[2])
    assert cluster.volume is volume
    assert read_state(cluster) == history.at_time(clock())
    conn.cursor().execute("SELECT 1")  # nothing restarted
    conn.close()


def test_uncommitted_work_is_dropped_by_a_backtrack(clock: ManualClock, track) -> None:
    cluster = track(al.Cluster("aurora-mysql", clock=clock))
    history = hours_of_history(cluster, clock, hours=1)
    clock.advance(60)
    conn = cluster.connect()
    conn.cursor().execute("INSERT INTO acct (owner, balance) VALUES ('uncommitted', 1)")
    cluster.backtrack(clock())  # to now: every commit stays, the open transaction goes
    lost_connection(conn)
    assert read_state(cluster) == history.at_time(clock())


def test_a_commit_in_flight_during_a_backtrack_is_not_acknowledged_and_lost(track) -> None:
    """A commit stamped before the backtrack target but still waiting for write quorum.

    Storage comes back while the backtrack runs (a helper thread heals the
    segments as soon as the backtrack reads the clock). Either the backtrack
    waits for the commit (and keeps it: its time is before the target) or the
    client must not be told it committed. Acknowledging it while the rewound
    cluster does not hold it loses an acknowledged commit (invariant 1).
    """
    import threading

    main = threading.current_thread()
    stamped, backtrack_started = threading.Event(), threading.Event()

    class SignallingClock(ManualClock):
        armed = False

        def __call__(self) -> float:
            if threading.current_thread() is not main:
                stamped.set()  # the committing thread stamps its commit, then appends it
            elif self.armed:
                backtrack_started.set()
            return super().__call__()

    clock = SignallingClock()
    cluster = track(al.Cluster("aurora-mysql", clock=clock, commit_timeout_s=10.0))
    Workload(cluster, clock, 3).create_tables()
    conn = cluster.connect()
    conn.cursor().execute("INSERT INTO acct (owner, balance) VALUES ('in-flight', 1)")
    clock.advance(1.0)
    for seg in range(3):
        cluster.volume.fail_segment(0, seg)
    outcome: list[BaseException | None] = []

    def commit() -> None:
        try:
            conn.commit()
            outcome.append(None)
        except al.Error as exc:
            outcome.append(exc)

    committer = threading.Thread(target=commit)
    committer.start()
    assert stamped.wait(10)
    with cluster.writer.commit_lock:  # released right after the commit's records were appended
        pass
    assert cluster.volume.last_lsn > cluster.volume.vdl, "the commit should be waiting for quorum"
    old_volume = cluster.volume

    def heal() -> None:
        backtrack_started.wait(10)
        for seg in range(3):
            old_volume.restore_segment(0, seg)

    healer = threading.Thread(target=heal)
    healer.start()
    clock.advance(1.0)
    clock.armed = True
    try:
        cluster.backtrack(clock())
    except al.OperationalError:
        pass  # refusing while a commit is unresolved is acceptable too
    clock.armed = False
    healer.join(30)
    committer.join(30)
    assert outcome, "the commit never returned"
    owners = {r[1] for r in read_state(cluster)["acct"]}
    if outcome[0] is None:
        assert "in-flight" in owners, "an acknowledged commit (stamped before the backtrack time) is gone"


def test_durable_backtrack_after_a_crashed_backtrack_left_a_volume_folder(clock: ManualClock, tmp_path, track) -> None:
    """A backtrack that died after creating its volume folder but before cluster.json named it."""
    from aurora_lite.storage.volume import Volume

    path = tmp_path / "bt"
    cluster = al.Cluster("aurora-mysql", clock=clock, path=path)
    history = hours_of_history(cluster, clock, hours=1)
    cluster.close()
    Volume(path / "volume-1", fsync="never").close()  # what the crashed backtrack left behind
    clock.advance(60)
    reopened = track(al.Cluster.open(path, clock=clock))
    when = history.times[3]
    reopened.backtrack(when)
    assert read_state(reopened) == history.at_time(when)
    reopened.close()
    assert read_state(track(al.Cluster.open(path, clock=clock))) == history.at_time(when)
