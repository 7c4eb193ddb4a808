"""End-to-end fixtures: the Chinook sample database loaded through each engine, as a user would.

The creation scripts live outside the repository, in ``<repo root>/../shared/datasets/chinook``
(CI has them there; a user's clone may not, and then these tests skip with the reason).
Each script is split into statements the way its own client does it (the ``mysql``
client, ``psql``), and every statement is sent with one ``cursor.execute`` in the text
the script has. Splitting rules:

- a statement ends at the delimiter (``;``, or what MySQL's client command
  ``DELIMITER`` set) outside string literals, quoted identifiers and comments;
- MySQL: ``'...'`` and ``"..."`` are strings where ``''`` and backslash escape,
  `````...````` are identifiers, comments are ``/* */``, ``#`` and ``-- `` (a space or
  control character must follow the dashes);
- PostgreSQL: ``'...'`` strings double ``''`` and keep backslashes
  (standard_conforming_strings), ``E'...'`` strings escape with backslashes, ``"..."``
  are identifiers, ``$tag$...$tag$`` is dollar quoting, comments are ``--`` and nested
  ``/* */``; a line that starts with a backslash is a psql meta-command that ends at
  the end of its line (``\\c chinook;`` -- psql drops the trailing semicolon).
  aurora_lite accepts ``\\c`` of any name and changes nothing (docs/sql.md), so the
  loader sends meta-commands to the server, each in its own execute.

Comments between statements are dropped (as both clients do by default); comments
inside a statement are sent with it.

Test modules import these helpers as ``chinook_e2e``: pytest imports every folder's
conftest.py under the one name ``conftest`` (tests/cluster and tests/backup have theirs),
so ``from conftest import ...`` would depend on the order folders are collected in.
"""
from __future__ import annotations

import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import aurora_lite as al

REPO_ROOT = Path(__file__).resolve().parents[2]
DATASETS = REPO_ROOT.parent / "shared" / "datasets"
CHINOOK = DATASETS / "chinook"

ENGINES = ("aurora-postgresql", "aurora-mysql")
DIALECT = {"aurora-postgresql": "postgres", "aurora-mysql": "mysql"}
SCRIPT = {"postgres": "Chinook_PostgreSql.sql", "mysql": "Chinook_MySql.sql"}
SQLITE_FILE = "Chinook_Sqlite.sqlite"

# Table names as the SQLite reference (and the MySQL script) spell them, in load order.
TABLES = ("Genre", "MediaType", "Artist", "Album", "Track", "Employee", "Customer", "Invoice",
          "InvoiceLine", "Playlist", "PlaylistTrack")


def chinook_file(name: str) -> Path:
    """A Chinook file, or skip the test with the reason it is missing."""
    path = CHINOOK / name
    if not path.is_file():
        pytest.skip(f"Chinook sample database not found at {path} (CI keeps it in <repo>/../shared/datasets; "
                    "it is not part of the repository)")
    return path


def ident(name: str, dialect: str) -> str:
    """A Chinook table or column name as the dialect's script spells it (PostgreSQL: snake_case)."""
    if dialect == "mysql":
        return name
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()


def mysql_literal(value: str) -> str:
    """What MySQL stores for a string literal with this text: backslash is an escape character.

    The scripts write e.g. N'Cavalleria Rusticana \\ Act \\ Intermezzo Sinfonico'; MySQL reads
    the backslash-space as an escaped space (PostgreSQL and SQLite keep the backslash), so
    values taken from the SQLite reference are passed through this before comparing on MySQL.
    """
    escapes = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "%": "\\%", "_": "\\_"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), value, flags=re.DOTALL)


# ---------------------------------------------------------------- splitting
# The script splitter is the library's (aurora_lite.sql.script); re-exported for the tests here.
from aurora_lite.sql.script import Statement, split_script  # noqa: E402,F401


# ---------------------------------------------------------------- loading
@attrs.frozen
class LoadReport:
    """What loading a script took."""

    statements: int
    executes: int
    commits: int
    seconds: float       # wall clock
    cpu_seconds: float   # this process's CPU time (steadier than wall clock on a shared machine)


class ScriptError(Exception):
    """A script statement failed; names the script line and the statement."""


def load_script(connection: al.Connection, path: Path, dialect: str, *, commit_every: int | None = None,
                only: Any = None) -> LoadReport:
    """Send a creation script statement by statement, one execute each; commit at the end.

    commit_every: also commit after every n statements (psql and the mysql client in their
    default autocommit mode are n=1). only: a predicate on Statement to load a subset.
    """
    statements = split_script(path.read_text(encoding="utf-8"), dialect)
    if only is not None:
        statements = [s for s in statements if only(s)]
    cursor = connection.cursor()
    commits = executes = 0
    started, cpu = time.perf_counter(), time.process_time()
    for number, statement in enumerate(statements, start=1):
        try:
            cursor.execute(statement.text)
        except al.Error as exc:
            head = " ".join(statement.text.split())[:100]
            raise ScriptError(f"{path.name}:{statement.line}: {type(exc).__name__}: {exc} -- in: {head}") from exc
        executes += 1
        if commit_every and number % commit_every == 0:
            connection.commit()
            commits += 1
    connection.commit()
    commits += 1
    cursor.close()
    return LoadReport(len(statements), executes, commits, time.perf_counter() - started,
                      time.process_time() - cpu)


@attrs.frozen
class Loaded:
    """A cluster with Chinook loaded through its engine's script."""

    engine: str
    dialect: str
    cluster: al.Cluster
    report: LoadReport

    def connect(self, **kwargs: Any) -> al.Connection:
        """A new connection to the loaded cluster's writer."""
        return self.cluster.connect(**kwargs)


@pytest.fixture(scope="session")
def chinook_sqlite() -> Iterator[sqlite3.Connection]:
    """The SQLite reference database, read-only."""
    path = chinook_file(SQLITE_FILE)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    yield connection
    connection.close()


_LOADED: dict[str, Loaded] = {}


@pytest.fixture(scope="session", params=ENGINES)
def chinook(request: pytest.FixtureRequest) -> Iterator[Loaded]:
    """Chinook loaded once per session and engine, through that engine's script; read-only for tests."""
    engine = request.param
    dialect = DIALECT[engine]
    path = chinook_file(SCRIPT[dialect])
    cluster = al.Cluster(engine, name=f"chinook-{dialect}")
    connection = cluster.connect()
    try:
        report = load_script(connection, path, dialect)
    except BaseException:
        cluster.close()
        raise
    finally:
        connection.close()
    loaded = Loaded(engine, dialect, cluster, report)
    _LOADED[engine] = loaded
    yield loaded
    cluster.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how long each script took to load (CI keeps an eye on it)."""
    for engine, loaded in _LOADED.items():
        r = loaded.report
        terminalreporter.write_line(
            f"chinook load {engine}: {r.statements} statements, {r.executes} executes, "
            f"{r.commits} commit(s), {r.seconds:.2f} s ({r.cpu_seconds:.2f} s CPU)")


sys.modules["chinook_e2e"] = sys.modules[__name__]  # see the module docstring
