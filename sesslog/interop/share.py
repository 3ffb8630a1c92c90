"""Share a session as one file (a bundle) and import a bundle as a new session.

:func:`share_file` makes a bundle of a session file: its bytes as they are (every branch), or
with ``show_history=False`` only the header and the path to one entry, each line copied byte
for byte. :func:`unshare` checks a bundle and writes its session into a sessions root in pi's
layout, then appends one ``custom`` entry (``customType`` ``"sesslog.unshare"``) saying where
it came from; the shared bytes stay a byte-for-byte prefix of the new file.

Nothing in a bundle is trusted: the session id that names the new file must follow the id
rule (:func:`~sesslog.format.ids.check_id`), its timestamp must be an ISO time, the folder made
of its working directory must be a safe name, and the file is written only inside the root,
never through a symlink.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any

import msgspec

from sesslog.backends.fs import ensure_folder
from sesslog.backends.layout import folder_for_cwd, session_file_name
from sesslog.backends.local import LocalFolder
from sesslog.format.ids import check_id
from sesslog.format.reader import read_bytes
from sesslog.format.timestamps import ms_to_iso, now_ms
from sesslog.interop.bundle_format import (
    BundleError,
    BundleHeader,
    BundleRefusedError,
    UnsafeBundleError,
    read_bundle,
    write_bundle,
)
from sesslog.session import Session
from sesslog.tree.text import message_text

__all__ = [
    "UNSHARE_CUSTOM_TYPE",
    "UnshareResult",
    "share_file",
    "unshare",
]

#: ``customType`` of the entry that records where an unshared session came from.
UNSHARE_CUSTOM_TYPE = "sesslog.unshare"

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z")


def share_file(
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    tags: list[str] | tuple[str, ...] = (),
    expires: str | None = None,
    allow_fork: bool = True,
    show_history: bool = True,
    leaf_id: str | None = None,
    password: str | None = None,
    kdf_cost: dict[str, Any] | None = None,
) -> bytes:
    """Make a bundle of a session file.

    Args:
        path: The session file.
        title: A title (default: the session's name, else its first user message, else its id).
        tags: Free tags.
        expires: ISO 8601 time after which the bundle is refused.
        allow_fork: Let the receiver import the session as their own.
        show_history: Share every branch (the file as it is); ``False`` shares the header and
            the path to ``leaf_id`` (default: the leaf).
        leaf_id: The last entry shared without history.
        password: Encrypt the bundle with this password.
        kdf_cost: Key derivation cost (tests use cheap ones).

    Raises:
        FileNotFoundError: No such file.
        BundleError: The file is not a session (no header line).
        EntryNotFoundError: ``leaf_id`` is not in the session.
    """
    data = Path(path).read_bytes()
    read = read_bytes(data, path=str(path))
    if read.header is None:
        raise BundleError(f"{path}: not a session file (its first line is no session header)")
    session = Session.from_data(read, path=Path(path), read_only=True)
    if show_history:
        content = data
        entries = len(session.tree)
    else:
        records = session.path_to(leaf_id)
        content = session.header_raw + b"\n" + b"".join(rec.line_bytes for rec in records)
        entries = len(records)
    return write_bundle(
        content,
        title=title or _default_title(session),
        entries=entries,
        tags=tags,
        expires=expires,
        allow_fork=allow_fork,
        show_history=show_history,
        password=password,
        kdf_cost=kdf_cost,
    )


def _default_title(session: Session) -> str:
    if session.name:
        return session.name
    for rec in session.tree:
        head = rec.message
        if head is not None and head.role == "user":
            text = " ".join(message_text(rec.decode()["message"].get("content")).split())
            if text:
                return text[:80]
    return f"Session {session.id}"


class UnshareResult(msgspec.Struct, frozen=True):
    """What :func:`unshare` did.

    Attributes:
        path: The new session file.
        session_id: Its id.
        entries: Entries in the shared session.
        provenance_id: Id of the appended ``sesslog.unshare`` entry, or ``None`` when the
            session could not take one (a read-only, legacy or damaged file).
        header: The bundle's header.
        warnings: What the reader reported of the shared session, and why provenance was not
            recorded, if it was not.
    """

    path: str
    session_id: str
    entries: int
    provenance_id: str | None
    header: BundleHeader
    warnings: list[str]


def unshare(
    blob: bytes,
    root: str | os.PathLike[str],
    *,
    password: str | None = None,
    source: str | None = None,
    now: int | None = None,
) -> UnshareResult:
    """Import a bundle as a new session under ``root`` (pi's folder layout).

    Args:
        blob: The bundle's bytes (binary form).
        root: The sessions root.
        password: The password of an encrypted bundle.
        source: Where the bundle came from (a file name), recorded in the provenance entry.
        now: The time to check the expiry against, Unix milliseconds (default: now).

    Raises:
        BundleCorruptError, BundlePasswordError, BundleExpiredError: See
            :func:`~sesslog.interop.bundle_format.read_bundle`.
        BundleRefusedError: The bundle does not allow importing (``allowFork`` is off).
        InvalidIdError: The session id, or the folder its working directory makes, would not
            make a safe path (the id rule).
        UnsafeBundleError: The timestamp or working directory is not usable.
        FileExistsError: The session is already in the root.
    """
    opened = read_bundle(blob, password=password, now=now)
    header = opened.header
    if not header.allow_fork:
        raise BundleRefusedError(
            "the bundle does not allow importing its session (allow-fork is off); "
            "it can still be viewed: sesslog export BUNDLE --format html"
        )
    data = read_bytes(opened.jsonl)
    if data.header is None:
        raise BundleError("the bundle holds no session header; nothing imported")
    target = _target(Path(root), data.header)
    _write_new(target, opened.jsonl)
    warnings = [str(diag) for diag in data.diagnostics.diagnostics]
    session = Session.open(target)
    provenance_id = None
    if session.read_only:
        warnings.append(f"where it came from is not recorded: {session.read_only_reason}")
    else:
        record = session.append_custom(
            UNSHARE_CUSTOM_TYPE,
            {
                "source": "bundle",
                "file": source,
                "bundleSha256": opened.digest,
                "title": header.title,
                "tags": header.tags,
                "created": header.created,
                "expires": header.expires,
                "showHistory": header.show_history,
                "encrypted": header.encrypted,
                "sharedBytes": len(opened.jsonl),
                "importedAt": ms_to_iso(now if now is not None else now_ms()),
            },
        )
        provenance_id = record.id
    session.close()
    return UnshareResult(
        str(target), str(data.header["id"]), header.entries, provenance_id, header, warnings
    )


def _target(root: Path, session_header: dict[str, Any]) -> Path:
    """The new file's path under ``root``, after checking every name taken from the bundle."""
    session_id = check_id(session_header.get("id"))
    cwd = session_header.get("cwd")
    timestamp = session_header.get("timestamp")
    if not isinstance(timestamp, str) or not _TIMESTAMP.fullmatch(timestamp):
        raise UnsafeBundleError(f"session timestamp {timestamp!r} is not an ISO 8601 UTC time")
    if not isinstance(cwd, str):
        raise UnsafeBundleError(f"session working directory {cwd!r} is not a string")
    folder_name = folder_for_cwd(cwd)  # InvalidIdError: a control character, too long
    base = ensure_folder(root).resolve()
    folder = base / folder_name
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise UnsafeBundleError(f"{folder} is a symlink or not a folder; nothing written")
    ensure_folder(folder)
    if folder.resolve().parent != base:
        raise UnsafeBundleError(f"{folder} leads outside {base}; nothing written")
    return folder / session_file_name(timestamp, session_id)


def _write_new(target: Path, data: bytes) -> None:
    """Create ``target`` holding ``data`` (born complete, never over another file)."""
    backend, key = LocalFolder.for_file(target)
    try:
        backend.create(key, data).close()
    except FileExistsError:
        raise FileExistsError(
            errno.EEXIST, "this session is already in the root", str(target)
        ) from None
