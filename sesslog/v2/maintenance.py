"""Remove a sidecar, clean up after interrupted work, and rebuild a session file from a sidecar.

None of these touch the session file, except :func:`restore_jsonl_from_v2` when asked to
write it. A sidecar is removed by renaming it to ``<name>.v2.trash-<id>`` (one atomic step:
readers then fall back to the file) and deleting the trash afterwards; an interruption leaves
only trash, which :func:`recover_partial_migration` removes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec

from sesslog.backends.fs import atomic_write_bytes, fsync_folder
from sesslog.backends.local import LocalFolder
from sesslog.errors import SessionNotFoundError, SidecarCorruptError, SidecarError
from sesslog.format.timestamps import now_iso
from sesslog.v2.layout import SidecarPaths, new_migration_id
from sesslog.v2.manifest import FileIdentity, encode_manifest, read_manifest, sha256_hex
from sesslog.v2.migrate import migrate_jsonl_to_v2
from sesslog.v2.results import MigrationResult, Progress
from sesslog.v2.status import MigrationState, StateKind, migration_status
from sesslog.v2.steps import step
from sesslog.v2.store import Sidecar

__all__ = [
    "RecoverResult",
    "RestoreResult",
    "RollbackResult",
    "recover_partial_migration",
    "restore_jsonl_from_v2",
    "rollback_v2_sidecar",
]


class RollbackResult(msgspec.Struct, rename="camel"):
    """What :func:`rollback_v2_sidecar` did.

    Attributes:
        session: The session file.
        sidecar: The sidecar folder.
        removed: A sidecar was removed.
        migration_id: Its migration id, when its manifest was readable.
    """

    session: str
    sidecar: str
    removed: bool
    migration_id: str | None = None


class RecoverResult(msgspec.Struct, rename="camel"):
    """What :func:`recover_partial_migration` did.

    Attributes:
        session: The session file.
        before: The state found.
        removed: Folders and files removed.
        kept: Why a corrupt sidecar was kept (its session file is missing: it is the backup).
        migration: The migration run afterwards, when asked for.
        after: The state left.
    """

    session: str
    before: MigrationState
    removed: list[str]
    after: MigrationState
    kept: str | None = None
    migration: MigrationResult | None = None


class RestoreResult(msgspec.Struct, rename="camel"):
    """What :func:`restore_jsonl_from_v2` did.

    Attributes:
        target: The file written (or found identical).
        written: False when the target already held exactly these bytes.
        size: Bytes rebuilt.
    """

    target: str
    written: bool
    size: int


def rollback_v2_sidecar(path: str | os.PathLike[str], *, wait: float = 0.0) -> RollbackResult:
    """Remove a session's sidecar; the session file is not touched; the ledger records it.

    A session that was never migrated (no sidecar, no ledger) has nothing to remove, and
    nothing is written for it (not even a ledger).

    Raises:
        SessionNotFoundError: Neither the session file nor its sidecar exists.
        SidecarBusyError: Another process is changing the sidecar.
    """
    paths = SidecarPaths(path)
    _require_something(paths)
    if not paths.folder.exists() and not paths.ledger.exists():
        return RollbackResult(str(paths.session), str(paths.folder), removed=False)
    with paths.lock_ledger(wait) as ledger:
        step("rollback.planned")
        if not paths.folder.exists():
            return RollbackResult(str(paths.session), str(paths.folder), removed=False)
        try:
            migration_id: str | None = read_manifest(paths.folder).migration_id
        except (OSError, SidecarCorruptError):
            migration_id = None
        trash = paths.trash(new_migration_id())
        os.rename(paths.folder, trash)
        step("rollback.moved_aside")
        fsync_folder(paths.parent)
        step("rollback.parent_synced")
        ledger.append("rollback", migration_id=migration_id)
        step("rollback.recorded")
        _delete(trash)
        fsync_folder(paths.parent)
        step("rollback.removed")
    return RollbackResult(str(paths.session), str(paths.folder), True, migration_id)


def recover_partial_migration(
    path: str | os.PathLike[str],
    *,
    migrate_again: bool = False,
    wait: float = 0.0,
    progress: Progress | None = None,
) -> RecoverResult:
    """Clean up after interrupted work: temporary and trash folders, files a catch-up left in
    the sidecar, and a corrupt sidecar; then optionally migrate again.

    A corrupt sidecar whose session file is missing is kept: it is the only copy left, and
    :func:`restore_jsonl_from_v2` rebuilds the file from it. A session that was never
    migrated has nothing to clean up, and nothing is written for it (not even a ledger).

    Args:
        path: The session file.
        migrate_again: Run :func:`~sesslog.v2.migrate_jsonl_to_v2` afterwards (which also
            catches up a stale sidecar).
        wait: Seconds to wait for another process changing the sidecar.
        progress: Progress of the migration run afterwards.

    Raises:
        SessionNotFoundError: Neither the session file nor a sidecar or leftover of it exists
            (nothing is written).
        SidecarBusyError: Another process is changing the sidecar.
    """
    paths = SidecarPaths(path)
    removed: list[str] = []
    kept = None
    _require_something(paths)
    if not paths.folder.exists() and not paths.ledger.exists() and not paths.leftovers():
        state = migration_status(paths.session)
        migration = None
        if migrate_again:
            migration = migrate_jsonl_to_v2(paths.session, wait=wait, progress=progress)
            state = migration_status(paths.session)
        return RecoverResult(str(paths.session), state, [], state, None, migration)
    with paths.lock_ledger(wait) as ledger:
        before = migration_status(paths.session)
        step("recover.planned")
        for leftover in paths.leftovers():
            _delete(leftover)
            removed.append(str(leftover))
            step("recover.removed")
        if before.kind is StateKind.CORRUPT and before.source_size is None:
            kept = "the session file is missing; the sidecar is kept for restore-jsonl"
        elif before.kind is StateKind.CORRUPT:
            trash = paths.trash(new_migration_id())
            os.rename(paths.folder, trash)
            _delete(trash)
            removed.append(str(paths.folder))
            step("recover.removed")
        elif paths.folder.is_dir():
            for name in before.leftovers:
                if Path(name).parent == paths.folder:
                    _delete(Path(name))
                    removed.append(name)
                    step("recover.removed")
        if removed:
            fsync_folder(paths.parent)
            reason = before.reason or before.kind.value
            ledger.append("recover", detail=f"{reason}; removed {', '.join(removed)}")
            step("recover.recorded")
    migration = None
    if migrate_again and paths.session.is_file():
        migration = migrate_jsonl_to_v2(paths.session, wait=wait, progress=progress)
    after = migration_status(paths.session)
    return RecoverResult(str(paths.session), before, removed, after, kept, migration)


def restore_jsonl_from_v2(
    path: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    lock_wait: float | None = None,
) -> RestoreResult:
    """Rebuild a session file byte for byte from its sidecar alone.

    The rebuilt bytes are checked against the manifest's hashes before anything is written;
    the target is replaced atomically (mode 0600). The session file itself is replaced under
    its writer lock, so no writer appends meanwhile and a live writer makes the restore
    refuse; and it is never cut shorter than it is (a file that holds more than the sidecar
    grew since: ``migrate`` catches the sidecar up instead).

    Args:
        path: The session file (its sidecar is ``<name>.v2``).
        output: Where to write (default: the session file itself).
        overwrite: Replace a target that exists and holds other bytes.
        lock_wait: Seconds to wait for a live writer of the session file (``None``: refuse).

    Raises:
        SidecarError: No sidecar; the target exists with other bytes and ``overwrite`` is
            false; or the session file holds more bytes than the sidecar.
        SidecarCorruptError: The sidecar is damaged.
        SessionLockedError: A writer holds the session file's lock.
    """
    paths = SidecarPaths(path)
    target = Path(output) if output is not None else paths.session
    data = _rebuilt(paths)
    if target.exists() and target.resolve() == paths.session.resolve():
        if target.read_bytes() == data:
            return RestoreResult(str(target), False, len(data))
        backend, key = LocalFolder.for_file(paths.session)
        with backend.lock(key, wait=lock_wait):
            current = target.read_bytes()
            if current == data:
                return RestoreResult(str(target), False, len(data))
            _may_replace(target, overwrite)
            if len(current) > len(data):
                raise SidecarError(
                    f"{target}: holds {len(current)} bytes, more than the {len(data)} its "
                    "sidecar holds; restoring would cut entries off (run 'sesslog migrate' to "
                    "bring the sidecar up to date, or move the file away first)"
                )
            _restore_session(paths, data)
        return RestoreResult(str(target), True, len(data))
    if target.exists():
        if target.read_bytes() == data:
            return RestoreResult(str(target), False, len(data))
        _may_replace(target, overwrite)
    if target.resolve() == paths.session.resolve():
        _restore_session(paths, data)  # the session file was missing
    else:
        atomic_write_bytes(target, data)
    return RestoreResult(str(target), True, len(data))


def _rebuilt(paths: SidecarPaths) -> bytes:
    """The session's bytes rebuilt from the sidecar and checked against the manifest."""
    try:
        sidecar = Sidecar(paths.folder)
    except FileNotFoundError:
        raise SidecarError(f"{paths.session}: no V2 sidecar to restore from") from None
    with sidecar:
        data = sidecar.rebuild()
        for piece in sidecar.manifest.source.ranges:
            if sha256_hex(data[piece.start : piece.end]) != piece.sha256:
                raise SidecarCorruptError(
                    f"rebuilt bytes {piece.start}-{piece.end} do not match the manifest"
                )
    return data


def _may_replace(target: Path, overwrite: bool) -> None:
    if not overwrite:
        raise SidecarError(
            f"{target}: exists and differs from the sidecar's copy; pass --force "
            "(overwrite=True) to replace it"
        )


def _restore_session(paths: SidecarPaths, data: bytes) -> None:
    """Write the session file and record it (in the manifest, so readers use the sidecar,
    and in the ledger)."""
    with paths.lock_ledger() as ledger:
        atomic_write_bytes(paths.session, data)
        manifest = read_manifest(paths.folder)
        if manifest.source.size == len(data):
            source = msgspec.structs.replace(
                manifest.source, identity=FileIdentity.of(os.stat(paths.session))
            )
            updated = msgspec.structs.replace(manifest, updated_at=now_iso(), source=source)
            atomic_write_bytes(paths.manifest, encode_manifest(updated))
        ledger.append("restore", migration_id=manifest.migration_id, source_size=len(data))


def _require_something(paths: SidecarPaths) -> None:
    """Refuse a session of which nothing exists (no file, no sidecar, no leftovers)."""
    if not paths.session.exists() and not paths.folder.exists() and not paths.leftovers():
        raise SessionNotFoundError(f"{paths.session}: no such session file, and no sidecar")


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
