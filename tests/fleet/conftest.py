"""Fixtures of the fleet tests: real PostgreSQL and S3 servers on loopback (see ``servers``)."""

from __future__ import annotations

from servers import (
    _seaweed_binary,
    pg_url,
    postgres_server,
    s3_bucket,
    s3_server,
    s3_server_factory,
)

__all__ = [
    "_seaweed_binary",
    "pg_url",
    "postgres_server",
    "s3_bucket",
    "s3_server",
    "s3_server_factory",
]
