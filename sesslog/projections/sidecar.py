"""Where the V2 sidecar of a session file lives, known without importing the sidecar code.

The sidecar of ``<name>.jsonl`` is the folder ``<name>.v2/`` beside it (see
``docs/v2-format.md``). :func:`sidecar_exists` is the V2 projection's registry probe: one
``stat``, no import of :mod:`sesslog.v2` (which imports ``zstandard``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sesslog.backends.protocol import LogBackend

__all__ = ["sidecar_exists", "sidecar_folder"]


def sidecar_folder(path: str | os.PathLike[str]) -> Path:
    """The V2 sidecar folder of a session file: ``<name>.v2`` beside ``<name>.jsonl``."""
    file = Path(path)
    stem = file.name[: -len(".jsonl")] if file.name.endswith(".jsonl") else file.name
    return file.with_name(stem + ".v2")


def sidecar_exists(backend: LogBackend, key: str) -> bool:
    """Whether the log is a local file with a sidecar folder beside it."""
    path = backend.local_path(key)
    return path is not None and sidecar_folder(path).is_dir()
