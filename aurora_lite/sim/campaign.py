"""Many seeds: the regression list first, then a range of seeds; counts for the report."""
from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterable

import attrs

from .regressions import REGRESSIONS
from .runner import SeedResult, run_seed


@attrs.define
class CampaignResult:
    """Totals over a campaign."""

    seeds: int = 0
    regressions: int = 0
    failures: list[SeedResult] = attrs.Factory(list)
    faults: collections.Counter = attrs.Factory(collections.Counter)
    acked: int = 0
    txns: int = 0
    seconds: float = 0.0
    by_config: collections.Counter = attrs.Factory(collections.Counter)
    known: list[SeedResult] = attrs.Factory(list)

    def add(self, result: SeedResult) -> None:
        self.seeds += 1
        self.faults.update(result.faults)
        self.acked += result.acked
        self.txns += result.txns
        cfg = result.config
        self.by_config[f"{cfg.engine}/{cfg.storage}" + ("/threaded" if cfg.threaded else "")] += 1
        if not result.ok:
            self.failures.append(result)
        elif result.known:
            self.known.append(result)

    def summary(self) -> str:
        lines = [(f"seeds run: {self.seeds} (of which regressions replayed: {self.regressions}) "
                  f"in {self.seconds:.1f}s"),
                 f"configurations: {dict(sorted(self.by_config.items()))}",
                 f"transactions: {self.txns}; acknowledged commits checked: {self.acked}",
                 f"faults injected: {sum(self.faults.values())}"]
        for kind, n in sorted(self.faults.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {kind:20s} {n}")
        lines.append(f"failing seeds: {[r.config.seed for r in self.failures] or 'none'}")
        if self.known:
            kinds = sorted({v.invariant for r in self.known for v in r.known})
            lines.append(f"known open violations ({', '.join(kinds)}) in seeds {[r.config.seed for r in self.known]}")
        return "\n".join(lines)


def run_campaign(seeds: Iterable[int], *, long: bool = False, steps: int | None = None, bug: str | None = None,
                 replay_regressions: bool = True, stop_on_failure: bool = False,
                 progress: Callable[[SeedResult], None] | None = None) -> CampaignResult:
    """Replay the regression list, then run each seed; returns the totals and the failing runs."""
    result = CampaignResult()
    started = time.perf_counter()
    if replay_regressions and not _replay_regressions(result, bug, progress, stop_on_failure):
        result.seconds = time.perf_counter() - started
        return result
    for seed in seeds:
        one = run_seed(seed, long=long, steps=steps, bug=bug)
        result.add(one)
        if progress is not None:
            progress(one)
        if stop_on_failure and not one.ok:
            break
    result.seconds = time.perf_counter() - started
    return result


def _replay_regressions(result: CampaignResult, bug: str | None, progress: Callable[[SeedResult], None] | None,
                        stop_on_failure: bool) -> bool:
    """Run every seed of the regression list into result; False if one failed and the campaign stops."""
    for seed, options, _why in REGRESSIONS:
        one = run_seed(seed, bug=bug, **options)
        result.add(one)
        result.regressions += 1
        if progress is not None:
            progress(one)
        if stop_on_failure and not one.ok:
            return False
    return True


def _run_chunk(seeds: list[int], long: bool, steps: int | None, bug: str | None) -> list[SeedResult]:
    return [run_seed(seed, long=long, steps=steps, bug=bug) for seed in seeds]


def run_parallel(seeds: Iterable[int], *, jobs: int, long: bool = False, steps: int | None = None,
                 bug: str | None = None, replay_regressions: bool = True, chunk: int = 10,
                 progress: Callable[[SeedResult], None] | None = None) -> CampaignResult:
    """run_campaign over worker processes (spawned: each its own DuckDB and threads)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    result = CampaignResult()
    started = time.perf_counter()
    if replay_regressions:
        _replay_regressions(result, bug, progress, stop_on_failure=False)
    seeds = list(seeds)
    chunks = [seeds[i:i + chunk] for i in range(0, len(seeds), chunk)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_run_chunk, c, long, steps, bug) for c in chunks]
        for future in as_completed(futures):
            for one in future.result():
                result.add(one)
                if progress is not None:
                    progress(one)
    result.failures.sort(key=lambda r: r.config.seed)
    result.seconds = time.perf_counter() - started
    return result
