"""MySQL expressions DuckDB lacks or sqlglot translates differently, rewritten for DuckDB.

@@variables and session-dependent functions become session functions (a
DuckDB variable the session sets before the statement, so constant within
it, as MySQL's NOW() is); the rest become plain DuckDB SQL.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.time import format_time

from ...dbapi.exceptions import mysql_error
from .column_names import name_as_written
from .common import AURORA_VERSION, MYSQL_VERSION, call, cast, planning
from .schema import normalise_ddl
from .variables import check_variable

if TYPE_CHECKING:
    from ..frontend import FrontEnd


_DATE_FORMAT = {
    "a": "%a", "b": "%b", "c": "%-m", "d": "%d", "e": "%-d", "f": "%f", "H": "%H", "h": "%I", "I": "%I",
    "i": "%M", "j": "%j", "k": "%-H", "l": "%-I", "M": "%B", "m": "%m", "p": "%p", "r": "%I:%M:%S %p",
    "S": "%S", "s": "%S", "T": "%H:%M:%S", "U": "%U", "u": "%W", "V": "%U", "v": "%V", "W": "%A", "w": "%w",
    "X": "%Y", "x": "%G", "Y": "%Y", "y": "%y", "%": "%%",
}


_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}\s*$")
_TIME_ONLY = re.compile(r"^\s*-?\d{1,3}:\d{1,2}(:\d{1,2}(\.\d*)?)?\s*$")


def _temporal(node: exp.Expression, to: str = "TIMESTAMP") -> exp.Expression:
    """Cast string literals and parameters, which DuckDB cannot pick an overload for."""
    if isinstance(node, exp.Literal) and node.is_string:
        if to == "TIMESTAMP" and _TIME_ONLY.match(node.name):
            return cast(node, "TIME")
        return cast(node, to)
    if isinstance(node, exp.Placeholder):
        return cast(node, to)
    return node


def _mysql_format(fmt: exp.Literal) -> str:
    """The MySQL format string of a parsed DATE_FORMAT (sqlglot keeps it in strftime spelling)."""
    dialect = Dialect.get_or_raise("mysql")
    return format_time(fmt.name, dialect.INVERSE_TIME_MAPPING, dialect.INVERSE_TIME_TRIE) or ""


def date_format(value: exp.Expression, fmt: str) -> exp.Expression:
    """DATE_FORMAT(value, fmt) as DuckDB strftime; %D (1st, 2nd ...) has no strftime spelling."""
    pieces: list[exp.Expression] = []
    current: list[str] = []
    value = _temporal(value)

    def flush() -> None:
        if current:
            pieces.append(call("strftime", value.copy(), exp.Literal.string("".join(current))))
            current.clear()

    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            i += 2
            if spec == "D":
                flush()
                day = call("day", value.copy())
                suffix = sqlglot.parse_one(
                    "CASE WHEN d % 100 IN (11, 12, 13) THEN 'th' WHEN d % 10 = 1 THEN 'st' "
                    "WHEN d % 10 = 2 THEN 'nd' WHEN d % 10 = 3 THEN 'rd' ELSE 'th' END", read="duckdb")
                suffix = suffix.transform(lambda n, day=day: day.copy() if isinstance(n, exp.Column) and n.name == "d"
                                           else n)
                pieces.append(exp.DPipe(this=cast(day, "VARCHAR"), expression=suffix))
            else:
                current.append(_DATE_FORMAT.get(spec, spec))
            continue
        current.append(char)
        i += 1
    flush()
    if not pieces:
        return exp.Literal.string("")
    result = pieces[0]
    for piece in pieces[1:]:
        result = exp.DPipe(this=result, expression=piece)
    return result


def _micros(seconds: exp.Expression) -> exp.Expression:
    """Seconds (any number type) as BIGINT microseconds, without INTEGER overflow."""
    scaled = exp.Mul(this=cast(seconds, "DOUBLE"), expression=exp.Literal.number(1000000))
    return cast(call("round", scaled), "BIGINT")


def _interval_seconds(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    """a - b as an INTERVAL, for TIME or DATETIME operands (DuckDB has no TIME - TIME)."""
    micros = sqlglot.parse_one("CAST(round((epoch(a) - epoch(b)) * 1000000) AS BIGINT)", read="duckdb")
    micros = micros.transform(lambda n: {"a": _temporal(a), "b": _temporal(b)}.get(n.name, n)
                              if isinstance(n, exp.Column) else n)
    return call("to_microseconds", micros)


def _substring_index(node: exp.SubstringIndex) -> exp.Expression:
    text, delimiter, count = node.this, node.args["delimiter"], node.args["count"]
    parts = call("string_split", text, delimiter)
    head = exp.Bracket(this=parts.copy(), expressions=[exp.Slice(this=exp.Literal.number(1), expression=count.copy())])
    tail = exp.Bracket(this=parts.copy(), expressions=[exp.Slice(this=count.copy())])
    return exp.Case(ifs=[exp.If(this=exp.GTE(this=count.copy(), expression=exp.Literal.number(0)),
                                true=call("array_to_string", head, delimiter.copy()))],
                    default=call("array_to_string", tail, delimiter.copy()))


def _add_days(node: exp.Anonymous, sign: int) -> exp.Expression | None:
    """ADDDATE / SUBDATE(date, days | INTERVAL ...)."""
    if len(node.expressions) != 2:
        return None
    date, amount = node.expressions
    unit = "DAY"
    if isinstance(amount, exp.Interval):
        unit = amount.args["unit"].name.upper() if amount.args.get("unit") else "DAY"
        amount = amount.this
    if isinstance(date, exp.Literal) and date.is_string:
        return shift(date, amount, unit, sign > 0)
    interval = exp.Interval(this=exp.Paren(this=amount), unit=exp.var(unit))
    return exp.Add(this=date, expression=interval) if sign > 0 else exp.Sub(this=date, expression=interval)


def _now_call(fsp: exp.Expression | None = None) -> exp.Expression:
    digits = int(fsp.name) if isinstance(fsp, exp.Literal) and fsp.name.isdigit() else 0
    return call(f"aurora_mysql_now_{max(0, min(digits, 6))}")


def _session_parameter(node: exp.SessionParameter) -> exp.Expression:
    name = node.name.lower()
    check_variable(name)
    scope = "global" if (node.args.get("kind") or "").lower() == "global" else "session"
    return call(f"aurora_mysql_var_{scope}_{name}")


def _division(node: exp.Expression, writes: bool) -> exp.Expression | None:
    """x / 0, x DIV 0, x % 0: NULL in a SELECT; error 1365 ("Division by 0") in INSERT / UPDATE."""
    divisor = node.expression
    if writes:
        if not isinstance(node, exp.Div):
            return None   # DuckDB raises for // and % by zero already
        guarded = exp.Case(ifs=[exp.If(this=exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0)),
                                       true=call("error", exp.Literal.string("Division by zero")))],
                           default=divisor)
        return exp.Div(this=node.this, expression=guarded, typed=node.args.get("typed"), safe=False)
    if isinstance(node, exp.Div):
        return None       # sqlglot already writes a / NULLIF(b, 0)
    return node.__class__(this=node.this, expression=call("nullif", divisor, exp.Literal.number(0)))


def _like(node: exp.Like) -> exp.Expression | None:
    """LIKE compares with the column's collation, utf8mb4_0900_ai_ci by default: case-insensitively."""
    binary = False
    args = dict(node.args)
    for side in ("this", "expression"):
        value = args.get(side)
        if isinstance(value, exp.Cast) and value.to.this in (exp.DataType.Type.BINARY, exp.DataType.Type.VARBINARY):
            args[side] = value.this   # LIKE BINARY: case-sensitive, on the string itself
            binary = True
        elif isinstance(value, exp.Collate):
            return None   # an explicit collation: DuckDB's LIKE compares exactly, like ..._bin
    return exp.Like(**args) if binary else exp.ILike(**args)


def _octet_length(value: exp.Expression) -> exp.Expression:
    """MySQL LENGTH(): bytes (UTF-8 for strings), not characters."""
    return exp.Case(this=call("typeof", value.copy()),
                    ifs=[exp.If(this=exp.Literal.string("BLOB"),
                                true=call("octet_length", cast(value.copy(), "BLOB")))],
                    default=call("strlen", cast(value, "VARCHAR")))


def _last_insert_id(node: exp.Anonymous) -> exp.Expression:
    if node.expressions:
        # LAST_INSERT_ID(expr) sets the value from inside a statement; session values are set before it.
        raise mysql_error(1235, "This version of MySQL doesn't yet support 'LAST_INSERT_ID(expr)' "
                                "(not emulated by aurora_lite; use LAST_INSERT_ID() after the INSERT)")
    return call("aurora_mysql_last_insert_id")


def user_variable(name: str) -> str:
    """The DuckDB variable (SET VARIABLE, per connection) holding MySQL's @name."""
    return "mysql_" + name.lower()


_NAMED = {  # Anonymous functions by upper-case name -> rewrite (None: leave as is)
    "LAST_INSERT_ID": lambda f, n: _last_insert_id(n),
    "USER": lambda f, n: call("aurora_mysql_user"),
    "SYSTEM_USER": lambda f, n: call("aurora_mysql_user"),
    "SESSION_USER": lambda f, n: call("aurora_mysql_user"),
    "CONNECTION_ID": lambda f, n: call("aurora_mysql_connection_id"),
    "AURORA_VERSION": lambda f, n: exp.Literal.string(AURORA_VERSION),
    "DATABASE": lambda f, n: exp.Literal.string(f.database),
    "NOW": lambda f, n: _now_call(n.expressions[0] if n.expressions else None),
    "SYSDATE": lambda f, n: _now_call(n.expressions[0] if n.expressions else None),
    "UNIX_TIMESTAMP": lambda f, n: cast(call("floor", call("epoch", _temporal(n.expressions[0]) if n.expressions
                                                               else _now_call())), "BIGINT"),
    "TIMEDIFF": lambda f, n: _interval_seconds(*n.expressions) if len(n.expressions) == 2 else None,
    "TIME_TO_SEC": lambda f, n: cast(call("floor", call("epoch", _temporal(n.expressions[0], "TIME")
                                                           if isinstance(n.expressions[0], exp.Literal)
                                                           else n.expressions[0])), "BIGINT"),
    "SEC_TO_TIME": lambda f, n: call("to_microseconds", _micros(n.expressions[0])),
    "FIND_IN_SET": lambda f, n: exp.Case(
        ifs=[exp.If(this=exp.or_(exp.Is(this=n.expressions[0].copy(), expression=exp.Null()),
                                 exp.Is(this=n.expressions[1].copy(), expression=exp.Null())), true=exp.Null())],
        default=exp.Coalesce(this=call("list_position", call("string_split", n.expressions[1],
                                                               exp.Literal.string(",")), n.expressions[0]),
                             expressions=[exp.Literal.number(0)])),
    "JSON_UNQUOTE": lambda f, n: (
        exp.JSONExtractScalar(this=n.expressions[0].this, expression=n.expressions[0].expression)
        if isinstance(n.expressions[0], exp.JSONExtract)
        else exp.JSONExtractScalar(this=cast(n.expressions[0], "JSON"), expression=exp.Literal.string("$"))),
    "OCTET_LENGTH": lambda f, n: _octet_length(n.expressions[0]) if len(n.expressions) == 1 else None,
    "WEEKDAY": lambda f, n: exp.Paren(this=exp.Sub(this=call("isodow", _temporal(n.expressions[0], "DATE")),
                                                   expression=exp.Literal.number(1))) if n.expressions else None,
    "ADDDATE": lambda f, n: _add_days(n, 1),
    "SUBDATE": lambda f, n: _add_days(n, -1),
}


def _rewrite(front: FrontEnd, node: exp.Expression, writes: bool = False) -> exp.Expression | None:
    """The DuckDB replacement of one MySQL expression node, or None to keep it.

    writes: the node belongs to an INSERT / UPDATE, where strict sql_mode turns a division by
    zero into error 1365; a SELECT returns NULL (ERROR_FOR_DIVISION_BY_ZERO).
    """
    if isinstance(node, (exp.Div, exp.IntDiv, exp.Mod)):
        return _division(node, writes)
    if isinstance(node, exp.Like):
        return _like(node)
    if isinstance(node, exp.Length) and node.args.get("binary"):
        return _octet_length(node.this)
    if isinstance(node, exp.DayOfWeek):
        return exp.Paren(this=exp.Add(this=call("dayofweek", node.this), expression=exp.Literal.number(1)))
    if isinstance(node, exp.SessionParameter):
        return _session_parameter(node)
    if isinstance(node, exp.Parameter):
        return call("getvariable", exp.Literal.string(user_variable(node.name)))
    if isinstance(node, exp.Anonymous):
        rewrite = _NAMED.get(node.name.upper())
        return rewrite(front, node) if rewrite is not None else None
    if isinstance(node, exp.CurrentSchema):
        return exp.Literal.string(front.database)
    if isinstance(node, exp.CurrentUser):
        return call("aurora_mysql_current_user")
    if isinstance(node, exp.SessionUser):
        return call("aurora_mysql_user")
    if isinstance(node, exp.CurrentVersion):
        return exp.Literal.string(MYSQL_VERSION)
    if isinstance(node, (exp.CurrentTimestamp, exp.Localtimestamp, exp.Localtime, exp.UtcTimestamp)):
        return _now_call(node.args.get("this"))
    if isinstance(node, (exp.CurrentDate, exp.UtcDate)):
        return cast(_now_call(), "DATE")
    if isinstance(node, (exp.CurrentTime, exp.UtcTime)):
        return cast(_now_call(node.args.get("this")), "TIME")
    if isinstance(node, exp.UnixToTime):
        stamp = call("make_timestamp", _micros(node.this))
        fmt = node.args.get("format")
        if isinstance(fmt, exp.Literal) and fmt.is_string:
            return date_format(stamp, _mysql_format(fmt))
        return stamp
    if isinstance(node, exp.TimeToStr):
        fmt = node.args.get("format")
        if isinstance(fmt, exp.Literal) and fmt.is_string:
            value = node.this.this if isinstance(node.this, exp.TsOrDsToTimestamp) else node.this
            return date_format(value, _mysql_format(fmt))
        return None
    if isinstance(node, exp.LastDay):
        return call("last_day", _temporal(node.this, "DATE"))
    if isinstance(node, exp.TimestampDiff):
        unit = (node.args.get("unit").name if node.args.get("unit") else "DAY").lower()
        return call("date_sub", exp.Literal.string(unit), _temporal(node.expression), _temporal(node.this))
    if isinstance(node, exp.Time):
        value = node.this
        if isinstance(value, exp.Literal) and value.is_string and not _TIME_ONLY.match(value.name):
            value = cast(value, "TIMESTAMP")
        return cast(value, "TIME")
    if isinstance(node, exp.SubstringIndex):
        return _substring_index(node)
    if isinstance(node, (exp.DateAdd, exp.DateSub, exp.Add, exp.Sub)):
        return _date_add(node)
    return None


def _date_add(node: exp.Expression) -> exp.Expression | None:
    """DATE_ADD / DATE_SUB / date + INTERVAL of a string: a DATE stays a DATE for whole days, else DATETIME."""
    if isinstance(node, exp.Add) and isinstance(node.this, exp.Interval) and isinstance(node.expression, exp.Interval) \
            and node.expression.args.get("unit") is None:
        # sqlglot reads INTERVAL 1 DAY + '2018-12-31' as the sum of two intervals.
        node = exp.Add(this=node.this, expression=node.expression.this)
    if isinstance(node, (exp.DateAdd, exp.DateSub)):
        value, amount, unit, add = node.this, node.expression, node.args.get("unit"), isinstance(node, exp.DateAdd)
    elif isinstance(node.expression, exp.Interval):
        value, amount, unit, add = node.this, node.expression.this, node.expression.args.get("unit"), \
            isinstance(node, exp.Add)
    elif isinstance(node, exp.Add) and isinstance(node.this, exp.Interval):   # INTERVAL 1 DAY + '2018-12-31'
        value, amount, unit, add = node.expression, node.this.this, node.this.args.get("unit"), True
    else:
        return None
    if not (isinstance(value, exp.Literal) and value.is_string) or unit is None:
        return None   # columns and expressions: sqlglot's translation keeps their type
    return shift(value, amount, unit.name.upper(), add)


def shift(value: exp.Literal, amount: exp.Expression, unit: str, add: bool = True) -> exp.Expression:
    """A date / datetime string moved by an amount of a unit, typed as MySQL types the result."""
    date = bool(_DATE_ONLY.match(value.name)) and unit in ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
    interval = exp.Interval(this=exp.Paren(this=amount), unit=exp.var(unit))
    operator = exp.Add if add else exp.Sub
    result = operator(this=cast(value, "DATE" if date else "TIMESTAMP"), expression=interval)
    return cast(result, "DATE") if date else result


_HANDLED = (exp.SessionParameter, exp.Parameter, exp.CurrentSchema, exp.CurrentUser, exp.SessionUser,
            exp.CurrentVersion, exp.CurrentTimestamp, exp.Localtimestamp, exp.Localtime, exp.UtcTimestamp,
            exp.CurrentDate, exp.UtcDate, exp.CurrentTime, exp.UtcTime, exp.UnixToTime, exp.TimeToStr,
            exp.LastDay, exp.TimestampDiff, exp.Time, exp.SubstringIndex, exp.DateAdd, exp.DateSub,
            exp.Div, exp.IntDiv, exp.Mod, exp.Like, exp.DayOfWeek)


def _handled(node: exp.Expression) -> bool:
    if isinstance(node, exp.Anonymous):
        return node.name.upper() in _NAMED
    if isinstance(node, (exp.Add, exp.Sub)):
        pair = (node.this, node.expression)
        if isinstance(node, exp.Add) and isinstance(node.this, exp.Interval):
            pair = (node.expression, node.this)
            if isinstance(pair[0], exp.Interval) and pair[0].args.get("unit") is None:
                pair = (pair[0].this, node.this)
        return isinstance(pair[1], exp.Interval) and isinstance(pair[0], exp.Literal) and pair[0].is_string
    if isinstance(node, exp.Length):
        return bool(node.args.get("binary"))
    return isinstance(node, _HANDLED)


def rewrite_expressions(front: FrontEnd, statement: exp.Expression) -> exp.Expression:
    """Rewrite every MySQL-only expression (children first); name SELECT columns as MySQL does."""
    names: list[tuple[exp.Select, int, str]] = []
    for select in statement.find_all(exp.Select):
        for index, projection in enumerate(select.expressions):
            if not isinstance(projection, exp.Alias) and any(_handled(n) for n in projection.walk()):
                names.append((select, index, column_name(projection)))
    writes = isinstance(statement, (exp.Insert, exp.Update))
    nodes = list(statement.walk())
    for node in reversed(nodes):
        if _handled(node):
            replacement = _rewrite(front, node, writes)
            if replacement is not None:
                if node is statement:
                    statement = replacement
                else:
                    node.replace(replacement)
    for select, index, name in names:
        projections = list(select.expressions)
        projections[index] = exp.alias_(projections[index], name, quoted=True)
        select.set("expressions", projections)
    return statement


def column_name(projection: exp.Expression) -> str:
    """The column name MySQL gives an unaliased select expression: its text as written."""
    if isinstance(projection, exp.SessionParameter):
        kind = projection.args.get("kind")
        return f"@@{kind}.{projection.name}" if kind else f"@@{projection.name}"
    if isinstance(projection, exp.Parameter):
        return f"@{projection.name}"
    text = getattr(planning, "text", None)
    meta = projection.meta
    if text and "start" in meta and "end" in meta:
        start, end = meta["start"], meta["end"] + 1
        name = text[start:end]
        if not re.fullmatch(r"[A-Za-z_][\w$]*", name):
            return projection.sql(dialect="mysql")
        rest = end
        while rest < len(text) and text[rest].isspace():
            rest += 1
        if rest < len(text) and text[rest] == "(":
            close = _closing(text, rest)
            if close is not None:
                return name + text[end:close + 1].strip()
        elif name.upper() == projection.sql(dialect="mysql").upper().replace("()", ""):
            return name
    return projection.sql(dialect="mysql")


def _closing(text: str, start: int) -> int | None:
    depth, quote, i = 0, None, start
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def transform(front: FrontEnd, statement: exp.Expression) -> exp.Expression:
    """The mysql TRANSFORM: DDL types for DuckDB; MySQL expressions elsewhere."""
    if isinstance(statement, (exp.Create, exp.Alter)):
        return normalise_ddl(statement)
    if isinstance(statement, (exp.Drop, exp.Set, exp.Use, exp.Show, exp.Describe, exp.Command)):
        return statement
    return rewrite_expressions(front, name_as_written(statement, getattr(planning, "text", None)))
