"""The projections sesslog knows, each behind a cheap entry that loads it only when used.

An :class:`Entry` names a projection, holds a *probe* (a quick look, with no heavy import, at
whether the projection exists for a log: for the V2 sidecar, whether its folder is there) and
the dotted path of the implementation, imported on first use. So ``import sesslog`` and opening
a session without a sidecar never import ``zstandard``, and a catalog's ``sqlite3`` is imported
by the store that uses it, not by the facade.

:func:`load_session` is what :meth:`sesslog.Session.open` asks: the first registered session
projection that exists, is fresh and loads cleanly gives the session; otherwise the caller reads
the log. A store gets its catalog from the store projection registered as ``catalog``
(:func:`store_projection`); store projections are listed with :func:`entries`.
"""

from __future__ import annotations

import importlib
from _thread import allocate_lock
from collections.abc import Callable
from typing import Literal, cast

from sesslog.backends.protocol import LogBackend
from sesslog.errors import ProjectionError
from sesslog.format.reader import ReadMode
from sesslog.projections.protocol import Loaded, OpenScope, SessionProjection, StoreProjection
from sesslog.projections.sidecar import catalog_exists, sidecar_exists

__all__ = [
    "Entry",
    "entries",
    "load_session",
    "projection",
    "register",
    "session_projection",
    "store_projection",
    "unregister",
]

#: Tells, cheaply and without heavy imports, whether a projection exists for a log.
Probe = Callable[[LogBackend, str], bool]


class Entry:
    """A registered projection.

    Args:
        name: Its name (for a session projection, the ``store_kind`` of what it opens).
        role: ``session`` (per session; can open sessions) or ``store`` (one per store).
        probe: Whether the projection exists for a log; must be cheap and import nothing heavy.
        implementation: ``"module:attribute"`` of the projection object, imported on first use.
    """

    def __init__(
        self, name: str, role: Literal["session", "store"], probe: Probe, implementation: str
    ) -> None:
        self.name = name
        self.role = role
        self.probe = probe
        self.implementation = implementation
        self._loaded: object | None = None

    def load(self) -> object:
        """The projection object (imported the first time)."""
        if self._loaded is None:
            module, _, attribute = self.implementation.partition(":")
            self._loaded = getattr(importlib.import_module(module), attribute)
        return self._loaded

    def __repr__(self) -> str:
        return f"Entry({self.name!r}, {self.role!r}, {self.implementation!r})"


_lock = allocate_lock()
_entries: dict[str, Entry] = {
    "v2_sidecar": Entry(
        "v2_sidecar", "session", sidecar_exists, "sesslog.v2.projection:V2_SIDECAR"
    ),
    "catalog": Entry("catalog", "store", catalog_exists, "sesslog.catalog.projection:CATALOG"),
}


def register(entry: Entry) -> None:
    """Add a projection (replacing one of the same name)."""
    with _lock:
        _entries[entry.name] = entry


def unregister(name: str) -> Entry | None:
    """Remove a projection; return its entry, if there was one."""
    with _lock:
        return _entries.pop(name, None)


def entries(role: Literal["session", "store"] | None = None) -> list[Entry]:
    """The registered projections (of one role), in registration order."""
    with _lock:
        return [e for e in _entries.values() if role is None or e.role == role]


def projection(name: str) -> SessionProjection | StoreProjection:
    """The projection registered as ``name``.

    Raises:
        ProjectionError: None is.
    """
    return cast("SessionProjection | StoreProjection", _entry(name).load())


def session_projection(name: str) -> SessionProjection:
    """The session projection registered as ``name``.

    Raises:
        ProjectionError: None is, or it is a store projection.
    """
    return cast("SessionProjection", _entry(name, "session").load())


def store_projection(name: str) -> StoreProjection:
    """The store projection registered as ``name`` (a store asks for ``catalog``).

    Raises:
        ProjectionError: None is, or it is a session projection.
    """
    return cast("StoreProjection", _entry(name, "store").load())


def _entry(name: str, role: Literal["session", "store"] | None = None) -> Entry:
    with _lock:
        entry = _entries.get(name)
    if entry is not None and role is not None and entry.role != role:
        raise ProjectionError(f"{name!r} is a {entry.role} projection, not a {role} projection")
    if entry is None:
        raise ProjectionError(f"no projection named {name!r} is registered")
    return entry


def load_session(backend: LogBackend, key: str, scope: OpenScope, mode: ReadMode) -> Loaded | None:
    """The session from the first session projection that exists for the log and loads it,
    or ``None`` (read the log then). Missing, stale and damaged projections are passed over;
    a strict-mode ``FormatError`` of the session itself propagates."""
    for entry in entries("session"):
        if not entry.probe(backend, key):
            continue
        found = cast("SessionProjection", entry.load())
        try:
            return found.load(backend, key, scope, mode)
        except (ProjectionError, OSError):
            continue
    return None
