"""A threaded run: client threads commit against the writer while the main thread injects faults.

Three client threads, each with its own seeded random stream, run workload
transactions on the writer and record them in the history (without commit LSNs);
the main thread walks the schedule's steps and injects a fault among those that
apply at the seeded fault rate. The schedule is reproducible, the interleaving of
the threads is not; such runs are checked Elle-style at the end (final_checks.py).
"""
from __future__ import annotations

import random
import threading
import time

from ..dbapi.exceptions import Error
from .client_sessions import _close_quietly, _connection_lost, _err
from .history import Txn
from .workload import parse_list, plan, sql_for


class ThreadedSchedule:
    """Simulation's threaded schedule and client threads (a part of `simulation.Simulation`)."""

    # ------------------------------------------------------------------ threaded runs
    def _run_threaded(self) -> None:
        """Client threads run transactions on the writer while this thread injects faults."""
        stop = threading.Event()
        clients = 3
        seeds = [self.rng.randrange(2**32) for _ in range(clients)]
        threads = [threading.Thread(target=self._client_thread, args=(n, seeds[n], stop), name=f"sim-client-{n}",
                                    daemon=True) for n in range(clients)]
        for t in threads:
            t.start()
        try:
            for step in range(1, self.config.steps + 1):
                self.step = step
                self.now += 1.0
                self._tune_timeouts()
                if self.rng.random() < self.config.fault_rate:
                    kind = self.rng.choice(("fail_segment", "restore_segment", "fail_az", "restore_az",
                                            "slow_segment", "unslow_segment", "deliver_delayed", "replace_segment",
                                            "writer_crash", "reader_crash", "failover", "pause_replication",
                                            "resume_replication"))
                    v = self.cluster.volume
                    applicable = {
                        "fail_segment": any(s.available for pg in v.protection_groups for s in pg.segments),
                        "restore_segment": any(not s.available for pg in v.protection_groups for s in pg.segments),
                        "restore_az": bool(v._down_azs),
                        "unslow_segment": any(s.delay_acks for pg in v.protection_groups for s in pg.segments),
                        "reader_crash": any(r.status == "available" for r in self.cluster.readers),
                        "failover": any(r.status == "available" for r in self.cluster.readers),
                        "pause_replication": bool(self.cluster.readers) and not self.paused,
                        "resume_replication": self.paused,
                    }
                    if applicable.get(kind, True):
                        self.faults[kind] += 1
                        try:
                            getattr(self, f"_f_{kind}")(v)
                        except Error as exc:
                            self.note(f"fault {kind}: {_err(exc)}")
                time.sleep(self.rng.uniform(0.001, 0.01))
        finally:
            stop.set()
            for t in threads:
                t.join(30.0)
        self._settle_threads(10.0)

    def _client_thread(self, n: int, seed: int, stop: threading.Event) -> None:
        rng = random.Random(seed)
        conn = None
        while not stop.is_set():
            with self._lock:
                txn_id = next(self._txn_ids)
            kind, ops = plan(rng, txn_id)
            txn = Txn(txn_id, f"t{n}", kind)
            with self._lock:
                self.history.txns.append(txn)
            try:
                if conn is None:
                    conn = self.cluster.connect("writer")
                cur = conn.cursor()
                local: dict = {}
                for op in ops:
                    sql, params = sql_for(op, local.get(op.key))
                    cur.execute(sql, params)
                    if op.kind == "r":
                        raw = cur.fetchall()[0][0]
                        value = parse_list(raw) if op.key[0] == "la" else int(raw)
                        local[op.key] = value
                        txn.ops.append(("r", op.key, value))
                    elif op.kind == "a":
                        txn.ops.append(("a", op.key, op.elem))
                    else:
                        local[op.key] += op.delta
                        txn.ops.append(("w", op.key, local[op.key]))
                try:
                    conn.commit()
                except Error as exc:
                    txn.status, txn.error = ("unknown" if txn.writes else "fail"), _err(exc)
                    if _connection_lost(exc):
                        _close_quietly(conn)
                        conn = None
                    continue
                txn.status = "ok"
            except Error as exc:
                txn.status, txn.error = "fail", _err(exc)
                if conn is not None and _connection_lost(exc):
                    _close_quietly(conn)
                    conn = None
                elif conn is not None:
                    try:
                        conn.rollback()
                    except Error:
                        _close_quietly(conn)
                        conn = None
                time.sleep(0.002)
            except Exception as exc:  # noqa: BLE001 - a user must never see one
                txn.status, txn.error = "fail", f"{type(exc).__name__}: {exc}"
                self._thread_errors.append(f"client {n}: {type(exc).__name__}: {exc} [unexpected]")
                return
        _close_quietly(conn)
