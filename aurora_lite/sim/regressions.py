"""Seeds that once failed, replayed first by every campaign (and by tests/sim).

Each entry: (seed, options for run_seed, why it failed and what fixed it).
Add a seed here when a run finds a violation, before fixing it.

Threaded runs do not replay exactly; what they found is pinned by deterministic tests instead:
- long seed 164 (threaded): a commit waiting for quorum when a recovery truncated it was acknowledged
  once new commits reused its LSN (storage/volume.py wait_for_vdl and append take the writer's epoch;
  engine/instance.py passes it) -> tests/sim/test_sim_quorum_contract.py::
  test_a_commit_that_a_recovery_truncated_is_never_acknowledged.
- long seed 88 (threaded): another session read a commit before it was durable, and it was then
  truncated (engine/instance.py settle_visible: a statement's results wait until VDL covers every
  commit its snapshot saw) -> test_the_writer_shows_no_commit_before_it_is_durable.
- long seed 146 (threaded): the simulator picked a segment to fail when none was up (sim/threaded_schedule.py).
"""
from __future__ import annotations

REGRESSIONS: list[tuple[int, dict, str]] = [
    (19, {}, "simulator: an unknown commit was resolved by a recovery that ran before it (connect, then commit)"),
    (22, {}, ("storage/volume.py _rejoin: a segment that came back while the only holders were down kept its gap "
              "for good (gossip one way only); segments never converged")),
    (33, {}, "cluster.py restore_to_point_in_time: raw QuorumUnavailableError with every segment down"),
    (76, {}, "cluster.py restore_to_point_in_time (by LSN): raw QuorumUnavailableError"),
    (77, {}, "cluster.py restore_to_point_in_time (by time, settling commits): raw QuorumUnavailableError"),
    (107, {}, "simulator: counted records that a recovery voided, still held by a segment that was down then"),
    (133, {}, ("storage/recovery.py: a recovery with 3 segments up kept an unacknowledged commit on those 3 only; "
               "a later recovery reading the other 3 truncated below the VDL readers had shown")),
    (243, {}, ("backup/snapshot.py create_snapshot (on disk): raw QuorumUnavailableError; a half-written snapshot "
               "directory blocked retries")),
    (7, {"long": True}, ("cluster.py restore_from_snapshot (in memory, shares the source's segments): raw "
                         "QuorumUnavailableError with them down")),
    (18, {"long": True}, "the same, another schedule"),
    (915, {"long": True}, ("simulator: a transfer and its reverse gave the same state twice; the reader monotonic "
                           "check took the later position and reported a reader going back")),
]
