"""Faults of the cluster's instances and processes, as a fault step applies them.

Writer and reader crashes, planned failover, paused and resumed replication, an
added reader; snapshots, snapshot restores and point-in-time restores (each restored
cluster is read once and recorded as an observation); closing and reopening an
on-disk cluster, half the time with segment files damaged in between; and a power
loss while a transaction commits (no sync completes, the simulated file layer keeps
some of the unsynced bytes, then `Cluster.open`). A reopen that fails within
tolerance stops the run (`_Stop`).
"""
from __future__ import annotations

import collections
import random
from pathlib import Path

from .. import Cluster
from ..dbapi.exceptions import Error
from ..storage import membership
from ..storage.faults import FaultyFileSystem
from ..storage.volume import Volume
from .client_sessions import _close_quietly, _err, _Session
from .config import LONG_TIMEOUT_S
from .history import Observation, Txn
from .workload import plan, read_state


class ClusterFaults:
    """Simulation's instance, backup and process faults (a part of `simulation.Simulation`)."""

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


class _Stop(Exception):
    """The run cannot go on (a violation was recorded)."""


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
