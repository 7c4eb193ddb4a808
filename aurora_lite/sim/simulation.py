"""One simulated run: a seed, a cluster, a schedule of client steps and faults, then the checker.

Everything the schedule decides comes from ``random.Random(seed)``: the cluster's
shape (engine, in memory or on disk, readers, pages per protection group), and
each step: a client statement (writer sessions interleave statement by
statement, so snapshot-isolation conflicts happen deterministically) or a
fault. The cluster's clock is the simulator's (one second per step). Outcomes
that depend on storage state are deterministic too; the simulator waits for the
cluster's background threads (replica rebuilds, followers) at the end of each
step, and gives every commit that cannot reach quorum a short timeout, so a
rerun of a seed replays the same trace. Threaded runs (a few client threads
against the writer while faults go on) are reproducible in their schedule only.

After every step the volume's invariants are checked; after the schedule
the faults are healed and the history is checked (history.py).

`Simulation` holds a run's state, sets the cluster up, walks the schedule (each
step a client step or a fault picked by weight among those that apply) and tears
down; its parts live in client_sessions.py, storage_faults.py, cluster_faults.py,
step_checks.py, final_checks.py and threaded_schedule.py.
"""
from __future__ import annotations

import collections
import hashlib
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from .. import Cluster
from ..dbapi.exceptions import Error
from ..engine.session import INTERNAL_ERROR
from ..storage import membership
from ..storage import recovery as recovery_module
from ..storage import volume as volume_module
from ..storage.errors import StorageError
from ..storage.faults import FaultyFileSystem
from ..storage.volume import Volume
from .bugs import deliberate_bug
from .client_sessions import ClientSessions, _close_quietly, _err, _Session
from .cluster_faults import ClusterFaults, _Stop
from .config import LONG_TIMEOUT_S, START_TIME, SeedResult, SimConfig
from .final_checks import FinalChecks
from .history import History, Violation
from .step_checks import StepChecks
from .storage_faults import StorageFaults
from .threaded_schedule import ThreadedSchedule
from .workload import initial_state, setup_statements

FAULT_KINDS = (
    "fail_segment", "restore_segment", "fail_az", "restore_az", "partition_flip", "slow_segment", "unslow_segment",
    "deliver_delayed", "replace_segment", "hydrate_step", "writer_crash", "reader_crash", "failover",
    "isolate_tail", "close_reopen", "corrupt_files", "power_loss", "pause_replication", "resume_replication", "snapshot", "restore_snapshot",
    "pitr", "add_reader",
)


class Simulation(ClientSessions, StorageFaults, ClusterFaults, StepChecks, FinalChecks, ThreadedSchedule):
    """One run of one seed."""

    def __init__(self, config: SimConfig, *, bug: str | None = None, tmp_root: str | None = None,
                 echo: bool = False) -> None:
        self.config = config
        self.bug = bug
        self.echo = echo
        self.rng = random.Random(config.seed)
        self.now = START_TIME
        self.step = 0
        self.trace: list[str] = []
        self.violations: list[Violation] = []
        self.faults: collections.Counter = collections.Counter()
        self.history = History(initial_state())
        self._txn_ids = iter(range(1, 10**9))
        self._root_dir = tmp_root
        self.root: Path | None = None
        self.cluster: Cluster | None = None
        self.sessions = [_Session("w0"), _Session("w1")]
        self.reader_conns: dict[str, tuple[Any, str]] = {}
        self._reader_sessions = iter(range(1, 10**9))
        self.snapshots: list[Any] = []
        self._recoveries: list[tuple[Volume, Any]] = []
        self._seen_recoveries = 0
        self._marks: dict[Volume, tuple[int, int]] = {}   # volume -> (vcl, vdl) last seen
        self._thread_errors: list[str] = []
        self.setup_lsn = 0
        self.setup_time = START_TIME
        self.paused = False
        self._lock = threading.Lock()
        self._fs_seeds = random.Random(f"fs/{config.seed}")
        self._force_short = False

    def _file_system(self) -> FaultyFileSystem:
        """Every on-disk volume of a run writes through a seeded fault-injecting file layer
        (fsync skipped: durability is what the layer records, as in SQLite's test VFS)."""
        return FaultyFileSystem(seed=self._fs_seeds.randrange(2**32), real_sync=False)

    # ------------------------------------------------------------------ trace
    def note(self, text: str) -> None:
        line = f"{self.step:4d} {text}"
        self.trace.append(line)
        if self.echo:
            print(line, file=sys.stderr)
        if INTERNAL_ERROR in text and not text.startswith("!!"):
            # engine/session.py turns a bug's bare Python error into XX000 / 1105: still a bug.
            self.violate("error-class", text)

    def _failed(self) -> bool:
        return any(not v.known for v in self.violations)

    def violate(self, invariant: str, message: str) -> None:
        self.violations.append(Violation(invariant, message))
        self.note(f"!! {invariant}: {message}")

    # ------------------------------------------------------------------ run
    def run(self) -> SeedResult:
        started = time.perf_counter()
        original_recover = recovery_module.recover
        original_hook = threading.excepthook

        def observed(volume, **kwargs):
            report = original_recover(volume, **kwargs)
            with self._lock:
                self._recoveries.append((volume, report))
            return report

        def thread_hook(args) -> None:
            name = args.thread.name if args.thread is not None else "?"
            self._thread_errors.append(f"{name}: {args.exc_type.__name__}: {args.exc_value}")
            if not isinstance(args.exc_value, (StorageError, Error)):
                self._thread_errors[-1] += " [unexpected]"

        recovery_module.recover = observed
        threading.excepthook = thread_hook
        original_fs = volume_module.FileSystem
        if self.config.storage == "disk":
            volume_module.FileSystem = self._file_system  # Cluster.open and restores build volumes too
        try:
            with deliberate_bug(self.bug):
                try:
                    self._setup()
                    if self.config.threaded:
                        self._run_threaded()
                    else:
                        self._run_steps()
                    if not self._failed():
                        self._heal_and_check()
                except _Stop:
                    pass
                except Exception as exc:  # noqa: BLE001 - the simulator's own failure, or one a user would see raw
                    self.violate("error-class", f"unexpected {type(exc).__name__}: {exc}\n"
                                 + "".join(traceback.format_exc(limit=8)))
                finally:
                    self._teardown()
        finally:
            recovery_module.recover = original_recover
            threading.excepthook = original_hook
            volume_module.FileSystem = original_fs
        digest = hashlib.sha256("\n".join(self.trace).encode()).hexdigest()[:16]
        acked = sum(1 for t in self.history.txns if t.status == "ok" and t.writes)
        return SeedResult(self.config, self.bug, self.violations, self.trace, self.faults, acked,
                          len(self.history.txns), time.perf_counter() - started, digest)

    def _clock(self) -> float:
        return self.now

    def _setup(self) -> None:
        cfg = self.config
        self.note(f"config {cfg.describe()}" + (f" bug={self.bug}" if self.bug else ""))
        if cfg.storage == "disk":
            base = self._root_dir or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
            self.root = Path(tempfile.mkdtemp(prefix=f"aurora-sim-{cfg.seed}-", dir=base))
            path = self.root / "cluster"
            volume = Volume(path / "volume", pages_per_pg=cfg.pages_per_pg, file_system=self._file_system())
            self.cluster = Cluster(cfg.engine, path=path, _volume=volume, clock=self._clock,
                                   commit_timeout_s=LONG_TIMEOUT_S, replicas=cfg.readers)
        else:
            self.cluster = Cluster(cfg.engine, _volume=Volume(pages_per_pg=cfg.pages_per_pg), clock=self._clock,
                                   commit_timeout_s=LONG_TIMEOUT_S, replicas=cfg.readers)
        conn = self.cluster.connect()
        cur = conn.cursor()
        for sql in setup_statements():
            cur.execute(sql)
            conn.commit()
        conn.close()
        self.setup_lsn = self.cluster.volume.vdl
        self.setup_time = self.now
        self.cluster.wait_for_replicas(LONG_TIMEOUT_S)
        self.note(f"setup vdl={self.setup_lsn} pgs={len(self.cluster.volume.protection_groups)}")

    def _teardown(self) -> None:
        for session in self.sessions:
            _close_quietly(session.conn)
        for conn, _ in self.reader_conns.values():
            _close_quietly(conn)
        if self.cluster is not None:
            try:
                self.cluster.close()
            except Exception as exc:  # noqa: BLE001 - a user must never see one
                self.violate("error-class", f"closing the cluster raised {type(exc).__name__}: {exc}")
        self._settle_threads(2.0)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ the schedule
    def _run_steps(self) -> None:
        for step in range(1, self.config.steps + 1):
            self.step = step
            self.now += 1.0
            self._observe()
            if self._failed():
                return
            if self.rng.random() < self.config.fault_rate:
                self._fault_step()
            else:
                self._client_step()
            self._after_step()
            if self._failed():
                return

    def _client_step(self) -> None:
        readers = [r for r in self.cluster.readers if r.status == "available"]
        if readers and self.rng.random() < 0.2:
            self._reader_read(self.rng.choice(readers).identifier)
        else:
            session = self.sessions[self.rng.randrange(len(self.sessions))]
            for _ in range(self.rng.choice((1, 1, 2, 3))):
                self._writer_step(session)
                if session.txn is None:
                    break

    # ------------------------------------------------------------------ faults
    def _fault_step(self) -> None:
        v = self.cluster.volume
        pgs = v.protection_groups
        segs = [(pg.index, s.index, s) for pg in pgs for s in pg.segments]
        up = [(p, i) for p, i, s in segs if s.available]
        down = [(p, i) for p, i, s in segs if not s.available]
        readers = [r for r in self.cluster.readers if r.status == "available"]
        hydrating = membership.hydrating(v)
        weights = {
            "fail_segment": 10 if up else 0,
            "restore_segment": 8 if down else 0,
            "fail_az": 3 if len(v._down_azs) == 0 else 1,
            "restore_az": 5 if v._down_azs or down else 0,
            "partition_flip": 3 if down else 0,
            "slow_segment": 3 if up else 0,
            "unslow_segment": 3 if any(s.delay_acks for _, _, s in segs) else 0,
            "deliver_delayed": 3 if v._in_flight else 0,
            "replace_segment": 4,
            "hydrate_step": 5 if hydrating else 0,
            "isolate_tail": 12 if v.last_lsn > v.vdl else 0,
            "writer_crash": 3,
            "reader_crash": 2 if readers else 0,
            "failover": 3 if readers else 0,
            "close_reopen": 3 if self.config.storage == "disk" else 0,
            "corrupt_files": 3 if self.config.storage == "disk" else 0,
            "power_loss": 5 if self.config.storage == "disk" else 0,
            "pause_replication": 2 if self.cluster.readers and not self.paused else 0,
            "resume_replication": 4 if self.paused else 0,
            "snapshot": 2,
            "restore_snapshot": 2 if self.snapshots else 0,
            "pitr": 3,
            "add_reader": 2 if len(self.cluster.readers) < self.config.readers else 0,
        }
        kinds = [k for k in FAULT_KINDS if weights[k] > 0]
        kind = self.rng.choices(kinds, [weights[k] for k in kinds])[0]
        self.faults[kind] += 1
        try:
            getattr(self, f"_f_{kind}")(v)
        except Error as exc:
            self.note(f"fault {kind}: {_err(exc)}")
        self._settle_threads(10.0)
