"""Import Claude Code, Codex CLI and pi sessions into a session store: :func:`import_paths`.

>>> import tempfile, pathlib
>>> from sesslog.interop.importer import import_paths
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> source = folder / "chat.jsonl"
>>> _ = source.write_text(
...     '{"type":"user","uuid":"u1","parentUuid":null,"sessionId":"s1","cwd":"/w",'
...     '"timestamp":"2026-01-05T10:00:00.000Z","message":{"role":"user","content":"Hi"}}\\n'
... )
>>> report = import_paths([source], folder / "sessions")
>>> report.files[0].status, report.files[0].entries_added
('imported', 1)
>>> import_paths([source], folder / "sessions").files[0].status
'unchanged'
>>> from sesslog.store import SessionStore
>>> with SessionStore(folder / "sessions") as store:
...     [info.id for info in store.list()]
['s1']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sesslog.errors import SesslogError
from sesslog.format.diagnostics import Diagnostic, Reason
from sesslog.interop.detect import SourceFormat, detect_bytes
from sesslog.interop.plan import PlannedSession
from sesslog.interop.report import FileReport, FileStatus, ImportedSession, ImportReport
from sesslog.interop.target import ExistingSession, ImportTarget
from sesslog.store import SessionStore

__all__ = ["Progress", "collect_files", "import_file", "import_paths"]

#: Called with ``(bytes done, bytes in total)`` after each file.
Progress = Callable[[int, int], None]


def collect_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The files to import: each file given, and every ``*.jsonl`` under each folder given.

    Within a folder, files are taken in path order, with subagent transcripts (under a
    ``subagents`` folder, or named ``agent-*.jsonl``) after the others, so that a subagent's
    session can name its main session.

    Raises:
        FileNotFoundError: A path does not exist.
    """
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = [p for p in path.rglob("*.jsonl") if p.is_file()]
            found.sort(key=lambda p: (_is_subagent(p), str(p)))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(2, "no such file or folder", str(path))
    return files


def _is_subagent(path: Path) -> bool:
    return "subagents" in path.parts or path.name.startswith("agent-")


def import_paths(
    paths: Iterable[str | os.PathLike[str]],
    store: SessionStore | str | os.PathLike[str],
    *,
    source: str = "auto",
    progress: Progress | None = None,
) -> ImportReport:
    """Import session files (and folders of them) into a session store.

    Importing is idempotent: a source imported again adds nothing, and a longer version of a
    source adds only its new records. The new sessions are placed by the store (its layout and
    id rule) and its catalog reads them on its next refresh, which every store operation does
    first: they are listed and searchable at once.

    Args:
        paths: Files, or folders searched recursively for ``*.jsonl``.
        store: The store (in a folder), or its folder (opened here without its catalog, which
            the import does not read, and closed).
        source: ``auto`` (detect each file's format), ``claude``, ``codex`` or ``pi``.
        progress: Called with bytes done and bytes in total after each file.

    Returns:
        What was done, per file.

    Raises:
        FileNotFoundError: A path does not exist (nothing is imported).
        ValueError: ``source`` is not a known format, or the store lives in memory.
        StoreRootError: ``store`` names something that is not a folder.
        OSError, SesslogError: A new session could not be written (its folder in the store is
            a symbolic link, the disk is full...): raised when the import ends, the other
            sessions written.
    """
    forced = None if source == "auto" else SourceFormat(source)
    files = collect_files(paths)
    if isinstance(store, SessionStore):
        return _import_files(files, store, forced, progress)
    # The import reads no catalog: a store opened here does without one (the next store
    # operation that lists or searches brings the catalog up to date).
    with SessionStore(Path(store), catalog=False) as opened:
        return _import_files(files, opened, forced, progress)


def _import_files(
    files: list[Path],
    store: SessionStore,
    forced: SourceFormat | None,
    progress: Progress | None,
) -> ImportReport:
    sizes = [_size(file) for file in files]
    total = sum(sizes)
    report = ImportReport(root=str(store.root))
    done = 0
    with ImportTarget(store) as target:
        for file, size in zip(files, sizes, strict=True):
            report.add(import_file(file, target, forced), size)
            done += size
            if progress is not None:
                progress(done, total)
    return report


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def import_file(path: Path, target: ImportTarget, forced: SourceFormat | None) -> FileReport:
    """Import one file; errors are reported in the result, not raised."""
    try:
        data = path.read_bytes()
        if not data.strip(b"\x00 \t\r\n"):
            return FileReport(path=str(path), format=None, status=FileStatus.EMPTY.value)
        fmt = forced or detect_bytes(data)
        if fmt is None:
            return FileReport(
                path=str(path),
                format=None,
                status=FileStatus.SKIPPED.value,
                error="not a Claude Code, Codex or pi session file",
            )
        if fmt is SourceFormat.PI:
            from sesslog.interop.pi import import_pi

            return import_pi(path, data, target)
        return _import_converted(path, data, fmt, target)
    except (OSError, SesslogError, ValueError) as exc:
        return FileReport(
            path=str(path),
            format=forced.value if forced else None,
            status=FileStatus.FAILED.value,
            error=f"{type(exc).__name__}: {exc}",
        )


def _import_converted(
    path: Path, data: bytes, fmt: SourceFormat, target: ImportTarget
) -> FileReport:
    if fmt is SourceFormat.CLAUDE:
        from sesslog.interop.claude import convert_claude

        converted: Any = convert_claude(path, data, target)
    else:
        from sesslog.interop.codex import convert_codex

        converted = convert_codex(path, data, target)
    result = FileReport(
        path=str(path),
        format=fmt.value,
        version=converted.version,
        records=converted.records,
        damage=converted.damage,
    )
    created = updated = False
    for plan in converted.sessions:
        existing = converted.existing.get(plan.session_id)
        entries = _checked(plan, existing, result.damage)
        custom = sum(1 for e in entries if e["id"] in plan.custom_ids)
        if existing is None:
            if not entries:
                continue
            written = target.create(plan.header, entries)
            created = True
        else:
            written = existing.key
            if entries:
                target.append(written, entries)
                updated = True
        result.sessions.append(
            ImportedSession(
                id=plan.session_id,
                path=target.path_of(written),
                created=existing is None,
                entries_added=len(entries),
                custom_added=custom,
            )
        )
        result.entries_added += len(entries)
        result.custom_added += custom
    if updated:
        result.status = FileStatus.UPDATED.value
    elif created:
        result.status = FileStatus.IMPORTED.value
    return result


def _checked(
    plan: PlannedSession, existing: ExistingSession | None, damage: list[Diagnostic]
) -> list[dict[str, Any]]:
    """The planned entries that are new, each with a parent the session will hold."""
    known = set(existing.ids) if existing is not None else set()
    out = []
    for entry in plan.entries:
        entry_id = entry["id"]
        if entry_id in known:
            continue
        parent = entry["parentId"]
        if parent is not None and parent not in known:
            detail = f"entry {entry_id}: parent {parent} is not in the session; written as a root"
            damage.append(Diagnostic(0, -1, Reason.ORPHANED_PARENT.value, detail))
            entry["parentId"] = None
        known.add(entry_id)
        out.append(entry)
    return out
