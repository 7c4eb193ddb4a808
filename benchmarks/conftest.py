"""Fixtures for the storage benchmarks and the terminal report of the issue's targets.

pytest's default testpaths is tests/, so this folder only runs when named:
``python -m pytest benchmarks -q --benchmark-only``. Targets are reported in
the terminal summary; they fail the run only with AURORA_LITE_BENCH_ENFORCE=1
(these machines are noisy: 2 shared cores).
"""
from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from storage_workloads import warm

from aurora_lite.storage import Volume

ENFORCE = os.environ.get("AURORA_LITE_BENCH_ENFORCE") == "1"
_LINES: list[tuple[str, str, bool | None]] = []


class VolumeFactory:
    """Makes fresh, warmed volumes in memory or in a temporary folder; closes them all at teardown."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._n = itertools.count()
        self._open: list[Volume] = []

    def __call__(self, where: str) -> Volume:
        if where == "memory":
            volume = Volume()
        elif where == "disk":
            volume = Volume(self._root / f"vol-{next(self._n)}", fsync="always")
        else:
            raise ValueError(f"where must be 'memory' or 'disk', not {where!r}")
        self._open.append(volume)
        return warm(volume)

    def discard(self, volume: Volume) -> None:
        """Close a volume and delete its files (bulk runs write hundreds of MB)."""
        volume.close()
        if volume.path is not None:
            shutil.rmtree(volume.path, ignore_errors=True)

    def close_all(self) -> None:
        for volume in self._open:
            self.discard(volume)
        self._open.clear()


@pytest.fixture
def volumes(tmp_path: Path):
    """A VolumeFactory: ``volumes("memory")`` or ``volumes("disk")`` (fsync="always")."""
    factory = VolumeFactory(tmp_path)
    yield factory
    factory.close_all()


@pytest.fixture
def report():
    """report(name, measured, met=None): a line of the terminal summary; met is an issue target's verdict.

    A missed target fails the test only when AURORA_LITE_BENCH_ENFORCE=1.
    """

    def note(name: str, measured: str, met: bool | None = None) -> None:
        _LINES.append((name, measured, met))
        if ENFORCE and met is False:
            pytest.fail(f"target missed: {name}: {measured}")

    return note


def pytest_terminal_summary(terminalreporter) -> None:
    if not _LINES:
        return
    terminalreporter.section("aurora_lite storage figures (MET/MISSED: the issue's targets)")
    for name, measured, met in _LINES:
        verdict = "" if met is None else ("MET" if met else "MISSED")
        terminalreporter.write_line(f"{verdict:<7}{name}: {measured}")
