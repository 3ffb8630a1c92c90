"""What every store command shares: the ``--root`` option and the root it names, opening the
store (with the catalog fallback said once on stderr), the exit codes of bad references and
metadata, and how a session is shown.

A reference (``REF``) names a session by path, id, unique id prefix or unique title (see
:meth:`sesslog.store.SessionStore.resolve`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sesslog._patterns import LazyPattern
from sesslog.cli.errors import CommandError
from sesslog.cli.output import EXIT_OK, EXIT_USAGE, Output
from sesslog.cli.parsers import options_parser
from sesslog.cli.remote import catalog_url, open_remote_store
from sesslog.render.escape import escape_text

if TYPE_CHECKING:
    from sesslog.catalog.types import SessionInfo
    from sesslog.store import SessionStore

__all__ = [
    "REF_HELP",
    "StoreWork",
    "add_command",
    "age",
    "emit",
    "info_json",
    "info_line",
    "opened_store",
    "root_options",
    "run_store",
    "sessions_root",
]

#: The help of a ``REF`` argument.
REF_HELP = "the session: its path, id, unique id prefix or title"

StoreWork = Callable[["SessionStore"], int]

_AGE = LazyPattern(r"(\d+(?:\.\d+)?)([smhdw]?)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "": 86400}


def sessions_root(root: str | os.PathLike[str] | None) -> Path:
    """The sessions root a command works in: ``--root``, else ``$SESSLOG_ROOT``, else pi's
    sessions folder (``~/.pi/agent/sessions``)."""
    if root:
        return Path(root)
    env = os.environ.get("SESSLOG_ROOT")
    if env:
        return Path(env).expanduser()
    from sesslog.backends.layout import default_sessions_root

    return default_sessions_root()


def root_options() -> argparse.ArgumentParser:
    """The ``--root`` option every store command takes (an argparse parent)."""
    parent = options_parser()
    parent.add_argument(
        "--root",
        metavar="DIR",
        help="the sessions folder (default: $SESSLOG_ROOT, else pi's ~/.pi/agent/sessions)",
    )
    return parent


def add_command(
    subparsers: Any,
    parents: list[argparse.ArgumentParser],
    name: str,
    help_text: str,
    handler: Callable[[argparse.Namespace, Output], int],
    *,
    ref: bool = True,
) -> argparse.ArgumentParser:
    """Add a store command taking ``--root`` (and a ``ref`` positional unless ``ref=False``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text, parents=[*parents, root_options()]
    )
    if ref:
        parser.add_argument("ref", metavar="REF", help=REF_HELP)
    parser.set_defaults(handler=handler)
    return parser


def age(text: str) -> dt.timedelta:
    """An argparse type: an age such as ``30`` (days), ``12h``, ``2w``, ``90m`` or ``45s``."""
    found = _AGE.fullmatch(text.strip())
    if found is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an age (a number of days, or with a unit: 45s, 90m, 12h, 30d, 2w)"
        )
    return dt.timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])


def _refused() -> tuple[type[BaseException], ...]:
    from sesslog.errors import (
        AmbiguousSessionError,
        InvalidIdError,
        InvalidMetadataError,
        StoreRootError,
        UnsafeSessionFileError,
    )

    return (
        AmbiguousSessionError,
        InvalidIdError,
        InvalidMetadataError,
        StoreRootError,
        UnsafeSessionFileError,
    )


def _catalog_url(args: argparse.Namespace) -> str | None:
    """The fleet catalog of a command that takes ``--catalog`` (else ``None``: local)."""
    return catalog_url(args) if hasattr(args, "catalog") else None


@contextmanager
def opened_store(
    args: argparse.Namespace, out: Output, *, core: bool = False
) -> Iterator[SessionStore]:
    """Open the store of ``--root``; say once on stderr when its catalog cannot be used.

    With ``core``, only the finding, listing and searching part of the store is opened
    (:class:`~sesslog.store.core.StoreCore`: ``ls``, ``search``, ``stats`` and ``catalog``
    import none of the store's write side); its methods are those of a ``SessionStore`` that
    a read calls.

    A bad reference (a path separator or ``..`` in an id, several sessions matching), bad
    metadata (control characters in a title or tag), a session file replaced by a symbolic
    link and a root that is not a folder end with one line and exit 2, before anything is
    written.
    """
    from sesslog.errors import CatalogUnavailableWarning
    from sesslog.store import SessionStore

    refused = _refused()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CatalogUnavailableWarning)
        try:
            url = _catalog_url(args)
            root = sessions_root(getattr(args, "root", None))
            if url is not None:  # --catalog: a fleet's catalog, read only
                store = cast("SessionStore", open_remote_store(url))
            elif core:
                from sesslog.store.core import StoreCore

                store = cast("SessionStore", StoreCore(root))
            else:
                store = SessionStore(root)
        except refused as exc:
            raise CommandError(str(exc), EXIT_USAGE) from None
        try:
            yield store
        except refused as exc:
            raise CommandError(str(exc), EXIT_USAGE) from None
        finally:
            store.close()
            shown = [w for w in caught if issubclass(w.category, CatalogUnavailableWarning)]
            if shown:
                out.warn(f"warning: {shown[0].message}")


def run_store(
    args: argparse.Namespace,
    out: Output,
    work: StoreWork,
    *,
    core: bool = False,
    fresh: bool = False,
) -> int:
    """Run ``work`` on the store of ``--root`` (see :func:`opened_store`); its exit code.

    With ``fresh``, when the store is local and no session file changed since its catalog's
    last refresh, ``work`` gets the catalog alone instead
    (:class:`~sesslog.catalog.fresh.FreshCatalog`: its ``list`` and ``search`` answer as the
    store's would, without loading the store).
    """
    if fresh and _catalog_url(args) is None:
        from sesslog.catalog.fresh import FreshCatalog, NotFresh

        catalog = FreshCatalog.open(sessions_root(getattr(args, "root", None)))
        if catalog is not None:
            try:
                return work(cast("SessionStore", catalog))
            except NotFresh:
                pass  # the query failed before anything was printed: the store answers
            finally:
                catalog.close()
    with opened_store(args, out, core=core) as store:
        return work(store)


def emit(out: Output, value: Any, lines: Iterable[str]) -> int:
    """Print ``value`` as JSON with ``--json``, else each of ``lines``; return exit code 0."""
    if out.json_mode:
        out.json(value)
    else:
        for text in lines:
            out.line(text)
    return EXIT_OK


def info_json(info: SessionInfo) -> Any:
    """A session as ``ls --json`` shows it."""
    import msgspec

    return msgspec.to_builtins(info)


def info_line(info: SessionInfo, out: Output) -> str:
    """A session as ``ls`` shows it: updated, the id's first 13 characters (enough to tell
    apart UUIDv7 ids made in the same minute), entries, cost, working directory, title."""
    label = info.title or info.preview or ""
    flag = out.style(f" [{info.error}]", "31") if info.error else ""
    return (
        f"{info.updated[:16].replace('T', ' '):16}  {info.id[:13]:13}  {info.entries:6}  "
        f"${info.cost:8.4f}  {escape_text(info.cwd)}  {escape_text(label)[:60]}{flag}"
    )
