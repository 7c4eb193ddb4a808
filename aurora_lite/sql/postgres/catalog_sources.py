"""What every emulated catalog relation is built from, as DuckDB SQL text.

PostgreSQL 16's fixed oids (namespaces, the pg_type row of each DuckDB type,
``format_type()`` spellings, the system relations ``'pg_class'::regclass``
names); ``_values``, which writes rows as a VALUES relation; and the DuckDB
queries the views of catalog_views.py read: columns with their PostgreSQL
types (from the declared-type comments of declared_types.py), column defaults
as PostgreSQL prints them, relations as pg_class sees them, and constraints
with PostgreSQL's default names -- each restricted to the session's own
catalog.
"""
from __future__ import annotations

from typing import Any

PUBLIC_OID, PG_CATALOG_OID, INFORMATION_SCHEMA_OID, PG_TOAST_OID = 2200, 11, 13000, 99


# ---------------------------------------------------------------- types
# DuckDB type -> (information_schema data_type, pg_type name, oid, typlen, category, array oid)
_TYPES: dict[str, tuple[str, str, int, int, str, int]] = {
    "BOOLEAN": ("boolean", "bool", 16, 1, "B", 1000),
    "TINYINT": ("smallint", "int2", 21, 2, "N", 1005),
    "SMALLINT": ("smallint", "int2", 21, 2, "N", 1005),
    "INTEGER": ("integer", "int4", 23, 4, "N", 1007),
    "BIGINT": ("bigint", "int8", 20, 8, "N", 1016),
    "HUGEINT": ("numeric", "numeric", 1700, -1, "N", 1231),
    "DECIMAL": ("numeric", "numeric", 1700, -1, "N", 1231),
    "FLOAT": ("real", "float4", 700, 4, "N", 1021),
    "DOUBLE": ("double precision", "float8", 701, 8, "N", 1022),
    "VARCHAR": ("text", "text", 25, -1, "S", 1009),
    "VARCHAR:varchar": ("character varying", "varchar", 1043, -1, "S", 1015),
    "VARCHAR:char": ("character", "bpchar", 1042, -1, "S", 1014),
    "DATE": ("date", "date", 1082, 4, "D", 1182),
    "TIME": ("time without time zone", "time", 1083, 8, "D", 1183),
    "TIME WITH TIME ZONE": ("time with time zone", "timetz", 1266, 12, "D", 1270),
    "TIMESTAMP": ("timestamp without time zone", "timestamp", 1114, 8, "D", 1115),
    "TIMESTAMP_MS": ("timestamp without time zone", "timestamp", 1114, 8, "D", 1115),
    "TIMESTAMP_NS": ("timestamp without time zone", "timestamp", 1114, 8, "D", 1115),
    "TIMESTAMP_S": ("timestamp without time zone", "timestamp", 1114, 8, "D", 1115),
    "TIMESTAMP WITH TIME ZONE": ("timestamp with time zone", "timestamptz", 1184, 8, "D", 1185),
    "INTERVAL": ("interval", "interval", 1186, 16, "T", 1187),
    "BLOB": ("bytea", "bytea", 17, -1, "U", 1001),
    "UUID": ("uuid", "uuid", 2950, 16, "U", 2951),
    "JSON": ("json", "json", 114, -1, "U", 199),
    "JSON:jsonb": ("jsonb", "jsonb", 3802, -1, "U", 3807),
    "BIT": ("bit varying", "varbit", 1562, -1, "V", 1563),
}
# pg_type rows beyond column types: (name, oid, typlen, category)
_EXTRA_TYPES = (("oid", 26, 4, "N"), ("name", 19, 64, "S"), ("char", 18, 1, "S"),
                ("regclass", 2205, 4, "N"), ("regtype", 2206, 4, "N"), ("int2vector", 22, -1, "A"),
                ("oidvector", 30, -1, "A"), ("void", 2278, 4, "P"), ("record", 2249, -1, "P"))
# format_type() spelling of each pg_type oid.
_FORMAT = {oid: data_type for data_type, _, oid, _, _, _ in _TYPES.values()}
_FORMAT.update({26: "oid", 19: "name", 18: '"char"', 2205: "regclass", 2206: "regtype",
                22: "int2vector", 30: "oidvector", 2278: "void", 2249: "record"})
_FORMAT.update({array: _FORMAT[oid] + "[]" for _, _, oid, _, _, array in _TYPES.values()})
# Relations of pg_catalog that `'pg_class'::regclass` and friends name (not listed in pg_class).
_SYSTEM_RELATIONS = {"pg_class": 1259, "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255,
                     "pg_namespace": 2615, "pg_constraint": 2606, "pg_index": 2610, "pg_depend": 2608,
                     "pg_database": 1262, "pg_attrdef": 2604, "pg_description": 2609, "pg_am": 2601}


def _values(rows: list[tuple[Any, ...]], columns: str) -> str:
    def literal(value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        return str(value)

    body = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
    return f"(VALUES {body}) AS {columns}"


def _type_map() -> str:
    rows = [(duck, *info) for duck, info in _TYPES.items()]
    return _values(rows, "ty(duck, data_type, udt, oid, typlen, category, array_oid)")


# ---------------------------------------------------------------- catalog relations (DuckDB SQL)
# Every relation reads the session's own catalog: DuckDB's current_database() is the
# instance's catalog (the session cursor USEs it). {db} is the cluster's database name.
_INTERNAL = "__aurora_pg"  # schema of the relations only the rewrites below read
_OWNER = "getvariable('aurora_fn_aurora_pg_current_user')"  # that session function's value, in raw SQL
_NSP = "CASE WHEN {s} = 'main' THEN 'public' ELSE {s} END"
_NSPOID = f"CASE WHEN {{s}} = 'main' THEN {PUBLIC_OID} ELSE {{o}} END"
DECLARED_TYPE_MARKER = "aurora_pg:"  # column comment that keeps a declared type DuckDB does not (see _type_comments)

# One row per column, with its PostgreSQL type (from the CHECK markers for strings).
_COLUMNS = f"""
SELECT c.table_oid, c.schema_name, c.table_name, c.column_name, c.column_index AS attnum,
       c.is_nullable, c.column_default, c.data_type, c.numeric_precision, c.numeric_scale,
       CASE WHEN starts_with(c.comment, '{DECLARED_TYPE_MARKER}') THEN NULL ELSE c.comment END AS comment,
       c.is_generated, c.generation_expression,
       ty.data_type AS pg_type, ty.udt, ty.oid AS typoid, ty.typlen, c.data_type LIKE '%[]' AS is_array,
       ty.array_oid, m.length AS char_length,
       CASE WHEN m.length IS NOT NULL THEN m.length + 4
            WHEN ty.oid = 1700 AND c.data_type LIKE 'DECIMAL(%' AND c.data_type <> 'DECIMAL(38,10)'
            THEN (c.numeric_precision << 16) + c.numeric_scale + 4 ELSE -1 END AS typmod
FROM duckdb_columns() c
LEFT JOIN (
    SELECT table_oid, column_name,
           CASE WHEN declared LIKE 'character varying%' THEN 'varchar' WHEN declared LIKE 'character%' THEN 'char'
                WHEN declared = 'jsonb' THEN 'jsonb' END AS kind,
           CAST(nullif(regexp_extract(declared, '\\((\\d+)\\)$', 1), '') AS INTEGER) AS length
    FROM (SELECT table_oid, column_name, substr(comment, {len(DECLARED_TYPE_MARKER) + 1}) AS declared FROM duckdb_columns()
          WHERE database_name = current_database() AND starts_with(comment, '{DECLARED_TYPE_MARKER}'))
) m ON m.table_oid = c.table_oid AND m.column_name = c.column_name
LEFT JOIN {_type_map()}
  ON ty.duck = regexp_replace(regexp_replace(c.data_type, '\\[\\]$', ''), '\\(.*\\)$', '')
               || coalesce(':' || m.kind, '')
WHERE c.database_name = current_database() AND NOT c.internal
"""

# Column defaults as PostgreSQL prints them: nextval('t_id_seq'::regclass), 'x'::text.
_DEFAULT = ("CASE WHEN regexp_matches(column_default, '^nextval\\(''(main\\.)?[^'']+''\\)$') "
            "THEN regexp_replace(column_default, '^nextval\\(''(main\\.)?([^'']+)''\\)$', "
            "'nextval(''\\2''::regclass)') "
            "WHEN regexp_matches(column_default, '^''.*''$') THEN column_default || '::' || pg_type "
            "WHEN regexp_matches(column_default, '^CAST\\(''.*'' AS [A-Z ]+\\)$') "
            "THEN regexp_extract(column_default, '^CAST\\((''.*'') AS', 1) || '::' || pg_type "
            "WHEN lower(column_default) = 'current_timestamp' THEN 'CURRENT_TIMESTAMP' "
            "WHEN lower(column_default) IN ('now()', 'current_timestamp()') THEN 'now()' "
            "ELSE column_default END")

# Tables, views, sequences and indexes (those of constraints too), as pg_class sees them.
_RELATIONS = """
SELECT table_oid AS oid, schema_name, schema_oid, table_name AS relname, 'r' AS relkind,
       column_count AS relnatts, check_constraint_count AS relchecks, index_count > 0 OR has_primary_key AS relhasindex,
       CAST(estimated_size AS REAL) AS reltuples, "temporary", comment, NULL AS sql, table_oid AS table_oid
FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal
UNION ALL
SELECT view_oid, schema_name, schema_oid, view_name, 'v', column_count, 0, false, 0, "temporary", comment, sql, view_oid
FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
UNION ALL
SELECT sequence_oid, schema_name, schema_oid, sequence_name, 'S', 3, 0, false, 1, "temporary", comment, sql, NULL
FROM duckdb_sequences() WHERE database_name = current_database()
UNION ALL
SELECT index_oid, schema_name, schema_oid, index_name, 'i', NULL, 0, false, 0, false, comment, sql, table_oid
FROM duckdb_indexes() WHERE database_name = current_database()
UNION ALL
SELECT index_oid, schema_name, schema_oid, conname, 'i', len(constraint_column_indexes), 0, false, 0, false,
       NULL, NULL, table_oid
FROM ({constraints}) WHERE contype IN ('p', 'u')
"""

# Constraints with PostgreSQL's default names and definitions (NOT NULL left out).
_CONSTRAINTS = """
SELECT k.*, 8589934592 + k.table_oid * 1000 + k.constraint_index AS oid,
       CASE WHEN k.contype IN ('p', 'u') THEN 4294967296 + k.table_oid * 1000 + k.constraint_index ELSE 0 END
           AS index_oid,
       CASE k.contype WHEN 'p' THEN 'PRIMARY KEY (' || k.cols || ')'
                      WHEN 'u' THEN 'UNIQUE (' || k.cols || ')'
                      WHEN 'f' THEN 'FOREIGN KEY (' || k.cols || ') REFERENCES ' || k.referenced_table
                                    || '(' || array_to_string(k.referenced_column_names, ', ') || ')'
                      ELSE 'CHECK (' || k.expression || ')' END AS definition
FROM (
    SELECT c.*, array_to_string(c.constraint_column_names, ', ') AS cols,
           CASE c.constraint_type WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u'
                                  WHEN 'FOREIGN KEY' THEN 'f' ELSE 'c' END AS contype,
           CASE c.constraint_type
                WHEN 'PRIMARY KEY' THEN c.table_name || '_pkey'
                WHEN 'UNIQUE' THEN c.table_name || '_' || array_to_string(c.constraint_column_names, '_') || '_key'
                WHEN 'FOREIGN KEY' THEN c.table_name || '_' || array_to_string(c.constraint_column_names, '_') || '_fkey'
                ELSE c.constraint_name END AS conname,
           r.table_oid AS confrelid
    FROM (SELECT * FROM duckdb_constraints()) c
    LEFT JOIN duckdb_tables() r
      ON c.constraint_type = 'FOREIGN KEY' AND r.database_name = c.database_name
     AND r.schema_name = c.schema_name AND r.table_name = c.referenced_table
    WHERE c.database_name = current_database() AND c.constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY', 'CHECK')
) k
"""
