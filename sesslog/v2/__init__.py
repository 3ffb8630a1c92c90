"""The V2 sidecar: a compact, checksummed, indexed copy of a session beside its JSONL file.

For ``<name>.jsonl`` the sidecar is the folder ``<name>.v2/``: zstd-compressed segments holding
the file's exact bytes, an index that finds every entry in one frame, and a manifest that says
which prefix of the file it holds. The JSONL file stays the truth: the sidecar is verified
against it, caught up when the file grows, and ignored (the file is read instead) whenever it is
missing, stale or damaged. See ``docs/v2-format.md``.

This package is the only part of sesslog that imports ``zstandard``; ``import sesslog`` does not
import it (:meth:`sesslog.Session.open` imports this package only when a sidecar folder exists).
"""

from __future__ import annotations

from sesslog.session import SessionStoreKind
from sesslog.v2.layout import SidecarPaths
from sesslog.v2.ledger import LedgerRecord, read_ledger
from sesslog.v2.maintenance import (
    RecoverResult,
    RestoreResult,
    RollbackResult,
    recover_partial_migration,
    restore_jsonl_from_v2,
    rollback_v2_sidecar,
)
from sesslog.v2.migrate import (
    create_v2_sidecar_from_jsonl,
    migrate_dry_run,
    migrate_jsonl_to_v2,
)
from sesslog.v2.opening import PartialTree, V2OpenMode, open_session, open_sidecar
from sesslog.v2.results import DryRunReport, MigrationResult
from sesslog.v2.status import MigrationState, StateKind, migration_status
from sesslog.v2.steps import (
    CATCH_UP_STEPS,
    MIGRATE_STEPS,
    RECOVER_STEPS,
    REFRESH_STEPS,
    ROLLBACK_STEPS,
    set_step_hook,
)
from sesslog.v2.verify import VerifyProblem, VerifyReport, verify_v2_against_jsonl

__all__ = [
    "CATCH_UP_STEPS",
    "MIGRATE_STEPS",
    "RECOVER_STEPS",
    "REFRESH_STEPS",
    "ROLLBACK_STEPS",
    "DryRunReport",
    "LedgerRecord",
    "MigrationResult",
    "MigrationState",
    "PartialTree",
    "RecoverResult",
    "RestoreResult",
    "RollbackResult",
    "SessionStoreKind",
    "SidecarPaths",
    "StateKind",
    "V2OpenMode",
    "VerifyProblem",
    "VerifyReport",
    "create_v2_sidecar_from_jsonl",
    "migrate_dry_run",
    "migrate_jsonl_to_v2",
    "migration_status",
    "open_session",
    "open_sidecar",
    "read_ledger",
    "recover_partial_migration",
    "restore_jsonl_from_v2",
    "rollback_v2_sidecar",
    "set_step_hook",
    "verify_v2_against_jsonl",
]
