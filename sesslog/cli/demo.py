"""``sesslog demo``: write a realistic branching session and show its tree and context."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from sesslog.cli.output import EXIT_OK, Output

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="write a realistic branching demo session and show its tree and context",
        description="Write a demo session (tool calls, a compaction, labels, a branch summary "
        "and a fork) in pi's layout, then print its tree and context.",
        parents=parents,
    )
    parser.add_argument(
        "--dir", metavar="DIR", help="sessions root to write into (default: a new temporary folder)"
    )
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace, out: Output) -> int:
    from sesslog.cli.demo_session import write_demo
    from sesslog.render.text import render_context, render_tree

    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="sesslog-demo-"))
    result = write_demo(root)
    main, fork = result.session, result.fork
    if out.json_mode:
        out.json(
            {
                "root": str(root),
                "session": str(main.path),
                "fork": str(fork.path),
                "entries": len(main),
                "branches": len(main.branches()),
                "context": main.context().to_json(),
            }
        )
        return EXIT_OK
    out.line(out.style(f"Demo sessions written under {root}", "1"))
    out.line(f"  session: {main.path}")
    out.line(f"  fork:    {fork.path}  ({len(fork)} entries, parentSession set)")
    out.line()
    out.line(out.style("Tree (● leaf, • active path, ○ other branches):", "1"))
    for text in render_tree(main.tree, style=out.style):
        out.line("  " + text)
    out.line()
    out.line(out.style("Context at the leaf:", "1"))
    for text in render_context(main.context(), style=out.style):
        out.line("  " + text)
    out.line()
    out.line(f"Try: sesslog tree {main.path} --json")
    return EXIT_OK
