"""The V2 sidecar as a session projection: the object its registry entry loads.

:mod:`sesslog.projections.registry` holds the cheap entry (the probe is whether
``<name>.v2/`` exists); this module, which imports ``zstandard`` through the sidecar code, is
imported the first time a session with a sidecar is opened.
"""

from __future__ import annotations

from pathlib import Path

from sesslog._lazy import TYPE_CHECKING
from sesslog.backends.protocol import LogBackend
from sesslog.errors import SidecarError
from sesslog.format.reader import ReadMode
from sesslog.projections.freshness import Freshness, compare
from sesslog.projections.protocol import Loaded, OpenScope, SessionStoreKind
from sesslog.projections.sidecar import sidecar_folder
from sesslog.v2.opening import load_fresh
from sesslog.v2.store import Sidecar

if TYPE_CHECKING:
    from sesslog.v2.results import MigrationResult

__all__ = ["V2_SIDECAR", "V2Sidecar"]


class V2Sidecar:
    """The V2 sidecar of local session files (see ``docs/v2-format.md``)."""

    name = SessionStoreKind.V2_SIDECAR.value

    def freshness(self, backend: LogBackend, key: str) -> Freshness:
        """How the sidecar compares with the file (``missing`` when there is no sidecar)."""
        path = self._path(backend, key)
        try:
            sidecar = Sidecar(sidecar_folder(path))
        except FileNotFoundError:
            return Freshness("missing", f"{path}: no V2 sidecar")
        with sidecar:
            return compare(backend, key, sidecar.manifest.source.fingerprint())

    def load(self, backend: LogBackend, key: str, scope: OpenScope, mode: ReadMode) -> Loaded:
        """The session from its fresh sidecar (see :func:`~sesslog.v2.opening.load_fresh`)."""
        return load_fresh(backend, key, scope, mode)

    def catch_up(self, backend: LogBackend, key: str) -> MigrationResult:
        """Migrate, catch up or rebuild as needed (:func:`~sesslog.v2.migrate_jsonl_to_v2`)."""
        from sesslog.v2.migrate import migrate_jsonl_to_v2  # a read never loads the write side

        return migrate_jsonl_to_v2(self._path(backend, key))

    def rebuild(self, backend: LogBackend, key: str) -> MigrationResult:
        """Write a new sidecar from the whole file."""
        from sesslog.v2.migrate import migrate_jsonl_to_v2

        return migrate_jsonl_to_v2(self._path(backend, key), rebuild=True)

    @staticmethod
    def _path(backend: LogBackend, key: str) -> Path:
        path = backend.local_path(key)
        if path is None:
            raise SidecarError(f"{backend.describe(key)}: only local files have a V2 sidecar")
        return path


#: The projection object.
V2_SIDECAR = V2Sidecar()
