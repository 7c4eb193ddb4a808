"""``aurora-lite shell PATH``: interactive SQL on a durable cluster, with meta-commands for the cluster.

Lines are read with `input()` (readline editing and history where the
terminal has them). SQL runs in autocommit mode, like psql and the mysql
client; ``BEGIN`` ... ``COMMIT`` work as usual. A statement ends at ``;``
(outside quotes and comments), so it may span lines. A line starting with a
backslash is a meta-command (``\\?`` lists them). Readers added in the shell
live as long as the shell: a durable cluster keeps its volume, not its
instances.

Reading from a pipe (``aurora-lite shell PATH < script.sql``) prints no
prompts and exits 1 if any statement or meta-command failed.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .commands import open_cluster, print_result, status_lines
from .output import aligned, describe_error
from .views import (
    SEGMENT_HEADERS,
    TOPOLOGY_HEADERS,
    join_restarts,
    segment_health,
    topology,
)

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..dbapi.connection import Connection

HELP = [
    ("\\?", "this list"),
    ("\\q", "quit (also Ctrl-D)"),
    ("\\status", "instances, lag, VDL, segment health by AZ, snapshots"),
    ("\\topology", "instances: role, status, promotion tier, applied LSN, lag"),
    ("\\connect [ENDPOINT]", "reconnect through writer (default), reader, an instance id or a custom endpoint"),
    ("\\add-reader [ID]", "add an Aurora Replica (it lives as long as this shell)"),
    ("\\failover [TARGET]", "planned failover (to TARGET, a reader id, or the one Aurora would pick)"),
    ("\\crash [ID]", "crash an instance (default the writer): unplanned failover or restart"),
    ("\\snapshot NAME", "take a manual snapshot at the current VDL"),
    ("\\snapshots", "list the snapshots"),
    ("\\pause / \\resume", "pause or resume replication to the readers (stale reads)"),
    ("\\fail-az AZ / \\restore-az AZ", "take an AZ's segments away / bring them back (az-a, az-b, az-c)"),
    ("\\timing", "toggle printing how long each statement took"),
]


class ShellError(Exception):
    """A meta-command mistake: printed as one line, the shell goes on."""


class Shell:
    """The read-eval-print loop over one cluster and one connection."""

    def __init__(self, cluster: Cluster, out: TextIO, err: TextIO, *, interactive: bool,
                 read_line: Callable[[str], str] = input) -> None:
        self.cluster = cluster
        self.out = out
        self.err = err
        self.interactive = interactive
        self.read_line = read_line
        self.endpoint = "writer"
        self.connection: Connection | None = None
        self.timing = False
        self.failures = 0
        self.meta: dict[str, Callable[[list[str]], None]] = {
            "?": self._help, "h": self._help, "help": self._help, "status": self._status,
            "topology": self._topology, "connect": self._connect, "c": self._connect,
            "add-reader": self._add_reader, "failover": self._failover, "crash": self._crash,
            "snapshot": self._snapshot, "snapshots": self._snapshots, "pause": self._pause, "resume": self._resume,
            "fail-az": self._fail_az, "restore-az": self._restore_az, "timing": self._timing,
        }

    # ------------------------------------------------------------ the loop
    def run(self) -> int:
        from ..sql.script import is_complete

        self.reconnect()
        if self.interactive:
            self.say(f"aurora-lite shell: cluster '{self.cluster.name}' ({self.cluster.engine}) at "
                     f"{self.cluster.path}. \\? for help, \\q to quit.")
        buffer: list[str] = []
        while True:
            prompt = f"{self.cluster.name}{'->' if buffer else '=>'} " if self.interactive else ""
            try:
                line = self.read_line(prompt)
            except EOFError:
                if self.interactive:
                    self.out.write("\n")
                break
            except KeyboardInterrupt:
                self.out.write("\n")
                buffer.clear()  # Ctrl-C drops the statement being typed, as psql does
                continue
            if line.lstrip().startswith("\\") and self._outside_quotes(buffer):
                # As in psql, a meta-command may come in the middle of a statement being typed.
                if self.meta_command(line.strip()[1:]) == "quit":
                    buffer.clear()  # \q drops what was typed without its ';'
                    break
                continue
            buffer.append(line)
            text = "\n".join(buffer)
            if not text.strip():
                buffer.clear()
                continue
            if is_complete(text, self.cluster.dialect):
                buffer.clear()
                self.execute(text)
        if buffer and not self.interactive:
            self.execute("\n".join(buffer))  # a script's last statement may lack its ';', as in psql -f
        return 1 if self.failures and not self.interactive else 0

    def _outside_quotes(self, buffer: list[str]) -> bool:
        """Whether a line after the buffer starts outside any string, identifier or comment."""
        from ..sql.script import is_complete

        return not buffer or is_complete("\n".join(buffer) + "\n;", self.cluster.dialect)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def fail(self, text: str) -> None:
        self.failures += 1
        self.err.write(f"ERROR: {text}\n")
        self.err.flush()

    # ------------------------------------------------------------ SQL
    def execute(self, text: str) -> None:
        from ..dbapi.exceptions import Error
        from ..sql.script import split_script

        for statement in split_script(text, self.cluster.dialect):
            if self.connection is None:
                self.reconnect()
                if self.connection is None:
                    return
            started = time.perf_counter()
            try:
                cursor = self.connection.cursor()
                cursor.execute(statement.text)
                print_result(cursor, statement.text, self.out, self.cluster.dialect)
            except KeyboardInterrupt:
                self.fail("canceled by the user (Ctrl-C)")
                return
            except Error as exc:
                self.fail(describe_error(exc))
                if (getattr(exc, "sqlstate", None) or "").startswith("08") or exc.errno == 2013:
                    self.say(f"(the connection was lost; reconnecting through the {self.endpoint} endpoint)")
                    self.reconnect()
                continue
            if self.timing:
                self.say(f"Time: {(time.perf_counter() - started) * 1000:.3f} ms")

    def reconnect(self, endpoint: str | None = None) -> None:
        from ..dbapi.exceptions import Error

        endpoint = endpoint or self.endpoint
        try:
            connection = self.cluster.connect(endpoint, autocommit=True)
        except Error as exc:
            self.fail(f"cannot connect through {endpoint!r}: {describe_error(exc)}")
            return
        if self.connection is not None:
            try:
                self.connection.close()
            except Error:
                pass
        self.connection, self.endpoint = connection, endpoint

    # ------------------------------------------------------------ meta-commands
    def meta_command(self, line: str) -> str | None:
        from ..dbapi.exceptions import Error
        from ..storage.errors import StorageError

        name, *args = line.split()
        if name in ("q", "quit", "exit"):
            return "quit"
        handler = self.meta.get(name)
        if handler is None:
            self.fail(f"unknown meta-command \\{name} (\\? lists them)")
            return None
        try:
            handler(args)
        except ShellError as exc:
            self.fail(str(exc))
        except (Error, StorageError, ValueError) as exc:
            self.fail(describe_error(exc))
        return None

    def _help(self, args: list[str]) -> None:
        for line in aligned(("command", "what it does"), HELP, indent="  "):
            self.say(line)
        self.say("  SQL statements end with ';' and run in autocommit mode.")

    def _status(self, args: list[str]) -> None:
        for line in status_lines(self.cluster):
            self.say(line)

    def _topology(self, args: list[str]) -> None:
        for line in aligned(TOPOLOGY_HEADERS, topology(self.cluster), indent="  "):
            self.say(line)
        self.say(f"  this session: {self.endpoint} endpoint -> "
                 f"{self.connection.instance_identifier if self.connection else '(not connected)'}")

    def _connect(self, args: list[str]) -> None:
        endpoint = _one(args, "\\connect [ENDPOINT]", default="writer")
        before = self.failures
        self.reconnect(endpoint)
        if self.failures == before and self.connection is not None:
            self.say(f"connected through {endpoint!r} to {self.connection.instance_identifier}")

    def _add_reader(self, args: list[str]) -> None:
        identifier = _one(args, "\\add-reader [ID]", default=None)
        instance = self.cluster.add_reader(identifier)
        self.say(f"added reader {instance.identifier} (applied LSN {instance.applied_lsn})")

    def _failover(self, args: list[str]) -> None:
        target = _one(args, "\\failover [TARGET]", default=None)
        if not self.cluster.readers:
            raise ShellError("failover needs a reader to promote; add one with \\add-reader")
        event = self.cluster.failover(target)
        self.say(f"failover: {event.new_writer} is the writer ({event.seconds * 1000:.2f} ms); "
                 f"{event.old_writer} restarts as a reader")
        if self.endpoint in ("writer", "cluster"):
            self.reconnect()

    def _crash(self, args: list[str]) -> None:
        identifier = _one(args, "\\crash [ID]", default=None)
        instance = self.cluster.instance(identifier) if identifier else self.cluster.writer
        was_writer = instance is self.cluster.writer
        instance.crash()
        if was_writer:
            self.say(f"{instance.identifier} crashed; the writer is now {self.cluster.writer.identifier}")
        else:
            self.say(f"{instance.identifier} crashed; it restarts in the background")
        self.reconnect()

    def _snapshot(self, args: list[str]) -> None:
        name = _one(args, "\\snapshot NAME")
        if any(s.name == name for s in self.cluster.snapshots):
            raise ShellError(f"a snapshot named {name!r} already exists")
        snapshot = self.cluster.create_snapshot(name)
        self.say(f"snapshot {snapshot.name} at LSN {snapshot.lsn} ({snapshot.time:%Y-%m-%d %H:%M:%S} UTC)")

    def _snapshots(self, args: list[str]) -> None:
        rows = [(s.name, s.lsn, f"{s.time:%Y-%m-%d %H:%M:%S}") for s in self.cluster.snapshots]
        for line in aligned(("name", "LSN", "time (UTC)"), rows, indent="  ") if rows else ["  (no snapshots)"]:
            self.say(line)

    def _pause(self, args: list[str]) -> None:
        self.cluster.pause_replication()
        self.say(f"replication paused on {len(self.cluster.readers)} reader(s): their reads go stale")

    def _resume(self, args: list[str]) -> None:
        self.cluster.resume_replication()
        self.say("replication resumed")

    def _fail_az(self, args: list[str]) -> None:
        self.cluster.volume.fail_az(_one(args, "\\fail-az AZ"))
        self._segments()

    def _restore_az(self, args: list[str]) -> None:
        copied = self.cluster.volume.restore_az(_one(args, "\\restore-az AZ"))
        self.say(f"{copied} records copied by gossip")
        self._segments()

    def _segments(self) -> None:
        for line in aligned(SEGMENT_HEADERS, segment_health(self.cluster.volume), indent="  "):
            self.say(line)

    def _timing(self, args: list[str]) -> None:
        self.timing = not self.timing
        self.say(f"Timing is {'on' if self.timing else 'off'}.")

    def close(self) -> None:
        from ..dbapi.exceptions import Error

        if self.connection is not None:
            try:
                self.connection.close()
            except Error:
                pass


_REQUIRED = object()


def _one(args: list[str], usage: str, default: object = _REQUIRED) -> str:
    if len(args) > 1 or (not args and default is _REQUIRED):
        raise ShellError(f"usage: {usage}")
    return args[0] if args else default  # type: ignore[return-value]


def shell(path: Path, *, engine: str | None, out: TextIO, err: TextIO, interactive: bool) -> int:
    """The ``shell`` command: open (or create, with engine) the cluster at path and run the loop."""
    cluster, created = open_cluster(path, create=True, engine=engine or "aurora-postgresql")
    try:
        if created:
            out.write(f"created a new {cluster.engine} cluster at {path}\n")
        elif engine is not None and engine != cluster.engine:
            err.write(f"note: the cluster at {path} is {cluster.engine}; --engine applies to new clusters only\n")
        session = Shell(cluster, out, err, interactive=interactive)
        try:
            return session.run()
        finally:
            session.close()
    finally:
        join_restarts()  # let instances restarting after \crash or \failover finish first
        cluster.close()
