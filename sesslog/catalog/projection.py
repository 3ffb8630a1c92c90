"""The catalog as a store projection of the storage seam, registered as ``catalog``.

A store does not build its catalog itself: it asks the projection registry
(:func:`sesslog.projections.registry.store_projection`) for the projection named ``catalog``
and calls its :meth:`CatalogProjection.open`. The same object also serves the seam's
:class:`~sesslog.projections.protocol.StoreProjection` interface over any
:class:`~sesslog.backends.protocol.LogBackend` (a local folder, memory): it keeps one catalog
per backend (SQLite in ``.sesslog/catalog.sqlite`` under a local folder, in memory otherwise),
reading the logs through :class:`~sesslog.catalog.backend_files.BackendFiles`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection
from pathlib import Path

from sesslog.backends.protocol import LogBackend
from sesslog.catalog.backend_files import BackendFiles
from sesslog.catalog.files import SessionFiles
from sesslog.catalog.protocol import Catalog
from sesslog.catalog.resilient import ResilientCatalog, open_catalog
from sesslog.catalog.types import RefreshReport
from sesslog.projections.freshness import Freshness
from sesslog.projections.sidecar import STATE_FOLDER

__all__ = ["CATALOG", "CatalogProjection"]


class CatalogProjection:
    """The catalog of a store, as a store projection.

    Attributes:
        name: ``catalog``.
    """

    name = "catalog"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalogs: dict[int, tuple[LogBackend, Catalog]] = {}

    def open(
        self, files: SessionFiles, folder: str | os.PathLike[str] | None, *, root: str
    ) -> ResilientCatalog:
        """The catalog of a store: SQLite in ``folder`` (scanning when that file cannot be
        used, see :mod:`sesslog.catalog.resilient`), or SQLite in memory when ``folder`` is
        ``None``.

        Args:
            files: The store's session files.
            folder: Where the catalog file lives (created when missing), or ``None``.
            root: Names the store (a catalog file made for another root is rebuilt).
        """
        if folder is not None:
            return open_catalog(files, folder, root=root)
        from sesslog.catalog.sqlite import SQLiteCatalog

        return ResilientCatalog(files, lambda: SQLiteCatalog(files, ":memory:", root=root))

    def catalog_of(self, backend: LogBackend) -> Catalog:
        """The catalog this projection keeps for ``backend`` (opened on first use)."""
        with self._lock:
            held = self._catalogs.get(id(backend))
            if held is None or held[0] is not backend:
                local = backend.local_path(STATE_FOLDER)
                files = BackendFiles(backend)
                root = str(Path(local).parent.resolve()) if local is not None else repr(backend)
                held = (backend, self.open(files, local, root=root))
                self._catalogs[id(backend)] = held
            return held[1]

    def freshness(self, backend: LogBackend, key: str) -> Freshness:
        """How the catalog's record of ``key`` compares with the log, by size: ``missing``
        (no log, or no record), ``grew``, ``changed`` (shorter) or ``fresh``. A refresh
        checks the bytes themselves (the prefix, the bytes before the old end)."""
        try:
            size = backend.stat(key).size
        except FileNotFoundError:
            return Freshness("missing", "the session file is missing")
        info = self.catalog_of(backend).get(key)
        if info is None:
            return Freshness("missing", "the catalog holds no record of it", size)
        if size > info.bytes:
            return Freshness("grew", f"the session file grew by {size - info.bytes} bytes", size)
        if size < info.bytes:
            return Freshness("changed", "the session file is shorter than the record", size)
        return Freshness("fresh", None, size)

    def refresh(self, backend: LogBackend, key: str) -> RefreshReport:
        """Bring the record of ``key`` up to date (only the appended bytes when the file grew
        and its prefix is unchanged)."""
        return self.catalog_of(backend).refresh([key])

    def forget(self, backend: LogBackend, key: str) -> None:
        """Drop the record of a log that was trashed or deleted."""
        self.catalog_of(backend).refresh([key])

    def rebuild(self, backend: LogBackend) -> RefreshReport:
        """Drop every record and read every log again."""
        return self.catalog_of(backend).rebuild()

    def close(self, backend: LogBackend | None = None) -> None:
        """Close the catalog kept for ``backend`` (every one by default)."""
        with self._lock:
            ids: Collection[int] = list(self._catalogs) if backend is None else [id(backend)]
            for number in ids:
                held = self._catalogs.pop(number, None)
                if held is not None:
                    held[1].close()


#: The registered projection.
CATALOG = CatalogProjection()
