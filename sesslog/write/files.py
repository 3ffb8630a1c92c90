"""Upgrading a legacy session file (v1, v2) to version 3, keeping the original."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec

from sesslog.backends.fs import atomic_write_bytes
from sesslog.errors import FormatError, ReadOnlySessionError
from sesslog.format.codec import encode_line
from sesslog.format.entries import SESSION_VERSION
from sesslog.format.reader import ReadMode, read_file

__all__ = ["UpgradeResult", "upgrade_file"]


class UpgradeResult(msgspec.Struct, frozen=True):
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
) -> UpgradeResult:
    """Write an upgraded (version 3) copy of a legacy session, keeping the original.

    Without ``output`` the file is replaced in place, atomically, after its original bytes are
    saved as ``<file>.v<N>.bak``; with ``output`` the copy goes there and the original is not
    touched.

    Raises:
        ReadOnlySessionError: The file has no header or a newer version than sesslog knows.
        FormatError: The backup name is taken, or (strict) the file is damaged.
    """
    source = Path(path)
    data = read_file(source, mode)
    if mode is ReadMode.STRICT and data.diagnostics.diagnostics:
        first = data.diagnostics.diagnostics[0]
        raise FormatError(first.detail, path=str(source), line=first.line, offset=first.offset)
    if data.header is None or data.diagnostics.read_only:
        raise ReadOnlySessionError(f"{source}: cannot upgrade (no header or unknown version)")
    if data.file_version >= SESSION_VERSION and output is None:
        return UpgradeResult(
            str(source), None, data.file_version, data.file_version, len(data.records), False
        )
    body = encode_line(data.header) + b"".join(rec.raw + b"\n" for rec in data.records)
    backup: Path | None = None
    if output is None:
        backup = source.with_name(f"{source.name}.v{data.file_version}.bak")
        if backup.exists():
            raise FormatError(
                f"backup {backup} already exists; move it away first", path=str(source)
            )
        shutil.copy2(source, backup)
        target = source
    else:
        target = Path(output)
    atomic_write_bytes(target, body)
    return UpgradeResult(
        str(target),
        str(backup) if backup else None,
        data.file_version,
        SESSION_VERSION,
        len(data.records),
        True,
    )
