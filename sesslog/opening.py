"""How the facade finds a session's log and reads it: backends and keys, scopes, store kinds,
reading a log, and new headers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import UNSET

from sesslog.backends.layout import default_sessions_root, session_path
from sesslog.backends.local import LocalFolder
from sesslog.backends.protocol import LogBackend
from sesslog.errors import SessionNotFoundError
from sesslog.format import entries as E
from sesslog.format.ids import check_id, new_session_id
from sesslog.format.reader import ReadMode, SessionData, read_bytes
from sesslog.format.timestamps import ms_to_iso
from sesslog.projections.protocol import Loaded, OpenScope, SessionStoreKind

if TYPE_CHECKING:
    from sesslog.format.lines import FileBytes

__all__ = [
    "layout_key",
    "locate",
    "new_header",
    "read_log",
    "read_only_reason",
    "scope_of",
    "store_kind_of",
]


def locate(path: str | os.PathLike[str], backend: LogBackend | None) -> tuple[LogBackend, str]:
    """The backend and key of ``path``: a key of ``backend``, or a local file."""
    if backend is not None:
        return backend, os.fspath(path)
    file = Path(path)
    if file.name in ("", ".", ".."):
        file = Path(os.path.abspath(file))  # a folder given as a session: say so on reading
    return LocalFolder.for_file(file)


def store_kind_of(name: SessionStoreKind | str) -> SessionStoreKind | str:
    """The member of :class:`SessionStoreKind` named ``name``, or the name itself for a
    backend or projection sesslog does not list."""
    try:
        return SessionStoreKind(name)
    except ValueError:
        return name


def scope_of(scope: OpenScope | str) -> OpenScope:
    """An :class:`OpenScope`, parsed from its text when given as one."""
    return scope if isinstance(scope, OpenScope) else OpenScope.parse(scope)


def read_log(backend: LogBackend, key: str, mode: ReadMode, *, mapped: bool = False) -> Loaded:
    """Read the session from its log (the in-progress tail of a live writer is no damage).

    Args:
        backend: The log's backend.
        key: The log's key.
        mode: How to treat damage.
        mapped: Read a large local file through a read-only mapping when it allows one
            (:meth:`~sesslog.backends.local.LocalFolder.map`).

    Raises:
        SessionNotFoundError: No such log.
    """
    try:
        raw: FileBytes | None = None
        if mapped and isinstance(backend, LocalFolder):
            raw = backend.map(key)
        if raw is None:
            raw = backend.read(key)
        # Whether a writer holds the lease matters only for a last line without its ending
        # (in progress, or torn): only then is it asked (a lock probe reads the system's table).
        writing = bool(raw) and raw[-1] != 0x0A and backend.active_writer(key) is not None
        data = read_bytes(raw, mode, path=backend.describe(key), tail_in_progress=writing)
    except FileNotFoundError as exc:
        raise SessionNotFoundError(f"{backend.describe(key)}: no such session file") from exc
    return Loaded(data, backend.kind)


def new_header(
    cwd: str, session_id: str | None, parent: str | None, clock: Callable[[], int]
) -> E.SessionHeader:
    """The header of a new session (a new UUIDv7 id unless one is given).

    Raises:
        InvalidIdError: ``session_id`` breaks the id rule (:mod:`sesslog.format.ids`).
    """
    return E.SessionHeader(
        version=E.SESSION_VERSION,
        id=new_session_id() if session_id is None else check_id(session_id),
        timestamp=ms_to_iso(clock()),
        cwd=cwd,
        parent_session=parent if parent is not None else UNSET,
    )


def layout_key(header: E.SessionHeader) -> str:
    """The key of a new session in pi's layout: ``<cwd folder>/<time>_<id>.jsonl``."""
    fields = (header.cwd, header.timestamp, header.id)
    return session_path(".", *fields).as_posix()  # type: ignore[arg-type]


def read_only_reason(data: SessionData, read_only: bool | str) -> str | None:
    """Why a session read as ``data`` refuses appends (``read_only`` may be the reason)."""
    if read_only:
        return read_only if isinstance(read_only, str) else "opened read-only"
    if data.diagnostics.read_only:
        return "the file has no header or a newer format version"
    if data.file_version < E.SESSION_VERSION:
        return f"format version {data.file_version}; run 'sesslog upgrade' first"
    return None


def new_file(
    header: E.SessionHeader,
    path: str | os.PathLike[str] | None,
    root: str | os.PathLike[str] | None,
    beside: Path | None = None,
) -> Path:
    """Where a new session file goes: ``path``; else, without ``root``, beside the file
    ``beside`` under pi's file name; else pi's layout under ``root`` (default: pi's root)."""
    if path is not None:
        return Path(path)
    if root is None and beside is not None:
        return beside.parent / Path(layout_key(header)).name
    base = Path(root) if root is not None else default_sessions_root()
    return base / layout_key(header)
