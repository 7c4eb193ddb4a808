"""The information_schema and pg_catalog relations, as subqueries over the session's catalog.

The TRANSFORM's last pass (``_catalog_tables``) replaces each reference to an
``information_schema.*`` or ``pg_catalog.*`` relation (tables, columns,
table_constraints, key_column_usage, schemata, sequences, views ...; pg_class,
pg_namespace, pg_attribute, pg_type, pg_index, pg_constraint, pg_attrdef,
pg_tables, pg_indexes, pg_depend ...) and of the internal relations the
function rewrites read by a subquery over DuckDB's ``duckdb_*()`` functions
restricted to the session's own catalog -- every instance of every cluster is
a catalog of one shared DuckDB, whose own views list them all -- spelled as
PostgreSQL 16 spells them (schema ``public``, ``character varying``, pg_type
oids, default constraint names). The relation SQL goes in as text (see
``_relation``).
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from sqlglot import exp

from .catalog_sources import (
    _COLUMNS,
    _CONSTRAINTS,
    _DEFAULT,
    _EXTRA_TYPES,
    _FORMAT,
    _INTERNAL,
    _NSP,
    _NSPOID,
    _OWNER,
    _RELATIONS,
    _SYSTEM_RELATIONS,
    _TYPES,
    INFORMATION_SCHEMA_OID,
    PG_CATALOG_OID,
    PG_TOAST_OID,
    _values,
)

if TYPE_CHECKING:
    from ..frontend import FrontEnd


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
