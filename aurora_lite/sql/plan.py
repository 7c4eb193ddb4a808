"""What the front end decides about one SQL text: its kind, the DuckDB SQL to run, its target."""
from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import attrs

from .params import Placeholders


class Kind(enum.Enum):
    """How the engine runs a statement."""

    QUERY = "query"            # reads only: SELECT, VALUES, EXPLAIN ...
    INSERT = "insert"          # writes: change capture through RETURNING
    UPDATE = "update"
    DELETE = "delete"
    TRUNCATE = "truncate"
    DDL = "ddl"                # catalog changes, logged as DDL records
    BEGIN = "begin"
    COMMIT = "commit"
    ROLLBACK = "rollback"
    SAVEPOINT = "savepoint"
    RELEASE = "release"
    ROLLBACK_TO = "rollback_to"
    SESSION = "session"        # SET / USE / ...: changes session state only
    EMULATED = "emulated"      # answered by the front end (SHOW, @@variables, Aurora functions)

    @property
    def writes(self) -> bool:
        """True for statements a reader must refuse."""
        return self in _WRITES

    @property
    def captured(self) -> bool:
        """True for row changes that become redo records."""
        return self in (Kind.INSERT, Kind.UPDATE, Kind.DELETE)


_WRITES = frozenset({Kind.INSERT, Kind.UPDATE, Kind.DELETE, Kind.TRUNCATE, Kind.DDL})


@attrs.frozen
class TableName:
    """A table as DuckDB names it inside an instance's catalog."""

    schema: str
    name: str

    def sql(self) -> str:
        """Quoted schema.name."""
        return f'"{self.schema}"."{self.name}"'

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@attrs.frozen
class Plan:
    """The front end's decision for one (dialect, SQL text); cached and shared by sessions."""

    kind: Kind
    sql: str                                    # DuckDB SQL with ? markers
    placeholders: Placeholders
    verb: str = ""                              # e.g. "INSERT", "CREATE TABLE": for messages
    table: TableName | None = None              # target of DML / TRUNCATE / table DDL
    bulk_sql: str | None = None                 # INSERT ... VALUES (%s, ...): the same insert from an Arrow batch
    user_columns: int = -1                      # DML: leading RETURNING columns the user asked for (-1: none)
    set_columns: frozenset[str] = frozenset()   # UPDATE: assigned columns
    pre_image_sql: str | None = None            # UPDATE: SELECT of the rows it will change
    pre_image_params: int = 0                   # UPDATE: index of the first parameter the SELECT uses
    refused_on_reader: bool = False             # SESSION: a no-op a read-only instance still refuses
    inserts_only: bool = False                  # INSERT: never changes an existing row (no DO UPDATE / REPLACE)
    before: tuple[str, ...] = ()                # DDL: statements to run first (CREATE SEQUENCE ...)
    sequences: tuple[tuple[str, str], ...] = () # DDL: (column, sequence) pairs it creates
    nullable: tuple[str, ...] = ()              # DDL (MySQL MODIFY COLUMN): columns to make nullable unless keys
    ddl_effect: tuple[str, Any] | None = None   # DDL: ("create", name) / ("drop", name) / ("rename", (old, new))
    name: str | None = None                     # SAVEPOINT / SET target
    emulate: Callable[..., Any] | None = None   # EMULATED: fn(session, params, plan) -> (columns, rows)
    sequence_writes: bool = False               # QUERY: calls nextval()/setval() (a write a reader refuses)
    locks: bool = False                         # QUERY: SELECT ... FOR UPDATE / FOR SHARE
    functions: frozenset[str] = frozenset()     # session functions the SQL calls (see session_functions.py)
    relations: frozenset[str] = frozenset()     # session relations the SQL reads (rebuilt before each run)
