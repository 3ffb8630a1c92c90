"""One stored line of a session: its bytes, where it came from, and the fields the tree needs.

A :class:`Record` is what the reader yields for every entry. It keeps where the line's exact
bytes are (``raw``: for a file read, a slice of the file's bytes taken on demand, never a copy
per line) so that anything written back out is identical, plus the few envelope fields that
structural questions need (type, id, parent, timestamp, label and name fields, the message
role and model). The full typed entry is decoded only on demand with :meth:`Record.typed`, and
the plain JSON object with :meth:`Record.decode`.

**Internal fields never come from JSON.** A line is never decoded into a :class:`Record`:
JSON text is decoded into :class:`LineEnvelope`, which holds the public envelope fields and
nothing else, and the record is built from it (:func:`record_from_line`,
:func:`record_from_envelope`). Whatever keys a line holds (``"\ue000raw"``, ``"\ue000source"``,
``"raw"``, ...), they stay inside its bytes: ``raw``, ``line``, ``offset`` and ``source`` are set
by the reader alone.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sesslog.format.codec import TOO_DEEP, Undecodable, decode_typed, decode_value, json_kind
from sesslog.format.entries import Entry, LabelEntry, SessionHeader, SessionInfoEntry

__all__ = [
    "LineEnvelope",
    "MessageHead",
    "Record",
    "message_heads_of_lines",
    "parse_record",
    "record_from_entry",
    "record_from_envelope",
    "record_from_line",
]


class MessageHead(msgspec.Struct, rename="camel"):
    """The envelope of an entry's ``message``: enough to know its role and model."""

    role: Any = None
    provider: Any = None
    model: Any = None


class LineEnvelope(msgspec.Struct, rename="camel", gc=False):
    """What JSON text may set of a record: the public envelope fields, nothing else.

    Lines are decoded into this type, never into :class:`Record` (which extends it with what
    only the reader sets); see the module's note.
    """

    type: Any = None
    id: Any = None
    parent_id: Any = None
    timestamp: Any = None
    target_id: Any = None
    label: Any = None
    name: Any = None


class Record(LineEnvelope):
    """One entry line of a session file.

    Attributes:
        type: The entry's ``type``.
        id: The entry's id (a string for every entry the tree holds).
        parent_id: The parent's id, or ``None`` for a root.
        timestamp: The entry's ISO timestamp as written.
        target_id: ``targetId`` of a ``label`` entry.
        label: ``label`` of a ``label`` entry.
        name: ``name`` of a ``session_info`` entry.
        data: The bytes holding the line: the line itself (``end`` is -1), or, for records
            read from a file, the whole file's bytes (or its read-only mapping) shared by all
            its records, the line being ``data[start:end]`` (no record copies its line; see
            :attr:`raw`).
        start: Where the line's bytes start in ``data`` (when ``end`` is not -1).
        end: Where they end in ``data``, or -1 when ``data`` is the line.
        line: 1-based line number in the file (0 for entries not read from a file).
        offset: Byte offset of the line's start in the file (-1 when not read from a file);
            for records glued on one line, where each one starts. (A BOM or NUL padding before
            a record stands between its line's start and its bytes.)
        source: The line's bytes as found in the file, when they differ from :attr:`raw`
            (legacy lines that were upgraded in memory, glued records split apart).
    """

    # The envelope's fields come first (inherited); these are set by the reader only (lines
    # decode into LineEnvelope, never into Record); the names are those the V2 sidecar's
    # envelopes use (which never hold them: see sesslog.v2.index).
    data: bytes = msgspec.field(default=b"", name="\ue000raw")
    start: int = msgspec.field(default=0, name="\ue000start")
    end: int = msgspec.field(default=-1, name="\ue000end")
    line: int = msgspec.field(default=0, name="\ue000line")
    offset: int = msgspec.field(default=-1, name="\ue000offset")
    source: bytes | None = msgspec.field(default=None, name="\ue000source")

    @property
    def raw(self) -> bytes:
        """The line's bytes without the line ending (re-encoded for upgraded legacy lines);
        sliced from :attr:`data` on each call for a record read from a file."""
        end = self.end
        return self.data if end < 0 else self.data[self.start : end]

    @raw.setter
    def raw(self, value: bytes) -> None:
        self.data = value
        self.start = 0
        self.end = -1

    def _key(self) -> tuple[Any, ...]:
        return (
            self.type, self.id, self.parent_id, self.timestamp, self.target_id, self.label,
            self.name, self.raw, self.line, self.offset, self.source,
        )  # fmt: skip

    def __eq__(self, other: object) -> bool:
        """Records are equal when their fields and line bytes are (wherever the bytes live)."""
        if not isinstance(other, Record):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        names = ("type", "id", "parent_id", "timestamp", "target_id", "label", "name", "raw")
        shown = [f"{n}={getattr(self, n)!r}" for n in names if getattr(self, n) not in (None, b"")]
        if self.line:
            shown.append(f"line={self.line}, offset={self.offset}")
        if self.source is not None:
            shown.append(f"source={self.source!r}")
        return f"Record({', '.join(shown)})"

    @property
    def message(self) -> MessageHead | None:
        """Role, provider and model of a ``message`` entry's message (decoded on demand)."""
        if self.type != "message":
            return None
        try:
            return _HEAD_DECODER.decode(self.raw).message
        except RecursionError:
            return None
        except (msgspec.MsgspecError, UnicodeError, ValueError):
            value = self.decode().get("message")
            if not isinstance(value, dict):
                return None
            return MessageHead(value.get("role"), value.get("provider"), value.get("model"))

    def decode(self) -> dict[str, Any]:
        """Return the entry as a plain JSON object (unknown fields included); ``{}`` when the
        bytes give none (a record built by the reader always gives one)."""
        value = decode_value(self.raw)
        return value if isinstance(value, dict) else {}

    def typed(self) -> Entry | SessionHeader | None:
        """Return the typed entry, or ``None`` for unknown types and shapes."""
        return decode_typed(self.raw)

    @property
    def line_bytes(self) -> bytes:
        """The line as it stands in the file, with its ``\\n``."""
        return (self.source if self.source is not None else self.raw) + b"\n"


class _HeadOnly(msgspec.Struct):
    message: MessageHead | None = None


#: Decodes one line, or a buffer of lines (``decode_lines``), into :class:`LineEnvelope`.
ENVELOPE_DECODER = msgspec.json.Decoder(LineEnvelope)
_HEAD_DECODER = msgspec.json.Decoder(_HeadOnly)


def message_heads_of_lines(lines: bytes | memoryview) -> list[MessageHead | None] | None:
    """The :attr:`Record.message` of each of some message entries' lines, decoded in one call.

    Args:
        lines: The lines, each ending in ``\n``.

    Returns:
        One head per line; ``None`` when a line does not decode as simply (ask each record).
    """
    try:
        return [found.message for found in _HEAD_DECODER.decode_lines(lines)]
    except (RecursionError, msgspec.MsgspecError, UnicodeError, ValueError):
        return None


def record_from_envelope(env: LineEnvelope, raw: bytes, line: int = 0, offset: int = -1) -> Record:
    """Build the :class:`Record` of one line from its decoded envelope.

    Args:
        env: The line's envelope.
        raw: The line's bytes, without the line ending.
        line: Its 1-based line number (0 when not read from a file).
        offset: The byte offset of its start (-1 when not read from a file).
    """
    return Record(
        env.type, env.id, env.parent_id, env.timestamp, env.target_id, env.label, env.name,
        raw, 0, -1, line, offset,
    )  # fmt: skip


def parse_record(raw: bytes) -> Record | str | Undecodable:
    """Decode one line into a :class:`Record`, or say what it is instead; never raises.

    Args:
        raw: The line without its ending.

    Returns:
        The record (``line`` and ``offset`` left unset) when the line is a JSON object; the kind
        of JSON value (``"array"``, ``"string"``, ``"number"``, ``"boolean"``, ``"null"``) when
        it is JSON but not an object; else an :class:`~sesslog.format.codec.Undecodable`.
    """
    try:
        return record_from_envelope(ENVELOPE_DECODER.decode(raw), raw)
    except RecursionError:
        return TOO_DEEP
    except (msgspec.MsgspecError, UnicodeError, ValueError):
        pass
    # Not for msgspec: lone surrogates, invalid UTF-8 or huge numbers in the envelope, or not
    # an object at all. Only objects are decoded whole; the rest is only checked.
    kind = json_kind(raw)
    if kind != "object":
        return kind
    value = decode_value(raw)
    if isinstance(value, Undecodable):
        return value
    if not isinstance(value, dict):  # pragma: no cover - json_kind saw an object
        return Undecodable(False, "not an object")
    return Record(
        type=value.get("type"),
        id=value.get("id"),
        parent_id=value.get("parentId"),
        timestamp=value.get("timestamp"),
        target_id=value.get("targetId"),
        label=value.get("label"),
        name=value.get("name"),
        data=raw,
    )


def record_from_line(raw: bytes) -> Record | None:
    """Build a :class:`Record` from one line's bytes.

    Args:
        raw: The line without its ending.

    Returns:
        The record, or ``None`` when the line is not a JSON object (or is nested too deep).
    """
    rec = parse_record(raw)
    return rec if isinstance(rec, Record) else None


def record_from_entry(entry: Entry, raw: bytes) -> Record:
    """Build the :class:`Record` of a typed entry already encoded as ``raw``, without decoding.

    Args:
        entry: The typed entry.
        raw: Its encoded line, without the line ending.
    """
    kind = _TAGS[type(entry)]
    rec = Record(
        type=kind, id=entry.id, parent_id=entry.parent_id, timestamp=entry.timestamp, data=raw
    )
    if kind == "label" and isinstance(entry, LabelEntry):  # the string test spares the rest
        rec.target_id = entry.target_id
        rec.label = entry.label if isinstance(entry.label, str) else None
    elif kind == "session_info" and isinstance(entry, SessionInfoEntry):
        rec.name = entry.name
    return rec


_TAGS: dict[type, str] = {cls: str(cls.__struct_config__.tag) for cls in Entry.__args__}
