"""
aurora_lite exceptions: the PEP 249 contract.

The DB-API exceptions form this tree::

    Exception
    |__Warning
    |__Error
       |__InterfaceError
       |__DatabaseError
          |__DataError
          |__OperationalError
          |__IntegrityError
          |__InternalError
          |__ProgrammingError
          |__NotSupportedError

Every error the server raises carries ``.sqlstate`` (``.pgcode`` is its
psycopg spelling); aurora-mysql errors also carry ``.errno`` and, like
PyMySQL, ``args == (errno, message)``. For aurora-postgresql the class is
the one psycopg raises for the SQLSTATE (``lookup("23505")`` is
``UniqueViolation``); for aurora-mysql it is the one PyMySQL raises for the
errno (``pymysql/err.py``), so code moves to a real driver unchanged.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
    "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
    "NotSupportedError", "lookup", "postgres_error", "mysql_error",
]

# SQLSTATE (and psycopg-style constant name) -> class, filled by __init_subclass__.
_classes_by_sqlstate: dict[str, type[Error]] = {}


class Warning(Exception):  # noqa: A001 - PEP 249 mandates the name
    """Important warnings; defined for PEP 249, never raised."""

    __module__ = "aurora_lite"


class Error(Exception):
    """Base class of every error aurora_lite raises; picklable."""

    __module__ = "aurora_lite"

    sqlstate: str | None = None
    errno: int | None = None
    # Where pickle finds the class again; __module__ names the public package.
    _defined_in = __name__

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__ in (__name__, "aurora_lite"):
            cls._defined_in = __name__
            cls.__module__ = "aurora_lite"
        else:
            cls._defined_in = cls.__module__

    def __init__(self, *args: Any, sqlstate: str | None = None, errno: int | None = None) -> None:
        super().__init__(*args)
        # Instance values override the class default only when given, so a
        # registered subclass keeps its own code.
        if sqlstate is not None:
            self.sqlstate = sqlstate
        if errno is not None:
            self.errno = errno

    @property
    def pgcode(self) -> str | None:
        """The SQLSTATE, under psycopg 2's attribute name."""
        return self.sqlstate

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild through a function of this module: pickle need not resolve
        # the class under its public module name, which may not re-export it.
        cls = type(self)
        return (_restore_error, (cls._defined_in, cls.__qualname__, self.args, dict(self.__dict__)))


def _restore_error(module: str, qualname: str, args: tuple[Any, ...], state: dict[str, Any]) -> Error:
    """Unpickle an error saved by Error.__reduce__."""
    cls: Any = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    error = cls(*args)
    error.__dict__.update(state)
    return error


class InterfaceError(Error):
    """An error of the database interface rather than of the database."""

    __module__ = "aurora_lite"


class DatabaseError(Error):
    """An error related to the database; SQLSTATE classes register below it."""

    __module__ = "aurora_lite"

    def __init_subclass__(cls, code: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code:
            _classes_by_sqlstate[code] = cls
            cls.sqlstate = code
        if name:
            _classes_by_sqlstate[name] = cls


class DataError(DatabaseError):
    """Problems with the processed data: division by zero, out of range, ..."""


class OperationalError(DatabaseError):
    """Errors of the database's operation: lost connection, failover, conflicts."""


class IntegrityError(DatabaseError):
    """The relational integrity of the database is affected (keys, checks)."""


class InternalError(DatabaseError):
    """The database hit an internal error or the transaction is out of sync."""


class ProgrammingError(DatabaseError):
    """Programming errors: unknown table, syntax error, wrong parameters."""


class NotSupportedError(DatabaseError):
    """A method or database feature that the database does not support."""


# SQLSTATE classes aurora_lite raises; names, codes and bases as in psycopg 3
# (psycopg/errors.py) and the PostgreSQL manual, appendix A.

class ConnectionDoesNotExist(OperationalError, code="08003", name="CONNECTION_DOES_NOT_EXIST"):
    pass

class ConnectionFailure(OperationalError, code="08006", name="CONNECTION_FAILURE"):
    pass

class FeatureNotSupported(NotSupportedError, code="0A000", name="FEATURE_NOT_SUPPORTED"):
    pass

class DataException(DataError, code="22000", name="DATA_EXCEPTION"):
    pass

class StringDataRightTruncation(DataError, code="22001", name="STRING_DATA_RIGHT_TRUNCATION"):
    pass

class NumericValueOutOfRange(DataError, code="22003", name="NUMERIC_VALUE_OUT_OF_RANGE"):
    pass

class DatetimeFieldOverflow(DataError, code="22008", name="DATETIME_FIELD_OVERFLOW"):
    pass

class DivisionByZero(DataError, code="22012", name="DIVISION_BY_ZERO"):
    pass

class SequenceGeneratorLimitExceeded(DataError, code="2200H", name="SEQUENCE_GENERATOR_LIMIT_EXCEEDED"):
    pass

class InvalidParameterValue(DataError, code="22023", name="INVALID_PARAMETER_VALUE"):
    pass

class InvalidTextRepresentation(DataError, code="22P02", name="INVALID_TEXT_REPRESENTATION"):
    pass

class NotNullViolation(IntegrityError, code="23502", name="NOT_NULL_VIOLATION"):
    pass

class ForeignKeyViolation(IntegrityError, code="23503", name="FOREIGN_KEY_VIOLATION"):
    pass

class UniqueViolation(IntegrityError, code="23505", name="UNIQUE_VIOLATION"):
    pass

class CheckViolation(IntegrityError, code="23514", name="CHECK_VIOLATION"):
    pass

class InvalidTransactionState(InternalError, code="25000", name="INVALID_TRANSACTION_STATE"):
    pass

class ActiveSqlTransaction(InternalError, code="25001", name="ACTIVE_SQL_TRANSACTION"):
    pass

class ReadOnlySqlTransaction(InternalError, code="25006", name="READ_ONLY_SQL_TRANSACTION"):
    pass

class NoActiveSqlTransaction(InternalError, code="25P01", name="NO_ACTIVE_SQL_TRANSACTION"):
    pass

class InFailedSqlTransaction(InternalError, code="25P02", name="IN_FAILED_SQL_TRANSACTION"):
    pass

class InvalidAuthorizationSpecification(OperationalError, code="28000",
                                        name="INVALID_AUTHORIZATION_SPECIFICATION"):
    pass

class InvalidPassword(OperationalError, code="28P01", name="INVALID_PASSWORD"):
    pass

class DependentObjectsStillExist(InternalError, code="2BP01", name="DEPENDENT_OBJECTS_STILL_EXIST"):
    pass

class SerializationFailure(OperationalError, code="40001", name="SERIALIZATION_FAILURE"):
    pass

class DeadlockDetected(OperationalError, code="40P01", name="DEADLOCK_DETECTED"):
    pass

class SyntaxErrorOrAccessRuleViolation(ProgrammingError, code="42000",
                                       name="SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION"):
    pass

class InsufficientPrivilege(ProgrammingError, code="42501", name="INSUFFICIENT_PRIVILEGE"):
    pass

# psycopg calls this SyntaxError; that would shadow the builtin here.
class SqlSyntaxError(ProgrammingError, code="42601", name="SYNTAX_ERROR"):
    pass

class AmbiguousColumn(ProgrammingError, code="42702", name="AMBIGUOUS_COLUMN"):
    pass

class UndefinedColumn(ProgrammingError, code="42703", name="UNDEFINED_COLUMN"):
    pass

class DuplicateObject(ProgrammingError, code="42710", name="DUPLICATE_OBJECT"):
    pass

class GroupingError(ProgrammingError, code="42803", name="GROUPING_ERROR"):
    pass

class DatatypeMismatch(ProgrammingError, code="42804", name="DATATYPE_MISMATCH"):
    pass

class UndefinedFunction(ProgrammingError, code="42883", name="UNDEFINED_FUNCTION"):
    pass

class UndefinedTable(ProgrammingError, code="42P01", name="UNDEFINED_TABLE"):
    pass

class DuplicateSchema(ProgrammingError, code="42P06", name="DUPLICATE_SCHEMA"):
    pass

class DuplicateTable(ProgrammingError, code="42P07", name="DUPLICATE_TABLE"):
    pass

class InvalidSchemaName(ProgrammingError, code="3F000", name="INVALID_SCHEMA_NAME"):
    pass

class OutOfMemory(OperationalError, code="53200", name="OUT_OF_MEMORY"):
    pass

class QueryCanceled(OperationalError, code="57014", name="QUERY_CANCELED"):
    pass

class AdminShutdown(OperationalError, code="57P01", name="ADMIN_SHUTDOWN"):
    pass

class IoError(OperationalError, code="58030", name="IO_ERROR"):
    pass

class InternalError_(InternalError, code="XX000", name="INTERNAL_ERROR"):
    pass


# The DB-API class of a SQLSTATE nobody registered, by its class (first two
# characters, else first one): psycopg 3's _base_exc_map.
_classes_by_sqlstate_prefix: dict[str, type[Error]] = {
    "08": OperationalError, "0A": NotSupportedError, "20": ProgrammingError,
    "21": ProgrammingError, "22": DataError, "23": IntegrityError,
    "24": InternalError, "25": InternalError, "26": ProgrammingError,
    "27": OperationalError, "28": OperationalError, "2B": InternalError,
    "2D": InternalError, "2F": OperationalError, "34": ProgrammingError,
    "38": OperationalError, "39": OperationalError, "3B": OperationalError,
    "3D": ProgrammingError, "3F": ProgrammingError, "40": OperationalError,
    "42": ProgrammingError, "44": ProgrammingError, "53": OperationalError,
    "54": OperationalError, "55": OperationalError, "57": OperationalError,
    "58": OperationalError, "F": OperationalError, "H": OperationalError,
    "P": ProgrammingError, "X": InternalError,
}


def lookup(sqlstate: str) -> type[Error]:
    """Return the class for a SQLSTATE or psycopg constant name, falling back by class."""
    key = sqlstate.upper()
    found = _classes_by_sqlstate.get(key)
    if found is not None:
        return found
    return (_classes_by_sqlstate_prefix.get(key[:2])
            or _classes_by_sqlstate_prefix.get(key[:1])
            or DatabaseError)


def postgres_error(sqlstate: str, message: str) -> Error:
    """Build the error aurora-postgresql raises: psycopg's class, args == (message,)."""
    return lookup(sqlstate)(message, sqlstate=sqlstate)


# PyMySQL's errno -> class table (pymysql/err.py, error_map), by ER number.
_pymysql_classes_by_errno: dict[int, type[Error]] = {
    **dict.fromkeys((1007, 1149, 1064, 1146, 1102, 1103, 1110, 1111, 1112, 1113, 1179, 1166),
                    ProgrammingError),
    **dict.fromkeys((1265, 1263, 1264, 1230, 1171, 1406, 1441, 1366, 1367), DataError),
    **dict.fromkeys((1062, 1216, 1452, 1217, 1451, 1215, 1048), IntegrityError),
    **dict.fromkeys((1196, 1235, 1289, 1286), NotSupportedError),
    **dict.fromkeys((1044, 1045, 1040, 1142, 1143, 4025, 1213), OperationalError),
}

# MySQL's SQLSTATE for each errno aurora_lite raises (MySQL 8.0 error
# reference); errors without a specific state use HY000.
_mysql_sqlstates_by_errno: dict[int, str] = {
    1007: "HY000", 1037: "HY001", 1045: "28000", 1048: "23000", 1050: "42S01",
    1051: "42S02", 1052: "23000", 1054: "42S22", 1055: "42000", 1062: "23000",
    1064: "42000", 1105: "HY000", 1142: "42000", 1146: "42S02", 1179: "25000",
    1205: "HY000", 1213: "40001", 1227: "42000", 1235: "42000", 1264: "22003",
    1290: "HY000", 1292: "22007", 1305: "42000", 1317: "70100", 1365: "22012",
    1366: "HY000", 1406: "22001", 1451: "23000", 1452: "23000", 1467: "HY000",
    1525: "HY000", 1582: "42000", 1690: "22003", 2006: "HY000", 2013: "HY000",
    3730: "HY000", 3819: "HY000",
}


def mysql_error_class(errno: int) -> type[Error]:
    """Return the class PyMySQL raises for a MySQL errno."""
    found = _pymysql_classes_by_errno.get(errno)
    if found is not None:
        return found
    # PyMySQL's own fallback in raise_mysql_exception().
    return InternalError if errno < 1000 else OperationalError


def mysql_sqlstate(errno: int) -> str:
    """Return the SQLSTATE MySQL reports with an errno."""
    return _mysql_sqlstates_by_errno.get(errno, "HY000")


def mysql_error(errno: int, message: str) -> Error:
    """Build the error aurora-mysql raises: PyMySQL's class, args == (errno, message)."""
    return mysql_error_class(errno)(errno, message, sqlstate=mysql_sqlstate(errno), errno=errno)
