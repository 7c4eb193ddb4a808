"""``aurora-lite demo --storage``: a narrated tour of the cluster volume, below the SQL engine.

It drives `aurora_lite.storage.Volume` directly with hand-made redo records:
quorum commits and what each segment holds, the loss of an AZ and of a third
segment, repair by gossip, reading the table as of an earlier LSN, and an
on-disk volume whose files are damaged and repaired on reopen.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from .output import Narrator

if TYPE_CHECKING:
    from ..storage import Volume

# ---------------------------------------------------------------- demo data
# The demo's table: accounts(id, owner, balance), key id. The engine (not yet
# written) will place rows on pages; here account id goes to page id % PAGES,
# and two pages per protection group give a volume of two groups.
PAGES = 4
PAGES_PER_PG = 2
COMMIT_TIMEOUT_S = 0.5


class Txn(NamedTuple):
    """One transaction of the demo: rows written (id, owner, balance) and ids deleted."""

    note: str
    upserts: tuple[tuple[int, str, int], ...] = ()
    deletes: tuple[int, ...] = ()


OPEN = Txn("open four accounts", upserts=((1, "alice", 100), (2, "bob", 50), (3, "carol", 75), (4, "dave", 20)))
TRANSFER = Txn("alice pays bob 30", upserts=((1, "alice", 70), (2, "bob", 80)))
ERIN = Txn("erin opens an account", upserts=((5, "erin", 60),))
CAROL_LEAVES = Txn("carol closes her account", deletes=(3,))
STUCK = Txn("dave deposits 40", upserts=((4, "dave", 60),))          # page 0: protection group 0 only
BEHIND = Txn("frank opens an account", upserts=((6, "frank", 10),))  # page 2: protection group 1 only
DEMO_TRANSACTIONS = (OPEN, TRANSFER, ERIN, CAROL_LEAVES, STUCK, BEHIND)  # in commit order
DISK_TRANSACTIONS = (OPEN, TRANSFER, ERIN, CAROL_LEAVES)


def _records(txn: Txn) -> list:
    import pyarrow as pa

    from ..storage import RecordKind, RedoRecord
    from ..storage.rows import encode_rows

    out = []
    for page in range(PAGES):
        ups = [r for r in txn.upserts if r[0] % PAGES == page]
        if ups:
            ids, owners, balances = zip(*ups)
            rows = pa.table({"id": pa.array(ids, pa.int64()), "owner": pa.array(owners, pa.string()),
                             "balance": pa.array(balances, pa.int64())})
            out.append(RedoRecord(page, RecordKind.ROW_UPSERT, encode_rows(rows, ["id"])))
        dels = [a for a in txn.deletes if a % PAGES == page]
        if dels:
            keys = pa.table({"id": pa.array(dels, pa.int64())})
            out.append(RedoRecord(page, RecordKind.ROW_DELETE, encode_rows(keys, ["id"])))
    return out


# ---------------------------------------------------------------- volume views
def _locate(volume: Volume, lsn: int) -> tuple[tuple, int, list[str], int]:
    """(index entry, protection group, holders in each AZ, acks) of the record at lsn.

    Holders: a digit is a segment that holds the record, x a segment that is
    down, . a segment that is up but lacks the record. Acks count the up ones.
    """
    for pg in volume.protection_groups:
        entry = None
        marks, acks = [], 0
        for seg in pg.segments:
            pos = seg.log.find(lsn)
            if pos >= 0:
                entry = seg.log.entry(pos)
            held = pos >= 0 and seg.available
            acks += held
            marks.append(str(seg.index) if held else "." if seg.available else "x")
        if entry is not None:
            return entry, pg.index, [" ".join(marks[i:i + 2]) for i in range(0, 6, 2)], acks
    raise LookupError(lsn)


def _record_table(out: Narrator, volume: Volume, first: int, last: int) -> None:
    from ..storage import RecordKind

    rows = []
    for lsn in range(first, last + 1):
        (_, prev, page, txn, _, kind, *_), pg, holders, acks = _locate(volume, lsn)
        rows.append((lsn, txn, RecordKind(kind).name, page, pg, prev, *holders, f"{acks}/6"))
    out.table(("LSN", "txn", "kind", "page", "PG", "prev", "az-a", "az-b", "az-c", "acks"), rows)


def _scl_table(out: Narrator, volume: Volume) -> None:
    rows = [[pg.index] + [f"{s.complete_lsn}" if s.available else f"{s.complete_lsn} down" for s in pg.segments]
            for pg in volume.protection_groups]
    out.table(["PG"] + [f"{az}/{i}" for i, az in enumerate(("az-a", "az-a", "az-b", "az-b", "az-c", "az-c"))],
              rows)


def _accounts(out: Narrator, volume: Volume, lsn: int | None, label: str) -> int:
    table = volume.materialize(0, PAGES, lsn)
    rows = [] if table is None else sorted(table.select(["id", "owner", "balance"]).to_pylist(),
                                            key=lambda r: r["id"])
    out.say(f"accounts as of LSN {volume.vdl if lsn is None else lsn} ({label}): {len(rows)} rows")
    out.table(("id", "owner", "balance"), [(r["id"], r["owner"], r["balance"]) for r in rows])
    return len(rows)


class _Writer:
    """Numbers the demo's transactions and appends them to a volume."""

    def __init__(self, volume: Volume) -> None:
        self.volume = volume
        self.txns = 0

    def append(self, txn: Txn) -> tuple[int, int, int]:
        """(txn number, first LSN, commit LSN); does not wait for durability."""
        self.txns += 1
        first = self.volume.last_lsn + 1
        last = self.volume.append(_records(txn), txn=self.txns, commit_time=time.time())
        return self.txns, first, last

    def commit(self, txn: Txn) -> tuple[int, int, int]:
        """Append txn and wait until VDL reaches its commit."""
        number, first, last = self.append(txn)
        self.volume.wait_for_vdl(last, timeout_s=5.0)
        return number, first, last


# ---------------------------------------------------------------- the demo
def run(stream: TextIO, disk_path: Path | None = None) -> int:
    """The narrated tour of the storage layer; returns an exit code."""
    from ..storage import Volume

    out = Narrator(stream)
    out.stream.write(
        "aurora-lite demo --storage: a tour of the cluster volume (the storage layer).\n"
        "The log is the database: the writer sends redo records, segments keep them,\n"
        "and pages are materialised from the log on demand.\n"
    )
    with Volume(pages_per_pg=PAGES_PER_PG) as volume:
        writer = _Writer(volume)
        _tour_commits(out, volume, writer)
        _tour_faults(out, volume, writer)
        _tour_time_travel(out, volume)
    _tour_disk(out, disk_path)
    out.stream.write("\nDone. docs/architecture.md and docs/log_format.md explain what you saw.\n")
    return 0


def _tour_commits(out: Narrator, volume: Volume, writer: _Writer) -> None:
    out.step("A volume in memory: protection groups of six segments, two in each AZ")
    out.say(f"accounts(id, owner, balance) lives on pages 0-{PAGES - 1} (page = id % {PAGES}); "
            f"{PAGES_PER_PG} pages per group.")
    for txn in (OPEN, TRANSFER):
        number, first, last = writer.commit(txn)
        out.say()
        out.say(f"txn {number} '{txn.note}': LSNs {first}-{last}, commit LSN {last}; "
                f"VCL {volume.vcl}, VDL {volume.vdl}")
        _record_table(out, volume, first, last)
    out.say()
    out.say("prev is the back-link: the previous LSN in the same protection group.")
    out.say("az-a..az-c: a digit is a segment that holds the record, x a segment that is down.")
    out.say("A record is durable once 4 of the 6 segments of its group hold it.")


def _tour_faults(out: Narrator, volume: Volume, writer: _Writer) -> None:
    from ..storage import StorageError

    out.step("Lose az-a: two segments of every group are down, writes go on at 4/6")
    volume.fail_az("az-a")
    for txn in (ERIN, CAROL_LEAVES):
        number, first, last = writer.commit(txn)
        out.say(f"txn {number} '{txn.note}': commit LSN {last}; VCL {volume.vcl}, VDL {volume.vdl}")
        _record_table(out, volume, first, last)

    out.step("Lose one more segment, az-b/2 of group 0: group 0 has 3 of 6")
    volume.fail_segment(0, 2)
    stuck_number, first, stuck_lsn = writer.append(STUCK)
    out.say(f"txn {stuck_number} '{STUCK.note}' touches only group 0; appended as LSNs {first}-{stuck_lsn}:")
    _record_table(out, volume, first, stuck_lsn)
    started = time.monotonic()
    try:
        volume.wait_for_vdl(stuck_lsn, timeout_s=COMMIT_TIMEOUT_S)
        raise RuntimeError("a commit with 3 of 6 acks became durable")
    except StorageError as exc:
        out.say(f"commit LSN {stuck_lsn} timed out after {time.monotonic() - started:.1f}s:")
        out.say(f"  {type(exc).__name__}: {exc}")
    behind_number, first, behind_lsn = writer.append(BEHIND)
    out.say(f"txn {behind_number} '{BEHIND.note}' touches only group 1 and gets 4/6 acks,")
    _record_table(out, volume, first, behind_lsn)
    out.say(f"but VCL is a prefix: it stays at {volume.vcl} until LSN {stuck_lsn} is durable. VDL {volume.vdl}.")
    out.say("Reads go on, at VDL, from one segment of each group complete to it:")
    _accounts(out, volume, None, "reads during the outage")

    out.step("Restore az-b/2, then az-a: gossip copies what each segment missed")
    copied = volume.restore_segment(0, 2)
    out.say(f"az-b/2 is back: {copied} records copied from its peers, so commit LSN {stuck_lsn} has 4/6.")
    volume.wait_for_vdl(behind_lsn, timeout_s=5.0)
    out.say(f"txn {stuck_number} and txn {behind_number} are durable now: VCL {volume.vcl}, VDL {volume.vdl}")
    out.say("Segment complete LSN (SCL) of each segment before az-a returns:")
    _scl_table(out, volume)
    copied = volume.restore_az("az-a")
    out.say(f"az-a is back: {copied} records copied; every segment is complete to VCL again:")
    _scl_table(out, volume)


def _tour_time_travel(out: Narrator, volume: Volume) -> None:
    out.step("Materialise the table from the log, at an earlier LSN and now")
    first_commit = next(r.lsn for r in volume.read_log(0, volume.vdl) if r.kind.name == "COMMIT")
    _accounts(out, volume, first_commit, f"after txn 1, '{OPEN.note}'")
    out.say()
    _accounts(out, volume, None, "now")


def _tour_disk(out: Narrator, disk_path: Path | None) -> None:
    out.step("On disk: close, damage two segment files, reopen")
    with _directory(disk_path) as root:
        _disk_scenario(out, root, disk_path)


@contextmanager
def _directory(path: Path | None) -> Iterator[Path]:
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="aurora-lite-demo-") as tmp:
        yield Path(tmp) / "volume"


def _disk_scenario(out: Narrator, root: Path, disk_path: Path | None) -> None:
    from ..storage import Volume

    with Volume(root, pages_per_pg=PAGES_PER_PG) as volume:
        writer = _Writer(volume)
        for txn in DISK_TRANSACTIONS:
            writer.commit(txn)
        where = "a temporary directory" if disk_path is None else root
        out.say(f"{writer.txns} transactions committed to {where} (fsync on), VDL {volume.vdl}; closed.")
    corrupt = root / "pg-00000" / "seg-1-az-a.log"
    torn = root / "pg-00001" / "seg-4-az-c.log"
    data = bytearray(corrupt.read_bytes())
    # The file opens with the 8-byte magic; the first frame's payload starts 48 bytes later.
    length = int.from_bytes(data[12:16], "little")
    offset = 8 + 48 + length // 2
    data[offset] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    out.say(f"flipped byte {offset} of {corrupt.relative_to(root)} (inside its first record)")
    size = torn.stat().st_size
    with open(torn, "r+b") as f:
        f.truncate(size - 5)
    out.say(f"cut the last 5 bytes of {torn.relative_to(root)} (a torn append)")

    with Volume.open(root) as volume:
        out.say("Volume.open scans every segment file (volume.last_scan):")
        rows, clean = [], 0
        for (pg, seg), report in sorted(volume.last_scan.items()):
            if report.status == "clean":
                clean += 1
                continue
            rows.append((pg, seg, report.status, report.records, report.valid_bytes, report.file_bytes,
                         report.dropped_bytes))
        out.table(("PG", "seg", "status", "records kept", "valid bytes", "file bytes", "dropped"), rows)
        out.say(f"the other {clean} segments are clean. Bad bytes are cut, never used.")
        rec = volume.last_recovery
        out.say(f"recovery: VCL {rec.vcl}, VDL {rec.vdl}, new epoch {rec.epoch}, "
                f"{rec.truncated_records} records truncated above VDL, "
                f"{rec.repaired_records} records repaired from peers")
        _scl_table(out, volume)
        table = volume.materialize(0, PAGES)
        out.say(f"accounts after reopen: {0 if table is None else table.num_rows} rows")
