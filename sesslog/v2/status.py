"""Where a session's migration stands: unmigrated, partial, migrated, stale or corrupt."""

from __future__ import annotations

import enum
import os

import msgspec

from sesslog.backends.fingerprints import edges_of_file
from sesslog.errors import SessionNotFoundError, SidecarCorruptError
from sesslog.v2.layout import SidecarPaths
from sesslog.v2.manifest import (
    FileIdentity,
    Manifest,
    read_manifest,
    sha256_of_range,
)

__all__ = ["MigrationState", "StateKind", "migration_status", "sidecar_problem"]


class StateKind(str, enum.Enum):
    """The state of a session's sidecar.

    * ``unmigrated``: no sidecar, nothing left over.
    * ``partial``: no usable sidecar, but an interrupted migration or rollback left folders
      beside the session (``recover`` removes them).
    * ``migrated``: the sidecar holds the session file byte for byte (with a reason when the
      file was touched since: readers then use the file until ``migrate`` records it again).
    * ``stale``: the file grew past the prefix the sidecar holds, and that prefix still
      matches (``migrate`` catches up); or the file was rewritten or cut since (an upgrade in
      place, an edit: ``changed_in_place``), and ``migrate`` rebuilds the sidecar. Readers use
      the file meanwhile.
    * ``corrupt``: the sidecar itself is damaged, or the session file is missing (see the
      reason); readers ignore it, ``recover`` removes it (keeping it when the file is missing:
      ``restore-jsonl`` rebuilds the file from it).
    """

    UNMIGRATED = "unmigrated"
    PARTIAL = "partial"
    MIGRATED = "migrated"
    STALE = "stale"
    CORRUPT = "corrupt"


class MigrationState(msgspec.Struct, rename="camel"):
    """What :func:`migration_status` found.

    Attributes:
        kind: The state.
        session: The session file.
        sidecar: The sidecar folder.
        reason: Why the state is ``partial``, ``stale`` or ``corrupt``.
        migration_id: The sidecar's migration id.
        generation: Catch-ups since the migration.
        covered: Session bytes the sidecar holds.
        source_size: The session file's size (``None`` when it is missing).
        entries: Entries in the sidecar.
        sidecar_bytes: Size of the sidecar's files.
        leftovers: Temporary or trash folders beside the session, and files inside the sidecar
            that its manifest does not name: what ``recover`` removes. A usable sidecar with
            leftovers keeps its state (``migrated`` or ``stale``).
        changed_in_place: The session file no longer starts with the bytes the sidecar holds
            (rewritten or cut since): ``stale``, and ``migrate`` rebuilds rather than catches
            up.
    """

    kind: StateKind
    session: str
    sidecar: str
    reason: str | None = None
    migration_id: str | None = None
    generation: int | None = None
    covered: int = 0
    source_size: int | None = None
    entries: int = 0
    sidecar_bytes: int = 0
    leftovers: list[str] = msgspec.field(default_factory=list)
    changed_in_place: bool = False


def migration_status(path: str | os.PathLike[str], *, thorough: bool = True) -> MigrationState:
    """Tell where a session's migration stands.

    Args:
        path: The session file.
        thorough: Hash every sidecar file and every covered byte of the session file; when
            false, compare sizes and the first and last 64 KiB only (what opening does).

    Returns:
        The state, with the reason when it is not ``unmigrated`` or ``migrated``.

    Raises:
        SessionNotFoundError: Neither the session file nor a sidecar or leftover of it exists.
    """
    paths = SidecarPaths(path)
    state = MigrationState(StateKind.UNMIGRATED, str(paths.session), str(paths.folder))
    state.leftovers = [str(p) for p in paths.leftovers()]
    try:
        stat: os.stat_result | None = os.stat(paths.session)
    except FileNotFoundError:
        stat = None
    state.source_size = None if stat is None else stat.st_size
    if stat is None and not state.leftovers and not paths.folder.exists():
        raise SessionNotFoundError(f"{paths.session}: no such session file, and no sidecar")
    if not paths.folder.exists():
        if state.leftovers:
            state.kind = StateKind.PARTIAL
            state.reason = "an interrupted migration or rollback left folders beside the session"
        return state
    try:
        manifest = read_manifest(paths.folder)
    except FileNotFoundError:
        return _corrupt(state, "the sidecar folder has no manifest")
    except PermissionError:
        raise  # not allowed to read it: nothing is known to be wrong with it
    except (SidecarCorruptError, OSError) as exc:
        return _corrupt(state, str(exc))
    state.migration_id = manifest.migration_id
    state.generation = manifest.generation
    state.covered = manifest.source.size
    state.entries = manifest.entries
    named = set(manifest.file_names())
    state.sidecar_bytes = sum(
        (paths.folder / name).stat().st_size for name in named if (paths.folder / name).exists()
    )
    state.leftovers.extend(
        str(paths.folder / name) for name in sorted(set(os.listdir(paths.folder)) - named)
    )
    problem = sidecar_problem(paths, manifest, thorough)
    if problem is not None:
        return _corrupt(state, problem)
    if stat is None:
        return _corrupt(
            state, "the session file is missing (restore-jsonl rebuilds it from the sidecar)"
        )
    changed = _source_problem(paths, manifest, stat.st_size, thorough)
    if changed is not None:
        state.kind = StateKind.STALE
        state.changed_in_place = True
        state.reason = f"{changed}; {_what_to_run(stat.st_size, manifest.source.size)}"
        return state
    if stat.st_size > manifest.source.size:
        state.kind = StateKind.STALE
        state.reason = (
            f"the session file grew by {stat.st_size - manifest.source.size} bytes "
            "since the sidecar was written; run 'sesslog migrate' to catch up"
        )
        return state
    state.kind = StateKind.MIGRATED
    if FileIdentity.of(stat) != manifest.source.identity:
        checked = "its bytes still match" if thorough else "its bytes were not hashed"
        state.reason = (
            f"the session file was touched since the sidecar was written ({checked}); "
            "readers use the file until 'migrate' records it again"
        )
    return state


def _corrupt(state: MigrationState, reason: str) -> MigrationState:
    state.kind = StateKind.CORRUPT
    state.reason = reason
    return state


def sidecar_problem(paths: SidecarPaths, manifest: Manifest, thorough: bool) -> str | None:
    """Why the sidecar's files do not match its manifest (missing, size, and when
    ``thorough`` their SHA-256), or ``None``."""
    for entry in manifest.payload_files():
        file = paths.folder / entry.name
        try:
            size = file.stat().st_size
        except FileNotFoundError:
            return f"{entry.name} is missing"
        if size != entry.size:
            return f"{entry.name} has {size} bytes, the manifest says {entry.size}"
        if thorough and _file_sha256(file) != entry.sha256:
            return f"{entry.name} does not match its checksum"
    return None


def _source_problem(
    paths: SidecarPaths, manifest: Manifest, size: int, thorough: bool
) -> str | None:
    """How the session file differs from the prefix the sidecar holds, or ``None``."""
    source = manifest.source
    if size < source.size:
        return f"the session file has {size} bytes, fewer than the {source.size} migrated"
    if not thorough:
        if edges_of_file(paths.session, source.size) != source.edges:
            return "the session file changed since the sidecar was written"
        return None
    with open(paths.session, "rb") as handle:
        for piece in source.ranges:
            if sha256_of_range(handle, piece.start, piece.end) != piece.sha256:
                return (
                    f"the session file changed since the sidecar was written "
                    f"(bytes {piece.start}-{piece.end} differ)"
                )
    return None


def _what_to_run(size: int, covered: int) -> str:
    """The commands that bring a sidecar and a file changed under it together again."""
    rebuild = "'sesslog migrate' rebuilds the sidecar from the file"
    if size > covered:
        return rebuild
    return f"{rebuild}, or 'sesslog restore-jsonl --force' puts the sidecar's copy back"


def _file_sha256(path: os.PathLike[str]) -> str:
    with open(path, "rb") as handle:
        return sha256_of_range(handle, 0, os.fstat(handle.fileno()).st_size)
