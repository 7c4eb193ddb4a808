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
@attrs.frozen
class Statement:
    """One statement of a script: its text as written (without the delimiter) and where it starts."""

    text: str
    line: int
    meta: bool = False  # a psql meta-command (\c ...)


_DELIMITER = re.compile(r"DELIMITER[ \t]+(\S+)[ \t]*(?:\n|$)", re.IGNORECASE)


def split_script(text: str, dialect: str) -> list[Statement]:
    """The statements of a script, split as the dialect's command-line client splits them."""
    if dialect not in ("mysql", "postgres"):
        raise ValueError(f"unknown dialect {dialect!r}")
    mysql = dialect == "mysql"
    statements: list[Statement] = []
    delimiter = ";"
    start: int | None = None
    i, n = 0, len(text)

    def line_at(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    while i < n:
        c = text[i]
        comment_end = _comment_end(text, i, mysql)
        if comment_end is not None:
            i = comment_end
            continue
        if start is None:
            if c.isspace():
                i += 1
                continue
            if mysql and (m := _DELIMITER.match(text, i)):
                delimiter = m.group(1)  # a client command, never sent to the server
                i = m.end()
                continue
            if not mysql and c == "\\":
                end = text.find("\n", i)
                end = n if end < 0 else end
                statements.append(Statement(text[i:end].rstrip(), line_at(i), meta=True))
                i = end
                continue
            start = i
        if text.startswith(delimiter, i):
            statements.append(Statement(text[start:i].rstrip(), line_at(start)))
            start = None
            i += len(delimiter)
            continue
        if c in "'\"`" or (not mysql and c == "$"):
            i = _quoted_end(text, i, mysql)
            continue
        i += 1
    if start is not None:
        statements.append(Statement(text[start:].rstrip(), line_at(start)))
    return statements


def _comment_end(text: str, i: int, mysql: bool) -> int | None:
    """Where a comment starting at i ends, or None if none starts there."""
    if text.startswith("/*", i):
        if mysql:
            end = text.find("*/", i + 2)
            return len(text) if end < 0 else end + 2
        depth, j = 0, i  # PostgreSQL block comments nest
        while j < len(text):
            if text.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif text.startswith("*/", j):
                depth, j = depth - 1, j + 2
                if depth == 0:
                    return j
            else:
                j += 1
        return len(text)
    line_comment = text.startswith("#", i) if mysql else False
    if text.startswith("--", i):
        # MySQL: "--" starts a comment only when followed by whitespace or a control character.
        line_comment = not mysql or i + 2 >= len(text) or text[i + 2] <= " "
    if line_comment:
        end = text.find("\n", i)
        return len(text) if end < 0 else end + 1
    return None


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def _quoted_end(text: str, i: int, mysql: bool) -> int:
    """The index just past the quoted string or identifier (or dollar-quoted body) at i."""
    quote = text[i]
    if quote == "$":
        m = _DOLLAR.match(text, i)
        if m is None or (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
            return i + 1  # $1 parameters and identifiers like a$b are not dollar quotes
        end = text.find(m.group(0), m.end())
        return len(text) if end < 0 else end + len(m.group(0))
    # Backslash escapes: MySQL strings; PostgreSQL only in E'...' strings.
    backslash = quote != "`" and (mysql or (quote == "'" and i > 0 and text[i - 1] in "eE"
                                           and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))))
    j, n = i + 1, len(text)
    while j < n:
        c = text[j]
        if backslash and c == "\\":
            j += 2
        elif c == quote:
            if j + 1 < n and text[j + 1] == quote:
                j += 2  # doubled quote
            else:
                return j + 1
        else:
            j += 1
    return n


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
