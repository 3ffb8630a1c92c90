"""The storage seam's contract, held against the object-storage backend: a real SeaweedFS
bucket for the bytes and real PostgreSQL for the writer leases (one subclass of the suite)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import S3Bucket
from test_objectstore import open_bucket

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))

from test_log_backend import LogBackendContract

from sesslog.backends.objectstore.backend import ObjectStoreBackend
from sesslog.backends.protocol import LogBackend
from sesslog.fleet.leases import PostgresLeases


class TestObjectStoreBackend(LogBackendContract):
    @pytest.fixture
    def backend(self, s3_bucket: S3Bucket, pg_url: str) -> Iterator[LogBackend]:
        leases = PostgresLeases(pg_url, ttl=10)
        yield ObjectStoreBackend(open_bucket(s3_bucket), leases=leases, segment_size=4096)
        leases.close()

    def power_cut(self, backend: LogBackend, key: str) -> bytes:
        # What the server stores is what outlives this machine: read it with a new client.
        assert isinstance(backend, ObjectStoreBackend)
        return ObjectStoreBackend(backend.bucket).read(key)
