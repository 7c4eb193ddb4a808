"""SET: system variables, user variables, SET NAMES, SET TRANSACTION, a real SET autocommit."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from ...dbapi.exceptions import Error, mysql_error
from .. import session_functions
from ..params import Placeholders
from ..plan import Kind, Plan
from .common import CHARSET, parse_single, syntax_error
from .functions import rewrite_expressions, user_variable
from .variables import (
    CHARSET_ALIASES,
    DEFAULT_COLLATIONS,
    DYNAMIC,
    ISOLATION_LEVELS,
    VARIABLES,
    check_variable,
    on_off,
    variable_value,
)

if TYPE_CHECKING:
    from ..frontend import FrontEnd


_SET = re.compile(r"^\s*SET\s", re.IGNORECASE)

_SET_TRANSACTION = re.compile(r"^\s*SET\s+(?:(?P<scope>GLOBAL|SESSION|LOCAL)\s+)?TRANSACTION\s+(?P<body>.+?)\s*;?\s*$",
                              re.IGNORECASE | re.DOTALL)


_ISOLATION_LEVEL = re.compile(r"ISOLATION\s+LEVEL\s+(READ\s+UNCOMMITTED|READ\s+COMMITTED|REPEATABLE\s+READ|"
                              r"SERIALIZABLE)", re.IGNORECASE)

_ACCESS = re.compile(r"READ\s+(ONLY|WRITE)", re.IGNORECASE)


def _no_privilege() -> Error:
    return mysql_error(1227, "Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN "
                             "privilege(s) for this operation")


def set_statement_hook(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    if not _SET.match(text):
        return None
    txn = _SET_TRANSACTION.match(text)
    if txn:
        return _set_transaction(txn, placeholders)
    statement = parse_single(front, text)
    if not isinstance(statement, exp.Set):
        return None
    actions: list[Callable[[Any, list[Any]], None]] = []
    offset = 0
    functions: set[str] = set()
    for item in statement.expressions:
        kind = (item.args.get("kind") or "").upper() if isinstance(item, exp.SetItem) else ""
        inner = item.this if isinstance(item, exp.SetItem) else item
        if kind in ("NAMES", "CHARACTER SET", "CHARSET"):
            actions.append(_set_names(kind, inner.name, item.args.get("collate")))
            continue
        if not isinstance(inner, (exp.EQ, exp.PropertyEQ)):
            raise syntax_error(text)
        target, value = inner.this, inner.expression
        count = len(list(value.find_all(exp.Placeholder)))
        if isinstance(target, exp.Parameter):
            actions.append(_set_user_variable(front, target.name, value, offset, count, functions))
        else:
            scope = kind
            if isinstance(target, exp.SessionParameter):
                scope = (target.args.get("kind") or scope).upper()
            name = target.name.lower()
            check_variable(name)
            access = VARIABLES[name][2]
            if scope == "GLOBAL":
                raise _no_privilege()
            if access == "ro":
                raise mysql_error(1238, f"Variable '{name}' is a read only variable")
            if access == "global":
                raise mysql_error(1229, f"Variable '{name}' is a GLOBAL variable and should be set with SET GLOBAL")
            actions.append(_set_system_variable(front, name, value, offset, count, functions))
        offset += count

    def apply(session: Any, params: list[Any], plan: Plan) -> None:
        for action in actions:
            action(session, params)

    return Plan(Kind.SESSION, "", placeholders, verb="SET", emulate=apply, functions=frozenset(functions))


def _set_transaction(match: re.Match[str], placeholders: Placeholders) -> Plan:
    scope = (match.group("scope") or "").upper()
    body = match.group("body")
    level = _ISOLATION_LEVEL.search(body)
    access = _ACCESS.search(body)
    if not level and not access:
        raise syntax_error(match.group(0))
    if scope == "GLOBAL":
        raise _no_privilege()
    isolation = "-".join(level.group(1).upper().split()) if level else None
    read_only = access.group(1).upper() == "ONLY" if access else None

    def apply(session: Any, params: list[Any], plan: Plan) -> None:
        if not scope:
            # Only the next transaction: DuckDB gives every transaction snapshot isolation anyway.
            if session.in_transaction:
                raise mysql_error(1568, "Transaction characteristics can't be changed while a transaction is in "
                                        "progress")
            return
        if isolation is not None:
            session.settings["transaction_isolation"] = isolation
        if read_only is not None:
            session.settings["transaction_read_only"] = on_off(read_only)

    return Plan(Kind.SESSION, "", placeholders, verb="SET TRANSACTION", emulate=apply)


def _set_names(kind: str, charset: str, collate: exp.Expression | None) -> Callable[[Any, list[Any]], None]:
    charset = CHARSET_ALIASES.get(charset.lower(), charset.lower())
    if charset == "default":
        charset = CHARSET
    collation = collate.name.lower() if collate is not None else DEFAULT_COLLATIONS.get(charset, f"{charset}_bin")

    def apply(session: Any, params: list[Any]) -> None:
        settings = session.settings
        settings["character_set_client"] = settings["character_set_results"] = charset
        if kind == "NAMES":
            settings["character_set_connection"] = charset
            settings["collation_connection"] = collation
        else:
            settings["character_set_connection"] = variable_value(session, "character_set_database")
            settings["collation_connection"] = variable_value(session, "collation_database")

    return apply


def _evaluator(front: FrontEnd, value: exp.Expression, offset: int, count: int,
               functions: set[str], words: bool) -> Callable[[Any, list[Any]], Any]:
    """How to compute a SET value at run time: literals directly, expressions through DuckDB."""
    if words and isinstance(value, (exp.Column, exp.Var, exp.Identifier)) and not value.args.get("table"):
        word = value.name
        return lambda session, params: word
    if isinstance(value, exp.Literal):
        literal = value.name if value.is_string else (int(value.name) if re.fullmatch(r"-?\d+", value.name)
                                                      else float(value.name))
        return lambda session, params: literal
    if isinstance(value, exp.Null):
        return lambda session, params: None
    if isinstance(value, exp.Placeholder):
        return lambda session, params: params[offset]
    expression, names = session_functions.rewrite(rewrite_expressions(front, exp.Select(expressions=[value.copy()])))
    functions.update(names)
    sql = expression.sql(dialect="duckdb")

    def evaluate(session: Any, params: list[Any]) -> Any:
        rows = session.query_arrow(sql, params[offset:offset + count]).to_pylist()
        return next(iter(rows[0].values())) if rows else None

    return evaluate


def _set_user_variable(front: FrontEnd, name: str, value: exp.Expression, offset: int, count: int,
                       functions: set[str]) -> Callable[[Any, list[Any]], None]:
    variable = user_variable(name).replace('"', '""')
    if isinstance(value, (exp.Literal, exp.Null, exp.Placeholder)):
        evaluate = _evaluator(front, value, offset, count, functions, words=False)

        def apply(session: Any, params: list[Any]) -> None:
            session.query_arrow(f'SET VARIABLE "{variable}" = ?', [evaluate(session, params)])

        return apply
    expression, names = session_functions.rewrite(rewrite_expressions(front, exp.Select(expressions=[value.copy()])))
    functions.update(names)
    sql = f'SET VARIABLE "{variable}" = ({expression.sql(dialect="duckdb")})'

    def assign(session: Any, params: list[Any]) -> None:
        session.query_arrow(sql, params[offset:offset + count])

    return assign


def _set_system_variable(front: FrontEnd, name: str, value: exp.Expression, offset: int, count: int,
                         functions: set[str]) -> Callable[[Any, list[Any]], None]:
    reset = isinstance(value, (exp.Var, exp.Column)) and value.name.upper() == "DEFAULT"
    evaluate = _evaluator(front, value, offset, count, functions, words=True)
    kind = VARIABLES[name][0]

    def apply(session: Any, params: list[Any]) -> None:
        if name == "autocommit":
            set_autocommit(session, _as_bool(name, True if reset else evaluate(session, params)))
            return
        if reset:
            session.settings.pop(name, None)
            return
        raw = evaluate(session, params)
        if kind == "bool":
            text = on_off(_as_bool(name, raw))
        elif kind == "int":
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) and not str(raw).lstrip("-").isdigit():
                raise mysql_error(1232, f"Incorrect argument type to variable '{name}'")
            text = str(int(raw))
        else:
            text = None if raw is None else str(raw)
            if name == "transaction_isolation":
                text = "-".join((text or "").upper().replace("-", " ").split())
                if text not in ISOLATION_LEVELS:
                    raise mysql_error(1231, f"Variable '{name}' can't be set to the value of '{raw}'")
            elif name == "sql_mode":
                text = ",".join(p.strip().upper() for p in (text or "").split(",") if p.strip())
            elif name.startswith("character_set_") and text is not None:
                text = CHARSET_ALIASES.get(text.lower(), text.lower())
        if name in DYNAMIC:
            return  # identity / last_insert_id: accepted, the session's value stands
        session.settings[name] = text

    return apply


def _as_bool(name: str, raw: Any) -> bool:
    text = str(raw).upper() if raw is not None else "NULL"
    if text in ("1", "ON", "TRUE"):
        return True
    if text in ("0", "OFF", "FALSE"):
        return False
    raise mysql_error(1231, f"Variable '{name}' can't be set to the value of '{raw}'")


def set_autocommit(session: Any, on: bool) -> None:
    """SET autocommit: switching it on commits the open transaction, as MySQL does."""
    if on and not session.autocommit and session.in_transaction:
        session.commit()
    session.autocommit = on
