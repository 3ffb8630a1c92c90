"""The command line's parser and its main function: every command but ``sesslog --version``.

:func:`sesslog.cli.run` imports this module only when the command line needs a parser, so
that ``sesslog --version`` loads neither :mod:`argparse` nor the output layer.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import importlib
import os
import sys

from sesslog._lazy import TYPE_CHECKING
from sesslog.cli.output import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Output,
    common_options,
)
from sesslog.cli.parsers import HelpFormatter

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any, NoReturn

__all__ = ["COMMANDS", "build_parser", "main", "run_main"]

#: Command modules and the commands each registers, in the order of ``--help``. A command's
#: run imports only its own module (``sesslog context`` never loads the write path or the
#: store); ``--help``, an unknown command or none import them all.
COMMANDS: dict[str, tuple[str, ...]] = {
    "core": ("info", "tree", "context", "check", "upgrade"),
    "append": ("append",),
    "v2": ("migrate", "status", "verify", "rollback", "recover", "restore-jsonl"),
    "tail": ("tail",),
    "store": ("ls", "search", "stats", "catalog"),
    "store_sessions": ("open", "log", "new", "fork", "branch"),
    "store_meta": ("label", "name", "tag", "meta"),
    "store_snapshots": ("snapshot", "restore", "undo", "redo"),
    "store_trash": ("rm", "trash", "restore-trash", "empty-trash", "cleanup"),
    "watch": ("watch",),
    "interop_import": ("import",),
    "interop_export": ("export", "share", "unshare"),
    "fleet": ("push", "pull", "sync"),
    "analytics": ("analytics",),
    "demo": ("demo",),
}


class _UsageError(Exception):
    """Bad arguments: the parser's message and the usage of the command they were for."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises on bad arguments instead of exiting, so that the error
    can be reported like every other (as JSON too with ``--json``), and formats help with
    :class:`~sesslog.cli.parsers.HelpFormatter` unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        command = self.prog.partition(" ")[2]  # "sesslog tree" -> "tree"
        raise _UsageError(f"{command}: {message}" if command else message, self.format_usage())


def build_parser(modules: Iterable[str] = COMMANDS) -> argparse.ArgumentParser:
    """Build the argument parser.

    Args:
        modules: The command modules to register (default: all; see :data:`COMMANDS`).
    """
    parser = _Parser(
        prog="sesslog",
        description="Append-only JSONL session logs for coding agents (pi format v3).",
    )
    parser.add_argument("--version", action="version", version=_version())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    parents = [common_options()]
    for name in modules:
        module = importlib.import_module(f"sesslog.cli.{name}")
        module.register(subparsers, parents)
    return parser


def _version() -> str:
    from sesslog._version import __version__

    return f"sesslog {__version__}"


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
        words = sys.argv[1:] if argv is None else list(argv)
        parser = build_parser(_modules_for(words))
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version
            return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
        except _UsageError as exc:
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
        from sesslog.cli.interrupts import sigint_ignored

        with sigint_ignored():
            return _report(exc, args, out)


def _modules_for(words: list[str]) -> Iterable[str]:
    """The command modules a command line needs: that of its command (the first word that is
    no option); none for ``--version``; all for ``--help`` or an unknown command."""
    for word in words:
        if word == "--version":
            return ()
        if word in ("-h", "--help"):
            break
        if not word.startswith("-"):
            return [name for name, commands in COMMANDS.items() if word in commands] or COMMANDS
    return COMMANDS


def run_main() -> NoReturn:
    """The ``sesslog`` program: :func:`main`, then exit at once.

    Once the output is flushed nothing is left to do, so the process ends without the
    interpreter's teardown (freeing every object of a large session costs a tenth of a
    read). Only the program's entry does this; :func:`main` returns to its caller. A standard
    stream the process was started without (``sesslog ... >&-``) reads as ``/dev/null``.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)
    from sesslog.cli.lingering import keep_until_exit

    keep_until_exit()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, OSError, ValueError):
        _silence_stdout()
        code = code or EXIT_BROKEN_PIPE
    threading = sys.modules.get("threading")
    if atexit._ncallbacks() or (threading is not None and threading.active_count() > 1):
        # something still has work to do at exit (a session's writer, a thread): exit as usual
        raise SystemExit(code)
    os._exit(code)


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
        from sesslog.cli.errors import describe_error

        message, code = describe_error(exc, file)
        if os.environ.get("SESSLOG_DEBUG"):
            import traceback

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
