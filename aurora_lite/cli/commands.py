"""``aurora-lite sql PATH "..."`` and ``aurora-lite status PATH``: one-shot commands on a durable cluster."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .output import aligned, describe_error, result_table
from .views import (
    SEGMENT_HEADERS,
    TOPOLOGY_HEADERS,
    pairs,
    segment_health,
    topology,
    volume_summary,
)

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..dbapi.cursor import Cursor
    from ..sql.script import Statement


class CommandError(Exception):
    """The command failed for a reason the user can act on; the message is the whole story."""


ENGINES = ("aurora-postgresql", "aurora-mysql")


def open_cluster(path: Path, *, create: bool = False, engine: str = "aurora-postgresql") -> tuple[Cluster, bool]:
    """(the durable cluster at path, whether it was created now). Missing path: CommandError unless create."""
    from ..cluster import CLUSTER_FILE, Cluster
    from ..dbapi.exceptions import Error

    if (path / CLUSTER_FILE).is_file():
        try:
            return Cluster.open(path), False
        except Error as exc:
            raise CommandError(f"cannot open the cluster at {path}: {describe_error(exc)}") from None
    if not create:
        what = "no such directory" if not path.exists() else "not an aurora_lite cluster"
        raise CommandError(f"{path}: {what} (create a cluster with 'aurora-lite shell {path} --engine ENGINE')")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise CommandError(f"{path} exists and is not an aurora_lite cluster; give a new or empty directory")
    try:
        return Cluster(engine, name=path.resolve().name or "aurora-cluster", path=path), True
    except OSError as exc:
        raise CommandError(f"cannot create a cluster at {path}: {exc.strerror or exc}") from None


def command_tag(statement: str, rowcount: int, dialect: str = "postgres") -> str:
    """The summary of a statement without a result set: psql's ('UPDATE 3', 'CREATE TABLE',
    'INSERT 0 1') or the mysql client's ('Query OK, 3 rows affected')."""
    if dialect == "mysql":
        n = max(rowcount, 0)
        return f"Query OK, {n} row{'' if n == 1 else 's'} affected"
    words = statement.split()
    verb = words[0].upper() if words else ""
    if verb in ("CREATE", "DROP", "ALTER") and len(words) > 1:
        return f"{verb} {words[1].upper()}"
    if verb == "INSERT":
        return f"INSERT 0 {max(rowcount, 0)}"
    if verb in ("UPDATE", "DELETE", "MERGE") or (verb and rowcount > 0):
        return f"{verb} {max(rowcount, 0)}"
    return verb


def print_result(cursor: Cursor, statement: str, stream: TextIO, dialect: str = "postgres") -> None:
    """The result set as a table, or the command tag."""
    if cursor.description is not None:
        columns = [d[0] for d in cursor.description]
        lines = result_table(columns, cursor.fetchall())
    else:
        lines = [command_tag(statement, cursor.rowcount, dialect)]
    stream.write("".join(line + "\n" for line in lines))


def run_statements(cluster: Cluster, statements: list[Statement], stream: TextIO, *, endpoint: str) -> None:
    """Run statements one by one in autocommit mode, printing each result; CommandError at the first failure."""
    from ..dbapi.exceptions import Error

    try:
        connection = cluster.connect(endpoint, autocommit=True)
    except Error as exc:
        raise CommandError(f"cannot connect to endpoint {endpoint!r}: {describe_error(exc)}") from None
    try:
        cursor = connection.cursor()
        for n, statement in enumerate(statements, 1):
            try:
                cursor.execute(statement.text)
            except Error as exc:
                where = f"statement {n} (line {statement.line}): " if len(statements) > 1 else ""
                raise CommandError(f"{where}{describe_error(exc)}") from None
            if n > 1:
                stream.write("\n")
            print_result(cursor, statement.text, stream, cluster.dialect)
    finally:
        connection.close()


def sql(path: Path, text: str | None, file: Path | None, *, endpoint: str, create: bool, engine: str,
        stream: TextIO) -> int:
    """The ``sql`` command."""
    from ..sql.script import split_script

    if file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
    if not text or not text.strip():
        raise CommandError("no SQL given: pass it as an argument, or use -f FILE (- for standard input)")
    cluster, _ = open_cluster(path, create=create, engine=engine)
    try:
        statements = split_script(text, cluster.dialect)
        if not statements:
            raise CommandError("no SQL statement in the input (only comments or whitespace)")
        run_statements(cluster, statements, stream, endpoint=endpoint)
    finally:
        cluster.close()
    return 0


# ---------------------------------------------------------------- status
def describe_cluster(cluster: Cluster) -> dict[str, Any]:
    """Everything ``status`` shows, as plain data."""
    volume = cluster.volume
    return {
        "name": cluster.name, "engine": cluster.engine, "database": cluster.database,
        "path": str(cluster.path) if cluster.path is not None else None,
        "earliest_restorable_time": cluster.earliest_restorable_time.isoformat(),
        "latest_restorable_time": cluster.latest_restorable_time.isoformat(),
        "instances": [{"identifier": i.identifier, "role": i.role, "status": i.status,
                       "promotion_tier": i.promotion_tier, "applied_lsn": i.applied_lsn,
                       "replica_lag_ms": round(i.replica_lag * 1000, 3), "connections": i.connections}
                      for i in cluster.instances],
        "volume": {"vcl": volume.vcl, "vdl": volume.vdl, "bytes_used": volume.bytes_used,
                   "bytes_on_disk": disk_bytes(cluster.path),
                   "protection_groups": [dict(zip(("index", "pages", "az-a", "az-b", "az-c", "up", "state"), row))
                                         for row in segment_health(volume)]},
        "snapshots": [{"name": s.name, "lsn": s.lsn, "time": s.time.isoformat()} for s in cluster.snapshots],
    }


def disk_bytes(path: Path | None) -> int | None:
    """Bytes of every file under a durable cluster's directory (volume, snapshots, metadata)."""
    if path is None:
        return None
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def status_lines(cluster: Cluster) -> list[str]:
    """The status report: cluster, instances, volume, segment health by AZ, snapshots."""
    window = (f"{cluster.earliest_restorable_time:%Y-%m-%d %H:%M:%S} .. "
              f"{cluster.latest_restorable_time:%Y-%m-%d %H:%M:%S} UTC")
    lines = pairs([("cluster", f"{cluster.name} ({cluster.engine}, database {cluster.database})"),
                   ("path", cluster.path if cluster.path is not None else "(in memory)"),
                   ("restorable", window)])
    lines += ["", "Instances:"] + aligned(TOPOLOGY_HEADERS, topology(cluster), indent="  ")
    summary = volume_summary(cluster.volume)
    if cluster.path is not None:
        summary.append(("files on disk", f"{disk_bytes(cluster.path):,} bytes"))
    lines += ["", "Volume:"] + ["  " + line for line in pairs(summary)]
    health = segment_health(cluster.volume)
    lines += ["", "Segments by AZ (each cell: the two segments in that AZ):"]
    lines += aligned(SEGMENT_HEADERS, health, indent="  ") if health else ["  (no protection group yet)"]
    snapshots = cluster.snapshots
    lines += ["", "Snapshots:"]
    lines += aligned(("name", "LSN", "time"), [(s.name, s.lsn, f"{s.time:%Y-%m-%d %H:%M:%S}") for s in snapshots],
                     indent="  ") if snapshots else ["  (none)"]
    return lines


def status(path: Path, *, as_json: bool, stream: TextIO) -> int:
    """The ``status`` command."""
    cluster, _ = open_cluster(path)
    try:
        if as_json:
            stream.write(json.dumps(describe_cluster(cluster), indent=2) + "\n")
        else:
            stream.write("".join(line + "\n" for line in status_lines(cluster)))
    finally:
        cluster.close()
    return 0
