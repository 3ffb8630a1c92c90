"""Upgrading a legacy session file (v1, v2) to version 3, keeping the original."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import msgspec

from sesslog.backends.fs import atomic_write_bytes
from sesslog.backends.local import LocalFolder
from sesslog.errors import FormatError, ReadOnlySessionError
from sesslog.format.codec import encode_line
from sesslog.format.entries import SESSION_VERSION
from sesslog.format.reader import ReadMode, SessionData, read_file

__all__ = ["UpgradeResult", "upgrade_file"]


class UpgradeResult(msgspec.Struct, frozen=True, rename="camel"):
    """What :func:`upgrade_file` did.

    Attributes:
        path: The upgraded file.
        backup: Where the original was kept (``None`` when the copy went elsewhere).
        from_version: The version the file had.
        to_version: The version written.
        entries: Entries written.
        changed: False when the file was already current (nothing written).
    """

    path: str
    backup: str | None
    from_version: int
    to_version: int
    entries: int
    changed: bool


def upgrade_file(
    path: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    mode: ReadMode = ReadMode.TOLERANT,
    force: bool = False,
    lock_wait: float | None = None,
) -> UpgradeResult:
    """Write an upgraded (version 3) copy of a legacy session, keeping the original.

    Without ``output`` the file is replaced in place, atomically, under the session's writer
    lock (so no writer appends meanwhile), after its original bytes are saved as
    ``<file>.v<N>.bak``. With ``output`` the copy goes there, in a folder that must exist,
    and the original is not touched.

    Args:
        path: The session file.
        output: Where to write the copy instead (an existing file is replaced only with
            ``force``; never the session file itself).
        mode: How to read the file; ``strict`` refuses a damaged one.
        force: Replace an existing ``output``.
        lock_wait: In place, seconds to wait for a live writer's lock (``None``: refuse).

    Raises:
        FormatError: Not a session file (no header), or (strict) the file is damaged.
        ReadOnlySessionError: A newer version than sesslog knows.
        FileExistsError: ``output`` exists (without ``force``, or it is the session file), or
            the backup name is taken.
        FileNotFoundError: The folder of ``output`` does not exist.
        SessionLockedError: In place, a writer holds the session's lock.
    """
    source = Path(path)
    data = _readable(source, mode)
    if output is not None:
        target = Path(output)
        _check_output(source, target, force)
        body = _upgraded(data)
        if force:
            atomic_write_bytes(target, body)
        else:
            backend, key = LocalFolder.for_file(target)
            backend.create(key, body).close()  # born complete, never over another file
        return UpgradeResult(
            str(target), None, data.file_version, SESSION_VERSION, len(data.records), True
        )
    if data.file_version >= SESSION_VERSION:
        return UpgradeResult(
            str(source), None, data.file_version, data.file_version, len(data.records), False
        )
    backend, key = LocalFolder.for_file(source)
    with backend.lock(key, wait=lock_wait):
        data = _readable(source, mode)  # again, under the lock: nothing appends now
        backup = source.with_name(f"{source.name}.v{data.file_version}.bak")
        if backup.exists() or backup.is_symlink():
            raise FileExistsError(
                errno.EEXIST, "the backup name is taken; move that file away first", str(backup)
            )
        shutil.copy2(source, backup)
        atomic_write_bytes(source, _upgraded(data))
    return UpgradeResult(
        str(source),
        str(backup),
        data.file_version,
        SESSION_VERSION,
        len(data.records),
        True,
    )


def _readable(source: Path, mode: ReadMode) -> SessionData:
    """Read ``source`` and check that it can be upgraded."""
    data = read_file(source, mode)
    if mode is ReadMode.STRICT and data.diagnostics.diagnostics:
        first = data.diagnostics.diagnostics[0]
        raise FormatError(first.detail, path=str(source), line=first.line, offset=first.offset)
    if data.header is None:
        raise FormatError(
            "not a session file (no session header on line 1); nothing to upgrade",
            path=str(source),
        )
    if data.diagnostics.read_only:
        raise ReadOnlySessionError(
            f"{source}: cannot upgrade format version {data.file_version} "
            f"(newer than {SESSION_VERSION})"
        )
    return data


def _check_output(source: Path, target: Path, force: bool) -> None:
    if not target.parent.is_dir():
        raise FileNotFoundError(
            errno.ENOENT, "the folder to write into does not exist", str(target.parent)
        )
    if target.exists() and target.samefile(source):
        raise FileExistsError(
            errno.EEXIST,
            "is the session file itself (leave out the output to upgrade in place)",
            str(target),
        )
    if (target.exists() or target.is_symlink()) and not force:
        raise FileExistsError(errno.EEXIST, "exists; pass force to replace it", str(target))


def _upgraded(data: SessionData) -> bytes:
    assert data.header is not None
    return encode_line(data.header) + b"".join(rec.raw + b"\n" for rec in data.records)
