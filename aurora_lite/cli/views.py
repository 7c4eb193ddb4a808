"""Tables about a cluster, shared by ``status``, the shell's meta-commands and the demo."""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..storage.volume import Volume

TOPOLOGY_HEADERS = ("instance", "role", "status", "tier", "applied LSN", "lag ms", "connections")
RESTART_THREAD_PREFIX = "aurora-lite-restart-"  # Cluster._replace_instance names its threads so
SEGMENT_HEADERS = ("PG", "pages", "az-a", "az-b", "az-c", "up", "state")


def topology(cluster: Cluster) -> list[tuple[object, ...]]:
    """One row per instance, writer first: role, status, promotion tier, applied LSN, lag, connections."""
    rows = []
    for inst in cluster.instances:
        lag = "-" if inst.role == "writer" else f"{inst.replica_lag * 1000:.1f}"
        rows.append((inst.identifier, inst.role, inst.status, inst.promotion_tier, inst.applied_lsn, lag,
                     inst.connections))
    return rows


def segment_state(volume: Volume, pg: object) -> list[str]:
    """Each of the six segments of a protection group: up, down, or behind (up but missing records)."""
    needed = pg.needed_lsn(volume.vdl)  # type: ignore[attr-defined]
    marks = []
    for seg in pg.segments:  # type: ignore[attr-defined]
        if not seg.available:
            marks.append("down")
        elif seg.complete_lsn < needed:
            marks.append("behind")
        else:
            marks.append("up")
    return marks


def _verdict(up: int) -> str:
    if up == 6:
        return "healthy"
    if up >= 4:
        return "writes and reads go on (4/6 quorum)"
    if up == 3:
        return "writes stall (no 4/6), reads go on"
    return "unavailable"


def segment_health(volume: Volume) -> list[tuple[object, ...]]:
    """One row per protection group: pages, the two segments in each AZ, segments up, what that means."""
    rows = []
    for pg in volume.protection_groups:
        marks = segment_state(volume, pg)
        up = sum(m != "down" for m in marks)
        last = pg.first_page + pg.pages - 1
        rows.append((pg.index, f"{pg.first_page}-{last}", *(" ".join(marks[i:i + 2]) for i in range(0, 6, 2)),
                     f"{up}/6", _verdict(up)))
    return rows


def volume_summary(volume: Volume) -> list[tuple[str, object]]:
    """VCL, VDL, protection groups and bytes of a volume, as (name, value) pairs."""
    return [("VCL", volume.vcl), ("VDL", volume.vdl), ("protection groups", len(volume.protection_groups)),
            ("volume bytes", f"{volume.bytes_used:,}")]


def pairs(items: Sequence[tuple[str, object]]) -> list[str]:
    """'name: value' lines with the values aligned."""
    width = max((len(k) for k, _ in items), default=0)
    return [f"{k + ':':<{width + 1}} {v}" for k, v in items]


def join_restarts(timeout_s: float = 10.0) -> None:
    """Wait (bounded) for instances that restart in the background (after a crash or a failover).

    A crashed or demoted instance is rebuilt by a background thread; if the
    process exits while that thread is inside DuckDB, the interpreter's
    shutdown aborts the process. Call this before closing a cluster on exit.
    """
    deadline = time.monotonic() + timeout_s
    for thread in threading.enumerate():
        if thread.name.startswith(RESTART_THREAD_PREFIX) and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
