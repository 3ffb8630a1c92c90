"""Errors of the object-storage layer.

Each names the bucket and key it concerns. Errors of the S3 client never escape this package:
they are translated here into these classes (or into ``OSError`` subclasses where a builtin
describes the cause), so callers depend on sesslog's errors only.
"""

from __future__ import annotations

from sesslog.errors import SesslogError

__all__ = [
    "BucketAccessError",
    "BucketNotFoundError",
    "ManifestCorruptError",
    "ObjectStoreError",
    "ObjectStoreUnavailableError",
    "SegmentCorruptError",
    "StaleFenceError",
    "StaleManifestError",
]


class ObjectStoreError(SesslogError):
    """Root of the errors of the object-storage layer."""


class BucketNotFoundError(ObjectStoreError, FileNotFoundError):
    """The bucket does not exist (nothing was written)."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        super().__init__(f"s3://{bucket}: no such bucket")


class BucketAccessError(ObjectStoreError, PermissionError):
    """The server refused the credentials or the request (nothing was written)."""

    def __init__(self, where: str, detail: str) -> None:
        self.where = where
        super().__init__(f"{where}: access denied ({detail})")


class ObjectStoreUnavailableError(ObjectStoreError, ConnectionError):
    """The server could not be reached, or kept failing, after the configured retries."""

    def __init__(self, where: str, detail: str) -> None:
        self.where = where
        super().__init__(f"{where}: object store unavailable ({detail})")


class StaleManifestError(ObjectStoreError):
    """Another writer changed the manifest since it was read: the update was not applied.

    Attributes:
        session: The session's key prefix.
        expected: The generation the update was based on.
        found: The generation in the bucket now (``None`` if it could not be read).
    """

    def __init__(self, session: str, expected: int, found: int | None) -> None:
        self.session = session
        self.expected = expected
        self.found = found
        now = "unknown" if found is None else str(found)
        super().__init__(
            f"{session}: manifest changed since it was read (generation {expected} then, "
            f"{now} now); read it again before writing"
        )


class StaleFenceError(ObjectStoreError):
    """A writer holding an older fencing number tried to change the session.

    Attributes:
        session: The session's key prefix.
        fence: The writer's fencing number.
        current: The highest fencing number that has written the session.
    """

    def __init__(self, session: str, fence: int, current: int) -> None:
        self.session = session
        self.fence = fence
        self.current = current
        super().__init__(
            f"{session}: write under fence {fence} rejected: fence {current} has written since"
        )


class ManifestCorruptError(ObjectStoreError, ValueError):
    """The manifest object is not a valid manifest (bad JSON, shape or checksum)."""

    def __init__(self, where: str, detail: str) -> None:
        self.where = where
        super().__init__(f"{where}: corrupt manifest ({detail})")


class SegmentCorruptError(ObjectStoreError):
    """A segment is missing or its bytes disagree with their checksum.

    Attributes:
        key: The segment's key.
        offset: Offset in the session of the first byte that could not be trusted.
        size: Bytes of the session lost with it.
        reason: ``"missing"``, ``"size"``, ``"sha256"`` or ``"crc32"``.
    """

    def __init__(self, key: str, offset: int, size: int, reason: str, detail: str) -> None:
        self.key = key
        self.offset = offset
        self.size = size
        self.reason = reason
        super().__init__(
            f"{key}: segment damaged ({reason}: {detail}); session bytes "
            f"{offset}..{offset + size} unreadable"
        )
