"""``sesslog demo``: write a small store of sessions and show the main commands over it."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from sesslog.cli.output import EXIT_OK, Output

__all__ = ["register"]

#: The word the demo searches for (it occurs in three sessions).
_WORD = "UTC"
#: The title of the branching session.
_MAIN = "Fix the flaky date test"


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="write a small demo store and show ls, search, tree, context and stats over it",
        description="Write a demo store in pi's layout (sessions of three projects with "
        "titles, tags, usage, a branching session with a compaction and labels, its fork, a "
        "template and a session started from it), then show `ls`, a `search`, the `tree` and "
        "`context` of the branching session, and `stats`.",
        parents=parents,
    )
    parser.add_argument(
        "--dir", metavar="DIR", help="sessions root to write into (default: a new temporary folder)"
    )
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace, out: Output) -> int:
    from sesslog.cli.demo_store import write_demo_store

    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="sesslog-demo-"))
    demo = write_demo_store(root)
    if out.json_mode:
        out.json(
            {"root": str(root), "session": demo.main, "fork": demo.fork, "sessions": demo.sessions}
        )
        return EXIT_OK
    out.line(out.style(f"A demo store of {demo.sessions} sessions under {root}", "1"))
    out.line()
    steps = [
        ("ls", "every session, newest first: updated, id, entries, cost, folder, title"),
        ("search", "where it was said, best first, the match marked", _WORD, "--limit", "5"),
        ("tree", "a session by title: ● leaf, • active path, ○ the branch left", _MAIN),
        ("context", "what the model sees at its leaf", _MAIN, "--last", "4"),
        ("context", "its size in tokens", _MAIN, "--tokens"),
        ("stats", "store-wide totals, per model, per tool, per day"),
    ]
    for command, about, *rest in steps:
        _show(out, args, root, command, about, rest)
    out.line(f"Try: SESSLOG_ROOT={root} sesslog open --latest --json")
    return EXIT_OK


def _show(
    out: Output,
    args: argparse.Namespace,
    root: Path,
    command: str,
    about: str,
    rest: list[str],
) -> None:
    """Print ``$ sesslog COMMAND ...`` and what the command prints."""
    import shlex

    from sesslog.cli import main

    shown = shlex.join([command, *rest])
    out.line(out.style(f"$ sesslog {shown}", "1") + out.style(f"   # {about}", "2"))
    out.stdout.flush()
    main([command, *rest, "--root", str(root), "--color", "always" if out.color else "never"])
    out.line()
