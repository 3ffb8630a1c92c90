"""The PostgreSQL catalog's schema migrations and writer leases, against a real server."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from servers import PostgresServer

from sesslog.backends.objectstore.errors import StaleFenceError
from sesslog.catalog.postgres.leases import (
    LeaseHeldError,
    LeaseLostError,
    acquire,
    check_fence,
    holder_of,
    release,
    renew,
)
from sesslog.catalog.postgres.migrations import (
    MIGRATIONS,
    SchemaTooNewError,
    current_version,
    migrate,
)
from sesslog.errors import SessionLockedError

KEY = "--home-me-app--/2026-01-05T10-00-00-000Z_0192f2c8.jsonl"


@pytest.fixture
def conn(pg_url: str) -> Any:
    with psycopg.connect(pg_url, autocommit=True) as connection:
        migrate(connection)
        yield connection


def test_migrations_apply_once_and_record_their_version(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as connection:
        assert current_version(connection) == 0
        assert migrate(connection) == list(range(1, len(MIGRATIONS) + 1))
        assert migrate(connection) == []
        assert current_version(connection) == len(MIGRATIONS)
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
    assert {"sessions", "docs", "tools", "seen", "writer_leases"} <= tables


def test_many_processes_starting_at_once_migrate_once(pg_url: str) -> None:
    results: list[list[int]] = []

    def start() -> None:
        with psycopg.connect(pg_url, autocommit=True) as connection:
            results.append(migrate(connection))

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each migration is applied once, by whichever process got to it first.
    assert sorted(v for applied in results for v in applied) == list(range(1, len(MIGRATIONS) + 1))


def test_a_newer_schema_is_refused(conn: Any) -> None:
    conn.execute("INSERT INTO sesslog_migrations (version) VALUES (%s)", (len(MIGRATIONS) + 1,))
    with pytest.raises(SchemaTooNewError, match="newer than this sesslog"):
        migrate(conn)


def test_a_second_writer_is_refused_with_the_holders_host_and_pid(conn: Any) -> None:
    first = acquire(conn, KEY, host="agent-7", pid=4242)
    assert first.fence == 1
    with pytest.raises(LeaseHeldError, match="process 4242 on agent-7") as caught:
        acquire(conn, KEY, host="agent-9", pid=99)
    assert isinstance(caught.value, SessionLockedError)
    assert (caught.value.host, caught.value.holder_pid) == ("agent-7", 4242)
    holder = holder_of(conn, KEY)
    assert holder is not None and (holder.host, holder.pid, holder.fence) == ("agent-7", 4242, 1)
    # Other sessions are independent.
    assert acquire(conn, KEY + ".other", host="agent-9", pid=99).fence == 1


def test_renewal_keeps_the_lease_and_expiry_hands_it_on_with_a_higher_fence(conn: Any) -> None:
    lease = acquire(conn, KEY, ttl=1.0, host="a", pid=1)
    for _ in range(3):
        time.sleep(0.4)
        lease = renew(conn, lease, ttl=1.0)  # renewed before it runs out: still held
    with pytest.raises(LeaseHeldError):
        acquire(conn, KEY, host="b", pid=2)
    time.sleep(1.2)  # the holder stops renewing (it died)
    assert holder_of(conn, KEY) is None
    successor = acquire(conn, KEY, host="b", pid=2)
    assert successor.fence == lease.fence + 1
    with pytest.raises(LeaseLostError, match="fence 1 is no longer held"):
        renew(conn, lease)  # the old holder wakes up: it may not take the lease back
    assert not release(conn, lease)


def test_an_expired_lease_cannot_be_renewed_even_when_nobody_took_it(conn: Any) -> None:
    lease = acquire(conn, KEY, ttl=0.2)
    time.sleep(0.4)
    with pytest.raises(LeaseLostError):
        renew(conn, lease)


def test_release_ends_the_lease_and_keeps_the_fence_growing(conn: Any) -> None:
    fences = []
    for _ in range(3):
        lease = acquire(conn, KEY)
        fences.append(lease.fence)
        assert release(conn, lease)
        assert not release(conn, lease)
    assert fences == [1, 2, 3]


def test_a_write_under_a_stale_fence_is_rejected(conn: Any) -> None:
    old = acquire(conn, KEY, ttl=0.3, host="a", pid=1)
    with conn.transaction():
        check_fence(conn, KEY, old.fence)  # the live holder may write
    time.sleep(0.5)
    with pytest.raises(LeaseLostError), conn.transaction():
        check_fence(conn, KEY, old.fence)  # expired: refused even before a successor
    new = acquire(conn, KEY, host="b", pid=2)
    with pytest.raises(StaleFenceError, match="fence 1 rejected: fence 2"), conn.transaction():
        check_fence(conn, KEY, old.fence)
    with conn.transaction():
        check_fence(conn, KEY, new.fence)


def test_a_fenced_write_blocks_a_takeover_until_it_commits(conn: Any, pg_url: str) -> None:
    lease = acquire(conn, KEY, ttl=0.3)
    events: list[str] = []
    with conn.transaction():
        check_fence(conn, KEY, lease.fence)
        time.sleep(0.5)  # the lease expires while the guarded write is in flight

        def take_over() -> None:
            with psycopg.connect(pg_url, autocommit=True) as other:
                acquire(other, KEY, host="b", pid=2)
                events.append("acquired")

        thief = threading.Thread(target=take_over)
        thief.start()
        time.sleep(0.3)
        events.append("committing")
    thief.join(10)
    assert events == ["committing", "acquired"]


def test_leases_survive_a_server_restart(pg_url: str, postgres_server: PostgresServer) -> None:
    with psycopg.connect(pg_url, autocommit=True) as connection:
        migrate(connection)
        lease = acquire(connection, KEY, ttl=60, host="a", pid=1)
    postgres_server.restart()
    with psycopg.connect(pg_url, autocommit=True) as connection:
        with pytest.raises(LeaseHeldError):
            acquire(connection, KEY, host="b", pid=2)
        assert renew(connection, lease).fence == lease.fence
