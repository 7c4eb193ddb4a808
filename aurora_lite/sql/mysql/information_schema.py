"""information_schema for aurora-mysql: only this cluster's tables, under its database name.

Every instance of every cluster in the process is a catalog of one shared
DuckDB database, whose information_schema lists them all. A reference to
``information_schema.<view>`` becomes a subquery over DuckDB's view limited
to the session's own catalog, with TABLE_CATALOG 'def' and TABLE_SCHEMA the
cluster's database, as MySQL shows them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

if TYPE_CHECKING:
    from ..frontend import FrontEnd

# view -> (its catalog column, its schema column)
_VIEWS = {
    "tables": ("table_catalog", "table_schema"),
    "columns": ("table_catalog", "table_schema"),
    "views": ("table_catalog", "table_schema"),
    "table_constraints": ("table_catalog", "table_schema"),
    "key_column_usage": ("table_catalog", "table_schema"),
    "referential_constraints": ("constraint_catalog", "constraint_schema"),
    "schemata": ("catalog_name", "schema_name"),
}


def transform(front: FrontEnd, statement: exp.Expression) -> exp.Expression:
    """Limit information_schema views to the session's catalog."""
    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Table) or (node.db or "").lower() != "information_schema":
            return node
        view = node.name.lower()
        if view not in _VIEWS or node.args.get("catalog"):
            return node
        catalog, schema = _VIEWS[view]
        database = front.database.replace("'", "''")
        subquery = sqlglot.parse_one(
            f"SELECT * REPLACE ('def' AS {catalog}, '{database}' AS {schema}) "
            f"FROM information_schema.{view} WHERE {catalog} = current_database() AND {schema} = 'main'",
            read="duckdb",
        )
        alias = node.alias or view
        return exp.Subquery(this=subquery, alias=exp.TableAlias(this=exp.to_identifier(alias)))

    return statement.transform(rewrite, copy=False)
