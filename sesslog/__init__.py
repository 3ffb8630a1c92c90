"""sesslog: append-only JSONL session logs for coding agents, read back as a tree.

The file format is that of the ``pi`` coding agent (version 3; versions 1 and 2 are read and
upgraded in memory). The JSONL file is the truth; everything else is a projection.

This module exports what a user calls: :class:`Session` and how to open it, the durability
modes, the errors, the main results, and :mod:`~sesslog.format.entries`. Everything else is
importable from its own module (see ``docs/architecture.md``). Importing sesslog imports
only the errors and the version: every other name is imported on first use (see
:mod:`sesslog._lazy`), and neither the write path (loaded on the first create or append) nor
``zstandard``, ``sqlite3``, ``watchfiles`` or the command line is imported by a read.
"""

from __future__ import annotations

from sesslog._lazy import TYPE_CHECKING, lazy_getattr
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

if TYPE_CHECKING:
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

#: Every name but the errors and the version, imported on first use: ``import sesslog`` loads
#: neither msgspec nor the reader, and a read never loads the write layer.
_LAZY = {
    "AutosaveConfig": "sesslog.write.modes",
    "AutosaveDurabilityMode": "sesslog.write.modes",
    "AutosaveQueueMetrics": "sesslog.write.modes",
    "BranchInfo": "sesslog.tree.branches",
    "Diagnostic": "sesslog.format.diagnostics",
    "ForkPlan": "sesslog.tree.branches",
    "OpenScope": "sesslog.projections.protocol",
    "ReadMode": "sesslog.format.reader",
    "SESSION_VERSION": "sesslog.format.entries",
    "Session": "sesslog.session",
    "SessionContext": "sesslog.tree.context",
    "SessionOpenDiagnostics": "sesslog.format.diagnostics",
    "SessionSnapshot": "sesslog.tree.snapshot",
    "SessionStoreKind": "sesslog.projections.protocol",
    "SessionTree": "sesslog.tree.index",
    "Severity": "sesslog.format.diagnostics",
    "SiblingBranch": "sesslog.tree.branches",
    "entries": "sesslog.format.entries",
}


__getattr__ = lazy_getattr(globals(), _LAZY)
