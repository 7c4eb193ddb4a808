"""Cluster: the volume, its instances, endpoints and lifecycle.

A cluster owns one volume (in memory by default, on disk with ``path=``)
and its instances. The writer is rebuilt from the volume whenever it
starts (creation, `Cluster.open`, restart after a failure), so the volume
is the only state that matters.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .dbapi.connection import Connection
from .dbapi.exceptions import InterfaceError, OperationalError, ProgrammingError
from .engine.instance import Instance
from .sql.frontend import FrontEnd
from .storage.errors import StorageError
from .storage.volume import Volume

ENGINES = {"aurora-postgresql": "postgres", "aurora-mysql": "mysql"}
DEFAULT_DATABASE = {"postgres": "postgres", "mysql": "aurora"}
DEFAULT_MASTER_USER = {"postgres": "postgres", "mysql": "admin"}
CLUSTER_FILE = "cluster.json"
VOLUME_DIR = "volume"


class Cluster:
    """An Aurora DB cluster inside this process: a writer over a six-way replicated volume."""

    def __init__(self, engine: str = "aurora-postgresql", *, name: str = "aurora-cluster",
                 path: str | Path | None = None, replicas: int = 0, master_user: str | None = None,
                 master_password: str | None = None, clock: Callable[[], float] | None = None,
                 database: str | None = None, fsync: str = "always", commit_timeout_s: float = 5.0,
                 _volume: Volume | None = None) -> None:
        if engine not in ENGINES:
            raise ProgrammingError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        if replicas:
            raise ProgrammingError("reader instances are not available yet in this build; use replicas=0")
        self.engine = engine
        self.name = name
        self.dialect = ENGINES[engine]
        self.database = database or DEFAULT_DATABASE[self.dialect]
        self.master_user = master_user or DEFAULT_MASTER_USER[self.dialect]
        self.master_password = master_password
        self.clock = clock or time.time
        self.commit_timeout_s = commit_timeout_s
        self.path = Path(path) if path is not None else None
        self._closed = False
        self._front = FrontEnd(self.dialect, self.database)
        self._instance_seq = 0
        if _volume is not None:
            self.volume = _volume
        elif self.path is not None:
            if (self.path / CLUSTER_FILE).exists():
                raise ProgrammingError(f"a cluster already exists at {self.path}; use Cluster.open()")
            self.path.mkdir(parents=True, exist_ok=True)
            self.volume = Volume(self.path / VOLUME_DIR, fsync=fsync)
            self._save()
        else:
            self.volume = Volume()
        self._instances: dict[str, Instance] = {}
        self._writer = self._start_instance("writer")

    @classmethod
    def open(cls, path: str | Path) -> Cluster:
        """Reopen a durable cluster (also after the process died): recover the volume, rebuild the writer."""
        root = Path(path)
        meta_file = root / CLUSTER_FILE
        if not meta_file.exists():
            raise OperationalError(f"no aurora_lite cluster at {root}")
        meta = json.loads(meta_file.read_text())
        try:
            volume = Volume.open(root / VOLUME_DIR)
        except StorageError as exc:
            raise OperationalError(f"cannot open the cluster volume at {root}: {exc}") from exc
        cluster = cls.__new__(cls)
        cluster.__init__(meta["engine"], name=meta["name"], database=meta["database"],
                         master_user=meta["master_user"], _volume=volume)
        cluster.path = root
        return cluster

    def _save(self) -> None:
        assert self.path is not None
        meta = {"engine": self.engine, "name": self.name, "database": self.database,
                "master_user": self.master_user}
        tmp = self.path / (CLUSTER_FILE + ".tmp")
        tmp.write_text(json.dumps(meta, indent=1))
        tmp.replace(self.path / CLUSTER_FILE)

    def _start_instance(self, role: str, identifier: str | None = None) -> Instance:
        self._instance_seq += 1
        identifier = identifier or f"{self.name}-instance-{self._instance_seq}"
        instance = Instance(identifier, role, self.volume, self._front, self.database, clock=self.clock,
                            commit_timeout_s=self.commit_timeout_s)
        instance.rebuild()
        self._instances[identifier] = instance
        return instance

    # ------------------------------------------------------------ topology
    @property
    def writer(self) -> Instance:
        """The writer instance."""
        return self._writer

    @property
    def readers(self) -> list[Instance]:
        """Reader instances (Aurora Replicas)."""
        return [i for i in self._instances.values() if i.role == "reader"]

    @property
    def instances(self) -> list[Instance]:
        """Every instance, writer first."""
        return [self._writer, *self.readers]

    def instance(self, identifier: str) -> Instance:
        """The instance with this identifier."""
        try:
            return self._instances[identifier]
        except KeyError:
            raise ProgrammingError(f"no instance {identifier!r} in cluster {self.name!r}") from None

    # ------------------------------------------------------------ connections
    def connect(self, endpoint: str = "writer", user: str | None = None, password: str | None = None,
                autocommit: bool = False) -> Connection:
        """A PEP 249 connection through an endpoint: "writer", "reader" or an instance identifier."""
        self._check_open()
        self._authenticate(user, password)
        if endpoint in ("writer", "cluster"):
            instance = self._available_writer()
        elif endpoint == "reader":
            readers = [r for r in self.readers if r.status == "available"]
            instance = readers[0] if readers else self._available_writer()
        else:
            instance = self.instance(endpoint)
        return Connection(instance, autocommit=autocommit, endpoint=endpoint, user=user or self.master_user)

    def _authenticate(self, user: str | None, password: str | None) -> None:
        if self.master_password is None or user is None:
            return
        if user != self.master_user or password != self.master_password:
            raise self._front.error("28P01", 1045,
                                    f'password authentication failed for user "{user}"'
                                    if self.dialect == "postgres" else
                                    f"Access denied for user '{user}'@'localhost' (using password: YES)")

    def _available_writer(self) -> Instance:
        if self._writer.status != "available":
            self._restart_writer()
        return self._writer

    def _restart_writer(self) -> None:
        """With no reader to fail over to, Aurora restarts the writer in place: recover, rebuild."""
        old = self._writer
        try:
            self.volume.recover()
        except StorageError as exc:
            raise OperationalError(f"the writer cannot restart: {exc}") from exc
        old.close()
        del self._instances[old.identifier]
        self._writer = self._start_instance("writer", old.identifier)

    # ------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Stop every instance and close the volume; idempotent."""
        if self._closed:
            return
        self._closed = True
        for instance in list(self._instances.values()):
            instance.close()
        self.volume.close()

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._closed

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError(f"cluster {self.name!r} is closed")

    # ------------------------------------------------------------ metrics
    def metrics(self) -> dict[str, Any]:
        """CloudWatch-named figures, measured."""
        writer = self._writer.metrics()
        return {
            "VolumeBytesUsed": self.volume.bytes_used,
            "VolumeWriteIOPs": self.volume.write_ios,
            "VolumeReadIOPs": sum(pg.reads for pg in self.volume.protection_groups),
            "DatabaseConnections": sum(i.connections for i in self.instances),
            "CommitThroughput": writer["CommitThroughput"],
            "CommitLatency": writer["CommitLatency"],
        }
