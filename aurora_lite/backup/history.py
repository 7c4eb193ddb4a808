"""Commit times: the volume's COMMIT records say which LSN a point in time means."""
from __future__ import annotations

import datetime
from bisect import bisect_right
from typing import TYPE_CHECKING

from ..dbapi.exceptions import ProgrammingError
from ..storage.records import RecordKind, decode_commit_time

if TYPE_CHECKING:
    from ..storage.volume import Volume


def commit_points(volume: Volume, upto_lsn: int | None = None) -> tuple[list[int], list[float]]:
    """(LSNs, commit times) of every durable commit, including those of the volume's base."""
    records = volume.read_log(0, upto_lsn, kinds=[RecordKind.COMMIT])
    return [r.lsn for r in records], [decode_commit_time(r.payload) for r in records]


def lsn_at(volume: Volume, when: float) -> int:
    """The last commit LSN with a commit time at or before `when` (0 if none)."""
    lsns, times = commit_points(volume)
    if all(a <= b for a, b in zip(times, times[1:])):
        i = bisect_right(times, when)
        return lsns[i - 1] if i else (volume.base.lsn if volume.base is not None and not lsns else 0)
    best = 0
    for lsn, at in zip(lsns, times):  # a clock that went backwards: take the last commit not after `when`
        if at <= when:
            best = max(best, lsn)
    return best


def commit_at_or_below(volume: Volume, lsn: int) -> int:
    """The last commit LSN at or below `lsn` (0 if none).

    Why: restoring to an arbitrary LSN must not show part of a transaction; an
    LSN inside a transaction means the state of the commits before it.
    """
    lsns, _ = commit_points(volume, lsn)
    if lsns:
        return lsns[-1]
    return volume.base.lsn if volume.base is not None else 0  # a base ends on a commit


def as_timestamp(value: float | datetime.datetime) -> float:
    """POSIX seconds for a float or a datetime (naive datetimes are UTC)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ProgrammingError(f"a point in time is a datetime or POSIX seconds, not {value!r}")


def as_datetime(seconds: float) -> datetime.datetime:
    """An aware UTC datetime for POSIX seconds."""
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def state_at(timeline: list[tuple[float, Volume]], when: float) -> tuple[Volume, int]:
    """The volume that was the cluster's at `when`, and the LSN of its state then.

    A backtracked cluster has several volumes over time (each starts from a
    base over an older one); the state at a moment is read from the volume
    current at that moment, which is what makes backtracking forward work.
    """
    volume = timeline[0][1]
    for since, candidate in timeline:
        if since <= when:
            volume = candidate
    return volume, lsn_at(volume, when)
