"""One writer per session across machines: a lease row with a fencing number.

A row of ``writer_leases`` per session key says who may append to it (host, pid and a random
token of the holder) and until when. Times are the database server's, so the holders' clocks do
not matter. Every new lease of a key gets the next **fencing number**: the row is kept when a
lease ends, so the number only grows. A holder renews its lease well before it expires; one
that stops renewing (it died, or was cut off) loses it when it expires, and the next writer
takes it with a higher fence. Every write a holder makes carries its fence, and the stores
refuse a write whose fence is not the newest (:func:`check_fence` here; the object store's
manifest keeps the highest fence that wrote the session), so a holder that paused past its
expiry and woke up cannot write over its successor.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from sesslog.backends.objectstore.errors import StaleFenceError
from sesslog.errors import SessionLockedError

__all__ = [
    "LeaseHeldError",
    "LeaseLostError",
    "WriterLease",
    "acquire",
    "check_fence",
    "holder_of",
    "release",
    "renew",
]


class LeaseHeldError(SessionLockedError):
    """Another live writer holds the session's lease.

    Attributes:
        host: The holder's host name.
        holder_pid: The holder's process id.
        expires_at: When its lease runs out unless renewed.
    """

    def __init__(self, key: str, host: str, pid: int, expires_at: datetime) -> None:
        super().__init__(key, pid)
        self.host = host
        self.expires_at = expires_at
        self.args = (
            f"{key}: session is being written by process {pid} on {host} "
            f"(lease until {expires_at.isoformat(timespec='seconds')})",
        )


class LeaseLostError(SessionLockedError):
    """The lease expired, was released or was taken over: the holder must stop writing."""

    def __init__(self, key: str, fence: int) -> None:
        super().__init__(key, None)
        self.fence = fence
        self.args = (f"{key}: writer lease with fence {fence} is no longer held",)


@dataclass(frozen=True)
class WriterLease:
    """A held lease.

    Attributes:
        key: The session's key.
        fence: Its fencing number (grows with every new lease of the key).
        token: The holder's secret for renewing and releasing.
        host: The holder's host.
        pid: The holder's process id.
        expires_at: When it runs out unless renewed.
    """

    key: str
    fence: int
    token: uuid.UUID
    host: str
    pid: int
    expires_at: datetime


Conn = psycopg.Connection[Any]


def acquire(
    conn: Conn,
    key: str,
    *,
    ttl: float = 30.0,
    host: str | None = None,
    pid: int | None = None,
) -> WriterLease:
    """Take the writer lease of ``key`` for ``ttl`` seconds, if no live writer holds it.

    Args:
        conn: A connection in autocommit mode (each call is its own transaction).
        key: The session's key.
        ttl: Seconds the lease lasts unless renewed.
        host: The holder's host name (default: this machine's).
        pid: The holder's process id (default: this process).

    Raises:
        LeaseHeldError: A live lease is held (names its host and pid).
    """
    token = uuid.uuid4()
    host = host or socket.gethostname()
    pid = os.getpid() if pid is None else pid
    with conn.transaction():
        row = conn.execute(
            """
            INSERT INTO writer_leases AS l
                (key, fence, host, pid, token, acquired_at, renewed_at, expires_at)
            VALUES (%(key)s, 1, %(host)s, %(pid)s, %(token)s, now(), now(),
                    now() + %(ttl)s * interval '1 second')
            ON CONFLICT (key) DO UPDATE SET
                fence = l.fence + 1, host = excluded.host, pid = excluded.pid,
                token = excluded.token, acquired_at = now(), renewed_at = now(),
                expires_at = excluded.expires_at
            WHERE l.expires_at <= now()
            RETURNING fence, expires_at
            """,
            {"key": key, "host": host, "pid": pid, "token": token, "ttl": ttl},
        ).fetchone()
        if row is None:
            held = conn.execute(
                "SELECT host, pid, expires_at FROM writer_leases WHERE key = %s", (key,)
            ).fetchone()
            assert held is not None  # the conflicting row is locked by this transaction
            raise LeaseHeldError(key, held[0], held[1], held[2])
    return WriterLease(key, row[0], token, host, pid, row[1])


def renew(conn: Conn, lease: WriterLease, *, ttl: float = 30.0) -> WriterLease:
    """Extend a held lease by ``ttl`` seconds from now.

    Raises:
        LeaseLostError: It expired (even if nobody took it since), was released or taken.
    """
    row = conn.execute(
        """
        UPDATE writer_leases SET renewed_at = now(),
            expires_at = now() + %(ttl)s * interval '1 second'
        WHERE key = %(key)s AND token = %(token)s AND fence = %(fence)s AND expires_at > now()
        RETURNING expires_at
        """,
        {"key": lease.key, "token": lease.token, "fence": lease.fence, "ttl": ttl},
    ).fetchone()
    if row is None:
        raise LeaseLostError(lease.key, lease.fence)
    return WriterLease(lease.key, lease.fence, lease.token, lease.host, lease.pid, row[0])


def release(conn: Conn, lease: WriterLease) -> bool:
    """End a held lease now (its row and fence stay). False when it was no longer held."""
    row = conn.execute(
        "UPDATE writer_leases SET expires_at = now() "
        "WHERE key = %s AND token = %s AND fence = %s AND expires_at > now() RETURNING key",
        (lease.key, lease.token, lease.fence),
    ).fetchone()
    return row is not None


def holder_of(conn: Conn, key: str) -> WriterLease | None:
    """The live lease of ``key`` (its token hidden as the nil UUID), or ``None``."""
    row = conn.execute(
        "SELECT fence, host, pid, expires_at FROM writer_leases "
        "WHERE key = %s AND expires_at > now()",
        (key,),
    ).fetchone()
    if row is None:
        return None
    return WriterLease(key, row[0], uuid.UUID(int=0), row[1], row[2], row[3])


def check_fence(conn: Conn, key: str, fence: int) -> None:
    """Inside the caller's transaction, make sure ``fence`` is the key's live lease, and hold
    the lease row (``FOR SHARE``) until the transaction ends, so no new lease is granted while
    the write it guards commits.

    Raises:
        StaleFenceError: A newer lease of the key exists.
        LeaseLostError: This lease expired or was released (and none newer exists yet).
    """
    row = conn.execute(
        "SELECT fence, expires_at > now() FROM writer_leases WHERE key = %s FOR SHARE", (key,)
    ).fetchone()
    current = 0 if row is None else int(row[0])
    if current > fence:
        raise StaleFenceError(key, fence, current)
    if row is None or current != fence or not row[1]:
        raise LeaseLostError(key, fence)
