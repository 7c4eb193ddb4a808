"""Snapshots and clones: committed prefixes taken while writes go on, independent of their source.

Semantics found in the code (aurora_lite/backup/snapshot.py) and tested here:
- a snapshot of an in-memory cluster shares the source volume's records
  (copy-on-write) and keeps them alive after the source is closed;
- a snapshot of a durable cluster is a compacted volume under
  ``<cluster path>/snapshots/<name>``: it needs nothing from the source's
  volume files, but it lives INSIDE the source's directory, so deleting that
  whole directory deletes the snapshot too (restoring it then fails with a
  clear error). Aurora keeps manual snapshots after the cluster is deleted;
  with aurora_lite, keep the snapshots directory.
"""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from backup_model import (
    DDL,
    CounterWriter,
    TickClock,
    counter_prefix,
    dialect_of,
    next_auto_id,
    read_state,
    rows_sorted,
)

import aurora_lite as al


def make_accounts(cluster: al.Cluster, owners: list[str]) -> dict:
    """acct (auto-increment key) with one row per owner, ev (keyless) with duplicates; the state."""
    conn = cluster.connect()
    cur = conn.cursor()
    cur.execute(DDL[dialect_of(cluster)]["acct"])
    conn.commit()
    cur.execute(DDL[dialect_of(cluster)]["ev"])
    conn.commit()
    conn.close()
    for owner in owners:
        next_auto_id(cluster, owner)
    run(cluster, "INSERT INTO ev VALUES ('a', 1), ('a', 1), ('b', NULL)")
    return read_state(cluster)


def run(cluster: al.Cluster, sql: str, params: tuple = ()) -> None:
    conn = cluster.connect()
    try:
        conn.cursor().execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def acct_rows(*rows: tuple) -> tuple:
    return rows_sorted(rows)


def row(id_: int, owner: str, balance: str = "0.00", note: str | None = None) -> tuple:
    return (id_, owner, Decimal(balance), note)


# ------------------------------------------------------------ snapshots taken while writing


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "durable"])
def test_snapshots_taken_while_writing_are_committed_prefixes(engine: str, durable: bool, tmp_path, track) -> None:
    # fsync="never" only to keep the durable variant quick: durability is not what is tested here.
    source = track(al.Cluster(engine, clock=TickClock(), path=tmp_path / "src" if durable else None, fsync="never"))
    CounterWriter.create_tables(source)
    writer = CounterWriter(source)
    writer.start()
    taken = []
    try:
        for n in range(6):
            writer.wait_for(writer.acked + 3)
            low = writer.acked
            snapshot = source.create_snapshot(f"live-{n}")
            high = writer.started
            taken.append((snapshot, low, high))
        # A point-in-time restore to "latest" while writes go on is a committed prefix too.
        low = writer.acked
        latest = track(source.restore_to_point_in_time(None, name="latest-while-writing"))
        high = writer.started
    finally:
        writer.stop()
    assert low <= counter_prefix(latest) <= high
    assert [s.name for s in source.snapshots] == [f"live-{n}" for n in range(6)]
    seen = []
    for snapshot, low, high in taken:
        assert snapshot.lsn <= source.volume.vdl
        restored = track(al.Cluster.restore_from_snapshot(snapshot, name=f"from-{snapshot.name}"))
        k = counter_prefix(restored)
        assert low <= k <= high, (snapshot.name, low, k, high)
        seen.append(k)
    assert seen == sorted(seen), "later snapshots must not hold less"
    assert seen[-1] > seen[0], "the writer kept committing between snapshots"


# ------------------------------------------------------------ bad input


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "durable"])
def test_duplicate_snapshot_name_is_refused_and_changes_nothing(engine: str, durable: bool, clock, tmp_path,
                                                                track) -> None:
    path = tmp_path / "src" if durable else None
    source = track(al.Cluster(engine, clock=clock, path=path))
    state = make_accounts(source, ["ann"])
    first = source.create_snapshot("nightly")
    clock.advance(60)
    next_auto_id(source, "bob")
    with pytest.raises(al.ProgrammingError, match="DBClusterSnapshotAlreadyExists"):
        source.create_snapshot("nightly")
    assert source.snapshots == [first]
    # The existing snapshot still holds what it held.
    assert read_state(track(al.Cluster.restore_from_snapshot(first, name="check"))) == state
    if durable:
        source.close()
        reopened = track(al.Cluster.open(path, clock=clock))
        assert reopened.snapshots == [first]
        with pytest.raises(al.ProgrammingError, match="DBClusterSnapshotAlreadyExists"):
            reopened.create_snapshot("nightly")
        assert reopened.snapshots == [first]


@pytest.mark.parametrize("name", ["", "a/b", "..", "../escape", "x" * 256])
def test_snapshot_names_that_are_not_identifiers_are_refused(name: str, clock, tmp_path, track) -> None:
    source = track(al.Cluster("aurora-mysql", clock=clock, path=tmp_path / "src"))
    make_accounts(source, ["ann"])
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(al.ProgrammingError):
        source.create_snapshot(name)
    assert source.snapshots == []
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before, "a refused snapshot wrote files"


@pytest.mark.parametrize("thing", ["nightly", None, 42, {"name": "nightly"}, "cluster"])
def test_restore_from_something_that_is_not_a_snapshot(thing, clock, track) -> None:
    source = track(al.Cluster("aurora-postgresql", clock=clock))
    source.create_snapshot("nightly")
    if thing == "cluster":
        thing = source
    with pytest.raises(al.ProgrammingError, match="DBClusterSnapshotNotFound"):
        al.Cluster.restore_from_snapshot(thing, name="nope")


def test_snapshot_and_clone_of_a_closed_cluster_are_refused(clock) -> None:
    source = al.Cluster("aurora-mysql", clock=clock)
    source.close()
    with pytest.raises(al.InterfaceError):
        source.create_snapshot("late")
    with pytest.raises(al.InterfaceError):
        source.clone(name="late")


# ------------------------------------------------------------ snapshot independence


def test_in_memory_snapshot_outlives_its_source(engine: str, clock, track) -> None:
    source = al.Cluster(engine, clock=clock)
    state = make_accounts(source, ["ann", "bob", "cy"])
    snapshot = source.create_snapshot("before-close")
    clock.advance(1)
    run(source, "DELETE FROM acct")
    run(source, "DELETE FROM ev")
    source.close()
    clock.advance(40 * 86400)  # past any retention window: manual snapshots never expire
    first = track(al.Cluster.restore_from_snapshot(snapshot, name="one"))
    second = track(al.Cluster.restore_from_snapshot(snapshot, name="two"))
    assert read_state(first) == read_state(second) == state
    # Each restore is its own cluster: writable, auto-increment continues past the snapshot's rows.
    taken = {r[0] for r in state["acct"]}
    new_id = next_auto_id(first, "dee")
    assert new_id not in taken
    assert read_state(second) == state
    first.add_reader("first-reader")  # a new instance rebuilds from the (closed) source's records
    conn = first.connect("first-reader")
    cur = conn.cursor()
    first.wait_for_replicas()
    cur.execute("SELECT owner FROM acct ORDER BY id")
    assert [r[0] for r in cur.fetchall()] == ["ann", "bob", "cy", "dee"]
    conn.close()


def test_durable_snapshot_survives_deleting_the_source_volume(engine: str, clock, tmp_path, track) -> None:
    path = tmp_path / "src"
    source = al.Cluster(engine, clock=clock, path=path)
    state = make_accounts(source, ["ann", "bob"])
    snapshot = source.create_snapshot("keep-me")
    assert snapshot.path == path / "snapshots" / "keep-me"
    run(source, "DELETE FROM acct")
    source.close()
    # The source's volume and cluster file go; its snapshots directory stays.
    for child in path.iterdir():
        if child.name != "snapshots":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    assert not (path / "volume").exists()
    in_memory = track(al.Cluster.restore_from_snapshot(snapshot, name="mem", clock=clock))
    durable = track(al.Cluster.restore_from_snapshot(snapshot, name="disk", path=tmp_path / "restored", clock=clock))
    assert read_state(in_memory) == read_state(durable) == state
    durable.close()
    assert read_state(track(al.Cluster.open(tmp_path / "restored", clock=clock))) == state
    # Restoring does not depend on anything but the snapshot: the in-memory restore keeps working
    # after the snapshot directory is gone too.
    shutil.rmtree(path)
    assert next_auto_id(in_memory, "cy") not in {r[0] for r in state["acct"]}
    # With the snapshot's directory deleted, the snapshot is gone: a clear error, no half-made cluster.
    target = tmp_path / "never"
    with pytest.raises(al.Error) as info:
        al.Cluster.restore_from_snapshot(snapshot, name="gone", path=target)
    assert "keep-me" in str(info.value) or str(snapshot.path) in str(info.value)
    assert not target.exists() or not any(target.iterdir())


def test_restoring_a_durable_snapshot_does_not_modify_it(clock, tmp_path, track) -> None:
    source = track(al.Cluster("aurora-mysql", clock=clock, path=tmp_path / "src"))
    state = make_accounts(source, ["ann"])
    snapshot = source.create_snapshot("frozen")

    def contents() -> dict:
        return {p.relative_to(snapshot.path): p.read_bytes() for p in sorted(snapshot.path.rglob("*")) if p.is_file()}

    before = contents()
    for i in range(3):
        restored = al.Cluster.restore_from_snapshot(snapshot, name=f"r{i}")
        assert read_state(restored) == state
        restored.close()
    assert contents() == before, "a restore wrote into the snapshot"


def test_durable_snapshots_survive_reopen(engine: str, clock, tmp_path, track) -> None:
    path = tmp_path / "src"
    source = al.Cluster(engine, clock=clock, path=path)
    states = []
    for n, owner in enumerate(["ann", "bob", "cy"]):
        if n == 0:
            states.append(make_accounts(source, [owner]))
        else:
            next_auto_id(source, owner)
            states.append(read_state(source))
        source.create_snapshot(f"s{n}")
        clock.advance(10)
    snapshots = source.snapshots
    source.close()
    reopened = track(al.Cluster.open(path, clock=clock))
    assert reopened.snapshots == snapshots
    assert [s.time.timestamp() for s in reopened.snapshots] == [s.time.timestamp() for s in snapshots]
    for snapshot, state in zip(reopened.snapshots, states):
        restored = track(al.Cluster.restore_from_snapshot(snapshot, name=f"from-{snapshot.name}"))
        assert read_state(restored) == state


# ------------------------------------------------------------ clones


def test_clone_isolation_both_ways(engine: str, clock, track) -> None:
    source = track(al.Cluster(engine, clock=clock))
    state = make_accounts(source, ["ann", "bob", "cy"])
    clone = track(source.clone(name="clone"))
    assert read_state(clone) == state
    ids = sorted(r[0] for r in state["acct"])
    # Change the same shared rows differently on each side, and add rows on each side.
    run(source, "UPDATE acct SET note = 'source' WHERE id = %s", (ids[0],))
    run(clone, "UPDATE acct SET note = 'clone' WHERE id = %s", (ids[0],))
    run(source, "DELETE FROM acct WHERE id = %s", (ids[1],))
    run(clone, "DELETE FROM acct WHERE id = %s", (ids[2],))
    run(source, "DELETE FROM ev WHERE kind = 'a'")
    run(clone, "INSERT INTO ev VALUES ('c', 3)")
    source_id = next_auto_id(source, "only-source")
    clone_id = next_auto_id(clone, "only-clone")
    assert source_id not in ids and clone_id not in ids  # auto-increment continues, no collision
    run(clone, "CREATE TABLE clone_only (k INT PRIMARY KEY)")
    run(clone, "INSERT INTO clone_only VALUES (1)")
    assert read_state(source) == {
        "acct": acct_rows(row(ids[0], "ann", note="source"), row(ids[2], "cy"), row(source_id, "only-source")),
        "ev": (("b", None),),
    }
    assert read_state(clone) == {
        "acct": acct_rows(row(ids[0], "ann", note="clone"), row(ids[1], "bob"), row(clone_id, "only-clone")),
        "ev": rows_sorted([("a", 1), ("a", 1), ("b", None), ("c", 3)]),
    }
    assert read_state(clone, ("clone_only",)) == {"clone_only": ((1,),)}
    assert read_state(source, ("clone_only",)) == {}


def test_clone_lives_on_after_its_source_is_closed(engine: str, clock, track) -> None:
    source = al.Cluster(engine, clock=clock)
    state = make_accounts(source, ["ann", "bob"])
    clone = track(source.clone(name="orphan"))
    grandchild = track(clone.clone(name="grandchild"))  # a clone of a clone
    source.close()
    taken = {r[0] for r in state["acct"]}
    new_id = next_auto_id(clone, "after-close")
    assert new_id not in taken
    assert read_state(grandchild) == state, "writes to a clone reached its own clone"
    # New instances of the clone rebuild from records the closed source still shares.
    clone.add_reader("r1")
    clone.wait_for_replicas()
    assert {r[1] for r in read_state(clone)["acct"]} == {"ann", "bob", "after-close"}
    clone.writer.crash()  # failover to r1
    assert {r[1] for r in read_state(clone)["acct"]} == {"ann", "bob", "after-close"}
    next_auto_id(grandchild, "in-grandchild")
    assert "in-grandchild" not in {r[1] for r in read_state(clone)["acct"]}
    # PITR and clones of the orphaned clone still work.
    assert read_state(track(clone.restore_to_point_in_time(None, name="pitr"))) == read_state(clone)
    assert read_state(track(clone.clone(name="again"))) == read_state(clone)


def test_clone_of_clone_chain_is_isolated(engine: str, clock, track) -> None:
    source = track(al.Cluster(engine, clock=clock))
    make_accounts(source, ["root"])
    chain = [source]
    for depth in range(1, 5):
        clock.advance(1)
        child = track(chain[-1].clone(name=f"depth-{depth}"))
        next_auto_id(child, f"at-{depth}")
        chain.append(child)
    for depth, cluster in enumerate(chain):
        owners = [r[1] for r in read_state(cluster)["acct"]]
        assert owners == ["root"] + [f"at-{d}" for d in range(1, depth + 1)], (depth, owners)
        ids = [r[0] for r in read_state(cluster)["acct"]]
        assert len(set(ids)) == len(ids)


def test_auto_increment_continues_in_a_clone_without_collisions(engine: str, clock, track) -> None:
    source = track(al.Cluster(engine, clock=clock))
    make_accounts(source, [f"o{i}" for i in range(5)])
    run(source, "DELETE FROM acct WHERE owner = 'o4'")  # the highest id is gone but was used
    clone = track(source.clone(name="clone"))
    used = set(range(1, 6))
    fresh = [next_auto_id(clone, f"c{i}") for i in range(5)]
    assert len(set(fresh)) == 5 and not used & set(fresh), fresh
    # The same after the clone's writer restarts (it rebuilds its sequences from the volume).
    clone.writer.crash()
    more = next_auto_id(clone, "after-restart")
    assert more not in used | set(fresh)


def test_durable_clone_survives_reopen_and_the_source_deleted(engine: str, clock, tmp_path, track) -> None:
    src_path, clone_path = tmp_path / "src", tmp_path / "clone"
    source = al.Cluster(engine, clock=clock, path=src_path)
    state = make_accounts(source, ["ann", "bob"])
    clone = source.clone(name="durable-clone", path=clone_path)
    clone_id = next_auto_id(clone, "in-clone")
    source_id = next_auto_id(source, "in-source")
    memory_clone = track(source.clone(name="memory-clone"))
    clone.close()
    source.close()
    shutil.rmtree(src_path)  # deleting the source leaves clones intact
    reopened = track(al.Cluster.open(clone_path, clock=clock))
    assert read_state(reopened) == {**state, "acct": rows_sorted((*state["acct"], row(clone_id, "in-clone")))}
    assert read_state(memory_clone)["acct"] == rows_sorted((*state["acct"], row(source_id, "in-source")))
    assert next_auto_id(reopened, "after-open") not in {clone_id, *(r[0] for r in state["acct"])}


def test_restore_or_clone_into_a_non_empty_directory_is_refused(clock, tmp_path, track) -> None:
    source = track(al.Cluster("aurora-postgresql", clock=clock))
    make_accounts(source, ["ann"])
    snapshot = source.create_snapshot("s")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "precious.txt").write_text("mine")
    for attempt in (lambda: source.clone(name="c", path=occupied),
                    lambda: source.restore_to_point_in_time(None, name="p", path=occupied),
                    lambda: al.Cluster.restore_from_snapshot(snapshot, name="s", path=occupied)):
        with pytest.raises(al.ProgrammingError, match="not empty"):
            attempt()
    assert [p.name for p in occupied.iterdir()] == ["precious.txt"]
    assert Path(occupied / "precious.txt").read_text() == "mine"


def test_clone_isolation_survives_page_coalescing(engine: str, clock, track) -> None:
    """Enough writes per page on both sides that segments coalesce page images (32+ hot records)."""
    source = track(al.Cluster(engine, clock=clock))
    make_accounts(source, [f"o{i}" for i in range(10)])
    for i in range(40):
        run(source, "UPDATE acct SET balance = balance + 1 WHERE id = %s", (1 + i % 10,))
    clone = track(source.clone(name="clone"))
    snapshot = source.create_snapshot("mid")
    expected_at_clone = read_state(source)
    for i in range(40):
        run(source, "UPDATE acct SET balance = balance + 100 WHERE id = %s", (1 + i % 10,))
        run(clone, "UPDATE acct SET note = %s WHERE id = %s", (f"c{i}", 1 + i % 10))
        run(clone, "INSERT INTO ev VALUES ('z', %s)", (i,))
    clone_expected = {
        "acct": rows_sorted((r[0], r[1], r[2], f"c{30 + (r[0] - 1)}") for r in expected_at_clone["acct"]),
        "ev": rows_sorted([*expected_at_clone["ev"], *(("z", i) for i in range(40))]),
    }
    source_expected = {
        "acct": rows_sorted((r[0], r[1], r[2] + 400, r[3]) for r in expected_at_clone["acct"]),
        "ev": expected_at_clone["ev"],
    }
    # Read through fresh instances too: they materialise from the volume (and its images).
    for cluster, expected in ((clone, clone_expected), (source, source_expected)):
        assert read_state(cluster) == expected
        cluster.add_reader()
        cluster.wait_for_replicas()
        cluster.writer.crash()  # failover: the new writer was built from the volume
        assert read_state(cluster) == expected
    assert read_state(track(al.Cluster.restore_from_snapshot(snapshot, name="mid"))) == expected_at_clone
    assert read_state(track(clone.clone(name="grandchild"))) == clone_expected
