"""Running one seed: `run_seed` builds its configuration and its `Simulation` and runs it; `shrink`.

`shrink` finds the shortest prefix of a failing seed's schedule that still fails.
This module was once the whole simulator; it re-exports the names it defined then
(configuration, results, the `Simulation` class and its small functions), so
``from aurora_lite.sim.runner import ...`` keeps working. The run itself is in
simulation.py and the modules it names.
"""
from __future__ import annotations

from .client_sessions import (
    _close_quietly,
    _connection_lost,
    _err,
    _key,
    _Session,
    _val,
)
from .cluster_faults import _damage, _frames, _Stop
from .config import (
    ENGINES,
    LONG_TIMEOUT_S,
    SHORT_TIMEOUT_S,
    START_TIME,
    SeedResult,
    SimConfig,
    config_for,
)
from .final_checks import check_final_threaded
from .simulation import FAULT_KINDS, Simulation
from .storage_faults import _pg_state

__all__ = [
    "ENGINES",
    "FAULT_KINDS",
    "LONG_TIMEOUT_S",
    "SHORT_TIMEOUT_S",
    "START_TIME",
    "SeedResult",
    "SimConfig",
    "Simulation",
    "_Session",
    "_Stop",
    "_close_quietly",
    "_connection_lost",
    "_damage",
    "_err",
    "_frames",
    "_key",
    "_pg_state",
    "_val",
    "check_final_threaded",
    "config_for",
    "run_seed",
    "shrink",
]


def run_seed(seed: int, *, long: bool = False, steps: int | None = None, bug: str | None = None,
             threaded: bool | None = None, storage: str | None = None, echo: bool = False,
             tmp_root: str | None = None) -> SeedResult:
    """Run one seed and check it."""
    config = config_for(seed, long=long, steps=steps, threaded=threaded, storage=storage)
    return Simulation(config, bug=bug, echo=echo, tmp_root=tmp_root).run()


def shrink(seed: int, *, bug: str | None = None, long: bool = False, storage: str | None = None,
           threaded: bool | None = None) -> SeedResult | None:
    """The shortest prefix of a failing seed's schedule that still fails (None if the seed passes).

    A seed's schedule is a stream: running it with fewer steps replays a prefix of the
    same events, then heals and checks. The first failing length is the minimal trace.
    """
    config = config_for(seed, long=long, storage=storage, threaded=threaded)
    for steps in range(1, config.steps + 1):
        result = run_seed(seed, long=long, steps=steps, bug=bug, storage=storage, threaded=threaded)
        if not result.ok:
            return result
    return None
