"""Workloads shared by the pytest-benchmark suite and the side-by-side script.

Payloads are built once, outside any timed region: the engine's change capture
(Arrow IPC encoding, ~15-25 µs for one row) is its cost, not the volume's.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pyarrow as pa

from aurora_lite.storage import RecordKind, RedoRecord, Volume
from aurora_lite.storage.rows import encode_rows

BULK_RECORDS = 10_000  # one-row upsert records per append in the bulk workload


def one_row_table(row_id: int = 1) -> pa.Table:
    """One (id, name, amount) row."""
    return pa.table({"id": pa.array([row_id], pa.int64()), "name": [f"customer-{row_id:06d}"],
                     "amount": pa.array([12.5], pa.float64())})


def one_row_payload(row_id: int = 1) -> bytes:
    """A ROW_UPSERT payload holding one row, as change capture makes it."""
    return encode_rows(one_row_table(row_id), ["id"])


def one_row_record(row_id: int = 1, page: int = 7) -> RedoRecord:
    """One ROW_UPSERT record of one row."""
    return RedoRecord(page, RecordKind.ROW_UPSERT, one_row_payload(row_id))


def bulk_records(n: int = BULK_RECORDS, pages: int = 1024) -> list[RedoRecord]:
    """n one-row upsert records spread over pages (all in the first protection group)."""
    payload = one_row_payload()
    return [RedoRecord(i % pages, RecordKind.ROW_UPSERT, payload) for i in range(n)]


def warm(volume: Volume) -> Volume:
    """Commit once so the first protection group (six files, a metadata fsync) exists before timing."""
    volume.commit([one_row_record()], commit_time=1.0)
    return volume


def commit_latencies_ns(commit: Callable[[], object], n: int) -> list[int]:
    """Time n calls of commit one by one with perf_counter_ns; sorted."""
    out = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t0 = clock()
        commit()
        out.append(clock() - t0)
    out.sort()
    return out


def percentile(sorted_ns: list[int], q: float) -> float:
    """The q-quantile (0..1) of sorted values, nearest rank."""
    i = min(len(sorted_ns) - 1, max(0, round(q * (len(sorted_ns) - 1))))
    return sorted_ns[i]


def run_committers(threads: int, total: int, commit: Callable[[int], object]) -> float:
    """threads committers share total commits (commit(worker) each); returns commits per second."""
    per = total // threads
    start = threading.Barrier(threads + 1)
    errors: list[Exception] = []

    def worker(w: int) -> None:
        start.wait()
        try:
            for _ in range(per):
                commit(w)
        except Exception as exc:  # noqa: BLE001 - re-raised below, not lost in the thread
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return per * threads / elapsed
