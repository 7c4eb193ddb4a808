"""What runs around every step of a schedule: timeouts, settling, and the volume's invariants.

Before a commit or a fault the commit timeout is tuned to the volume's state (short
when no write quorum is possible, so a seed replays the same trace); after a fault
the background instance restarts are waited for. After every step, recoveries and
VDL decide the commits whose outcome was unknown, and the volume is checked:
VDL <= VCL <= last LSN, no watermark moving back but by a recovery, no recovery
truncating below a VDL seen before, every newly durable record on 4 segments of its
group, no reader applied above VDL, no background thread dying of an unexpected error.
"""
from __future__ import annotations

import collections
import threading
import time

from ..dbapi.exceptions import Error
from ..storage.volume import Volume
from .config import LONG_TIMEOUT_S, SHORT_TIMEOUT_S
from .storage_faults import _pg_state


class StepChecks:
    """Simulation's per-step settling and volume checks (a part of `simulation.Simulation`)."""

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
