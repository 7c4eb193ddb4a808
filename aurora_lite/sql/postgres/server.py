"""What the emulated server says about itself and about each session.

The ``version()`` string of Aurora PostgreSQL 16.4; the settings it reports
beyond emulation.py's (added to ``emulation.POSTGRES_SETTINGS`` by
``register()``); and the session functions and relation the rewritten SQL
reads: ``aurora_pg_backend_pid()`` (``pg_backend_pid()``),
``aurora_pg_current_user()`` (``current_user``, the cluster's master user) and
the per-session settings relation ``current_setting()`` looks names up in
(``register()`` registers them with session_functions.py).
"""
from __future__ import annotations

import itertools
import weakref
from typing import Any

import pyarrow as pa

from .. import emulation
from ..session_functions import SessionFunction, SessionRelation
from .catalog_sources import _OWNER

# What `SELECT version()` answers on Aurora PostgreSQL 16.4 (Graviton instances).
VERSION = ("PostgreSQL 16.4 on aarch64-unknown-linux-gnu, compiled by aarch64-unknown-linux-gnu-gcc "
           "(GCC) 9.5.0, 64-bit")

# Added to emulation.POSTGRES_SETTINGS by register().
DEFAULT_SETTINGS = {
    "server_version_num": "160004",
    "lc_ctype": "C",
    "lc_messages": "C",
    "timezone": "UTC",
    "intervalstyle": "postgres",
    "bytea_output": "hex",
    "extra_float_digits": "1",
    "statement_timeout": "0",
    "lock_timeout": "0",
    "idle_in_transaction_session_timeout": "0",
    "default_transaction_deferrable": "off",
    "row_security": "on",
    "port": "5432",
    "ssl": "on",
    "block_size": "8192",
    "max_identifier_length": "63",
    "default_table_access_method": "heap",
    "default_tablespace": "",
    "synchronous_commit": "on",
    "wal_level": "replica",
}


SETTINGS_RELATION = "__aurora_pg_session_settings"
_PIDS: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_NEXT_PID = itertools.count(8400)


def _setting(session: Any, name: str) -> str | None:
    key = name.lower()
    if key in session.settings:
        return session.settings[key]
    return emulation.POSTGRES_SETTINGS.get(key)


def _settings_table(session: Any) -> pa.Table:
    merged = {**emulation.POSTGRES_SETTINGS, **session.settings}
    return pa.table({"name": list(merged), "setting": [str(v) for v in merged.values()]})


def _backend_pid(session: Any) -> Any:
    pid = _PIDS.setdefault(session, next(_NEXT_PID))
    return lambda: pid


def _current_user(session: Any) -> Any:
    cluster = getattr(session.instance, "cluster", None)
    return lambda: getattr(cluster, "master_user", None) or "postgres"


_CURRENT_USER_FUNCTION = SessionFunction("aurora_pg_current_user", (), "VARCHAR", _current_user)
assert f"'{_CURRENT_USER_FUNCTION.variable}'" in _OWNER
# Registered by register(), in this order.
FUNCTIONS = (SessionFunction("aurora_pg_backend_pid", (), "INTEGER", _backend_pid), _CURRENT_USER_FUNCTION)
RELATIONS = (SessionRelation(SETTINGS_RELATION, _settings_table),)
