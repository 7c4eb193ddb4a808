"""The same SQL workloads on aurora_lite, raw DuckDB and SQLite, in memory and on disk, in one process.

Run from the repository root: ``python benchmarks/compare.py`` (a minute or two;
``--reps N``, ``--quick`` for a smoke run, ``--json PATH`` to keep the figures).

Engines, each through its own Python driver with its own placeholders:

- aurora_lite, aurora-postgresql, in memory (the default) and durable
  (``path=``, ``fsync="always"``: six segment files synced per commit);
- DuckDB ``:memory:`` and a DuckDB file;
- SQLite ``:memory:`` and a SQLite file (WAL, ``synchronous=FULL``: durable).

Workloads (a fresh database per engine, workload and repetition):

1. point select by primary key: ``SELECT name, amount FROM kv WHERE id = ?``
   over a 10,000-row table, one ``fetchone`` each;
2. single-row insert + commit;
3. update by primary key + commit;
4. ``executemany`` of 10,000 rows into an empty table, then one commit;
5. a join and aggregate: 50,000 orders joined to 1,000 customers, grouped by
   region.

Each repetition runs every workload on every engine, engines interleaved, so
that a noisy minute hits all of them; the table quotes the median over the
repetitions of each figure (per-operation mean for 1-3, per-batch or
per-query time for 4-5). The ratio is aurora_lite's figure divided by the
engine's, against the aurora_lite of the same kind (memory vs memory, disk vs
file): "x 40" means aurora_lite takes 40 times as long.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import duckdb

import aurora_lite as al

KV_ROWS = 10_000
BULK_ROWS = 10_000
ORDERS = 50_000
CUSTOMERS = 1_000
REGIONS = ("north", "south", "east", "west", "central", "islands", "coast", "hills", "plains", "city")

CREATE_KV = "CREATE TABLE kv (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, amount DOUBLE PRECISION NOT NULL)"
CREATE_CUSTOMERS = "CREATE TABLE customers (id BIGINT PRIMARY KEY, region VARCHAR(16) NOT NULL)"
CREATE_ORDERS = ("CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, "
                 "amount DOUBLE PRECISION NOT NULL)")
JOIN = ("SELECT c.region, count(*), sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id "
        "GROUP BY c.region ORDER BY c.region")


def kv_row(i: int) -> tuple[int, str, float]:
    return (i, f"customer-{i:06d}", i * 0.5)


# ------------------------------------------------------------------ engines
class Engine:
    """One database under test: its driver's connection, placeholder and transaction calls.

    open() sets conn (the driver's connection) and cur (what executes: a cursor, or
    DuckDB's connection itself); the calls below go to them as PEP 249 spells them.
    """

    name = "?"
    kind = "memory"  # or "disk"
    placeholder = "?"
    conn: Any
    cur: Any

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.cur.execute(sql, params)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.cur.executemany(sql, rows)

    def fetchone(self) -> Any:
        return self.cur.fetchone()

    def fetchall(self) -> list[Any]:
        return self.cur.fetchall()

    def commit(self) -> None:
        self.conn.commit()

    def load(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Set-up data (not timed), by the driver's fastest plain route; executemany by default."""
        marks = ", ".join([self.placeholder] * len(rows[0]))
        self.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        self.commit()

    def sql(self, text: str) -> str:
        return text.replace("{p}", self.placeholder)


class Aurora(Engine):
    placeholder = "%s"

    def __init__(self, workdir: Path, disk: bool) -> None:
        super().__init__(workdir)
        self.kind = "disk" if disk else "memory"
        self.name = f"aurora_lite {self.kind}"
        self._n = 0

    def open(self) -> None:
        self._n += 1
        path = self.workdir / f"aurora-{self._n}" if self.kind == "disk" else None
        self.cluster = al.Cluster("aurora-postgresql", path=path, fsync="always")
        self.conn = self.cluster.connect()
        self.cur = self.conn.cursor()

    def close(self) -> None:
        self.conn.close()
        self.cluster.close()
        if self.cluster.path is not None:
            shutil.rmtree(self.cluster.path, ignore_errors=True)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.cur.execute(sql, params or None)


class DuckDB(Engine):
    def __init__(self, workdir: Path, disk: bool) -> None:
        super().__init__(workdir)
        self.kind = "disk" if disk else "memory"
        self.name = "duckdb file" if disk else "duckdb memory"
        self._n = 0

    def open(self) -> None:
        self._n += 1
        self.path = self.workdir / f"duck-{self._n}.duckdb" if self.kind == "disk" else None
        self.conn = self.cur = duckdb.connect(str(self.path) if self.path else ":memory:")
        self.conn.execute("BEGIN")

    def close(self) -> None:
        self.conn.close()
        if self.path is not None:
            for p in self.workdir.glob(self.path.name + "*"):
                p.unlink()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(sql, list(params) if params else None)

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")  # like PEP 249: the next statement is in a transaction again

    def load(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        # DuckDB's executemany runs row by row (~0.5 ms a row); set-up data goes in through Arrow.
        import pyarrow as pa

        columns = list(zip(*rows))
        self.conn.register("setup_rows", pa.table({f"c{i}": list(c) for i, c in enumerate(columns)}))
        self.conn.execute(f"INSERT INTO {table} SELECT * FROM setup_rows")
        self.conn.unregister("setup_rows")
        self.commit()


class SQLite(Engine):
    def __init__(self, workdir: Path, disk: bool) -> None:
        super().__init__(workdir)
        self.kind = "disk" if disk else "memory"
        self.name = "sqlite file" if disk else "sqlite memory"
        self._n = 0

    def open(self) -> None:
        self._n += 1
        self.path = self.workdir / f"sqlite-{self._n}.db" if self.kind == "disk" else None
        self.conn = sqlite3.connect(str(self.path) if self.path else ":memory:")
        if self.path is not None:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
        self.cur = self.conn.cursor()

    def close(self) -> None:
        self.conn.close()
        if self.path is not None:
            for p in self.workdir.glob(self.path.name + "*"):
                p.unlink()


# ------------------------------------------------------------------ workloads
class Sizes:
    def __init__(self, quick: bool) -> None:
        self.selects = 300 if quick else 2000
        self.commits = 50 if quick else 300


def _with_kv(e: Engine) -> None:
    e.execute(CREATE_KV)
    e.commit()
    e.load("kv", [kv_row(i) for i in range(KV_ROWS)])


def point_select(e: Engine, sizes: Sizes) -> float:
    """Microseconds per point select (mean over the run)."""
    _with_kv(e)
    sql = e.sql("SELECT name, amount FROM kv WHERE id = {p}")
    rng = random.Random(7)
    ids = [rng.randrange(KV_ROWS) for _ in range(sizes.selects)]
    for i in ids[:50]:  # warm the statement cache
        e.execute(sql, (i,))
        e.fetchone()
    started = time.perf_counter()
    for i in ids:
        e.execute(sql, (i,))
        e.fetchone()
    elapsed = time.perf_counter() - started
    e.commit()
    return elapsed / len(ids) * 1e6


def insert_commit(e: Engine, sizes: Sizes) -> float:
    """Microseconds per single-row INSERT + COMMIT."""
    e.execute(CREATE_KV)
    e.commit()
    sql = e.sql("INSERT INTO kv VALUES ({p}, {p}, {p})")
    for i in range(20):  # warm
        e.execute(sql, kv_row(10**6 + i))
        e.commit()
    started = time.perf_counter()
    for i in range(sizes.commits):
        e.execute(sql, kv_row(i))
        e.commit()
    return (time.perf_counter() - started) / sizes.commits * 1e6


def update_commit(e: Engine, sizes: Sizes) -> float:
    """Microseconds per UPDATE by primary key + COMMIT."""
    _with_kv(e)
    sql = e.sql("UPDATE kv SET amount = amount + 1 WHERE id = {p}")
    rng = random.Random(11)
    ids = [rng.randrange(KV_ROWS) for _ in range(sizes.commits + 20)]
    for i in ids[:20]:
        e.execute(sql, (i,))
        e.commit()
    started = time.perf_counter()
    for i in ids[20:]:
        e.execute(sql, (i,))
        e.commit()
    return (time.perf_counter() - started) / sizes.commits * 1e6


def bulk_insert(e: Engine, sizes: Sizes) -> float:
    """Milliseconds for executemany of 10,000 rows and its commit."""
    e.execute(CREATE_KV)
    e.commit()
    rows = [kv_row(i) for i in range(BULK_ROWS)]
    sql = e.sql("INSERT INTO kv VALUES ({p}, {p}, {p})")
    started = time.perf_counter()
    e.executemany(sql, rows)
    e.commit()
    return (time.perf_counter() - started) * 1e3


def join_aggregate(e: Engine, sizes: Sizes) -> float:
    """Milliseconds per join + group-by query (median of 5 runs after a warm-up)."""
    e.execute(CREATE_CUSTOMERS)
    e.execute(CREATE_ORDERS)
    e.commit()
    e.load("customers", [(i, REGIONS[i % len(REGIONS)]) for i in range(CUSTOMERS)])
    e.load("orders", [(i, (i * 7919) % CUSTOMERS, (i % 500) * 1.25) for i in range(ORDERS)])
    e.execute(JOIN)
    expected = e.fetchall()
    assert len(expected) == len(REGIONS) and sum(r[1] for r in expected) == ORDERS
    times = []
    for _ in range(5):
        started = time.perf_counter()
        e.execute(JOIN)
        e.fetchall()
        times.append(time.perf_counter() - started)
    e.commit()
    return statistics.median(times) * 1e3


WORKLOADS: list[tuple[str, str, Callable[[Engine, Sizes], float]]] = [
    ("point select by PK", "µs/op", point_select),
    ("insert 1 row + commit", "µs/op", insert_commit),
    ("update by PK + commit", "µs/op", update_commit),
    ("executemany 10k rows + commit", "ms", bulk_insert),
    ("join + aggregate, 50k x 1k rows", "ms/query", join_aggregate),
]


# ------------------------------------------------------------------ run and report
def run(reps: int, quick: bool, only: set[str] | None = None) -> dict[str, dict[str, float]]:
    """{workload: {engine: median figure}} over reps repetitions, engines interleaved."""
    workdir = Path(tempfile.mkdtemp(prefix="aurora-compare-"))
    try:
        engines: list[Engine] = [Aurora(workdir, False), DuckDB(workdir, False), SQLite(workdir, False),
                                 Aurora(workdir, True), DuckDB(workdir, True), SQLite(workdir, True)]
        sizes = Sizes(quick)
        figures: dict[str, dict[str, list[float]]] = {w: {e.name: [] for e in engines} for w, _, _ in WORKLOADS}
        for rep in range(reps):
            for workload, _, fn in WORKLOADS:
                if only and workload not in only:
                    continue
                order = engines if rep % 2 == 0 else list(reversed(engines))
                for engine in order:
                    engine.open()
                    try:
                        figures[workload][engine.name].append(fn(engine, sizes))
                    finally:
                        engine.close()
            print(f"  repetition {rep + 1}/{reps} done", file=sys.stderr, flush=True)
        return {w: {name: statistics.median(v) for name, v in by_engine.items() if v}
                for w, by_engine in figures.items() if any(by_engine.values())}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


ENGINE_ORDER = ("aurora_lite memory", "duckdb memory", "sqlite memory", "aurora_lite disk", "duckdb file",
                "sqlite file")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def table(results: dict[str, dict[str, float]]) -> list[str]:
    """Medians, then ratios (aurora_lite of the same kind / engine)."""
    units = {w: u for w, u, _ in WORKLOADS}
    headers = ["workload", "unit", *ENGINE_ORDER]
    rows = [[w, units[w], *(_fmt(results[w][e]) if e in results[w] else "-" for e in ENGINE_ORDER)]
            for w in results]
    ratio_rows = []
    for w, by_engine in results.items():
        cells = []
        for e in ENGINE_ORDER:
            mine = by_engine.get("aurora_lite disk" if e in ("duckdb file", "sqlite file", "aurora_lite disk")
                                  else "aurora_lite memory")
            cells.append("-" if e.startswith("aurora_lite") or mine is None or e not in by_engine
                         else f"x {_ratio(mine / by_engine[e])}")
        ratio_rows.append([w, "", *cells])
    lines = ["Medians (lower is better):"] + _grid(headers, rows)
    lines += ["", "aurora_lite's median / the engine's (memory vs memory, disk vs file):"]
    lines += _grid(["workload", "", *ENGINE_ORDER], ratio_rows)
    return lines


def _ratio(r: float) -> str:
    return f"{r:,.0f}" if r >= 10 else f"{r:.1f}" if r >= 1 else f"{r:.2g}"


def _grid(headers: list[str], rows: list[list[str]]) -> list[str]:
    cells = [headers] + rows
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for n, row in enumerate(cells):
        out.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"python": platform.python_version(), "duckdb": duckdb.__version__,
            "sqlite": sqlite3.sqlite_version, "aurora_lite": al.__version__, "cpu": cpu,
            "cores": str(os.cpu_count()), "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--quick", action="store_true", help="fewer operations per run (a smoke run)")
    parser.add_argument("--workload", action="append", choices=[w for w, _, _ in WORKLOADS],
                        help="run only this workload (repeatable)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    info = machine()
    print("aurora_lite vs DuckDB vs SQLite, same workloads, one process")
    print(", ".join(f"{k} {v}" for k, v in info.items()))
    started = time.perf_counter()
    results = run(args.reps, args.quick, set(args.workload) if args.workload else None)
    print(f"{args.reps} repetitions{' (quick)' if args.quick else ''} in {time.perf_counter() - started:.0f} s\n")
    print("\n".join(table(results)))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "reps": args.reps, "quick": args.quick,
                                         "units": {w: u for w, u, _ in WORKLOADS}, "medians": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
