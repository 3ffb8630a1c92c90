"""Connections of the PostgreSQL catalog: one pool per catalog, errors in one line, retries.

A catalog holds a ``psycopg_pool.ConnectionPool`` (autocommit connections; transactions are
explicit), so many threads of one process read and write at once. What goes wrong with the
server is said in one line naming the server (never its password), as a
:class:`CatalogConnectionError`:

* a wrong password or user, an unknown database, a refused or unreachable server: at once,
  without retrying (waiting would not help);
* a connection lost in the middle of an operation (the server restarted): the operation is
  run again (:func:`retrying`), since every write of the catalog is a transaction that either
  committed or left nothing; when the server stays away past the retries, the error says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool, PoolTimeout

from sesslog.errors import CatalogError

__all__ = [
    "ATTEMPTS",
    "CatalogConnectionError",
    "open_pool",
    "redact",
    "retrying",
]

_T = TypeVar("_T")
#: Tries of an operation whose connection was lost (the first one included).
ATTEMPTS = 5
#: Seconds before the second try; doubled before each later one.
_FIRST_PAUSE = 0.2

# SQLSTATE classes that no retry cures: authorisation (28), an unknown database (3D000).
_FINAL_STATES = ("28", "3D")
# Transient conflicts between writers: a deadlock and a serialization failure.
_CONFLICTS = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)


class CatalogConnectionError(CatalogError):
    """The PostgreSQL catalog's server cannot be reached or refuses the connection."""


def redact(url: str) -> str:
    """``url`` without its password (for messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def _final(exc: BaseException) -> bool:
    state = getattr(exc, "sqlstate", None)
    if isinstance(state, str) and state.startswith(_FINAL_STATES):
        return True
    text = str(exc)
    return "password authentication failed" in text or "does not exist" in text


def _reason(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def describe(url: str, exc: BaseException) -> CatalogConnectionError:
    """One clear error for a failure to reach or use the server at ``url``."""
    where = redact(url)
    if _final(exc):
        return CatalogConnectionError(f"{where}: the catalog server refused: {_reason(exc)}")
    return CatalogConnectionError(f"{where}: the catalog server cannot be reached: {_reason(exc)}")


def open_pool(url: str, *, min_size: int = 1, max_size: int = 8, timeout: float = 10.0) -> Any:
    """A pool of autocommit connections to ``url``, checked by one connection now.

    Raises:
        CatalogConnectionError: The server refuses (wrong password, unknown database) or
            cannot be reached within ``timeout`` seconds.
    """
    try:
        first = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
    except psycopg.Error as exc:
        raise describe(url, exc) from None
    first.close()
    pool: ConnectionPool[Any] = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
        check=ConnectionPool.check_connection,
        open=False,
        name="sesslog-catalog",
    )
    pool.open(wait=False)
    return pool


def retrying(url: str, work: Callable[[], _T], *, attempts: int = ATTEMPTS) -> _T:
    """Run ``work``; when its connection is lost (or writers deadlock), run it again, up to
    ``attempts`` times in all.

    Raises:
        CatalogConnectionError: The server refused, or stayed away past the last try.
        CatalogError: Other writers kept conflicting with this one past the last try.
    """
    pause = _FIRST_PAUSE
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except _CONFLICTS as exc:
            if attempt == attempts:
                raise CatalogError(
                    f"{redact(url)}: the catalog stayed busy with other writers: {_reason(exc)}"
                ) from None
        except (psycopg.OperationalError, PoolTimeout) as exc:
            if _final(exc) or attempt == attempts:
                raise describe(url, exc) from None
        time.sleep(pause)
        pause *= 2
    raise AssertionError("unreachable")  # pragma: no cover
