"""What a seed stands for and what its run returns.

`config_for(seed)` draws a run's shape (`SimConfig`: engine, in memory or on disk,
readers, pages per protection group, schedule length, fault rate, threaded or not)
from the seed's own random stream, so overriding one of them keeps the schedule;
`SeedResult` is what a run did and found (trace, faults, violations, counts). The
constants every part of a run shares (the simulated clock's start, the commit
timeouts) are here too.
"""
from __future__ import annotations

import collections
import random

import attrs

from .history import Violation

ENGINES = ("aurora-postgresql", "aurora-mysql")
LONG_TIMEOUT_S = 10.0
SHORT_TIMEOUT_S = 0.1      # a commit that cannot reach quorum (also lets a buggy follower act meanwhile)
START_TIME = 1_700_000_000.0


@attrs.frozen
class SimConfig:
    """The shape of one run (all drawn from the seed unless given)."""

    seed: int
    engine: str
    storage: str          # "memory" | "disk"
    readers: int
    pages_per_pg: int
    steps: int
    fault_rate: float
    threaded: bool
    long: bool = False

    def rerun(self, bug: str | None = None) -> str:
        """The command line that replays this run."""
        return (f"python -m aurora_lite.sim --seed {self.seed} --steps {self.steps} --storage {self.storage}"
                + (" --long" if self.long else "") + (" --threaded" if self.threaded else "")
                + (f" --bug {bug}" if bug else ""))

    def describe(self) -> str:
        kind = "threaded" if self.threaded else "single-threaded"
        return (f"seed={self.seed} engine={self.engine} storage={self.storage} readers={self.readers} "
                f"pages_per_pg={self.pages_per_pg} steps={self.steps} fault_rate={self.fault_rate:.2f} {kind}")


def config_for(seed: int, *, long: bool = False, steps: int | None = None, threaded: bool | None = None,
               storage: str | None = None) -> SimConfig:
    """The configuration a seed stands for (its own random stream, so overrides keep the schedule's)."""
    rng = random.Random(f"config/{seed}")
    engine = rng.choice(ENGINES)
    store = "disk" if rng.random() < 0.4 else "memory"
    readers = rng.choice((0, 1, 1, 2, 2))
    pages = rng.choice((1, 1, 2, 4096))
    default_steps = rng.randint(100, 160) if long else rng.randint(36, 56)
    rate = rng.uniform(0.25, 0.4)
    is_threaded = rng.random() < (0.05 if long else 0.02)
    return SimConfig(seed, engine, storage or store, readers, pages, steps or default_steps, rate,
                     is_threaded if threaded is None else threaded, long)


@attrs.define
class SeedResult:
    """What one run did and found."""

    config: SimConfig
    bug: str | None
    violations: list[Violation]
    trace: list[str]
    faults: collections.Counter
    acked: int            # acknowledged commits checked
    txns: int
    seconds: float
    digest: str = ""

    @property
    def ok(self) -> bool:
        """No violation but known open ones (history.KNOWN_OPEN)."""
        return all(v.known for v in self.violations)

    @property
    def known(self) -> list[Violation]:
        return [v for v in self.violations if v.known]

    def report(self) -> str:
        """The failing seed's one-line-per-event trace and its violations."""
        lines = [f"FAILED {self.config.describe()}" + (f" bug={self.bug}" if self.bug else ""),
                 f"rerun: {self.config.rerun(self.bug)}"]
        lines += [f"  {line}" for line in self.trace]
        lines += [f"VIOLATION {v}" for v in self.violations]
        return "\n".join(lines)
