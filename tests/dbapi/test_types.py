"""PEP 249 type objects against the type codes DuckDB really reports."""

from __future__ import annotations

import datetime
import time

import duckdb
import pytest

from aurora_lite.dbapi import types as t

GROUPS = {"STRING": t.STRING, "BINARY": t.BINARY, "NUMBER": t.NUMBER,
          "DATETIME": t.DATETIME, "ROWID": t.ROWID}

# (SQL expression, the one group its column belongs to, or None).
COLUMNS = [
    ("1::TINYINT", "NUMBER"), ("1::SMALLINT", "NUMBER"), ("1::INTEGER", "NUMBER"),
    ("1::BIGINT", "NUMBER"), ("1::HUGEINT", "NUMBER"), ("1::UTINYINT", "NUMBER"),
    ("1::USMALLINT", "NUMBER"), ("1::UINTEGER", "NUMBER"), ("1::UBIGINT", "NUMBER"),
    ("1::UHUGEINT", "NUMBER"), ("1.5::FLOAT", "NUMBER"), ("1.5::DOUBLE", "NUMBER"),
    ("1.5::DECIMAL(18,3)", "NUMBER"), ("1.5::DECIMAL(4,1)", "NUMBER"), ("1.5::NUMERIC", "NUMBER"),
    ("'x'", "STRING"), ("'x'::VARCHAR(3)", "STRING"), ("'x'::TEXT", "STRING"), ("uuid()", "STRING"),
    ("'{}'::JSON", "STRING"), ("'a'::ENUM('a', 'b')", "STRING"),
    ("'a'::BLOB", "BINARY"), ("'101'::BIT", "BINARY"),
    ("DATE '2024-01-02'", "DATETIME"), ("TIME '12:00:00'", "DATETIME"),
    ("TIMESTAMP '2024-01-02 03:04:05'", "DATETIME"), ("now()", "DATETIME"),
    ("now()::TIMESTAMP_NS", "DATETIME"), ("now()::TIMESTAMP_MS", "DATETIME"),
    ("now()::TIMESTAMP_S", "DATETIME"), ("'12:00:00+01'::TIMETZ", "DATETIME"),
    ("INTERVAL 1 DAY", "DATETIME"),
    ("true", None), ("[1, 2]", None), ("{'a': 1}", None), ("map([1], [2])", None),
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


@pytest.mark.parametrize("expression, group", COLUMNS)
def test_duckdb_type_code_belongs_to_one_group(con: duckdb.DuckDBPyConnection,
                                               expression: str, group: str | None) -> None:
    type_code = con.execute(f"SELECT {expression} AS c").description[0][1]
    for name, type_object in GROUPS.items():
        # Both operand orders: the cursor's user may write either.
        assert (type_object == type_code) is (name == group), (name, str(type_code))
        assert (type_code == type_object) is (name == group), (name, str(type_code))
        assert (type_object == str(type_code)) is (name == group), (name, str(type_code))


@pytest.mark.parametrize("type_name, group", [
    ("INTEGER", "NUMBER"), ("integer", "NUMBER"), ("DECIMAL(18,3)", "NUMBER"), ("BIGINT", "NUMBER"),
    ("VARCHAR", "STRING"), ("BLOB", "BINARY"), ("TIMESTAMP WITH TIME ZONE", "DATETIME"),
    ("DATE", "DATETIME"), ("INTEGER[]", None), ("INTEGER[2]", None), ("VARCHAR[]", None),
    ("DECIMAL(18,3)[]", None), ("STRUCT(a INTEGER)", None),
    ("BOOLEAN", None), ("ROWID", "ROWID"),
])
def test_type_names(type_name: str, group: str | None) -> None:
    assert [name for name, obj in GROUPS.items() if obj == type_name] == ([group] if group else [])


def test_rowid_pseudo_column_is_a_number(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS rowid_probe (a INTEGER)")
    type_code = con.execute("SELECT rowid FROM rowid_probe").description[0][1]
    assert type_code == t.NUMBER and type_code != t.ROWID


def test_type_objects_differ_from_each_other_and_hash() -> None:
    assert t.NUMBER != t.STRING
    assert t.NUMBER == t.NUMBER
    assert len({t.STRING, t.BINARY, t.NUMBER, t.DATETIME, t.ROWID}) == 5


def test_constructors() -> None:
    assert t.Date(2024, 2, 29) == datetime.date(2024, 2, 29)
    assert t.Time(23, 59, 58) == datetime.time(23, 59, 58)
    assert t.Timestamp(2024, 2, 29, 23, 59, 58) == datetime.datetime(2024, 2, 29, 23, 59, 58)
    assert t.Binary(bytearray(b"\x00\xff")) == b"\x00\xff"
    assert isinstance(t.Binary(memoryview(b"ab")), bytes)


def test_from_ticks_use_local_time() -> None:
    # PEP 249: "the given ticks value (number of seconds since the epoch)",
    # converted like time.localtime().
    ticks = 1_700_000_000.75
    local = time.localtime(ticks)
    assert t.DateFromTicks(ticks) == datetime.date(local.tm_year, local.tm_mon, local.tm_mday)
    assert t.TimeFromTicks(ticks) == datetime.time(local.tm_hour, local.tm_min, local.tm_sec)
    assert t.TimestampFromTicks(ticks) == datetime.datetime.fromtimestamp(int(ticks))


def test_binds_and_reads_back_through_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute("SELECT ?, ?, ?", [t.Date(2024, 1, 2), t.Binary(b"\x01"),
                                         t.Timestamp(2024, 1, 2, 3, 4, 5)]).fetchone()
    assert row == (datetime.date(2024, 1, 2), b"\x01", datetime.datetime(2024, 1, 2, 3, 4, 5))
