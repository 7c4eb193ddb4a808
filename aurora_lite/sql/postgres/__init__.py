"""PostgreSQL emulation: the catalogs, functions and syntax Aurora PostgreSQL clients rely on.

Importing this package registers, for the ``postgres`` dialect (see emulation.py):

==================  ================================================================================
module              registers
==================  ================================================================================
pre_parse.py        PRE_PARSE: ``SET TIME ZONE``, ``RESET``, ``DISCARD``, ``SHOW TIME ZONE``, set_config()
declared_types.py   (through pre_parse.py) CREATE / ALTER TABLE, recording types DuckDB forgets
rewrite.py          TRANSFORM: ``/`` as ``//``, casts, JSON operators ... sqlglot gets wrong for DuckDB
functions.py        TRANSFORM part: catalog functions ORMs call, version(), current_setting() ...
catalog_views.py    TRANSFORM part: information_schema / pg_catalog relations over the session's catalog
catalog_sources.py  (read by catalog_views.py) oids, the type table, the base DuckDB queries
server.py           session functions and relation: pg_backend_pid(), current_user, settings
pg_dump.py          PRE_PARSE + TRANSFORM part: what pg_dump writes (OWNER TO, ONLY, sequence AS / CACHE)
==================  ================================================================================

Known limits (tests/sql/test_postgres.py shows what is covered):
varchar(n) / char(n) lengths are checked on written rows by
engine/declared_lengths.py (a CHECK would make DuckDB refuse ALTER COLUMN
TYPE), and an excess of spaces is kept rather than truncated; ``//`` has no interval overload, so an interval
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

from .. import emulation, session_functions
from .catalog_sources import (
    INFORMATION_SCHEMA_OID,
    PG_CATALOG_OID,
    PG_TOAST_OID,
    PUBLIC_OID,
)
from . import pg_dump
from .pre_parse import _pre_parse
from .rewrite import transform
from .server import DEFAULT_SETTINGS, FUNCTIONS, RELATIONS, SETTINGS_RELATION, VERSION

__all__ = ["INFORMATION_SCHEMA_OID", "PG_CATALOG_OID", "PG_TOAST_OID", "PUBLIC_OID", "SETTINGS_RELATION",
           "VERSION", "register", "transform"]


def register() -> None:
    """Add the PostgreSQL settings, session functions and hooks to the front end's registries (idempotent)."""
    emulation.POSTGRES_SETTINGS.update(DEFAULT_SETTINGS)
    for function in FUNCTIONS:
        session_functions.register(function)
    for relation in RELATIONS:
        session_functions.register_relation(relation)
    for hook in (pg_dump.pre_parse, _pre_parse):
        if hook not in emulation.PRE_PARSE["postgres"]:
            emulation.PRE_PARSE["postgres"].append(hook)
    for rewrite in (pg_dump.transform, transform):
        if rewrite not in emulation.TRANSFORMS["postgres"]:
            emulation.TRANSFORMS["postgres"].append(rewrite)


register()
