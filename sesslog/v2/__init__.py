"""The V2 sidecar: a compact, checksummed, indexed copy of a session beside its JSONL file.

For ``<name>.jsonl`` the sidecar is the folder ``<name>.v2/``: zstd-compressed segments holding
the file's exact bytes, an index that finds every entry in one frame, and a manifest that says
which prefix of the file it holds. The JSONL file stays the truth: the sidecar is verified
against it, caught up when the file grows, and ignored (the file is read instead) whenever it is
missing, stale or damaged. See ``docs/v2-format.md``.

The sidecar is a projection (:mod:`sesslog.projections`): :meth:`sesslog.Session.open` uses it
through its registry entry, which imports this package only when a sidecar folder exists. This
package is the only part of sesslog that imports ``zstandard``; ``import sesslog`` does not.
Each name is imported on first use, so a read through the sidecar loads neither migration,
verification nor maintenance code.
"""

from __future__ import annotations

from sesslog._lazy import TYPE_CHECKING, lazy_getattr

if TYPE_CHECKING:
    from sesslog.projections.ledger import LedgerRecord, read_ledger
    from sesslog.v2.layout import SidecarPaths
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
    from sesslog.v2.results import DryRunReport, MigrationResult
    from sesslog.v2.status import MigrationState, StateKind, migration_status
    from sesslog.v2.verify import VerifyProblem, VerifyReport, verify_v2_against_jsonl

__all__ = [
    "DryRunReport",
    "LedgerRecord",
    "MigrationResult",
    "MigrationState",
    "RecoverResult",
    "RestoreResult",
    "RollbackResult",
    "SidecarPaths",
    "StateKind",
    "VerifyProblem",
    "VerifyReport",
    "create_v2_sidecar_from_jsonl",
    "migrate_dry_run",
    "migrate_jsonl_to_v2",
    "migration_status",
    "read_ledger",
    "recover_partial_migration",
    "restore_jsonl_from_v2",
    "rollback_v2_sidecar",
    "verify_v2_against_jsonl",
]

_LAZY = {
    "DryRunReport": "sesslog.v2.results",
    "LedgerRecord": "sesslog.projections.ledger",
    "MigrationResult": "sesslog.v2.results",
    "MigrationState": "sesslog.v2.status",
    "RecoverResult": "sesslog.v2.maintenance",
    "RestoreResult": "sesslog.v2.maintenance",
    "RollbackResult": "sesslog.v2.maintenance",
    "SidecarPaths": "sesslog.v2.layout",
    "StateKind": "sesslog.v2.status",
    "VerifyProblem": "sesslog.v2.verify",
    "VerifyReport": "sesslog.v2.verify",
    "create_v2_sidecar_from_jsonl": "sesslog.v2.migrate",
    "migrate_dry_run": "sesslog.v2.migrate",
    "migrate_jsonl_to_v2": "sesslog.v2.migrate",
    "migration_status": "sesslog.v2.status",
    "read_ledger": "sesslog.projections.ledger",
    "recover_partial_migration": "sesslog.v2.maintenance",
    "restore_jsonl_from_v2": "sesslog.v2.maintenance",
    "rollback_v2_sidecar": "sesslog.v2.maintenance",
    "verify_v2_against_jsonl": "sesslog.v2.verify",
}

__getattr__ = lazy_getattr(globals(), _LAZY)
