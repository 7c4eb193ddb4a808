"""Backtrack (Aurora MySQL): rewind a cluster in place, back and forth within the window.

The cluster keeps a timeline of volumes. Backtracking to T starts a new
volume whose base is the state at T, read from the volume that was current
at T (so a later backtrack to a time between T and now finds the undone
changes again, as Aurora's does). Every instance restarts on the new
volume: open connections drop, uncommitted work is gone. Durable clusters
write the new volume as a compacted copy next to the old ones and record
the timeline in cluster.json.
"""
from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from ..dbapi.exceptions import NotSupportedError, OperationalError, ProgrammingError
from ..storage.base import VolumeBase
from ..storage.errors import StorageError
from ..storage.volume import Volume
from .compact import compact_into
from .history import as_datetime, as_timestamp, state_at

if TYPE_CHECKING:
    from ..cluster import Cluster


def backtrack(cluster: Cluster, when: float | datetime.datetime) -> None:
    """Rewind cluster to its state at `when`."""
    if cluster.dialect != "mysql":
        raise NotSupportedError("Backtrack is available for Aurora MySQL clusters only")
    target = as_timestamp(when)
    now = cluster.clock()
    earliest = cluster.earliest_backtrack_timestamp()
    if not earliest <= target <= now:
        raise ProgrammingError(
            f"InvalidParameterValue: backtrack time {as_datetime(target).isoformat()} is outside the backtrack "
            f"window {as_datetime(earliest).isoformat()} .. {as_datetime(now).isoformat()}"
        )
    with cluster._topology:
        roles = [(i.identifier, i.role, i.promotion_tier) for i in cluster.instances]
        writer = cluster.writer
        cluster._stop_instances("backtrack")  # from here no instance accepts a commit
        with writer.commit_lock:  # a commit that was being appended has finished appending
            pass
        try:
            # Fix: a commit stamped at or before `target` may still be waiting for write quorum;
            # rewinding without it, then letting it be acknowledged on the old volume, lost an
            # acknowledged commit. Wait until it settles (OperationalError if it does not).
            cluster._settle_commits_before(target)
            source, lsn = state_at(cluster._timeline, target)
            if cluster.path is None:
                volume = Volume(base=VolumeBase(source, lsn))
            else:
                # Fix: a folder left by a backtrack that crashed before cluster.json named it made
                # every later backtrack fail ("a volume already exists"): take the next free name.
                n = len(cluster._timeline)
                while (cluster.path / f"volume-{n}").exists():
                    n += 1
                volume = Volume(cluster.path / f"volume-{n}", fsync=cluster.volume.fsync)
                compact_into(source, lsn, volume, target)
        except BaseException as exc:
            # Fix: a failed backtrack left the cluster with no instance; nothing was rewound,
            # so they restart on the volume they had.
            cluster._start_instances(roles)
            if isinstance(exc, StorageError):
                raise OperationalError(f"backtrack failed, nothing was rewound: {exc}") from exc
            raise
        cluster.volume = volume
        cluster._commit_times.reset()  # the new volume's LSNs restart below the old ones
        cluster._timeline.append((now, volume))
        cluster._start_instances(roles)
        if cluster.path is not None:
            cluster._save()
