"""Fixtures for the cluster tests: every test that sends SQL runs on both engines."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cluster_support import ENGINES

import aurora_lite as al


@pytest.fixture(params=ENGINES, ids=("pg", "mysql"))
def engine(request: pytest.FixtureRequest) -> str:
    """The cluster engine under test."""
    return request.param


@pytest.fixture
def make_cluster(engine: str) -> Iterator[Callable[..., al.Cluster]]:
    """A factory of clusters of `engine`, each closed at teardown."""
    clusters: list[al.Cluster] = []

    def make(**kwargs: Any) -> al.Cluster:
        cluster = al.Cluster(engine, **kwargs)
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.close()
