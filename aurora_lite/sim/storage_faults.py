"""Faults of the storage layer, as a fault step applies them.

Segments fail and come back (alone, a whole AZ, or a partition flipped inside one
protection group), the segments holding the last not yet durable LSN are cut off,
segments turn slow (they acknowledge only when delayed writes are delivered), and
segments are replaced under a new membership epoch and hydrated fully or step by
step. Every choice comes from the run's seeded random stream; each fault writes one
trace line, with `_pg_state` showing the group's segments after it.
"""
from __future__ import annotations

from ..storage import membership
from ..storage.protection_group import AZS
from ..storage.volume import Volume


class StorageFaults:
    """Simulation's segment, AZ and membership faults (a part of `simulation.Simulation`)."""

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
