"""Migrate a session to a sidecar: plan, write to a temporary folder, verify, publish, record.

A first migration (and a rebuild) writes the whole sidecar into ``<name>.v2.tmp-<id>/``,
syncs every file and the folder, verifies it against the bytes it was made from, and renames it
to ``<name>.v2``. A rebuild moves the old sidecar aside first and removes it after. A sidecar
that is only stale is brought up to date by :mod:`sesslog.v2.catchup` instead. Every change is
recorded in the ledger, under its lock.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from sesslog.backends.fingerprints import edges_of_bytes, sha256_hex
from sesslog.backends.fs import FOLDER_MODE, fsync_folder
from sesslog.errors import FormatError, SessionNotFoundError, SidecarError
from sesslog.format.diagnostics import DROPPING_REASONS, SessionOpenDiagnostics
from sesslog.format.reader import ReadMode, SessionData, read_bytes
from sesslog.format.timestamps import now_iso
from sesslog.projections.ledger import LedgerLock
from sesslog.tree.index import SessionTree
from sesslog.v2.build import (
    PartSpec,
    direct_possible,
    make_facts,
    tree_parents,
    write_new_file,
    write_part,
)
from sesslog.v2.catchup import catch_up
from sesslog.v2.frames import FRAME_SIZE, SEGMENT_SIZE, ZSTD_LEVEL
from sesslog.v2.index import Facts, encode_envelopes
from sesslog.v2.layout import MANIFEST_NAME, SidecarPaths, new_migration_id
from sesslog.v2.manifest import (
    FORMAT_NAME,
    FORMAT_VERSION,
    FileIdentity,
    Manifest,
    SourceFingerprint,
    SourceRange,
    encode_manifest,
)
from sesslog.v2.results import DryRunReport, MigrationResult, Progress, sidecar_size
from sesslog.v2.status import StateKind, migration_status
from sesslog.v2.steps import step
from sesslog.v2.store import Sidecar
from sesslog.v2.verify import verify_v2_against_jsonl

__all__ = [
    "create_v2_sidecar_from_jsonl",
    "migrate_dry_run",
    "migrate_jsonl_to_v2",
    "require_header",
]


class _Plan:
    """A session's bytes read and indexed, ready to be written as one part."""

    def __init__(self, session: Path, data: bytes, level: int) -> None:
        self.data = data
        read: SessionData = read_bytes(data, ReadMode.TOLERANT, path=str(session))
        self.read = read
        reader_diagnostics = list(read.diagnostics.diagnostics)
        tree = SessionTree(
            read.records,
            SessionOpenDiagnostics(path=str(session), diagnostics=list(reader_diagnostics)),
        )
        direct = direct_possible(read.file_version, read.records)
        self.envelopes = encode_envelopes(read.records, level) if direct else None
        self.parents = tree_parents(read.records, tree)
        self.facts: Facts = make_facts(
            file_version=read.file_version,
            read_only=read.diagnostics.read_only,
            valid_size=read.valid_size,
            tree=tree,
            reader_diagnostics=reader_diagnostics,
            records=read.records,
            size=len(data),
            lines=data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0),
            clean_end=read.valid_size == len(data) and data.endswith(b"\n"),
            direct=self.envelopes is not None,
        )


def create_v2_sidecar_from_jsonl(
    path: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    *,
    source: bytes | None = None,
    identity: FileIdentity | None = None,
    migration_id: str | None = None,
    level: int = ZSTD_LEVEL,
    frame_size: int = FRAME_SIZE,
    segment_size: int = SEGMENT_SIZE,
    progress: Progress | None = None,
) -> Manifest:
    """Write a complete sidecar for a session file into a new folder (nothing is published).

    Args:
        path: The session file.
        folder: The folder to create (it must not exist; its parent must).
        source: The session's bytes, instead of reading the file.
        identity: The file's identity taken before ``source`` was read (default: taken now,
            before reading the file).
        migration_id: The id to record (default: a new one).
        level: zstd level.
        frame_size: Bound on a frame's uncompressed size.
        segment_size: Bound on a segment file's size.
        progress: Called as bytes are compressed.

    Returns:
        The manifest written. On an error the folder may hold part of the files.

    Raises:
        FileExistsError: ``folder`` exists.
        SidecarError: The session cannot be indexed.
    """
    session = Path(path)
    target = Path(folder)
    if identity is None:
        identity = FileIdentity.of(os.stat(session))
    data = source if source is not None else session.read_bytes()
    plan = _Plan(session, data, level)
    step("migrate.planned")
    target.mkdir(mode=FOLDER_MODE)
    fsync_folder(target.parent)
    step("migrate.temp_created")
    total = len(data)
    spec = PartSpec(
        data=data,
        base=0,
        base_line=1,
        records=plan.read.records,
        parents=plan.parents,
        first_entry=0,
        first_frame=0,
        first_segment=0,
        facts=plan.facts,
        header_raw=plan.read.header_raw,
        envelopes=plan.envelopes,
        level=level,
        frame_size=frame_size,
        segment_size=segment_size,
        index_number=0,
        step_prefix="migrate",
        progress=None if progress is None else lambda done: progress("compress", done, total),
    )
    part = write_part(target, spec)
    now = now_iso()
    manifest = Manifest(
        format=FORMAT_NAME,
        format_version=FORMAT_VERSION,
        migration_id=migration_id or new_migration_id(),
        generation=0,
        created_at=now,
        updated_at=now,
        source=SourceFingerprint(
            name=session.name,
            size=len(data),
            ranges=[SourceRange(0, len(data), sha256_hex(data))],
            edges=edges_of_bytes(data),
            identity=identity,
        ),
        entries=len(plan.read.records),
        frames=len(part.frames),
        segments=part.segments,
        index=[part.index],
        frame_size=frame_size,
        zstd_level=level,
    )
    write_new_file(target / MANIFEST_NAME, encode_manifest(manifest))
    step("migrate.manifest_written")
    fsync_folder(target)
    step("migrate.temp_synced")
    return manifest


def migrate_jsonl_to_v2(
    path: str | os.PathLike[str],
    *,
    rebuild: bool = False,
    level: int = ZSTD_LEVEL,
    frame_size: int = FRAME_SIZE,
    segment_size: int = SEGMENT_SIZE,
    progress: Progress | None = None,
    wait: float = 0.0,
) -> MigrationResult:
    """Bring a session's sidecar up to date: migrate, catch up or rebuild as needed.

    Without a sidecar, one is written to a temporary folder, verified against the bytes it was
    made from, and renamed into place. A stale sidecar (the file grew and the prefix it holds
    still matches) gets only the new lines. Anything else (a damaged sidecar, a file changed
    in place, new lines a plain append cannot take) is rebuilt. The session file is only read.

    Args:
        path: The session file.
        rebuild: Write a new sidecar even when the current one could be caught up.
        level: zstd level.
        frame_size: Bound on a frame's uncompressed size.
        segment_size: Bound on a segment file's size.
        progress: Called as work proceeds (see :data:`Progress`).
        wait: Seconds to wait for another process changing the same sidecar.

    Raises:
        SessionNotFoundError: The session file does not exist.
        FormatError: The file is not a session (empty, binary, no header line); nothing is
            written, not even the ledger.
        SidecarBusyError: Another process is changing the sidecar.
        SidecarError: The new sidecar failed verification (nothing was published).
    """
    paths = SidecarPaths(path)
    if not paths.session.is_file():
        raise SessionNotFoundError(f"{paths.session}: no such session file")
    require_header(paths.session)
    started = time.perf_counter()
    with paths.lock_ledger(wait) as ledger:
        reason = "rebuild requested" if rebuild else None
        if paths.folder.exists() and not rebuild:
            outcome = catch_up(paths, ledger, progress=progress)
            if isinstance(outcome, MigrationResult):
                outcome.seconds = time.perf_counter() - started
                return outcome
            reason = outcome
        result = _migrate_whole(paths, ledger, reason, level, frame_size, segment_size, progress)
    result.seconds = time.perf_counter() - started
    return result


def _migrate_whole(
    paths: SidecarPaths,
    ledger: LedgerLock,
    reason: str | None,
    level: int,
    frame_size: int,
    segment_size: int,
    progress: Progress | None,
) -> MigrationResult:
    migration_id = new_migration_id()
    temp = paths.temp(migration_id)
    identity = FileIdentity.of(os.stat(paths.session))
    data = paths.session.read_bytes()
    moved: Path | None = None
    published = False
    try:
        manifest = create_v2_sidecar_from_jsonl(
            paths.session,
            temp,
            source=data,
            identity=identity,
            migration_id=migration_id,
            level=level,
            frame_size=frame_size,
            segment_size=segment_size,
            progress=progress,
        )
        report = verify_v2_against_jsonl(
            paths.session,
            folder=temp,
            source=data,
            progress=None if progress is None else lambda d, t: progress("verify", d, t),
        )
        if not report.ok:
            raise SidecarError(
                f"{paths.session}: the new sidecar failed verification: {report.problems[0]}"
            )
        step("migrate.verified")
        if paths.folder.exists():
            moved = paths.trash(migration_id)
            os.rename(paths.folder, moved)
            step("migrate.old_moved_aside")
        os.rename(temp, paths.folder)
        published = True
        step("migrate.published")
        fsync_folder(paths.parent)
        step("migrate.parent_synced")
    except BaseException:
        if not published:
            shutil.rmtree(temp, ignore_errors=True)
            if moved is not None and not paths.folder.exists():
                os.rename(moved, paths.folder)
        raise
    action = "migrated" if reason is None else "rebuilt"
    size = sidecar_size(paths.folder, manifest)
    ledger.append(
        "migrate" if reason is None else "rebuild",
        migration_id=migration_id,
        generation=0,
        source_size=len(data),
        entries=manifest.entries,
        sidecar_bytes=size,
        detail=reason,
    )
    step("migrate.recorded")
    if moved is not None:
        shutil.rmtree(moved)
        fsync_folder(paths.parent)
        step("migrate.old_removed")
    return MigrationResult(
        action=action,
        session=str(paths.session),
        sidecar=str(paths.folder),
        migration_id=migration_id,
        generation=0,
        entries=manifest.entries,
        covered=len(data),
        new_bytes=len(data),
        sidecar_bytes=size,
        reason=reason,
    )


def migrate_dry_run(
    path: str | os.PathLike[str],
    *,
    work_dir: str | os.PathLike[str] | None = None,
    level: int = ZSTD_LEVEL,
    frame_size: int = FRAME_SIZE,
    segment_size: int = SEGMENT_SIZE,
    progress: Progress | None = None,
) -> DryRunReport:
    """Plan, write and verify a sidecar in a throw-away folder, and report what it would be.

    Nothing is written beside the session (no sidecar, no ledger); the throw-away folder is
    made in ``work_dir`` (default: the system's temporary folder) and removed.

    Raises:
        SessionNotFoundError: The session file does not exist.
        FormatError: The file is not a session (empty, binary, no header line).
    """
    session = Path(path)
    try:
        data = session.read_bytes()
    except FileNotFoundError:
        raise SessionNotFoundError(f"{session}: no such session file") from None
    require_header(session, data[:_HEADER_LIMIT])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sesslog-dry-run-", dir=work_dir) as scratch:
        folder = Path(scratch) / "sidecar"
        manifest = create_v2_sidecar_from_jsonl(
            session,
            folder,
            source=data,
            level=level,
            frame_size=frame_size,
            segment_size=segment_size,
            progress=progress,
        )
        report = verify_v2_against_jsonl(session, folder=folder, source=data)
        index_bytes = sum(entry.size for entry in manifest.index)
        segment_bytes = sum(entry.size for entry in manifest.segments)
        total = sidecar_size(folder, manifest)
        with Sidecar(folder, manifest) as sidecar:
            stored = sidecar.facts(whole=True)
    return DryRunReport(
        session=str(session),
        action=_planned_action(session),
        mode=stored.mode,
        entries=manifest.entries,
        lines=stored.lines,
        frames=manifest.frames,
        segments=len(manifest.segments),
        jsonl_bytes=len(data),
        sidecar_bytes=total,
        segment_bytes=segment_bytes,
        index_bytes=index_bytes,
        ratio=total / len(data) if data else 0.0,
        verified=report.ok,
        problems=[str(p) for p in report.problems],
        warnings=_warnings(stored),
        seconds=time.perf_counter() - started,
    )


#: Bytes of a file's start that must hold its header line.
_HEADER_LIMIT = 1 << 20


def require_header(session: Path, start: bytes | None = None) -> None:
    """Refuse a file that is not a session, as ``upgrade`` and ``append`` do: one in whose first
    lines the reader finds no session header (an empty or binary file, a file whose header was
    lost).

    Args:
        session: The session file.
        start: Its first bytes, when already read (default: read here).

    Raises:
        FormatError: Not a session file.
    """
    if start is None:
        with open(session, "rb") as handle:
            start = handle.read(_HEADER_LIMIT)
    cut = start.rfind(b"\n")
    lines = start[: cut + 1] if cut >= 0 else start
    if read_bytes(lines, ReadMode.TOLERANT, path=str(session)).header is None:
        what = "empty file" if not start else "no session header on line 1"
        raise FormatError(f"not a session file ({what}); nothing to migrate", path=str(session))


def _planned_action(session: Path) -> str:
    state = migration_status(session, thorough=False)
    if state.changed_in_place:
        return "rebuild"
    return {
        StateKind.UNMIGRATED: "migrate",
        StateKind.PARTIAL: "migrate",
        StateKind.MIGRATED: "nothing",
        StateKind.STALE: "catch_up",
        StateKind.CORRUPT: "rebuild",
    }[state.kind]


def _warnings(facts: Facts) -> list[str]:
    out = []
    if facts.mode != "direct":
        out.append(
            f"format version {facts.file_version}: opened by re-reading the rebuilt bytes "
            "(no faster than the file)"
        )
    for diag in [*facts.reader_diagnostics, *facts.tree_diagnostics]:
        kept = " (kept verbatim, not an entry)" if diag.reason in DROPPING_REASONS else ""
        out.append(f"{diag}{kept}")
    return out
