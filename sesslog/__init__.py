"""sesslog: append-only JSONL session logs for coding agents, read back as a tree.

The file format is that of the ``pi`` coding agent (version 3; versions 1 and 2 are read and
upgraded in memory). The JSONL file is the truth; everything else is a projection.

This module exports what a user calls: :class:`Session` and how to open it, the durability
modes, the errors, the main results, and :mod:`~sesslog.format.entries`. Everything else is
importable from its own module (see ``docs/architecture.md``). Importing sesslog imports
neither the write path (loaded on the first create or append) nor ``zstandard``, ``sqlite3``,
``watchfiles`` or the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sesslog._lazy import lazy_getattr
from sesslog._version import __version__
from sesslog.errors import (
    EntryNotFoundError,
    FormatError,
    InvalidIdError,
    ProjectionError,
    QueueFullError,
    ReadOnlySessionError,
    SessionChangedError,
    SessionLockedError,
    SessionNotFoundError,
    SesslogError,
    UnsupportedVersionError,
    WriterFailedError,
)
from sesslog.format import entries
from sesslog.format.diagnostics import Diagnostic, SessionOpenDiagnostics, Severity
from sesslog.format.entries import SESSION_VERSION
from sesslog.format.reader import ReadMode
from sesslog.projections.protocol import OpenScope, SessionStoreKind
from sesslog.session import Session
from sesslog.tree.branches import BranchInfo, ForkPlan, SiblingBranch
from sesslog.tree.context import SessionContext
from sesslog.tree.index import SessionTree
from sesslog.tree.snapshot import SessionSnapshot

if TYPE_CHECKING:
    from sesslog.write.modes import AutosaveConfig, AutosaveDurabilityMode, AutosaveQueueMetrics

__all__ = [
    "SESSION_VERSION",
    "AutosaveConfig",
    "AutosaveDurabilityMode",
    "AutosaveQueueMetrics",
    "BranchInfo",
    "Diagnostic",
    "EntryNotFoundError",
    "ForkPlan",
    "FormatError",
    "InvalidIdError",
    "OpenScope",
    "ProjectionError",
    "QueueFullError",
    "ReadMode",
    "ReadOnlySessionError",
    "Session",
    "SessionChangedError",
    "SessionContext",
    "SessionLockedError",
    "SessionNotFoundError",
    "SessionOpenDiagnostics",
    "SessionSnapshot",
    "SessionStoreKind",
    "SessionTree",
    "SesslogError",
    "Severity",
    "SiblingBranch",
    "UnsupportedVersionError",
    "WriterFailedError",
    "__version__",
    "entries",
]

#: Names of the write layer, imported on first use (``import sesslog`` does not load it).
_LAZY = {
    "AutosaveConfig": "sesslog.write.modes",
    "AutosaveDurabilityMode": "sesslog.write.modes",
    "AutosaveQueueMetrics": "sesslog.write.modes",
}


__getattr__ = lazy_getattr(globals(), _LAZY)
