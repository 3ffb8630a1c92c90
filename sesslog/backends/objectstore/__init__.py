"""Sessions in S3-compatible object storage: immutable, content-addressed segments of whole lines
plus a manifest updated by compare-and-swap.

This is the layer below the storage seam's backend: :class:`Bucket` (the S3 client, configured by
URL and ``AWS_*`` variables) and :class:`SegmentLog` (one session's segments and manifest).
Importing it imports the ``obstore`` client (the ``fleet`` extra).
"""

from __future__ import annotations

from sesslog.backends.objectstore.bucket import Bucket, ObjectInfo, PreconditionFailed
from sesslog.backends.objectstore.errors import (
    BucketAccessError,
    BucketNotFoundError,
    ManifestCorruptError,
    ObjectStoreError,
    ObjectStoreUnavailableError,
    SegmentCorruptError,
    StaleFenceError,
    StaleManifestError,
)
from sesslog.backends.objectstore.log import (
    AppendResult,
    ManifestVersion,
    ReadResult,
    SegmentLog,
)
from sesslog.backends.objectstore.manifest import Manifest
from sesslog.backends.objectstore.segments import SegmentRef

__all__ = [
    "AppendResult",
    "Bucket",
    "BucketAccessError",
    "BucketNotFoundError",
    "Manifest",
    "ManifestCorruptError",
    "ManifestVersion",
    "ObjectInfo",
    "ObjectStoreError",
    "ObjectStoreUnavailableError",
    "PreconditionFailed",
    "ReadResult",
    "SegmentCorruptError",
    "SegmentLog",
    "SegmentRef",
    "StaleFenceError",
    "StaleManifestError",
]
