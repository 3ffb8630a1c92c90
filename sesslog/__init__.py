"""sesslog: append-only JSONL session logs for coding agents, read back as a tree.

The file format is that of the ``pi`` coding agent (version 3; versions 1 and 2 are read and
upgraded in memory). The JSONL file is the truth; everything else is a projection.
"""

from sesslog.errors import (
    EntryNotFoundError,
    FormatError,
    InvalidIdError,
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
from sesslog.format.diagnostics import Diagnostic, Reason, SessionOpenDiagnostics, Severity
from sesslog.format.entries import SESSION_VERSION
from sesslog.format.reader import ReadMode
from sesslog.format.records import Record
from sesslog.session import Session, SessionStoreKind
from sesslog.tree.context import SessionContext
from sesslog.tree.index import BranchInfo, ForkPlan, SessionTree, SiblingBranch
from sesslog.write.appender import SessionHandle
from sesslog.write.modes import (
    AutosaveConfig,
    AutosaveDurabilityMode,
    AutosaveFlushTrigger,
    AutosaveQueueMetrics,
)
from sesslog.write.snapshot import SessionSnapshot

__all__ = [
    "SESSION_VERSION",
    "AutosaveConfig",
    "AutosaveDurabilityMode",
    "AutosaveFlushTrigger",
    "AutosaveQueueMetrics",
    "BranchInfo",
    "Diagnostic",
    "EntryNotFoundError",
    "ForkPlan",
    "FormatError",
    "InvalidIdError",
    "QueueFullError",
    "ReadMode",
    "ReadOnlySessionError",
    "Reason",
    "Record",
    "Session",
    "SessionChangedError",
    "SessionContext",
    "SessionHandle",
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
    "entries",
]
