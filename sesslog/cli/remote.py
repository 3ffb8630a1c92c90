"""The remote store options: ``--catalog postgresql://...`` and ``--blobs s3://...``.

``ls``, ``search``, ``stats`` and ``info`` read a fleet's PostgreSQL catalog instead of a local
store when ``--catalog URL`` is given, or ``$SESSLOG_CATALOG`` is set (``--root`` then has no
meaning and both together are a usage error). The options live in one parent parser
(:func:`remote_options`) that every such command shares.

``--blobs s3://bucket[/prefix]`` (or ``$SESSLOG_BLOBS``; :func:`blobs_options`) names the
bucket of the session bytes, for ``push``, ``pull`` and ``sync``, which take ``--root`` and
``--catalog`` together (the catalog there also keeps the writer leases). ``info``, ``tree``,
``context`` and ``export`` read their session from the bucket when ``--blobs`` is given on
their command line (:func:`remote_session`; the variable alone leaves them on local files):
their argument is then a session id, id prefix or key in the bucket. The S3 client reads
the usual ``AWS_*`` variables (``AWS_ENDPOINT_URL`` for an S3-compatible server,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``). Errors of the bucket become
one line and an exit code (:func:`remote_errors`): a missing bucket is exit 4, refused
credentials 6, an unreachable server 1, a damaged segment 3.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from sesslog.cli.errors import CommandError
from sesslog.cli.output import (
    EXIT_CORRUPT,
    EXIT_FOUND,
    EXIT_MISSING,
    EXIT_OK,
    EXIT_READ_ONLY,
    EXIT_USAGE,
    Output,
)
from sesslog.cli.parsers import options_parser
from sesslog.render.escape import escape_text

if TYPE_CHECKING:
    from sesslog.backends.objectstore.backend import ObjectStoreBackend
    from sesslog.backends.objectstore.leasing import LeaseKeeper
    from sesslog.session import Session

__all__ = [
    "BLOBS_ENV",
    "CATALOG_ENV",
    "answer_from_catalog",
    "blobs_options",
    "catalog_url",
    "open_blobs",
    "open_leases",
    "open_remote_store",
    "remote_errors",
    "remote_info",
    "remote_options",
    "remote_scoped",
    "remote_session",
]

#: The environment variable naming the remote catalog.
CATALOG_ENV = "SESSLOG_CATALOG"
#: The environment variable naming the bucket of the session bytes.
BLOBS_ENV = "SESSLOG_BLOBS"
_SCHEMES = ("postgresql://", "postgres://")


def remote_options() -> argparse.ArgumentParser:
    """The parent parser of the remote store options."""
    parser = options_parser()
    parser.add_argument(
        "--catalog",
        metavar="URL",
        help=f"read the fleet's PostgreSQL catalog at URL (default: ${CATALOG_ENV}) "
        "instead of a local store",
    )
    return parser


def blobs_options() -> argparse.ArgumentParser:
    """The parent parser of ``--blobs``."""
    parser = options_parser()
    parser.add_argument(
        "--blobs",
        metavar="URL",
        help=f"session bytes in S3-compatible storage: s3://bucket[/prefix] (default: "
        f"${BLOBS_ENV}; endpoint and keys from the AWS_* variables)",
    )
    return parser


def catalog_url(args: argparse.Namespace, *, with_root: bool = False) -> str | None:
    """The remote catalog a command reads (``--catalog``, else ``$SESSLOG_CATALOG``), or
    ``None`` for the local store.

    Args:
        args: The parsed options.
        with_root: The command works on a local root and the catalog together (``push``).

    Raises:
        CommandError: The URL is not a PostgreSQL one, or ``--root`` was given as well (unless
            ``with_root``).
    """
    given = getattr(args, "catalog", None)
    url = given or os.environ.get(CATALOG_ENV) or None
    if url is None:
        return None
    source = "--catalog" if given else f"${CATALOG_ENV}"
    if not url.startswith(_SCHEMES):
        raise CommandError(f"{source}: not a postgresql:// URL", EXIT_USAGE)
    if given and not with_root and getattr(args, "root", None):
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


def open_leases(url: str | None) -> LeaseKeeper | None:
    """The PostgreSQL writer leases of the catalog at ``url``, or ``None`` without one."""
    if url is None:
        return None
    from sesslog.fleet.leases import PostgresLeases

    return PostgresLeases(url)


def open_blobs(
    args: argparse.Namespace, *, leases: LeaseKeeper | None = None
) -> ObjectStoreBackend:
    """The object-storage backend of ``--blobs`` (else ``$SESSLOG_BLOBS``).

    Raises:
        CommandError: Neither names a bucket, or the URL is not ``s3://bucket[/prefix]``.
    """
    url = getattr(args, "blobs", None) or os.environ.get(BLOBS_ENV)
    if not url:
        raise CommandError(f"--blobs s3://bucket[/prefix] (or ${BLOBS_ENV}) is needed", EXIT_USAGE)
    from sesslog.backends.objectstore.backend import ObjectStoreBackend

    try:
        return ObjectStoreBackend.open(url, leases=leases)
    except ValueError as error:
        raise CommandError(f"--blobs: {error}", EXIT_USAGE) from None


@contextlib.contextmanager
def remote_errors() -> Iterator[None]:
    """Turn the errors of the bucket into one line and an exit code."""
    from sesslog.backends.objectstore.errors import (
        BucketAccessError,
        BucketNotFoundError,
        ManifestCorruptError,
        ObjectStoreUnavailableError,
        SegmentCorruptError,
    )

    try:
        yield
    except BucketNotFoundError as error:
        raise CommandError(f"{error} (nothing was written)", EXIT_MISSING) from None
    except BucketAccessError as error:
        raise CommandError(f"{error}; nothing was written", EXIT_READ_ONLY) from None
    except ObjectStoreUnavailableError as error:
        raise CommandError(str(error), EXIT_FOUND) from None
    except (SegmentCorruptError, ManifestCorruptError) as error:
        raise CommandError(str(error), EXIT_CORRUPT) from None


def remote_session(args: argparse.Namespace, ref: str) -> Session | None:
    """The session ``ref`` (an id, id prefix or key) read from the bucket of ``--blobs`` by
    ranged GETs, or ``None`` when the command line gives no ``--blobs``."""
    if not getattr(args, "blobs", None):
        return None
    from sesslog.fleet.pull import find_key
    from sesslog.format.reader import ReadMode
    from sesslog.session import Session

    remote = open_blobs(args)
    with remote_errors():
        key = find_key(remote, ref)
        return Session.open(key, backend=remote, mode=ReadMode(args.mode), read_only=True)


def remote_scoped(args: argparse.Namespace, ref: str, scope: str, out: Output) -> Session | None:
    """The session ``ref`` in the bucket of ``--blobs`` opened in ``scope`` (``active_path``,
    ``tail:N``) through its V2 sidecar by ranged GETs; when the sidecar cannot serve, read from
    the log with one line on stderr saying why. ``None`` without ``--blobs``."""
    if not getattr(args, "blobs", None):
        return None
    from sesslog.fleet.pull import find_key
    from sesslog.fleet.remote_open import open_remote
    from sesslog.format.reader import ReadMode
    from sesslog.projections.protocol import OpenScope

    remote = open_blobs(args)
    with remote_errors():
        key = find_key(remote, ref)
        opened = open_remote(remote, key, OpenScope.parse(scope), ReadMode(args.mode))
    if opened.fallback is not None:
        out.warn(opened.fallback)
    return opened.session
