"""Failover: choose the reader Aurora would promote, promote it, demote or restart the old writer.

Planned (`Cluster.failover`) and unplanned (`Instance.crash` of the writer)
failovers share one path: fence the old writer (its sessions see 08006),
move the volume to a new epoch (recovery truncates anything above VDL),
bring the target's cache to VDL, make it the writer. The old writer comes
back as a reader, rebuilt from the volume in the background, as on Aurora.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

import attrs

from .dbapi.exceptions import OperationalError, ProgrammingError
from .engine.replica import apply_records
from .storage.errors import StorageError

if TYPE_CHECKING:
    from .cluster import Cluster
    from .engine.instance import Instance


@attrs.frozen
class FailoverEvent:
    """One failover: who was writer, who is now, and how long the cluster had no writer."""

    old_writer: str
    new_writer: str
    seconds: float
    kind: str  # "planned" | "crash"
    at: float  # wall time it completed


def choose_target(readers: list[Instance]) -> Instance:
    """Aurora's choice: the lowest promotion tier first; ties broken by identifier here."""
    candidates = [r for r in readers if r.status == "available"]
    if not candidates:
        raise OperationalError("failover needs an available reader (Aurora Replica) to promote")
    return min(candidates, key=lambda r: (r.promotion_tier, r.identifier))


def fail_over(cluster: Cluster, target: Instance | None, kind: str) -> FailoverEvent:
    """Promote target (or the best reader) to writer; the old writer becomes a reader."""
    started = time.perf_counter()
    old = cluster._writer
    new = target if target is not None else choose_target(cluster.readers)
    if new is old or new.role != "reader":
        raise ProgrammingError(f"{new.identifier} is not a reader of cluster {cluster.name!r}")
    if new.status != "available":
        raise OperationalError(f"{new.identifier} is {new.status} and cannot be promoted")
    # Fix: fence under the old writer's commit lock. A commit that had passed its
    # availability check could otherwise append to the volume after the promotion below
    # read the log: acknowledged to its client, yet missing on the new writer.
    with old.commit_lock:
        old.fail("failover" if kind == "planned" else "crash")
        old.role = "reader"  # Fix: it comes back as a reader; it was listed as a second "writer" meanwhile
    try:
        cluster.volume.recover()
    except StorageError as exc:
        raise OperationalError(f"failover: the volume cannot recover: {exc}") from exc
    # Fix: stop the target's follower without joining its thread (up to 50 ms asleep in
    # wait_beyond, paid by every planned failover); the cluster joins it later.
    follower, new.follower = new.follower, None
    if follower is not None:
        follower.stop(wait=False)
        cluster._stopped_followers[:] = [f for f in cluster._stopped_followers if not f.finished] + [follower]
    new.drop_sessions(f"instance {new.identifier} restarted to become the writer")
    with new.apply_lock:
        records = cluster.volume.read_log(new.applied_lsn, cluster.volume.vdl)
    if records:
        from .engine import duck

        cursor = duck.cursor(new.catalog_name)
        try:
            apply_records(cursor, new, records)
        finally:
            cursor.close()
        new.applied_lsn = cluster.volume.vdl
    new.volume_epoch = cluster.volume.epoch  # the epoch this recovery opened: its commits are the writer's
    new.role = "writer"
    cluster._writer = new
    seconds = time.perf_counter() - started
    cluster._replace_instance(old, role="reader", background=True)
    event = FailoverEvent(old.identifier, new.identifier, seconds, kind, time.time())
    cluster.events.append(event)
    return event
