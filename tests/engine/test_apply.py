"""Applying row records to DuckDB (engine/apply.py) agrees with materialising them (storage/rows.py).

Both paths of apply_rows are exercised: small batches as statement parameters,
large ones (and types Python cannot carry exactly) through a registered Arrow
batch; keyed upserts by DELETE + INSERT and by ON CONFLICT. The oracle is
storage.rows.apply_page, the code that rebuilds pages from the volume.
"""
from __future__ import annotations

import datetime as dt
import decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aurora_lite as al
from aurora_lite.engine import apply
from aurora_lite.engine.catalog import TableInfo
from aurora_lite.sql.plan import TableName
from aurora_lite.storage.records import RecordKind
from aurora_lite.storage.rows import apply_page, encode_rows

# Every column type here but TIMESTAMP_NS travels as a parameter; a table with a TIMESTAMP_NS
# column (nanoseconds Python cannot hold) always goes through Arrow.
DDL = ("CREATE TABLE t (id INTEGER PRIMARY KEY, n BIGINT, price DECIMAL(12, 3), stamp TIMESTAMP, "
       "label VARCHAR, raw BLOB{})")
SCHEMA = pa.schema([("id", pa.int32()), ("n", pa.int64()), ("price", pa.decimal128(12, 3)),
                    ("stamp", pa.timestamp("us")), ("label", pa.string()), ("raw", pa.binary())])
NANOS = SCHEMA.append(pa.field("stamp_ns", pa.timestamp("ns")))
INFO = TableInfo(1, TableName("main", "t"), ("id",))
BASE = dt.datetime(2026, 11, 26, 12, 0, 0)


def create(nanos: bool) -> duckdb.DuckDBPyConnection:
    cursor = duckdb.connect()
    cursor.execute(DDL.format(", stamp_ns TIMESTAMP_NS" if nanos else ""))
    return cursor


def rows_of(keys: list[int], version: int, *, nanos: bool = False) -> pa.Table:
    """Full row images for keys (with nanos, also a column with sub-microsecond values)."""
    columns = {
        "id": pa.array(keys, pa.int32()),
        "n": pa.array([k * 10_000_000_000 + version for k in keys], pa.int64()),
        "price": pa.array([decimal.Decimal(f"{k}.{version % 1000:03d}") for k in keys], pa.decimal128(12, 3)),
        "stamp": pa.array([BASE + dt.timedelta(microseconds=k + version) for k in keys], pa.timestamp("us")),
        "label": pa.array([None if (k + version) % 5 == 0 else f"k{k}v{version}é" for k in keys], pa.string()),
        "raw": pa.array([bytes([k % 256, version % 256, 0]) for k in keys], pa.binary()),
    }
    if nanos:
        start = pa.scalar(BASE, pa.timestamp("ns")).value
        columns["stamp_ns"] = pa.array([start + k * 1000 + version + 7 for k in keys], pa.timestamp("ns"))
    return pa.table(columns, schema=NANOS if nanos else SCHEMA)


def table_rows(cursor: duckdb.DuckDBPyConnection, schema: pa.Schema) -> pa.Table:
    return cursor.execute("SELECT * FROM t ORDER BY id").to_arrow_table().cast(schema)


def sorted_by_id(rows: pa.Table | None, schema: pa.Schema) -> pa.Table:
    if rows is None or rows.num_rows == 0:
        return schema.empty_table()
    return rows.select(schema.names).cast(schema).sort_by("id")


# One record: (kind, keys); the long run of keys is too many for parameters.
records = st.lists(st.tuples(st.sampled_from([RecordKind.ROW_UPSERT, RecordKind.ROW_DELETE, RecordKind.ROW_INSERT,
                                              RecordKind.TRUNCATE]),
                             st.one_of(st.lists(st.integers(0, 40), min_size=1, max_size=6, unique=True),
                                       st.just(list(range(100, 100 + apply.PARAMETER_ROWS + 5))))),
                   min_size=1, max_size=12)


@settings(max_examples=80, deadline=None)
@given(records, st.booleans(), st.booleans())
def test_applied_records_equal_the_materialised_page(script, by_delete, nanos) -> None:
    cursor = create(nanos)
    present: set[int] = set()
    logged: list[tuple[int, bytes]] = []
    for version, (kind, keys) in enumerate(script):
        if kind == RecordKind.ROW_INSERT:
            keys = [k for k in keys if k not in present]  # an INSERT only ever logs new keys
            if not keys:
                continue
        if kind == RecordKind.TRUNCATE:
            rows, payload = None, b""
            present.clear()
        elif kind == RecordKind.ROW_DELETE:
            rows = rows_of(keys, version, nanos=nanos).select(["id"])
            payload = encode_rows(rows, ["id"])
            present.difference_update(keys)
        else:
            rows = rows_of(keys, version, nanos=nanos)
            payload = encode_rows(rows, ["id"])
            present.update(keys)
        apply.apply_rows(cursor, INFO, kind, rows, replace_by_delete=by_delete)
        logged.append((int(kind), payload))
    schema = NANOS if nanos else SCHEMA
    assert table_rows(cursor, schema).equals(sorted_by_id(apply_page(None, logged), schema))


@pytest.mark.parametrize("by_delete", [True, False])
@pytest.mark.parametrize("count", [1, apply.PARAMETER_ROWS, apply.PARAMETER_ROWS + 1])
@pytest.mark.parametrize("nanos", [False, True])
def test_an_upsert_replaces_every_column_of_existing_rows(count, by_delete, nanos) -> None:
    cursor = create(nanos)
    keys = list(range(count))
    apply.apply_rows(cursor, INFO, RecordKind.ROW_INSERT, rows_of(keys, 1, nanos=nanos))
    newer = rows_of(keys, 2, nanos=nanos)
    apply.apply_rows(cursor, INFO, RecordKind.ROW_UPSERT, newer, replace_by_delete=by_delete)
    assert table_rows(cursor, newer.schema).equals(newer)


def test_a_composite_key_delete_matches_both_columns() -> None:
    cursor = duckdb.connect()
    cursor.execute("CREATE TABLE c (a INT, b INT, v INT, PRIMARY KEY (a, b))")
    info = TableInfo(2, TableName("main", "c"), ("a", "b"))
    rows = pa.table({"a": pa.array([1, 1, 2], pa.int32()), "b": pa.array([1, 2, 1], pa.int32()),
                     "v": pa.array([10, 20, 30], pa.int32())})
    apply.apply_rows(cursor, info, RecordKind.ROW_INSERT, rows)
    apply.apply_rows(cursor, info, RecordKind.ROW_DELETE, pa.table({"a": pa.array([1], pa.int32()),
                                                                    "b": pa.array([2], pa.int32())}))
    assert cursor.execute("SELECT * FROM c ORDER BY a, b").fetchall() == [(1, 1, 10), (2, 1, 30)]


@pytest.mark.parametrize("engine", ["aurora-postgresql", "aurora-mysql"])
@pytest.mark.parametrize(("statement", "kind"), [
    ("INSERT INTO t (id, v) VALUES (2, 2)", RecordKind.ROW_INSERT),
    ("UPDATE t SET v = 5 WHERE id = 1", RecordKind.ROW_UPSERT),
])
def test_a_plain_insert_logs_new_rows_and_an_update_logs_upserts(engine, statement, kind) -> None:
    with al.Cluster(engine) as cluster:
        connection = cluster.connect(autocommit=True)
        connection.cursor().execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
        connection.cursor().execute("INSERT INTO t (id, v) VALUES (1, 1)")
        before = cluster.volume.vdl
        connection.cursor().execute(statement)
        kinds = [r.kind for r in cluster.volume.read_log(before) if r.kind != RecordKind.COMMIT]
        assert kinds == [kind]


@pytest.mark.parametrize(("engine", "upsert"), [
    ("aurora-postgresql", "INSERT INTO t (id, v) VALUES (1, 5) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v"),
    ("aurora-mysql", "INSERT INTO t (id, v) VALUES (1, 5) ON DUPLICATE KEY UPDATE v = VALUES(v)"),
    ("aurora-mysql", "REPLACE INTO t (id, v) VALUES (1, 5)"),
])
def test_an_upsert_statement_is_never_logged_as_an_insert(engine, upsert) -> None:
    with al.Cluster(engine, replicas=1) as cluster:
        connection = cluster.connect(autocommit=True)
        connection.cursor().execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
        connection.cursor().execute("INSERT INTO t (id, v) VALUES (1, 1)")
        before = cluster.volume.vdl
        connection.cursor().execute(upsert)
        assert RecordKind.ROW_INSERT not in [r.kind for r in cluster.volume.read_log(before)]
        cluster.wait_for_replicas()
        reader = cluster.connect(endpoint="reader")
        cursor = reader.cursor()
        cursor.execute("SELECT id, v FROM t")
        assert cursor.fetchall() == [(1, 5)]
