"""The test servers themselves: each starts, answers and keeps tests apart."""

from __future__ import annotations

import obstore
import psycopg
import pytest
from obstore.exceptions import PermissionDeniedError
from obstore.store import S3Store
from servers import PostgresServer, S3Bucket, SeaweedServer


def _store(bucket: S3Bucket) -> S3Store:
    return S3Store(
        bucket.bucket,
        endpoint=bucket.endpoint,
        access_key_id=bucket.access_key_id,
        secret_access_key=bucket.secret_access_key,
        region=bucket.region,
        client_options={"allow_http": True},
        retry_config={"max_retries": 0},
    )


def test_postgres_answers_with_its_extensions(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE EXTENSION pg_trgm")
        row = conn.execute("SELECT similarity('session', 'sessions'), version()").fetchone()
    assert row is not None
    assert 0.5 < row[0] < 1
    assert "PostgreSQL" in row[1]


def test_postgres_refuses_a_wrong_password(postgres_server: PostgresServer) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres_server.url(password="wrong")).close()


def test_each_test_gets_its_own_database(pg_url: str, postgres_server: PostgresServer) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE only_here (x int)")
    with psycopg.connect(postgres_server.url()) as conn:
        found = conn.execute("SELECT to_regclass('only_here')").fetchone()
    assert found == (None,)


def test_s3_round_trip_in_a_fresh_bucket(s3_bucket: S3Bucket) -> None:
    store = _store(s3_bucket)
    assert list(obstore.list(store)) == []
    obstore.put(store, "a/b", b"hello world")
    assert bytes(obstore.get_range(store, "a/b", start=6, end=11)) == b"world"


def test_s3_missing_bucket_is_an_error(s3_server: SeaweedServer) -> None:
    store = _store(s3_server.bucket(create=False))
    with pytest.raises(FileNotFoundError, match="NoSuchBucket"):
        obstore.put(store, "k", b"v")


def test_s3_refuses_wrong_credentials(s3_bucket: S3Bucket) -> None:
    store = S3Store(
        s3_bucket.bucket,
        endpoint=s3_bucket.endpoint,
        access_key_id=s3_bucket.access_key_id,
        secret_access_key="wrong",
        region=s3_bucket.region,
        client_options={"allow_http": True},
        retry_config={"max_retries": 0},
    )
    with pytest.raises(PermissionDeniedError, match="SignatureDoesNotMatch"):
        obstore.put(store, "k", b"v")
