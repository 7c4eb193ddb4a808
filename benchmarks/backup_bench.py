"""Backup benchmark: snapshot, clone, point-in-time restore and backtrack times by database size.

    python benchmarks/backup_bench.py [--sizes 10000,100000,1000000] [--runs 3]
                                      [--engines aurora-mysql,aurora-postgresql] [--disk-max 100000]

For each size the table ``t`` is bulk-loaded in one transaction
(``INSERT INTO t SELECT ... FROM range(n)``), then a few small commits follow
so that a point in time between them has something to select. Each figure is
the median of ``--runs`` runs, in seconds:

- snapshot: ``create_snapshot`` (in memory a copy-on-write reference; on disk a compacted copy);
- clone: ``clone()`` until the clone answers ``SELECT count(*) FROM t``;
- pitr: ``restore_to_point_in_time(T)`` until the restored cluster answers that query
  (issue target: <= 2 s for 1M rows);
- restore: ``Cluster.restore_from_snapshot`` until the new cluster answers;
- backtrack: ``backtrack(T)`` (Aurora MySQL only) until the writer answers.

On disk (``path=``, sizes up to ``--disk-max``) every restore and clone also gets a path.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

try:
    import aurora_lite as al
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import aurora_lite as al

PITR_TARGET_S = 2.0
DDL = {
    "aurora-postgresql": "CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(40), v DOUBLE PRECISION)",
    "aurora-mysql": "CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(40), v DOUBLE)",
}


class Clock:
    """Deterministic commit times: the benchmark moves it by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def answers(cluster: al.Cluster, rows: int) -> None:
    """The cluster is usable: a connection answers a query over the whole table."""
    conn = cluster.connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM t")
        (count,) = cur.fetchone()
        assert count == rows, f"expected {rows} rows, found {count}"
    finally:
        conn.close()


def load(engine: str, rows: int, clock: Clock, path: Path | None) -> tuple[al.Cluster, float, float]:
    """A cluster holding `rows` rows; (cluster, seconds to load, a restore time after the load)."""
    cluster = al.Cluster(engine, clock=clock, path=path, backup_retention_days=1)
    conn = cluster.connect()
    cur = conn.cursor()
    clock.now += 1
    cur.execute(DDL[engine])
    conn.commit()
    clock.now += 1
    started = time.perf_counter()
    cur.execute(f"INSERT INTO t SELECT i, concat('row-', i), i * 0.5 FROM range({rows}) AS r(i)")
    conn.commit()
    loaded = time.perf_counter() - started
    restore_at = clock.now + 0.5
    for i in range(5):  # a little history after the bulk load: the restore point lies between commits
        clock.now += 1
        cur.execute("UPDATE t SET v = v + 1 WHERE id = %s", (i,))
        conn.commit()
    conn.close()
    clock.now += 1
    return cluster, loaded, restore_at


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def bench_one(engine: str, rows: int, runs: int, disk: bool) -> dict[str, float | None]:
    clock = Clock()
    root = Path(tempfile.mkdtemp(prefix="aurora-backup-bench-")) if disk else None
    try:
        cluster, loaded, restore_at = load(engine, rows, clock, root / "src" if root else None)
        figures: dict[str, list[float]] = {"snapshot": [], "clone": [], "pitr": [], "restore": [], "backtrack": []}
        try:
            for run in range(runs):
                def target(name: str, run: int = run) -> Path | None:
                    return root / f"{name}-{run}" if root else None

                seconds, snapshot = timed(lambda run=run: cluster.create_snapshot(f"bench-{run}"))
                figures["snapshot"].append(seconds)

                def clone_and_query(run: int = run, target=target) -> al.Cluster:
                    clone = cluster.clone(name=f"clone-{run}", path=target("clone"))
                    answers(clone, rows)
                    return clone

                def pitr_and_query(run: int = run, target=target) -> al.Cluster:
                    restored = cluster.restore_to_point_in_time(restore_at, name=f"pitr-{run}", path=target("pitr"))
                    answers(restored, rows)
                    return restored

                def restore_and_query(run: int = run, target=target, snapshot=snapshot) -> al.Cluster:
                    restored = al.Cluster.restore_from_snapshot(snapshot, name=f"snap-{run}", path=target("snap"))
                    answers(restored, rows)
                    return restored

                for key, action in (("clone", clone_and_query), ("pitr", pitr_and_query),
                                    ("restore", restore_and_query)):
                    seconds, made = timed(action)
                    figures[key].append(seconds)
                    made.close()
                if engine == "aurora-mysql":
                    clock.now += 1

                    def backtrack_and_query() -> None:
                        cluster.backtrack(restore_at)
                        answers(cluster, rows)

                    seconds, _ = timed(backtrack_and_query)
                    figures["backtrack"].append(seconds)
        finally:
            cluster.close()
        result: dict[str, float | None] = {"load": loaded}
        result.update({key: statistics.median(values) if values else None for key, values in figures.items()})
        return result
    finally:
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated row counts")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--engines", default="aurora-mysql,aurora-postgresql")
    parser.add_argument("--disk-max", type=int, default=100_000, help="largest size also measured on disk")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    engines = [e for e in args.engines.split(",") if e]

    columns = ("rows", "storage", "engine", "load", "snapshot", "clone", "pitr", "restore", "backtrack")
    widths = (9, 7, 17, 10, 10, 10, 10, 10, 10)
    line = "  ".join(f"{c:>{w}}" for c, w in zip(columns, widths))
    print(line)
    print("-" * len(line))
    missed = []
    for rows in sizes:
        for disk in (False, True):
            if disk and rows > args.disk_max:
                continue
            for engine in engines:
                r = bench_one(engine, rows, args.runs, disk)
                cells = (f"{rows:,}", "disk" if disk else "memory", engine,
                         *(fmt(r[k]) for k in ("load", "snapshot", "clone", "pitr", "restore", "backtrack")))
                print("  ".join(f"{c:>{w}}" for c, w in zip(cells, widths)), flush=True)
                if rows >= 1_000_000 and not disk and r["pitr"] is not None and r["pitr"] > PITR_TARGET_S:
                    missed.append(f"{engine} {rows:,} rows: PITR {r['pitr']:.2f} s > {PITR_TARGET_S} s")
    print(f"\nmedian of {args.runs} runs; clone / pitr / restore / backtrack include the first query "
          f"(SELECT count(*) FROM t) on the result")
    for miss in missed:
        print(f"TARGET MISSED: {miss}")
    if not missed and any(s >= 1_000_000 for s in sizes):
        print(f"target met: PITR of 1M rows <= {PITR_TARGET_S} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
