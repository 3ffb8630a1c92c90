"""sesslog: append-only JSONL session logs for coding agents, read back as a tree.

The file format is that of the ``pi`` coding agent (version 3; versions 1 and 2 are read and
upgraded in memory). The JSONL file is the truth; everything else is a projection.
"""

from .context import SessionContext
from .diagnostics import Diagnostic, Reason, SessionOpenDiagnostics
from .durability import (
    AutosaveConfig,
    AutosaveDurabilityMode,
    AutosaveFlushTrigger,
    AutosaveQueueMetrics,
)
from .entries import SESSION_VERSION
from .errors import (
    EntryNotFoundError,
    FormatError,
    QueueFullError,
    ReadOnlySessionError,
    SessionChangedError,
    SessionLockedError,
    SessionNotFoundError,
    SesslogError,
    UnsupportedVersionError,
    WriterFailedError,
)
from .handle import SessionHandle, SessionSnapshot
from .reader import ReadMode
from .records import Record
from .session import Session, SessionStoreKind
from .tree import BranchInfo, ForkPlan, SessionTree, SiblingBranch

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
    "SiblingBranch",
    "UnsupportedVersionError",
    "WriterFailedError",
]
