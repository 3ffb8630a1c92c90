"""A bucket of an S3-compatible server, as the object-storage layer needs it.

:class:`Bucket` wraps the ``obstore`` client (Rust's ``object_store``): it is opened from an
``s3://bucket/prefix`` URL plus the usual ``AWS_*`` environment variables (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``, ...), and offers the few calls
the layer makes: conditional puts (``If-None-Match: *`` to create, ``If-Match: <etag>`` to
replace), whole and ranged gets, heads, listings, server-side copies and deletes. Every client error is translated
into :mod:`sesslog.backends.objectstore.errors` here and nowhere else.

Requests are retried by the client (5xx answers, dropped connections, time-outs) with
exponential back-off up to ``retries`` times or ``retry_timeout`` seconds.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import obstore
from obstore.exceptions import (
    AlreadyExistsError,
    BaseError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionError,
    UnauthenticatedError,
)
from obstore.store import S3Store

from sesslog.backends.objectstore.errors import (
    BucketAccessError,
    BucketNotFoundError,
    ObjectStoreError,
    ObjectStoreUnavailableError,
)

if TYPE_CHECKING:
    from obstore.store import ClientConfig, RetryConfig

__all__ = ["Bucket", "ObjectInfo", "PreconditionFailed"]


_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT")
_ACCESS_CODES = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403 Forbidden")


class PreconditionFailed(ObjectStoreError):
    """A conditional put found the object already there (create) or changed (replace)."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a head or a listing says of one object."""

    key: str
    size: int
    etag: str | None


class Bucket:
    """One bucket (and optional key prefix) of an S3-compatible server."""

    def __init__(self, store: S3Store, *, name: str, prefix: str = "") -> None:
        self._store = store
        self.name = name
        self.prefix = prefix.strip("/")

    @classmethod
    def open(
        cls,
        url: str,
        *,
        endpoint: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str | None = None,
        retries: int = 10,
        retry_timeout: float = 180.0,
        request_timeout: float = 60.0,
    ) -> Bucket:
        """Open ``s3://bucket[/prefix]``; arguments left ``None`` come from ``AWS_*`` variables.

        Args:
            url: ``s3://bucket`` or ``s3://bucket/prefix``.
            endpoint: The server, for S3-compatible servers (``AWS_ENDPOINT_URL``); plain
                ``http://`` endpoints are allowed.
            access_key_id: The access key (``AWS_ACCESS_KEY_ID``).
            secret_access_key: The secret key (``AWS_SECRET_ACCESS_KEY``).
            region: The region (``AWS_REGION``).
            retries: Retries of a failed request (0 disables them).
            retry_timeout: Seconds after which a request is no longer retried.
            request_timeout: Seconds one request may take.

        Raises:
            ValueError: ``url`` is not an ``s3://`` URL with a bucket.
        """
        scheme, _, rest = url.partition("://")
        name, _, prefix = rest.partition("/")
        if scheme not in ("s3", "s3a") or not name:
            raise ValueError(f"{url!r}: expected s3://bucket or s3://bucket/prefix")
        config: dict[str, str] = {}
        for key, value in (
            ("endpoint", endpoint),
            ("access_key_id", access_key_id),
            ("secret_access_key", secret_access_key),
            ("region", region),
        ):
            if value is not None:
                config[key] = value
        resolved = endpoint or next(
            (os.environ[var] for var in _ENDPOINT_VARIABLES if os.environ.get(var)), ""
        )
        client: ClientConfig = {
            "timeout": timedelta(seconds=request_timeout),
            "allow_http": resolved.startswith("http://"),
        }
        retry: RetryConfig = {
            "max_retries": retries,
            "retry_timeout": timedelta(seconds=retry_timeout),
            "backoff": {
                "init_backoff": timedelta(milliseconds=50),
                "max_backoff": timedelta(seconds=2),
            },
        }
        store = S3Store(
            name,
            prefix=prefix.strip("/") or None,
            config=config,  # type: ignore[arg-type]
            client_options=client,
            retry_config=retry,
        )
        return cls(store, name=name, prefix=prefix)

    def where(self, key: str = "") -> str:
        """``s3://bucket/prefix/key``, for messages."""
        parts = [part for part in (self.prefix, key) if part]
        return f"s3://{self.name}/" + "/".join(parts)

    @contextlib.contextmanager
    def _translated(self, key: str) -> Iterator[None]:
        try:
            yield
        except (PreconditionError, AlreadyExistsError) as error:
            raise PreconditionFailed(f"{self.where(key)}: {_first_line(error)}") from error
        except (BaseError, FileNotFoundError) as error:
            text = str(error)
            if "NoSuchBucket" in text:
                raise BucketNotFoundError(self.name) from error
            if isinstance(error, (PermissionDeniedError, UnauthenticatedError)) or any(
                code in text for code in _ACCESS_CODES
            ):
                raise BucketAccessError(self.where(key), _first_line(error)) from error
            if isinstance(error, (NotFoundError, FileNotFoundError)):
                raise FileNotFoundError(f"{self.where(key)}: no such object") from error
            raise ObjectStoreUnavailableError(self.where(key), _first_line(error)) from error

    def check(self) -> None:
        """Make one request, so a missing bucket or bad credentials show before any write.

        Raises:
            BucketNotFoundError: The bucket does not exist.
            BucketAccessError: The credentials are refused.
            ObjectStoreUnavailableError: The server cannot be reached.
        """
        with self._translated(""):
            next(iter(obstore.list(self._store, chunk_size=1)), None)

    def put_new(self, key: str, data: bytes) -> str | None:
        """Create ``key`` with ``data`` unless it exists (``If-None-Match: *``).

        Returns:
            The new object's ETag.

        Raises:
            PreconditionFailed: ``key`` already exists; it was left as it is.
        """
        with self._translated(key):
            return obstore.put(self._store, key, data, mode="create", use_multipart=False)["e_tag"]

    def put_replacing(self, key: str, data: bytes, etag: str) -> str | None:
        """Replace ``key`` only if its ETag is still ``etag`` (``If-Match``).

        Raises:
            PreconditionFailed: The object changed (or vanished) since ``etag`` was read.
        """
        with self._translated(key):
            return obstore.put(self._store, key, data, mode={"e_tag": etag}, use_multipart=False)[
                "e_tag"
            ]

    def get(self, key: str) -> tuple[bytes, str | None]:
        """The whole object and its ETag.

        Raises:
            FileNotFoundError: No object has this key.
        """
        with self._translated(key):
            result = obstore.get(self._store, key)
            return bytes(result.bytes()), result.meta["e_tag"]

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start .. end`` of the object (one ranged GET).

        Raises:
            FileNotFoundError: No object has this key.
        """
        with self._translated(key):
            return bytes(obstore.get_range(self._store, key, start=start, end=end))

    def head(self, key: str) -> ObjectInfo | None:
        """Size and ETag of ``key``, or ``None`` when there is no such object."""
        try:
            with self._translated(key):
                meta = obstore.head(self._store, key)
        except FileNotFoundError:
            return None
        return ObjectInfo(meta["path"], meta["size"], meta["e_tag"])

    def list(self, prefix: str) -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (a folder-like prefix), sorted."""
        found: list[ObjectInfo] = []
        with self._translated(prefix):
            for chunk in obstore.list(self._store, prefix=prefix):
                found.extend(ObjectInfo(m["path"], m["size"], m["e_tag"]) for m in chunk)
        return sorted(found, key=lambda info: info.key)

    def copy(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` on the server (replacing ``target`` if it exists).

        Raises:
            FileNotFoundError: No object has the key ``source``.
        """
        with self._translated(source):
            obstore.copy(self._store, source, target, overwrite=True)

    def delete(self, key: str) -> None:
        """Delete ``key`` (no error when it is already gone)."""
        with self._translated(key):
            obstore.delete(self._store, key)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__
