"""``sesslog import PATH...``: import Claude Code, Codex CLI and pi sessions into a session store."""

from __future__ import annotations

import argparse
from typing import Any

from sesslog.cli.inputs import sessions_root
from sesslog.cli.output import EXIT_FOUND, EXIT_OK, Output
from sesslog.cli.progress import progress_bar

__all__ = ["register"]

_DESCRIPTION = """\
Import Claude Code transcripts, Codex CLI rollouts and pi or OpenClaw sessions into the session
store (pi's layout), where ls and search find them at once. PATH is a file or a folder (searched
recursively for *.jsonl). Each file's format is detected unless --from says it. Importing is
idempotent: the same source again adds nothing, a longer version of it adds only what is new.
Exit 1 when a file failed or was not recognised."""


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``import`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import",
        help="import Claude Code, Codex and pi sessions into the session store",
        description=_DESCRIPTION,
        parents=parents,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file or folder to import")
    parser.add_argument(
        "--from",
        dest="source",
        choices=("claude", "codex", "pi"),
        help="the format of every file (default: detected per file)",
    )
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="the sessions folder (default: $SESSLOG_ROOT, else pi's ~/.pi/agent/sessions)",
    )
    parser.set_defaults(handler=_import)


def _import(args: argparse.Namespace, out: Output) -> int:
    from sesslog.interop.importer import import_paths

    root = sessions_root(args.root)
    with progress_bar(out) as bar:
        progress = None if bar is None else (lambda done, total: bar("import", done, total))
        report = import_paths(args.paths, root, source=args.source or "auto", progress=progress)
    if out.json_mode:
        out.json(report)
    else:
        for result in report.files:
            _print_file(out, result)
        counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts.items()))
        out.line(
            f"{len(report.files)} file(s): {counts or 'none'}; "
            f"{report.entries_added} entries added to {root}"
        )
    return EXIT_OK if report.ok else EXIT_FOUND


def _print_file(out: Output, result: Any) -> None:
    status = out.style(f"{result.status:<9}", "31" if result.status == "failed" else "1")
    if result.error:
        out.line(f"{status} {result.path}: {result.error}")
        return
    added = f" (+{result.entries_added} entries, {result.custom_added} kept as custom)"
    out.line(f"{status} {result.path}{added if result.entries_added else ''}")
    for session in result.sessions:
        if session.entries_added:
            out.line(out.style(f"          -> {session.path}", "2"))
    for diag in result.damage:
        out.line(out.style(f"          {diag}", "2"))
