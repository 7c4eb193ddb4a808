"""Deterministic fault-schedule simulation of an aurora_lite cluster (FoundationDB / VOPR style).

`run_seed(seed)` builds a cluster from the seed (engine, in memory or on disk,
readers, protection-group size), runs a random schedule of client transactions
and faults (segment, AZ and slow-segment faults, segment replacement, writer
and reader crashes, failover, close and reopen, damaged segment files, paused
replication, snapshots and point-in-time restores), then checks the history and
the volume. `run_campaign` runs many seeds after replaying the regression list.
``python -m aurora_lite.sim --seeds N [--long]`` is the command line; see
docs/simulation.md.
"""
from __future__ import annotations

from .bugs import BUGS, deliberate_bug
from .campaign import CampaignResult, run_campaign
from .regressions import REGRESSIONS
from .runner import SeedResult, SimConfig, Simulation, config_for, run_seed

__all__ = [
           "BUGS",
           "REGRESSIONS",
           "CampaignResult",
           "SeedResult",
           "SimConfig",
           "Simulation",
           "config_for",
           "deliberate_bug",
           "run_campaign",
           "run_seed",
]
