"""The client side of a single-threaded run: two writer sessions and the reader sessions.

A writer session runs its current transaction one statement at a time (reads, list
appends, bank writes from `workload.plan`), records every value read and written in
the history, and commits; a failed statement or COMMIT ends the transaction as `fail`,
or `unknown` when its redo reached the volume. A reader session reads the whole
database in one transaction and records what it saw as an observation. The small
functions at the end tell a lost connection from a failed statement, close a dead
connection quietly and format errors, keys and values for the trace.
"""
from __future__ import annotations

from ..dbapi.exceptions import Error
from .history import Observation, Txn
from .workload import Op, parse_list, plan, read_state, sql_for


class _Session:
    def __init__(self, name: str) -> None:
        self.name = name
        self.conn = None
        self.txn: Txn | None = None
        self.plan: list[Op] = []
        self.pos = 0
        self.local: dict = {}


class ClientSessions:
    """Simulation's writer and reader sessions (a part of `simulation.Simulation`)."""

    # ------------------------------------------------------------------ writer sessions
    def _writer_step(self, s: _Session) -> None:
        if s.conn is None:
            self._tune_timeouts()
            try:
                s.conn = self.cluster.connect("writer")
            except Error as exc:
                self.note(f"{s.name} connect failed: {_err(exc)}")
                return
        if s.txn is None:
            txn_id = next(self._txn_ids)
            kind, ops = plan(self.rng, txn_id)
            s.txn = Txn(txn_id, s.name, kind, begin_step=self.step)
            s.plan, s.pos, s.local = ops, 0, {}
            self.history.txns.append(s.txn)
        if s.pos < len(s.plan):
            self._run_op(s)
        else:
            self._commit(s)

    def _run_op(self, s: _Session) -> None:
        op = s.plan[s.pos]
        s.pos += 1
        txn = s.txn
        sql, params = sql_for(op, s.local.get(op.key))
        try:
            cur = s.conn.cursor()
            cur.execute(sql, params)
            if op.kind == "r":
                rows = cur.fetchall()
                if len(rows) != 1:
                    self.violate("final-state", f"{s.name} txn {txn.id}: {op.key} has {len(rows)} rows")
                    return
                value = parse_list(rows[0][0]) if op.key[0] == "la" else int(rows[0][0])
                txn.ops.append(("r", op.key, value))
                s.local[op.key] = value
                self.note(f"{s.name} t{txn.id} read {_key(op.key)} -> {_val(value)}")
            elif op.kind == "a":
                txn.ops.append(("a", op.key, op.elem))
                self.note(f"{s.name} t{txn.id} append {_key(op.key)} += {op.elem}")
            else:
                value = s.local[op.key] + op.delta
                txn.ops.append(("w", op.key, value))
                s.local[op.key] = value
                self.note(f"{s.name} t{txn.id} write {_key(op.key)} = {value}")
        except Error as exc:
            self._end_txn(s, "fail", exc)
        except Exception as exc:  # noqa: BLE001 - a user must never see one
            self.violate("error-class", f"{s.name} t{txn.id} {sql!r} raised {type(exc).__name__}: {exc}")

    def _commit(self, s: _Session) -> None:
        txn = s.txn
        volume = self.cluster.volume
        before = volume.last_lsn
        self._tune_timeouts()
        with self._lock:
            txn.recoveries_before = len(self._recoveries)
        try:
            s.conn.commit()
        except Error as exc:
            after = volume.last_lsn
            if txn.writes and after > before:
                txn.lsn, txn.time = after, self.now
                self._end_txn(s, "unknown", exc)
            else:
                self._end_txn(s, "fail", exc)
            return
        except Exception as exc:  # noqa: BLE001 - a user must never see one
            self.violate("error-class", f"{s.name} t{txn.id} COMMIT raised {type(exc).__name__}: {exc}")
            return
        txn.status, txn.end_step = "ok", self.step
        if txn.writes:
            txn.lsn, txn.time = volume.last_lsn, self.now
            if txn.lsn <= before:
                self.violate("no-lost-ack", f"{s.name} t{txn.id} committed its writes without a redo record")
            elif volume.vdl < txn.lsn:
                self.violate("quorum", f"{s.name} t{txn.id} was acknowledged at LSN {txn.lsn} above VDL {volume.vdl}")
        self.note(f"{s.name} t{txn.id} commit ok" + (f" lsn={txn.lsn}" if txn.writes else ""))
        s.txn = None

    def _end_txn(self, s: _Session, status: str, exc: Error) -> None:
        txn = s.txn
        txn.status, txn.end_step, txn.error = status, self.step, _err(exc)
        self.note(f"{s.name} t{txn.id} {status}: {_err(exc)}" + (f" lsn={txn.lsn}" if txn.lsn else ""))
        s.txn = None
        if _connection_lost(exc):
            _close_quietly(s.conn)
            s.conn = None
        else:
            try:
                s.conn.rollback()
            except Error:
                _close_quietly(s.conn)
                s.conn = None

    # ------------------------------------------------------------------ readers
    def _reader_read(self, identifier: str) -> None:
        entry = self.reader_conns.get(identifier)
        if entry is None:
            try:
                conn = self.cluster.connect(identifier)
            except Error as exc:
                self.note(f"reader {identifier} connect failed: {_err(exc)}")
                return
            entry = self.reader_conns[identifier] = (conn, f"{identifier}#{next(self._reader_sessions)}")
        conn, session = entry
        try:
            state = read_state(conn.cursor())
            conn.commit()
        except Error as exc:
            self.note(f"reader {identifier} read failed: {_err(exc)}")
            _close_quietly(conn)
            del self.reader_conns[identifier]
            return
        except Exception as exc:  # noqa: BLE001 - a user must never see one
            self.violate("error-class", f"reader {identifier} read raised {type(exc).__name__}: {exc}")
            return
        self.history.observations.append(Observation(f"reader {session}", state, self.step, session=session))
        # Not the reader's applied LSN: replicas apply asynchronously, so it varies between reruns
        # of a seed (and the trace must not).
        self.note(f"reader {session} read (vdl {self.cluster.volume.vdl})")


# ------------------------------------------------------------------ helpers
def _connection_lost(exc: Error) -> bool:
    state = str(getattr(exc, "sqlstate", "") or "")
    errno = getattr(exc, "errno", None)
    return state.startswith(("08", "57P")) or errno in (2013, 2006)


def _err(exc: BaseException) -> str:
    code = getattr(exc, "sqlstate", None) or ""
    errno = getattr(exc, "errno", None)
    text = str(exc).replace("\n", " ")
    if len(text) > 160:
        text = text[:160] + "..."
    return f"{type(exc).__name__}({errno or code}) {text}"


def _close_quietly(conn) -> None:
    if conn is None:
        return
    try:
        conn.close()
    except Exception:  # noqa: BLE001, S110 - closing a connection of a dead instance
        pass


def _key(key: tuple) -> str:
    return f"la{key[1]}[{key[2]}]" if key[0] == "la" else f"bank[{key[1]}]"


def _val(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ",".join(map(str, value[-4:])) + ("" if len(value) <= 4 else f" ({len(value)})") + "]"
    return str(value)
