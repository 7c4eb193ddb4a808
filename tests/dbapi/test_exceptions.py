"""PEP 249 exception tree, SQLSTATE lookup, MySQL errors, pickling.

Expected values come from PEP 249, the PostgreSQL manual (appendix A,
"PostgreSQL Error Codes"), psycopg 3's errors.py, the MySQL 8.0 server
error reference and PyMySQL's err.py -- not from the module under test.
"""

from __future__ import annotations

import pickle

import pytest

from aurora_lite.dbapi import exceptions as exc

PEP_249_TREE = [
    ("Warning", "Exception"),
    ("Error", "Exception"),
    ("InterfaceError", "Error"),
    ("DatabaseError", "Error"),
    ("DataError", "DatabaseError"),
    ("OperationalError", "DatabaseError"),
    ("IntegrityError", "DatabaseError"),
    ("InternalError", "DatabaseError"),
    ("ProgrammingError", "DatabaseError"),
    ("NotSupportedError", "DatabaseError"),
]


@pytest.mark.parametrize("name, parent", PEP_249_TREE)
def test_pep_249_tree(name: str, parent: str) -> None:
    cls = getattr(exc, name)
    expected_parent = Exception if parent == "Exception" else getattr(exc, parent)
    assert cls.__bases__ == (expected_parent,)
    assert cls.__module__ == "aurora_lite"


def test_warning_is_not_an_error() -> None:
    assert not issubclass(exc.Warning, exc.Error)


# (SQLSTATE, psycopg class name, DB-API parent) from psycopg/errors.py and
# the PostgreSQL manual, appendix A.
POSTGRES_STATES = [
    ("23505", "UniqueViolation", "IntegrityError"),
    ("23502", "NotNullViolation", "IntegrityError"),
    ("23503", "ForeignKeyViolation", "IntegrityError"),
    ("23514", "CheckViolation", "IntegrityError"),
    ("40001", "SerializationFailure", "OperationalError"),
    ("40P01", "DeadlockDetected", "OperationalError"),
    ("25006", "ReadOnlySqlTransaction", "InternalError"),
    ("25P02", "InFailedSqlTransaction", "InternalError"),
    ("42P01", "UndefinedTable", "ProgrammingError"),
    ("42703", "UndefinedColumn", "ProgrammingError"),
    ("42601", "SqlSyntaxError", "ProgrammingError"),
    ("42P07", "DuplicateTable", "ProgrammingError"),
    ("42710", "DuplicateObject", "ProgrammingError"),
    ("42883", "UndefinedFunction", "ProgrammingError"),
    ("42501", "InsufficientPrivilege", "ProgrammingError"),
    ("22012", "DivisionByZero", "DataError"),
    ("22003", "NumericValueOutOfRange", "DataError"),
    ("22P02", "InvalidTextRepresentation", "DataError"),
    ("22001", "StringDataRightTruncation", "DataError"),
    ("08006", "ConnectionFailure", "OperationalError"),
    ("08003", "ConnectionDoesNotExist", "OperationalError"),
    ("57P01", "AdminShutdown", "OperationalError"),
    ("0A000", "FeatureNotSupported", "NotSupportedError"),
    ("28000", "InvalidAuthorizationSpecification", "OperationalError"),
    ("28P01", "InvalidPassword", "OperationalError"),
]


@pytest.mark.parametrize("sqlstate, class_name, parent", POSTGRES_STATES)
def test_lookup_finds_the_psycopg_class(sqlstate: str, class_name: str, parent: str) -> None:
    cls = exc.lookup(sqlstate)
    assert cls.__name__ == class_name
    assert issubclass(cls, getattr(exc, parent))
    assert cls.sqlstate == sqlstate
    assert cls.__module__ == "aurora_lite"


@pytest.mark.parametrize("name, sqlstate", [
    ("UNIQUE_VIOLATION", "23505"), ("serialization_failure", "40001"), ("SYNTAX_ERROR", "42601"),
])
def test_lookup_by_condition_name(name: str, sqlstate: str) -> None:
    assert exc.lookup(name).sqlstate == sqlstate


# Unregistered states fall back on their class (psycopg's _base_exc_map).
@pytest.mark.parametrize("sqlstate, parent", [
    ("08P01", "OperationalError"), ("22023", "DataError"), ("22999", "DataError"),
    ("23P01", "IntegrityError"), ("42999", "ProgrammingError"), ("40003", "OperationalError"),
    ("25P03", "InternalError"), ("0A999", "NotSupportedError"), ("57P03", "OperationalError"),
    ("53300", "OperationalError"), ("58P01", "OperationalError"), ("XX001", "InternalError"),
    ("P0001", "ProgrammingError"), ("99999", "DatabaseError"),
])
def test_lookup_falls_back_on_the_sqlstate_class(sqlstate: str, parent: str) -> None:
    assert issubclass(exc.lookup(sqlstate), getattr(exc, parent))


def test_lookup_is_case_insensitive() -> None:
    assert exc.lookup("40p01") is exc.lookup("40P01")


def test_postgres_error_carries_sqlstate_and_pgcode() -> None:
    error = exc.postgres_error("23505", 'duplicate key value violates unique constraint "t_pkey"')
    assert isinstance(error, exc.IntegrityError)
    assert (error.sqlstate, error.pgcode, error.errno) == ("23505", "23505", None)
    assert str(error) == 'duplicate key value violates unique constraint "t_pkey"'


def test_postgres_error_keeps_an_unregistered_sqlstate() -> None:
    error = exc.postgres_error("22025", "invalid escape sequence")
    assert type(error) is exc.DataError
    assert error.sqlstate == "22025"


# (errno, SQLSTATE, class PyMySQL raises): SQLSTATEs from the MySQL 8.0 error
# reference; classes from PyMySQL's error_map, else OperationalError (>= 1000).
MYSQL_ERRORS = [
    (1062, "23000", "IntegrityError"),      # ER_DUP_ENTRY
    (1048, "23000", "IntegrityError"),      # ER_BAD_NULL_ERROR
    (1452, "23000", "IntegrityError"),      # ER_NO_REFERENCED_ROW_2
    (1213, "40001", "OperationalError"),    # ER_LOCK_DEADLOCK
    (1205, "HY000", "OperationalError"),    # ER_LOCK_WAIT_TIMEOUT
    (1290, "HY000", "OperationalError"),    # ER_OPTION_PREVENTS_STATEMENT
    (1146, "42S02", "ProgrammingError"),    # ER_NO_SUCH_TABLE
    (1054, "42S22", "OperationalError"),    # ER_BAD_FIELD_ERROR
    (1064, "42000", "ProgrammingError"),    # ER_PARSE_ERROR
    (1365, "22012", "OperationalError"),    # ER_DIVISION_BY_ZERO
    (1406, "22001", "DataError"),           # ER_DATA_TOO_LONG
    (1264, "22003", "DataError"),           # ER_WARN_DATA_OUT_OF_RANGE
    (1235, "42000", "NotSupportedError"),   # ER_NOT_SUPPORTED_YET
    (1045, "28000", "OperationalError"),    # ER_ACCESS_DENIED_ERROR
    (1105, "HY000", "OperationalError"),    # ER_UNKNOWN_ERROR
    (2013, "HY000", "OperationalError"),    # CR_SERVER_LOST
    (2006, "HY000", "OperationalError"),    # CR_SERVER_GONE_ERROR
]


@pytest.mark.parametrize("errno, sqlstate, class_name", MYSQL_ERRORS)
def test_mysql_error_matches_pymysql(errno: int, sqlstate: str, class_name: str) -> None:
    error = exc.mysql_error(errno, "message text")
    assert type(error) is getattr(exc, class_name)
    assert error.args == (errno, "message text")
    assert (error.errno, error.sqlstate) == (errno, sqlstate)


def test_mysql_error_below_1000_is_internal_like_pymysql() -> None:
    assert type(exc.mysql_error(999, "x")) is exc.InternalError


@pytest.mark.parametrize("error", [
    exc.postgres_error("40001", "could not serialize access due to concurrent update"),
    exc.postgres_error("22025", "unregistered state"),
    exc.mysql_error(1062, "Duplicate entry '1' for key 't.PRIMARY'"),
    exc.mysql_error(2013, "Lost connection to MySQL server during query"),
    exc.InterfaceError("connection already closed"),
    exc.ProgrammingError("client-side, no sqlstate"),
], ids=lambda e: type(e).__name__)
def test_errors_survive_pickling(error: exc.Error) -> None:
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is type(error)
    assert restored.args == error.args
    assert (restored.sqlstate, restored.errno) == (error.sqlstate, error.errno)


class AuroraStorageFull(exc.OperationalError, code="ZZ901"):
    """A subclass defined outside the package, as later modules may do."""


def test_subclasses_register_and_pickle_from_their_own_module() -> None:
    assert exc.lookup("ZZ901") is AuroraStorageFull
    restored = pickle.loads(pickle.dumps(AuroraStorageFull("volume full")))
    assert type(restored) is AuroraStorageFull
    assert restored.sqlstate == "ZZ901"


def test_errors_are_raisable_and_catchable_by_dbapi_class() -> None:
    with pytest.raises(exc.DatabaseError) as caught:
        raise exc.postgres_error("25006", "cannot execute UPDATE in a read-only transaction")
    assert isinstance(caught.value, exc.InternalError)
