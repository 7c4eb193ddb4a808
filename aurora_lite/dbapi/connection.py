"""PEP 249 Connection: a session on one instance of a cluster, reached through an endpoint.

threadsafety 1: threads may share the module, not connections; still, a
connection serialises its cursors with a lock so misuse cannot corrupt it.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from . import exceptions
from .cursor import Cursor
from .exceptions import InterfaceError, ProgrammingError
from .rows import RowFactory
from .transaction import Transaction

if TYPE_CHECKING:
    from ..engine.instance import Instance
    from ..engine.session import Session


class Connection:
    """A PEP 249 connection to one instance of an aurora_lite cluster."""

    # PEP 249 optional extension: the error classes as connection attributes.
    Warning = exceptions.Warning
    Error = exceptions.Error
    InterfaceError = exceptions.InterfaceError
    DatabaseError = exceptions.DatabaseError
    DataError = exceptions.DataError
    OperationalError = exceptions.OperationalError
    IntegrityError = exceptions.IntegrityError
    InternalError = exceptions.InternalError
    ProgrammingError = exceptions.ProgrammingError
    NotSupportedError = exceptions.NotSupportedError

    def __init__(self, instance: Instance, *, autocommit: bool = False, endpoint: str = "writer",
                 user: str | None = None, owner: Any = None, row_factory: RowFactory | None = None) -> None:
        self._instance = instance
        self._front = instance.front
        self._session: Session = instance.session(autocommit=autocommit)
        self._lock = threading.RLock()
        self._owner = owner  # a Cluster this connection opened itself (al.connect(path))
        self.endpoint = endpoint
        self.user = user
        self._session.user = user  # Fix: USER() / CURRENT_USER() name the connecting user
        self.closed = False
        self.row_factory = row_factory  # new cursors' default (psycopg's attribute; dbapi/rows.py)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<aurora_lite.Connection {self._instance.identifier} ({self.endpoint}) {state}>"

    @property
    def instance_identifier(self) -> str:
        """The DB instance this connection reached."""
        return self._instance.identifier

    @property
    def dialect(self) -> str:
        """"postgres" or "mysql"."""
        return self._front.dialect

    # ------------------------------------------------------------ PEP 249
    def cursor(self, *, row_factory: RowFactory | None = None) -> Cursor:
        """A new cursor; its rows are tuples unless a row factory (dbapi/rows.py) says otherwise."""
        self._check_open()
        return Cursor(self, row_factory if row_factory is not None else self.row_factory)

    def execute(self, query: str, params: Any = None) -> Cursor:
        """psycopg 3's shortcut: a new cursor that has executed query."""
        cursor = self.cursor()
        cursor.execute(query, params)
        return cursor

    def transaction(self, savepoint_name: str | None = None, force_rollback: bool = False) -> Transaction:
        """psycopg 3's transaction block (dbapi/transaction.py): ``with connection.transaction(): ...``."""
        self._check_open()
        return Transaction(self, savepoint_name, force_rollback)

    def begin(self) -> None:
        """PyMySQL's begin(): start a transaction (committing an open one, as MySQL does)."""
        self.cursor().execute("BEGIN")

    def ping(self, reconnect: bool = False) -> None:
        """PyMySQL's ping(): raise if the connection or its instance is gone (reconnect is not possible)."""
        self._check_open()
        if self._session.lost:
            raise self._instance.connection_lost(self._session.lost)
        self._instance.check_available()

    def commit(self) -> None:
        """Commit the current transaction; returns once it is durable (VDL reached its commit LSN)."""
        with self._lock:
            self._check_open()
            self._session.commit()

    def rollback(self) -> None:
        """Discard the current transaction."""
        with self._lock:
            self._check_open()
            if self._session.in_transaction:
                self._session.rollback()

    def close(self) -> None:
        """Roll back what is open and release the session; idempotent."""
        if self.closed:
            return
        with self._lock:
            self.closed = True
            try:
                self._session.close()
            finally:
                self._instance.forget(self._session)
                if self._owner is not None:
                    self._owner.close()

    @property
    def autocommit(self) -> bool:
        """Whether each statement commits on its own."""
        return self._session.autocommit

    def get_autocommit(self) -> bool:
        """PyMySQL's spelling of the autocommit property."""
        return self._session.autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        with self._lock:
            self._check_open()
            if self._session.in_transaction:
                if self._front.dialect == "postgres":
                    # psycopg refuses; PyMySQL's SET autocommit=1 commits first.
                    raise ProgrammingError("can't change 'autocommit' now: connection in transaction status INTRANS")
                self._session.commit()
            self._session.autocommit = bool(value)

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        # psycopg 3: commit on success, roll back on error, then close.
        try:
            if not self.closed:
                if exc_type is None:
                    self.commit()
                else:
                    self.rollback()
        finally:
            self.close()

    # ------------------------------------------------------------ internals
    def _check_open(self) -> None:
        if self.closed:
            raise InterfaceError("the connection is closed")

    def _session_for_use(self) -> Session:
        self._check_open()
        return self._session
