"""Immutable snapshots of a session, to export or render while appends go on."""

from __future__ import annotations

from typing import Any

import msgspec

from sesslog.format.codec import decode_object
from sesslog.format.records import Record
from sesslog.tree.index import SessionTree

__all__ = ["SessionSnapshot"]


class SessionSnapshot(msgspec.Struct, frozen=True):
    """An immutable copy of a session at one moment, to export or render while appends go on.

    Attributes:
        path: The session file, or ``None`` for an in-memory session.
        header_raw: The header line's bytes (without line ending).
        entries: Every entry in file order at the moment of the snapshot.
    """

    path: str | None
    header_raw: bytes
    entries: tuple[Record, ...]

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def leaf_id(self) -> str | None:
        """The leaf at the moment of the snapshot."""
        return self.entries[-1].id if self.entries else None

    def header(self) -> dict[str, Any]:
        """The header as a JSON object."""
        value = decode_object(self.header_raw)
        return value if isinstance(value, dict) else {}

    def tree(self) -> SessionTree:
        """A tree index of the snapshot's entries (built on each call)."""
        return SessionTree(self.entries)

    def export_jsonl(self) -> bytes:
        """The snapshot as JSONL bytes: header and every entry, each line as stored."""
        return b"".join([self.header_raw + b"\n", *(rec.line_bytes for rec in self.entries)])
