"""``sesslog analytics export DIR``: the store's sessions as Parquet files for DuckDB."""

from __future__ import annotations

import argparse
from typing import Any

from sesslog.cli.errors import CommandError
from sesslog.cli.inputs import sessions_root
from sesslog.cli.output import EXIT_FOUND, EXIT_OK, Output
from sesslog.render.escape import escape_text

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``analytics`` command."""
    text = "export sessions, entries, tool executions and usage as Parquet files (DuckDB)"
    analytics = subparsers.add_parser("analytics", help=text, description=text, parents=parents)
    analytics.add_argument("action", choices=("export",), help="what to do")
    analytics.add_argument("folder", metavar="DIR", help="where to write the .parquet files")
    analytics.add_argument(
        "--root",
        metavar="DIR",
        help="the sessions folder (default: $SESSLOG_ROOT, else pi's ~/.pi/agent/sessions)",
    )
    analytics.set_defaults(handler=_export)


def _export(args: argparse.Namespace, out: Output) -> int:
    import msgspec

    try:
        from sesslog.analytics import export_parquet
    except ImportError as exc:
        raise CommandError(
            f"analytics export needs the analytics extra (pip install 'sesslog[analytics]'): {exc}",
            EXIT_FOUND,
        ) from None
    from sesslog.store import SessionStore

    def progress(done: int, total: int) -> None:
        if out.progress_enabled and (done == total or done % 100 == 0):
            out.stderr.write(f"\rexport {done}/{total} sessions")
            if done == total:
                out.stderr.write("\n")
            out.stderr.flush()

    store = SessionStore(sessions_root(args.root))
    try:
        report = export_parquet(store, args.folder, progress=progress)
    finally:
        store.close()
    if out.json_mode:
        out.json(msgspec.to_builtins(report))
        return EXIT_OK
    for name, path in report.files.items():
        out.line(f"{report.rows[name]:9} rows  {escape_text(path)}")
    if report.unreadable:
        out.warn(f"warning: {report.unreadable} sessions could not be read (listed only)")
    return EXIT_OK
