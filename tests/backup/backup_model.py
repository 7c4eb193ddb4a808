"""A model of committed state, kept next to a live cluster, for the backup tests.

The workload sends every change to the cluster AND applies it to a plain
Python model; when (and only when) a commit is acknowledged, the model's
state is recorded with the clock time and the commit LSN. The expected state
of a restore at time T (or LSN L) is then the last recorded state with
time <= T (lsn <= L) -- computed from this model, never read back from
aurora_lite. Restored clusters are compared with it through ordinary SELECTs.

Tables (the same shape in both dialects):
- ``acct``: an auto-increment (MySQL) / SERIAL (PostgreSQL) key, text, a
  DECIMAL balance and a nullable note;
- ``ev``: no primary key (rows are identified by their full image; duplicate
  rows are allowed and matter);
- ``late``: created in the middle of the history and dropped later, so some
  restore points have it and some do not.
"""
from __future__ import annotations

import itertools
import random
import threading
from collections import Counter
from decimal import Decimal
from typing import Any

import attrs

import aurora_lite as al

CLOCK_START = 1_700_000_000.0  # POSIX seconds; multiples of 1/4 s stay exact through datetime
ENGINES = ("aurora-postgresql", "aurora-mysql")
TABLES = ("acct", "ev", "late")

DDL = {
    "postgres": {
        "acct": "CREATE TABLE acct (id SERIAL PRIMARY KEY, owner TEXT NOT NULL, balance NUMERIC(12,2) NOT NULL, "
                "note TEXT)",
        "ev": "CREATE TABLE ev (kind TEXT, amount INT)",
        "late": "CREATE TABLE late (k INT PRIMARY KEY, v TEXT)",
    },
    "mysql": {
        "acct": "CREATE TABLE acct (id INT AUTO_INCREMENT PRIMARY KEY, owner VARCHAR(40) NOT NULL, "
                "balance DECIMAL(12,2) NOT NULL, note TEXT)",
        "ev": "CREATE TABLE ev (kind VARCHAR(20), amount INT)",
        "late": "CREATE TABLE late (k INT PRIMARY KEY, v VARCHAR(40))",
    },
}
MISSING_TABLE = {"postgres": "42P01", "mysql": "42S02"}  # SQLSTATE of "relation does not exist"

State = dict  # table name -> tuple of rows (sorted); a table that does not exist is absent


class ManualClock:
    """A clock the test moves by hand; every call returns the same value until advance()."""

    def __init__(self, start: float = CLOCK_START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class TickClock:
    """A thread-safe clock for concurrent tests: every call moves 1 ms forward (deterministic per call)."""

    def __init__(self, start: float = CLOCK_START) -> None:
        self._ticks = itertools.count()
        self._start = start
        self._lock = threading.Lock()
        self._last = start

    def __call__(self) -> float:
        with self._lock:
            self._last = self._start + next(self._ticks) / 1000.0
            return self._last

    def peek(self) -> float:
        with self._lock:
            return self._last


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, v if v is not None else 0) if not isinstance(v, str) else (False, v) for v in row)


def rows_sorted(rows: Any) -> tuple:
    return tuple(sorted((tuple(r) for r in rows), key=_sort_key))


def dialect_of(cluster: al.Cluster) -> str:
    return "postgres" if cluster.engine == "aurora-postgresql" else "mysql"


def read_state(cluster: al.Cluster, tables: tuple[str, ...] = TABLES) -> State:
    """Every listed table's rows through a new writer connection; missing tables are absent."""
    dialect = dialect_of(cluster)
    conn = cluster.connect()
    try:
        cur = conn.cursor()
        state: State = {}
        for table in tables:
            try:
                cur.execute(f"SELECT * FROM {table}")
            except al.ProgrammingError as exc:
                # Only "no such table" means absent; any other error is a failure of the test.
                assert exc.sqlstate == MISSING_TABLE[dialect], exc
                conn.rollback()
                continue
            state[table] = rows_sorted(cur.fetchall())
        conn.rollback()
        return state
    finally:
        conn.close()


@attrs.frozen
class CommitPoint:
    """An acknowledged commit: the clock time it committed at, its LSN, the model's state after it."""

    time: float
    lsn: int
    state: State = attrs.field(eq=False)


class Model:
    """Committed state in plain Python."""

    def __init__(self) -> None:
        self.acct: dict[int, tuple[str, Decimal, str | None]] | None = None
        self.ev: Counter | None = None
        self.late: dict[int, str] | None = None

    def copy(self) -> Model:
        other = Model()
        other.acct = None if self.acct is None else dict(self.acct)
        other.ev = None if self.ev is None else Counter(self.ev)
        other.late = None if self.late is None else dict(self.late)
        return other

    def state(self) -> State:
        out: State = {}
        if self.acct is not None:
            out["acct"] = rows_sorted((k, *v) for k, v in self.acct.items())
        if self.ev is not None:
            out["ev"] = rows_sorted(itertools.chain.from_iterable([row] * n for row, n in self.ev.items()))
        if self.late is not None:
            out["late"] = rows_sorted(self.late.items())
        return out


class History:
    """Acknowledged commits in commit order, and the expected state at any time or LSN."""

    def __init__(self, created_at: float) -> None:
        self.created_at = created_at
        self.commits: list[CommitPoint] = []

    def record(self, time: float, lsn: int, state: State) -> None:
        assert not self.commits or (time >= self.commits[-1].time and lsn > self.commits[-1].lsn), \
            "the workload's clock and LSNs must move forward"
        self.commits.append(CommitPoint(time, lsn, state))

    def at_time(self, when: float) -> State:
        state: State = {}
        for point in self.commits:
            if point.time <= when:
                state = point.state
        return state

    def at_lsn(self, lsn: int) -> State:
        state: State = {}
        for point in self.commits:
            if point.lsn <= lsn:
                state = point.state
        return state

    @property
    def times(self) -> list[float]:
        return [p.time for p in self.commits]


class Workload:
    """Random transactions over acct / ev / late on one writer connection, mirrored in a Model.

    Every commit happens at the clock's current value (the test moves a
    ManualClock between transactions), so the recorded commit times are exact.
    """

    STEPS = (0.0, 0.0, 0.25, 1.0, 2.5, 30.0, 600.0)  # seconds the clock moves before a transaction

    def __init__(self, cluster: al.Cluster, clock: ManualClock, seed: int) -> None:
        self.cluster = cluster
        self.clock = clock
        self.dialect = dialect_of(cluster)
        self.rng = random.Random(seed)
        self.conn = cluster.connect()
        self.cur = self.conn.cursor()
        self.model = Model()
        self.history = History(cluster.created_at)
        self.rollbacks = 0
        self.auto_ids: list[int] = []

    # ------------------------------------------------------------ transactions
    def _commit(self, pending: Model) -> None:
        self.conn.commit()
        self.model = pending
        # One writer connection: after its acknowledged commit, VDL is that commit's LSN.
        lsn = self.cluster.volume.vdl
        last = self.history.commits[-1] if self.history.commits else None
        if last is not None and lsn == last.lsn:
            # A transaction that matched no rows writes no redo and so has no commit record;
            # that is right only if it really changed nothing.
            assert pending.state() == last.state, "a transaction that changed rows left no commit record"
            return
        self.history.record(self.clock(), lsn, pending.state())

    def ddl(self, statement: str, change) -> None:
        pending = self.model.copy()
        self.cur.execute(statement)
        change(pending)
        self._commit(pending)

    def create_tables(self) -> None:
        self.ddl(DDL[self.dialect]["acct"], lambda m: setattr(m, "acct", {}))
        self.ddl(DDL[self.dialect]["ev"], lambda m: setattr(m, "ev", Counter()))

    def insert_acct(self, m: Model) -> None:
        owner = self.rng.choice(["ann", "bob", "cy", "dee", "émile", "o'neil"])
        balance = Decimal(self.rng.randint(0, 100_000)) / 100
        note = self.rng.choice([None, "", "vip", "n" * 30])
        if self.dialect == "postgres":
            self.cur.execute("INSERT INTO acct (owner, balance, note) VALUES (%s, %s, %s) RETURNING id",
                             (owner, balance, note))
            new_id = self.cur.fetchone()[0]
        else:
            self.cur.execute("INSERT INTO acct (owner, balance, note) VALUES (%s, %s, %s)", (owner, balance, note))
            new_id = self.cur.lastrowid
        assert isinstance(new_id, int) and new_id not in m.acct, (new_id, sorted(m.acct))
        self.auto_ids.append(new_id)
        m.acct[new_id] = (owner, balance, note)

    def update_acct(self, m: Model) -> None:
        if not m.acct:
            return self.insert_acct(m)
        key = self.rng.choice(sorted(m.acct))
        delta = Decimal(self.rng.randint(-5000, 5000)) / 100
        self.cur.execute("UPDATE acct SET balance = balance + %s, note = %s WHERE id = %s", (delta, "upd", key))
        owner, balance, _ = m.acct[key]
        m.acct[key] = (owner, balance + delta, "upd")

    def delete_acct(self, m: Model) -> None:
        if not m.acct:
            return self.insert_acct(m)
        key = self.rng.choice(sorted(m.acct))
        self.cur.execute("DELETE FROM acct WHERE id = %s", (key,))
        del m.acct[key]

    def insert_ev(self, m: Model) -> None:
        rows = [(self.rng.choice("abc"), self.rng.choice([None, 1, 2, 3, 3])) for _ in range(self.rng.randint(1, 4))]
        if self.rng.random() < 0.3:
            rows.append(rows[0])  # an exact duplicate row in a keyless table
        self.cur.executemany("INSERT INTO ev (kind, amount) VALUES (%s, %s)", rows)
        m.ev.update(rows)

    def update_ev(self, m: Model) -> None:
        kind = self.rng.choice("abc")
        self.cur.execute("UPDATE ev SET amount = amount + 1 WHERE kind = %s", (kind,))
        moved = Counter()
        for (k, amount), n in list(m.ev.items()):
            if k == kind and amount is not None:
                del m.ev[(k, amount)]
                moved[(k, amount + 1)] += n
        m.ev.update(moved)

    def delete_ev(self, m: Model) -> None:
        kind, floor = self.rng.choice("abc"), self.rng.randint(0, 3)
        self.cur.execute("DELETE FROM ev WHERE kind = %s AND amount > %s", (kind, floor))
        for (k, amount) in list(m.ev):
            if k == kind and amount is not None and amount > floor:
                del m.ev[(k, amount)]

    def write_late(self, m: Model) -> None:
        if m.late is None:
            return self.insert_ev(m)
        k = self.rng.randint(1, 6)
        if k in m.late:
            self.cur.execute("DELETE FROM late WHERE k = %s", (k,))
            del m.late[k]
        else:
            self.cur.execute("INSERT INTO late (k, v) VALUES (%s, %s)", (k, f"v{k}"))
            m.late[k] = f"v{k}"

    OPS = ("insert_acct", "insert_acct", "update_acct", "delete_acct", "insert_ev", "insert_ev", "update_ev",
           "delete_ev", "write_late")

    def transaction(self) -> None:
        """One random transaction; about one in ten is rolled back (it must never be visible)."""
        pending = self.model.copy()
        for _ in range(self.rng.randint(1, 4)):
            getattr(self, self.rng.choice(self.OPS))(pending)
        if self.rng.random() < 0.1:
            self.conn.rollback()
            self.rollbacks += 1
        else:
            self._commit(pending)

    def run(self, transactions: int, drop_table: bool = True) -> History:
        """Tables first, then `transactions` random transactions; `late` lives in the middle third.

        drop_table=False keeps `late` (with its rows) to the end instead of dropping it: for
        tests whose subject is not DDL, so that a DROP TABLE bug does not hide their own signal.
        """
        self.clock.advance(1.0)  # the first commit is strictly after the cluster's creation
        self.create_tables()
        for i in range(transactions):
            self.clock.advance(self.rng.choice(self.STEPS))
            if i == transactions // 3:
                self.ddl(DDL[self.dialect]["late"], lambda m: setattr(m, "late", {}))
            elif i == 2 * transactions // 3 and drop_table:
                # The dropped table holds rows: a restore after the drop must not resurrect them.
                self.ddl("INSERT INTO late (k, v) VALUES (99, 'dropped with the table')",
                         lambda m: m.late.__setitem__(99, "dropped with the table"))
                self.ddl("DROP TABLE late", lambda m: setattr(m, "late", None))
            elif i == transactions // 2:
                # TRUNCATE is DDL in MySQL (it commits implicitly): its own transaction in both engines.
                self.ddl("TRUNCATE TABLE ev", lambda m: setattr(m, "ev", Counter()))
            else:
                self.transaction()
        return self.history

    def close(self) -> None:
        self.conn.close()


def next_auto_id(cluster: al.Cluster, owner: str = "new") -> int:
    """Insert one acct row (owner, 0.00, NULL) with a generated key on cluster's writer; its id (the row stays)."""
    conn = cluster.connect()
    try:
        cur = conn.cursor()
        if dialect_of(cluster) == "postgres":
            cur.execute("INSERT INTO acct (owner, balance) VALUES (%s, 0) RETURNING id", (owner,))
            new_id = cur.fetchone()[0]
        else:
            cur.execute("INSERT INTO acct (owner, balance) VALUES (%s, 0)", (owner,))
            new_id = cur.lastrowid
        conn.commit()
        return new_id
    finally:
        conn.close()


class CounterWriter(threading.Thread):
    """A writer thread: transaction i inserts log row i and sets the counter row to i (two tables).

    A committed prefix of its history is exactly {log: 1..k, counter: k} for one k; anything
    else (a torn transaction, a gap) is not. `started` counts commits begun, `acked` commits
    acknowledged: a state taken between two moments A and B must have
    acked(A) <= k <= started(B).
    """

    def __init__(self, cluster: al.Cluster) -> None:
        super().__init__(name="backup-test-writer", daemon=True)
        self.cluster = cluster
        self.started = 0
        self.acked = 0
        self.error: BaseException | None = None
        self._halt = threading.Event()
        self._progress = threading.Condition()

    @staticmethod
    def create_tables(cluster: al.Cluster) -> None:
        conn = cluster.connect()
        cur = conn.cursor()
        cur.execute("CREATE TABLE log (i INT PRIMARY KEY, payload VARCHAR(40))")
        conn.commit()
        cur.execute("CREATE TABLE counter (id INT PRIMARY KEY, n INT NOT NULL)")
        conn.commit()
        cur.execute("INSERT INTO counter VALUES (1, 0)")
        conn.commit()
        conn.close()

    def run(self) -> None:
        conn = self.cluster.connect()
        cur = conn.cursor()
        try:
            while not self._halt.is_set():
                i = self.acked + 1
                cur.execute("INSERT INTO log VALUES (%s, %s)", (i, f"row {i}"))
                cur.execute("UPDATE counter SET n = %s WHERE id = 1", (i,))
                with self._progress:
                    self.started = i
                conn.commit()
                with self._progress:
                    self.acked = i
                    self._progress.notify_all()
        except BaseException as exc:  # reported by stop()
            self.error = exc
            with self._progress:
                self._progress.notify_all()
        finally:
            conn.close()

    def wait_for(self, commits: int, timeout_s: float = 30.0) -> None:
        """Block until at least `commits` commits are acknowledged (a condition wait, not a sleep)."""
        with self._progress:
            assert self._progress.wait_for(lambda: self.acked >= commits or self.error is not None, timeout_s), \
                f"the writer made only {self.acked} commits"
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        self._halt.set()
        self.join(30)
        assert not self.is_alive()
        if self.error is not None:
            raise self.error


def counter_prefix(cluster: al.Cluster) -> int:
    """k if cluster holds exactly the first k transactions of a CounterWriter; fails otherwise."""
    state = read_state(cluster, ("log", "counter"))
    (k,) = [n for _, n in state["counter"]]
    assert state["log"] == tuple((i, f"row {i}") for i in range(1, k + 1)), f"not a committed prefix (counter {k})"
    return k
