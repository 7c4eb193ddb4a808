"""Aurora's own SQL surface: the functions and views topology-aware clients query.

aurora-postgresql: aurora_version(), aurora_db_instance_identifier(),
pg_is_in_recovery(), aurora_replica_status() and the pg_settings row
``rds.extensions``; aurora-mysql: information_schema.replica_host_status.
Column names and types follow the Aurora User Guide; the AWS Advanced
Python Wrapper's topology queries (AURORA.md) run as sent, including
PostgreSQL's ``OPERATOR(pg_catalog.=)`` spelling.
"""
from __future__ import annotations

import datetime
import uuid
from typing import Any

import pyarrow as pa
from sqlglot import exp

from . import emulation
from .session_functions import SessionFunction, SessionRelation, register, register_relation

AURORA_POSTGRES_VERSION = "16.4.1"
REPLICA_STATUS = "__aurora_replica_status"
REPLICA_HOST_STATUS = "__aurora_replica_host_status"
PG_SETTINGS = "__aurora_pg_settings"
MASTER_SESSION_ID = "MASTER_SESSION_ID"
RDS_EXTENSIONS = "aurora_stat_utils,pg_stat_statements,pgcrypto,plpgsql"

_BINARY = {"=": exp.EQ, "<>": exp.NEQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT,
           ">=": exp.GTE, "+": exp.Add, "-": exp.Sub, "*": exp.Mul, "/": exp.Div, "~~": exp.Like}


def _members(session: Any) -> list[Any]:
    cluster = session.instance.cluster
    return cluster.instances if cluster is not None else [session.instance]


def _session_id(instance: Any) -> str:
    if instance.role == "writer":
        return MASTER_SESSION_ID
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aurora-lite:{instance.identifier}"))


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _replica_status(session: Any) -> pa.Table:
    volume = session.instance.volume
    rows = []
    for member in _members(session):
        if member.status != "available":
            continue
        reader = member.role == "reader"
        rows.append({
            "server_id": member.identifier,
            "session_id": _session_id(member),
            "durable_lsn": volume.vdl,
            "highest_lsn_rcvd": volume.vdl if reader else None,
            "current_read_lsn": member.applied_lsn,
            "cur_replay_latency_in_usec": int(member.replica_lag * 1e6) if reader else None,
            "active_txns": member.connections,
            "is_current": member is session.instance,
            "last_transport_error": 0,
            "last_error_timestamp": None,
            "last_update_timestamp": _now(),
            "feedback_xmin": None,
            "feedback_epoch": None,
            "replica_lag_in_msec": member.replica_lag * 1000.0 if reader else None,
            "log_stream_speed_in_kib_per_second": None,
            "log_buffer_sequence_number": volume.last_lsn,
            "oldest_read_view_trx_id": None,
            "oldest_read_view_lsn": member.applied_lsn,
            "pending_read_ios": 0,
            "read_ios": 0,
            "iops": 0,
            "cpu": 0.0,
        })
    return pa.Table.from_pylist(rows, schema=_REPLICA_STATUS_SCHEMA)


_TS = pa.timestamp("us", tz="UTC")
_REPLICA_STATUS_SCHEMA = pa.schema([
    ("server_id", pa.string()), ("session_id", pa.string()), ("durable_lsn", pa.int64()),
    ("highest_lsn_rcvd", pa.int64()), ("current_read_lsn", pa.int64()),
    ("cur_replay_latency_in_usec", pa.int64()), ("active_txns", pa.int64()), ("is_current", pa.bool_()),
    ("last_transport_error", pa.int32()), ("last_error_timestamp", _TS), ("last_update_timestamp", _TS),
    ("feedback_xmin", pa.int64()), ("feedback_epoch", pa.int32()), ("replica_lag_in_msec", pa.float32()),
    ("log_stream_speed_in_kib_per_second", pa.float32()), ("log_buffer_sequence_number", pa.int64()),
    ("oldest_read_view_trx_id", pa.int64()), ("oldest_read_view_lsn", pa.int64()),
    ("pending_read_ios", pa.int64()), ("read_ios", pa.int64()), ("iops", pa.int64()), ("cpu", pa.float32()),
])


def _replica_host_status(session: Any) -> pa.Table:
    rows = []
    for member in _members(session):
        if member.status != "available":
            continue
        rows.append({
            "SERVER_ID": member.identifier,
            "SESSION_ID": _session_id(member),
            "CPU": 0.0,
            "IS_CURRENT": 1 if member is session.instance else 0,
            "LAST_UPDATE_TIMESTAMP": _now().replace(tzinfo=None),
            "REPLICA_LAG_IN_MILLISECONDS": member.replica_lag * 1000.0 if member.role == "reader" else 0.0,
        })
    schema = pa.schema([("SERVER_ID", pa.string()), ("SESSION_ID", pa.string()), ("CPU", pa.float64()),
                        ("IS_CURRENT", pa.int8()), ("LAST_UPDATE_TIMESTAMP", pa.timestamp("us")),
                        ("REPLICA_LAG_IN_MILLISECONDS", pa.float64())])
    return pa.Table.from_pylist(rows, schema=schema)


def _pg_settings(session: Any) -> pa.Table:
    merged = {**emulation.POSTGRES_SETTINGS, **session.settings, "rds.extensions": RDS_EXTENSIONS}
    names = sorted(merged)
    return pa.table({"name": names, "setting": [str(merged[n]) for n in names],
                     "unit": pa.nulls(len(names), pa.string()), "category": ["" for _ in names],
                     "short_desc": ["" for _ in names], "context": ["user" for _ in names],
                     "vartype": ["string" for _ in names], "source": ["default" for _ in names]})


def _postgres_transform(front: Any, statement: exp.Expression) -> exp.Expression:
    def operators(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Operator):
            # OPERATOR(pg_catalog.=) is the plain operator, spelled to dodge search_path tricks.
            op = str(node.args.get("operator", "")).split(".")[-1].strip()
            builder = _BINARY.get(op)
            if builder is not None:
                # The pass does not revisit what it returns: transform the operands here.
                return builder(this=node.this.transform(operators, copy=False),
                               expression=node.expression.transform(operators, copy=False))
        return node

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Dot) and isinstance(node.this, exp.Identifier) \
                and node.this.name.lower() == "pg_catalog" and isinstance(node.expression, exp.Func):
            return node.expression
        if isinstance(node, exp.Table):
            inner = node.this
            if isinstance(inner, exp.Anonymous) and inner.name.lower() == "aurora_replica_status":
                return exp.Table(this=exp.to_identifier(REPLICA_STATUS), alias=node.args.get("alias"))
            if isinstance(inner, exp.Identifier) and inner.name.lower() == "pg_settings" \
                    and (node.db or "pg_catalog").lower() == "pg_catalog":
                return exp.Table(this=exp.to_identifier(PG_SETTINGS), alias=node.args.get("alias"))
        return node

    # Two passes: a node a pass replaces is not visited again by that pass.
    return statement.transform(operators, copy=False).transform(rewrite, copy=False)


def _mysql_transform(front: Any, statement: exp.Expression) -> exp.Expression:
    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name.lower() == "replica_host_status" \
                and (node.db or "").lower() == "information_schema":
            return exp.Table(this=exp.to_identifier(REPLICA_HOST_STATUS), alias=node.args.get("alias"))
        return node

    return statement.transform(rewrite, copy=False)


register(SessionFunction("aurora_version", (), "VARCHAR", lambda s: (lambda: AURORA_POSTGRES_VERSION)))
register(SessionFunction("aurora_db_instance_identifier", (), "VARCHAR", lambda s: (lambda: s.instance.identifier)))
register(SessionFunction("pg_is_in_recovery", (), "BOOLEAN", lambda s: (lambda: s.instance.role == "reader")))
register_relation(SessionRelation(REPLICA_STATUS, _replica_status))
register_relation(SessionRelation(REPLICA_HOST_STATUS, _replica_host_status))
register_relation(SessionRelation(PG_SETTINGS, _pg_settings))
emulation.TRANSFORMS["postgres"].append(_postgres_transform)
emulation.TRANSFORMS["mysql"].append(_mysql_transform)
