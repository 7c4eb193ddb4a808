"""The PRE_PARSE hook: statements sqlglot cannot parse or the front end must answer.

``SET TIME ZONE`` (applied to DuckDB, so timestamptz reads in that zone),
``SET ... TO DEFAULT``, ``RESET``, ``DISCARD ALL``, ``SET SESSION
CHARACTERISTICS``, ``SHOW TRANSACTION ISOLATION LEVEL`` / ``SHOW TIME ZONE``
and ``SELECT set_config(...)`` become session or emulated plans; single
CREATE / ALTER TABLE statements go to declared_types.py.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import duckdb
import sqlglot
from sqlglot import exp

from .. import emulation
from ..params import Placeholders
from ..plan import Kind, Plan
from .declared_types import _TABLE_DDL, _table_ddl_plan
from .server import _setting

if TYPE_CHECKING:
    from ..frontend import FrontEnd


_SET_TIME_ZONE = re.compile(
    r"^\s*SET\s+(?:SESSION\s+|LOCAL\s+)?(?:TIME\s+ZONE\s+|TIMEZONE\s*(?:=|\bTO\b)\s*)(?P<value>.+?)\s*;?\s*$",
    re.I | re.S)
_SET_DEFAULT = re.compile(r"^\s*SET\s+(?:SESSION\s+|LOCAL\s+)?(?P<name>[\w.]+)\s*(?:=|\bTO\b)\s*DEFAULT\s*;?\s*$",
                          re.I)
_RESET = re.compile(r"^\s*RESET\s+(?P<name>[\w.]+|ALL)\s*;?\s*$", re.I)
_DISCARD = re.compile(r"^\s*DISCARD\s+(?P<what>ALL|PLANS|SEQUENCES|TEMP|TEMPORARY)\s*;?\s*$", re.I)
_CHARACTERISTICS = re.compile(
    r"^\s*SET\s+SESSION\s+CHARACTERISTICS\s+AS\s+TRANSACTION\s+(?P<modes>.+?)\s*;?\s*$", re.I | re.S)
_SHOW_MULTI = re.compile(r"^\s*SHOW\s+(?P<what>TRANSACTION\s+ISOLATION\s+LEVEL|TIME\s+ZONE)\s*;?\s*$", re.I)
_SET_CONFIG = re.compile(r"^\s*SELECT\s+(?:pg_catalog\s*\.\s*)?set_config\s*\(", re.I)
_ISOLATION = re.compile(r"ISOLATION\s+LEVEL\s+(?P<level>READ\s+UNCOMMITTED|READ\s+COMMITTED|REPEATABLE\s+READ|"
                        r"SERIALIZABLE)", re.I)


def _pre_parse(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    if _SET_CONFIG.match(text):
        return _set_config_plan(text, placeholders)
    if _TABLE_DDL.match(text):
        return _table_ddl_plan(front, text, placeholders)
    match = _SET_TIME_ZONE.match(text)
    if match:
        value = match.group("value").strip()
        zone = None if value.upper() in ("LOCAL", "DEFAULT") else value.strip("'\"")
        return Plan(Kind.SESSION, "", placeholders, verb="SET", name="timezone", emulate=_set_time_zone(zone))
    match = _SET_DEFAULT.match(text) or _RESET.match(text)
    if match:
        name = match.group("name").lower()
        return Plan(Kind.SESSION, "", placeholders, verb="RESET", name=name, emulate=_reset(name))
    match = _DISCARD.match(text)
    if match:
        everything = match.group("what").upper() == "ALL"
        return Plan(Kind.SESSION, "", placeholders, verb="DISCARD", emulate=_reset("all" if everything else ""))
    match = _CHARACTERISTICS.match(text)
    if match:
        level = _ISOLATION.search(match.group("modes"))
        settings = {"default_transaction_isolation": " ".join(level.group("level").lower().split())} if level else {}
        if re.search(r"\bREAD\s+ONLY\b", match.group("modes"), re.I):
            settings["default_transaction_read_only"] = "on"
        return Plan(Kind.SESSION, "", placeholders, verb="SET", emulate=_set(settings))
    match = _SHOW_MULTI.match(text)
    if match:
        zone = match.group("what").upper().startswith("TIME")
        name, column = ("timezone", "TimeZone") if zone else ("transaction_isolation", "transaction_isolation")
        return Plan(Kind.EMULATED, "", placeholders, verb="SHOW", name=name, emulate=_show(name, column))
    return None


def _set_config_plan(text: str, placeholders: Placeholders) -> Plan | None:
    """``SELECT set_config(name, value, is_local)`` (pg_dump, migration tools): sets and returns value."""
    try:
        select = sqlglot.parse_one(text, read="postgres")
    except sqlglot.errors.SqlglotError:
        return None
    if not isinstance(select, exp.Select) or len(select.expressions) != 1 or select.args.get("from_"):
        return None
    call = select.expressions[0]
    column = call.alias_or_name if isinstance(call, exp.Alias) else "set_config"
    call = call.this if isinstance(call, exp.Alias) else call
    call = call.expression if isinstance(call, exp.Dot) else call
    if not (isinstance(call, exp.Anonymous) and call.name.lower() == "set_config" and len(call.expressions) == 3):
        return None
    if not all(isinstance(a, (exp.Literal, exp.Placeholder, exp.Boolean)) for a in call.expressions[:2]):
        return None
    arguments = call.expressions[:2]

    def emulate(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        values = iter(params)
        name, value = (str(next(values)) if isinstance(a, exp.Placeholder) else a.name for a in arguments)
        if name.lower() == "timezone":
            _set_time_zone(value)(session, params, plan)
        else:
            session.settings[name.lower()] = value
        return [column], [(value,)]

    return Plan(Kind.EMULATED, "", placeholders, verb="SELECT", emulate=emulate)


def _set_time_zone(zone: str | None) -> Any:
    def apply(session: Any, params: list[Any], plan: Plan) -> None:
        target = zone or emulation.POSTGRES_SETTINGS["timezone"]
        try:
            session.cursor.execute("SET TimeZone = '" + target.replace("'", "''") + "'")
        except duckdb.Error:
            raise session.front.error("22023", 1298, f'invalid value for parameter "TimeZone": "{target}"') from None
        if zone is None:
            session.settings.pop("timezone", None)
        else:
            session.settings["timezone"] = zone

    return apply


def _reset(name: str) -> Any:
    def apply(session: Any, params: list[Any], plan: Plan) -> None:
        if name == "all":
            session.settings.clear()
        elif name:
            session.settings.pop(name, None)
        if name in ("all", "timezone"):
            session.cursor.execute("SET TimeZone = '" + emulation.POSTGRES_SETTINGS["timezone"] + "'")

    return apply


def _set(settings: dict[str, str]) -> Any:
    def apply(session: Any, params: list[Any], plan: Plan) -> None:
        session.settings.update(settings)

    return apply


def _show(name: str, column: str) -> Any:
    def show(session: Any, params: list[Any], plan: Plan) -> tuple[list[str], list[tuple[Any, ...]]]:
        return [column], [(_setting(session, name),)]

    return show
