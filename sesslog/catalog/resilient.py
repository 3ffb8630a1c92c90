"""A store's catalog that never stops the store: SQLite while it works, scanning after.

:func:`open_catalog` opens the SQLite catalog of a store; when the file cannot be used (a
read-only folder, a full disk, any write that fails) the :class:`ResilientCatalog` switches to
the :class:`~sesslog.catalog.scan.ScanCatalog` for the rest of its life, answers the operation
that failed from there, and issues one
:class:`~sesslog.errors.CatalogUnavailableWarning` saying why.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Collection
from typing import TypeVar

from sesslog.catalog.files import SessionFiles
from sesslog.catalog.protocol import Catalog
from sesslog.catalog.types import (
    CatalogStatus,
    ListQuery,
    RefreshReport,
    SearchHit,
    SearchHits,
    SearchQuery,
    SessionDetails,
    SessionInfo,
    SessionList,
    StoreStats,
)
from sesslog.errors import CatalogError, CatalogUnavailableWarning

__all__ = ["CATALOG_NAME", "ResilientCatalog", "open_catalog"]

#: The catalog's file name inside the store's ``.sesslog`` folder.
CATALOG_NAME = "catalog.sqlite"
_T = TypeVar("_T")


class ResilientCatalog:
    """A catalog that falls back to scanning when its own fails.

    Args:
        files: The store's session files.
        primary: Opens the catalog to use while it works (raises ``CatalogError`` when it
            cannot), or ``None`` to scan from the start.
        reason: Why there is no primary, when ``primary`` is ``None``.
    """

    def __init__(
        self,
        files: SessionFiles,
        primary: Callable[[], Catalog] | None,
        *,
        reason: str | None = None,
    ) -> None:
        self._files = files
        self._inner: Catalog
        self.fallback_reason: str | None = None
        if primary is None:
            self._fall_back(reason or "no catalog file")
            return
        try:
            self._inner = primary()
        except CatalogError as exc:
            self._fall_back(str(exc))

    @property
    def kind(self) -> str:
        """The kind of catalog answering now (``sqlite``, or ``scan`` after a fallback)."""
        return self.status().kind

    def _fall_back(self, reason: str) -> None:
        from sesslog.catalog.scan import ScanCatalog

        self.fallback_reason = reason
        self._inner = ScanCatalog(self._files, reason=reason)
        warnings.warn(
            CatalogUnavailableWarning(
                f"catalog unavailable, reading the session files instead (slower): {reason}"
            ),
            stacklevel=2,
        )
        self._inner.refresh()

    def _call(self, work: Callable[[Catalog], _T]) -> _T:
        try:
            return work(self._inner)
        except CatalogError as exc:
            if self.fallback_reason is not None:  # pragma: no cover - scanning never raises it
                raise
            self._inner.close()
            self._fall_back(str(exc))
            return work(self._inner)

    def refresh(self, keys: Collection[str] | None = None, *, full: bool = False) -> RefreshReport:
        """See :meth:`Catalog.refresh`."""
        return self._call(lambda c: c.refresh(keys, full=full))

    def watch(self, key: str) -> None:
        """See :meth:`Catalog.watch`."""
        self._call(lambda c: c.watch(key))

    def rebuild(self) -> RefreshReport:
        """See :meth:`Catalog.rebuild`."""
        return self._call(lambda c: c.rebuild())

    def list_sessions(self, query: ListQuery | None = None) -> SessionList:
        """See :meth:`Catalog.list_sessions`."""
        return self._call(lambda c: c.list_sessions(query))

    def count(self, query: ListQuery | None = None) -> int:
        """See :meth:`Catalog.count`."""
        return self._call(lambda c: c.count(query))

    def get(self, key: str) -> SessionInfo | None:
        """See :meth:`Catalog.get`."""
        return self._call(lambda c: c.get(key))

    def details(self, key: str) -> SessionDetails | None:
        """See :meth:`Catalog.details`."""
        return self._call(lambda c: c.details(key))

    def search(self, query: SearchQuery) -> SearchHits[SearchHit]:
        """See :meth:`Catalog.search`."""
        return self._call(lambda c: c.search(query))

    def stats(self) -> StoreStats:
        """See :meth:`Catalog.stats`."""
        return self._call(lambda c: c.stats())

    def status(self) -> CatalogStatus:
        """See :meth:`Catalog.status`."""
        return self._call(lambda c: c.status())

    def close(self) -> None:
        """See :meth:`Catalog.close`."""
        self._inner.close()


def open_catalog(
    files: SessionFiles, folder: str | os.PathLike[str], *, root: str
) -> ResilientCatalog:
    """The catalog of a store whose catalog file lives in ``folder`` (``catalog.sqlite``).

    The folder is created (mode 0700) when missing; when that fails the store scans.
    """
    from sesslog.catalog.sqlite import SQLiteCatalog

    path = os.path.join(os.fspath(folder), CATALOG_NAME)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except FileExistsError:
        return ResilientCatalog(files, None, reason=f"{folder}: not a folder")
    except OSError as exc:
        return ResilientCatalog(files, None, reason=f"{folder}: {exc.strerror or exc}")
    return ResilientCatalog(files, lambda: SQLiteCatalog(files, path, root=root))
