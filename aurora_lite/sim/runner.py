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

import attrs

from .. import Cluster
from ..dbapi.exceptions import Error
from ..storage import membership
from ..storage import recovery as recovery_module
from ..storage import volume as volume_module
from ..storage.errors import StorageError
from ..storage.faults import FaultyFileSystem
from ..storage.protection_group import AZS
from ..storage.volume import Volume
from .bugs import deliberate_bug
from .history import (
    History,
    Observation,
    Txn,
    Violation,
    check_final,
    check_prefix,
    check_snapshot_isolation,
    elle_check,
)
from .workload import (
    TOTAL,
    Op,
    bank_keys,
    initial_state,
    parse_list,
    plan,
    read_state,
    setup_statements,
    sql_for,
)

ENGINES = ("aurora-postgresql", "aurora-mysql")
LONG_TIMEOUT_S = 10.0
SHORT_TIMEOUT_S = 0.1      # a commit that cannot reach quorum (also lets a buggy follower act meanwhile)
START_TIME = 1_700_000_000.0
FAULT_KINDS = (
    "fail_segment", "restore_segment", "fail_az", "restore_az", "partition_flip", "slow_segment", "unslow_segment",
    "deliver_delayed", "replace_segment", "hydrate_step", "writer_crash", "reader_crash", "failover",
    "isolate_tail", "close_reopen", "corrupt_files", "power_loss", "pause_replication", "resume_replication", "snapshot", "restore_snapshot",
    "pitr", "add_reader",
)


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


class _Session:
    def __init__(self, name: str) -> None:
        self.name = name
        self.conn = None
        self.txn: Txn | None = None
        self.plan: list[Op] = []
        self.pos = 0
        self.local: dict = {}


class Simulation:
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

    # ------------------------------------------------------------------ writer sessions
    def _writer_step(self, s: _Session) -> None:
        if s.conn is None:
            self._tune_timeouts()
            try:
                s.conn = self.cluster.connect("writer")
            except Error as exc:
                self.note(f"{s.name} connect failed: {_err(exc)}")
                return
        if s.txn is None:
            txn_id = next(self._txn_ids)
            kind, ops = plan(self.rng, txn_id)
            s.txn = Txn(txn_id, s.name, kind, begin_step=self.step)
            s.plan, s.pos, s.local = ops, 0, {}
            self.history.txns.append(s.txn)
        if s.pos < len(s.plan):
            self._run_op(s)
        else:
            self._commit(s)

    def _run_op(self, s: _Session) -> None:
        op = s.plan[s.pos]
        s.pos += 1
        txn = s.txn
        sql, params = sql_for(op, s.local.get(op.key))
        try:
            cur = s.conn.cursor()
            cur.execute(sql, params)
            if op.kind == "r":
                rows = cur.fetchall()
                if len(rows) != 1:
                    self.violate("final-state", f"{s.name} txn {txn.id}: {op.key} has {len(rows)} rows")
                    return
                value = parse_list(rows[0][0]) if op.key[0] == "la" else int(rows[0][0])
                txn.ops.append(("r", op.key, value))
                s.local[op.key] = value
                self.note(f"{s.name} t{txn.id} read {_key(op.key)} -> {_val(value)}")
            elif op.kind == "a":
                txn.ops.append(("a", op.key, op.elem))
                self.note(f"{s.name} t{txn.id} append {_key(op.key)} += {op.elem}")
            else:
                value = s.local[op.key] + op.delta
                txn.ops.append(("w", op.key, value))
                s.local[op.key] = value
                self.note(f"{s.name} t{txn.id} write {_key(op.key)} = {value}")
        except Error as exc:
            self._end_txn(s, "fail", exc)
        except Exception as exc:  # noqa: BLE001 - a user must never see one
            self.violate("error-class", f"{s.name} t{txn.id} {sql!r} raised {type(exc).__name__}: {exc}")

    def _commit(self, s: _Session) -> None:
        txn = s.txn
        volume = self.cluster.volume
        before = volume.last_lsn
        self._tune_timeouts()
        with self._lock:
            txn.recoveries_before = len(self._recoveries)
        try:
            s.conn.commit()
        except Error as exc:
            after = volume.last_lsn
            if txn.writes and after > before:
                txn.lsn, txn.time = after, self.now
                self._end_txn(s, "unknown", exc)
            else:
                self._end_txn(s, "fail", exc)
            return
        except Exception as exc:  # noqa: BLE001 - a user must never see one
            self.violate("error-class", f"{s.name} t{txn.id} COMMIT raised {type(exc).__name__}: {exc}")
            return
        txn.status, txn.end_step = "ok", self.step
        if txn.writes:
            txn.lsn, txn.time = volume.last_lsn, self.now
            if txn.lsn <= before:
                self.violate("no-lost-ack", f"{s.name} t{txn.id} committed its writes without a redo record")
            elif volume.vdl < txn.lsn:
                self.violate("quorum", f"{s.name} t{txn.id} was acknowledged at LSN {txn.lsn} above VDL {volume.vdl}")
        self.note(f"{s.name} t{txn.id} commit ok" + (f" lsn={txn.lsn}" if txn.writes else ""))
        s.txn = None

    def _end_txn(self, s: _Session, status: str, exc: Error) -> None:
        txn = s.txn
        txn.status, txn.end_step, txn.error = status, self.step, _err(exc)
        self.note(f"{s.name} t{txn.id} {status}: {_err(exc)}" + (f" lsn={txn.lsn}" if txn.lsn else ""))
        s.txn = None
        if _connection_lost(exc):
            _close_quietly(s.conn)
            s.conn = None
        else:
            try:
                s.conn.rollback()
            except Error:
                _close_quietly(s.conn)
                s.conn = None

    # ------------------------------------------------------------------ readers
    def _reader_read(self, identifier: str) -> None:
        entry = self.reader_conns.get(identifier)
        if entry is None:
            try:
                conn = self.cluster.connect(identifier)
            except Error as exc:
                self.note(f"reader {identifier} connect failed: {_err(exc)}")
                return
            entry = self.reader_conns[identifier] = (conn, f"{identifier}#{next(self._reader_sessions)}")
        conn, session = entry
        try:
            state = read_state(conn.cursor())
            conn.commit()
        except Error as exc:
            self.note(f"reader {identifier} read failed: {_err(exc)}")
            _close_quietly(conn)
            del self.reader_conns[identifier]
            return
        except Exception as exc:  # noqa: BLE001 - a user must never see one
            self.violate("error-class", f"reader {identifier} read raised {type(exc).__name__}: {exc}")
            return
        instance = self.cluster.instance(identifier)
        self.history.observations.append(Observation(f"reader {session}", state, self.step, session=session))
        self.note(f"reader {session} read (applied {instance.applied_lsn}, vdl {self.cluster.volume.vdl})")

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

    def _pick_pg(self, v: Volume, prefer_degraded: float = 0.6) -> int:
        pgs = v.protection_groups
        degraded = [pg.index for pg in pgs if any(not s.available for s in pg.segments)]
        if degraded and self.rng.random() < prefer_degraded:
            return self.rng.choice(degraded)
        return self.rng.randrange(len(pgs))

    def _f_fail_segment(self, v: Volume) -> None:
        p = self._pick_pg(v)
        choices = [s.index for s in v.protection_groups[p].segments if s.available]
        if not choices:
            p, i = self.rng.choice([(pg.index, s.index) for pg in v.protection_groups for s in pg.segments
                                    if s.available])
        else:
            i = self.rng.choice(choices)
        v.fail_segment(p, i)
        self.note(f"fault fail_segment {p}/{i} ({_pg_state(v, p)})")

    def _f_restore_segment(self, v: Volume) -> None:
        p, i = self.rng.choice([(pg.index, s.index) for pg in v.protection_groups for s in pg.segments
                                if not s.available])
        copied = v.restore_segment(p, i)
        self.note(f"fault restore_segment {p}/{i} copied={copied} ({_pg_state(v, p)})")

    def _f_fail_az(self, v: Volume) -> None:
        az = self.rng.choice(AZS)
        v.fail_az(az)
        self.note(f"fault fail_az {az}")

    def _f_restore_az(self, v: Volume) -> None:
        candidates = sorted(set(v._down_azs) | {s.az for pg in v.protection_groups for s in pg.segments
                                                 if not s.available})
        az = self.rng.choice(candidates)
        copied = v.restore_az(az)
        self.note(f"fault restore_az {az} copied={copied}")

    def _f_partition_flip(self, v: Volume) -> None:
        degraded = [pg for pg in v.protection_groups if any(not s.available for s in pg.segments)]
        three = [pg for pg in degraded if sum(not s.available for s in pg.segments) == 3]
        pg = self.rng.choice(three if three and self.rng.random() < 0.7 else degraded)
        was_down = [s.index for s in pg.segments if not s.available]
        for s in pg.segments:
            if s.available:
                v.fail_segment(pg.index, s.index)
        for i in was_down:
            v.restore_segment(pg.index, i)
        self.note(f"fault partition_flip pg {pg.index}: up {was_down} ({_pg_state(v, pg.index)})")

    def _f_isolate_tail(self, v: Volume) -> None:
        """A partition that cuts the writer's last, not yet durable, writes off: in the group holding
        the last LSN, the segments that hold it go down and the others come back (Jepsen's
        partition of a leader's recent writes)."""
        last = v.last_lsn
        pg = next(pg for pg in v.protection_groups if any(s.log.find(last) >= 0 for s in pg.segments)
                  or pg.tail_lsn == last)
        holders = [s.index for s in pg.segments if s.log.find(last) >= 0]
        others = [s.index for s in pg.segments if s.index not in holders]
        for i in holders:
            v.fail_segment(pg.index, i)
        for i in others:
            if not v.segment(pg.index, i).available:
                v.restore_segment(pg.index, i)
        self.note(f"fault isolate_tail lsn {last} pg {pg.index}: down {holders} ({_pg_state(v, pg.index)})")

    def _f_slow_segment(self, v: Volume) -> None:
        p = self._pick_pg(v, 0.3)
        i = self.rng.randrange(6)
        v.set_slow(p, i, True)
        self.note(f"fault slow_segment {p}/{i}")

    def _f_unslow_segment(self, v: Volume) -> None:
        p, i = self.rng.choice([(pg.index, s.index) for pg in v.protection_groups for s in pg.segments
                                if s.delay_acks])
        v.set_slow(p, i, False)
        self.note(f"fault unslow_segment {p}/{i}")

    def _f_deliver_delayed(self, v: Volume) -> None:
        self.note(f"fault deliver_delayed delivered={v.deliver_delayed()}")

    def _f_replace_segment(self, v: Volume) -> None:
        p = self._pick_pg(v, 0.7)
        pg = v.protection_groups[p]
        if sum(s.hydrating for s in pg.segments) >= 2:
            self.note(f"fault replace_segment skipped: pg {p} has two replacements hydrating")
            return
        down = [s.index for s in pg.segments if not s.available]
        i = self.rng.choice(down) if down and self.rng.random() < 0.7 else self.rng.randrange(6)
        full = self.rng.random() < 0.6
        new = v.replace_segment(p, i, hydrate=full)
        self.note(f"fault replace_segment {p}/{i} hydrate={full} -> epoch {pg.membership_epoch} "
                  f"hydrating={new.hydrating} ({_pg_state(v, p)})")

    def _f_hydrate_step(self, v: Volume) -> None:
        p, i = self.rng.choice(membership.hydrating(v))
        limit = self.rng.choice((1, 4, 32, None))
        copied, done = v.hydrate_segment(p, i, limit)
        self.note(f"fault hydrate_step {p}/{i} limit={limit} copied={copied} hydrated={done}")

    def _f_writer_crash(self, v: Volume) -> None:
        old = self.cluster.writer.identifier
        self._tune_timeouts()
        self.cluster.writer.crash()
        self.note(f"fault writer_crash {old} -> writer {self.cluster.writer.identifier}")

    def _f_reader_crash(self, v: Volume) -> None:
        reader = self.rng.choice([r for r in self.cluster.readers if r.status == "available"])
        reader.crash()
        self.note(f"fault reader_crash {reader.identifier}")

    def _f_failover(self, v: Volume) -> None:
        event = self.cluster.failover()
        self.note(f"fault failover {event.old_writer} -> {event.new_writer}")

    def _f_pause_replication(self, v: Volume) -> None:
        self.cluster.pause_replication()
        self.paused = True
        self.note("fault pause_replication")

    def _f_resume_replication(self, v: Volume) -> None:
        self.cluster.resume_replication()
        self.paused = False
        self.note("fault resume_replication")

    def _f_add_reader(self, v: Volume) -> None:
        reader = self.cluster.add_reader()
        if self.paused and reader.follower is not None:
            reader.follower.pause()
        self.note(f"fault add_reader {reader.identifier}")

    def _f_snapshot(self, v: Volume) -> None:
        self._tune_timeouts()
        name = f"snap{len(self.snapshots) + 1}"
        snapshot = self.cluster.create_snapshot(name)
        self.snapshots.append(snapshot)
        self.note(f"fault snapshot {name} lsn={snapshot.lsn}")

    def _f_restore_snapshot(self, v: Volume) -> None:
        snapshot = self.rng.choice(self.snapshots)
        restored = Cluster.restore_from_snapshot(snapshot, name=f"from-{snapshot.name}", clock=self._clock)
        self._observe_restore(restored, f"restore of snapshot {snapshot.name}", lsn=snapshot.lsn)

    def _f_pitr(self, v: Volume) -> None:
        self._tune_timeouts()
        if self.rng.random() < 0.3:
            lsn = self.rng.randint(self.setup_lsn, max(self.setup_lsn, v.vdl))
            restored = self.cluster.restore_to_point_in_time(lsn=lsn, name="pitr")
            self._observe_restore(restored, f"pitr lsn={lsn}", lsn=lsn)
        else:
            at = self.setup_time + self.rng.randint(0, int(self.now - self.setup_time))
            restored = self.cluster.restore_to_point_in_time(at, name="pitr")
            self._observe_restore(restored, f"pitr time=+{at - self.setup_time:.0f}s", at=at)

    def _observe_restore(self, restored: Cluster, where: str, *, lsn: int | None = None,
                         at: float | None = None) -> None:
        try:
            conn = restored.connect()
            state = read_state(conn.cursor())
            conn.close()
        finally:
            restored.close()
        self.history.observations.append(Observation(where, state, self.step, lsn=lsn, time=at))
        self.note(f"fault {where}: restored")

    def _f_close_reopen(self, v: Volume, damage: bool | None = None) -> None:
        path = self.cluster.path
        vdl = v.vdl
        hydrating = collections.Counter(p for p, _ in membership.hydrating(v))
        files = {pg.index: [(s.index, getattr(s, "file_name", None) or f"seg-{s.index}-{s.az}.log")
                            for s in pg.segments] for pg in v.protection_groups}
        for session in self.sessions:
            _close_quietly(session.conn)
            session.conn = None
            if session.txn is not None:
                self._end_txn_closed(session)
        for conn, _ in self.reader_conns.values():
            _close_quietly(conn)
        self.reader_conns.clear()
        self.cluster.close()
        self._settle_threads(10.0)
        damage = self.rng.random() < 0.5 if damage is None else damage
        tails = {pg.index: pg.tail_lsn for pg in v.protection_groups}
        damaged = self._damage_files(path / "volume", files, hydrating, tails) if damage else []
        self.note(f"fault close_reopen vdl={vdl}" + (f" damaged {', '.join(damaged)}" if damaged else ""))
        self._reopen(path, vdl)

    def _reopen(self, path: Path, vdl: int) -> None:
        self.paused = False
        try:
            self.cluster = Cluster.open(path, clock=self._clock)
        except Error as exc:
            self.violate("reopen", f"Cluster.open failed within tolerance: {_err(exc)}")
            self.cluster = None
            raise _Stop() from None
        self.cluster.commit_timeout_s = LONG_TIMEOUT_S
        report = self.cluster.volume.last_recovery
        self.note(f"reopened vdl={self.cluster.volume.vdl} recovery={report}")
        if self.cluster.volume.vdl < vdl:
            self.violate("no-lost-ack", f"reopen lost durable records: VDL {vdl} -> {self.cluster.volume.vdl}")
        while len(self.cluster.readers) < self.config.readers:
            self.cluster.add_reader()

    def _f_power_loss(self, v: Volume) -> None:
        """The process dies while a transaction commits: its frames reach the segment files but no
        sync completes; the files keep their synced bytes and none, all, a torn prefix or a random
        prefix of the rest (FaultyFileSystem.crash); then Cluster.open."""
        fs = v._fs
        if not isinstance(fs, FaultyFileSystem):
            self.note("fault power_loss skipped: the volume is not on the simulated file layer")
            return
        session = _Session("pl")
        while True:
            txn_id = next(self._txn_ids)
            kind, ops = plan(self.rng, txn_id)
            if any(op.kind != "r" for op in ops):
                break
        session.txn = Txn(txn_id, session.name, kind, begin_step=self.step)
        session.plan, session.pos = ops, 0
        self.history.txns.append(session.txn)
        fs.fail(1, ops=("sync",), forever=True)
        self._force_short = True
        try:
            for _ in range(len(ops) + 2):
                self._writer_step(session)
                if session.txn is None:
                    break
        finally:
            self._force_short = False
        if session.txn is not None:
            self._end_txn_closed(session)
        _close_quietly(session.conn)
        unsynced = self.rng.choice(("drop", "keep", "tear", "tear", "random"))
        fs.crash(unsynced=unsynced)
        vdl = v.vdl
        path = self.cluster.path
        self.note(f"fault power_loss unsynced={unsynced} vdl={vdl}")
        for s in self.sessions:
            _close_quietly(s.conn)
            s.conn = None
            if s.txn is not None:
                self._end_txn_closed(s)
        for conn, _ in self.reader_conns.values():
            _close_quietly(conn)
        self.reader_conns.clear()
        try:
            self.cluster.close()  # the dead process lets go of its files and threads
        except Exception as exc:  # noqa: BLE001 - a user must never see one
            self.note(f"closing the crashed cluster: {type(exc).__name__}: {exc}")
        self._settle_threads(10.0)
        self._reopen(path, vdl)

    def _f_corrupt_files(self, v: Volume) -> None:
        self._f_close_reopen(v, damage=True)

    def _end_txn_closed(self, s: _Session) -> None:
        txn = s.txn
        txn.status, txn.end_step, txn.error = "fail", self.step, "process closed"
        self.note(f"{s.name} t{txn.id} fail: the process closed")
        s.txn = None

    def _damage_files(self, root: Path, files: dict[int, list[tuple[int, str]]],
                      hydrating: collections.Counter, tails: dict[int, int]) -> list[str]:
        """Damage up to (3 - replacements hydrating) segment files of one or two protection groups
        (most often the group written last: torn writes happen at the tail of a log)."""
        out = []
        pgs = sorted(files)
        chosen = self.rng.sample(pgs, min(len(pgs), self.rng.choice((1, 1, 2))))
        if self.rng.random() < 0.6:
            chosen[0] = max(pgs, key=lambda p: tails.get(p, 0))
        for p in sorted(set(chosen)):
            budget = 3 - hydrating[p]
            if budget <= 0:
                continue
            for i, name in self.rng.sample(files[p], self.rng.randint(1, budget)):
                target = root / f"pg-{p:05d}" / name
                if not target.exists():
                    continue
                how = self.rng.choice(("tear_tail", "flip_tail", "flip_tail", "flip_any", "truncate", "delete",
                                       "cut_last_frame"))
                out.append(f"{p}/{i}:{how}@{_damage(target, how, self.rng)}")
        return out

    # ------------------------------------------------------------------ after each step
    def _tune_timeouts(self) -> None:
        """Commits that cannot reach quorum get a short wait; the others a long one."""
        v = self.cluster.volume
        degraded = any(sum(s.available and s.votes and not s.delay_acks for s in pg.segments) < 4
                       for pg in v.protection_groups)
        timeout = SHORT_TIMEOUT_S if degraded or self._force_short else LONG_TIMEOUT_S
        self.cluster.commit_timeout_s = timeout
        for instance in self.cluster.instances:
            instance.commit_timeout_s = timeout

    def _settle_threads(self, timeout_s: float) -> None:
        """Wait for background instance restarts (a crashed reader, a demoted writer) to finish."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not any(t.name.startswith("aurora-lite-restart-") and t.is_alive() for t in threading.enumerate()):
                return
            time.sleep(0.002)

    def _observe(self) -> None:
        """Decide what recoveries and VDL decided, check the volume's invariants."""
        if self.cluster is None:
            return
        v = self.cluster.volume
        self._resolve(v)
        with v._cond:
            self._check_volume(v)

    def _after_step(self) -> None:
        if self.cluster is None:
            return
        self._tune_timeouts()
        self._observe()
        v = self.cluster.volume
        for error in self._thread_errors:
            if error.endswith("[unexpected]"):
                self.violate("error-class", f"background thread failed: {error}")
            else:
                self.note(f"background: {error}")
        self._thread_errors.clear()
        if not self.paused and self.cluster.readers:
            try:
                self.cluster.wait_for_replicas(SHORT_TIMEOUT_S if v.last_lsn > v.vdl else 2.0)
            except Error:
                pass
        for reader in self.cluster.readers:
            if reader.volume is v and reader.applied_lsn > v.vdl:
                self.violate("reader-above-vdl", f"reader {reader.identifier} applied LSN {reader.applied_lsn} "
                                                 f"above VDL {v.vdl}")

    def _resolve(self, v: Volume) -> None:
        """Decide unknown commits: at the first recovery after them (kept iff at or below its VDL), or by VDL."""
        with self._lock:
            first = self._seen_recoveries
            new = self._recoveries[first:]
            self._seen_recoveries = len(self._recoveries)
        for number, (volume, report) in enumerate(new, start=first):
            if volume is not v:
                continue
            self.note(f"recovery vcl={report.vcl} vdl={report.vdl} epoch={report.epoch} "
                      f"truncated={report.truncated_records}")
            mark = self._marks.get(v)
            if mark is not None and report.vdl < mark[1]:
                self.violate("recovery-truncation", f"recovery truncated to {report.vdl}, below the VDL "
                                                    f"{mark[1]} seen before")
            for txn in self.history.txns:
                if txn.status == "unknown" and txn.resolved is None and txn.lsn is not None \
                        and txn.recoveries_before <= number:
                    txn.resolved = "committed" if txn.lsn <= report.vdl else "aborted"
                    self.note(f"t{txn.id} (lsn {txn.lsn}) resolved {txn.resolved} by recovery")
            self._marks[v] = (report.vdl, report.vdl)
        for txn in self.history.txns:
            if txn.status == "unknown" and txn.resolved is None and txn.lsn is not None and txn.lsn <= v.vdl:
                txn.resolved = "committed"
                self.note(f"t{txn.id} (lsn {txn.lsn}) resolved committed: VDL {v.vdl} passed it")

    def _check_volume(self, v: Volume) -> None:
        """VDL <= VCL <= last LSN; no backward move but by recovery; newly durable records on 4 segments.

        Records that became durable by an acknowledgement since the last look must be on at
        least 4 segments of their group (down ones keep what they hold; replaced ones do not
        count). Records a recovery declared durable are exempt: recovery finds them on a read
        quorum and repairs only the segments available then.
        """
        vcl, vdl, last = v.vcl, v.vdl, v.last_lsn
        if not vdl <= vcl <= last:
            self.violate("watermarks", f"VDL {vdl} <= VCL {vcl} <= last LSN {last} does not hold")
        mark = self._marks.get(v)
        if mark is not None and (vcl < mark[0] or vdl < mark[1]):
            self.violate("watermarks", f"VCL/VDL moved back without recovery: {mark} -> {(vcl, vdl)}")
        since = mark[1] if mark is not None else 0
        self._marks[v] = (vcl, vdl)
        if vdl <= since:
            return
        truncations = sorted(v.truncations)
        for pg in v.protection_groups:
            counts: collections.Counter = collections.Counter()
            for s in pg.segments:
                for i in s.log.select(since, vdl, 0, 2**64 - 1, -1):
                    lsn, _, _, _, epoch, _, _, _, _ = s.log.entry(i)
                    # A segment that was down during a recovery still holds records it voided.
                    if not any(lsn > point and epoch < at for point, at in truncations):
                        counts[lsn] += 1
            short = sorted(lsn for lsn, n in counts.items() if n < 4)
            if short:
                self.violate("durable-on-4", f"protection group {pg.index}: LSNs {short[:8]} became durable on "
                                             f"fewer than 4 segments ({_pg_state(v, pg.index)})")
                return

    # ------------------------------------------------------------------ the end
    def _heal(self) -> None:
        v = self.cluster.volume
        self.note("heal: resume replication, deliver, restore every segment, finish replacements")
        self.cluster.resume_replication()
        self.paused = False
        for pg in v.protection_groups:
            for s in pg.segments:
                if s.delay_acks:
                    v.set_slow(pg.index, s.index, False)
        v.deliver_delayed()
        for az in AZS:
            v.restore_az(az)
        for pg in v.protection_groups:
            for s in pg.segments:
                if not s.available:
                    v.restore_segment(pg.index, s.index)
        for p, i in membership.hydrating(v):
            v.hydrate_segment(p, i)
        self._settle_threads(10.0)
        self._after_step()

    def _heal_and_check(self) -> None:
        self.step += 1
        self.now += 1.0
        self._heal()
        if self._failed():
            return
        for session in self.sessions:
            if session.txn is not None:
                try:
                    session.conn.rollback()
                except Error:
                    pass
                txn = session.txn
                txn.status, txn.end_step, txn.error = "fail", self.step, "rolled back at the end"
                session.txn = None
        self._tune_timeouts()
        try:
            conn = self.cluster.connect("writer")
            final = read_state(conn.cursor())
            conn.commit()
            conn.close()
        except Error as exc:
            self.violate("heal", f"the writer is unreachable after every fault healed: {_err(exc)}")
            return
        self._settle_threads(10.0)
        self._after_step()
        for txn in self.history.txns:
            if txn.status == "unknown" and txn.resolved is None:
                txn.resolved = "committed" if any(op[2] in final.get(op[1], ()) for op in txn.ops
                                                  if op[0] == "a") else "aborted"
                self.note(f"t{txn.id} resolved {txn.resolved} from the final state (lsn {txn.lsn})")
        self.note(f"final vdl={self.cluster.volume.vdl} epoch={self.cluster.volume.epoch}")
        if self.config.threaded:
            self.violations += check_final_threaded(self.history, final)
            self.violations += elle_check(self.history, final)
        else:
            self.violations += check_final(self.history, final)
            self.violations += check_snapshot_isolation(self.history)
            self.violations += check_prefix(self.history)
        self._check_convergence(final)
        if not self.config.threaded:
            try:
                restored = self.cluster.restore_to_point_in_time(lsn=self.cluster.volume.vdl, name="final-pitr")
                self._observe_restore(restored, "final pitr", lsn=self.cluster.volume.vdl)
                obs = self.history.observations[-1]
                if obs.state != final:
                    self.violate("restore-exact", "a PITR to the latest LSN differs from the writer")
            except Error as exc:
                self.violate("restore-exact", f"PITR to the latest LSN failed after healing: {_err(exc)}")

    def _check_convergence(self, final: dict) -> None:
        try:
            self.cluster.wait_for_replicas(LONG_TIMEOUT_S)
        except Error as exc:
            self.violate("replicas-converge", f"wait_for_replicas after healing: {_err(exc)}")
            return
        for reader in self.cluster.readers:
            if reader.status != "available":
                self.note(f"reader {reader.identifier} is {reader.status}: not compared")
                continue
            try:
                conn = self.cluster.connect(reader.identifier)
                state = read_state(conn.cursor())
                conn.close()
            except Error as exc:
                self.violate("replicas-converge", f"reader {reader.identifier} unreadable: {_err(exc)}")
                continue
            if state != final:
                diff = {k: (state.get(k), final.get(k)) for k in final if state.get(k) != final.get(k)}
                self.violate("replicas-converge", f"reader {reader.identifier} differs from the writer: {diff}")
        v = self.cluster.volume
        for pg in v.protection_groups:
            reference = pg.segments[0]
            ref = {reference.log.lsn_at(i): reference.frame(i) for i in range(len(reference.log))}
            for s in pg.segments[1:]:
                mine = {s.log.lsn_at(i): s.frame(i) for i in range(len(s.log))}
                if mine.keys() != ref.keys():
                    extra = sorted(set(mine) ^ set(ref))[:8]
                    self.violate("segments-converge", f"pg {pg.index}: segments 0 and {s.index} hold different "
                                                      f"LSNs (differing: {extra})")
                    return
                bad = [lsn for lsn in ref if ref[lsn] != mine[lsn]]
                if bad:
                    self.violate("segments-converge", f"pg {pg.index}: segments 0 and {s.index} differ in the bytes "
                                                      f"of LSNs {bad[:8]}")
                    return

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


class _Stop(Exception):
    """The run cannot go on (a violation was recorded)."""


def check_final_threaded(history: History, final: dict) -> list[Violation]:
    """Final-state checks that need no commit LSNs."""
    out = []
    present = {e for k, value in final.items() if k[0] == "la" for e in value}
    for txn in history.txns:
        elems = [op[2] for op in txn.ops if op[0] == "a"]
        if not elems:
            continue
        seen = [e for e in elems if e in present]
        if txn.status == "ok" and len(seen) < len(elems):
            out.append(Violation("no-lost-ack", f"acknowledged txn {txn.id} lost {sorted(set(elems) - set(seen))}"))
        elif txn.status == "fail" and seen:
            out.append(Violation("no-aborted-visible", f"failed txn {txn.id} ({txn.error}) is visible: {seen}"))
        elif txn.status == "unknown" and seen and len(seen) < len(elems):
            out.append(Violation("all-or-nothing", f"txn {txn.id} with unknown outcome is partly visible"))
    total = sum(final.get(k, 0) for k in bank_keys())
    if total != TOTAL:
        out.append(Violation("bank-total", f"final bank total {total}, not {TOTAL}"))
    for txn in history.txns:
        if txn.kind == "audit" and txn.status == "ok":
            seen_total = sum(op[2] for op in txn.ops if op[0] == "r")
            if seen_total != TOTAL:
                out.append(Violation("snapshot-isolation", f"audit txn {txn.id} saw a bank total of {seen_total}"))
    return out


# ------------------------------------------------------------------ helpers
def run_seed(seed: int, *, long: bool = False, steps: int | None = None, bug: str | None = None,
             threaded: bool | None = None, storage: str | None = None, echo: bool = False,
             tmp_root: str | None = None) -> SeedResult:
    """Run one seed and check it."""
    config = config_for(seed, long=long, steps=steps, threaded=threaded, storage=storage)
    return Simulation(config, bug=bug, echo=echo, tmp_root=tmp_root).run()


def shrink(seed: int, *, bug: str | None = None, long: bool = False, storage: str | None = None,
           threaded: bool | None = None) -> SeedResult | None:
    """The shortest prefix of a failing seed's schedule that still fails (None if the seed passes).

    A seed's schedule is a stream: running it with fewer steps replays a prefix of the
    same events, then heals and checks. The first failing length is the minimal trace.
    """
    config = config_for(seed, long=long, storage=storage, threaded=threaded)
    for steps in range(1, config.steps + 1):
        result = run_seed(seed, long=long, steps=steps, bug=bug, storage=storage, threaded=threaded)
        if not result.ok:
            return result
    return None


def _connection_lost(exc: Error) -> bool:
    state = str(getattr(exc, "sqlstate", "") or "")
    errno = getattr(exc, "errno", None)
    return state.startswith(("08", "57P")) or errno in (2013, 2006)


def _err(exc: BaseException) -> str:
    code = getattr(exc, "sqlstate", None) or ""
    errno = getattr(exc, "errno", None)
    text = str(exc).replace("\n", " ")
    if len(text) > 160:
        text = text[:160] + "..."
    return f"{type(exc).__name__}({errno or code}) {text}"


def _close_quietly(conn) -> None:
    if conn is None:
        return
    try:
        conn.close()
    except Exception:  # noqa: BLE001, S110 - closing a connection of a dead instance
        pass


def _key(key: tuple) -> str:
    return f"la{key[1]}[{key[2]}]" if key[0] == "la" else f"bank[{key[1]}]"


def _val(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ",".join(map(str, value[-4:])) + ("" if len(value) <= 4 else f" ({len(value)})") + "]"
    return str(value)


def _pg_state(v: Volume, p: int) -> str:
    pg = v.protection_groups[p]
    marks = []
    for s in pg.segments:
        mark = "U" if s.available else "D"
        if s.hydrating:
            mark = mark.lower()
        if s.delay_acks:
            mark += "~"
        marks.append(mark)
    return f"pg{p} {''.join(marks)} m{pg.membership_epoch}"


def _frames(data: bytes, start: int = 8) -> list[int]:
    """Offsets of the frames of a segment file (as far as their lengths chain)."""
    from .. import _core

    out, off = [], start
    while off + _core.HEADER_SIZE <= len(data):
        length = int.from_bytes(data[off + 4: off + 8], "little")
        if off + _core.HEADER_SIZE + length > len(data):
            break
        out.append(off)
        off += _core.HEADER_SIZE + length
    return out


def _damage(path: Path, how: str, rng: random.Random) -> int:
    """Damage one segment file; returns the offset touched."""
    data = bytearray(path.read_bytes())
    if how == "delete":
        path.unlink()
        return 0
    frames = _frames(bytes(data))
    last = frames[-1] if frames else 8
    if how == "tear_tail":
        cut = rng.randrange(max(1, last + 1), max(last + 2, len(data)))
        data = data[:cut]
        at = cut
    elif how == "cut_last_frame":
        at = last
        data = data[:last]
    elif how == "flip_tail":
        at = rng.randrange(last, len(data)) if len(data) > last else len(data) - 1
        data[at] ^= 1 << rng.randrange(8)
    elif how == "flip_any":
        at = rng.randrange(0, len(data))
        data[at] ^= 1 << rng.randrange(8)
    else:  # truncate anywhere
        at = rng.randrange(0, len(data) + 1)
        data = data[:at]
    path.write_bytes(bytes(data))
    return at
