"""New clusters from old state: snapshot restores, point-in-time restores, clones.

Every restore creates a NEW, independent cluster. In memory it starts from a
copy-on-write base over the source (no data is copied; writes to either
side never reach the other); with ``path=`` it gets a compacted copy of the
state on disk, which needs nothing from its source afterwards.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..storage.base import VolumeBase
from ..storage.volume import Volume
from .compact import compact_into

if TYPE_CHECKING:
    from ..cluster import Cluster


def new_cluster(source: Volume, lsn: int, *, engine: str, name: str, database: str, master_user: str,
                path: str | Path | None, at: float, clock=None) -> Cluster:
    """A new cluster whose volume starts as source's state at lsn (its clock read `at` then)."""
    from ..cluster import VOLUME_DIR, Cluster

    if path is None:
        volume = Volume(base=VolumeBase(source, lsn))
    else:
        root = Path(path)
        if root.exists() and any(root.iterdir()):
            from ..dbapi.exceptions import ProgrammingError

            raise ProgrammingError(f"cannot restore into {root}: the directory is not empty")
        root.mkdir(parents=True, exist_ok=True)
        volume = Volume(root / VOLUME_DIR)
        compact_into(source, lsn, volume, at)
    return Cluster(engine, name=name, database=database, master_user=master_user, path=path,
                   clock=clock, _volume=volume, _created_at=at)
