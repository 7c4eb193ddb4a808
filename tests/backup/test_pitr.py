"""Point-in-time recovery is exact (RELIABILITY.md invariant 8), for both engines.

A seeded workload records every acknowledged commit with its clock time and
LSN next to a plain model of the committed state (backup_model.py). Each
restore must equal the model's state after the last commit at or before the
restore point -- not one transaction more or less, and identically every time.
"""
from __future__ import annotations

import datetime
import itertools
import random
from decimal import Decimal

import pytest
from backup_model import (
    CLOCK_START,
    History,
    ManualClock,
    Workload,
    next_auto_id,
    read_state,
    rows_sorted,
)

import aurora_lite as al

SEED = 20240605
TRANSACTIONS = 80


def run_workload(cluster: al.Cluster, clock: ManualClock, transactions: int = TRANSACTIONS,
                 seed: int = SEED, drop_table: bool = False) -> History:
    workload = Workload(cluster, clock, seed)
    try:
        history = workload.run(transactions, drop_table=drop_table)
    finally:
        workload.close()
    # The history must exercise what this file claims to test.
    times = history.times
    assert workload.rollbacks > 0, "no rolled-back transaction in the history"
    assert len(set(times)) < len(times), "no two commits share a clock time"
    assert times[0] > cluster.created_at, "the first commit must come after the cluster's creation"
    assert read_state(cluster) == workload.model.state(), "the source cluster itself disagrees with the model"
    return history


def restore_points(history: History, now: float, rng: random.Random) -> list[float | None]:
    """Exact commit times, midpoints between commits, before the first commit, random times, latest."""
    times = sorted(set(history.times))
    points: list[float | None] = [history.created_at, (history.created_at + times[0]) / 2, times[0], times[-1], now]
    points += rng.sample(times, 10)                                            # exactly at a commit
    points += [(a + b) / 2 for a, b in rng.sample(list(itertools.pairwise(times)), 8)]  # between two commits
    points += [rng.uniform(history.created_at, now) for _ in range(8)]
    points.append(None)                                                        # latest
    return points


def as_input(when: float, i: int) -> float | datetime.datetime:
    """Alternate between a float, an aware datetime and a naive (UTC) datetime."""
    if i % 3 == 0 or when != round(when * 4) / 4:  # datetime keeps microseconds: use it only for exact times
        return when
    aware = datetime.datetime.fromtimestamp(when, tz=datetime.timezone.utc)
    return aware if i % 3 == 1 else aware.replace(tzinfo=None)


@pytest.mark.parametrize("seed", [SEED, SEED + 1, SEED + 2])
def test_restore_to_many_points_equals_committed_prefix(engine: str, clock: ManualClock, track, seed: int) -> None:
    source = track(al.Cluster(engine, clock=clock))
    history = run_workload(source, clock, seed=seed, drop_table=True)  # the full history, DROP TABLE included
    clock.advance(5.0)
    now = clock()
    rng = random.Random(seed)
    checked = 0
    for i, when in enumerate(restore_points(history, now, rng)):
        restored = track(source.restore_to_point_in_time(None if when is None else as_input(when, i),
                                                         name=f"pitr-{i}"))
        expected = history.at_time(now if when is None else when)
        assert read_state(restored) == expected, f"restore to {when} (point {i}) is not the committed prefix"
        if "acct" in expected and i % 4 == 0:
            # The restored cluster is writable and its auto-increment / serial does not collide.
            taken = {row[0] for row in expected["acct"]}
            assert next_auto_id(restored) not in taken
        restored.close()
        checked += 1
    assert checked >= 30
    # The source is untouched by all of this.
    assert read_state(source) == history.at_time(now)


def test_restore_by_lsn_equals_prefix_of_commits_at_or_below(engine: str, clock: ManualClock, track) -> None:
    source = track(al.Cluster(engine, clock=clock))
    history = run_workload(source, clock, transactions=40)
    commit_lsns = [p.lsn for p in history.commits]
    vdl = source.volume.vdl
    assert commit_lsns[-1] == vdl
    rng = random.Random(SEED + 1)
    # Commit LSNs, and LSNs inside a transaction (between two commit records): the latter must not
    # show part of that transaction, only the commits at or below them.
    inside = [lsn for a, b in itertools.pairwise(commit_lsns) for lsn in range(a + 1, b)]
    assert inside, "no multi-record transaction in the history"
    lsns = sorted({0, 1, vdl, *rng.sample(commit_lsns, 8), *rng.sample(inside, 12)})
    for lsn in lsns:
        restored = source.restore_to_point_in_time(lsn=lsn, name=f"lsn-{lsn}")
        try:
            assert read_state(restored) == history.at_lsn(lsn), f"restore to LSN {lsn} is not a committed prefix"
        finally:
            restored.close()


def test_restoring_the_same_point_twice_gives_identical_clusters(engine: str, clock: ManualClock, track,
                                                                 tmp_path) -> None:
    source = track(al.Cluster(engine, clock=clock))
    history = run_workload(source, clock, transactions=40)
    clock.advance(1.0)
    rng = random.Random(SEED + 2)
    times = history.times
    for i, when in enumerate([rng.choice(times), (times[5] + times[6]) / 2, None]):
        first = track(source.restore_to_point_in_time(when, name="a"))
        second = track(source.restore_to_point_in_time(when, name="b"))
        durable = track(source.restore_to_point_in_time(when, name="c", path=tmp_path / f"r{i}"))
        states = [read_state(c) for c in (first, second, durable)]
        assert states[0] == states[1] == states[2] == history.at_time(clock() if when is None else when)
        if "acct" in states[0]:
            # Identical includes the auto-increment / sequence state each continues from.
            ids = [next_auto_id(c) for c in (first, second, durable)]
            assert ids[0] == ids[1] == ids[2], ids


def test_restore_of_a_restored_cluster_and_independence(engine: str, clock: ManualClock, track) -> None:
    source = track(al.Cluster(engine, clock=clock))
    history = run_workload(source, clock, transactions=30)
    middle = history.commits[len(history.commits) // 2]
    clock.advance(1.0)
    restored = track(source.restore_to_point_in_time(middle.time, name="first"))
    expected = history.at_time(middle.time)
    assert read_state(restored) == expected
    new_id = next_auto_id(restored, "on-restored")  # a commit on the restored cluster only
    clock.advance(1.0)
    source_new_id = next_auto_id(source, "on-source")  # a commit on the source only
    again = track(restored.restore_to_point_in_time(None, name="second"))
    assert read_state(again)["acct"] == rows_sorted((*expected["acct"], (new_id, "on-restored", Decimal("0.00"), None)))
    assert read_state(source)["acct"] == rows_sorted(
        (*history.at_time(clock())["acct"], (source_new_id, "on-source", Decimal("0.00"), None)))
    # The restored cluster's own window starts at its creation: before that, it has nothing to give.
    with pytest.raises(al.ProgrammingError):
        restored.restore_to_point_in_time(CLOCK_START - 10, name="nope")


def _assert_unchanged(source: al.Cluster, expected: dict, vdl: int, snapshots: list) -> None:
    assert source.volume.vdl == vdl
    assert source.snapshots == snapshots
    assert read_state(source) == expected


@pytest.mark.parametrize("case", ["before-creation", "future", "both-time-and-lsn", "lsn-above-vdl", "negative-lsn",
                                  "not-a-time"])
def test_points_outside_the_window_raise_and_change_nothing(engine: str, clock: ManualClock, track, tmp_path,
                                                            case: str) -> None:
    source = track(al.Cluster(engine, clock=clock))
    history = run_workload(source, clock, transactions=15)
    source.create_snapshot("keep")
    expected, vdl, snapshots = read_state(source), source.volume.vdl, source.snapshots
    now = clock()
    target = tmp_path / "never"
    kwargs = {
        "before-creation": {"time": source.created_at - 0.25},
        "future": {"time": now + 0.25},
        "both-time-and-lsn": {"time": history.times[3], "lsn": history.commits[3].lsn},
        "lsn-above-vdl": {"lsn": vdl + 1},
        "negative-lsn": {"lsn": -1},
        "not-a-time": {"time": "yesterday"},
    }[case]
    with pytest.raises(al.ProgrammingError) as info:
        source.restore_to_point_in_time(**kwargs, name="bad", path=target)
    assert str(info.value), "the error must say what is wrong"
    if "time" in kwargs and "lsn" not in kwargs and case != "not-a-time":
        assert "outside the restorable window" in str(info.value)
    assert not target.exists(), "a refused restore must not create its directory"
    _assert_unchanged(source, expected, vdl, snapshots)
    # ... and the source goes on working.
    assert next_auto_id(source) not in {r[0] for r in expected["acct"]}


def test_retention_window_bounds_the_oldest_restorable_time(engine: str, clock: ManualClock, track) -> None:
    source = track(al.Cluster(engine, clock=clock, backup_retention_days=1))
    history = run_workload(source, clock, transactions=30)
    clock.advance(86400.0 + 3600.0)  # a day and an hour later
    earliest = source.earliest_restorable_time.timestamp()
    assert earliest == clock() - 86400.0
    assert source.latest_restorable_time.timestamp() == clock()
    expected, vdl = read_state(source), source.volume.vdl
    with pytest.raises(al.ProgrammingError, match="outside the restorable window"):
        source.restore_to_point_in_time(earliest - 1.0)
    with pytest.raises(al.ProgrammingError, match="outside the restorable window"):
        source.restore_to_point_in_time(history.times[0])  # a commit older than the retention window
    _assert_unchanged(source, expected, vdl, [])
    oldest = track(source.restore_to_point_in_time(earliest))
    assert read_state(oldest) == history.at_time(earliest)


def test_a_longer_retention_keeps_older_points(engine: str, clock: ManualClock, track) -> None:
    source = track(al.Cluster(engine, clock=clock, backup_retention_days=3))
    history = run_workload(source, clock, transactions=20)
    clock.advance(2 * 86400.0)
    when = history.times[len(history.times) // 2]
    restored = track(source.restore_to_point_in_time(when))
    assert read_state(restored) == history.at_time(when)


@pytest.mark.parametrize("bad", [0, 36])
def test_retention_days_out_of_range_is_refused(bad: int) -> None:
    with pytest.raises(al.ProgrammingError, match="backup_retention_days"):
        al.Cluster("aurora-mysql", backup_retention_days=bad)


def test_durable_history_survives_reopen(engine: str, clock: ManualClock, track, tmp_path) -> None:
    path = tmp_path / "src"
    source = al.Cluster(engine, clock=clock, path=path)
    try:
        history = run_workload(source, clock, transactions=30)
    finally:
        source.close()
    clock.advance(10.0)
    reopened = track(al.Cluster.open(path, clock=clock))
    assert reopened.created_at == history.created_at
    rng = random.Random(SEED + 3)
    times = history.times
    points = [history.created_at, *rng.sample(times, 6), (times[3] + times[4]) / 2, None]
    for i, when in enumerate(points):
        restored = reopened.restore_to_point_in_time(when, name=f"r{i}")
        try:
            assert read_state(restored) == history.at_time(clock() if when is None else when), when
        finally:
            restored.close()
    # A durable restore of the reopened cluster is itself durable.
    when = times[len(times) // 2]
    target = tmp_path / "restored"
    restored = reopened.restore_to_point_in_time(when, name="durable", path=target)
    new_id = next_auto_id(restored)
    restored.close()
    again = track(al.Cluster.open(target, clock=clock))
    state = read_state(again)
    expected = history.at_time(when)
    assert state["acct"] == rows_sorted((*expected["acct"], (new_id, "new", Decimal("0.00"), None)))
    assert {k: v for k, v in state.items() if k != "acct"} == {k: v for k, v in expected.items() if k != "acct"}


def test_a_commit_still_waiting_for_quorum_cannot_change_a_restore_afterwards(engine: str, track) -> None:
    """Invariant 8 under a storage fault: the answer for time T must not change later.

    A commit stamped at T1 is appended but cannot reach write quorum (3 of 6
    segments of its protection group are down). A restore to T >= T1 taken
    now cannot know whether that commit will become durable: it must not
    answer (OperationalError) rather than answer without it and later with it.
    """
    import threading

    main = threading.current_thread()
    stamped = threading.Event()

    class SignallingClock(ManualClock):
        def __call__(self) -> float:
            if threading.current_thread() is not main:
                stamped.set()  # the committing thread reads the clock under the commit lock, then appends
            return super().__call__()

    clock = SignallingClock()
    source = track(al.Cluster(engine, clock=clock, commit_timeout_s=0.3))
    Workload(source, clock, SEED).create_tables()
    before = read_state(source)
    clock.advance(1.0)
    conn = source.connect()
    conn.cursor().execute("INSERT INTO acct (owner, balance) VALUES ('in-flight', 1)")
    for seg in range(3):
        source.volume.fail_segment(0, seg)
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
    with source.writer.commit_lock:  # released right after the commit's records were appended
        pass
    assert source.volume.last_lsn > source.volume.vdl, "the commit should be waiting for quorum"
    clock.advance(1.0)
    at = clock()
    try:
        early = source.restore_to_point_in_time(at, name="early")
    except al.OperationalError:
        early = None  # refusing to answer is right; answering must not be contradicted below
    committer.join(30)
    for seg in range(3):
        source.volume.restore_segment(0, seg)
    later = track(source.restore_to_point_in_time(at, name="later"))
    again = track(source.restore_to_point_in_time(at, name="again"))
    assert read_state(later) == read_state(again)
    if early is not None:
        track(early)
        assert read_state(early) == read_state(later), (
            f"restoring to {at} gave {read_state(early)['acct']} while a commit at or before it was in flight, "
            f"and {read_state(later)['acct']} once it became durable (commit outcome: {outcome})")
    assert read_state(later)["acct"] in (before["acct"], rows_sorted([(1, "in-flight", Decimal("1.00"), None)]))
    conn.close()


# Schema changes in the history: (statement, rows of table `a` after it, or None while `a` does not exist).
SCHEMA_CASES = {
    "add-column": [("CREATE TABLE a (k INT PRIMARY KEY, v TEXT)", []),
                   ("INSERT INTO a VALUES (1, 'x')", [(1, "x")]),
                   ("ALTER TABLE a ADD COLUMN w INT", [(1, "x", None)]),
                   ("INSERT INTO a VALUES (2, 'y', 5)", [(1, "x", None), (2, "y", 5)])],
    "drop-column": [("CREATE TABLE a (k INT PRIMARY KEY, v TEXT, w INT)", []),
                    ("INSERT INTO a VALUES (1, 'x', 1)", [(1, "x", 1)]),
                    ("ALTER TABLE a DROP COLUMN w", [(1, "x")]),
                    ("INSERT INTO a VALUES (2, 'y')", [(1, "x"), (2, "y")])],
    "rename-table": [("CREATE TABLE a0 (k INT PRIMARY KEY, v TEXT)", None),
                     ("INSERT INTO a0 VALUES (1, 'x')", None),
                     ("ALTER TABLE a0 RENAME TO a", [(1, "x")]),
                     ("INSERT INTO a VALUES (2, 'y')", [(1, "x"), (2, "y")])],
    "rename-column": [("CREATE TABLE a (k INT PRIMARY KEY, v0 TEXT)", []),
                      ("INSERT INTO a VALUES (1, 'x')", [(1, "x")]),
                      ("ALTER TABLE a RENAME COLUMN v0 TO v", [(1, "x")]),
                      ("INSERT INTO a VALUES (2, 'y')", [(1, "x"), (2, "y")])],
    "create-as-select": [("CREATE TABLE b (k INT PRIMARY KEY, v TEXT)", None),
                         ("INSERT INTO b VALUES (1, 'x'), (2, 'y')", None),
                         ("CREATE TABLE a AS SELECT * FROM b", [(1, "x"), (2, "y")])],
    "drop-table-with-rows": [("CREATE TABLE a (k INT PRIMARY KEY, v TEXT)", []),
                             ("INSERT INTO a VALUES (9, 'old')", [(9, "old")]),
                             ("DROP TABLE a", None),
                             ("CREATE TABLE keep (k INT PRIMARY KEY)", None)],
    "drop-and-recreate": [("CREATE TABLE a (k INT PRIMARY KEY, v TEXT)", []),
                          ("INSERT INTO a VALUES (9, 'old')", [(9, "old")]),
                          ("DROP TABLE a", None),
                          ("CREATE TABLE a (k INT PRIMARY KEY, v TEXT)", []),
                          ("INSERT INTO a VALUES (1, 'x')", [(1, "x")])],
    "update-of-the-key": [("CREATE TABLE a (k INT PRIMARY KEY, v TEXT)", []),
                          ("INSERT INTO a VALUES (1, 'x'), (12, 'y')", [(1, "x"), (12, "y")]),
                          ("UPDATE a SET k = 2 WHERE k = 12", [(1, "x"), (2, "y")])],
}


@pytest.mark.parametrize("case", sorted(SCHEMA_CASES))
def test_restore_across_schema_changes(engine: str, clock: ManualClock, track, case: str) -> None:
    source = track(al.Cluster(engine, clock=clock))
    conn = source.connect()
    cur = conn.cursor()
    expected_at: list[tuple[float, list | None]] = []
    for statement, rows in SCHEMA_CASES[case]:
        clock.advance(1.0)
        cur.execute(statement)
        conn.commit()
        expected_at.append((clock(), rows))
    conn.close()
    for when, rows in expected_at:
        restored = source.restore_to_point_in_time(when, name="schema")
        try:
            state = read_state(restored, ("a",))
            assert state.get("a") == (None if rows is None else rows_sorted(rows)), \
                f"{case}: restore after {when - CLOCK_START:.0f}s"
        finally:
            restored.close()
