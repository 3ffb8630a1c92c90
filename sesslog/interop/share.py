"""Share a session as one file (a bundle) and import a bundle as a new session.

:func:`share_file` makes a bundle of a session file: its bytes as they are (every branch), or
with ``show_history=False`` only the header and the path to one entry, each line copied byte
for byte. :func:`unshare` checks a bundle and writes its session into a session store
(:meth:`~sesslog.store.SessionStore.write_session`: the store's layout and id rule), then
appends one ``custom`` entry (``customType`` ``"sesslog.unshare"``) saying where it came from;
the shared bytes stay a byte-for-byte prefix of the new file.

Nothing in a bundle is trusted: the session id that names the new file must follow the id
rule (:func:`~sesslog.format.ids.check_id`), its timestamp must be an ISO time, the folder made
of its working directory must be a safe name, and the file is written only inside the store,
never through a symlink.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any

import msgspec

from sesslog.backends.layout import folder_for_cwd
from sesslog.errors import UnsafeSessionFileError
from sesslog.format.ids import check_id
from sesslog.format.reader import read_bytes
from sesslog.format.timestamps import ms_to_iso, now_ms
from sesslog.interop.bundle_format import (
    BundleError,
    BundleHeader,
    BundleRefusedError,
    OpenedBundle,
    UnsafeBundleError,
    read_bundle,
    write_bundle,
)
from sesslog.session import Session
from sesslog.store import SessionStore
from sesslog.store.backend import key_for
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
    store: SessionStore | str | os.PathLike[str],
    *,
    password: str | None = None,
    source: str | None = None,
    now: int | None = None,
) -> UnshareResult:
    """Import a bundle as a new session of a session store (its layout and id rule place it;
    ``ls`` and ``search`` find it at once).

    Args:
        blob: The bundle's bytes (binary form).
        store: The store, or its folder (opened and closed here).
        password: The password of an encrypted bundle.
        source: Where the bundle came from (a file name), recorded in the provenance entry.
        now: The time to check the expiry against, Unix milliseconds (default: now).

    Raises:
        BundleCorruptError, BundlePasswordError, BundleExpiredError: See
            :func:`~sesslog.interop.bundle_format.read_bundle`.
        BundleRefusedError: The bundle does not allow importing (``allowFork`` is off).
        InvalidIdError: The session id, or the folder its working directory makes, would not
            make a safe path (the id rule).
        UnsafeBundleError: The timestamp or working directory is not usable, or the session's
            folder in the store is a symbolic link.
        FileExistsError: The session is already in the store.
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
    names = _checked_names(data.header)
    warnings = [str(diag) for diag in data.diagnostics.diagnostics]
    if isinstance(store, SessionStore):
        return _add_to_store(store, opened, names, source, now, warnings)
    with SessionStore(Path(store)) as own:
        return _add_to_store(own, opened, names, source, now, warnings)


def _add_to_store(
    store: SessionStore,
    opened: OpenedBundle,
    names: tuple[str, str, str],
    source: str | None,
    now: int | None,
    warnings: list[str],
) -> UnshareResult:
    """Write the bundle's session into the store, then record where it came from."""
    cwd, session_id, timestamp = names
    try:
        key = store.write_session(opened.jsonl, cwd=cwd, session_id=session_id, timestamp=timestamp)
    except UnsafeSessionFileError as exc:
        raise UnsafeBundleError(str(exc)) from None
    except FileExistsError:
        where = store.files.describe(key_for(cwd, timestamp, session_id))
        raise FileExistsError(errno.EEXIST, "this session is already in the store", where) from None
    session = store.open(key)
    try:
        provenance_id = _record_provenance(session, opened, source, now, warnings)
    finally:
        session.close()
    header = opened.header
    return UnshareResult(
        store.files.describe(key), session_id, header.entries, provenance_id, header, warnings
    )


def _record_provenance(
    session: Session, opened: OpenedBundle, source: str | None, now: int | None, warnings: list[str]
) -> str | None:
    """Append the ``sesslog.unshare`` entry; its id (``None`` when the session is read-only)."""
    if session.read_only:
        warnings.append(f"where it came from is not recorded: {session.read_only_reason}")
        return None
    header = opened.header
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
    return str(record.id)


def _checked_names(session_header: dict[str, Any]) -> tuple[str, str, str]:
    """The working directory, id and timestamp that place the session, each checked: the id
    and the folder by the id rule, the timestamp as an ISO 8601 UTC time."""
    session_id = check_id(session_header.get("id"))
    cwd = session_header.get("cwd")
    timestamp = session_header.get("timestamp")
    if not isinstance(timestamp, str) or not _TIMESTAMP.fullmatch(timestamp):
        raise UnsafeBundleError(f"session timestamp {timestamp!r} is not an ISO 8601 UTC time")
    if not isinstance(cwd, str):
        raise UnsafeBundleError(f"session working directory {cwd!r} is not a string")
    folder_for_cwd(cwd)  # InvalidIdError: a control character, too long
    return cwd, session_id, timestamp
