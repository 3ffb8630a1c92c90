"""What a projection is: a rebuildable view of sessions, and how opening and stores use one.

The log is the truth; a projection is derived from it and may be thrown away. Two roles:

* a :class:`SessionProjection` is kept per session and can stand in for reading its log (the V2
  sidecar): it says whether it is fresh for the log as it is now, opens the session (whole, its
  active path, or the tail of that path), catches up after appends and rebuilds from scratch;
* a :class:`StoreProjection` spans every session of a store (the catalog): it keeps one record
  per log, each with the :class:`~sesslog.backends.protocol.Fingerprint` of the bytes it was
  made from, refreshes a record by reading only the bytes appended since (or the whole log when
  its prefix changed), forgets trashed logs and rebuilds from the store's listing.

Both are registered with :mod:`sesslog.projections.registry` under a cheap entry that imports
the implementation only when it is used, and both rely on the shared services
:mod:`sesslog.projections.freshness` (compare a recorded fingerprint with the log) and
:mod:`sesslog.projections.ledger` (an append-only record of what was done, and the lock that
keeps two processes from doing it at once). ``docs/architecture.md`` shows how to add one.
"""

from __future__ import annotations

import enum
from typing import Literal, Protocol

import msgspec

from sesslog.backends.protocol import LogBackend
from sesslog.format.reader import ReadMode, SessionData
from sesslog.projections.freshness import Freshness
from sesslog.projections.partial import PartialTree

__all__ = [
    "FULL",
    "Loaded",
    "OpenScope",
    "SessionProjection",
    "SessionStoreKind",
    "StoreProjection",
]


class SessionStoreKind(str, enum.Enum):
    """Where a session's entries were read from: a backend's log (its ``kind``) or a
    projection (its ``name``)."""

    JSONL = "jsonl"
    V2_SIDECAR = "v2_sidecar"
    MEMORY = "memory"


class OpenScope(msgspec.Struct, frozen=True):
    """How much of a session to load when a projection can load part of it.

    Build one with :meth:`full`, :meth:`active_path` or :meth:`tail`, or :meth:`parse` a
    string (``"full"``, ``"active_path"``, ``"tail:100"``). A session read from its log is
    always loaded whole.

    Attributes:
        kind: ``full``, ``active_path`` or ``tail``.
        count: For ``tail``, how many entries of the path to load.
    """

    kind: Literal["full", "active_path", "tail"] = "full"
    count: int = 0

    @classmethod
    def full(cls) -> OpenScope:
        """Every entry."""
        return cls("full")

    @classmethod
    def active_path(cls) -> OpenScope:
        """The entries from the root to the leaf."""
        return cls("active_path")

    @classmethod
    def tail(cls, count: int) -> OpenScope:
        """The last ``count`` entries of the path to the leaf."""
        if count < 1:
            raise ValueError("tail needs a count of at least 1")
        return cls("tail", count)

    @classmethod
    def parse(cls, text: str) -> OpenScope:
        """Parse ``full``, ``active_path`` or ``tail:N``.

        Raises:
            ValueError: Not one of those.
        """
        if text in ("full", "active_path"):
            return cls(text)  # type: ignore[arg-type]
        kind, _, count = text.partition(":")
        if kind == "tail" and count.isdigit():
            return cls.tail(int(count))
        raise ValueError(f"unknown open mode {text!r} (full, active_path or tail:N)")

    def __str__(self) -> str:
        return f"tail:{self.count}" if self.kind == "tail" else self.kind


#: The whole session.
FULL = OpenScope.full()


class Loaded(msgspec.Struct, frozen=True):
    """A session as a projection loaded it, for the facade to wrap.

    Attributes:
        data: The read result the projection stands for: header, records (all of them, or
            the loaded ones), the whole session's diagnostics, and the log's size when read.
        source: Where it came from (the projection's name).
        partial: The tree of a partial load (the loaded chain, with the whole session's labels
            and name), or ``None`` when ``data.records`` is every entry.
    """

    data: SessionData
    source: str
    partial: PartialTree | None = None


class SessionProjection(Protocol):
    """A projection kept per session that can stand in for reading its log.

    Attributes:
        name: Its name, also the :class:`SessionStoreKind` of sessions it opens.
    """

    name: str

    def freshness(self, backend: LogBackend, key: str) -> Freshness:
        """How the projection compares with the log as it is now (cheap: reads no more than
        the fingerprint needs)."""
        ...

    def load(self, backend: LogBackend, key: str, scope: OpenScope, mode: ReadMode) -> Loaded:
        """Load the session from the projection, which must be fresh and sound.

        Returns the same session as reading the log (same records, tree, diagnostics, context;
        the loaded part of it for a partial scope).

        Raises:
            ProjectionError: Missing, not fresh, or damaged (the caller reads the log instead).
            FormatError: In strict mode, for the session's first anomaly.
        """
        ...

    def catch_up(self, backend: LogBackend, key: str) -> object:
        """Bring the projection up to date after appends, in work proportional to the new
        bytes where it can (else rebuild); returns what was done."""
        ...

    def rebuild(self, backend: LogBackend, key: str) -> object:
        """Write the projection again from the whole log; returns what was done."""
        ...


class StoreProjection(Protocol):
    """A projection over every session of a store (a catalog).

    Each record it keeps carries the :class:`~sesslog.backends.protocol.Fingerprint` of the log
    bytes it was made from; :func:`~sesslog.projections.freshness.compare` tells whether that
    record is fresh, the log grew (read only the bytes after ``fingerprint.size``) or changed
    (read the log again).

    Attributes:
        name: Its name.
    """

    name: str

    def freshness(self, backend: LogBackend, key: str) -> Freshness:
        """How the record of ``key`` compares with the log (``missing`` when there is none)."""
        ...

    def refresh(self, backend: LogBackend, key: str) -> object:
        """Bring the record of ``key`` up to date (reading only appended bytes when the
        recorded prefix still matches); returns what was done."""
        ...

    def forget(self, backend: LogBackend, key: str) -> None:
        """Drop the record of a log that was trashed or deleted."""
        ...

    def rebuild(self, backend: LogBackend) -> object:
        """Drop every record and make them again from the backend's listing."""
        ...
