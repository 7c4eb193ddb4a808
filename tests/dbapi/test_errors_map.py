"""DuckDB errors, produced for real, translated to PostgreSQL and MySQL errors.

Expected SQLSTATEs, errnos and message texts are PostgreSQL's (appendix A
and its server messages) and MySQL 8.0's (server error reference), with
the classes psycopg 3 and PyMySQL raise for them.
"""

from __future__ import annotations

import duckdb
import pytest

from aurora_lite.dbapi import exceptions as exc
from aurora_lite.dbapi.errors_map import translate_duckdb_error

SCHEMA = """
CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, v INTEGER CHECK (v > 0), code VARCHAR UNIQUE);
INSERT INTO t VALUES (1, 'a', 1, 'x');
CREATE TABLE k (a INTEGER, b VARCHAR, PRIMARY KEY (a, b));
INSERT INTO k VALUES (1, 'q');
CREATE TABLE child (id INTEGER PRIMARY KEY, tid INTEGER REFERENCES t (id));
CREATE TABLE parent_only (id INTEGER PRIMARY KEY);
CREATE TABLE g (a INTEGER, b INTEGER);
"""


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(SCHEMA)
    return connection


def duckdb_error(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Error:
    """Run sql on DuckDB and return the exception it raises."""
    with pytest.raises(duckdb.Error) as caught:
        con.execute(sql)
    return caught.value


# (SQL, table the front end knows, PostgreSQL class, SQLSTATE, message).
POSTGRES_CASES = [
    ("INSERT INTO t VALUES (1, 'b', 1, 'y')", "t", "UniqueViolation", "23505",
     'duplicate key value violates unique constraint "t_pkey"\nDETAIL:  Key (id)=(1) already exists.'),
    ("INSERT INTO t VALUES (2, 'b', 1, 'x')", "t", "UniqueViolation", "23505",
     'duplicate key value violates unique constraint "t_code_key"\nDETAIL:  Key (code)=(x) already exists.'),
    ("INSERT INTO k VALUES (1, 'q')", "k", "UniqueViolation", "23505",
     'duplicate key value violates unique constraint "k_pkey"\nDETAIL:  Key (a, b)=(1, q) already exists.'),
    ("INSERT INTO t VALUES (3, NULL, 1, 'z')", "t", "NotNullViolation", "23502",
     'null value in column "name" of relation "t" violates not-null constraint'),
    ("INSERT INTO t VALUES (4, 'c', -1, 'w')", "t", "CheckViolation", "23514", None),
    ("INSERT INTO child VALUES (1, 99)", "child", "ForeignKeyViolation", "23503", None),
    ("SELECT * FROM nope", None, "UndefinedTable", "42P01", 'relation "nope" does not exist'),
    ("SELECT * FROM nosch.nope", None, "UndefinedTable", "42P01", 'relation "nosch.nope" does not exist'),
    ("SELECT nocol FROM t", "t", "UndefinedColumn", "42703", 'column "nocol" does not exist'),
    ("SELECT t.nocol FROM t", "t", "UndefinedColumn", "42703", "column t.nocol does not exist"),
    ("INSERT INTO t (nocol) VALUES (1)", "t", "UndefinedColumn", "42703",
     'column "nocol" of relation "t" does not exist'),
    ("SELECT id FROM t, child", None, "AmbiguousColumn", "42702", 'column reference "id" is ambiguous'),
    ("SELECT a, b FROM g GROUP BY a", "g", "GroupingError", "42803", None),
    ("SELEC 1", None, "SqlSyntaxError", "42601", 'syntax error at or near "SELEC"'),
    ("SELECT 1 // 0", None, "DivisionByZero", "22012", "division by zero"),
    ("SELECT 1 % 0", None, "DivisionByZero", "22012", "division by zero"),
    ("SELECT 'abc'::INTEGER", None, "InvalidTextRepresentation", "22P02",
     'invalid input syntax for type integer: "abc"'),
    ("SELECT 3000000000::INTEGER", None, "NumericValueOutOfRange", "22003", "integer out of range"),
    ("SELECT 2147483647::INTEGER + 1", None, "NumericValueOutOfRange", "22003", "integer out of range"),
    ("SELECT 9223372036854775807::BIGINT + 1", None, "NumericValueOutOfRange", "22003", "bigint out of range"),
    ("SELECT DATE '2020-13-45'", None, "DatetimeFieldOverflow", "22008",
     'date/time field value out of range: "2020-13-45"'),
    ("CREATE TABLE t (x INTEGER)", "t", "DuplicateTable", "42P07", 'relation "t" already exists'),
    ("SELECT nofunc(1)", None, "UndefinedFunction", "42883", None),
    ("SELECT abs('x', 2)", None, "UndefinedFunction", "42883", "function abs(unknown, integer) does not exist"),
    ("COMMIT", None, "NoActiveSqlTransaction", "25P01", "there is no transaction in progress"),
]


@pytest.mark.parametrize("sql, table, class_name, sqlstate, message", POSTGRES_CASES)
def test_postgres(con: duckdb.DuckDBPyConnection, sql: str, table: str | None,
                  class_name: str, sqlstate: str, message: str | None) -> None:
    cause = duckdb_error(con, sql)
    error = translate_duckdb_error(cause, "postgres", table=table)
    assert type(error).__name__ == class_name
    assert (error.sqlstate, error.errno) == (sqlstate, None)
    if message is not None:
        assert error.args == (message,)
    assert error.__cause__ is cause


# (SQL, table, PyMySQL class, errno, SQLSTATE, message or None).
MYSQL_CASES = [
    ("INSERT INTO t VALUES (1, 'b', 1, 'y')", "t", "IntegrityError", 1062, "23000",
     "Duplicate entry '1' for key 't.PRIMARY'"),
    ("INSERT INTO t VALUES (2, 'b', 1, 'x')", "t", "IntegrityError", 1062, "23000",
     "Duplicate entry 'x' for key 't.code'"),
    ("INSERT INTO k VALUES (1, 'q')", "k", "IntegrityError", 1062, "23000",
     "Duplicate entry '1-q' for key 'k.PRIMARY'"),
    ("INSERT INTO k VALUES (2, 'r'), (2, 'r')", None, "IntegrityError", 1062, "23000",
     "Duplicate entry '2-r' for key 'PRIMARY'"),
    ("INSERT INTO t VALUES (3, NULL, 1, 'z')", "t", "IntegrityError", 1048, "23000",
     "Column 'name' cannot be null"),
    ("INSERT INTO child VALUES (1, 99)", "child", "IntegrityError", 1452, "23000", None),
    ("INSERT INTO t VALUES (4, 'c', -1, 'w')", "t", "OperationalError", 3819, "HY000", None),
    ("SELECT * FROM nope", None, "ProgrammingError", 1146, "42S02", "Table 'aurora.nope' doesn't exist"),
    ("SELECT * FROM nosch.nope", None, "ProgrammingError", 1146, "42S02", "Table 'nosch.nope' doesn't exist"),
    ("SELECT nocol FROM t", "t", "OperationalError", 1054, "42S22", "Unknown column 'nocol' in 'field list'"),
    ("UPDATE t SET nocol = 1", "t", "OperationalError", 1054, "42S22", "Unknown column 'nocol' in 'field list'"),
    ("SELECT id FROM t, child", None, "OperationalError", 1052, "23000", "Column 'id' in field list is ambiguous"),
    ("SELEC 1", None, "ProgrammingError", 1064, "42000",
     "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server "
     "version for the right syntax to use near 'SELEC 1' at line 1"),
    ("SELECT a\nFROM g\nWHERE a = = 1", None, "ProgrammingError", 1064, "42000",
     "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server "
     "version for the right syntax to use near '= 1' at line 3"),
    ("SELECT 1 // 0", None, "OperationalError", 1365, "22012", "Division by 0"),
    ("CREATE TABLE t (x INTEGER)", "t", "OperationalError", 1050, "42S01", "Table 't' already exists"),
    ("SELECT nofunc(1)", None, "OperationalError", 1305, "42000", "FUNCTION aurora.nofunc does not exist"),
    ("SELECT 2147483647::INTEGER + 1", None, "OperationalError", 1690, "22003", None),
]


@pytest.mark.parametrize("sql, table, class_name, errno, sqlstate, message", MYSQL_CASES)
def test_mysql(con: duckdb.DuckDBPyConnection, sql: str, table: str | None, class_name: str,
               errno: int, sqlstate: str, message: str | None) -> None:
    cause = duckdb_error(con, sql)
    error = translate_duckdb_error(cause, "mysql", table=table)
    assert type(error) is getattr(exc, class_name)
    assert (error.errno, error.sqlstate) == (errno, sqlstate)
    assert error.args[0] == errno
    if message is not None:
        assert error.args == (errno, message)
    assert error.__cause__ is cause


def test_mysql_database_name_is_a_parameter(con: duckdb.DuckDBPyConnection) -> None:
    error = translate_duckdb_error(duckdb_error(con, "SELECT * FROM nope"), "mysql", db_name="shop")
    assert error.args == (1146, "Table 'shop.nope' doesn't exist")


def test_drop_of_a_missing_table(con: duckdb.DuckDBPyConnection) -> None:
    cause = duckdb_error(con, "DROP TABLE nope")
    pg = translate_duckdb_error(cause, "postgres", statement_kind="DROP TABLE")
    my = translate_duckdb_error(cause, "mysql", statement_kind="DROP TABLE")
    assert (pg.sqlstate, pg.args) == ("42P01", ('table "nope" does not exist',))
    assert (my.errno, my.sqlstate, my.args[1]) == (1051, "42S02", "Unknown table 'aurora.nope'")


@pytest.mark.parametrize("first, second", [
    ("UPDATE acc SET bal = bal + 1 WHERE id = 1", "UPDATE acc SET bal = bal + 2 WHERE id = 1"),
    ("DELETE FROM acc WHERE id = 1", "DELETE FROM acc WHERE id = 1"),
])
def test_write_write_conflict_is_a_serialization_failure(first: str, second: str) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE acc (id INTEGER PRIMARY KEY, bal INTEGER); INSERT INTO acc VALUES (1, 100)")
    session_a, session_b = con.cursor(), con.cursor()
    session_a.execute("BEGIN")
    session_b.execute("BEGIN")
    session_a.execute(first)
    cause = duckdb_error(session_b, second)
    pg = translate_duckdb_error(cause, "postgres")
    my = translate_duckdb_error(cause, "mysql")
    assert isinstance(pg, exc.SerializationFailure) and isinstance(pg, exc.OperationalError)
    assert pg.args == ("could not serialize access due to concurrent update",)
    assert type(my) is exc.OperationalError
    assert my.args == (1213, "Deadlock found when trying to get lock; try restarting transaction")
    assert my.sqlstate == "40001"


@pytest.mark.parametrize("first, second", [
    ("UPDATE acc SET bal = 0 WHERE id = 1", "DELETE FROM acc WHERE id = 1"),
    ("DELETE FROM acc WHERE id = 1", "UPDATE acc SET bal = 0 WHERE id = 1"),
])
def test_duckdb_misses_update_delete_conflicts(first: str, second: str) -> None:
    # Pinned DuckDB 2.0 behaviour the engine must compensate for: PostgreSQL
    # (REPEATABLE READ) and MySQL would fail the second writer; DuckDB commits
    # both and the update is lost.
    con = duckdb.connect()
    con.execute("CREATE TABLE acc (id INTEGER PRIMARY KEY, bal INTEGER); INSERT INTO acc VALUES (1, 100)")
    session_a, session_b = con.cursor(), con.cursor()
    session_a.execute("BEGIN")
    session_b.execute("BEGIN")
    session_a.execute(first)
    session_b.execute(second)
    session_a.execute("COMMIT")
    session_b.execute("COMMIT")
    assert con.execute("SELECT * FROM acc").fetchall() == []


def test_concurrent_insert_of_one_key_fails_at_commit_as_duplicate_key() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE acc (id INTEGER PRIMARY KEY)")
    session_a, session_b = con.cursor(), con.cursor()
    for session in (session_a, session_b):
        session.execute("BEGIN")
        session.execute("INSERT INTO acc VALUES (5)")
    session_a.execute("COMMIT")
    cause = duckdb_error(session_b, "COMMIT")
    assert isinstance(translate_duckdb_error(cause, "postgres", table="acc"), exc.UniqueViolation)
    assert translate_duckdb_error(cause, "mysql", table="acc").args == (
        1062, "Duplicate entry '5' for key 'acc.PRIMARY'")


def test_statement_after_a_failure_in_a_transaction(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN")
    duckdb_error(con, "SELECT * FROM nope")
    error = translate_duckdb_error(duckdb_error(con, "SELECT 1"), "postgres")
    assert isinstance(error, exc.InFailedSqlTransaction)
    assert str(error) == "current transaction is aborted, commands ignored until end of transaction block"


def test_write_to_a_read_only_database(tmp_path) -> None:
    path = str(tmp_path / "reader.duckdb")
    duckdb.connect(path).execute("CREATE TABLE t (a INTEGER)").close()
    reader = duckdb.connect(path, read_only=True)
    cause = duckdb_error(reader, "UPDATE t SET a = 1")
    pg = translate_duckdb_error(cause, "postgres")
    my = translate_duckdb_error(cause, "mysql")
    assert isinstance(pg, exc.ReadOnlySqlTransaction)
    assert pg.args == ("cannot execute UPDATE in a read-only transaction",)
    assert (my.errno, my.sqlstate, type(my)) == (1290, "HY000", exc.OperationalError)
    assert my.args[1] == ("The MySQL server is running with the --read-only option "
                          "so it cannot execute this statement")


def test_unknown_duckdb_error_is_internal() -> None:
    cause = duckdb.InternalException("INTERNAL Error: something unexpected")
    pg = translate_duckdb_error(cause, "postgres")
    my = translate_duckdb_error(cause, "mysql")
    assert isinstance(pg, exc.InternalError) and pg.sqlstate == "XX000"
    assert "something unexpected" in str(pg)
    # PyMySQL raises OperationalError for unmapped errnos >= 1000, 1105 included.
    assert (type(my), my.errno, my.sqlstate) == (exc.OperationalError, 1105, "HY000")


def test_non_duckdb_exception_is_internal() -> None:
    cause = RuntimeError("boom")
    error = translate_duckdb_error(cause, "postgres")
    assert isinstance(error, exc.InternalError) and error.sqlstate == "XX000"
    assert error.__cause__ is cause


def test_aurora_lite_errors_pass_through() -> None:
    error = exc.postgres_error("08006", "connection lost")
    assert translate_duckdb_error(error, "mysql") is error


def test_unknown_dialect_is_rejected() -> None:
    with pytest.raises(ValueError):
        translate_duckdb_error(RuntimeError("x"), "oracle")


# DuckDB 2.0's "/" is float division: 1/0 is inf, not an error; only "//"
# and "%" raise. These pin that, since the SQL front end relies on it.
def test_duckdb_division_by_zero_behaviour(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT 1 / 0, 1::INTEGER / 0::INTEGER").fetchone() == (float("inf"), float("inf"))
    with pytest.raises(duckdb.InvalidInputException, match="Division by zero"):
        con.execute("SELECT 1::INTEGER // 0::INTEGER")
