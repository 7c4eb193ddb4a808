"""pytest-benchmark suite for the cluster volume (aurora_lite.storage.Volume).

Run: ``python -m pytest benchmarks -q --benchmark-only`` (add
``--benchmark-json=out.json`` to keep the figures). Each test puts its derived
figures (records/s, p50/p99 µs, commits/s, ratios) in ``benchmark.extra_info``
and the issue's targets are listed in the terminal summary:

- in memory: one-row commit p50 <= 50 µs; bulk append >= 200k records/s
- on disk (fsync="always"): 8 concurrent committers >= 4x the commits/s of 1

Without pytest-benchmark the module is skipped; with ``--benchmark-disable``
every workload still runs once, as a smoke test.
"""
from __future__ import annotations

import statistics

import pytest

pytest.importorskip("pytest_benchmark")

from storage_workloads import (
    BULK_RECORDS,
    bulk_records,
    commit_latencies_ns,
    one_row_record,
    one_row_table,
    percentile,
    run_committers,
)

from aurora_lite.storage.rows import encode_rows

MEMORY_P50_TARGET_US = 50.0
BULK_TARGET_RECORDS_S = 200_000
GROUP_COMMIT_TARGET_RATIO = 4.0

LATENCY_COMMITS = {"memory": 5000, "disk": 2000}
BULK_ROUNDS = {"memory": 15, "disk": 8}
CONCURRENT_COMMITS = 800  # per run, shared by the committer threads
CONCURRENT_ROUNDS = 5


def _median_round_s(benchmark) -> float | None:
    """pytest-benchmark's median seconds per round; None when benchmarking is disabled."""
    stats = getattr(benchmark, "stats", None)
    return None if stats is None else stats.stats.median


# ------------------------------------------------------------------ (a) bulk append
@pytest.mark.parametrize("where", ["memory", "disk"])
def test_bulk_append(benchmark, volumes, report, where):
    """10k one-row upsert records in one append (with its COMMIT), until durable (VDL)."""
    records = bulk_records()

    def setup():
        return (volumes(where),), {}

    def append_durably(volume):
        lsn = volume.append(records, txn=1, commit_time=1.0)
        volume.wait_for_vdl(lsn, 60.0)

    def teardown(volume):
        volumes.discard(volume)

    benchmark.group = "bulk append (10k one-row records)"
    benchmark.pedantic(append_durably, setup=setup, teardown=teardown, rounds=BULK_ROUNDS[where])
    median = _median_round_s(benchmark)
    if median is None:
        return
    rate = BULK_RECORDS / median
    benchmark.extra_info.update(records_per_append=BULK_RECORDS, records_per_s=round(rate))
    if where == "memory":
        report("bulk append in memory >= 200k records/s", f"{rate:,.0f} records/s", rate >= BULK_TARGET_RECORDS_S)
    else:
        report("bulk append on disk (fsync=always), durable", f"{rate:,.0f} records/s")


# ------------------------------------------------------------------ (b) one-row commit latency
@pytest.mark.parametrize("where", ["memory", "disk"])
def test_one_row_commit_latency(benchmark, volumes, report, where):
    """Acknowledgment latency of a one-row commit batch (upsert + COMMIT, wait for VDL)."""
    volume = volumes(where)
    batch = [one_row_record()]

    def commit():
        volume.commit(batch)

    commit_latencies_ns(commit, 200)  # warm-up
    lat = commit_latencies_ns(commit, LATENCY_COMMITS[where])
    p50_us, p99_us = percentile(lat, 0.50) / 1e3, percentile(lat, 0.99) / 1e3
    benchmark.extra_info.update(commits_timed=len(lat), p50_us=round(p50_us, 1), p99_us=round(p99_us, 1),
                                mean_us=round(statistics.fmean(lat) / 1e3, 1))
    benchmark.group = "one-row commit latency"
    benchmark(commit)
    measured = f"p50 {p50_us:.1f} µs, p99 {p99_us:.1f} µs over {len(lat)} commits"
    if where == "memory":
        report("one-row commit in memory p50 <= 50 µs", measured, p50_us <= MEMORY_P50_TARGET_US)
    else:
        report("one-row commit on disk (fsync=always)", measured)


# ------------------------------------------------------------------ (c) group commit on disk
def _flush_rounds(volume) -> int:
    """Sync rounds the group-commit flusher ran (0 if this build does not expose them)."""
    flusher = getattr(volume, "_flusher", None)
    return getattr(flusher, "rounds", 0) - 1  # minus the warm-up commit's round


def _committers_on(volume, threads: int) -> float:
    batch = [one_row_record()]
    return run_committers(threads, CONCURRENT_COMMITS, lambda _w: volume.commit(batch))


@pytest.mark.parametrize("threads", [1, 2, 8])
def test_concurrent_commits_on_disk(benchmark, volumes, report, threads):
    """800 one-row commits shared by N committer threads on one fsync="always" volume.

    Two committers are measured as well: they show whether group commit forms
    groups at all when committers alternate (see docs/benchmarks.md).
    """
    rates: list[float] = []
    rounds: list[int] = []

    def setup():
        return (volumes("disk"),), {}

    def run(volume):
        rates.append(_committers_on(volume, threads))
        rounds.append(_flush_rounds(volume))

    def teardown(volume):
        volumes.discard(volume)

    benchmark.group = "concurrent one-row commits on disk (fsync=always)"
    benchmark.pedantic(run, setup=setup, teardown=teardown, rounds=CONCURRENT_ROUNDS)
    rate = statistics.median(rates)
    per_round = CONCURRENT_COMMITS / statistics.median(rounds) if rounds and rounds[0] else None
    benchmark.extra_info.update(threads=threads, commits_per_run=CONCURRENT_COMMITS, commits_per_s=round(rate),
                                commits_per_sync_round=per_round and round(per_round, 2))
    grouping = f", {per_round:.1f} commits per sync round" if per_round else ""
    report(f"on disk: {threads} committer{'s' if threads > 1 else ''}", f"{rate:,.0f} commits/s{grouping}")


def test_group_commit_scaling_on_disk(benchmark, volumes, report):
    """Ratio of commits/s with 8 committers to 1, measured as interleaved pairs (noise hits both)."""
    pairs: list[tuple[float, float]] = []

    def setup():
        return (volumes("disk"), volumes("disk")), {}

    def pair(one, eight):
        pairs.append((_committers_on(one, 1), _committers_on(eight, 8)))

    def teardown(one, eight):
        volumes.discard(one)
        volumes.discard(eight)

    benchmark.group = "group commit scaling (1 then 8 committers)"
    benchmark.pedantic(pair, setup=setup, teardown=teardown, rounds=CONCURRENT_ROUNDS)
    one = statistics.median(p[0] for p in pairs)
    eight = statistics.median(p[1] for p in pairs)
    ratio = statistics.median(p[1] / p[0] for p in pairs)
    benchmark.extra_info.update(commits_per_s_1=round(one), commits_per_s_8=round(eight),
                                ratio_8_to_1=round(ratio, 2), pairs=len(pairs))
    report("on disk: 8 committers >= 4x commits/s of 1",
           f"{ratio:.2f}x ({eight:,.0f} vs {one:,.0f} commits/s)", ratio >= GROUP_COMMIT_TARGET_RATIO)


# ------------------------------------------------------------------ context
def test_encode_one_row_payload(benchmark):
    """Context for (b): what change capture spends turning one row into a payload (not the volume's cost)."""
    table = one_row_table()
    benchmark.group = "context"
    benchmark(encode_rows, table, ["id"])

