"""Row change capture for INSERT / UPDATE / DELETE: a session's DML becomes redo.

Every INSERT / UPDATE / DELETE runs with ``RETURNING`` the full row image, so
the rows it changed come back (as tuples typed with the table's cached Arrow
schema, or as Arrow when many) and become ROW_INSERT / ROW_UPSERT / ROW_DELETE
records on the table's page in the session's redo; an UPDATE that moves a key
(or touches a keyless table) first reads the old images to delete them. The
functions take the Session whose transaction they extend.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..sql.plan import Kind, Plan
from ..storage.records import RecordKind, RedoRecord
from ..storage.rows import encode_rows
from . import sequences
from .catalog import TableInfo
from .declared_lengths import too_long
from .result import Result

if TYPE_CHECKING:
    from .session import Session


def run_dml(session: Session, plan: Plan, params: list[Any]) -> Result:
    info = session.table(plan.table)
    old: pa.Table | None = None
    if plan.kind is Kind.UPDATE and (not info.key or plan.set_columns & {k.lower() for k in info.key}):
        # The key moves (or rows have no key): delete the old images explicitly.
        old = session.cursor.execute(plan.pre_image_sql, params[plan.pre_image_params:]).to_arrow_table()
    # Fix: MySQL's LAST_INSERT_ID() takes only generated ids, so note the counter before the insert.
    counter = sequences.last_value(session, info, info.sequences[0][1]) if plan.kind is Kind.INSERT \
        and info.sequences and session.front.dialect == "mysql" else None
    # Look the schema up before the DML: the look-up is a query on the same cursor.
    schema = session.instance.image_schema(session.cursor, info, session._tables)
    # Fix: RETURNING * / t.* is one expression but several columns; the row image is the
    # table's columns at the end, so the user's columns are whatever comes before them.
    width = 0
    if plan.user_columns > 0:
        width = len(schema) if schema is not None else \
            len(session.cursor.execute(f"SELECT * FROM {info.name.sql()} LIMIT 0").description)
    sql = plan.sql
    if session.front.dialect == "mysql" and plan.kind is not Kind.DELETE:
        if plan.kind is Kind.INSERT and (info.sequences or not plan.inserts_only):
            zero_generates = "NO_AUTO_VALUE_ON_ZERO" not in (session.settings.get("sql_mode") or "")
            sql = session.instance.mysql_insert_sql(session.cursor, sql, info, session._tables,
                                                    zero_generates=zero_generates)
        if not plan.inserts_only:  # UPDATE, or an upsert's update: ON UPDATE CURRENT_TIMESTAMP
            sql, functions = session.instance.mysql_update_sql(session, sql, info, session._tables)
            if functions:
                session._register_functions(functions)
    session.cursor.execute(sql, params)
    description = session.cursor.description
    user = len(description) - width if plan.user_columns > 0 else 0
    user_rows, images = fetch_returned(session, schema, user)
    if plan.kind is not Kind.DELETE and images.num_rows:
        lengths = session.instance.declared_lengths(session.cursor, info, session._tables)
        error = too_long(images, lengths, session.front.dialect) if lengths else None
        if error is not None and (session.front.dialect == "postgres" or _strict(session)):
            raise error  # the caller undoes the statement
    if old is not None and old.num_rows:
        capture(session, info, RecordKind.ROW_DELETE, old)
    if images.num_rows:
        kind = RecordKind.ROW_DELETE if plan.kind is Kind.DELETE else \
            RecordKind.ROW_INSERT if plan.inserts_only else RecordKind.ROW_UPSERT
        capture(session, info, kind, images)
    lastrowid, rowcount = None, images.num_rows
    if plan.kind is Kind.INSERT and info.sequences and images.num_rows:
        lastrowid, generated = sequences.note_ids(session, info, images, counter)
        if counter is not None and not plan.inserts_only:
            # MySQL's affected rows count a row an upsert updated twice; a row whose id this
            # statement did not generate was there before (an updated one keeps its id).
            rowcount = 2 * images.num_rows - generated
    if plan.user_columns < 0:
        return Result(None, [], rowcount, lastrowid)
    return Result(tuple(description[:user]), user_rows, rowcount, lastrowid)


def _strict(session: Session) -> bool:
    """MySQL: a strict sql_mode (the default) turns data truncation into an error."""
    return "STRICT_" in (session.settings.get("sql_mode", "STRICT_TRANS_TABLES") or "")


SMALL_RESULT = 256  # RETURNING rows fetched as tuples before switching to Arrow


def _user_rows(table: pa.Table, user: int) -> list[tuple[Any, ...]]:
    """The first `user` columns of an Arrow result as row tuples."""
    columns = [table.column(i).to_pylist() for i in range(user)]
    return list(zip(*columns)) if columns else [() for _ in range(table.num_rows)]


def fetch_returned(session: Session, schema: pa.Schema | None,
                   user: int) -> tuple[list[tuple[Any, ...]], pa.Table]:
    """(the user's RETURNING rows, the row images as Arrow) of the DML just executed.

    DuckDB's Arrow export costs ~0.2 ms per result, more than a one-row
    DML itself: small results come back as tuples and are typed with the
    table's cached Arrow schema; large ones stream as Arrow.
    """
    if schema is None:
        returned = session.cursor.to_arrow_table()
        return _user_rows(returned, user), returned.select(range(user, returned.num_columns))
    first = session.cursor.fetchmany(SMALL_RESULT)
    head = pa.Table.from_arrays(
        [pa.array([row[user + i] for row in first], type=field.type) for i, field in enumerate(schema)],
        schema=schema)
    user_rows = [row[:user] for row in first]
    if len(first) < SMALL_RESULT:
        return user_rows, head
    rest = session.cursor.to_arrow_table()
    images = pa.concat_tables([head, rest.select(range(user, rest.num_columns)).cast(schema)])
    return user_rows + _user_rows(rest, user), images


def capture(session: Session, info: TableInfo, kind: RecordKind, rows: pa.Table) -> None:
    if kind == RecordKind.ROW_DELETE and info.key:
        rows = rows.select(list(info.key))
    session._redo.append(RedoRecord(info.page, kind, encode_rows(rows, info.key)))
