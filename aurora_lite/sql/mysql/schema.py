"""MySQL column types and the DDL that declares them.

DuckDB refuses some MySQL types (INT(11), MEDIUMINT, VARBINARY(16) ...) and
forgets others (varchar(20) is VARCHAR, datetime is TIMESTAMP). CREATE TABLE
and ALTER TABLE ... ADD COLUMN are therefore normalised for DuckDB, and the
MySQL spelling of each column, key names and plain KEYs are recorded as a
DuckDB comment (JSON) that travels with the DDL through the volume.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import attrs
from sqlglot import exp

from ..params import Placeholders
from ..plan import Kind, Plan
from ...dbapi.exceptions import mysql_error
from .common import parse_single, quote

if TYPE_CHECKING:
    from ..frontend import FrontEnd


_INT_TYPES = {
    exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.MEDIUMINT, exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT, exp.DataType.Type.UTINYINT, exp.DataType.Type.USMALLINT,
    exp.DataType.Type.UMEDIUMINT, exp.DataType.Type.UINT, exp.DataType.Type.UBIGINT,
}


_DDL_TYPES = {  # MySQL types DuckDB lacks -> the DuckDB type that holds them
    exp.DataType.Type.MEDIUMINT: exp.DataType.Type.INT, exp.DataType.Type.UMEDIUMINT: exp.DataType.Type.UINT,
    exp.DataType.Type.TIMESTAMPTZ: exp.DataType.Type.TIMESTAMP, exp.DataType.Type.YEAR: exp.DataType.Type.SMALLINT,
    exp.DataType.Type.SET: exp.DataType.Type.VARCHAR,
}


_NO_PARAMS = {exp.DataType.Type.BLOB, exp.DataType.Type.VARBINARY, exp.DataType.Type.BINARY,
              exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE, exp.DataType.Type.DATETIME,
              exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIME, exp.DataType.Type.TIMESTAMPTZ}

_DROPPED_CONSTRAINTS = (exp.CharacterSetColumnConstraint, exp.CollateColumnConstraint,
                        exp.CommentColumnConstraint, exp.OnUpdateColumnConstraint)


TEXT_TYPES = ("char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set")

NO_DEFAULT_NULL = ("tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob",
                    "longblob", "json", "geometry")


def mysql_type(kind: exp.DataType) -> str:
    """A column type as MySQL 8.0 shows it: int, varchar(20), decimal(10,2), datetime, tinyint(1)."""
    text = kind.sql(dialect="mysql").lower().replace(", ", ",")
    text = re.sub(r"^integer\b", "int", text)
    if text in ("boolean", "bool"):
        return "tinyint(1)"
    if kind.this in _INT_TYPES and not text.startswith("tinyint(1)"):
        text = re.sub(r"\(\d+\)", "", text)
    if kind.this == exp.DataType.Type.TIMESTAMPTZ:
        text = text.replace("timestamptz", "timestamp")
    text = re.sub(r"^(?:decimal|numeric)$", "decimal(10,0)", text)
    text = re.sub(r"^(?:decimal|numeric)\((\d+)\)", r"decimal(\1,0)", text)
    text = re.sub(r"^real\b", "double", text)
    if text == "char":
        text = "char(1)"
    return text


def duckdb_family(mysql: str) -> str:
    """The DuckDB type name a MySQL type is stored as (compared without parameters)."""
    base = mysql.split("(")[0].strip()
    unsigned = mysql.endswith("unsigned")
    if mysql.startswith("tinyint(1)"):
        return "TINYINT"
    ints = {"tinyint": "TINYINT", "smallint": "SMALLINT", "mediumint": "INTEGER", "int": "INTEGER",
            "bigint": "BIGINT"}
    base = base.replace(" unsigned", "")
    if base in ints:
        return ("U" + ints[base]) if unsigned else ints[base]
    families = {"decimal": "DECIMAL", "float": "FLOAT", "double": "DOUBLE", "date": "DATE", "time": "TIME",
                "datetime": "TIMESTAMP", "timestamp": "TIMESTAMP", "year": "SMALLINT", "json": "JSON",
                "enum": "ENUM", "bit": "BIT"}
    if base in families:
        return families[base]
    if base in TEXT_TYPES:
        return "VARCHAR"
    if "blob" in base or "binary" in base:
        return "BLOB"
    return base.upper()


def derived_type(duck: str) -> str:
    """MySQL spelling of a DuckDB column type, for columns created without a recorded type."""
    upper = duck.upper()
    simple = {"INTEGER": "int", "BIGINT": "bigint", "SMALLINT": "smallint", "TINYINT": "tinyint",
              "UINTEGER": "int unsigned", "UBIGINT": "bigint unsigned", "USMALLINT": "smallint unsigned",
              "UTINYINT": "tinyint unsigned", "HUGEINT": "decimal(38,0)", "DOUBLE": "double", "FLOAT": "float",
              "VARCHAR": "text", "BOOLEAN": "tinyint(1)", "DATE": "date", "TIME": "time",
              "TIMESTAMP": "datetime", "TIMESTAMP WITH TIME ZONE": "timestamp", "BLOB": "blob", "JSON": "json",
              "UUID": "char(36)", "INTERVAL": "time"}
    if upper in simple:
        return simple[upper]
    if upper.startswith("DECIMAL"):
        return duck.lower().replace(" ", "")
    if upper.startswith("ENUM"):
        return "enum" + duck[4:].replace(", ", ",")
    return duck.lower()


def _normalise_column(column: exp.ColumnDef) -> None:
    """Make a MySQL column definition acceptable to DuckDB (same values, DuckDB's type names)."""
    kind = column.args.get("kind")
    if isinstance(kind, exp.DataType):
        target = _DDL_TYPES.get(kind.this)
        if target is not None:
            column.set("kind", exp.DataType(this=target))
        elif kind.this in _INT_TYPES or kind.this in _NO_PARAMS:
            kind.set("expressions", [])
        elif kind.this == exp.DataType.Type.DECIMAL:
            params = kind.expressions
            if not params:
                column.set("kind", exp.DataType.build("DECIMAL(10, 0)"))
            elif len(params) == 1:
                column.set("kind", exp.DataType.build(f"DECIMAL({params[0].name}, 0)"))
    constraints = column.args.get("constraints") or []
    kept = [c for c in constraints if not isinstance(c.kind, _DROPPED_CONSTRAINTS)]
    if len(kept) != len(constraints):
        column.set("constraints", kept)


def _column_meta(column: exp.ColumnDef) -> dict[str, Any]:
    """What DESCRIBE / SHOW CREATE TABLE need of a column that DuckDB does not keep."""
    meta: dict[str, Any] = {"type": mysql_type(column.args["kind"])}
    for constraint in column.args.get("constraints") or []:
        kind = constraint.kind
        if isinstance(kind, exp.DefaultColumnConstraint):
            value = kind.this
            if isinstance(value, exp.Null):
                continue
            if isinstance(value, exp.Literal):
                meta["default"] = value.name
            elif isinstance(value, (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime)) or (
                    isinstance(value, exp.Anonymous) and value.name.upper() == "NOW"):
                meta["default"] = "CURRENT_TIMESTAMP" + (f"({value.this.name})" if value.args.get("this") and
                                                         isinstance(value.this, exp.Literal) else "")
                meta["default_expression"] = True
            elif isinstance(value, exp.Neg) and isinstance(value.this, exp.Literal):
                meta["default"] = "-" + value.this.name
            else:
                meta["default"] = value.sql(dialect="mysql")
                meta["default_expression"] = True
        elif isinstance(kind, exp.OnUpdateColumnConstraint):
            meta["on_update"] = kind.this.sql(dialect="mysql").replace("()", "")
        elif isinstance(kind, exp.CommentColumnConstraint):
            meta["comment"] = kind.this.name
    return meta


_NAME = r"(?:`[^`]+`|[\w$]+)(?:\.(?:`[^`]+`|[\w$]+))?"
_RENAME_PAIR = rf"({_NAME})\s+TO\s+({_NAME})"
_RENAME_TABLE = re.compile(rf"^\s*RENAME\s+TABLES?\s+({_RENAME_PAIR}(?:\s*,\s*{_RENAME_PAIR})*)\s*;?\s*$", re.I)


_EXECUTABLE_COMMENT = re.compile(r"/\*!(\d{5,6})?(.*?)\*/", re.S)
_SERVER_VERSION = 80039  # MYSQL_VERSION as a version comment writes it


def executable_comments(text: str) -> str:
    """MySQL runs /*!NNNNN ... */ (mysqldump's SET lines) when its version is at least NNNNN: unwrap them."""
    return _EXECUTABLE_COMMENT.sub(
        lambda m: f" {m.group(2)} " if m.group(1) is None or int(m.group(1)) <= _SERVER_VERSION else " ", text)


def rename_table_as_alter(text: str) -> str | None:
    """RENAME TABLE a TO b[, c TO d]: the same as ALTER TABLE ... RENAME TO statements, in order."""
    match = _RENAME_TABLE.match(text)
    if match is None:
        return None
    pairs = re.findall(_RENAME_PAIR, match.group(1), re.I)
    return "; ".join(f"ALTER TABLE {old} RENAME TO {new}" for old, new in pairs)


_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s", re.IGNORECASE)
_ALTER_TABLE = re.compile(r"^\s*ALTER\s+TABLE\s", re.IGNORECASE)
META_KEY = "aurora_mysql"


def create_table_hook(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    """CREATE TABLE: the DuckDB DDL plus a table comment recording MySQL types, key names and KEYs."""
    if not _CREATE_TABLE.match(text):
        return None
    statement = parse_single(front, text)
    if not isinstance(statement, exp.Create) or not isinstance(statement.this, exp.Schema) \
            or statement.expression is not None:
        return None
    schema = statement.this
    columns: dict[str, Any] = {}
    unique: dict[str, str] = {}
    indexes: list[tuple[str | None, list[str]]] = []
    for item in list(schema.expressions):
        if isinstance(item, exp.ColumnDef) and isinstance(item.args.get("kind"), exp.DataType):
            columns[item.name] = _column_meta(item)
        elif isinstance(item, exp.IndexColumnConstraint):
            if not item.args.get("kind"):   # FULLTEXT / SPATIAL indexes have no DuckDB counterpart
                indexes.append((item.name or None, [c.name for c in item.expressions]))
            item.pop()
        elif isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema) \
                and item.this.this is not None:
            unique[",".join(c.name.lower() for c in item.this.expressions)] = item.this.this.name
    table_comment = None
    for prop in (statement.args.get("properties") or exp.Properties(expressions=[])).expressions:
        if isinstance(prop, exp.SchemaCommentProperty):
            table_comment = prop.this.name
    plan = front._statement_plan(statement, placeholders)
    if plan.kind is not Kind.DDL or plan.table is None:
        return plan
    # Plain KEYs are only recorded: a DuckDB index would make every later ALTER TABLE fail
    # ("entries that depend on it"), and DuckDB scans fast enough without one.
    keys, used = [], set()
    for name, cols in indexes:
        name = name or cols[0]
        while name in used:
            name += "_2"
        used.add(name)
        keys.append([name, cols])
    meta = {META_KEY: 1, "columns": columns, "unique": unique, "keys": keys, "comment": table_comment}
    comment = f"COMMENT ON TABLE {plan.table.sql()} IS {quote(json.dumps(meta))}"
    return attrs.evolve(plan, sql=f"{plan.sql}; {comment}")


_KEYS_SWITCH = re.compile(r"^\s*ALTER\s+TABLE\s+\S+\s+(?:DISABLE|ENABLE)\s+KEYS\s*;?\s*$", re.I)


def alter_table_hook(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    """ALTER TABLE ... ADD / MODIFY COLUMN: also record the new columns' MySQL types."""
    if not _ALTER_TABLE.match(text):
        return None
    if _KEYS_SWITCH.match(text):
        # mysqldump's /*!40000 ALTER TABLE t DISABLE KEYS */: MyISAM only; InnoDB ignores it, as here.
        return Plan(Kind.SESSION, "", placeholders, verb="ALTER TABLE")
    statement = parse_single(front, text)
    if not isinstance(statement, exp.Alter):
        return None
    added = []
    for action in statement.args.get("actions") or []:
        column = action.this if isinstance(action, exp.ModifyColumn) else action
        if isinstance(column, exp.ColumnDef) and isinstance(column.args.get("kind"), exp.DataType):
            added.append((column.name, _column_meta(column)))
    if not added:
        return None
    actions = statement.args.get("actions") or []
    modifies = [a for a in actions if isinstance(a, exp.ModifyColumn)]
    if modifies and len(modifies) != len(actions):
        raise mysql_error(1235, "This version of aurora_lite doesn't yet support 'MODIFY / CHANGE COLUMN together "
                                "with other ALTER TABLE actions'; use one ALTER TABLE each")
    plan = front._statement_plan(statement, placeholders)
    if plan.kind is not Kind.DDL or plan.table is None:
        return plan
    statements = [plan.sql] if not modifies else \
        [sql for action in modifies for sql in _modify_column(plan.table.sql(), action)]
    comments = [f'COMMENT ON COLUMN {plan.table.sql()}."{name}" IS {quote(json.dumps({META_KEY: 1, **meta}))}'
                for name, meta in added]
    # MODIFY redefines the column: without NOT NULL it accepts NULL (a primary key column cannot).
    nullable = tuple(a.this.name for a in modifies if not any(
        isinstance(c.kind, (exp.NotNullColumnConstraint, exp.PrimaryKeyColumnConstraint))
        for c in a.this.args.get("constraints") or []))
    return attrs.evolve(plan, sql="; ".join([*statements, *comments]), nullable=nullable)


def _modify_column(table: str, action: exp.ModifyColumn) -> list[str]:
    """DuckDB statements for MODIFY / CHANGE COLUMN: rename, new type, nullability and default.

    MySQL redefines the whole column; DuckDB changes one property per ALTER TABLE.
    """
    column = action.this.copy()
    _normalise_column(column)
    name = f'"{column.name}"'
    out = []
    old = action.args.get("rename_from")
    if old is not None and old.name != column.name:
        out.append(f'ALTER TABLE {table} RENAME COLUMN "{old.name}" TO {name}')
    out.append(f"ALTER TABLE {table} ALTER COLUMN {name} SET DATA TYPE {column.args['kind'].sql(dialect='duckdb')}")
    constraints = [c.kind for c in column.args.get("constraints") or []]
    default = next((c for c in constraints if isinstance(c, exp.DefaultColumnConstraint)), None)
    out.append(f"ALTER TABLE {table} ALTER COLUMN {name} " +
               (f"SET DEFAULT {default.this.sql(dialect='duckdb')}" if default is not None else "DROP DEFAULT"))
    if any(isinstance(c, (exp.NotNullColumnConstraint, exp.PrimaryKeyColumnConstraint)) for c in constraints):
        out.append(f"ALTER TABLE {table} ALTER COLUMN {name} SET NOT NULL")
    return out


def normalise_ddl(statement: exp.Expression) -> exp.Expression:
    for column in list(statement.find_all(exp.ColumnDef)):
        _normalise_column(column)
    schema = statement.this if isinstance(statement, exp.Create) else None
    if isinstance(schema, exp.Schema):
        for item in list(schema.expressions):
            if isinstance(item, exp.IndexColumnConstraint):
                item.pop()   # a plain KEY is an access path only (recorded by create_table_hook)
            elif isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema) \
                    and item.this.this is not None:
                item.set("this", exp.Schema(expressions=item.this.expressions))  # UNIQUE KEY name (...) -> UNIQUE (...)
    return statement
