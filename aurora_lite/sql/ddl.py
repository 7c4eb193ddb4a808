"""DDL translation: auto-increment columns become sequences; databases map to the cluster.

Rules for statements that cannot apply to an embedded cluster (documented in
docs/sql.md): a cluster holds one database. ``CREATE DATABASE``/``CREATE
SCHEMA`` of that kind, ``DROP DATABASE`` and MySQL ``USE`` / psql ``\\c`` of
any name are accepted and change nothing, so creation scripts written for a
server run unchanged. For the same reason ``ALTER TABLE ... ADD [CONSTRAINT n]
FOREIGN KEY`` is accepted and not enforced (DuckDB cannot add one to an existing
table); its tables and columns must exist.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from ..dbapi.exceptions import NotSupportedError
from .params import Placeholders
from .plan import Kind, Plan, TableName

if TYPE_CHECKING:
    from .frontend import FrontEnd

_SERIAL = {
    exp.DataType.Type.SERIAL: exp.DataType.Type.INT,
    exp.DataType.Type.BIGSERIAL: exp.DataType.Type.BIGINT,
    exp.DataType.Type.SMALLSERIAL: exp.DataType.Type.SMALLINT,
}


def plan(front: FrontEnd, statement: exp.Expression, placeholders: Placeholders) -> Plan:
    """The plan of a CREATE / DROP / ALTER statement."""
    from .frontend import table_name

    kind = (statement.args.get("kind") or "").upper()
    if kind in ("DATABASE", "SCHEMA") and front.dialect == "mysql" or kind == "DATABASE":
        # One database per cluster: accepted, changes nothing.
        return Plan(Kind.SESSION, "", placeholders, verb=f"{statement.key.upper()} DATABASE",
                    refused_on_reader=True)
    if isinstance(statement, exp.Create) and kind == "TABLE":
        return _create_table(front, statement, placeholders)
    if isinstance(statement, exp.Create) and kind == "INDEX" and isinstance(statement.this, exp.Index) \
            and statement.this.this is None:
        _name_index(statement.this)
    if isinstance(statement, exp.Drop) and kind == "TABLE":
        # sqlglot keeps the dropped tables in "tables" (newer) or in this/expressions (older).
        targets = [statement.this, *(statement.args.get("tables") or []), *statement.expressions]
        names = tuple(table_name(t) for t in targets if isinstance(t, exp.Table))
        return Plan(Kind.DDL, statement.sql(dialect="duckdb"), placeholders, verb="DROP TABLE",
                    table=names[0] if names else None, ddl_effect=("drop", names))
    if isinstance(statement, exp.Alter) and _foreign_keys(statement):
        return _foreign_key_probe(statement, placeholders)
    if isinstance(statement, exp.Alter):
        target = table_name(statement.this) if isinstance(statement.this, exp.Table) else None
        effect = None
        for action in statement.args.get("actions") or []:
            if isinstance(action, exp.AlterRename):
                new = action.this
                effect = ("rename", (target, TableName(target.schema if target else "main", new.name.lower())))
        return Plan(Kind.DDL, statement.sql(dialect="duckdb"), placeholders, verb=f"ALTER {kind}".strip(),
                    table=target, ddl_effect=effect)
    if kind in ("FUNCTION", "PROCEDURE", "TRIGGER"):
        raise NotSupportedError(f"CREATE {kind} is not supported by aurora_lite")
    return Plan(Kind.DDL, statement.sql(dialect="duckdb"), placeholders,
                verb=f"{statement.key.upper()} {kind}".strip())


def _create_table(front: FrontEnd, statement: exp.Create, placeholders: Placeholders) -> Plan:
    from .frontend import table_name

    schema = statement.this
    target = schema.this if isinstance(schema, exp.Schema) else schema
    table = table_name(target)
    start = 1
    properties = statement.args.get("properties")
    if properties is not None:
        for prop in list(properties.expressions):
            if isinstance(prop, exp.AutoIncrementProperty):
                start = int(prop.this.name)
    before: list[str] = []
    sequences: list[tuple[str, str]] = []
    if isinstance(schema, exp.Schema):
        for column in schema.expressions:
            if not isinstance(column, exp.ColumnDef):
                continue
            sequence = _auto_increment(column, table)
            if sequence is not None:
                # MINVALUE 0: MySQL's TRUNCATE TABLE sets it back to start - 1 (engine/sequences.py).
                floor = " MINVALUE 0" if front.dialect == "mysql" and start >= 1 else ""
                before.append(f'CREATE SEQUENCE IF NOT EXISTS "{table.schema}"."{sequence}" START WITH {start}{floor}')
                sequences.append((column.name, sequence))  # as DuckDB spells it in row images
    effect = ("create_as", table) if statement.expression is not None else ("create", table)
    return Plan(Kind.DDL, statement.sql(dialect="duckdb"), placeholders, verb="CREATE TABLE", table=table,
                before=tuple(before), sequences=tuple(sequences), ddl_effect=effect)


def _name_index(index: exp.Index) -> None:
    """PostgreSQL's name for CREATE INDEX ON t (...) without one: t_<columns>_idx (DuckDB needs a name)."""
    table = index.args.get("table")
    params = index.args.get("params")
    columns = params.args.get("columns") if params is not None else None
    parts = []
    for item in columns or []:
        column = item.this if isinstance(item, exp.Ordered) else item
        if isinstance(column, exp.Column):
            parts.append(column.name)
        elif isinstance(column, exp.Func):  # an expression is named after its function: lower(x) -> lower
            parts.append((column.name if isinstance(column, exp.Anonymous) else column.sql_names()[0]).lower())
        else:
            parts.append("expr")
    name = "_".join([table.name if table is not None else "index", *parts, "idx"])
    index.set("this", exp.to_identifier(name[:63]))  # PostgreSQL's NAMEDATALEN


def _auto_increment(column: exp.ColumnDef, table: TableName) -> str | None:
    """Turn SERIAL / AUTO_INCREMENT / IDENTITY into DEFAULT nextval(seq); return seq or None."""
    kind = column.args.get("kind")
    auto = False
    if kind is not None and kind.this in _SERIAL:
        column.set("kind", exp.DataType(this=_SERIAL[kind.this]))
        auto = True
    kept = []
    for constraint in column.args.get("constraints") or []:
        if isinstance(constraint.kind, (exp.AutoIncrementColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)):
            auto = True
            continue
        kept.append(constraint)
    if not auto:
        return None
    sequence = f"{table.name}_{column.name.lower()}_seq"
    default = exp.ColumnConstraint(
        kind=exp.DefaultColumnConstraint(
            this=exp.Anonymous(this="nextval", expressions=[exp.Literal.string(f"{table.schema}.{sequence}")])
        )
    )
    column.set("constraints", [*kept, default])
    return sequence


def _foreign_keys(statement: exp.Alter) -> list[exp.ForeignKey]:
    """The FOREIGN KEYs an ALTER TABLE adds when that is all it does (pg_dump, Chinook, ORMs), else []."""
    keys: list[exp.ForeignKey] = []
    for action in statement.args.get("actions") or []:
        if not isinstance(action, exp.AddConstraint):
            return []
        for item in action.expressions:
            inner = item.expressions if isinstance(item, exp.Constraint) else [item]
            if not inner or not all(isinstance(k, exp.ForeignKey) for k in inner):
                return []
            keys.extend(inner)
    return keys


def _foreign_key_probe(statement: exp.Alter, placeholders: Placeholders) -> Plan:
    """Accept ALTER TABLE ... ADD FOREIGN KEY without enforcing it (see the module docstring).

    DuckDB refuses to add a foreign key to an existing table, which made every
    schema script that declares them after CREATE TABLE fail half-way. The plan
    is logged DDL (a reader refuses it) whose SQL only reads zero rows naming
    both tables and every column, so a missing table or column still fails as
    it does on the server.
    """
    from .frontend import table_name

    child = statement.this
    tables = {child.name.lower(): child}            # a self-reference (employee.reports_to) reads one table
    columns = [exp.column(c.name, table=child.name, quoted=True)
               for key in _foreign_keys(statement) for c in key.expressions]
    for key in _foreign_keys(statement):
        reference = key.args.get("reference")
        target = reference.this if reference is not None else None
        parent = target.this if isinstance(target, exp.Schema) else target
        if isinstance(parent, exp.Table):
            tables.setdefault(parent.name.lower(), parent)
            if isinstance(target, exp.Schema):
                columns += [exp.column(c.name, table=parent.name, quoted=True) for c in target.expressions]
    sources = [t.copy() for t in tables.values()]
    probe = exp.select(*columns).from_(sources[0])
    for source in sources[1:]:
        probe = probe.join(source, join_type="CROSS")
    return Plan(Kind.DDL, probe.where(exp.false()).sql(dialect="duckdb"), placeholders, verb="ALTER TABLE",
                table=table_name(child))
