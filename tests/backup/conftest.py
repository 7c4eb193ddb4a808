"""Fixtures of the backup tests: a deterministic clock and clusters closed at teardown."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from backup_model import ENGINES, ManualClock

import aurora_lite as al


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


class Closer:
    """Remembers clusters and closes them all at teardown (a failing test must not leak threads)."""

    def __init__(self) -> None:
        self.clusters: list[al.Cluster] = []

    def __call__(self, cluster: al.Cluster) -> al.Cluster:
        self.clusters.append(cluster)
        return cluster


@pytest.fixture
def track() -> Iterator[Closer]:
    closer = Closer()
    yield closer
    for cluster in reversed(closer.clusters):
        cluster.close()
