"""What the clients did and saw, and the checks that judge it (Jepsen/Elle style).

A `History` holds every transaction (its micro-operations with the values read,
its outcome: ok / fail / unknown, and for committed work its commit LSN and
commit time) and every observation of whole-database state (reader reads,
restores, the final writer state). The checks:

- `check_final`: the writer's final state is exactly the committed transactions
  applied in LSN order: no acknowledged commit is missing, nothing aborted or
  undecided-and-not-durable is visible, a commit whose outcome the client never
  learned is all-or-nothing.
- `check_snapshot_isolation`: every writer transaction read from one snapshot
  (a prefix of the commit order, at least every commit acknowledged before it
  began) plus its own writes, and no transaction committed between its snapshot
  and its commit wrote a key it wrote (first committer wins: no lost update);
  every audit saw the bank's constant total.
- `check_prefix`: a reader's or a restore's state equals the state after some
  prefix of the commit order (readers: monotonic per session).
- `elle_check` (threaded runs, where commit LSNs are not known): list-append
  dependency graph (ww from the final list orders, wr, rw) searched for G0,
  G1c and G-single cycles; aborted reads (G1a); reads that are not prefixes of
  the final lists.
"""
from __future__ import annotations

import itertools
from collections import defaultdict

import attrs

from .workload import TOTAL, bank_keys


@attrs.define
class Txn:
    """One client transaction."""

    id: int
    session: str
    kind: str                       # append | transfer | audit
    ops: list[tuple] = attrs.Factory(list)  # ("r", key, value) | ("a", key, elem) | ("w", key, value)
    status: str = "open"            # open | ok | fail | unknown
    lsn: int | None = None          # commit LSN (ok, or unknown with records appended)
    time: float | None = None       # commit time (the cluster clock at commit)
    begin_step: int = 0
    end_step: int = 0
    resolved: str | None = None     # unknown outcome: "committed" | "aborted", once recovery or VDL decided
    recoveries_before: int = 0      # recoveries that happened before its commit (they cannot decide it)
    error: str = ""

    @property
    def writes(self) -> list[tuple]:
        return [op for op in self.ops if op[0] in ("a", "w")]

    @property
    def committed(self) -> bool:
        return self.status == "ok" or (self.status == "unknown" and self.resolved == "committed")


@attrs.define
class Observation:
    """A whole-database state seen somewhere."""

    where: str           # "reader <id> session <n>", "pitr lsn=...", ...
    state: dict
    step: int
    session: str | None = None     # readers: monotonic per session
    lsn: int | None = None         # restores by LSN / snapshots: the exact target
    time: float | None = None      # restores by time


@attrs.define
class Violation:
    """A broken invariant."""

    invariant: str
    message: str

    def __str__(self) -> str:
        return f"[{self.invariant}] {self.message}" + (" (known open)" if self.known else "")

    @property
    def known(self) -> bool:
        """A violation the project knows of and has not fixed yet (KNOWN_OPEN): reported, not failed."""
        return self.invariant in KNOWN_OPEN


# Violations found by the simulator that are not fixed yet, with where and why. A campaign
# reports them but does not fail on them; remove an entry once its fix lands.
KNOWN_OPEN: dict[str, str] = {}


def apply_writes(state: dict, txn: Txn) -> None:
    for op in txn.writes:
        if op[0] == "a":
            state[op[1]] = state[op[1]] + (op[2],)
        else:
            state[op[1]] = op[2]


class History:
    """Transactions and observations of one simulated run."""

    def __init__(self, initial: dict) -> None:
        self.initial = dict(initial)
        self.txns: list[Txn] = []
        self.observations: list[Observation] = []

    def committed(self) -> list[Txn]:
        """Committed transactions with writes, in commit (LSN) order."""
        out = [t for t in self.txns if t.committed and t.writes]
        return sorted(out, key=lambda t: t.lsn if t.lsn is not None else 0)

    def prefixes(self) -> tuple[list[Txn], list[dict]]:
        """The commit order and the state after each prefix of it (states[0] = initial)."""
        order = self.committed()
        states = [dict(self.initial)]
        for txn in order:
            state = dict(states[-1])
            apply_writes(state, txn)
            states.append(state)
        return order, states

    def state_at_lsn(self, lsn: int) -> dict:
        state = dict(self.initial)
        for txn in self.committed():
            if txn.lsn is not None and txn.lsn <= lsn:
                apply_writes(state, txn)
        return state

    def state_at_time(self, at: float) -> dict:
        state = dict(self.initial)
        for txn in self.committed():
            if txn.time is not None and txn.time <= at:
                apply_writes(state, txn)
        return state


# ------------------------------------------------------------------ exact checks (LSNs known)
def element_owner(history: History) -> dict[int, Txn]:
    return {op[2]: txn for txn in history.txns for op in txn.ops if op[0] == "a"}


def check_final(history: History, state: dict) -> list[Violation]:
    """The final writer state against the committed transactions."""
    out: list[Violation] = []
    owners = element_owner(history)
    present = {e for key, value in state.items() if key[0] == "la" for e in value}
    for txn in history.txns:
        elems = [op[2] for op in txn.ops if op[0] == "a"]
        if not elems:
            continue
        seen = [e for e in elems if e in present]
        if txn.status == "ok" and len(seen) < len(elems):
            out.append(Violation("no-lost-ack", f"acknowledged txn {txn.id} (lsn {txn.lsn}, {txn.session}) lost "
                                                f"elements {sorted(set(elems) - set(seen))}"))
        elif txn.status == "fail" and seen:
            out.append(Violation("no-aborted-visible", f"failed txn {txn.id} ({txn.error}) is visible: {seen}"))
        elif txn.status == "unknown":
            if seen and len(seen) < len(elems):
                out.append(Violation("all-or-nothing", f"txn {txn.id} with unknown outcome is partly visible: "
                                                       f"{seen} of {elems}"))
            elif txn.resolved == "aborted" and seen:
                out.append(Violation("no-undurable-visible", f"txn {txn.id} (lsn {txn.lsn}) was truncated by "
                                                             f"recovery yet is visible"))
            elif txn.resolved == "committed" and not seen:
                out.append(Violation("no-lost-durable", f"txn {txn.id} (lsn {txn.lsn}) became durable yet is gone"))
    for key, value in state.items():
        for e in value if key[0] == "la" else ():
            if e not in owners:
                out.append(Violation("no-phantom", f"element {e} in {key} was never written"))
    if sum(state.get(k, 0) for k in bank_keys()) != TOTAL:
        out.append(Violation("bank-total", f"final bank total is {sum(state.get(k, 0) for k in bank_keys())}, "
                                           f"not {TOTAL}"))
    if not out:
        _, states = history.prefixes()
        if state != states[-1]:
            diff = {k: (state.get(k), states[-1].get(k)) for k in states[-1] if state.get(k) != states[-1].get(k)}
            out.append(Violation("final-state", f"writer state differs from the committed history: "
                                                f"{_short(diff)} (seen, expected)"))
    return out


def check_snapshot_isolation(history: History) -> list[Violation]:
    """Writer transactions against the commit order (exact: every commit LSN is known)."""
    order, states = history.prefixes()
    position = {txn.id: i for i, txn in enumerate(order)}  # states[i] is the state before order[i]
    out: list[Violation] = []
    for txn in history.txns:
        reads = [(i, op) for i, op in enumerate(txn.ops) if op[0] == "r"]
        if txn.kind == "audit" and txn.status == "ok":
            total = sum(op[2] for _, op in reads)
            if len(reads) == len(bank_keys()) and total != TOTAL:
                out.append(Violation("snapshot-isolation", f"audit txn {txn.id} saw a bank total of {total}"))
        if not reads:
            continue
        if txn.id in position:
            limit = position[txn.id]  # a snapshot is taken before the transaction's own commit
        else:
            limit = sum(1 for other in order if other.end_step <= txn.end_step)
        floor = 0
        for other in order:
            if other.status == "ok" and other.end_step < txn.begin_step and other.id != txn.id:
                floor = max(floor, position[other.id] + 1)
        written = {op[1] for op in txn.writes}
        candidates = []
        for j in range(limit + 1):
            if _reads_match(txn, states[j]):
                candidates.append(j)
        if not candidates:
            out.append(Violation("snapshot-isolation", f"txn {txn.id} ({txn.session}, {txn.status}) read from no "
                                                       f"single snapshot: {_short(_reads_of(txn))}"))
            continue
        if txn.status == "ok" and max(candidates) < floor:
            out.append(Violation("snapshot-isolation", f"txn {txn.id} ({txn.session}) read a stale snapshot "
                                                       f"({max(candidates)} commits, {floor} were acknowledged "
                                                       f"before it began)"))
            continue
        if txn.committed and written:
            ok = False
            for j in candidates:
                between = order[j:limit]
                if not any(written & {op[1] for op in other.writes} for other in between):
                    ok = True
                    break
            if not ok:
                out.append(Violation("snapshot-isolation", f"txn {txn.id} ({txn.session}) committed over a "
                                                           f"concurrent write to {sorted(written)} (lost update)"))
    return out


def _reads_match(txn: Txn, snapshot: dict) -> bool:
    local = dict(snapshot)
    for op in txn.ops:
        if op[0] == "r":
            if local.get(op[1]) != op[2]:
                return False
        elif op[0] == "a":
            local[op[1]] = local[op[1]] + (op[2],)
        else:
            local[op[1]] = op[2]
    return True


def _reads_of(txn: Txn) -> list:
    return [(op[1], op[2]) for op in txn.ops if op[0] == "r"]


def check_prefix(history: History) -> list[Violation]:
    """Readers show committed prefixes (monotonic per session); restores show their exact target."""
    _, states = history.prefixes()
    out: list[Violation] = []
    last: dict[str, int] = {}
    for obs in history.observations:
        if obs.lsn is not None or obs.time is not None:
            expected = history.state_at_lsn(obs.lsn) if obs.lsn is not None else history.state_at_time(obs.time)
            if obs.state != expected:
                diff = {k: (obs.state.get(k), expected.get(k)) for k in expected if obs.state.get(k) != expected.get(k)}
                target = f"lsn {obs.lsn}" if obs.lsn is not None else f"time {obs.time}"
                out.append(Violation("restore-exact", f"{obs.where} (step {obs.step}) at {target} differs: "
                                                      f"{_short(diff)} (seen, expected)"))
            continue
        matches = [j for j, state in enumerate(states) if state == obs.state]
        if not matches:
            best = max(range(len(states)), key=lambda j: sum(states[j].get(k) == v for k, v in obs.state.items()))
            diff = {k: (obs.state.get(k), states[best].get(k)) for k in states[best]
                    if obs.state.get(k) != states[best].get(k)}
            out.append(Violation("reader-prefix", f"{obs.where} (step {obs.step}) shows no committed prefix; "
                                                  f"nearest is {best} commits: {_short(diff)} (seen, expected)"))
            continue
        if obs.session is not None:
            # A state can recur (a transfer and its reverse): keep the earliest position that is
            # still consistent with every earlier read of the session (greedy is exact here).
            floor = last.get(obs.session, 0)
            later = [j for j in matches if j >= floor]
            if not later:
                out.append(Violation("reader-monotonic", f"{obs.where} (step {obs.step}) went back from "
                                                         f"{floor} to {max(matches)} commits"))
                continue
            last[obs.session] = min(later)
    return out


# ------------------------------------------------------------------ Elle-style (no LSNs)
def elle_check(history: History, final: dict) -> list[Violation]:
    """List-append anomalies without commit LSNs: incompatible orders, G1a, G0, G1c, G-single."""
    out: list[Violation] = []
    owners = element_owner(history)
    committed_ids = set()
    for txn in history.txns:
        elems = [op[2] for op in txn.ops if op[0] == "a"]
        if txn.status == "ok" or (txn.status == "unknown" and elems and all(
                e in final.get(op[1], ()) for op in txn.ops if op[0] == "a" for e in [op[2]])):
            committed_ids.add(txn.id)
    nodes = {t.id: t for t in history.txns if t.id in committed_ids}
    edges: dict[int, set[tuple[int, str]]] = defaultdict(set)
    # ww: consecutive elements of each final list
    for key, value in final.items():
        if key[0] != "la":
            continue
        for a, b in itertools.pairwise(value):
            ta, tb = owners.get(a), owners.get(b)
            if ta is not None and tb is not None and ta.id != tb.id:
                edges[ta.id].add((tb.id, "ww"))
    for txn in history.txns:
        own: dict = defaultdict(list)
        for op in txn.ops:
            if op[0] == "a":
                own[op[1]].append(op[2])
                continue
            if op[0] != "r" or op[1][0] != "la":
                continue
            value = tuple(op[2])
            mine = tuple(own.get(op[1], ()))
            if mine:
                if value[-len(mine):] != mine:
                    out.append(Violation("elle-own-writes", f"txn {txn.id} did not read its own appends to {op[1]}"))
                    continue
                value = value[:-len(mine)]
            lost = [e for e in value if e not in final.get(op[1], ()) and owners.get(e) is not None
                    and owners[e].id not in committed_ids and owners[e].status == "unknown"]
            if lost and txn.id in committed_ids and txn.writes:
                out.append(Violation("elle-G1a", f"committed txn {txn.id} read elements {lost} of transactions "
                                                 f"that never committed"))
                continue
            if lost:
                out.append(Violation("visible-before-durable",
                                     f"txn {txn.id} ({txn.status}) read elements {lost} of commits that were "
                                     f"never durable ({', '.join(owners[e].error[:80] for e in lost[:1])})"))
                value = tuple(e for e in value if e not in lost)
            full = final.get(op[1], ())
            if full[:len(value)] != value:
                out.append(Violation("elle-incompatible-order", f"txn {txn.id} read {op[1]} = {value}, not a "
                                                                f"prefix of the final {full}"))
                continue
            for e in value:
                writer = owners.get(e)
                if writer is not None and writer.id not in committed_ids:
                    out.append(Violation("elle-G1a", f"txn {txn.id} read element {e} of txn {writer.id} "
                                                     f"({writer.status}) that never committed"))
            if txn.id not in committed_ids:
                continue
            if value:
                writer = owners.get(value[-1])
                if writer is not None and writer.id != txn.id and writer.id in nodes:
                    edges[writer.id].add((txn.id, "wr"))
            if len(full) > len(value):
                nxt = owners.get(full[len(value)])
                if nxt is not None and nxt.id != txn.id and nxt.id in nodes:
                    edges[txn.id].add((nxt.id, "rw"))
    # G0 / G1c: a cycle of ww and wr edges; G-single: one rw edge closed by ww/wr edges.
    def reach(start: int, goal: int, kinds: set[str]) -> bool:
        seen, stack = {start}, [start]
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            for nxt, kind in edges.get(node, ()):
                if kind in kinds and nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    for a, targets in list(edges.items()):
        for b, kind in targets:
            if kind in ("ww", "wr") and reach(b, a, {"ww", "wr"}):
                out.append(Violation("elle-G1c", f"cycle of ww/wr dependencies through txns {a} and {b}"))
                return out
            if kind == "rw" and reach(b, a, {"ww", "wr"}):
                out.append(Violation("elle-G-single", f"txn {a} missed txn {b}'s append, yet depends on it "
                                                      f"(read skew / lost update)"))
                return out
    return out


def _short(value: object, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
