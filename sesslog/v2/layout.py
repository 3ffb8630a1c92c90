"""Where a sidecar and everything around it live on disk, and how its files are named.

For ``<name>.jsonl`` the sidecar is the folder ``<name>.v2/`` beside it. Next to them:

* ``<name>.v2.ledger``: the append-only migration ledger (outlives rollbacks);
* ``<name>.v2.tmp-<id>/``: a migration under way (or interrupted);
* ``<name>.v2.trash-<id>/``: a sidecar being removed (or whose removal was interrupted).

Inside the sidecar: ``manifest.json``, segments ``seg-000000.zst``... and index parts
``index-000000.bin``... (see ``docs/v2-format.md``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sesslog.errors import SidecarBusyError
from sesslog.projections.ledger import LedgerLock
from sesslog.projections.sidecar import sidecar_folder

__all__ = [
    "MANIFEST_NAME",
    "SidecarPaths",
    "index_name",
    "new_migration_id",
    "segment_name",
]

MANIFEST_NAME = "manifest.json"
_TEMP = ".tmp-"
_TRASH = ".trash-"


def segment_name(number: int) -> str:
    """File name of segment ``number``."""
    return f"seg-{number:06d}.zst"


def index_name(number: int) -> str:
    """File name of index part ``number``."""
    return f"index-{number:06d}.bin"


def new_migration_id() -> str:
    """A fresh migration id: 16 lowercase hex characters."""
    return secrets.token_hex(8)


class SidecarPaths:
    """The paths that belong to one session's sidecar.

    Args:
        session: The session's ``.jsonl`` file.
    """

    def __init__(self, session: str | os.PathLike[str]) -> None:
        self.session = Path(session)
        self.folder = sidecar_folder(self.session)
        self.parent = self.folder.parent
        self.ledger = self.folder.with_name(self.folder.name + ".ledger")
        self.manifest = self.folder / MANIFEST_NAME

    def lock_ledger(self, wait: float = 0.0) -> LedgerLock:
        """Open and lock the ledger for one operation on the sidecar.

        Raises:
            SidecarBusyError: Another process is changing the sidecar.
        """
        return LedgerLock(self.ledger, wait=wait, busy=SidecarBusyError)

    def temp(self, migration_id: str) -> Path:
        """The temporary folder a migration writes before publishing."""
        return self.folder.with_name(self.folder.name + _TEMP + migration_id)

    def trash(self, migration_id: str) -> Path:
        """Where a sidecar is moved to be removed."""
        return self.folder.with_name(self.folder.name + _TRASH + migration_id)

    def leftovers(self) -> list[Path]:
        """Temporary and trash folders (or files) left beside the session, sorted by name."""
        prefixes = (self.folder.name + _TEMP, self.folder.name + _TRASH)
        try:
            names = os.listdir(self.parent)
        except FileNotFoundError:
            return []
        return sorted(self.parent / name for name in names if name.startswith(prefixes))
