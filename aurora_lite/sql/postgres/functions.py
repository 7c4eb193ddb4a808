"""Function calls and the DuckDB SQL templates their rewrites are built from.

The catalog functions ORMs call (``format_type``, ``pg_get_expr``,
``pg_get_constraintdef``, ``pg_get_indexdef``, ``to_regclass``,
``pg_get_serial_sequence``, ``col_description`` ..., and the
``::regclass`` / ``::regtype`` casts of rewrite.py) become scalar subqueries
over the emulated catalogs; ``version()`` and ``current_database()``
literals; ``current_user`` and ``pg_backend_pid()`` session functions;
``current_setting()`` a look-up in the per-session settings relation;
``format('%s')``, ``every``, ``clock_timestamp()``, ``jsonb_agg`` and other
functions DuckDB spells differently their DuckDB spelling.
"""
from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from .catalog_sources import _INTERNAL
from .server import SETTINGS_RELATION, VERSION

if TYPE_CHECKING:
    from ..frontend import FrontEnd


_ARG = re.compile(r"^__arg(\d)__$")


@functools.lru_cache(maxsize=256)
def _parsed(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="duckdb")


def _template(sql: str, *args: exp.Expression) -> exp.Expression:
    """DuckDB SQL with __argN__ columns replaced by (parsed) arguments; each argument used once.

    Relations are named ``schema.name`` and become subqueries in the catalog pass that follows.
    """
    tree = _parsed(sql).copy()
    for column in list(tree.find_all(exp.Column)):
        match = _ARG.match(column.name) if not column.table else None
        if match:
            column.replace(args[int(match.group(1))])
    return tree


def _scalar(sql: str, *args: exp.Expression) -> exp.Expression:
    """A scalar subquery from a SELECT template."""
    return exp.Subquery(this=_template(sql, *args))


_REL = f"{_INTERNAL}.relations"
_MATCH = ("(lower(a.v) = m.relname AND m.nspname IN ('public', 'pg_catalog') "
          "OR lower(a.v) = m.nspname || '.' || m.relname OR a.v = '\"' || m.relname || '\"' "
          "AND m.nspname = 'public')")
_DISPLAY = "CASE WHEN m.nspname IN ('public', 'pg_catalog') THEN m.relname ELSE m.nspname || '.' || m.relname END"


def _lookup(value: str, source: str, condition: str, *args: exp.Expression) -> exp.Expression:
    """``(SELECT value FROM source WHERE condition)`` where the condition reads the arguments as a.a0, a.a1 ...

    The arguments are bound in a derived table of their own first, so an unqualified outer
    column (``pg_get_constraintdef(oid)``) cannot resolve to a column of the source.
    """
    columns = ", ".join(f"__arg{i}__ AS a{i}" for i in range(len(args)))
    return _scalar(f"SELECT {value} FROM (SELECT {columns}) a, {source} WHERE {condition}", *args)


def _keeping(value: exp.Expression, args: list[exp.Expression]) -> exp.Expression:
    """value, still evaluating any argument that holds a parameter marker (binding is by position)."""
    if not any(a.find(exp.Placeholder) for a in args):
        return value
    columns = ", ".join(f"__arg{i}__ AS c{i}" for i in range(len(args)))
    return _scalar(f"SELECT __arg{len(args)}__ FROM (SELECT {columns}) a", *args, value)


def _argument(args: list[exp.Expression], index: int) -> exp.Expression:
    """One argument of a call whose other arguments are dropped."""
    if not any(a.find(exp.Placeholder) for i, a in enumerate(args) if i != index):
        return args[index]
    columns = ", ".join(f"__arg{i}__ AS c{i}" for i in range(len(args)))
    return _scalar(f"SELECT a.c{index} FROM (SELECT {columns}) a", *args)


def _regclass(arg: exp.Expression, *, display: bool, strict: bool) -> exp.Expression:
    """A regclass value: the relation's oid, or its name where PostgreSQL would print it."""
    if _is_oid(arg):
        if not display:
            return arg
        return _scalar(f"SELECT coalesce(max({_DISPLAY}), CAST(max(a.v) AS VARCHAR)) "
                       f"FROM (SELECT __arg0__ AS v) a LEFT JOIN {_REL} m ON m.oid = a.v", arg)
    value = _DISPLAY if display else "m.oid"
    if strict:
        value = (f"CASE WHEN m.oid IS NULL AND a.v IS NOT NULL "
                 f"THEN error('[42P01] relation \"' || a.v || '\" does not exist') ELSE {value} END")
    return _scalar(f"SELECT {value} FROM (SELECT CAST(__arg0__ AS VARCHAR) AS v) a "
                   f"LEFT JOIN {_REL} m ON {_MATCH} ORDER BY m.nspname = 'pg_catalog' LIMIT 1", arg)


def _is_oid(node: exp.Expression) -> bool:
    """Whether a regclass argument is an oid (a number, an *oid / *relid column) rather than a name."""
    if isinstance(node, exp.Literal):
        return not node.is_string
    if isinstance(node, exp.Column):
        name = node.name.lower()
        return name.endswith(("oid", "relid")) or name == "objid"
    return isinstance(node, exp.Cast) and node.to.this in exp.DataType.INTEGER_TYPES


def _displayed(node: exp.Expression) -> bool:
    """Whether a value is shown to the client (a projection, a text cast) rather than compared."""
    parent = node.parent
    if isinstance(parent, exp.Alias):
        node, parent = parent, parent.parent
    if isinstance(parent, exp.Select) and node.arg_key == "expressions":
        return True
    if isinstance(parent, exp.Cast) and parent.to.this in exp.DataType.TEXT_TYPES:
        return True
    return isinstance(parent, (exp.DPipe, exp.Concat))


def _is_vector(node: exp.Expression) -> bool:
    """Whether a column is one of pg_index's int2vector / oidvector columns (subscripts from 0)."""
    return isinstance(node, exp.Column) and node.name.lower() in ("indkey", "indclass", "indcollation", "indoption")


_CURRENT_USER = {"current_user", "session_user", "user", "current_role", "getpgusername", "pg_get_userbyid"}
_TRUE = {"pg_table_is_visible", "pg_type_is_visible", "pg_function_is_visible", "pg_collation_is_visible",
         "pg_opclass_is_visible", "has_table_privilege", "has_schema_privilege", "has_database_privilege",
         "has_column_privilege", "has_sequence_privilege", "pg_has_role"}
_RENAMES = {"every": "bool_and", "jsonb_build_object": "json_object", "json_build_object": "json_object",
            "jsonb_build_array": "json_array", "json_build_array": "json_array", "to_jsonb": "to_json",
            "jsonb_object_agg": "json_group_object", "json_object_agg": "json_group_object",
            "jsonb_array_length": "json_array_length", "jsonb_pretty": "json_pretty"}
_NOW = {"clock_timestamp", "statement_timestamp", "transaction_timestamp"}


def _rewrite_function(front: FrontEnd, node: exp.Func) -> exp.Expression:
    if not isinstance(node, exp.Anonymous):
        if isinstance(node, exp.Format) and isinstance(node.this, exp.Literal) \
                and not re.search(r"%[^s%]", node.this.this.replace("%%", "")):
            # format('%s-%s', ...): text of each argument, NULL as empty (PostgreSQL's %s).
            texts = [exp.Coalesce(this=exp.cast(a, exp.DataType.Type.VARCHAR), expressions=[exp.Literal.string("")])
                     for a in node.expressions]
            return exp.Anonymous(this="printf", expressions=[node.this, *texts])
        return node
    name = node.name.lower()
    args = node.expressions
    if name == "version":
        return exp.Literal.string(VERSION)
    if name == "generate_subscripts" and args and _is_vector(args[0]):
        return exp.Sub(this=node.copy(), expression=exp.Literal.number(1))
    if name in ("current_database", "current_catalog"):
        return exp.Literal.string(front.database)
    if name == "current_schema":
        return exp.Literal.string("public")
    if name == "current_schemas":
        return exp.Array(expressions=[exp.Literal.string("pg_catalog"), exp.Literal.string("public")])
    if name in _CURRENT_USER:
        return _keeping(exp.Anonymous(this="aurora_pg_current_user", expressions=[]), list(args))
    if name == "pg_backend_pid":
        return exp.Anonymous(this="aurora_pg_backend_pid", expressions=[])
    if name == "current_setting" and args:
        missing = ("CASE WHEN s.setting IS NULL AND NOT a.ok "
                   "THEN error('[42704] unrecognized configuration parameter \"' || a.n || '\"') ELSE s.setting END")
        return _scalar(f"SELECT {missing} FROM (SELECT lower(CAST(__arg0__ AS VARCHAR)) AS n, "
                       f"coalesce(__arg1__, false) AS ok) a LEFT JOIN {SETTINGS_RELATION} s ON s.name = a.n",
                       args[0], args[1] if len(args) > 1 else exp.false())
    if name == "to_regclass" and args:
        return _regclass(args[0], display=_displayed(node), strict=False)
    if name == "format_type" and len(args) == 2:
        return _scalar(
            "SELECT CASE WHEN a.t IN (1043, 1042) AND a.m >= 4 THEN f.name || '(' || (a.m - 4) || ')' "
            "WHEN a.t = 1700 AND a.m >= 4 THEN 'numeric(' || ((a.m - 4) >> 16) || ',' || ((a.m - 4) & 65535) || ')' "
            f"ELSE f.name END FROM (SELECT __arg0__ AS t, __arg1__ AS m) a LEFT JOIN {_INTERNAL}.formats f "
            "ON f.oid = a.t", args[0], args[1])
    if name == "pg_typeof" and args:
        return _scalar(f"SELECT coalesce(d.name, lower(a.t)) FROM (SELECT typeof(__arg0__) AS t) a "
                       f"LEFT JOIN {_INTERNAL}.duck_types d ON d.duck = regexp_replace(a.t, '\\(.*\\)$', '')", args[0])
    if name == "pg_get_expr" and args:
        return _argument(list(args), 0)
    if name in _TRUE:
        return _keeping(exp.true(), list(args))
    if name == "pg_get_constraintdef" and args:
        definition = _lookup("c.definition", f"{_INTERNAL}.constraints c", "c.oid = a.a0", args[0])
        return _keeping(definition, list(args[1:])) if len(args) > 1 else definition
    if name == "pg_get_indexdef" and len(args) == 3:
        return _lookup("e.element", f"{_INTERNAL}.index_elements e", "e.oid = a.a0 AND e.ord = a.a1", *args)
    if name == "pg_get_indexdef" and len(args) == 1:
        return _lookup("i.indexdef", "pg_catalog.pg_indexes i JOIN pg_catalog.pg_class c ON c.relname = i.indexname "
                       "AND c.relkind = 'i'", "c.oid = a.a0", args[0])
    if name == "col_description" and len(args) == 2:
        return _lookup("c.comment", f"{_INTERNAL}.columns c", "c.table_oid = a.a0 AND c.attnum = a.a1", *args)
    if name in ("obj_description", "shobj_description") and args:
        return _lookup("d.description", "pg_catalog.pg_description d", "d.objoid = a.a0 AND d.objsubid = 0",
                       *args)
    if name == "pg_get_serial_sequence" and len(args) == 2:
        return _lookup(
            "'public.' || regexp_extract(c.column_default, '^nextval\\(''(main\\.)?([^'']+)''\\)$', 2)",
            f"{_INTERNAL}.columns c",
            "lower(trim(CAST(a.a0 AS VARCHAR), '\"')) IN (c.table_name, 'public.' || c.table_name) "
            "AND c.column_name = CAST(a.a1 AS VARCHAR) AND regexp_matches(c.column_default, '^nextval\\(')", *args)
    if name == "pg_encoding_to_char":
        return _keeping(exp.Literal.string("UTF8"), list(args))
    if name in _NOW:
        return exp.CurrentTimestamp()
    if name in _RENAMES:
        return exp.Anonymous(this=_RENAMES[name], expressions=list(args))
    if name == "jsonb_agg" and len(args) == 1:
        return exp.Anonymous(this="to_json", expressions=[exp.ArrayAgg(this=args[0])])
    if name in ("jsonb_typeof", "json_typeof") and args:
        return exp.Lower(this=exp.Anonymous(this="json_type", expressions=[args[0]]))
    return node
