"""The end of a schedule: heal every fault, then check the history and the cluster.

Replication resumes, delayed writes are delivered, every AZ and segment comes back
and replacements finish hydrating; open transactions are rolled back and the writer
must be reachable again. Unknown commits still undecided are decided from the final
state; then the history checks run (history.py: final state, snapshot isolation and
committed prefixes, or for threaded runs `check_final_threaded` and the Elle
list-append check), readers must equal the writer, every segment of a group must
hold byte-identical frames, and a final PITR to VDL must equal the writer.
"""
from __future__ import annotations

from ..dbapi.exceptions import Error
from ..storage import membership
from ..storage.protection_group import AZS
from .client_sessions import _err
from .config import LONG_TIMEOUT_S
from .history import (
    History,
    Violation,
    check_final,
    check_prefix,
    check_snapshot_isolation,
    elle_check,
)
from .workload import TOTAL, bank_keys, read_state


class FinalChecks:
    """Simulation's healing and end-of-run checks (a part of `simulation.Simulation`)."""

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
