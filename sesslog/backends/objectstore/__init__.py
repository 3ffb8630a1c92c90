"""Sessions in S3-compatible object storage: immutable, content-addressed segments of whole lines
plus a manifest updated by compare-and-swap.

This is the layer below the storage seam's backend, one module per job:

* :mod:`~sesslog.backends.objectstore.bucket`: :class:`Bucket`, the S3 client (``obstore``,
  the ``fleet`` extra) opened from an ``s3://bucket/prefix`` URL and ``AWS_*`` variables;
* :mod:`~sesslog.backends.objectstore.log`: :class:`SegmentLog`, one session's segments and
  manifest (append with compare-and-swap, checked ranged reads, verify, orphans);
* :mod:`~sesslog.backends.objectstore.segments` and
  :mod:`~sesslog.backends.objectstore.manifest`: the two object kinds, without I/O;
* :mod:`~sesslog.backends.objectstore.errors`: what goes wrong (no client import).

Importing this package imports nothing; the S3 client is loaded with ``bucket``.
"""

from __future__ import annotations

__all__: list[str] = []
