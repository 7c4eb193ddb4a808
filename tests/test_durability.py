"""A process killed with SIGKILL in the middle of a write workload loses nothing it acknowledged.

A child process creates a durable cluster and commits transactions in a
loop; each transaction writes 5 rows tagged with its number, over two
tables (so over two pages), and the child prints the tag once `commit()`
has returned. The parent kills the child with SIGKILL after N acknowledged
commits, reopens the cluster with `Cluster.open(path)` and checks:

- every acknowledged tag is fully present (5 rows);
- no transaction is partially present (each tag has 0 or 5 rows);
- nothing newer than the one commit that may have been in flight is there;
- the reopened cluster takes new commits, which survive another reopen.

Waits are bounded: the parent reads the child's pipe with a timeout.
"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import aurora_lite as al

pytestmark = [
    pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result"),
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

ROOT = Path(al.__file__).resolve().parent.parent
LINE_TIMEOUT_S = 30.0
ROWS_PER_TXN = 5

CHILD = r"""
import sys
import aurora_lite as al

engine, path = sys.argv[1], sys.argv[2]
cluster = al.Cluster(engine, path=path)
conn = cluster.connect()
cur = conn.cursor()
cur.execute("CREATE TABLE w (tag INT, i INT, note VARCHAR(20), PRIMARY KEY (tag, i))")
cur.execute("CREATE TABLE w2 (tag INT, i INT)")
conn.commit()
print("ready", flush=True)
tag = 0
while True:
    tag += 1
    if tag % 2:
        # One statement per row: several redo records in one transaction.
        for i in range(3):
            cur.execute("INSERT INTO w (tag, i, note) VALUES (%s, %s, %s)", (tag, i, f"txn {tag}"))
        cur.execute("INSERT INTO w2 (tag, i) VALUES (%s, 3)", (tag,))
        cur.execute("INSERT INTO w2 (tag, i) VALUES (%s, 4)", (tag,))
    else:
        # The bulk path, plus an update and a delete of earlier rows in the same transaction.
        cur.executemany("INSERT INTO w (tag, i, note) VALUES (%s, %s, %s)", [(tag, i, None) for i in range(3)])
        cur.executemany("INSERT INTO w2 (tag, i) VALUES (%s, %s)", [(tag, 3), (tag, 4), (tag, 5)])
        cur.execute("DELETE FROM w2 WHERE tag = %s AND i = 5", (tag,))
        cur.execute("UPDATE w SET note = %s WHERE tag = %s", (f"txn {tag}", tag))
    conn.commit()
    print(tag, flush=True)
"""


class Child:
    """The writer process and a reader thread that turns its stdout into lines."""

    def __init__(self, engine: str, path: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, engine, str(path)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=ROOT)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            if raw.endswith(b"\n"):  # a line cut by the kill is not an acknowledgement
                self.lines.put(raw.decode().strip())
        self.lines.put(None)

    def next_line(self) -> str:
        try:
            line = self.lines.get(timeout=LINE_TIMEOUT_S)
        except queue.Empty:
            self.kill()
            pytest.fail(f"the child printed nothing for {LINE_TIMEOUT_S} s")
        if line is None:
            self.proc.wait(timeout=LINE_TIMEOUT_S)
            stderr = self.proc.stderr.read().decode() if self.proc.stderr else ""
            pytest.fail(f"the child exited ({self.proc.returncode}):\n{stderr[-3000:]}")
        return line

    def kill(self) -> list[str]:
        """SIGKILL, then every complete line it printed before dying."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=LINE_TIMEOUT_S)
        self.reader.join(timeout=LINE_TIMEOUT_S)
        rest = []
        while True:
            line = self.lines.get_nowait() if not self.lines.empty() else None
            if line is None:
                break
            rest.append(line)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return rest


def tag_counts(connection: al.Connection) -> dict[int, int]:
    cur = connection.cursor()
    cur.execute("SELECT tag, count(*) FROM (SELECT tag FROM w UNION ALL SELECT tag FROM w2) AS u GROUP BY tag")
    return dict(cur.fetchall())


def notes_ok(connection: al.Connection) -> bool:
    """Each transaction's UPDATE is there with its INSERTs."""
    cur = connection.cursor()
    cur.execute("SELECT tag, note FROM w")
    return all(note == f"txn {tag}" for tag, note in cur.fetchall())


@pytest.mark.parametrize("acknowledged", [1, 9, 40])
@pytest.mark.parametrize("engine", ["aurora-postgresql", "aurora-mysql"])
def test_sigkill_loses_no_acknowledged_commit(engine, acknowledged, tmp_path):
    path = tmp_path / "cluster"
    child = Child(engine, path)
    assert child.next_line() == "ready"
    acked = [int(child.next_line()) for _ in range(acknowledged)]
    acked += [int(line) for line in child.kill() if line != "ready"]
    assert acked == list(range(1, len(acked) + 1))
    last = acked[-1]

    cluster = al.Cluster.open(path)
    try:
        connection = cluster.connect()
        counts = tag_counts(connection)
        partial = {tag: n for tag, n in counts.items() if n != ROWS_PER_TXN}
        assert not partial, f"transactions partially present: {partial}"
        missing = [tag for tag in acked if tag not in counts]
        assert not missing, f"acknowledged commits lost: {missing}"
        # At most the one commit in flight at the kill may be there unacknowledged.
        assert set(counts) <= set(range(1, last + 2))
        assert notes_ok(connection)
        # The reopened cluster goes on writing.
        cur = connection.cursor()
        cur.execute("INSERT INTO w (tag, i, note) VALUES (0, 0, 'txn 0'), (0, 1, 'txn 0'), (0, 2, 'txn 0')")
        cur.execute("INSERT INTO w2 (tag, i) VALUES (0, 3), (0, 4)")
        connection.commit()
        connection.close()
    finally:
        cluster.close()

    again = al.Cluster.open(path)
    try:
        connection = again.connect()
        final = tag_counts(connection)
        assert final == {**counts, 0: ROWS_PER_TXN}
        connection.close()
    finally:
        again.close()
