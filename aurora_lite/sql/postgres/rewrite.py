"""The postgres TRANSFORM: PostgreSQL syntax sqlglot translates wrongly for DuckDB.

Applied to every parsed statement: ``f(doc -> 'a')`` (parsed as a lambda) is
rebuilt as JSON access; then each node is rewritten bottom-up -- ``/`` becomes
DuckDB's ``//`` (integer division on integers, truncating as PostgreSQL does,
ordinary division otherwise, 22012 on zero); casts to varchar(n) / char(n) /
bare numeric / oid / name, ``::regclass`` and ``::regtype``; ``SIMILAR TO``,
``#>`` / ``#>>``, ``@>`` on json, ``json_agg`` with ORDER BY, ``encode`` /
``decode``, int2vector subscripts of pg_index; function calls (functions.py)
-- and finally catalog relations become subqueries (catalog_views.py).
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from sqlglot import exp

from .catalog_sources import _INTERNAL
from .catalog_views import _catalog_tables
from .functions import _displayed, _is_vector, _lookup, _regclass, _rewrite_function
from .server import VERSION

if TYPE_CHECKING:
    from ..frontend import FrontEnd


def _is_interval(node: exp.Expression) -> bool:
    if isinstance(node, exp.Interval):
        return True
    if isinstance(node, exp.Cast):
        return node.to.this == exp.DataType.Type.INTERVAL
    if isinstance(node, (exp.Paren, exp.Neg)):
        return _is_interval(node.this)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
        return _is_interval(node.this) or _is_interval(node.expression)
    return isinstance(node, exp.Anonymous) and node.name.lower() in ("make_interval", "age", "justify_interval")


def _similar_pattern(pattern: str) -> str:
    """SQL regular expression (SIMILAR TO) -> POSIX regular expression matched in full."""
    out, i, bracket = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if bracket:
            bracket = ch != "]"
            out.append(ch)
        elif ch == "[":
            bracket = True
            out.append(ch)
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch in ".^$":
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _json_pointer(path: str) -> str | None:
    """PostgreSQL's text[] path literal '{a,0}' -> the JSON pointer '/a/0' DuckDB understands."""
    text = path.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    parts = [p.strip().strip('"') for p in text[1:-1].split(",")] if text[1:-1].strip() else []
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _looks_json(node: exp.Expression) -> bool:
    if isinstance(node, exp.Cast):
        return node.to.this in (exp.DataType.Type.JSON, exp.DataType.Type.JSONB)
    if isinstance(node, exp.Literal) and node.is_string:
        try:
            return isinstance(json.loads(node.this), (dict, list))
        except ValueError:
            return False
    return False


def _qualifier(node: exp.Expression) -> str:
    this = node.this if isinstance(node, exp.Dot) else None
    return this.name.lower() if isinstance(this, (exp.Identifier, exp.Column)) else ""


_SEQUENCE_FUNCTIONS = {"nextval", "currval", "setval"}


def _rewrite(front: FrontEnd, node: exp.Expression) -> exp.Expression:
    """One node's PostgreSQL-to-DuckDB rewrite (children are already rewritten)."""
    if isinstance(node, exp.Dot) and _qualifier(node) == "pg_catalog" and isinstance(node.expression, exp.Func):
        return _rewrite(front, node.expression)
    if isinstance(node, exp.Column):
        if not node.table and not node.this.quoted and node.name.lower() in ("user", "current_role"):
            return exp.Anonymous(this="aurora_pg_current_user", expressions=[])
        return node
    if isinstance(node, (exp.CurrentVersion,)):
        return exp.Literal.string(VERSION)
    if isinstance(node, (exp.CurrentDatabase, exp.CurrentCatalog)):
        return exp.Literal.string(front.database)
    if isinstance(node, exp.CurrentSchema):
        return exp.Literal.string("public")
    if isinstance(node, (exp.CurrentUser, exp.SessionUser)):
        return exp.Anonymous(this="aurora_pg_current_user", expressions=[])
    if isinstance(node, exp.Div):
        if _is_interval(node.this) or _is_interval(node.expression):
            return node
        return exp.IntDiv(this=node.this, expression=node.expression)
    if isinstance(node, exp.Cast):
        return _rewrite_cast(node)
    if isinstance(node, exp.Bracket) and _is_vector(node.this) and len(node.expressions) == 1 \
            and not isinstance(node.expressions[0], exp.Slice):
        # int2vector / oidvector subscripts start at 0; DuckDB lists at 1.
        index = exp.Add(this=node.expressions[0], expression=exp.Literal.number(1))
        return exp.Bracket(this=node.this, expressions=[index])
    if isinstance(node, exp.DataType):
        if node.this == exp.DataType.Type.DECIMAL and not node.expressions:
            # PostgreSQL's unconstrained numeric; DuckDB's bare DECIMAL is (18,3) and would round.
            return exp.DataType.build("DECIMAL(38,10)")
        return node
    if isinstance(node, exp.SimilarTo) and isinstance(node.expression, exp.Literal) and not node.args.get("escape"):
        return exp.SimilarTo(this=node.this, expression=exp.Literal.string(_similar_pattern(node.expression.this)))
    if isinstance(node, (exp.JSONBExtractScalar, exp.JSONBExtract)) and isinstance(node.expression, exp.Literal):
        pointer = _json_pointer(node.expression.this)
        if pointer is not None:
            name = "json_extract_string" if isinstance(node, exp.JSONBExtractScalar) else "json_extract"
            return exp.Anonymous(this=name, expressions=[node.this, exp.Literal.string(pointer)])
        return node
    if isinstance(node, exp.ArrayContainsAll) and (_looks_json(node.this) or _looks_json(node.expression)):
        return exp.Anonymous(this="json_contains", expressions=[node.this, node.expression])
    if isinstance(node, exp.JSONExtract) and not isinstance(node.parent, exp.Paren):
        return exp.Paren(this=node.copy())  # DuckDB reads `f(doc -> 'a')` as a lambda too
    if isinstance(node, exp.JSONArrayAgg):
        # json_group_array is a DuckDB macro: no ORDER BY; array_agg takes one.
        return exp.Anonymous(this="to_json", expressions=[exp.ArrayAgg(this=node.this)])
    if isinstance(node, (exp.Encode, exp.Decode)):
        return _rewrite_codec(node)
    if isinstance(node, exp.Func):
        return _rewrite_function(front, node)
    return node


def _rewrite_cast(node: exp.Cast) -> exp.Expression:
    to = node.to
    kind = to.this
    name = str(kind).upper() if isinstance(to, exp.ObjectIdentifier) else ""
    if name == "REGCLASS":
        parent = node.parent
        if isinstance(parent, exp.Func) and parent.sql_name().lower() in _SEQUENCE_FUNCTIONS or (
                isinstance(parent, exp.Anonymous) and parent.name.lower() in _SEQUENCE_FUNCTIONS):
            return node.this  # nextval('t_id_seq'::regclass): DuckDB takes the name
        return _regclass(node.this, display=_displayed(node), strict=True)
    if name == "REGTYPE":
        if _displayed(node):
            return _lookup("f.name", f"{_INTERNAL}.formats f", "f.oid = a.a0", node.this)
        if isinstance(node.this, exp.Literal) and node.this.is_string:
            return _lookup("t.oid", "pg_catalog.pg_type t", "t.typname = lower(a.a0)", node.this)
        return node.this
    if name in ("OID", "REGPROC", "REGNAMESPACE", "XID"):
        return exp.cast(node.this, exp.DataType.Type.BIGINT)
    if kind == exp.DataType.Type.NAME:
        return exp.cast(node.this, exp.DataType.Type.VARCHAR)
    if kind in (exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR) and to.expressions:
        # An explicit cast to varchar(n) / char(n) truncates (char pads).
        length = to.expressions[0].this if isinstance(to.expressions[0], exp.DataTypeParam) else to.expressions[0]
        text = exp.cast(node.this, exp.DataType.Type.VARCHAR)
        cut = exp.Anonymous(this="left", expressions=[text, length.copy()])
        if kind == exp.DataType.Type.CHAR:
            return exp.Anonymous(this="rpad", expressions=[cut, length.copy(), exp.Literal.string(" ")])
        return cut
    return node


def _rewrite_codec(node: exp.Expression) -> exp.Expression:
    charset = node.args.get("charset")
    form = charset.name.lower() if isinstance(charset, exp.Literal) else ""
    if isinstance(node, exp.Encode):
        if form == "hex":
            return exp.Lower(this=exp.Anonymous(this="hex", expressions=[node.this]))
        if form == "base64":
            return exp.Anonymous(this="to_base64", expressions=[node.this])
    else:
        if form == "hex":
            return exp.Anonymous(this="unhex", expressions=[node.this])
        if form == "base64":
            return exp.Anonymous(this="from_base64", expressions=[node.this])
    return node


_JSON_EXTRACTS = (exp.JSONExtract, exp.JSONExtractScalar, exp.JSONBExtract, exp.JSONBExtractScalar)


def _unlambda(node: exp.Lambda) -> exp.Expression:
    """sqlglot's postgres parser reads ``f(doc -> 'a')`` as a lambda ``doc -> ('a' ...)``; PostgreSQL has
    no lambdas, so rebuild the JSON access ``(doc -> 'a') ...`` it was."""
    params = node.expressions
    if len(params) != 1 or not isinstance(params[0], exp.Identifier):
        return node
    body = node.this
    leaf, holder = body, None
    while isinstance(leaf, _JSON_EXTRACTS):
        leaf, holder = leaf.this, leaf
    if not isinstance(leaf, exp.Literal):
        return node
    step = exp.JSONPathKey(this=leaf.this) if leaf.is_string else exp.JSONPathSubscript(this=int(leaf.this))
    base = exp.JSONExtract(this=exp.column(params[0].copy()), expression=exp.JSONPath(
        expressions=[exp.JSONPathRoot(), step]), only_json_types=True)
    if holder is None:
        return base
    holder.set("this", base)
    return body


_CONSTANTS = (exp.Literal, exp.Null, exp.Boolean)


def _constant_row(node: exp.Expression) -> bool:
    """A VALUES row of plain literals: nothing to rewrite (loading scripts send thousands)."""
    return isinstance(node, exp.Tuple) and all(
        isinstance(e, _CONSTANTS) or isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal)
        for e in node.expressions)


def transform(front: FrontEnd, statement: exp.Expression) -> exp.Expression:
    """The postgres TRANSFORM: rewrite a parsed statement for DuckDB and the session's catalog."""
    for node in list(statement.find_all(exp.Lambda)):
        node.replace(_unlambda(node))
    for node in reversed(list(statement.dfs(prune=_constant_row))):
        new = _rewrite(front, node)
        if new is not node:
            if node is statement:
                statement = new
            else:
                node.replace(new)
    _catalog_tables(front, statement)
    return statement
