"""The ``sesslog`` command line: a thin layer over the library, one module per command group.

Each command module has ``register(subparsers, parents)`` which adds its commands; a command's
handler takes the parsed arguments and returns the exit code. Heavy imports happen inside the
handlers so that ``sesslog --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sesslog.cli.output import (
    EXIT_CORRUPT,
    EXIT_LOCKED,
    EXIT_MISSING,
    EXIT_USAGE,
    Output,
    common_options,
)
from sesslog.errors import (
    FormatError,
    ReadOnlySessionError,
    SessionLockedError,
    SessionNotFoundError,
    SesslogError,
)

__all__ = ["build_parser", "main"]

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = ("core", "append", "v2", "store", "demo")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="sesslog",
        description="Append-only JSONL session logs for coding agents (pi format v3).",
    )
    parser.add_argument("--version", action="version", version=_version())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    parents = [common_options()]
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(subparsers, parents)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"sesslog {version('sesslog')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "sesslog (source)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 ok, 1 problems found, 2 usage, 3 corrupt data, 4 missing input,
        5 session locked (see ``docs/cli.md``).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    out = Output.from_args(args)
    try:
        code: int = args.handler(args, out)
        return code
    except SessionNotFoundError as exc:
        return out.fail(str(exc), EXIT_MISSING)
    except FileNotFoundError as exc:
        return out.fail(f"{exc.filename or exc}: no such file", EXIT_MISSING)
    except SessionLockedError as exc:
        return out.fail(str(exc), EXIT_LOCKED)
    except (FormatError, ReadOnlySessionError) as exc:
        return out.fail(str(exc), EXIT_CORRUPT)
    except SesslogError as exc:
        return out.fail(str(exc), 1)
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
