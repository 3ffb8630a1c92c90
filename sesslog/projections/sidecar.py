"""Where the projections of local files live, known without importing their code: the V2
sidecar of a session file, and the catalog file of a store.

The sidecar of ``<name>.jsonl`` is the folder ``<name>.v2/`` beside it (see
``docs/v2-format.md``). :func:`sidecar_exists` is the V2 projection's registry probe: one
``stat``, no import of :mod:`sesslog.v2` (which imports ``zstandard``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sesslog.backends.protocol import LogBackend

__all__ = ["CATALOG_FILE", "STATE_FOLDER", "catalog_exists", "sidecar_exists", "sidecar_folder"]

#: The folder inside a store root that holds the catalog and the trash.
STATE_FOLDER = ".sesslog"
#: The catalog file of a store, relative to its root (or to a backend's folder).
CATALOG_FILE = f"{STATE_FOLDER}/catalog.sqlite"


def sidecar_folder(path: str | os.PathLike[str]) -> Path:
    """The V2 sidecar folder of a session file: ``<name>.v2`` beside ``<name>.jsonl``."""
    file = Path(path)
    stem = file.name[: -len(".jsonl")] if file.name.endswith(".jsonl") else file.name
    return file.with_name(stem + ".v2")


def sidecar_exists(backend: LogBackend, key: str) -> bool:
    """Whether the log is a local file with a sidecar folder beside it."""
    path = backend.local_path(key)
    return path is not None and sidecar_folder(path).is_dir()


def catalog_exists(backend: LogBackend, key: str) -> bool:
    """Whether the backend's folder holds a catalog file (the catalog projection's registry
    probe; ``key`` is not needed: the catalog spans the whole store)."""
    path = backend.local_path(CATALOG_FILE)
    return path is not None and path.is_file()
