"""System variables (SHOW VARIABLES, @@name, SET) and the session functions behind session values.

Aurora MySQL 3.08 is compatible with MySQL 8.0.39: @@version is the MySQL
release, @@aurora_version the Aurora one (Aurora User Guide, "Checking
Aurora MySQL versions using SQL").
"""
from __future__ import annotations

import itertools
import threading
import time
import uuid
import weakref
import zlib
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ...dbapi.exceptions import mysql_error
from ..session_functions import SessionFunction
from .common import (
    AURORA_VERSION,
    CHARSET,
    COLLATION,
    ENGINE_VERSION,
    MYSQL_VERSION,
    VERSION_COMMENT,
)

STARTED = time.monotonic()


# name -> (type, default, scope). type: "str" | "int" | "bool" (ON/OFF in SHOW, 1/0 through @@).
# scope: "session" (SET per session), "global" (SET GLOBAL only), "ro" (read only).
VARIABLES: dict[str, tuple[str, Any, str]] = {
    "aurora_server_id": ("str", None, "ro"),
    "aurora_version": ("str", AURORA_VERSION, "ro"),
    "auto_increment_increment": ("int", 1, "session"),
    "auto_increment_offset": ("int", 1, "session"),
    "autocommit": ("bool", None, "session"),
    "basedir": ("str", f"/rdsdbbin/oscar-{ENGINE_VERSION}.0.0.0/", "ro"),
    "big_tables": ("bool", "OFF", "session"),
    "character_set_client": ("str", CHARSET, "session"),
    "character_set_connection": ("str", CHARSET, "session"),
    "character_set_database": ("str", CHARSET, "session"),
    "character_set_filesystem": ("str", "binary", "session"),
    "character_set_results": ("str", CHARSET, "session"),
    "character_set_server": ("str", CHARSET, "session"),
    "character_set_system": ("str", "utf8mb3", "ro"),
    "collation_connection": ("str", COLLATION, "session"),
    "collation_database": ("str", COLLATION, "session"),
    "collation_server": ("str", COLLATION, "session"),
    "completion_type": ("str", "NO_CHAIN", "session"),
    "datadir": ("str", "/rdsdbdata/db/", "ro"),
    "default_authentication_plugin": ("str", "mysql_native_password", "ro"),
    "default_storage_engine": ("str", "InnoDB", "session"),
    "default_week_format": ("int", 0, "session"),
    "div_precision_increment": ("int", 4, "session"),
    "error_count": ("int", 0, "ro"),
    "explicit_defaults_for_timestamp": ("bool", "ON", "session"),
    "foreign_key_checks": ("bool", "ON", "session"),
    "group_concat_max_len": ("int", 1024, "session"),
    "have_ssl": ("str", "YES", "ro"),
    "hostname": ("str", None, "ro"),
    "identity": ("int", None, "session"),
    "init_connect": ("str", "", "global"),
    "innodb_lock_wait_timeout": ("int", 50, "session"),
    "innodb_read_only": ("bool", None, "ro"),
    "innodb_strict_mode": ("bool", "ON", "session"),
    "innodb_version": ("str", MYSQL_VERSION, "ro"),
    "interactive_timeout": ("int", 28800, "session"),
    "last_insert_id": ("int", None, "session"),
    "license": ("str", "GPL", "ro"),
    "lock_wait_timeout": ("int", 31536000, "session"),
    "log_bin": ("bool", "OFF", "ro"),
    "long_query_time": ("str", "10.000000", "session"),
    "lower_case_table_names": ("int", 0, "ro"),
    "max_allowed_packet": ("int", 67108864, "session"),
    "max_connections": ("int", 1000, "global"),
    "max_execution_time": ("int", 0, "session"),
    "net_buffer_length": ("int", 16384, "session"),
    "net_read_timeout": ("int", 30, "session"),
    "net_write_timeout": ("int", 60, "session"),
    "performance_schema": ("bool", "OFF", "ro"),
    "port": ("int", 3306, "ro"),
    "protocol_version": ("int", 10, "ro"),
    "read_only": ("bool", None, "global"),
    "require_secure_transport": ("bool", "OFF", "global"),
    "server_id": ("int", None, "ro"),
    "server_uuid": ("str", None, "ro"),
    "sql_auto_is_null": ("bool", "OFF", "session"),
    "sql_mode": ("str", ("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                         "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"), "session"),
    "sql_notes": ("bool", "ON", "session"),
    "sql_quote_show_create": ("bool", "ON", "session"),
    "sql_require_primary_key": ("bool", "OFF", "session"),
    "sql_safe_updates": ("bool", "OFF", "session"),
    "sql_select_limit": ("int", 18446744073709551615, "session"),
    "sql_warnings": ("bool", "OFF", "session"),
    "system_time_zone": ("str", "UTC", "ro"),
    "time_zone": ("str", "SYSTEM", "session"),   # MySQL's initial value; the system time zone is UTC
    "transaction_isolation": ("str", "REPEATABLE-READ", "session"),
    "transaction_read_only": ("bool", "OFF", "session"),
    "unique_checks": ("bool", "ON", "session"),
    "version": ("str", MYSQL_VERSION, "ro"),
    "version_comment": ("str", VERSION_COMMENT, "ro"),
    "version_compile_machine": ("str", "x86_64", "ro"),
    "version_compile_os": ("str", "Linux", "ro"),
    "wait_timeout": ("int", 28800, "session"),
    "warning_count": ("int", 0, "ro"),
}


def on_off(flag: bool) -> str:
    return "ON" if flag else "OFF"


# Values that depend on the session or the instance it runs on.
DYNAMIC: dict[str, Callable[[Any], Any]] = {
    "autocommit": lambda s: on_off(s.autocommit),
    "aurora_server_id": lambda s: s.instance.identifier,
    "hostname": lambda s: s.instance.identifier,
    "identity": lambda s: s.last_insert_id,
    "last_insert_id": lambda s: s.last_insert_id,
    "innodb_read_only": lambda s: on_off(s.instance.role == "reader"),
    "read_only": lambda s: on_off(s.instance.role == "reader"),
    "server_id": lambda s: zlib.crc32(s.instance.identifier.encode()) & 0x7FFFFFFF,
    "server_uuid": lambda s: str(uuid.uuid5(uuid.NAMESPACE_DNS, s.instance.identifier)),
}


ISOLATION_LEVELS = {"READ-UNCOMMITTED", "READ-COMMITTED", "REPEATABLE-READ", "SERIALIZABLE"}
CHARSET_ALIASES = {"utf8": "utf8mb3"}

DEFAULT_COLLATIONS = {"utf8mb4": COLLATION, "utf8mb3": "utf8mb3_general_ci", "latin1": "latin1_swedish_ci",
                       "ascii": "ascii_general_ci", "binary": "binary", "utf16": "utf16_general_ci"}


def variable_value(session: Any, name: str, scope: str = "session") -> Any:
    """The SHOW VARIABLES text of a system variable (None for SQL NULL); KeyError if unknown."""
    default = VARIABLES[name][1]
    if scope == "session" and name in session.settings and name not in DYNAMIC:
        return session.settings[name]
    if name in DYNAMIC:
        value = DYNAMIC[name](session)
    else:
        value = default
    return None if value is None else str(value)


def _typed(name: str, text: str | None) -> Any:
    """A variable's value as @@name returns it: 1/0 for booleans, int for numbers."""
    if text is None:
        return None
    kind = VARIABLES[name][0]
    if kind == "bool":
        return 1 if text == "ON" else 0
    if kind == "int":
        return int(text)
    return text


def check_variable(name: str) -> None:
    if name not in VARIABLES:
        raise mysql_error(1193, f"Unknown system variable '{name}'")


_connection_ids: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_next_connection_id = itertools.count(8)
_id_lock = threading.Lock()


def connection_id(session: Any) -> int:
    """CONNECTION_ID(): a number per session, stable for its life."""
    with _id_lock:
        found = _connection_ids.get(session)
        if found is None:
            found = _connection_ids[session] = next(_next_connection_id)
        return found


def user_of(session: Any) -> str:
    return getattr(session, "user", None) or "admin"


def _now(session: Any, fsp: int) -> datetime:
    """The instance clock as MySQL's NOW(fsp): naive UTC (time_zone is UTC), truncated to fsp digits."""
    micros = int(session.instance.clock() * 1_000_000)
    fsp = max(0, min(int(fsp or 0), 6))
    micros -= micros % (10 ** (6 - fsp))
    return datetime.fromtimestamp(micros // 1_000_000, timezone.utc).replace(
        tzinfo=None, microsecond=micros % 1_000_000)


def _variable_function(name: str, scope: str) -> SessionFunction:
    kind = VARIABLES[name][0]
    returns = "VARCHAR" if kind == "str" else "UBIGINT" if name == "sql_select_limit" else "BIGINT"
    return SessionFunction(f"aurora_mysql_var_{scope}_{name}", (), returns,
                           lambda s: lambda: _typed(name, variable_value(s, name, scope)))


def _now_function(fsp: int) -> SessionFunction:
    return SessionFunction(f"aurora_mysql_now_{fsp}", (), "TIMESTAMP", lambda s: lambda: _now(s, fsp))


# Zero-argument session functions: the session sets each one's value (a DuckDB variable)
# before a statement that reads it runs, so every value is constant within a statement.
FUNCTIONS = (
    SessionFunction("aurora_mysql_last_insert_id", (), "BIGINT", lambda s: lambda: s.last_insert_id),
    SessionFunction("aurora_mysql_user", (), "VARCHAR", lambda s: lambda: f"{user_of(s)}@localhost"),
    SessionFunction("aurora_mysql_current_user", (), "VARCHAR", lambda s: lambda: f"{user_of(s)}@%"),
    SessionFunction("aurora_mysql_connection_id", (), "BIGINT", lambda s: lambda: connection_id(s)),
    *(_now_function(fsp) for fsp in range(7)),
    *(_variable_function(name, scope) for name in VARIABLES for scope in ("session", "global")),
)


def status(session: Any) -> dict[str, Any]:
    instance = session.instance
    commits = getattr(instance, "commits", 0)
    latency = getattr(instance, "commit_latency_s_total", 0.0)
    return {
        "Aborted_clients": 0,
        "Aborted_connects": 0,
        "AuroraDb_commit_latency": int(latency * 1_000_000),
        "AuroraDb_commits": commits,
        "Com_commit": commits,
        "Connections": len(_connection_ids),
        "Threads_connected": getattr(instance, "connections", 1),
        "Threads_running": 1,
        "Uptime": int(time.monotonic() - STARTED),
    }
