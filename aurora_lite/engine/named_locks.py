"""Application locks of one instance: PostgreSQL's advisory locks and MySQL's GET_LOCK().

A lock is named by a key (PostgreSQL: a bigint or a pair of ints; MySQL: a
string) and held by a session, re-entrantly: a session that takes a lock n
times releases it n times. Session-level locks last until released or until the
session ends; PostgreSQL's transaction-level locks (pg_advisory_xact_lock) end
with the transaction. As on Aurora, each instance has its own: a lock taken on
the writer means nothing on a reader.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, Hashable

_POLL_S = 0.05  # a waiter also notices its session being closed or lost this often


class NamedLocks:
    """The application locks of one instance."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._owner: dict[Hashable, Any] = {}          # key -> session holding it
        self._count: Counter[tuple[Any, Hashable]] = Counter()   # (session, key) -> times taken
        self._transaction: Counter[tuple[Any, Hashable]] = Counter()  # ... of those, transaction-level

    def acquire(self, session: Any, key: Hashable, timeout_s: float | None = None, *,
                transaction: bool = False) -> bool:
        """Take key for session, waiting up to timeout_s (None: as long as it takes); False on timeout."""
        deadline = None if timeout_s is None else time.monotonic() + max(0.0, timeout_s)
        with self._cond:
            while self._owner.get(key, session) is not session:
                if session.closed or session.lost:
                    return False
                left = _POLL_S if deadline is None else min(_POLL_S, deadline - time.monotonic())
                if left <= 0:
                    return False
                self._cond.wait(left)
            self._owner[key] = session
            self._count[(session, key)] += 1
            if transaction:
                self._transaction[(session, key)] += 1
            return True

    def release(self, session: Any, key: Hashable) -> bool | None:
        """Give key up once: True; False if another session holds it; None if nobody does."""
        with self._cond:
            owner = self._owner.get(key)
            if owner is None:
                return None
            if owner is not session or self._count[(session, key)] <= self._transaction[(session, key)]:
                return False  # (a transaction-level lock is not released by hand)
            self._drop(session, key, 1)
            return True

    def holder(self, key: Hashable) -> Any:
        """The session holding key, or None."""
        with self._cond:
            return self._owner.get(key)

    def end_transaction(self, session: Any) -> None:
        """The session's transaction ended: its transaction-level locks go."""
        if not self._transaction:  # every transaction ends here: most never took one
            return
        with self._cond:
            for (owner, key), times in list(self._transaction.items()):
                if owner is session:
                    del self._transaction[(owner, key)]
                    self._drop(session, key, times)

    def release_all(self, session: Any, *, session_level_only: bool = False, kind: str | None = None) -> int:
        """The session's locks go (only session-level ones; only keys (kind, ...)); how many were held."""
        with self._cond:
            released = 0
            for (owner, key), times in list(self._count.items()):
                if owner is not session or kind is not None and key[0] != kind:
                    continue
                if session_level_only:
                    times -= self._transaction[(session, key)]
                else:
                    self._transaction.pop((session, key), None)
                if times > 0:
                    self._drop(session, key, times)
                    released += times
            return released

    def _drop(self, session: Any, key: Hashable, times: int) -> None:
        self._count[(session, key)] -= times
        if self._count[(session, key)] <= 0:
            del self._count[(session, key)]
            del self._owner[key]
            self._cond.notify_all()
