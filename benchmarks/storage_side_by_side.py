"""aurora_lite's cluster volume next to SQLite and DuckDB, same work, one process.

Run from the repository root: ``python benchmarks/storage_side_by_side.py``
(``--reps N`` to change the repetitions, ``--json PATH`` to keep the figures).

Workloads (each repeated --reps times, engines interleaved within a repetition
so that machine noise hits all of them; the table quotes medians of the
per-repetition figures and ratios between them):

1. one-row durable commit latency on disk: aurora_lite (fsync="always", six
   segment files, 4/6 quorum) vs SQLite WAL synchronous=FULL vs SQLite WAL
   synchronous=NORMAL (no fsync at commit: not durable on power loss) vs DuckDB
   file database (single-row INSERT in autocommit);
2. one-row commit in memory: aurora_lite in-memory volume vs SQLite :memory:
   vs DuckDB :memory:;
3. bulk insert of 100k rows in one transaction, in memory and on disk;
4. 1 vs 8 concurrent committer threads on disk, aurora_lite vs SQLite WAL FULL.

aurora_lite is driven at its storage API (Volume.commit with a ROW_UPSERT
record per row); the peers through SQL. The cost of Arrow-encoding a row
(change capture, an engine cost) is shown as a separate line. Keep the whole
run under ~2 minutes on a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
for p in (HERE, HERE.parent):  # the repository root (aurora_lite) and this folder (storage_workloads)
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from storage_workloads import (
    BULK_RECORDS,
    commit_latencies_ns,
    one_row_payload,
    one_row_record,
    one_row_table,
    percentile,
    run_committers,
    warm,
)

from aurora_lite.storage import RecordKind, RedoRecord, Volume
from aurora_lite.storage.rows import encode_rows

BULK_ROWS = 100_000
BULK_PAGES = 256           # page-batched bulk: one ROW_UPSERT record per page
CONCURRENT_COMMITS = 800   # per run, shared by the committer threads
SQL_CREATE = "CREATE TABLE t (id {int} PRIMARY KEY, name {text}, amount {real})"
SQL_INSERT = "INSERT INTO t VALUES (?, ?, ?)"


# ------------------------------------------------------------------ engines
class Workdir:
    """Fresh paths under one temporary folder."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="aurora-side-by-side-")
        self._n = 0

    def path(self, name: str) -> str:
        self._n += 1
        return os.path.join(self._tmp.name, f"{self._n:04d}-{name}")

    def cleanup(self) -> None:
        self._tmp.cleanup()


def aurora_volume(wd: Workdir, disk: bool) -> Volume:
    return warm(Volume(wd.path("volume"), fsync="always") if disk else Volume())


def discard_volume(volume: Volume) -> None:
    """Close a volume and delete its files (a bulk run on disk writes ~400 MB: six replicas)."""
    volume.close()
    if volume.path is not None:
        shutil.rmtree(volume.path, ignore_errors=True)


def sqlite_db(wd: Workdir | None, synchronous: str = "FULL") -> sqlite3.Connection:
    path = ":memory:" if wd is None else wd.path("sqlite.db")
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    if wd is not None:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(f"PRAGMA synchronous={synchronous}")
    con.execute("PRAGMA busy_timeout=30000")
    con.execute(SQL_CREATE.format(int="INTEGER", text="TEXT", real="REAL"))
    return con


def sqlite_connect_more(con_path: str, synchronous: str) -> sqlite3.Connection:
    con = sqlite3.connect(con_path, isolation_level=None, check_same_thread=False)
    con.execute(f"PRAGMA synchronous={synchronous}")
    con.execute("PRAGMA busy_timeout=30000")
    return con


def duckdb_db(wd: Workdir | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:" if wd is None else wd.path("duck.duckdb"))
    con.execute(SQL_CREATE.format(int="BIGINT", text="VARCHAR", real="DOUBLE"))
    return con


def row(i: int) -> tuple[int, str, float]:
    return (i, f"customer-{i:06d}", 12.5)


def sql_inserter(con: sqlite3.Connection | duckdb.DuckDBPyConnection) -> Callable[[], object]:
    """A one-row autocommit INSERT with a fresh key on each call."""
    ids = iter(range(10**9))
    return lambda: con.execute(SQL_INSERT, row(next(ids)))


# ------------------------------------------------------------------ 1 + 2: one-row commit latency
def latency_rep(wd: Workdir, disk: bool, n_fast: int, n_slow: int) -> dict[str, tuple[float, float]]:
    """One repetition: {engine: (p50_us, p99_us)} of one-row commits."""
    out: dict[str, tuple[float, float]] = {}

    def measure(name: str, commit: Callable[[], object], n: int) -> None:
        commit_latencies_ns(commit, max(20, n // 10))  # warm-up
        lat = commit_latencies_ns(commit, n)
        out[name] = (percentile(lat, 0.5) / 1e3, percentile(lat, 0.99) / 1e3)

    volume = aurora_volume(wd, disk)
    batch = [one_row_record()]
    measure("aurora_lite", lambda: volume.commit(batch), n_fast)
    if not disk:
        ids = iter(range(10**9))

        def capture_and_commit() -> None:  # what an engine pays per one-row transaction
            payload = encode_rows(one_row_table(next(ids)), ["id"])
            volume.commit([RedoRecord(7, RecordKind.ROW_UPSERT, payload)])

        measure("aurora_lite + encode_rows", capture_and_commit, n_fast)
    volume.close()

    for label, synchronous in (("sqlite WAL FULL", "FULL"), ("sqlite WAL NORMAL", "NORMAL")) if disk else (
            ("sqlite :memory:", None),):
        con = sqlite_db(wd if disk else None, synchronous or "FULL")
        measure(label, sql_inserter(con), n_fast)
        con.close()

    con = duckdb_db(wd if disk else None)
    measure("duckdb file" if disk else "duckdb :memory:", sql_inserter(con), n_slow)
    con.close()
    return out


# ------------------------------------------------------------------ 3: bulk insert
def bulk_inputs() -> dict[str, object]:
    payload = one_row_payload()
    records = [RedoRecord(i % 1024, RecordKind.ROW_UPSERT, payload) for i in range(BULK_ROWS)]
    ids = pa.array(range(BULK_ROWS), pa.int64())
    table = pa.table({"id": ids, "name": pc.binary_join_element_wise("customer-", pc.cast(ids, pa.string()), ""),
                      "amount": pa.array([12.5] * BULK_ROWS, pa.float64())})
    tuples = [row(i) for i in range(BULK_ROWS)]
    return {"records": records, "table": table, "tuples": tuples}


def aurora_bulk_records(volume: Volume, records: list[RedoRecord]) -> None:
    """100k one-row records as one transaction: appends of 10k, the last with the COMMIT; wait for VDL."""
    last = len(records) - BULK_RECORDS
    for start in range(0, len(records), BULK_RECORDS):
        lsn = volume.append(records[start:start + BULK_RECORDS], txn=1,
                            commit_time=time.time() if start == last else None)
    volume.wait_for_vdl(lsn, 120.0)


def aurora_bulk_pages(volume: Volume, table: pa.Table) -> None:
    """The rows grouped into BULK_PAGES pages (hash of key), one Arrow record per page, encoding included."""
    pages = pc.bit_wise_and(table["id"], BULK_PAGES - 1)
    order = pc.sort_indices(pages)
    table = table.take(order)
    counts = pc.value_counts(pc.take(pages, order))
    records, offset = [], 0
    for item in counts:
        page, count = item["values"].as_py(), item["counts"].as_py()
        records.append(RedoRecord(page, RecordKind.ROW_UPSERT, encode_rows(table.slice(offset, count), ["id"])))
        offset += count
    volume.commit(records, timeout_s=120.0)


def sqlite_bulk(con: sqlite3.Connection, tuples: list) -> None:
    con.execute("BEGIN")
    con.executemany(SQL_INSERT, tuples)
    con.execute("COMMIT")


def duckdb_bulk(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    con.register("bulk_rows", table)
    con.execute("INSERT INTO t SELECT * FROM bulk_rows")
    con.unregister("bulk_rows")


def bulk_rep(wd: Workdir, inputs: dict[str, object]) -> dict[str, float]:
    """One repetition: {engine/where: seconds for 100k rows, durable where on disk}."""
    out: dict[str, float] = {}

    def timed(name: str, make: Callable[[], object], work: Callable[[object], None],
              close: Callable[[object], None]) -> None:
        target = make()
        t0 = time.perf_counter()
        work(target)
        out[name] = time.perf_counter() - t0
        close(target)

    for disk, where in ((False, "memory"), (True, "disk")):
        folder = wd if disk else None
        timed(f"aurora_lite 100k one-row records [{where}]", partial(aurora_volume, wd, disk),
              partial(aurora_bulk_records, records=inputs["records"]), discard_volume)
        timed(f"aurora_lite 256 page records, encode incl. [{where}]", partial(aurora_volume, wd, disk),
              partial(aurora_bulk_pages, table=inputs["table"]), discard_volume)
        timed(f"sqlite executemany, 1 txn [{where}]", partial(sqlite_db, folder, "FULL"),
              partial(sqlite_bulk, tuples=inputs["tuples"]), sqlite3.Connection.close)
        timed(f"duckdb INSERT from Arrow [{where}]", partial(duckdb_db, folder),
              partial(duckdb_bulk, table=inputs["table"]), duckdb.DuckDBPyConnection.close)
    return out


# ------------------------------------------------------------------ 4: concurrent committers
def aurora_committers(wd: Workdir, threads: int) -> float:
    """commits/s of threads committers on one fresh on-disk volume (fsync="always")."""
    volume = aurora_volume(wd, True)
    batch = [one_row_record()]
    try:
        return run_committers(threads, CONCURRENT_COMMITS, lambda _w: volume.commit(batch))
    finally:
        discard_volume(volume)


def sqlite_committers(wd: Workdir, threads: int) -> float:
    """commits/s of threads committers, one connection each, on one SQLite WAL FULL database."""
    path = wd.path("sqlite-conc.db")
    first = sqlite3.connect(path, isolation_level=None)
    first.execute("PRAGMA journal_mode=WAL")
    first.execute(SQL_CREATE.format(int="INTEGER", text="TEXT", real="REAL"))
    cons = [sqlite_connect_more(path, "FULL") for _ in range(threads)]
    ids = iter(range(10**9))
    lock = threading.Lock()

    def commit(w: int) -> None:
        with lock:
            i = next(ids)
        cons[w].execute(SQL_INSERT, row(i))

    try:
        return run_committers(threads, CONCURRENT_COMMITS, commit)
    finally:
        for con in cons:
            con.close()
        first.close()


def concurrency_rep(wd: Workdir) -> dict[str, float]:
    """One repetition: commits/s of 1 and 8 committer threads, aurora_lite and SQLite WAL FULL."""
    out: dict[str, float] = {}
    for threads in (1, 8):
        out[f"aurora_lite x{threads}"] = aurora_committers(wd, threads)
    for threads in (1, 8):
        out[f"sqlite WAL FULL x{threads}"] = sqlite_committers(wd, threads)
    return out


# ------------------------------------------------------------------ report
def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "duckdb": duckdb.__version__, "pyarrow": pa.__version__,
            "platform": platform.platform()}


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], scale: float = 1.0, fmt: str = ",.1f") -> str:
    """min–max of the per-repetition figures."""
    return f"{min(values) * scale:{fmt}}–{max(values) * scale:{fmt}}"


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


def latency_table(title: str, reps: list[dict[str, tuple[float, float]]], base: str) -> dict[str, dict]:
    names = list(reps[0])
    p50 = {n: med([r[n][0] for r in reps]) for n in names}
    p99 = {n: med([r[n][1] for r in reps]) for n in names}
    rows = [[n, f"{p50[n]:,.1f}", spread([r[n][0] for r in reps]), f"{p99[n]:,.1f}", f"{p50[n] / p50[base]:.2f}"]
            for n in names]
    print_table(title, ["engine", "p50 µs", "p50 min–max", "p99 µs", "p50 ÷ aurora_lite"], rows)
    return {n: {"p50_us": p50[n], "p99_us": p99[n], "ratio_to_aurora": p50[n] / p50[base]} for n in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=7, help="repetitions of each measurement (default 7)")
    parser.add_argument("--commits", type=int, default=1000,
                        help="one-row commits timed per repetition for fast engines (default 1000)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    info = machine()
    print("aurora_lite storage side by side — " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print(f"{args.reps} repetitions, medians of per-repetition figures; ratios are what to read, not lone times")

    wd = Workdir()
    results: dict[str, object] = {"machine": info, "reps": args.reps}
    try:
        n_fast, n_slow = args.commits, max(100, args.commits * 3 // 10)
        disk_reps = [latency_rep(wd, True, n_fast, n_slow) for _ in range(args.reps)]
        mem_reps = [latency_rep(wd, False, n_fast * 3, n_slow) for _ in range(args.reps)]
        inputs = bulk_inputs()
        bulk_reps = [bulk_rep(wd, inputs) for _ in range(args.reps)]
        conc_reps = [concurrency_rep(wd) for _ in range(args.reps)]
    finally:
        wd.cleanup()

    results["durable_commit"] = latency_table(
        f"1. One-row durable commit on disk (acked after fdatasync; NORMAL syncs no commit), "
        f"{n_fast} commits per rep (DuckDB {n_slow})", disk_reps, "aurora_lite")
    results["memory_commit"] = latency_table(
        f"2. One-row commit in memory, {n_fast * 3} commits per rep (DuckDB {n_slow})", mem_reps, "aurora_lite")

    names = list(bulk_reps[0])
    secs = {n: med([r[n] for r in bulk_reps]) for n in names}
    rows = []
    for n in names:
        where = n[n.rindex("[") :]
        base = secs[f"aurora_lite 100k one-row records {where}"]
        rows.append([n, f"{secs[n] * 1e3:,.1f}", spread([r[n] for r in bulk_reps], 1e3), f"{BULK_ROWS / secs[n]:,.0f}",
                     f"{secs[n] / base:.2f}"])
    print_table(f"3. Bulk insert of {BULK_ROWS:,} rows in one transaction (durable on disk)",
                ["engine [where]", "ms", "ms min–max", "rows/s", "time ÷ aurora_lite records"], rows)
    results["bulk"] = {n: {"seconds": secs[n], "rows_per_s": BULK_ROWS / secs[n]} for n in names}

    rates = {n: med([r[n] for r in conc_reps]) for n in conc_reps[0]}
    ratio = {e: med([r[f"{e} x8"] / r[f"{e} x1"] for r in conc_reps]) for e in ("aurora_lite", "sqlite WAL FULL")}
    rows = [[e, f"{rates[f'{e} x1']:,.0f}", f"{rates[f'{e} x8']:,.0f}", f"{ratio[e]:.2f}",
             spread([r[f"{e} x8"] / r[f"{e} x1"] for r in conc_reps], fmt=".2f")]
            for e in ("aurora_lite", "sqlite WAL FULL")]
    print_table(f"4. Concurrent one-row durable commits on disk ({CONCURRENT_COMMITS} per run)",
                ["engine", "1 thread commits/s", "8 threads commits/s", "8 ÷ 1", "8 ÷ 1 min–max"], rows)
    cross = med([r["aurora_lite x8"] / r["sqlite WAL FULL x8"] for r in conc_reps])
    print(f"aurora_lite x8 ÷ sqlite WAL FULL x8 (commits/s): {cross:.2f}")
    results["concurrency"] = {"commits_per_s": rates, "ratio_8_to_1": ratio, "aurora8_over_sqlite8": cross}

    targets = [
        ("in-memory one-row commit p50 <= 50 µs", results["memory_commit"]["aurora_lite"]["p50_us"] <= 50),
        ("in-memory bulk >= 200k records/s",
         results["bulk"]["aurora_lite 100k one-row records [memory]"]["rows_per_s"] >= 200_000),
        ("on disk 8 committers >= 4x commits/s of 1", ratio["aurora_lite"] >= 4.0),
    ]
    print("\nIssue targets: " + "; ".join(f"{name}: {'MET' if ok else 'MISSED'}" for name, ok in targets))
    elapsed = time.perf_counter() - started
    print(f"total {elapsed:.0f} s")
    results["targets"] = dict(targets)
    results["elapsed_s"] = elapsed
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
