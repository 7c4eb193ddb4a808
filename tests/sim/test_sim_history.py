"""The history checker on hand-written histories: it accepts a correct one and names each anomaly."""
from __future__ import annotations

from aurora_lite.sim.history import (
    History,
    Observation,
    Txn,
    check_final,
    check_prefix,
    check_snapshot_isolation,
    elle_check,
)
from aurora_lite.sim.workload import initial_state

A, B = ("la", 0, 0), ("la", 0, 1)
X, Y = ("bank", 0), ("bank", 1)


def history(*txns: Txn) -> History:
    h = History(initial_state())
    h.txns.extend(txns)
    return h


def final_of(h: History) -> dict:
    _, states = h.prefixes()
    return states[-1]


def t(id: int, ops: list[tuple], *, status: str = "ok", lsn: int | None = None, begin: int = 0, end: int = 0,
      kind: str = "append") -> Txn:
    return Txn(id, "w0", kind, ops=ops, status=status, lsn=lsn, time=float(end), begin_step=begin, end_step=end)


def test_a_serial_history_passes_every_check() -> None:
    h = history(t(1, [("r", A, ()), ("a", A, 10)], lsn=5, begin=1, end=2),
                t(2, [("r", A, (10,)), ("a", A, 20), ("a", B, 21)], lsn=8, begin=3, end=4),
                t(3, [("r", X, 100), ("r", Y, 100), ("w", X, 95), ("w", Y, 105)], lsn=11, begin=5, end=6,
                  kind="transfer"))
    final = final_of(h)
    h.observations.append(Observation("reader r#1", {**initial_state(), A: (10,)}, 3, session="r#1"))
    h.observations.append(Observation("pitr", {**initial_state(), A: (10, 20), B: (21,)}, 7, lsn=9))
    assert check_final(h, final) == []
    assert check_snapshot_isolation(h) == []
    assert check_prefix(h) == []
    assert elle_check(h, final) == []


def test_a_lost_acknowledged_commit_is_named() -> None:
    h = history(t(1, [("a", A, 10)], lsn=5, end=1), t(2, [("a", A, 20)], lsn=7, end=2))
    final = {**initial_state(), A: (10,)}
    assert [v.invariant for v in check_final(h, final)] == ["no-lost-ack"]


def test_an_aborted_write_that_shows_is_named() -> None:
    h = history(t(1, [("a", A, 10)], lsn=5, end=1), t(2, [("a", B, 20)], status="fail", end=2))
    final = {**initial_state(), A: (10,), B: (20,)}
    assert [v.invariant for v in check_final(h, final)] == ["no-aborted-visible"]


def test_half_of_an_unknown_commit_is_named() -> None:
    h = history(t(1, [("a", A, 10), ("a", B, 11)], status="unknown", lsn=5, end=1))
    final = {**initial_state(), A: (10,)}
    assert [v.invariant for v in check_final(h, final)] == ["all-or-nothing"]


def test_a_lost_update_is_named() -> None:
    # Both read 100 and both commit a transfer from X: the second overwrote the first.
    h = history(t(1, [("r", X, 100), ("w", X, 90)], lsn=5, begin=1, end=3, kind="transfer"),
                t(2, [("r", X, 100), ("w", X, 80)], lsn=7, begin=2, end=4, kind="transfer"))
    assert [v.invariant for v in check_snapshot_isolation(h)] == ["snapshot-isolation"]
    assert "lost update" in check_snapshot_isolation(h)[0].message


def test_read_skew_is_named() -> None:
    # t3 sees t1's append to A but not t2's to B, though t2 committed before t1... in LSN order.
    h = history(t(1, [("a", B, 10)], lsn=5, end=1), t(2, [("a", A, 20)], lsn=7, end=2),
                t(3, [("r", A, (20,)), ("r", B, ())], begin=3, end=3))
    assert [v.invariant for v in check_snapshot_isolation(h)] == ["snapshot-isolation"]


def test_a_stale_snapshot_on_the_writer_is_named() -> None:
    h = history(t(1, [("a", A, 10)], lsn=5, begin=1, end=1), t(2, [("r", A, ())], begin=2, end=2))
    assert "stale" in check_snapshot_isolation(h)[0].message


def test_a_bank_audit_with_a_wrong_total_is_named() -> None:
    h = history(t(1, [("r", ("bank", i), 100 + (i == 0)) for i in range(4)], kind="audit", end=1))
    assert any("bank total" in v.message for v in check_snapshot_isolation(h))


def test_a_reader_that_is_not_a_prefix_or_goes_back_is_named() -> None:
    h = history(t(1, [("a", A, 10)], lsn=5, end=1), t(2, [("a", B, 20)], lsn=7, end=2))
    h.observations.append(Observation("reader r#1", {**initial_state(), B: (20,)}, 3, session="r#1"))
    assert [v.invariant for v in check_prefix(h)] == ["reader-prefix"]
    h.observations[:] = [Observation("reader r#1", {**initial_state(), A: (10,), B: (20,)}, 3, session="r#1"),
                         Observation("reader r#1", {**initial_state(), A: (10,)}, 4, session="r#1")]
    assert [v.invariant for v in check_prefix(h)] == ["reader-monotonic"]


def test_a_restore_that_is_not_its_target_is_named() -> None:
    h = history(t(1, [("a", A, 10)], lsn=5, end=1), t(2, [("a", B, 20)], lsn=7, end=2))
    h.observations.append(Observation("pitr", {**initial_state(), A: (10,), B: (20,)}, 3, lsn=6))
    assert [v.invariant for v in check_prefix(h)] == ["restore-exact"]


def test_elle_finds_g_single_and_aborted_reads_without_lsns() -> None:
    # Lost update on a list: both read [] and append; the final order puts 1 before 2.
    h = history(t(1, [("r", A, ()), ("a", A, 10)]), t(2, [("r", A, ()), ("a", A, 20)]))
    assert [v.invariant for v in elle_check(h, {**initial_state(), A: (10, 20)})] == ["elle-G-single"]
    h = history(t(1, [("a", A, 10)], status="fail"), t(2, [("r", A, (10,))]))
    assert "elle-G1a" in [v.invariant for v in elle_check(h, {**initial_state(), A: (10,)})]
    h = history(t(1, [("r", A, (20,))]), t(2, [("a", A, 10)]), t(3, [("a", A, 20)]))
    assert "elle-incompatible-order" in [v.invariant for v in elle_check(h, {**initial_state(), A: (10, 20)})]


def test_a_state_that_recurs_is_not_taken_for_a_reader_going_back() -> None:
    # Found by long seed 915: a transfer and its reverse give the same state twice.
    h = history(t(1, [("w", X, 90), ("w", Y, 110)], lsn=5, end=1, kind="transfer"),
                t(2, [("w", X, 100), ("w", Y, 100)], lsn=7, end=2, kind="transfer"),
                t(3, [("a", A, 30)], lsn=9, end=3))
    start = initial_state()
    h.observations += [Observation("reader r#1", dict(start), 4, session="r#1"),       # after 0 or 2 commits
                       Observation("reader r#1", {**start, X: 90, Y: 110}, 5, session="r#1"),  # after 1
                       Observation("reader r#1", {**start, A: (30,)}, 6, session="r#1")]       # after 3
    assert check_prefix(h) == []
