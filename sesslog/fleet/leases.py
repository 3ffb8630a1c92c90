"""Writer leases across machines: the PostgreSQL lease rows, kept alive while the writer lives.

:class:`PostgresLeases` is a :class:`~sesslog.backends.objectstore.leasing.LeaseKeeper` over
the ``writer_leases`` table (:mod:`sesslog.catalog.postgres.leases`): taking a lease gives a
fencing number; a thread of this process renews every lease it holds three times per ``ttl``;
when the process dies nobody renews, and the lease expires ``ttl`` seconds later, after which
another writer gets it with a higher fence.

A lease counts as held only while this process has renewed it within ``ttl`` minus a margin
(measured on its own monotonic clock): when the database cannot be reached for that long
(a restart that takes too long, a network cut), :meth:`~_PostgresLease.check` raises
:class:`~sesslog.catalog.postgres.leases.LeaseLostError` and the writer stops, even if the row
was never taken over. A short outage is ridden out: renewals resume on a new connection.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg

from sesslog.backends.objectstore.leasing import HeldLease
from sesslog.backends.protocol import LeaseHolder
from sesslog.catalog.postgres import leases as rows
from sesslog.catalog.postgres.migrations import migrate
from sesslog.errors import CatalogError

__all__ = ["PostgresLeases"]

_T = TypeVar("_T")

#: Share of the ttl that must remain for a lease to count as held (renewal is late past it).
_MARGIN = 0.2


class _PostgresLease:
    """A lease held through :class:`PostgresLeases`."""

    def __init__(self, keeper: PostgresLeases, lease: rows.WriterLease) -> None:
        self._keeper = keeper
        self.row = lease
        self.key = lease.key
        self.fence: int | None = lease.fence
        self.holder = LeaseHolder(lease.pid, lease.host)
        self.lost = False
        self.valid_until = time.monotonic() + keeper.ttl * (1 - _MARGIN)

    def check(self) -> None:
        """Raise :class:`LeaseLostError` unless the lease was renewed lately."""
        if self.lost or time.monotonic() > self.valid_until:
            raise rows.LeaseLostError(self.key, self.row.fence)

    def release(self) -> None:
        """End the lease in the database (it expires anyway if that fails)."""
        self._keeper._release(self)


class PostgresLeases:
    """Writer leases in a PostgreSQL database (see the module documentation).

    Args:
        url: The database (``postgresql://...``); its schema is migrated on first use.
        ttl: Seconds a lease lasts without renewal (a dead writer's lease frees this long
            after its death).
        connect_timeout: Seconds to wait for a connection.
        retry_for: Seconds a call keeps trying while the database cannot be reached (it is
            restarting, say) before raising :class:`~sesslog.errors.CatalogError`.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 30.0,
        connect_timeout: float = 10.0,
        retry_for: float = 30.0,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self._connect_timeout = connect_timeout
        self._retry_for = retry_for
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()
        self._held: dict[str, _PostgresLease] = {}
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"PostgresLeases({len(self._held)} held)"

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection (opened, and the schema migrated, when missing or broken)."""
        with self._lock:
            try:
                if self._conn is None or self._conn.closed or self._conn.broken:
                    self._conn = psycopg.connect(
                        self.url, autocommit=True, connect_timeout=int(self._connect_timeout)
                    )
                    migrate(self._conn)
                yield self._conn
            except psycopg.OperationalError as error:
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                first = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
                raise CatalogError(f"writer leases: database unavailable ({first})") from error

    def acquire(self, key: str) -> HeldLease:
        """Take the lease of ``key``.

        Raises:
            LeaseHeldError: A live writer holds it (naming its host and pid).
            CatalogError: The database cannot be reached.
        """

        def take(conn: psycopg.Connection[Any]) -> HeldLease:
            lease = _PostgresLease(self, rows.acquire(conn, key, ttl=self.ttl))
            self._held[key] = lease
            self._start_renewer()
            return lease

        return self._retrying(take)

    def holder(self, key: str) -> LeaseHolder | None:
        """The live lease's host and pid, or ``None``."""
        found = self._retrying(lambda conn: rows.holder_of(conn, key))
        return None if found is None else LeaseHolder(found.pid, found.host)

    def _retrying(self, work: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        """``work`` on the connection, tried again while the database cannot be reached."""
        deadline = time.monotonic() + self._retry_for
        while True:
            try:
                with self._connection() as conn:
                    return work(conn)
            except CatalogError:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(0.25)

    def renew_all(self) -> None:
        """Renew every lease held now (the renewal thread calls this)."""
        with self._lock:
            held = list(self._held.values())
        for lease in held:
            if lease.lost:
                continue
            try:
                with self._connection() as conn:
                    lease.row = rows.renew(conn, lease.row, ttl=self.ttl)
                lease.valid_until = time.monotonic() + self.ttl * (1 - _MARGIN)
            except rows.LeaseLostError:
                lease.lost = True
            except CatalogError:
                return  # the database is away: try again at the next round

    def _start_renewer(self) -> None:
        if self._renewer is None or not self._renewer.is_alive():
            self._stop.clear()
            self._renewer = threading.Thread(
                target=self._renew_loop, name="sesslog-lease-renewer", daemon=True
            )
            self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            self.renew_all()
            with self._lock:
                if not self._held:
                    self._renewer = None
                    return

    def _release(self, lease: _PostgresLease) -> None:
        with self._lock:
            if self._held.get(lease.key) is lease:
                del self._held[lease.key]
            if lease.lost:
                return
            lease.lost = True
            with contextlib.suppress(CatalogError, psycopg.Error), self._connection() as conn:
                rows.release(conn, lease.row)

    def close(self) -> None:
        """Release every lease held and close the connection."""
        with self._lock:
            held = list(self._held.values())
        for lease in held:
            lease.release()
        self._stop.set()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
