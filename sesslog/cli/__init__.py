"""The ``sesslog`` command line: a thin layer over the library, one module per command group.

Each command module has ``register(subparsers, parents)`` which adds its commands; a command's
handler takes the parsed arguments and returns the exit code. Heavy imports happen inside the
handlers so that ``sesslog --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from sesslog.cli.errors import describe_error
from sesslog.cli.interrupts import sigint_ignored
from sesslog.cli.output import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Output,
    common_options,
)

__all__ = ["build_parser", "main"]

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = (
    "core",
    "append",
    "v2",
    "tail",
    "store",
    "store_sessions",
    "store_meta",
    "store_snapshots",
    "store_trash",
    "watch",
    "interop_import",
    "interop_export",
    "demo",
)


class _UsageError(Exception):
    """Bad arguments: the parser's message and the usage of the command they were for."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises on bad arguments instead of exiting, so that the error
    can be reported like every other (as JSON too with ``--json``)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.partition(" ")[2]  # "sesslog tree" -> "tree"
        raise _UsageError(f"{command}: {message}" if command else message, self.format_usage())


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every command registered."""
    parser = _Parser(
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

    Every failure ends with one line on stderr naming the file and the cause (with ``--json``
    also a JSON object on stdout), never a traceback; Ctrl-C ends with exit code 130, a closed
    stdout pipe quietly with 141.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code (see ``docs/cli.md``): 0 ok, 1 problems found, 2 usage, 3 corrupt data,
        4 missing input, 5 locked, 6 read-only, 70 internal error, 130 interrupted, 141 broken
        pipe.
    """
    _tolerant_streams()
    out = Output(json_mode=False, color=False)
    args: argparse.Namespace | None = None
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version
            return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
        except _UsageError as exc:
            words = sys.argv[1:] if argv is None else list(argv)
            out = Output(json_mode="--json" in words, color=False)
            out.stderr.write(exc.usage)
            return out.fail(str(exc), EXIT_USAGE)
        if not getattr(args, "handler", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        out = Output.from_args(args)
        code: int = args.handler(args, out)
        out.flush()
        return code
    except BaseException as exc:  # every error ends as one line and an exit code
        with sigint_ignored():
            return _report(exc, args, out)


def _report(exc: BaseException, args: argparse.Namespace | None, out: Output) -> int:
    """Say what went wrong in one line and return the exit code."""
    if isinstance(exc, SystemExit):
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if isinstance(exc, BrokenPipeError) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE):
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    file = getattr(args, "file", None)
    file = os.fspath(file) if file is not None else None
    if isinstance(exc, KeyboardInterrupt):
        message, code = f"{file}: interrupted" if file else "interrupted", EXIT_INTERRUPTED
    else:
        message, code = describe_error(exc, file)
        if os.environ.get("SESSLOG_DEBUG"):
            traceback.print_exception(exc, file=sys.stderr)
    try:
        return out.fail(message, code, file=file)
    except (BrokenPipeError, OSError):
        return code


def _tolerant_streams() -> None:
    """Let the real stdout and stderr write any text (an encoding they cannot hold becomes
    backslash escapes instead of an error)."""
    for stream in (sys.__stdout__, sys.__stderr__):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit does not fail again."""
    if sys.stdout is not sys.__stdout__ or sys.__stdout__ is None:
        return  # not the process's own stdout (called from Python): leave it alone
    with contextlib.suppress(OSError, ValueError):
        fd = sys.__stdout__.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
