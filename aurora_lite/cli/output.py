"""What the command line prints: narration, aligned tables, result sets, progress, one-line errors."""
from __future__ import annotations

import datetime
import decimal
import time
from collections.abc import Sequence
from typing import Any, TextIO


def _is_number(text: str) -> bool:
    return text.replace("-", "", 1).replace("/", "", 1).replace(".", "", 1).replace(",", "").isdigit()


def aligned(headers: Sequence[object], rows: Sequence[Sequence[object]], indent: str = "") -> list[str]:
    """Columns separated by two spaces; numeric columns right-aligned, others left-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    numeric = [len(cells) > 1 and all(_is_number(r[i]) for r in cells[1:]) for i in range(len(headers))]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return [indent + "  ".join(c.rjust(w) if num else c.ljust(w)
                               for c, w, num in zip(row, widths, numeric)).rstrip() for row in cells]


class Narrator:
    """Numbered steps, indented lines and small aligned tables (the demos)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.steps = 0

    def write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def step(self, title: str) -> None:
        self.steps += 1
        self.write(f"\n{self.steps}. {title}\n")

    def say(self, text: str = "") -> None:
        self.write(f"   {text}\n" if text else "\n")

    def table(self, headers: Sequence[object], rows: Sequence[Sequence[object]]) -> None:
        self.write("".join(line + "\n" for line in aligned(headers, rows, indent="     ")))


class Progress:
    """A progress bar for a long step, redrawn in place on a terminal; silent otherwise.

    Off a terminal (a pipe, a file, a test) nothing is drawn: the step's own
    summary line says what happened.
    """

    WIDTH = 24

    def __init__(self, stream: TextIO, label: str, total: int, unit: str = "") -> None:
        self.stream = stream
        self.label = label
        self.total = max(total, 1)
        self.unit = unit
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self.drawn = False

    def update(self, done: int) -> None:
        if not self.live:
            return
        filled = self.WIDTH * min(done, self.total) // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = time.perf_counter() - self.started
        self.stream.write(f"\r   {self.label} [{bar}] {done:,}/{self.total:,}{self.unit} {elapsed:4.1f} s")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Erase the bar (the caller prints the outcome)."""
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.drawn = False

    def __enter__(self) -> Progress:  # noqa: PYI034 - Python 3.10 has no typing.Self
        self.update(0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- results
def show(value: Any) -> str:
    """A value as psql shows it (NULL for None)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return str(value)


MAX_CELL = 60


def result_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A result set in psql's aligned format, with the row count below it."""
    columns = [_clip(c) for c in columns]
    shown = [[_clip(show(v)) for v in row] for row in rows]
    numeric = [bool(rows) and all(isinstance(r[i], (int, float, decimal.Decimal)) and not isinstance(r[i], bool)
                                  or r[i] is None for r in rows) for i in range(len(columns))]
    widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(columns)]
    lines = [" " + " | ".join(_center(c, w) for c, w in zip(columns, widths)).rstrip(),
             "-" + "-+-".join("-" * w for w in widths) + "-"]
    for row in shown:
        lines.append(" " + " | ".join(v.rjust(w) if num else v.ljust(w)
                                      for v, w, num in zip(row, widths, numeric)).rstrip())
    lines.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return lines


def _center(text: str, width: int) -> str:
    """Centered as psql centers headings: an odd space goes to the right."""
    left = (width - len(text)) // 2
    return " " * left + text + " " * (width - len(text) - left)


def _clip(text: str) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 3] + "..."


def describe_error(exc: BaseException) -> str:
    """One line: the error class, its SQLSTATE (and MySQL errno), the message."""
    sqlstate = getattr(exc, "sqlstate", None)
    errno = getattr(exc, "errno", None)
    code = ""
    if sqlstate or errno:
        code = " (" + ", ".join(p for p in (f"SQLSTATE {sqlstate}" if sqlstate else "",
                                            f"errno {errno}" if errno else "") if p) + ")"
    message = str(exc.args[1] if errno and len(exc.args) == 2 else exc) or type(exc).__name__
    return f"{type(exc).__name__}{code}: {' '.join(message.split())}"
