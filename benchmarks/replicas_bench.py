"""Aurora Replicas: replica lag under a steady write rate, failover times, a new reader joining.

Run from the repository root: ``python benchmarks/replicas_bench.py`` (``--quick``
for a short smoke run, ``--runs N`` to change the repetitions, ``--json PATH``
to keep the figures). Figures are medians over the runs (2-core noisy machines).

1. Replica lag (issue 4 target: p99 <= 20 ms): one writer thread commits
   single-row INSERTs (autocommit) on a fixed schedule of 500/s for
   --lag-seconds (a commit more than one interval late restarts the schedule
   instead of starting a catch-up burst, so the achieved rate can only fall
   short of the target; it is printed), with 2
   readers following. Each reader's follower records,
   for every commit it applies, the wall time from the writer handing the
   commit to the volume to the commit being visible on the reader
   (Follower.lag_samples); p50/p90/p99/max are taken over both readers'
   samples of a run, after a one-second warm-up.
2. Planned failover of a 100k-row database (target <= 100 ms) and crash
   failover (writer.crash() with a reader; target <= 1 s): wall time from the
   call to the first successful COMMIT of an INSERT on a new cluster-endpoint
   connection (FailoverEvent.seconds, the promotion alone, is shown next to it).
   Each run builds a fresh cluster: 100k rows through executemany, 2 readers,
   wait_for_replicas, then the failover.
3. A new reader joining a 1M-row database: wall time of add_reader(), which
   rebuilds the reader's DuckDB cache from the volume and starts it following;
   then one more join while a thread commits single-row INSERTs, with the
   latency of the commits made during it (a join must not stall the writer).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import aurora_lite as al

ENGINES = ("aurora-postgresql", "aurora-mysql")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)


# ---------------------------------------------------------------- 1. replica lag
def replica_lag(engine: str, *, rate: float, seconds: float, readers: int = 2) -> dict:
    """One paced run; lag percentiles in milliseconds over every reader's samples."""
    with al.Cluster(engine, replicas=readers) as cluster:
        connection = cluster.connect(autocommit=True)
        cursor = connection.cursor()
        cursor.execute("CREATE TABLE events (id INT PRIMARY KEY, v INT)")
        cluster.wait_for_replicas()
        interval = 1.0 / rate
        warmup = int(rate)  # one second
        total = warmup + int(rate * seconds)
        commit_s: list[float] = []
        due = time.perf_counter()
        measured_from = None
        for i in range(total):
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            # A fixed schedule, never ahead of it: a sleep that overshoots by a little is made up by
            # the next one (else the overshoot, ~0.1 ms a sleep, caps the rate at ~480/s), but a
            # commit more than an interval late restarts the schedule, so there is no catch-up burst.
            late = time.perf_counter() - due
            due = (due if late < interval else time.perf_counter()) + interval
            if i == warmup:
                for reader in cluster.readers:
                    reader.follower.lag_samples.clear()
                measured_from = time.perf_counter()
            t0 = time.perf_counter()
            cursor.execute("INSERT INTO events (id, v) VALUES (%s, %s)", (i, i))
            if i >= warmup:
                commit_s.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - measured_from
        cluster.wait_for_replicas(timeout=30.0)
        # One sample per applied commit, in commit order: the last ones are the measured commits
        # (a few warm-up commits applied after the clear come first).
        measured = total - warmup
        samples = [s for reader in cluster.readers for s in list(reader.follower.lag_samples)[-measured:]]
        expected = measured * readers
    return {
        "engine": engine, "rate_target": rate, "rate_achieved": round((total - warmup) / elapsed, 1),
        "samples": len(samples), "samples_expected": expected,
        "lag_p50_ms": ms(percentile(samples, 50)), "lag_p90_ms": ms(percentile(samples, 90)),
        "lag_p99_ms": ms(percentile(samples, 99)), "lag_max_ms": ms(max(samples)),
        "commit_p50_ms": ms(percentile(commit_s, 50)), "commit_p99_ms": ms(percentile(commit_s, 99)),
    }


# ---------------------------------------------------------------- 2. failover
def _loaded_cluster(engine: str, rows: int, readers: int) -> al.Cluster:
    cluster = al.Cluster(engine, replicas=readers)
    connection = cluster.connect()
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE big (id INT PRIMARY KEY, name VARCHAR(40), qty INT)")
    connection.commit()
    batch = 100_000
    for first in range(0, rows, batch):
        cursor.executemany("INSERT INTO big (id, name, qty) VALUES (%s, %s, %s)",
                           [(i, f"name-{i}", i % 1000) for i in range(first, min(rows, first + batch))])
        connection.commit()
    connection.close()
    cluster.wait_for_replicas(timeout=120.0)
    return cluster


def failover_time(engine: str, kind: str, *, rows: int) -> dict:
    """Seconds from the call to the first successful commit on a new writer connection."""
    cluster = _loaded_cluster(engine, rows, readers=2)
    try:
        events = len(cluster.events)
        started = time.perf_counter()
        if kind == "planned":
            cluster.failover()
        else:
            cluster.writer.crash()
        returned = time.perf_counter()
        connection = cluster.connect()
        connection.cursor().execute("INSERT INTO big (id, name, qty) VALUES (%s, %s, %s)", (-1, "after", 0))
        connection.commit()
        first_write = time.perf_counter()
        event = cluster.events[-1] if len(cluster.events) > events else None
        assert event is not None and event.new_writer == connection.instance_identifier
        return {"engine": engine, "kind": kind, "rows": rows, "to_first_write_ms": ms(first_write - started),
                "call_ms": ms(returned - started), "event_seconds_ms": ms(event.seconds)}
    finally:
        cluster.close()


# ---------------------------------------------------------------- 3. a reader joins
def reader_join(engine: str, *, rows: int, runs: int) -> list[dict]:
    """add_reader() wall time on one loaded cluster, runs times (each reader removed after)."""
    cluster = _loaded_cluster(engine, rows, readers=0)
    out = []
    try:
        for run in range(runs):
            started = time.perf_counter()
            reader = cluster.add_reader(f"joiner-{run}")
            joined = time.perf_counter() - started
            cursor = cluster.connect(reader.identifier).cursor()
            cursor.execute("SELECT count(*) FROM big")
            assert cursor.fetchall() == [(rows,)]
            out.append({"engine": engine, "rows": rows, "join_ms": ms(joined)})
            cluster.remove_instance(reader.identifier)
        out.append(_commits_during_a_join(cluster, engine, rows))
    finally:
        cluster.close()
    return out


def _commits_during_a_join(cluster: al.Cluster, engine: str, rows: int) -> dict:
    """One more join while a thread commits single-row INSERTs: how long those commits took meanwhile."""
    stop, latencies = threading.Event(), []

    def commit_loop() -> None:
        cursor = cluster.connect(autocommit=True).cursor()
        key = 10 ** 9
        while not stop.is_set():
            began = time.perf_counter()
            cursor.execute("INSERT INTO big (id, name, qty) VALUES (%s, %s, %s)", (key, "during", 0))
            latencies.append((began, time.perf_counter() - began))
            key += 1

    writer = threading.Thread(target=commit_loop)
    writer.start()
    while not latencies:  # the writer is committing before the join starts
        writer.join(0.001)
    started = time.perf_counter()
    reader = cluster.add_reader("joiner-busy")
    ended = time.perf_counter()
    stop.set()
    writer.join()
    cluster.remove_instance(reader.identifier)
    during = [seconds for began, seconds in latencies if started <= began <= ended]
    return {"engine": engine, "rows": rows, "busy_join_ms": ms(ended - started), "commits_during": len(during),
            "commit_p50_ms": ms(percentile(during, 50)), "commit_max_ms": ms(max(during, default=0.0))}


# ---------------------------------------------------------------- report
def median_of(results: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in results), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lag-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--failover-rows", type=int, default=100_000)
    parser.add_argument("--join-rows", type=int, default=1_000_000)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--only", nargs="+", default=["lag", "failover", "join"],
                        choices=["lag", "failover", "join"])
    parser.add_argument("--quick", action="store_true", help="2 runs, 3 s of lag, 100k-row join")
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="sys.setswitchinterval(seconds) first (Python's default is 0.005); the writer, the "
                             "followers and DuckDB calls hand the GIL back and forth, so this moves the lag")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    if args.quick:
        args.runs, args.lag_seconds, args.join_rows = 2, 3.0, 100_000

    print(f"# aurora_lite replicas benchmark: python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start, runs={args.runs}, "
          f"switch interval {sys.getswitchinterval() * 1000:g} ms")
    report: dict = {"runs": args.runs, "switch_interval_s": sys.getswitchinterval(),
                    "load_average_start": os.getloadavg()[0]}
    if "lag" in args.only:
        print(f"\n## replica lag, {args.rate:g} single-row commits/s for {args.lag_seconds:g} s, 2 readers "
              f"(target p99 <= 20 ms)")
        for engine in args.engines:
            runs = [replica_lag(engine, rate=args.rate, seconds=args.lag_seconds) for _ in range(args.runs)]
            for r in runs:
                print(f"  {engine:18s} run: rate {r['rate_achieved']:7.1f}/s  lag p50 {r['lag_p50_ms']:6.2f}  "
                      f"p90 {r['lag_p90_ms']:6.2f}  p99 {r['lag_p99_ms']:7.2f}  max {r['lag_max_ms']:7.2f} ms  "
                      f"(commit p50 {r['commit_p50_ms']:.2f} p99 {r['commit_p99_ms']:.2f} ms, "
                      f"{r['samples']}/{r['samples_expected']} samples)")
            print(f"  {engine:18s} MEDIAN: lag p50 {median_of(runs, 'lag_p50_ms')} ms, "
                  f"p99 {median_of(runs, 'lag_p99_ms')} ms, max {median_of(runs, 'lag_max_ms')} ms, "
                  f"rate {median_of(runs, 'rate_achieved')}/s")
            report.setdefault("lag", []).extend(runs)
    if "failover" in args.only:
        for kind, target in (("planned", "<= 100 ms"), ("crash", "<= 1 s")):
            print(f"\n## {kind} failover, {args.failover_rows} rows, 2 readers: call -> first commit on the "
                  f"new writer (target {target})")
            for engine in args.engines:
                runs = [failover_time(engine, kind, rows=args.failover_rows) for _ in range(args.runs)]
                print(f"  {engine:18s} runs (ms): " + ", ".join(f"{r['to_first_write_ms']:.1f}" for r in runs))
                print(f"  {engine:18s} MEDIAN: to first write {median_of(runs, 'to_first_write_ms')} ms "
                      f"(call {median_of(runs, 'call_ms')} ms, FailoverEvent.seconds "
                      f"{median_of(runs, 'event_seconds_ms')} ms)")
                report.setdefault("failover", []).extend(runs)
    if "join" in args.only:
        print(f"\n## a new reader joins a {args.join_rows}-row database (add_reader wall time)")
        for engine in args.engines:
            *runs, busy = reader_join(engine, rows=args.join_rows, runs=args.runs)
            print(f"  {engine:18s} runs (ms): " + ", ".join(f"{r['join_ms']:.0f}" for r in runs))
            print(f"  {engine:18s} MEDIAN: {median_of(runs, 'join_ms')} ms")
            print(f"  {engine:18s} with a writer committing meanwhile: join {busy['busy_join_ms']:.0f} ms, "
                  f"{busy['commits_during']} commits during it, commit p50 {busy['commit_p50_ms']:.2f} ms, "
                  f"max {busy['commit_max_ms']:.2f} ms")
            report.setdefault("join", []).extend([*runs, busy])
    print(f"\n# load average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
