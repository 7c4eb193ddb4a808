"""SQL for application locks: PostgreSQL's pg_advisory_* functions, MySQL's GET_LOCK() family and LOCK TABLES.

Migration tools and job runners take them as a statement of their own
(``SELECT pg_advisory_lock(42)``, ``SELECT GET_LOCK('migrations', 10)``); such a
statement is answered here from the instance's lock table (engine/named_locks.py)
with the server's result: void (None) / booleans for PostgreSQL, 1 / 0 / NULL
for MySQL, in a column named as the server names it. The function called
inside a larger query is not supported (DuckDB has no such function).

MySQL's ``LOCK TABLES`` takes one such lock per table (READ locks are exclusive
here too) until ``UNLOCK TABLES`` or the session's end; it excludes other
sessions' LOCK TABLES, not their plain statements.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..dbapi.exceptions import mysql_error, postgres_error
from . import emulation
from .mysql.variables import connection_id
from .params import Placeholders
from .plan import Kind, Plan

if TYPE_CHECKING:
    from .frontend import FrontEnd

_ARGUMENT = r"\s*(?:\?|-?\d+|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|NULL)\s*"
_CALL = re.compile(rf"^\s*SELECT\s+(?:pg_catalog\s*\.\s*)?(?P<name>\w+)\s*\((?P<args>(?:{_ARGUMENT}(?:,{_ARGUMENT})*)?)\)"
                   r"\s*(?:AS\s+(?P<alias>\w+|\"[^\"]+\"|`[^`]+`)\s*)?;?\s*$", re.I)
_POSTGRES = {"pg_advisory_lock", "pg_try_advisory_lock", "pg_advisory_xact_lock", "pg_try_advisory_xact_lock",
             "pg_advisory_unlock", "pg_advisory_unlock_all"}
_MYSQL = {"get_lock", "release_lock", "is_free_lock", "is_used_lock", "release_all_locks"}


def _hook(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    match = _CALL.match(text)
    if match is None:
        return None
    name = match.group("name").lower()
    if name not in (_POSTGRES if front.dialect == "postgres" else _MYSQL):
        return None
    arguments = [a.strip() for a in re.findall(_ARGUMENT, match.group("args"))] if match.group("args").strip() else []
    column = (match.group("alias") or "").strip('"`') or \
        (name if front.dialect == "postgres" else text.strip().rstrip(";")[len("SELECT"):].strip())
    run = _postgres if front.dialect == "postgres" else _mysql
    return Plan(Kind.EMULATED, "", placeholders, verb="SELECT", name=column,
                emulate=lambda session, params, plan: ([plan.name], [(run(session, name, _values(arguments, params)),)]))


def _values(arguments: list[str], params: list[Any]) -> list[Any]:
    values, position = [], 0
    for argument in arguments:
        if argument == "?":
            values.append(params[position])
            position += 1
        elif argument.upper() == "NULL":
            values.append(None)
        elif argument[0] in "'\"":
            values.append(argument[1:-1].replace(argument[0] * 2, argument[0]))
        else:
            values.append(int(argument))
    return values


def _postgres(session: Any, name: str, values: list[Any]) -> Any:
    locks = session.instance.named_locks
    if name == "pg_advisory_unlock_all":
        locks.release_all(session, session_level_only=True)
        return None
    if len(values) not in (1, 2) or not all(isinstance(v, int) for v in values):
        raise postgres_error("42883", f"function {name}({', '.join('unknown' for _ in values)}) does not exist")
    key = ("pg", *values)
    if name == "pg_advisory_unlock":
        return bool(locks.release(session, key))  # (PostgreSQL also warns when it was not held)
    transaction = "xact" in name
    waits = None if name.startswith("pg_advisory") else 0.0
    taken = locks.acquire(session, key, waits, transaction=transaction)
    if not taken and waits is None:
        raise session.instance.connection_lost(session.lost or "the session ended while it waited for a lock")
    if transaction and not session.in_transaction:
        locks.end_transaction(session)  # autocommit: the statement was the whole transaction
    return None if waits is None else taken


def _mysql(session: Any, name: str, values: list[Any]) -> Any:
    locks = session.instance.named_locks
    if name == "release_all_locks":
        return locks.release_all(session)
    if not values or values[0] is None:
        return None
    key = ("mysql", str(values[0]).lower())
    if name == "get_lock":
        if len(values) != 2:
            raise mysql_error(1582, "Incorrect parameter count in the call to native function 'GET_LOCK'")
        timeout = None if values[1] is None or float(values[1]) < 0 else float(values[1])
        return 1 if locks.acquire(session, key, timeout) else 0
    if name == "release_lock":
        released = locks.release(session, key)
        return None if released is None else int(released)
    holder = locks.holder(key)
    if name == "is_free_lock":
        return int(holder is None)
    return None if holder is None else connection_id(holder)  # is_used_lock


_LOCK_TABLES = re.compile(r"^\s*LOCK\s+TABLES?\s+(?P<list>.+?)\s*;?\s*$", re.I | re.S)
_UNLOCK_TABLES = re.compile(r"^\s*UNLOCK\s+TABLES?\s*;?\s*$", re.I)
_LOCKED_TABLE = re.compile(r"^\s*(?P<name>`[^`]+`|[\w$]+)(?:\.(?P<table>`[^`]+`|[\w$]+))?(?:\s+(?:AS\s+)?(?!READ\b|WRITE\b|"
                           r"LOW_PRIORITY\b)[\w$`]+)?\s+(?:READ(?:\s+LOCAL)?|(?:LOW_PRIORITY\s+)?WRITE)\s*$", re.I)


def _table_lock_hook(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    """MySQL LOCK TABLES t READ|WRITE, ... / UNLOCK TABLES (mysqldump wraps its INSERTs in them)."""
    if _UNLOCK_TABLES.match(text):
        return Plan(Kind.SESSION, "", placeholders, verb="UNLOCK TABLES", emulate=_unlock_tables)
    match = _LOCK_TABLES.match(text)
    if match is None:
        return None
    tables = []
    for item in match.group("list").split(","):
        locked = _LOCKED_TABLE.match(item)
        if locked is None:
            return None  # the parser reports the syntax error
        tables.append((locked.group("table") or locked.group("name")).strip("`").lower())
    return Plan(Kind.SESSION, "", placeholders, verb="LOCK TABLES", emulate=_lock_tables(tuple(tables)))


def _lock_tables(tables: tuple[str, ...]) -> Any:
    def run(session: Any, params: list[Any], plan: Plan) -> None:
        # MySQL: LOCK TABLES commits the open transaction and gives up the session's table locks first.
        session.commit()
        locks = session.instance.named_locks
        locks.release_all(session, kind="table")
        for table in sorted(set(tables)):  # one order for every session: no deadlock between them
            if not locks.acquire(session, ("table", table)):
                raise session.instance.connection_lost(session.lost or "the session ended while it waited for a lock")
    return run


def _unlock_tables(session: Any, params: list[Any], plan: Plan) -> None:
    locks = session.instance.named_locks
    if locks.release_all(session, kind="table"):
        session.commit()  # MySQL: UNLOCK TABLES commits when tables were locked


for _dialect in ("postgres", "mysql"):
    if _hook not in emulation.PRE_PARSE[_dialect]:
        emulation.PRE_PARSE[_dialect].insert(0, _hook)
if _table_lock_hook not in emulation.PRE_PARSE["mysql"]:
    emulation.PRE_PARSE["mysql"].insert(0, _table_lock_hook)
