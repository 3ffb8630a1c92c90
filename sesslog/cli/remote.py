"""The options naming a fleet's remote store: ``--blobs s3://bucket/prefix`` for the session
bytes and ``--catalog postgresql://...`` for the catalog and the writer leases.

Each falls back on an environment variable (``SESSLOG_BLOBS``, ``SESSLOG_CATALOG``); the S3
client reads the usual ``AWS_*`` variables (``AWS_ENDPOINT_URL`` for an S3-compatible server,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``), PostgreSQL the ``PG*`` ones.
Errors of the remote stores become one line and an exit code here: a missing bucket is exit 4,
refused credentials 6, an unreachable server 1, a damaged segment 3.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sesslog.cli.errors import CommandError
from sesslog.cli.output import EXIT_CORRUPT, EXIT_FOUND, EXIT_MISSING, EXIT_READ_ONLY

if TYPE_CHECKING:
    from sesslog.backends.objectstore.backend import ObjectStoreBackend
    from sesslog.backends.objectstore.leasing import LeaseKeeper

__all__ = ["add_remote_options", "open_blobs", "open_leases", "remote_errors"]


def add_remote_options(parser: argparse.ArgumentParser, *, blobs_help: str | None = None) -> None:
    """Add ``--blobs`` and ``--catalog`` to a command."""
    parser.add_argument(
        "--blobs",
        metavar="URL",
        default=os.environ.get("SESSLOG_BLOBS"),
        help=blobs_help
        or "session bytes in S3-compatible storage: s3://bucket[/prefix] (default: "
        "$SESSLOG_BLOBS; endpoint and keys from the AWS_* variables)",
    )
    parser.add_argument(
        "--catalog",
        metavar="URL",
        default=os.environ.get("SESSLOG_CATALOG"),
        help="PostgreSQL catalog and writer leases: postgresql://... (default: $SESSLOG_CATALOG)",
    )


def open_leases(args: argparse.Namespace) -> LeaseKeeper | None:
    """The PostgreSQL writer leases of ``--catalog``, or ``None`` without it."""
    if not args.catalog:
        return None
    from sesslog.fleet.leases import PostgresLeases

    return PostgresLeases(args.catalog)


def open_blobs(
    args: argparse.Namespace, *, leases: LeaseKeeper | None = None
) -> ObjectStoreBackend:
    """The object-storage backend of ``--blobs``.

    Raises:
        CommandError: ``--blobs`` is missing or not an ``s3://`` URL (exit 2).
    """
    from sesslog.cli.output import EXIT_USAGE

    if not args.blobs:
        raise CommandError("--blobs s3://bucket[/prefix] (or $SESSLOG_BLOBS) is needed", EXIT_USAGE)
    from sesslog.backends.objectstore.backend import ObjectStoreBackend

    try:
        return ObjectStoreBackend.open(args.blobs, leases=leases)
    except ValueError as error:
        raise CommandError(f"--blobs: {error}", EXIT_USAGE) from None


@contextlib.contextmanager
def remote_errors() -> Iterator[None]:
    """Turn the errors of the remote stores into one line and an exit code."""
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
