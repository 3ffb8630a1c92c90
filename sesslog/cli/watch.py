"""``sesslog watch``: keep a store's catalog current while agents write, until Ctrl-C."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from sesslog.cli.output import EXIT_INTERRUPTED, EXIT_OK, Output
from sesslog.cli.store_access import add_command, opened_store

if TYPE_CHECKING:
    from sesslog.catalog.types import RefreshReport

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``watch`` command."""
    watch = add_command(
        subparsers,
        parents,
        "watch",
        "keep the store's catalog current as sessions are written, until Ctrl-C",
        _watch,
        ref=False,
    )
    watch.add_argument(
        "--quiet", action="store_true", help="print nothing when a refresh changed nothing"
    )


def _line(report: RefreshReport) -> str:
    return (
        f"{report.checked} sessions: {report.added} added, {report.caught_up} caught up, "
        f"{report.rebuilt} read again, {report.removed} removed ({report.bytes_read} bytes read)"
    )


def _watch(args: argparse.Namespace, out: Output) -> int:
    import msgspec

    from sesslog.store.watch import watch_store

    try:
        with opened_store(args, out) as store:
            for report in watch_store(store):
                if args.quiet and not report.changed:
                    continue
                if out.json_mode:
                    out.json(msgspec.to_builtins(report))
                else:
                    out.line(_line(report))
                out.stdout.flush()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED  # the catalog is consistent after every refresh: end quietly
    return EXIT_OK  # pragma: no cover - the watch ends only on Ctrl-C
