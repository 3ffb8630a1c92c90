"""The remote store options of the store commands: ``--catalog postgresql://...``.

``ls``, ``search``, ``stats`` and ``info`` read a fleet's PostgreSQL catalog instead of a local
store when ``--catalog URL`` is given, or ``$SESSLOG_CATALOG`` is set (``--root`` then has no
meaning and both together are a usage error). The options live in one parent parser
(:func:`remote_options`) that every such command shares, so further remote options (the
session bytes' bucket) join it in one place.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from sesslog.cli.errors import CommandError
from sesslog.cli.output import EXIT_FOUND, EXIT_OK, EXIT_USAGE, Output
from sesslog.render.escape import escape_text

__all__ = [
    "CATALOG_ENV",
    "answer_from_catalog",
    "catalog_url",
    "open_remote_store",
    "remote_info",
    "remote_options",
]

#: The environment variable naming the remote catalog.
CATALOG_ENV = "SESSLOG_CATALOG"
_SCHEMES = ("postgresql://", "postgres://")


def remote_options() -> argparse.ArgumentParser:
    """The parent parser of the remote store options."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--catalog",
        metavar="URL",
        help=f"read the fleet's PostgreSQL catalog at URL (default: ${CATALOG_ENV}) "
        "instead of a local store",
    )
    return parser


def catalog_url(args: argparse.Namespace) -> str | None:
    """The remote catalog a command reads (``--catalog``, else ``$SESSLOG_CATALOG``), or
    ``None`` for the local store.

    Raises:
        CommandError: The URL is not a PostgreSQL one, or ``--root`` was given as well.
    """
    given = getattr(args, "catalog", None)
    url = given or os.environ.get(CATALOG_ENV) or None
    if url is None:
        return None
    source = "--catalog" if given else f"${CATALOG_ENV}"
    if not url.startswith(_SCHEMES):
        raise CommandError(f"{source}: not a postgresql:// URL", EXIT_USAGE)
    if given and getattr(args, "root", None):
        raise CommandError("give --root (a local store) or --catalog, not both", EXIT_USAGE)
    return url


def open_remote_store(url: str) -> Any:
    """A read-only store over the PostgreSQL catalog at ``url``.

    Raises:
        CommandError: The ``fleet`` extra (psycopg) is not installed.
        CatalogConnectionError: The server refuses or cannot be reached.
    """
    try:
        from sesslog.catalog.postgres import PostgresCatalog
    except ImportError as exc:
        raise CommandError(
            f"the PostgreSQL catalog needs the fleet extra (pip install 'sesslog[fleet]'): {exc}",
            EXIT_FOUND,
        ) from None
    from sesslog.store.core import StoreCore

    return StoreCore.over_catalog(PostgresCatalog(url, max_connections=2))


def answer_from_catalog(parser: argparse.ArgumentParser) -> None:
    """Make ``info`` answer from the remote catalog when one is named: always with
    ``--catalog``; with ``$SESSLOG_CATALOG`` when its ``file`` argument is not a file."""
    local: Callable[[argparse.Namespace, Output], int] = parser.get_default("handler")

    def either(args: argparse.Namespace, out: Output) -> int:
        url = catalog_url(args)
        if url is not None and (args.catalog or not os.path.lexists(args.file)):
            return remote_info(url, args.file, out)
        return local(args, out)

    parser.set_defaults(handler=either)


def remote_info(url: str, ref: str, out: Output) -> int:
    """``info --catalog URL REF``: what the catalog knows of one session."""
    import msgspec

    store = open_remote_store(url)
    try:
        details = store.info(ref)
    finally:
        store.close()
    if out.json_mode:
        out.json(msgspec.to_builtins(details))
        return EXIT_OK
    info = details.info
    for label, value in (
        ("id", info.id),
        ("path", info.path),
        ("cwd", info.cwd),
        ("title", info.title or ""),
        ("status", info.status),
        ("tags", ", ".join(info.tags)),
        ("created", info.created),
        ("updated", info.updated),
        ("entries", info.entries),
        ("messages", info.messages),
        ("models", ", ".join(info.models)),
        ("tokens", info.tokens.total),
        ("cost", f"${info.cost:.4f}"),
        ("tool calls", f"{info.tool_calls} ({info.tool_errors} failed)"),
        ("files", ", ".join(details.files)),
    ):
        out.line(f"{label:11} {escape_text(str(value))}")
    return EXIT_OK
