"""PEP 249 Cursor: execute through the front end's plans, fetch from the result.

A cursor holds its result rows itself, so several cursors of one connection
can be read in any order. `execute` returns the cursor for aurora-postgresql
(as psycopg 3 does) and the affected row count for aurora-mysql (as PyMySQL
does), so code moves to the real driver unchanged.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..sql.plan import Kind
from .exceptions import Error, InterfaceError, NotSupportedError, ProgrammingError
from .rows import RowFactory, tuple_row

if TYPE_CHECKING:
    from .connection import Connection


class Cursor:
    """A PEP 249 cursor of an aurora_lite connection."""

    def __init__(self, connection: Connection, row_factory: RowFactory | None = None) -> None:
        self.connection = connection
        self.row_factory = row_factory  # psycopg's protocol (dbapi/rows.py); None: tuples
        self.arraysize = 1
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[tuple[Any, ...]] = []
        self._make_row: Callable[[Sequence[Any]], Any] | None = None
        self._position = 0
        self._closed = False

    # ------------------------------------------------------------ execution
    def execute(self, query: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
        """Run one SQL text (one or more statements) with pyformat parameters."""
        self._check_open()
        connection = self.connection
        with connection._lock:
            session = connection._session_for_use()
            plans = _plans(connection, session, query, params is not None)
            result = None
            if len(plans) == 1:
                plan = plans[0]
                result = session.execute(plan, plan.placeholders.bind(params))
            else:
                # Fix: PostgreSQL runs a multi-statement text as one implicit transaction even in
                # autocommit mode (psycopg docs, "Multiple statements in the same query"); each
                # statement used to commit on its own, so a failure left the earlier ones behind.
                implicit = connection._front.dialect == "postgres" and session.autocommit \
                    and not session.in_transaction
                if implicit:
                    session.autocommit = False
                try:
                    values = list(params.values()) if isinstance(params, Mapping) else list(params or ())
                    offset = 0
                    for plan in plans:
                        count = plan.placeholders.count
                        bound = plan.placeholders.bind(params) if plan.placeholders.names is not None \
                            else values[offset:offset + count]
                        offset += count
                        result = session.execute(plan, bound)
                    if implicit and session.in_transaction and not session.explicit:
                        session.commit()
                except BaseException:
                    if implicit and session.in_transaction and not session.explicit:
                        session.rollback()
                    raise
                finally:
                    if implicit:
                        session.autocommit = True
            self._take(result)
        return self if connection._front.dialect == "postgres" else self.rowcount

    def executemany(self, query: str, seq_of_params: Sequence[Sequence[Any] | Mapping[str, Any]]) -> Any:
        """Run one statement once per parameter set; a plain INSERT ... VALUES is sent as one Arrow batch."""
        self._check_open()
        connection = self.connection
        rows = list(seq_of_params)
        with connection._lock:
            session = connection._session_for_use()
            plans = _plans(connection, session, query, True)
            if len(plans) != 1:
                raise ProgrammingError("executemany takes a single statement")
            plan = plans[0]
            if not rows:
                # Fix: an empty sequence raised UnboundLocalError; PyMySQL returns None and
                # psycopg runs nothing.
                self._take(None)
                self.rowcount = 0
                return None
            batch = _as_batch(plan, rows) if plan.bulk_sql is not None and rows else None
            if batch is not None:
                self._take(session.execute_bulk(plan, batch))
            else:
                total = 0
                for params in rows:
                    result = session.execute(plan, plan.placeholders.bind(params))
                    total += max(result.rowcount, 0)
                self._take(result)
                self.rowcount = total if plan.kind is not Kind.QUERY else self.rowcount
        return None if connection._front.dialect == "postgres" else self.rowcount

    def _take(self, result: Any) -> None:
        if result is None:
            self.description, self._rows, self.rowcount = None, [], -1
            return
        self.description = result.description
        self._rows = result.rows
        self._position = 0
        factory = self.row_factory
        self._make_row = factory(self) if factory is not None and factory is not tuple_row \
            and result.description is not None else None
        self.rowcount = result.rowcount
        if self.connection._front.dialect == "mysql":
            # Fix: MySQL's OK packet always carries the affected rows and the insert id, so
            # PyMySQL reports rowcount 0 (not -1) after DDL, SET, BEGIN ..., and lastrowid 0
            # after a statement that generated no id (None after a result set), never the
            # previous statement's id.
            if self.rowcount < 0:
                self.rowcount = 0
            if result.lastrowid is not None:
                self.lastrowid = result.lastrowid
            else:
                self.lastrowid = None if result.description is not None else 0

    def callproc(self, procname: str, parameters: Sequence[Any] = ()) -> Any:
        """Stored procedures do not exist in aurora_lite."""
        raise NotSupportedError("callproc: stored procedures are not supported by aurora_lite")

    def nextset(self) -> None:
        """Only one result set per execute."""
        raise NotSupportedError("nextset: multiple result sets are not supported")

    def setinputsizes(self, sizes: Any) -> None:
        """Accepted and ignored, as PEP 249 allows."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """Accepted and ignored, as PEP 249 allows."""

    # ------------------------------------------------------------ fetching
    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None."""
        self._check_result()
        if self._position >= len(self._rows):
            return None
        row = self._rows[self._position]
        self._position += 1
        return row if self._make_row is None else self._make_row(row)

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """Up to size (default arraysize) next rows."""
        self._check_result()
        n = self.arraysize if size is None else size
        rows = self._rows[self._position:self._position + n]
        self._position += len(rows)
        return rows if self._make_row is None else [self._make_row(row) for row in rows]

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every remaining row."""
        self._check_result()
        rows = self._rows[self._position:]
        self._position = len(self._rows)
        return rows if self._make_row is None else [self._make_row(row) for row in rows]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    @property
    def rownumber(self) -> int | None:
        """Index of the next row in the result (PEP 249 extension)."""
        return self._position if self.description is not None else None

    # ------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Release the result; further use raises InterfaceError."""
        self._closed = True
        self._rows = []

    @property
    def closed(self) -> bool:
        """True after close() or once the connection is closed."""
        return self._closed or self.connection.closed

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("the cursor is closed")
        if self.connection.closed:
            raise InterfaceError("the connection is closed")

    def _check_result(self) -> None:
        self._check_open()
        if self.description is None:
            raise ProgrammingError("no results to fetch: the last statement returned no rows")


def _plans(connection: Connection, session: Any, query: str, has_params: bool) -> tuple[Any, ...]:
    """The front end's plans for a text; a server-side parse error still ends a PostgreSQL transaction."""
    try:
        return connection._front.plans(query, has_params)
    except Error as error:
        # Fix: a syntax error left a PostgreSQL transaction usable; the server aborts it.
        session.statement_error(error)
        raise


def _as_batch(plan: Any, rows: list[Any]) -> pa.Table | None:
    """The parameter rows as one Arrow table (None when Arrow cannot type a column)."""
    bound = [plan.placeholders.bind(p) for p in rows]
    try:
        return pa.table({f"c{i}": pa.array(column) for i, column in enumerate(zip(*bound))})
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return None
