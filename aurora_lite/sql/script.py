"""SQL scripts: split a script into statements the way the dialect's own client does, and run it.

The pytest plugin (schema files), the command line (``sql``, ``shell``) and
applications that load a creation script use this module. The splitting rules
are those of the ``mysql`` client and of ``psql`` (the same rules the end-to-end
tests in ``tests/e2e`` load the Chinook scripts with):

- a statement ends at the delimiter (``;``, or what MySQL's client command
  ``DELIMITER`` set) outside string literals, quoted identifiers and comments;
- MySQL: ``'...'`` and ``"..."`` are strings where ``''`` and backslash escape,
  `````...````` are identifiers, comments are ``/* */``, ``#`` and ``-- `` (a space or
  control character must follow the dashes);
- PostgreSQL: ``'...'`` strings double ``''`` and keep backslashes
  (standard_conforming_strings), ``E'...'`` strings escape with backslashes, ``"..."``
  are identifiers, ``$tag$...$tag$`` is dollar quoting, comments are ``--`` and nested
  ``/* */``; a line that starts with a backslash is a psql meta-command that ends at
  the end of its line (``\\c chinook;``: psql drops the trailing semicolon).

Comments between statements are dropped (as both clients do by default); comments
inside a statement are kept with it. A PostgreSQL ``COPY ... FROM stdin`` statement
takes the lines after it up to ``\\.`` as its data (``Statement.copy_data``), as psql
does, and `run_script` loads them (text format).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..dbapi.exceptions import NotSupportedError

if TYPE_CHECKING:
    from ..dbapi.connection import Connection

__all__ = ["ScriptError", "Statement", "dialect_of", "is_complete", "run_file", "run_script", "split_script"]

DIALECTS = ("mysql", "postgres")


@attrs.frozen
class Statement:
    """One statement of a script: its text as written (without the delimiter) and where it starts."""

    text: str
    line: int
    meta: bool = False  # a psql meta-command (\c ...)
    copy_data: tuple[str, ...] | None = None  # COPY ... FROM stdin: the data lines psql sends after it


class ScriptError(Exception):
    """A statement of a script failed: names the source, the line and the statement.

    ``statement`` is the failing `Statement`; ``__cause__`` the database error.
    """

    def __init__(self, message: str, statement: Statement | None = None) -> None:
        super().__init__(message)
        self.statement = statement


_DELIMITER = re.compile(r"DELIMITER[ \t]+(\S+)[ \t]*(?:\n|$)", re.IGNORECASE)
_COPY_FROM_STDIN = re.compile(r"^\s*COPY\s+(?P<table>[\w.\"]+)\s*(?:\((?P<columns>[^)]*)\))?\s+FROM\s+stdin"
                              r"(?P<options>\s+.*)?$", re.IGNORECASE | re.DOTALL)


def dialect_of(name: str) -> str:
    """"mysql" or "postgres" for a dialect or engine name (aurora-mysql, postgresql, ...)."""
    key = name.lower().removeprefix("aurora-")
    if key in ("postgres", "postgresql", "pg"):
        return "postgres"
    if key == "mysql":
        return "mysql"
    raise ValueError(f"unknown dialect {name!r}")


def split_script(text: str, dialect: str) -> list[Statement]:
    """The statements of a script, split as the dialect's command-line client splits them.

    A trailing statement without its delimiter is returned too (the clients run it
    at the end of the input); use `is_complete` to tell whether one is pending.
    """
    statements, _ = _scan(text, _check(dialect))
    return statements


def is_complete(text: str, dialect: str) -> bool:
    """True when the text ends outside a statement: every statement has its delimiter.

    Meta-commands and comments count as complete; an open string, identifier or
    block comment does not. An interactive shell reads lines until this holds.
    """
    _, pending = _scan(text, _check(dialect))
    return not pending


def run_script(connection: Connection, text: str, *, source: str = "<script>") -> int:
    """Run every statement of a script on a connection, one execute each; returns how many ran.

    Statements run in the connection's transaction mode; the caller commits. A
    failing statement raises `ScriptError` naming ``source``, the line and the
    statement, with the database error as its cause. psql meta-commands are sent
    to the server, which accepts ``\\c`` and changes nothing (docs/sql.md).
    """
    statements = split_script(text, connection.dialect)
    cursor = connection.cursor()
    try:
        for statement in statements:
            try:
                if statement.copy_data is not None:
                    _copy_in(cursor, statement)
                    continue
                cursor.execute(statement.text)
            except Exception as exc:
                head = " ".join(statement.text.split())
                head = head if len(head) <= 100 else head[:97] + "..."
                raise ScriptError(f"{source}:{statement.line}: {type(exc).__name__}: {exc} -- in: {head}",
                                  statement) from exc
    finally:
        cursor.close()
    return len(statements)


def _copy_in(cursor: Any, statement: Statement) -> None:
    """Load a COPY ... FROM stdin block (PostgreSQL's text format) as one executemany INSERT."""
    match = _COPY_FROM_STDIN.match(statement.text)
    options = (match.group("options") or "").strip()
    if options and not re.fullmatch(r"(?:WITH\s*)?\(\s*FORMAT\s+text\s*\)", options, re.IGNORECASE):
        raise NotSupportedError(f"COPY ... FROM stdin {options}: only the text format (pg_dump's) is supported")
    rows = [tuple(_copy_field(field) for field in line.split("\t")) for line in statement.copy_data]
    if not rows:
        return
    columns = f" ({match.group('columns')})" if match.group("columns") else ""
    marks = ", ".join(["%s"] * len(rows[0]))
    cursor.executemany(f"INSERT INTO {match.group('table')}{columns} VALUES ({marks})", rows)


_COPY_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))")
_COPY_CHARS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _copy_field(field: str) -> str | None:
    """One field of COPY's text format: \\N is NULL; backslash escapes as PostgreSQL reads them."""
    if field == "\\N":
        return None
    if "\\" not in field:
        return field

    def unescape(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(int(m.group(1), 8))
        if m.group(2):
            return chr(int(m.group(2), 16))
        return _COPY_CHARS.get(m.group(3), m.group(3))

    return _COPY_ESCAPE.sub(unescape, field)


def run_file(connection: Connection, path: str | Path) -> int:
    """`run_script` on a file (UTF-8); the file's name is the source in errors."""
    path = Path(path)
    return run_script(connection, path.read_text(encoding="utf-8"), source=str(path))


# ---------------------------------------------------------------- the scanner
def _check(dialect: str) -> str:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    return dialect


def _scan(text: str, dialect: str) -> tuple[list[Statement], bool]:
    """(statements, whether the text ends inside a statement, a quote or a block comment)."""
    mysql = dialect == "mysql"
    statements: list[Statement] = []
    delimiter = ";"
    start: int | None = None
    i, n = 0, len(text)
    open_at_end = False

    def line_at(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    while i < n:
        c = text[i]
        comment = _comment(text, i, mysql)
        if comment is not None:
            i, closed = comment
            open_at_end = not closed
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
            statement = Statement(text[start:i].rstrip(), line_at(start))
            start = None
            i += len(delimiter)
            if not mysql and _COPY_FROM_STDIN.match(statement.text):
                # psql sends the lines after it, up to a line "\.", as the COPY's data.
                first = text.find("\n", i)
                first = n if first < 0 else first + 1
                end = text.find("\n\\.", first - 1)
                stop = n if end < 0 else end + 1
                statement = attrs.evolve(statement, copy_data=tuple(text[first:stop].splitlines()))
                i = n if end < 0 else end + 3
            statements.append(statement)
            continue
        if c in "'\"`" or (not mysql and c == "$"):
            i, closed = _quote(text, i, mysql)
            open_at_end = not closed
            continue
        i += 1
    if start is not None:
        statements.append(Statement(text[start:].rstrip(), line_at(start)))
    return statements, start is not None or open_at_end


def _comment(text: str, i: int, mysql: bool) -> tuple[int, bool] | None:
    """(where the comment starting at i ends, whether it is closed), or None if none starts there.

    A line comment is closed by the end of the text as well as by a newline.
    """
    if mysql and text.startswith("/*!", i):
        return None  # an executable comment (mysqldump's /*!40101 SET ... */): part of the statement
    if text.startswith("/*", i):
        if mysql:
            end = text.find("*/", i + 2)
            return (len(text), False) if end < 0 else (end + 2, True)
        depth, j = 0, i  # PostgreSQL block comments nest
        while j < len(text):
            if text.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif text.startswith("*/", j):
                depth, j = depth - 1, j + 2
                if depth == 0:
                    return j, True
            else:
                j += 1
        return len(text), False
    line_comment = text.startswith("#", i) if mysql else False
    if text.startswith("--", i):
        # MySQL: "--" starts a comment only when followed by whitespace or a control character.
        line_comment = not mysql or i + 2 >= len(text) or text[i + 2] <= " "
    if line_comment:
        end = text.find("\n", i)
        return (len(text), True) if end < 0 else (end + 1, True)
    return None


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def _quote(text: str, i: int, mysql: bool) -> tuple[int, bool]:
    """(the index just past the quoted string, identifier or dollar-quoted body at i, whether it is closed)."""
    quote = text[i]
    if quote == "$":
        m = _DOLLAR.match(text, i)
        if m is None or (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
            return i + 1, True  # $1 parameters and identifiers like a$b are not dollar quotes
        end = text.find(m.group(0), m.end())
        return (len(text), False) if end < 0 else (end + len(m.group(0)), True)
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
                return j + 1, True
        else:
            j += 1
    return n, False
