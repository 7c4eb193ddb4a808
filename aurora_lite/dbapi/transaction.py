"""psycopg 3's transaction blocks: ``with connection.transaction(): ...``.

The outermost block opens a transaction (also in autocommit mode) and commits
it when the block ends, or rolls it back when an exception leaves the block;
a block inside a transaction is a savepoint, released or rolled back to the
same way. ``raise Rollback`` (or ``Rollback(tx)`` for an outer block) leaves a
block rolled back without an error.
"""
from __future__ import annotations

import itertools
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .connection import Connection

_savepoint_numbers = itertools.count(1)


class Rollback(Exception):
    """Raised in a transaction block: roll it back (or the block `transaction`) and carry on after it."""

    def __init__(self, transaction: Transaction | None = None) -> None:
        super().__init__(transaction)
        self.transaction = transaction


class Transaction:
    """One transaction block of a connection (see the module docstring)."""

    def __init__(self, connection: Connection, savepoint_name: str | None = None,
                 force_rollback: bool = False) -> None:
        self.connection = connection
        self.savepoint_name = savepoint_name
        self.force_rollback = force_rollback
        self._outer = False

    def __enter__(self) -> Transaction:
        cursor = self.connection.cursor()
        self._outer = not self.connection._session.in_transaction
        if self._outer:
            cursor.execute("BEGIN")
        if not self._outer or self.savepoint_name is not None:
            self.savepoint_name = self.savepoint_name or f"_pg3_{next(_savepoint_numbers)}"
            cursor.execute(f'SAVEPOINT "{self.savepoint_name}"' if self.connection.dialect == "postgres"
                           else f"SAVEPOINT `{self.savepoint_name}`")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        connection = self.connection
        failed = exc_type is not None or self.force_rollback
        if connection.closed or connection._session.lost:
            return False
        if not failed:
            if self.savepoint_name is not None and not self._outer:
                connection.cursor().execute(self._quoted("RELEASE SAVEPOINT"))
            elif self._outer:
                connection.commit()
        elif self._outer:
            connection.rollback()
        else:
            cursor = connection.cursor()
            cursor.execute(self._quoted("ROLLBACK TO SAVEPOINT"))
            cursor.execute(self._quoted("RELEASE SAVEPOINT"))
        # Swallow a Rollback aimed at this block (or at no block in particular).
        return isinstance(exc, Rollback) and exc.transaction in (None, self)

    def _quoted(self, verb: str) -> str:
        quote = '"' if self.connection.dialect == "postgres" else "`"
        return f"{verb} {quote}{self.savepoint_name}{quote}"
