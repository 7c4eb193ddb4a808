"""Command line: ``python -m aurora_lite`` and ``aurora-lite``.

Subcommands:

- ``demo``: a narrated tour of an Aurora cluster in memory (``--storage``: the
  tour of the storage layer underneath);
- ``shell PATH``: interactive SQL on the durable cluster at PATH (created if
  absent), with meta-commands for topology, failover, snapshots, faults;
- ``status PATH``: instances, lag, VDL, segment health by AZ, snapshots;
- ``sql PATH "..."``: run statements and print their results.

Each subcommand is a pair of functions registered in ``_COMMANDS``: one adds
its arguments to the parser, one runs it and returns an exit code.

Exit codes: 0 success, 1 the command failed (one line on stderr), 2 a usage
mistake (argparse's convention), 130 interrupted. A user never sees a
traceback for a mistake of theirs (bad SQL, a missing path, an unknown
instance); an unexpected failure is one line too.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from .commands import ENGINES, CommandError

PROG = "aurora-lite"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (and exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _Usage(Exception):
    """A mistake in the arguments found after parsing (exit code 2)."""


# ---------------------------------------------------------------- demo
def _add_demo(sub: argparse._SubParsersAction) -> None:
    from .demo import DEFAULT_ROWS

    p = sub.add_parser("demo", help="a narrated tour of an Aurora cluster in memory (a few seconds)",
                       description="A narrated tour of an Aurora cluster in this process: readers and lag, a "
                                   "stale read, the loss of an AZ, failover, point-in-time restore. With "
                                   "--storage, the tour of the storage layer instead: LSNs, segments, quorums, "
                                   "repair, damaged files.")
    p.add_argument("--engine", choices=ENGINES, default="aurora-postgresql", help="the cluster's engine")
    p.add_argument("--rows", type=int, default=DEFAULT_ROWS, metavar="N",
                   help=f"orders to load (default {DEFAULT_ROWS:,})")
    p.add_argument("--storage", action="store_true", help="tour the storage layer (the cluster volume) instead")
    p.add_argument("--path", type=Path, metavar="DIR",
                   help="with --storage: keep the on-disk volume in DIR (must not exist yet)")
    p.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    if args.storage:
        from . import volume_tour

        if args.path is not None and args.path.exists():
            raise _Usage(f"--path: {args.path} already exists; give a new directory")
        return volume_tour.run(sys.stdout, args.path)
    if args.path is not None:
        raise _Usage("--path goes with --storage (the cluster tour runs in memory)")
    if args.rows < 1:
        raise _Usage(f"--rows must be at least 1, not {args.rows}")
    from . import demo

    return demo.run(sys.stdout, engine=args.engine, rows=args.rows)


# ---------------------------------------------------------------- shell, status, sql
def _add_shell(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("shell", help="interactive SQL on a durable cluster (created if absent)",
                       description="Interactive SQL on the durable cluster at PATH, created if absent. "
                                   "Statements end with ';'. Meta-commands: \\? lists them (\\topology, "
                                   "\\failover [target], \\snapshot NAME, \\status, \\q, ...).")
    p.add_argument("path", type=Path, metavar="PATH", help="the cluster's directory")
    p.add_argument("--engine", choices=ENGINES, default=None,
                   help="engine of a new cluster (default aurora-postgresql)")
    p.set_defaults(run=_run_shell)


def _run_shell(args: argparse.Namespace) -> int:
    from .shell import shell

    return shell(args.path, engine=args.engine, out=sys.stdout, err=sys.stderr, interactive=sys.stdin.isatty())


def _add_status(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="instances, lag, VDL and segment health by AZ of a durable cluster",
                       description="Open the durable cluster at PATH (recovering it as a new writer would) "
                                   "and show its instances, volume, segment health by AZ and snapshots.")
    p.add_argument("path", type=Path, metavar="PATH", help="the cluster's directory")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(run=_run_status)


def _run_status(args: argparse.Namespace) -> int:
    from .commands import status

    return status(args.path, as_json=args.json, stream=sys.stdout)


def _add_sql(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sql", help="run SQL statements on a durable cluster and print the results",
                       description="Run SQL statements (separated by ';') on the durable cluster at PATH, in "
                                   "autocommit mode, and print each result as a table. Stops at the first error.")
    p.add_argument("path", type=Path, metavar="PATH", help="the cluster's directory")
    p.add_argument("statements", nargs="?", metavar="SQL", help="the statements")
    p.add_argument("-f", "--file", type=Path, metavar="FILE", help="read the statements from FILE (- for stdin)")
    p.add_argument("--endpoint", default="writer", help="writer (default), reader, or an instance id")
    p.add_argument("--create", action="store_true", help="create the cluster if PATH does not hold one")
    p.add_argument("--engine", choices=ENGINES, default="aurora-postgresql", help="engine of a cluster --create makes")
    p.set_defaults(run=_run_sql)


def _run_sql(args: argparse.Namespace) -> int:
    from .commands import sql

    if args.statements is not None and args.file is not None:
        raise _Usage("give the SQL as an argument or with -f, not both")
    return sql(args.path, args.statements, args.file, endpoint=args.endpoint, create=args.create,
               engine=args.engine, stream=sys.stdout)


# ---------------------------------------------------------------- entry point
_COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_add_demo, _add_shell, _add_status, _add_sql)


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from .. import __version__

    parser = _Parser(prog=prog, description="aurora_lite: an Amazon Aurora cluster inside one Python process.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = PROG) -> int:
    """Run the command line; returns the exit code."""
    with warnings.catch_warnings():
        if not sys.warnoptions:  # library warnings are for developers (python -W ... shows them)
            warnings.simplefilter("ignore")
        return _main(argv, prog)


def _main(argv: Sequence[str] | None, prog: str) -> int:
    parser = build_parser(prog)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            # argparse fills an optional positional (sql's SQL) before it sees the options that
            # precede it (`sql PATH --create "..."`); take it from what was left over.
            if args.command == "sql" and args.statements is None and len(extra) == 1 \
                    and not extra[0].startswith("-"):
                args.statements = extra[0]
            else:
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, --version, or a usage mistake (already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.run(args)
    except _Usage as exc:
        print(f"{prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"{prog} {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except Exception as exc:  # noqa: BLE001 - the CLI reports every failure as one line
        from .output import describe_error

        print(f"{prog} {args.command}: error: {describe_error(exc)}", file=sys.stderr)
        return 1
