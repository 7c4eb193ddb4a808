"""PostgreSQL emulation: the catalogs, functions and syntax Aurora PostgreSQL clients rely on.

Importing this module registers, for the ``postgres`` dialect:

- a TRANSFORM applied to every parsed statement:
  * ``information_schema.*`` and ``pg_catalog.*`` relations (tables, columns,
    table_constraints, key_column_usage, schemata, sequences, views ...;
    pg_class, pg_namespace, pg_attribute, pg_type, pg_index, pg_constraint,
    pg_attrdef, pg_tables, pg_indexes, pg_depend ...) become subqueries over
    DuckDB's ``duckdb_*()`` functions restricted to the session's own catalog
    -- every instance of every cluster is a catalog of one shared DuckDB,
    whose own views list them all -- spelled as PostgreSQL 16 spells them
    (schema ``public``, ``character varying``, pg_type oids, default constraint
    names). The relation SQL goes in as text (see ``_relation``).
  * the catalog functions ORMs call (``format_type``, ``pg_get_expr``,
    ``pg_get_constraintdef``, ``pg_get_indexdef``, ``to_regclass``,
    ``::regclass``, ``pg_get_serial_sequence`` ...) become scalar subqueries;
    ``version()`` and ``current_database()`` literals; ``current_user`` and
    ``pg_backend_pid()`` session functions; ``current_setting()`` a look-up
    in a per-session settings relation.
  * ``/`` becomes DuckDB's ``//``: integer division on integers (truncating,
    as PostgreSQL does), ordinary division otherwise, 22012 on zero.
  * PostgreSQL syntax sqlglot translates wrongly for DuckDB: casts to
    varchar(n) / char(n) / bare numeric, ``SIMILAR TO``, ``#>`` / ``#>>``,
    ``->`` inside a call (parsed as a lambda), ``@>`` on json,
    ``json_agg`` / ``jsonb_agg`` with ORDER BY, ``format('%s')``,
    ``encode`` / ``decode``, ``every``, ``clock_timestamp()``, int2vector
    subscripts of pg_index.
- PRE_PARSE hooks for what sqlglot cannot parse or the front end must answer:
  ``SET TIME ZONE`` (applied to DuckDB, so timestamptz reads in that zone),
  ``SET ... TO DEFAULT``, ``RESET``, ``DISCARD ALL``, ``SET SESSION
  CHARACTERISTICS``, ``SHOW TRANSACTION ISOLATION LEVEL`` / ``SHOW TIME ZONE``,
  ``SELECT set_config(...)``.

DuckDB keeps no declared length and one VARCHAR / JSON type, so CREATE TABLE
and ALTER TABLE (ADD COLUMN, ALTER COLUMN TYPE) also set a column comment
``aurora_pg:<declared type>`` for varchar(n), varchar, char(n) and jsonb; it is
logged with the DDL, survives RENAME COLUMN, and the catalogs read the type
from it and hide it from col_description(). An uncommented VARCHAR reads back
as ``text``. A bare ``numeric`` is DECIMAL(38,10) (DuckDB's bare DECIMAL is
(18,3) and rounds); the catalogs report that as unconstrained numeric.

Known limits (tests/sql/test_postgres.py shows what is covered):
varchar(n) lengths are reported, not enforced (a CHECK would make DuckDB
refuse ALTER COLUMN TYPE); ``//`` has no interval overload, so an interval
*column* divided by a number fails (interval literals and casts keep ``/``);
numeric division is DuckDB's double, not exact numeric; constraint and index
names are PostgreSQL's defaults (DuckDB drops ``CONSTRAINT name``); a view's
columns read back as text / json; a user's COMMENT ON COLUMN replaces the
declared-type comment; the catalogs list the cluster's own objects and a few
system rows, not all of pg_catalog; SET LOCAL lasts for the session; psql's
backslash commands, ``lastval()``, ``to_char(numeric)``, inet / bit types
and Django's ``get_constraints`` query are not covered. Errors raised from
inside SQL use DuckDB's ``error('[SQLSTATE] message')``, which
dbapi/errors_map.py maps.
"""
from __future__ import annotations

import functools
import itertools
import json
import re
import weakref
from typing import TYPE_CHECKING, Any

import attrs
import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from . import emulation, session_functions
from .params import Placeholders
from .plan import Kind, Plan
from .session_functions import SessionFunction, SessionRelation

if TYPE_CHECKING:
    from .frontend import FrontEnd

# What `SELECT version()` answers on Aurora PostgreSQL 16.4 (Graviton instances).
VERSION = ("PostgreSQL 16.4 on aarch64-unknown-linux-gnu, compiled by aarch64-unknown-linux-gnu-gcc "
           "(GCC) 9.5.0, 64-bit")
PUBLIC_OID, PG_CATALOG_OID, INFORMATION_SCHEMA_OID, PG_TOAST_OID = 2200, 11, 13000, 99

emulation.POSTGRES_SETTINGS.update({
    "server_version_num": "160004",
    "lc_ctype": "C",
    "lc_messages": "C",
    "timezone": "UTC",
    "intervalstyle": "postgres",
    "bytea_output": "hex",
    "extra_float_digits": "1",
    "statement_timeout": "0",
    "lock_timeout": "0",
    "idle_in_transaction_session_timeout": "0",
    "default_transaction_deferrable": "off",
    "row_security": "on",
    "port": "5432",
    "ssl": "on",
    "block_size": "8192",
    "max_identifier_length": "63",
    "default_table_access_method": "heap",
    "default_tablespace": "",
    "synchronous_commit": "on",
    "wal_level": "replica",
})


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
_MARKER = "aurora_pg:"  # column comment that keeps a declared type DuckDB does not (see _type_comments)

# One row per column, with its PostgreSQL type (from the CHECK markers for strings).
_COLUMNS = f"""
SELECT c.table_oid, c.schema_name, c.table_name, c.column_name, c.column_index AS attnum,
       c.is_nullable, c.column_default, c.data_type, c.numeric_precision, c.numeric_scale,
       CASE WHEN starts_with(c.comment, '{_MARKER}') THEN NULL ELSE c.comment END AS comment,
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
    FROM (SELECT table_oid, column_name, substr(comment, {len(_MARKER) + 1}) AS declared FROM duckdb_columns()
          WHERE database_name = current_database() AND starts_with(comment, '{_MARKER}'))
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


@functools.lru_cache(maxsize=16)
def _relation_sql(database: str) -> dict[tuple[str, str], str]:
    """DuckDB SQL of every emulated relation, by (schema, name)."""
    db = "'" + database.replace("'", "''") + "'"
    cons = _CONSTRAINTS
    rels = _RELATIONS.replace("{constraints}", cons)
    cols = _COLUMNS
    nsp = _NSP.format(s="schema_name")
    owner = _OWNER
    key_columns = f"""
SELECT k.*, u.column_name, u.ordinal_position,
       CASE WHEN k.contype = 'f' THEN u.ordinal_position END AS position_in_unique_constraint
FROM ({cons}) k,
     (SELECT unnest(k.constraint_column_names) AS column_name,
             unnest(generate_series(1, len(k.constraint_column_names))) AS ordinal_position) u
WHERE k.contype IN ('p', 'u', 'f')"""
    type_rows = sorted({(udt, oid, typlen, category, array)
                        for _, udt, oid, typlen, category, array in _TYPES.values()})
    pg_type = [(oid, udt, PG_CATALOG_OID, typlen, "b", category, array, 0) for udt, oid, typlen, category, array
               in type_rows]
    pg_type += [(array, "_" + udt, PG_CATALOG_OID, -1, "b", "A", 0, oid) for udt, oid, _, _, array in type_rows]
    pg_type += [(oid, name, PG_CATALOG_OID, typlen, "p" if category == "P" else "b", category, 0, 0)
                for name, oid, typlen, category in _EXTRA_TYPES]
    schemas = f"""
SELECT {_NSPOID.format(s="schema_name", o="oid")} AS oid, {nsp} AS nspname FROM duckdb_schemas()
WHERE database_name = current_database()
UNION ALL SELECT * FROM {_values([(PG_CATALOG_OID, "pg_catalog"), (INFORMATION_SCHEMA_OID, "information_schema"),
                                  (PG_TOAST_OID, "pg_toast")], "s(oid, nspname)")}"""
    sql = {
        # ---- information_schema
        ("information_schema", "tables"): f"""
SELECT {db} AS table_catalog, {nsp} AS table_schema, relname AS table_name,
       CASE relkind WHEN 'v' THEN 'VIEW' WHEN 'r' THEN CASE WHEN "temporary" THEN 'LOCAL TEMPORARY'
            ELSE 'BASE TABLE' END END AS table_type,
       CAST(NULL AS VARCHAR) AS self_referencing_column_name, CAST(NULL AS VARCHAR) AS reference_generation,
       CAST(NULL AS VARCHAR) AS user_defined_type_catalog, CAST(NULL AS VARCHAR) AS user_defined_type_schema,
       CAST(NULL AS VARCHAR) AS user_defined_type_name,
       CASE relkind WHEN 'v' THEN 'NO' ELSE 'YES' END AS is_insertable_into, 'NO' AS is_typed,
       CAST(NULL AS VARCHAR) AS commit_action
FROM ({rels}) WHERE relkind IN ('r', 'v')""",
        ("information_schema", "columns"): f"""
SELECT {db} AS table_catalog, {nsp} AS table_schema, table_name, column_name, attnum AS ordinal_position,
       {_DEFAULT} AS column_default, CASE WHEN is_nullable THEN 'YES' ELSE 'NO' END AS is_nullable,
       CASE WHEN is_array THEN 'ARRAY' ELSE coalesce(pg_type, lower(data_type)) END AS data_type,
       char_length AS character_maximum_length,
       CASE WHEN typoid IN (25, 1043, 1042) AND NOT is_array THEN coalesce(char_length * 4, 1073741824) END
           AS character_octet_length,
       CASE WHEN is_array THEN NULL WHEN typoid = 1700 AND typmod >= 0 THEN numeric_precision
            WHEN typoid = 21 THEN 16 WHEN typoid = 23 THEN 32 WHEN typoid = 20 THEN 64
            WHEN typoid = 700 THEN 24 WHEN typoid = 701 THEN 53 END AS numeric_precision,
       CASE WHEN is_array THEN NULL WHEN typoid IN (21, 23, 20, 700, 701) THEN 2
            WHEN typoid = 1700 THEN 10 END AS numeric_precision_radix,
       CASE WHEN is_array THEN NULL WHEN typoid = 1700 AND typmod >= 0 THEN numeric_scale
            WHEN typoid IN (21, 23, 20) THEN 0 END AS numeric_scale,
       CASE WHEN is_array THEN NULL WHEN typoid = 1082 THEN 0
            WHEN typoid IN (1083, 1266, 1114, 1184, 1186) THEN 6 END AS datetime_precision,
       CAST(NULL AS VARCHAR) AS interval_type, CAST(NULL AS INTEGER) AS interval_precision,
       CAST(NULL AS VARCHAR) AS character_set_catalog, CAST(NULL AS VARCHAR) AS character_set_schema,
       CAST(NULL AS VARCHAR) AS character_set_name, CAST(NULL AS VARCHAR) AS collation_catalog,
       CAST(NULL AS VARCHAR) AS collation_schema, CAST(NULL AS VARCHAR) AS collation_name,
       CAST(NULL AS VARCHAR) AS domain_catalog, CAST(NULL AS VARCHAR) AS domain_schema,
       CAST(NULL AS VARCHAR) AS domain_name, {db} AS udt_catalog, 'pg_catalog' AS udt_schema,
       CASE WHEN is_array THEN '_' || udt ELSE coalesce(udt, lower(data_type)) END AS udt_name,
       CAST(NULL AS VARCHAR) AS scope_catalog, CAST(NULL AS VARCHAR) AS scope_schema,
       CAST(NULL AS VARCHAR) AS scope_name, CAST(NULL AS INTEGER) AS maximum_cardinality,
       CAST(attnum AS VARCHAR) AS dtd_identifier, 'NO' AS is_self_referencing, 'NO' AS is_identity,
       CAST(NULL AS VARCHAR) AS identity_generation, CAST(NULL AS VARCHAR) AS identity_start,
       CAST(NULL AS VARCHAR) AS identity_increment, CAST(NULL AS VARCHAR) AS identity_maximum,
       CAST(NULL AS VARCHAR) AS identity_minimum, 'NO' AS identity_cycle,
       CASE WHEN is_generated THEN 'ALWAYS' ELSE 'NEVER' END AS is_generated, generation_expression,
       'YES' AS is_updatable
FROM ({cols})""",
        ("information_schema", "table_constraints"): f"""
SELECT {db} AS constraint_catalog, {nsp} AS constraint_schema, conname AS constraint_name,
       {db} AS table_catalog, {nsp} AS table_schema, table_name,
       CASE contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE' WHEN 'f' THEN 'FOREIGN KEY'
            ELSE 'CHECK' END AS constraint_type,
       'NO' AS is_deferrable, 'NO' AS initially_deferred, 'YES' AS enforced,
       CASE WHEN contype IN ('p', 'u') THEN 'YES' END AS nulls_distinct
FROM ({cons})
UNION ALL
SELECT {db}, {nsp}, '2200_' || table_oid || '_' || (constraint_column_indexes[1] + 1) || '_not_null',
       {db}, {nsp}, table_name, 'CHECK', 'NO', 'NO', 'YES', NULL
FROM (SELECT * FROM duckdb_constraints()) WHERE database_name = current_database() AND constraint_type = 'NOT NULL'""",
        ("information_schema", "key_column_usage"): f"""
SELECT {db} AS constraint_catalog, {nsp} AS constraint_schema, conname AS constraint_name,
       {db} AS table_catalog, {nsp} AS table_schema, table_name, column_name,
       CAST(ordinal_position AS INTEGER) AS ordinal_position,
       CAST(position_in_unique_constraint AS INTEGER) AS position_in_unique_constraint
FROM ({key_columns})""",
        ("information_schema", "referential_constraints"): f"""
SELECT {db} AS constraint_catalog, {nsp} AS constraint_schema, k.conname AS constraint_name,
       {db} AS unique_constraint_catalog, {nsp} AS unique_constraint_schema,
       k.referenced_table || '_pkey' AS unique_constraint_name, 'NONE' AS match_option,
       'NO ACTION' AS update_rule, 'NO ACTION' AS delete_rule
FROM ({cons}) k WHERE k.contype = 'f'""",
        ("information_schema", "constraint_column_usage"): f"""
SELECT {db} AS table_catalog, {nsp} AS table_schema,
       CASE WHEN contype = 'f' THEN referenced_table ELSE table_name END AS table_name, u.column_name,
       {db} AS constraint_catalog, {nsp} AS constraint_schema, conname AS constraint_name
FROM ({cons}) k,
     (SELECT unnest(CASE WHEN k.contype = 'f' THEN k.referenced_column_names
                         ELSE k.constraint_column_names END) AS column_name) u""",
        ("information_schema", "check_constraints"): f"""
SELECT {db} AS constraint_catalog, {nsp} AS constraint_schema, conname AS constraint_name,
       expression AS check_clause
FROM ({cons}) WHERE contype = 'c'""",
        ("information_schema", "schemata"): f"""
SELECT {db} AS catalog_name, nspname AS schema_name, {owner} AS schema_owner,
       CAST(NULL AS VARCHAR) AS default_character_set_catalog, CAST(NULL AS VARCHAR) AS default_character_set_schema,
       CAST(NULL AS VARCHAR) AS default_character_set_name, CAST(NULL AS VARCHAR) AS sql_path
FROM ({schemas})""",
        ("information_schema", "sequences"): f"""
SELECT {db} AS sequence_catalog, {_NSP.format(s="s.schema_name")} AS sequence_schema, s.sequence_name,
       CASE WHEN o.typoid = 23 THEN 'integer' WHEN o.typoid = 21 THEN 'smallint' ELSE 'bigint' END AS data_type,
       CASE WHEN o.typoid = 23 THEN 32 WHEN o.typoid = 21 THEN 16 ELSE 64 END AS numeric_precision,
       2 AS numeric_precision_radix, 0 AS numeric_scale, CAST(s.start_value AS VARCHAR) AS start_value,
       CAST(s.min_value AS VARCHAR) AS minimum_value,
       CAST(CASE WHEN o.typoid = 23 THEN least(s.max_value, 2147483647)
                 WHEN o.typoid = 21 THEN least(s.max_value, 32767) ELSE s.max_value END AS VARCHAR) AS maximum_value,
       CAST(s.increment_by AS VARCHAR) AS increment, CASE WHEN s."cycle" THEN 'YES' ELSE 'NO' END AS cycle_option
FROM duckdb_sequences() s
LEFT JOIN (SELECT * FROM ({cols})
           WHERE regexp_matches(column_default, '^nextval\\(''(main\\.)?[^'']+''\\)$')) o
  ON regexp_extract(o.column_default, '^nextval\\(''(main\\.)?([^'']+)''\\)$', 2) = s.sequence_name
 AND o.schema_name = s.schema_name
WHERE s.database_name = current_database()""",
        ("information_schema", "views"): f"""
SELECT {db} AS table_catalog, {nsp} AS table_schema, relname AS table_name, sql AS view_definition,
       'NONE' AS check_option, 'NO' AS is_updatable, 'NO' AS is_insertable_into,
       'NO' AS is_trigger_updatable, 'NO' AS is_trigger_deletable, 'NO' AS is_trigger_insertable_into
FROM ({rels}) WHERE relkind = 'v'""",
        # ---- pg_catalog
        ("pg_catalog", "pg_namespace"): f"""
SELECT oid, nspname, 10 AS nspowner, CAST(NULL AS VARCHAR[]) AS nspacl FROM ({schemas})""",
        ("pg_catalog", "pg_class"): f"""
SELECT oid, relname, {_NSPOID.format(s="schema_name", o="schema_oid")} AS relnamespace, 0 AS reltype,
       0 AS reloftype, 10 AS relowner, CASE relkind WHEN 'r' THEN 2 WHEN 'i' THEN 403 ELSE 0 END AS relam,
       oid AS relfilenode, 0 AS reltablespace, 0 AS relpages, reltuples, 0 AS relallvisible,
       0 AS reltoastrelid, relhasindex, false AS relisshared,
       CASE WHEN "temporary" THEN 't' ELSE 'p' END AS relpersistence, relkind,
       CAST(relnatts AS SMALLINT) AS relnatts, CAST(relchecks AS SMALLINT) AS relchecks,
       false AS relhasrules, false AS relhastriggers, false AS relhassubclass, false AS relrowsecurity,
       false AS relforcerowsecurity, true AS relispopulated, 'd' AS relreplident, false AS relispartition,
       0 AS relrewrite, 0 AS relfrozenxid, 0 AS relminmxid, CAST(NULL AS VARCHAR[]) AS relacl,
       CAST(NULL AS VARCHAR[]) AS reloptions, CAST(NULL AS VARCHAR) AS relpartbound
FROM ({rels})""",
        ("pg_catalog", "pg_attribute"): f"""
SELECT table_oid AS attrelid, column_name AS attname,
       CASE WHEN is_array THEN array_oid ELSE coalesce(typoid, 25) END AS atttypid,
       CAST(attnum AS SMALLINT) AS attnum, CAST(CASE WHEN is_array THEN -1 ELSE typlen END AS SMALLINT) AS attlen,
       -1 AS attcacheoff,
       typmod AS atttypmod, CAST(CASE WHEN is_array THEN 1 ELSE 0 END AS SMALLINT) AS attndims,
       typlen > 0 AND NOT is_array AS attbyval, 'x' AS attalign, 'x' AS attstorage, '' AS attcompression,
       NOT is_nullable AS attnotnull, column_default IS NOT NULL AS atthasdef, false AS atthasmissing,
       '' AS attidentity, CASE WHEN is_generated THEN 's' ELSE '' END AS attgenerated,
       false AS attisdropped, true AS attislocal, 0 AS attinhcount, -1 AS attstattarget,
       CASE WHEN typoid IN (25, 1043, 1042) THEN 100 ELSE 0 END AS attcollation,
       CAST(NULL AS VARCHAR[]) AS attacl, CAST(NULL AS VARCHAR[]) AS attoptions,
       CAST(NULL AS VARCHAR[]) AS attfdwoptions, CAST(NULL AS VARCHAR) AS attmissingval
FROM ({cols})""",
        ("pg_catalog", "pg_attrdef"): f"""
SELECT 12884901888 + table_oid * 1000 + attnum AS oid, table_oid AS adrelid, CAST(attnum AS SMALLINT) AS adnum,
       {_DEFAULT} AS adbin
FROM ({cols}) WHERE column_default IS NOT NULL""",
        ("pg_catalog", "pg_type"): f"""
SELECT oid, typname, typnamespace, CAST(typlen AS SMALLINT) AS typlen, typlen > 0 AS typbyval, typtype,
       typcategory, false AS typispreferred, true AS typisdefined, ',' AS typdelim, 0 AS typrelid,
       typelem, typarray, 10 AS typowner, 'x' AS typalign, 'x' AS typstorage, false AS typnotnull,
       0 AS typbasetype, -1 AS typtypmod, 0 AS typndims,
       CASE WHEN oid IN (25, 1043, 1042) THEN 100 ELSE 0 END AS typcollation,
       CAST(NULL AS VARCHAR) AS typdefault, CAST(NULL AS VARCHAR[]) AS typacl
FROM {_values(pg_type, "t(oid, typname, typnamespace, typlen, typtype, typcategory, typarray, typelem)")}""",
        ("pg_catalog", "pg_constraint"): f"""
SELECT oid, conname, {_NSPOID.format(s="schema_name", o="schema_oid")} AS connamespace, contype,
       false AS condeferrable, false AS condeferred, true AS convalidated, table_oid AS conrelid,
       0 AS contypid, index_oid AS conindid, 0 AS conparentid, coalesce(confrelid, 0) AS confrelid,
       CASE WHEN contype = 'f' THEN 'a' ELSE ' ' END AS confupdtype,
       CASE WHEN contype = 'f' THEN 'a' ELSE ' ' END AS confdeltype,
       CASE WHEN contype = 'f' THEN 's' ELSE ' ' END AS confmatchtype, true AS conislocal, 0 AS coninhcount,
       false AS connoinherit,
       list_transform(constraint_column_indexes, lambda i: CAST(i + 1 AS SMALLINT)) AS conkey,
       CASE WHEN contype = 'f' THEN
           (SELECT list(CAST(rc.column_index AS SMALLINT) ORDER BY list_position(referenced_column_names, rc.column_name))
            FROM duckdb_columns() rc
            WHERE rc.table_oid = confrelid AND list_contains(referenced_column_names, rc.column_name)) END AS confkey,
       CASE WHEN contype = 'c' THEN expression END AS conbin
FROM ({cons})""",
        ("pg_catalog", "pg_index"): f"""
SELECT index_oid AS indexrelid, table_oid AS indrelid, CAST(len(constraint_column_indexes) AS SMALLINT) AS indnatts,
       CAST(len(constraint_column_indexes) AS SMALLINT) AS indnkeyatts, true AS indisunique,
       contype = 'p' AS indisprimary, false AS indisexclusion, true AS indimmediate, false AS indisclustered,
       true AS indisvalid, false AS indcheckxmin, true AS indisready, true AS indislive, false AS indisreplident,
       list_transform(constraint_column_indexes, lambda i: CAST(i + 1 AS SMALLINT)) AS indkey,
       list_transform(constraint_column_indexes, lambda i: CAST(0 AS SMALLINT)) AS indoption,
       list_transform(constraint_column_indexes, lambda i: CAST(0 AS BIGINT)) AS indclass,
       list_transform(constraint_column_indexes, lambda i: CAST(0 AS BIGINT)) AS indcollation,
       CAST(NULL AS VARCHAR) AS indexprs, CAST(NULL AS VARCHAR) AS indpred, false AS indnullsnotdistinct
FROM ({cons}) WHERE contype IN ('p', 'u')
UNION ALL
SELECT i.index_oid, i.table_oid, CAST(len(i.cols) AS SMALLINT), CAST(len(i.cols) AS SMALLINT), i.is_unique,
       i.is_primary, false, true, false, true, false, true, true, false,
       (SELECT list(CAST(coalesce(c.column_index, 0) AS SMALLINT) ORDER BY u.pos)
        FROM (SELECT unnest(i.cols) AS name, unnest(generate_series(1, len(i.cols))) AS pos) u
        LEFT JOIN duckdb_columns() c ON c.table_oid = i.table_oid AND c.column_name = u.name),
       list_transform(i.cols, lambda n: CAST(0 AS SMALLINT)), list_transform(i.cols, lambda n: CAST(0 AS BIGINT)),
       list_transform(i.cols, lambda n: CAST(0 AS BIGINT)), NULL, NULL, false
FROM (SELECT *, string_split(trim(expressions, '[]'), ', ') AS cols FROM duckdb_indexes()
      WHERE database_name = current_database()) i""",
        ("pg_catalog", "pg_tables"): f"""
SELECT {nsp} AS schemaname, relname AS tablename, {owner} AS tableowner, CAST(NULL AS VARCHAR) AS tablespace,
       relhasindex AS hasindexes, false AS hasrules, false AS hastriggers, false AS rowsecurity
FROM ({rels}) WHERE relkind = 'r'""",
        ("pg_catalog", "pg_views"): f"""
SELECT {nsp} AS schemaname, relname AS viewname, {owner} AS viewowner, sql AS definition
FROM ({rels}) WHERE relkind = 'v'""",
        ("pg_catalog", "pg_indexes"): f"""
SELECT {nsp} AS schemaname, table_name AS tablename, index_name AS indexname,
       CAST(NULL AS VARCHAR) AS tablespace, sql AS indexdef
FROM duckdb_indexes() WHERE database_name = current_database()
UNION ALL
SELECT {nsp}, table_name, conname, NULL,
       'CREATE UNIQUE INDEX ' || conname || ' ON ' || {nsp} || '.' || table_name || ' USING btree (' || cols || ')'
FROM ({cons}) WHERE contype IN ('p', 'u')""",
        ("pg_catalog", "pg_sequence"): """
SELECT sequence_oid AS seqrelid, 20 AS seqtypid, start_value AS seqstart, increment_by AS seqincrement,
       max_value AS seqmax, min_value AS seqmin, 1 AS seqcache, "cycle" AS seqcycle
FROM duckdb_sequences() WHERE database_name = current_database()""",
        ("pg_catalog", "pg_sequences"): f"""
SELECT {nsp} AS schemaname, sequence_name AS sequencename, {owner} AS sequenceowner, 'bigint' AS data_type,
       start_value, min_value, max_value, increment_by, "cycle", 1 AS cache_size, last_value
FROM duckdb_sequences() WHERE database_name = current_database()""",
        ("pg_catalog", "pg_depend"): f"""
SELECT 1259 AS classid, s.sequence_oid AS objid, 0 AS objsubid, 1259 AS refclassid, o.table_oid AS refobjid,
       o.attnum AS refobjsubid, 'a' AS deptype
FROM duckdb_sequences() s
JOIN (SELECT * FROM ({cols}) WHERE regexp_matches(column_default, '^nextval\\(''(main\\.)?[^'']+''\\)$')) o
  ON regexp_extract(o.column_default, '^nextval\\(''(main\\.)?([^'']+)''\\)$', 2) = s.sequence_name
 AND o.schema_name = s.schema_name
WHERE s.database_name = current_database()""",
        ("pg_catalog", "pg_description"): f"""
SELECT oid AS objoid, 1259 AS classoid, 0 AS objsubid, comment AS description
FROM ({rels}) WHERE comment IS NOT NULL
UNION ALL
SELECT table_oid, 1259, attnum, comment FROM ({cols}) WHERE comment IS NOT NULL""",
        ("pg_catalog", "pg_database"): f"""
SELECT * FROM {_values([(16401, database, 10, 6, "c", False, True, -1, 1663, "C", "C"),
                         (1, "template1", 10, 6, "c", True, True, -1, 1663, "C", "C"),
                         (4, "template0", 10, 6, "c", True, False, -1, 1663, "C", "C")],
                        "d(oid, datname, datdba, encoding, datlocprovider, datistemplate, datallowconn, "
                        "datconnlimit, dattablespace, datcollate, datctype)")}""",
        ("pg_catalog", "pg_roles"): f"""
SELECT {owner} AS rolname, true AS rolsuper, true AS rolinherit, true AS rolcreaterole, true AS rolcreatedb,
       true AS rolcanlogin, false AS rolreplication, -1 AS rolconnlimit, '********' AS rolpassword,
       CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS rolvaliduntil, false AS rolbypassrls,
       CAST(NULL AS VARCHAR[]) AS rolconfig, 10 AS oid""",
    }
    sql[("pg_catalog", "pg_collation")] = "SELECT * FROM " + _values(
        [(100, "default", PG_CATALOG_OID, 10, "d", True, -1, None, None),
         (950, "C", PG_CATALOG_OID, 10, "c", True, -1, "C", "C"),
         (951, "POSIX", PG_CATALOG_OID, 10, "c", True, -1, "POSIX", "POSIX")],
        "c(oid, collname, collnamespace, collowner, collprovider, collisdeterministic, collencoding, "
        "collcollate, collctype)")
    sql[("pg_catalog", "pg_am")] = "SELECT * FROM " + _values(
        [(2, "heap", "heap_tableam_handler", "t"), (403, "btree", "bthandler", "i"),
         (405, "hash", "hashhandler", "i")], "a(oid, amname, amhandler, amtype)")
    sql[("pg_catalog", "pg_opclass")] = """
SELECT * FROM (VALUES (1978, 403, 'int4_ops', 11, 10, 1976, 23, true, 0)) AS o(oid, opcmethod, opcname,
    opcnamespace, opcowner, opcfamily, opcintype, opcdefault, opckeytype) WHERE false"""
    sql[("pg_catalog", "pg_tablespace")] = "SELECT * FROM " + _values(
        [(1663, "pg_default", 10, None, None), (1664, "pg_global", 10, None, None)],
        "t(oid, spcname, spcowner, spcacl, spcoptions)")
    sql[("pg_catalog", "pg_inherits")] = """
SELECT * FROM (VALUES (0, 0, 0, false)) AS i(inhrelid, inhparent, inhseqno, inhdetachpending) WHERE false"""
    sql[("pg_catalog", "pg_user")] = f"""
SELECT {owner} AS usename, 10 AS usesysid, true AS usecreatedb, true AS usesuper, false AS userepl,
       false AS usebypassrls, '********' AS passwd, CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS valuntil,
       CAST(NULL AS VARCHAR[]) AS useconfig"""
    # Internal relations the function rewrites read.
    sql[(_INTERNAL, "relations")] = f"""
SELECT oid, relname, {nsp} AS nspname, relkind FROM ({rels})
UNION ALL SELECT * FROM {_values([(oid, name, "pg_catalog", "r") for name, oid in _SYSTEM_RELATIONS.items()],
                                 "s(oid, relname, nspname, relkind)")}"""
    sql[(_INTERNAL, "constraints")] = cons
    sql[(_INTERNAL, "index_elements")] = f"""
SELECT k.index_oid AS oid, u.ord, u.element
FROM ({cons}) k,
     (SELECT unnest(k.constraint_column_names) AS element,
             unnest(generate_series(1, len(k.constraint_column_names))) AS ord) u
WHERE k.contype IN ('p', 'u')
UNION ALL
SELECT i.index_oid, u.ord,
       regexp_replace(regexp_replace(u.element, '^''(.*)''$', '\\1'), '^\\((\\(.*\\))\\)$', '\\1')
FROM (SELECT index_oid, string_split(trim(expressions, '[]'), ', ') AS cols FROM duckdb_indexes()
      WHERE database_name = current_database()) i,
     (SELECT unnest(i.cols) AS element, unnest(generate_series(1, len(i.cols))) AS ord) u"""
    sql[(_INTERNAL, "columns")] = cols
    sql[(_INTERNAL, "formats")] = f"SELECT * FROM {_values(sorted(_FORMAT.items()), 'f(oid, name)')}"
    sql[(_INTERNAL, "duck_types")] = "SELECT * FROM " + _values(
        [(duck, info[0]) for duck, info in _TYPES.items() if ":" not in duck], "d(duck, name)")
    return sql


def _relation(database: str, schema: str, name: str) -> exp.Expression | None:
    """An emulated relation as a subquery, or None.

    The relation's DuckDB SQL goes in as text (an exp.Var): parsing, copying and printing
    these large trees made planning an introspection query cost a quarter of a second.
    A relation that shows the owner reads the current-user session function through its
    variable, so a small parsed wrapper calls the function for the front end to see.
    """
    text = _relation_sql(database).get((schema, name))
    if text is None:
        return None
    raw = exp.Subquery(this=exp.Var(this=text.strip()), alias=exp.TableAlias(this=exp.to_identifier("r")))
    select = exp.select("*").from_(raw)
    if _OWNER in text:
        select = select.where(exp.Not(this=exp.Is(
            this=exp.Anonymous(this="aurora_pg_current_user", expressions=[]), expression=exp.Null())))
    return select


_PG_CATALOG = frozenset(n for s, n in _relation_sql("postgres") if s == "pg_catalog")


# ---------------------------------------------------------------- templates
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


# ---------------------------------------------------------------- the transform
_CURRENT_USER = {"current_user", "session_user", "user", "current_role", "getpgusername", "pg_get_userbyid"}
_TRUE = {"pg_table_is_visible", "pg_type_is_visible", "pg_function_is_visible", "pg_collation_is_visible",
         "pg_opclass_is_visible", "has_table_privilege", "has_schema_privilege", "has_database_privilege",
         "has_column_privilege", "has_sequence_privilege", "pg_has_role"}
_RENAMES = {"every": "bool_and", "jsonb_build_object": "json_object", "json_build_object": "json_object",
            "jsonb_build_array": "json_array", "json_build_array": "json_array", "to_jsonb": "to_json",
            "jsonb_object_agg": "json_group_object", "json_object_agg": "json_group_object",
            "jsonb_array_length": "json_array_length", "jsonb_pretty": "json_pretty"}
_NOW = {"clock_timestamp", "statement_timestamp", "transaction_timestamp"}
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


def _catalog_tables(front: FrontEnd, statement: exp.Expression) -> None:
    """Replace references to emulated catalog relations with subqueries over the session's catalog."""
    for table in list(statement.find_all(exp.Table)):
        if not isinstance(table.parent, (exp.From, exp.Join)) or not isinstance(table.this, exp.Identifier):
            continue
        schema, name = table.db.lower(), table.name.lower()
        catalog = table.catalog.lower()
        if catalog and catalog != front.database.lower():
            continue
        if not schema and name in _PG_CATALOG:
            schema = "pg_catalog"
        select = _relation(front.database, schema, name) if schema in (
            "pg_catalog", "information_schema", _INTERNAL) else None
        if select is None:
            continue
        alias = table.args.get("alias")
        if alias is None:
            alias = exp.TableAlias(this=exp.to_identifier(name))
            if table.db:
                _unqualify_columns(statement, table.db, name)
        table.replace(exp.Subquery(this=select, alias=alias.copy()))


def _unqualify_columns(statement: exp.Expression, schema: str, name: str) -> None:
    for column in statement.find_all(exp.Column):
        if column.table.lower() == name and column.db.lower() == schema.lower():
            column.set("db", None)
            column.set("catalog", None)


def _declared(kind: exp.DataType) -> str | None:
    """The PostgreSQL spelling of a declared type DuckDB would not keep (varchar(n), char(n), jsonb)."""
    param = kind.expressions[0] if kind.expressions else None
    length = (param.this if isinstance(param, exp.DataTypeParam) else param) if param is not None else None
    if kind.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR):
        return f"character varying({length.name})" if length is not None else "character varying"
    if kind.this in (exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR):
        return f"character({length.name if length is not None else 1})"
    if kind.this == exp.DataType.Type.JSONB:
        return "jsonb"
    return None


def _type_comments(statement: exp.Expression) -> list[str]:
    """COMMENT ON COLUMN statements that record the declared types of a CREATE / ALTER TABLE.

    DuckDB keeps one VARCHAR and one JSON type. A column comment survives ALTER TYPE and
    RENAME COLUMN (a CHECK constraint would forbid ALTER TYPE), so the comment holds the
    PostgreSQL type; an ALTER to another type clears it. A user's own COMMENT ON COLUMN
    replaces it (the column then reads back as text / json).
    """
    if isinstance(statement, exp.Create) and isinstance(statement.this, exp.Schema):
        table = statement.this.this
        changes = [(c.this, c.args.get("kind")) for c in statement.this.expressions if isinstance(c, exp.ColumnDef)]
    elif isinstance(statement, exp.Alter) and isinstance(statement.this, exp.Table):
        table = statement.this
        changes = [(a.this, a.args.get("kind")) for a in statement.args.get("actions") or []
                   if isinstance(a, exp.ColumnDef)]
        changes += [(a.this, a.args.get("dtype")) for a in statement.args.get("actions") or []
                    if isinstance(a, exp.AlterColumn) and a.args.get("dtype") is not None]
    else:
        return []
    if not isinstance(table, exp.Table):
        return []
    schema = table.db if table.db and table.db.lower() != "public" else "main"
    comments = []
    for column, kind in changes:
        declared = _declared(kind) if isinstance(kind, exp.DataType) else None
        if declared is None and isinstance(statement, exp.Create):
            continue
        target = exp.column(column.copy(), table=table.this.copy(), db=exp.to_identifier(schema))
        text = exp.Literal.string(_MARKER + declared) if declared else exp.Null()
        comments.append(f"COMMENT ON COLUMN {target.sql(dialect='duckdb')} IS {text.sql(dialect='duckdb')}")
    return comments


_TABLE_DDL = re.compile(r"^\s*(?:CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE|"
                        r"ALTER\s+TABLE)\b", re.IGNORECASE)


def _table_ddl_plan(front: FrontEnd, text: str, placeholders: Placeholders) -> Plan | None:
    """CREATE / ALTER TABLE planned as usual, followed by the comments that keep declared types.

    Only single-statement texts: a script sent in one execute plans as usual (its
    varchar columns then read back as text).
    """
    try:
        statements = [s for s in sqlglot.parse(text, read="postgres") if s is not None]
    except sqlglot.errors.SqlglotError:
        return None  # the front end reports the syntax error
    if len(statements) != 1:
        return None
    comments = _type_comments(statements[0])
    if not comments:
        return None
    plan = front._statement_plan(statements[0], placeholders)
    if plan.kind is not Kind.DDL:
        return plan
    # Logged with the DDL (the statements replay as one text), so rebuilt instances keep them.
    return attrs.evolve(plan, sql="; ".join([plan.sql, *comments]))


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


# ---------------------------------------------------------------- session functions and relations
SETTINGS_RELATION = "__aurora_pg_session_settings"
_PIDS: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_NEXT_PID = itertools.count(8400)


def _setting(session: Any, name: str) -> str | None:
    key = name.lower()
    if key in session.settings:
        return session.settings[key]
    return emulation.POSTGRES_SETTINGS.get(key)


def _settings_table(session: Any) -> pa.Table:
    merged = {**emulation.POSTGRES_SETTINGS, **session.settings}
    return pa.table({"name": list(merged), "setting": [str(v) for v in merged.values()]})


def _backend_pid(session: Any) -> Any:
    pid = _PIDS.setdefault(session, next(_NEXT_PID))
    return lambda: pid


def _current_user(session: Any) -> Any:
    cluster = getattr(session.instance, "cluster", None)
    return lambda: getattr(cluster, "master_user", None) or "postgres"


session_functions.register(SessionFunction("aurora_pg_backend_pid", (), "INTEGER", _backend_pid))
_CURRENT_USER_FUNCTION = SessionFunction("aurora_pg_current_user", (), "VARCHAR", _current_user)
assert f"'{_CURRENT_USER_FUNCTION.variable}'" in _OWNER
session_functions.register(_CURRENT_USER_FUNCTION)
session_functions.register_relation(SessionRelation(SETTINGS_RELATION, _settings_table))


# ---------------------------------------------------------------- statements sqlglot cannot parse
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


emulation.PRE_PARSE["postgres"].append(_pre_parse)
emulation.TRANSFORMS["postgres"].append(transform)
