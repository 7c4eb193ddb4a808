"""Sequence state a transaction logs: nextval() / setval(), AUTO_INCREMENT and SERIAL ids.

A session notes the highest value its transaction took from each sequence
(``Session._sequences``): the states after a query calling nextval() / setval(),
and the largest id an INSERT stored in an AUTO_INCREMENT / SERIAL column (MySQL:
an explicit id above the counter moves the counter, and LAST_INSERT_ID() is the
first id the counter generated). MySQL's TRUNCATE TABLE restarts AUTO_INCREMENT
at its start value (``Session._sequence_resets``). Commit writes both as
SEQUENCE records on the catalog page. The functions take the Session whose
transaction they belong to.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from ..sql.plan import Plan
from .catalog import TableInfo
from .result import Result

if TYPE_CHECKING:
    from .session import Session


def run_query(session: Session, plan: Plan, params: list[Any]) -> Result:
    """A query calling nextval()/setval(): the sequences' new states are logged with the commit."""
    single = not session.in_transaction
    session._begin_if_needed(force=True)
    mark = (len(session._redo), len(session._changes))
    try:
        session.cursor.execute(plan.sql, params)
        description = session.cursor.description
        rows = session.cursor.fetchall()
        states = session.cursor.execute(
            "SELECT schema_name, sequence_name, last_value FROM duckdb_sequences() "
            "WHERE database_name = current_database() AND last_value IS NOT NULL").fetchall()
    except duckdb.Error as exc:
        raise session._statement_failed(exc, plan, mark) from None
    for schema, name, value in states:
        qualified = f"{schema}.{name}"
        if value > session._sequences.get(qualified, 0):
            session._sequences[qualified] = value
    if single and session.autocommit:
        session.commit()
    return Result(tuple(description) if description else None, rows, len(rows))


def last_value(session: Session, info: TableInfo, sequence: str) -> int | None:
    row = session.cursor.execute(
        "SELECT last_value FROM duckdb_sequences() WHERE database_name = current_database() "
        "AND schema_name = ? AND sequence_name = ?", [info.name.schema, sequence]).fetchall()
    return row[0][0] if row else None


def note_ids(session: Session, info: TableInfo, images: pa.Table,
             counter: int | None = None) -> tuple[int | None, int]:
    """Log the sequences' new states; (lastrowid, how many ids MySQL's counter generated)."""
    import pyarrow.compute as pc

    first, generated_count = None, 0
    names = {name.lower(): name for name in images.column_names}
    for column, sequence in info.sequences:
        # Volumes written before the fix hold the column name lower-cased (AlbumId -> albumid).
        values = images.column(names.get(column.lower(), column))
        top = pc.max(values).as_py()
        if top is None:
            continue
        qualified = f"{info.name.schema}.{sequence}"
        if top > session._sequences.get(qualified, 0):
            session._sequences[qualified] = top
        if session.front.dialect == "mysql":
            # MySQL: an explicit value above the counter moves the counter.
            current = last_value(session, info, sequence)
            if current is None or top > current:
                session.cursor.execute("SELECT setval(?, ?)", [qualified, top]).fetchall()
            if first is None:
                # Fix: LAST_INSERT_ID() is the first *generated* id (the ids the counter moved
                # past in this statement) and an explicit id leaves it alone; lastrowid
                # (mysql_insert_id) is that id, or else the last explicit one.
                ids = [v for v in values.to_pylist() if v is not None]
                generated = [v for v in ids if (counter or 0) < v <= (current or 0)]
                generated_count = len(generated)
                if generated:
                    session.last_insert_id = generated[0]
                first = generated[0] if generated else ids[-1]
            continue
        if first is None:
            first = values[0].as_py()
            session.last_insert_id = first
    return first, generated_count


def restart(session: Session, schema: str, sequence: str) -> None:
    """MySQL TRUNCATE TABLE: AUTO_INCREMENT starts again at its start value."""
    row = session.cursor.execute(
        "SELECT start_value, min_value FROM duckdb_sequences() WHERE database_name = current_database() "
        "AND schema_name = ? AND sequence_name = ?", [schema, sequence]).fetchall()
    if not row or row[0][0] - 1 < row[0][1]:
        return  # a sequence created before MINVALUE 0 (sql/ddl.py) cannot go below its start
    qualified = f"{schema}.{sequence}"
    session.cursor.execute("SELECT setval(?, ?)", [qualified, row[0][0] - 1]).fetchall()
    session._sequence_resets[qualified] = row[0][0] - 1
    session._sequences.pop(qualified, None)
