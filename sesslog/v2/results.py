"""What migrations report, shared by the migration, catch-up and dry-run code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec

from sesslog.v2.manifest import Manifest

__all__ = ["DryRunReport", "MigrationResult", "Progress", "sidecar_size"]

#: Progress callback: ``(phase, done, total)`` with phases ``compress``, ``verify`` and
#: ``catch_up``, counted in session bytes.
Progress = Callable[[str, int, int], None]


class MigrationResult(msgspec.Struct, rename="camel"):
    """What :func:`migrate_jsonl_to_v2` did.

    Attributes:
        action: ``migrated`` (first migration), ``rebuilt`` (a sidecar replaced whole),
            ``caught_up`` (new lines appended), ``refreshed`` (the file was touched but holds
            the same bytes; its new identity is recorded) or ``nothing`` (already up to date,
            or the new bytes hold no complete line yet).
        session: The session file.
        sidecar: The sidecar folder.
        migration_id: The sidecar's migration id.
        generation: Catch-ups since the migration.
        entries: Entries in the sidecar.
        covered: Session bytes the sidecar holds.
        new_bytes: Session bytes added by this call.
        sidecar_bytes: Size of the sidecar's files.
        seconds: Time taken.
        reason: Why the sidecar was rebuilt, or why nothing was done.
    """

    action: str
    session: str
    sidecar: str
    migration_id: str
    generation: int
    entries: int
    covered: int
    new_bytes: int
    sidecar_bytes: int
    seconds: float = 0.0
    reason: str | None = None


class DryRunReport(msgspec.Struct, rename="camel"):
    """What :func:`migrate_dry_run` found.

    Attributes:
        session: The session file.
        action: What :func:`migrate_jsonl_to_v2` would do now: ``migrate``, ``catch_up``,
            ``rebuild`` or ``nothing``.
        mode: ``direct`` or ``reread`` (see ``docs/v2-format.md``).
        entries: Entries that would be indexed.
        lines: Lines in the file.
        frames: Frames that would be written.
        segments: Segment files that would be written.
        jsonl_bytes: Size of the session file.
        sidecar_bytes: Size of the sidecar that would be written.
        segment_bytes: Of which segments.
        index_bytes: Of which the index.
        ratio: ``sidecar_bytes / jsonl_bytes``.
        verified: The throw-away sidecar passed verification.
        problems: What verification found (empty when ``verified``).
        warnings: Lines that are kept verbatim but are not entries, and other findings.
        seconds: Time taken (writing and verifying).
    """

    session: str
    action: str
    mode: str
    entries: int
    lines: int
    frames: int
    segments: int
    jsonl_bytes: int
    sidecar_bytes: int
    segment_bytes: int
    index_bytes: int
    ratio: float
    verified: bool
    problems: list[str]
    warnings: list[str]
    seconds: float


def sidecar_size(folder: Path, manifest: Manifest) -> int:
    """Bytes taken by the files a manifest names."""
    return sum((folder / name).stat().st_size for name in manifest.file_names())
