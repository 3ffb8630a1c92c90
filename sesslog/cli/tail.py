"""``sesslog tail FILE``: print a session's last entries, and with ``-f`` every new one."""

from __future__ import annotations

import argparse
from typing import Any

from sesslog.cli.core import non_negative_int, positive_int
from sesslog.cli.inputs import accept_session_ref, existing_file, file_if_any
from sesslog.cli.output import EXIT_OK, Output

__all__ = ["register"]

_DESCRIPTION = """\
Print the last entries of a session (-n, default 10), and with -f keep printing each new entry
as it is appended, until Ctrl-C. A line in progress is printed once it ends; a file cut short or
replaced (an atomic rewrite) is read again from its start without printing an entry twice.
--json prints one JSON object per entry (one per line)."""


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``tail`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tail",
        help="print a session's last entries; -f follows it as it grows",
        description=_DESCRIPTION,
        parents=parents,
    )
    parser.add_argument("file", help="session .jsonl file")
    parser.add_argument(
        "-n",
        "--lines",
        type=non_negative_int,
        default=10,
        metavar="N",
        help="entries to start with (10)",
    )
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new entries")
    parser.add_argument(
        "--width", type=positive_int, default=100, help="width of entry summaries (default 100)"
    )
    parser.set_defaults(handler=_tail)
    accept_session_ref(parser)


def _tail(args: argparse.Namespace, out: Output) -> int:
    from sesslog.render.text import entry_summary
    from sesslog.store.tail import SessionFollower, follow

    def show(rec: Any) -> None:
        if out.json_mode:
            out.json(rec.decode())
        else:
            stamp = rec.timestamp if isinstance(rec.timestamp, str) else "?"
            out.line(f"{stamp}  {rec.id}  {entry_summary(rec, args.width)}")
        out.stdout.flush()

    if args.follow:  # the file may not exist yet: it is picked up once created
        for rec in follow(file_if_any(args.file), last=args.lines):
            show(rec)
        return EXIT_OK
    with SessionFollower(existing_file(args.file)) as follower:
        entries = follower.poll()
    for rec in entries[max(0, len(entries) - args.lines) :]:
        show(rec)
    for diag in follower.diagnostics:
        out.warn(f"{args.file}: {diag}")
    return EXIT_OK
