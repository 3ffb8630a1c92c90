"""The sessions root that imports write to: finding a session by id, reading what an earlier
import wrote, creating a session, and appending to one, all through the library.

This is the one place importers touch storage, so that a store can take it over. New sessions
are staged and made durable together (:mod:`sesslog.interop.staging`) when the root is closed,
or before one of them is looked up again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec

from sesslog._closing import Closing
from sesslog.backends.layout import session_path
from sesslog.backends.local_writer import SessionWriter
from sesslog.format.codec import encode_line
from sesslog.format.reader import ReadMode
from sesslog.interop.entries import encode_entry
from sesslog.interop.staging import StagedFiles
from sesslog.session import Session

__all__ = ["ExistingSession", "SessionsRoot"]


class _Provenance(msgspec.Struct):
    source_records: list[msgspec.Raw] = msgspec.field(default_factory=list, name="sourceRecords")


_PROVENANCE = msgspec.json.Decoder(_Provenance)
_MARK = b'"sourceRecords"'


class ExistingSession:
    """What an earlier import left in a session: its entry ids and the source records taken.

    Attributes:
        path: The session file.
        ids: Every entry id.
        keys: Keys of the source records held in ``sourceRecords`` fields.
        leaf_id: The session's leaf.
    """

    __slots__ = ("ids", "keys", "leaf_id", "path")

    def __init__(self, path: Path, ids: set[str], keys: set[str], leaf_id: str | None) -> None:
        self.path = path
        self.ids = ids
        self.keys = keys
        self.leaf_id = leaf_id

    def covers(self, key: str) -> bool:
        """True when the record with this key was imported before."""
        return key in self.ids or key in self.keys


class SessionsRoot(Closing):
    """A sessions root in pi's folder layout.

    Args:
        root: The folder (created on the first write).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._index: dict[str, Path] | None = None
        self._staged = StagedFiles()

    def _ids(self) -> dict[str, Path]:
        if self._index is None:
            index: dict[str, Path] = {}
            if self.root.is_dir():
                for folder in self.root.iterdir():
                    if folder.is_dir():
                        for file in folder.glob("*_*.jsonl"):
                            index.setdefault(file.name.split("_", 1)[1][: -len(".jsonl")], file)
            self._index = index
        return self._index

    def find(self, session_id: str) -> Path | None:
        """The file of the session with this id, if the root holds one."""
        found = self._ids().get(session_id)
        if found is not None and found in self._staged:
            self._staged.commit()
        return found if found is not None and found.exists() else None

    def path_for(self, header: dict[str, Any]) -> Path:
        """Where a new session with this header goes."""
        return session_path(self.root, header["cwd"], header["timestamp"], header["id"])

    def load(self, path: Path, key_of: Callable[[bytes], str]) -> ExistingSession:
        """Read a session an earlier import wrote.

        Args:
            path: The session file.
            key_of: The key of a source record, from its bytes.
        """
        session = Session.open(path, mode=ReadMode.SALVAGE, read_only=True)
        ids: set[str] = set()
        keys: set[str] = set()
        for rec in session.tree:
            ids.add(rec.id)
            if _MARK in rec.raw:
                try:
                    held = _PROVENANCE.decode(rec.raw).source_records
                except (msgspec.DecodeError, UnicodeDecodeError):
                    continue
                keys.update(key_of(bytes(raw)) for raw in held)
        return ExistingSession(path, ids, keys, session.leaf_id)

    def create(self, header: dict[str, Any], entries: Iterable[dict[str, Any]]) -> Path:
        """Write a new session holding ``entries`` (whole and durable once committed).

        Raises:
            FileExistsError: The file is already there.
        """
        lines = [encode_line(header)[:-1]]
        lines.extend(encode_entry(e) for e in entries)
        lines.append(b"")
        return self.create_raw(header, b"\n".join(lines))

    def create_raw(self, header: dict[str, Any], data: bytes) -> Path:
        """Write a new session file holding ``data`` as it is (whole and durable once
        committed); ``header`` is its first line, decoded.

        Raises:
            FileExistsError: The file is already there.
        """
        target = self.path_for(header)
        self._staged.add(target, data)
        self._ids()[header["id"]] = target
        return target

    def commit(self) -> None:
        """Make every session created so far durable and visible."""
        self._staged.commit()

    def close(self) -> None:
        """Commit what waits."""
        self._staged.close()

    @staticmethod
    def append_lines(path: Path, lines: list[bytes]) -> None:
        """Append lines byte for byte (each without its ending), synced, as one write.

        Raises:
            SessionLockedError: Another writer holds the session.
        """
        with SessionWriter(path) as writer:
            writer.write_lines(b"\n".join(lines), sync=True)

    @classmethod
    def append(cls, path: Path, entries: Iterable[dict[str, Any]]) -> None:
        """Append entries to a session, each with the parent it names (the caller checks
        that the parents are there and the ids are not), synced, as one write.

        Raises:
            SessionLockedError: Another writer holds the session.
        """
        cls.append_lines(path, [encode_entry(e) for e in entries])
