"""Read a session file into records and diagnostics, in one pass, never raising on damage.

The reader frames lines itself so that damage stays local: a bad line is reported with its line
number and byte offset and the read goes on. Three modes (:class:`ReadMode`):

* ``strict``: the caller raises on the first diagnostic (see :func:`raise_if_strict`).
* ``tolerant`` (default): skip what cannot be read, report it, go on.
* ``salvage``: like tolerant, and also split glued records (``…}{…``) keeping each object.

Clean files (the common case) take a fast path that decodes the envelopes of many lines per call; any
irregularity sends the read through the careful per-line path, which reports it.

The bytes may be a read-only mapping of the file (:meth:`~sesslog.backends.local.LocalFolder.map`)
rather than a copy: the fast path reads a mapping of a current-version file in place and its
records slice their lines from it; every other read is of a copy.

No bytes make a read raise (short of running out of memory): every error a decoder can raise
is caught where it arises and becomes a diagnostic. A line nested deeper than the decoders can
follow (see :mod:`sesslog.format.codec`) is skipped as ``too_deep``; the lines after it are read
as usual. Work is linear in the size of the file, however long its lines.

Legacy v1 and v2 files are upgraded in memory (:mod:`sesslog.format.upgrade`); the file is never
rewritten by a read.
"""

from __future__ import annotations

import enum
import itertools
import os
from array import array
from collections.abc import Sequence
from operator import attrgetter, itemgetter
from pathlib import Path
from sys import intern
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from sesslog.errors import FormatError, UnsupportedVersionError
from sesslog.format.codec import (
    Undecodable,
    decode_object,
)
from sesslog.format.diagnostics import Reason, SessionOpenDiagnostics
from sesslog.format.entries import SESSION_VERSION
from sesslog.format.header import TOO_DEEP_DETAIL, check_header, upgrade_records
from sesslog.format.lines import split_lines
from sesslog.format.records import Record, parse_record, record_from_line
from sesslog.format.table import FileRows, RecordTable

if TYPE_CHECKING:
    from sesslog.format.lines import FileBytes

__all__ = [
    "ReadMode",
    "SessionData",
    "raise_if_strict",
    "read_bytes",
    "read_file",
]

_BOM = b"\xef\xbb\xbf"
#: Bytes of lines whose envelopes the fast path decodes in one call.
_CHUNK = 1 << 20


class ReadMode(str, enum.Enum):
    """How the reader treats damage."""

    STRICT = "strict"
    TOLERANT = "tolerant"
    SALVAGE = "salvage"


class SessionData(msgspec.Struct):
    """The outcome of reading one session file.

    Attributes:
        header: The header object (upgraded to the current version), or ``None`` when the
            file has no header.
        header_raw: The header line's bytes as written (without ending), or ``None``.
        file_version: The format version the file was written in.
        records: Every entry line taken, in file order (before tree checks such as
            duplicate ids, which :class:`~sesslog.tree.index.SessionTree` handles), as a
            sequence of :class:`~sesslog.format.records.Record` kept in columns.
        diagnostics: What was reported.
        valid_size: Offset just past the last complete line; bytes after it are a torn tail or
            NUL padding that a writer moves aside before appending.
        size: Total bytes read.
    """

    header: dict[str, Any] | None
    header_raw: bytes | None
    file_version: int
    records: Sequence[Record]
    diagnostics: SessionOpenDiagnostics
    valid_size: int
    size: int


def read_file(
    path: str | os.PathLike[str],
    mode: ReadMode = ReadMode.TOLERANT,
    *,
    tail_in_progress: bool = False,
) -> SessionData:
    """Read a session file.

    Args:
        path: The ``.jsonl`` file.
        mode: How to treat damage (strict still returns; see :func:`raise_if_strict`).
        tail_in_progress: A writer is known to be appending: report an unterminated final
            line as ``in_progress`` rather than as a torn tail.

    Returns:
        The records and diagnostics.

    Raises:
        OSError: The file cannot be read.
    """
    data = Path(path).read_bytes()
    return read_bytes(data, mode, path=os.fspath(path), tail_in_progress=tail_in_progress)


def read_bytes(
    data: FileBytes,
    mode: ReadMode = ReadMode.TOLERANT,
    *,
    path: str | None = None,
    tail_in_progress: bool = False,
) -> SessionData:
    """Read session bytes (or a read-only mapping of the file); see :func:`read_file`."""
    diag = SessionOpenDiagnostics(path=path)
    fast = _read_fast(data)
    header: dict[str, Any] | None
    header_raw: bytes | None
    records: list[Record]
    if fast is not None:
        header, header_raw, table, valid_size = fast
        version = check_header(header, header_raw, [], diag, ids_checked=True)
        if version < SESSION_VERSION:  # a legacy file: its records are upgraded one by one
            records = list(table)
            header, records = upgrade_records(version, header, records, diag)
            table = RecordTable.of(records)
    else:
        copy = data if isinstance(data, bytes) else data[:]  # the careful path reads a copy
        header, header_raw, records, valid_size = _read_careful(copy, mode, diag, tail_in_progress)
        version = check_header(header, header_raw, records, diag)
        if version < SESSION_VERSION:
            upgraded_header, records = upgrade_records(
                version, header or {"type": "session"}, records, diag
            )
            header = upgraded_header if header is not None else None
        table = RecordTable.of(records)
    diag.sort()
    return SessionData(header, header_raw, version, table, diag, valid_size, len(data))


def raise_if_strict(data: SessionData, mode: ReadMode) -> None:
    """In strict mode, raise for the first diagnostic.

    Raises:
        UnsupportedVersionError: The file's version is newer than sesslog knows.
        FormatError: Any other anomaly; names the file, line and offset.
    """
    if mode is not ReadMode.STRICT or not data.diagnostics.diagnostics:
        return
    first = data.diagnostics.diagnostics[0]
    cls = UnsupportedVersionError if first.reason == Reason.UNKNOWN_VERSION else FormatError
    raise cls(
        f"{first.reason}: {first.detail}",
        path=data.diagnostics.path,
        line=first.line,
        offset=first.offset,
        reason=first.reason,
    )


# --------------------------------------------------------------------------- fast path


def _read_fast(data: FileBytes) -> tuple[dict[str, Any], bytes, RecordTable, int] | None:
    """Decode a clean file, the envelopes of a megabyte of lines per call; ``None`` when not
    clean."""
    # NUL bytes and stray characters make the envelope decode fail; blank lines and
    # whitespace around a record are caught below (every line must start with "{" and end
    # with "}"). A mapping has neither startswith nor "in": these tests suit both kinds.
    if data[-1:] != b"\n" or data[:3] == _BOM or data.find(b"\r") != -1:
        return None
    first_end = data.find(b"\n")
    header_raw = data[:first_end]
    header = decode_object(header_raw)
    if not isinstance(header, dict) or header.get("type") != "session":
        return None
    if not isinstance(data, bytes) and header.get("version") != SESSION_VERSION:
        return None  # a legacy file is read from a copy: pi rewrites those in place
    view = memoryview(data)
    size = len(data)
    find = data.find
    bounds = array("q")  # where each line starts
    types: list[str] = []
    ids: list[str] = []
    parents: list[Any] = []
    pos = first_end + 1
    while pos < size:
        # Envelopes are decoded a chunk of lines at a time, so that few of them live at once.
        stop = data.rfind(b"\n", pos, pos + _CHUNK) + 1 or find(b"\n", pos + _CHUNK) + 1 or size
        try:
            envelopes = _HEAD_DECODER.decode_lines(view[pos:stop])
        except (RecursionError, msgspec.MsgspecError, UnicodeError, ValueError):
            return None  # the careful path says which line and why
        if not envelopes:
            return None
        # Where the chunk's lines start, as many as there are envelopes: each start is found
        # from the one before by the same map that reads the list as it grows (no Python step
        # per line).
        starts = [pos]
        lines = map(_PAST, map(find, itertools.repeat(b"\n"), starts))
        starts.extend(itertools.islice(lines, len(envelopes) - 1))
        ends = list(map(_TWO_BACK, starts))  # where each line before a start ends
        ends[0] = stop - 2  # (the chunk's last line instead of the line before it)
        # One envelope per line, every line starting with "{" and ending with "}": a blank
        # line decodes as no envelope, a line of two glued objects as two (then the starts
        # run on to the chunk's end), and only a line ending in "[", "," or ":" can go on
        # into the next one; the careful path reports each of them.
        if (
            stop in starts
            or find(b"\n", starts[-1]) + 1 != stop
            or _bytes_at(data, starts).strip(b"{")
            or _bytes_at(data, ends).strip(b"}")
        ):
            return None
        bounds.extend(starts)
        pos = stop
        kinds = list(map(intern, map(_TYPE, envelopes)))  # one string object per type
        if "session" in kinds:
            return None
        ident = list(map(_ID, envelopes))
        # A parent is most often the entry just before: it shares that entry's id object.
        before = [ids[-1] if ids else None, *ident[:-1]]
        parents += [
            q if p == q else p for p, q in zip(map(_PARENT, envelopes), before, strict=True)
        ]
        types += kinds
        ids += ident
    bounds.append(size)  # one past the last line's ending
    table = RecordTable(types, ids, parents, FileRows(data, bounds), range(len(ids)))
    return header, header_raw, table, size


class _Head(msgspec.Struct, rename="camel", gc=False):
    """The fields of :class:`~sesslog.format.records.LineEnvelope`, as the fast path decodes
    them: a line without a string type and a non-empty string id fails to decode and sends the
    read through the careful path. The other fields are decoded (so that a line the careful
    path reports fails here too) and not kept: a record decodes them again when asked."""

    type: str
    id: Annotated[str, msgspec.Meta(min_length=1)]
    parent_id: Any = None
    timestamp: Any = None
    target_id: Any = None
    label: Any = None
    name: Any = None


_HEAD_DECODER = msgspec.json.Decoder(_Head)
#: The position after a line's ``\n``, from the position of that ``\n``.
_PAST = (1).__add__
#: Where the last byte of the line before the one starting at a position is.
_TWO_BACK = (-2).__add__


def _bytes_at(data: FileBytes, positions: list[int]) -> bytes:
    """The bytes at these positions (at least one), fetched in one call."""
    if len(positions) == 1:
        return data[positions[0] : positions[0] + 1]
    return bytes(itemgetter(*positions)(data))


_TYPE = attrgetter("type")
_ID = attrgetter("id")
_PARENT = attrgetter("parent_id")


# --------------------------------------------------------------------------- careful path


def _read_careful(
    data: bytes,
    mode: ReadMode,
    diag: SessionOpenDiagnostics,
    tail_in_progress: bool,
) -> tuple[dict[str, Any] | None, bytes | None, list[Record], int]:
    """Frame and decode line by line, reporting every anomaly."""
    header: dict[str, Any] | None = None
    header_raw: bytes | None = None
    records: list[Record] = []
    crlf_lines = 0
    crlf_first: tuple[int, int] | None = None
    first = 0
    if data.startswith(_BOM):
        diag.add(1, 0, Reason.BOM, "UTF-8 byte order mark before the header (ignored)")
        first = len(_BOM)
    size = len(data)
    valid_size = size
    nul_tail = -1  # where the NUL and line-ending bytes that end the file begin (when needed)
    saw_first_record = False
    for line, line_start, pos, end, terminated in split_lines(data, first):
        raw = data[pos:end]
        raw_start = pos  # past a BOM on line 1
        next_pos = end + 1 if terminated else size
        if raw.endswith(b"\r"):
            raw = raw[:-1]
            crlf_lines += 1
            if crlf_first is None:
                crlf_first = (line, line_start)
        if b"\x00" in raw:
            stripped = raw.strip(b"\x00")
            if not stripped.strip():
                if nul_tail == -1:
                    nul_tail = len(data.rstrip(b"\x00\r\n"))
                if next_pos >= nul_tail:  # only NULs and line endings follow
                    diag.add(line, line_start, Reason.TRAILING_NULS, _nul_detail(data, pos))
                    valid_size = line_start if line > 1 else 0
                    break
                diag.add(line, line_start, Reason.TRAILING_NULS, f"{len(raw)} NUL bytes")
                continue
            if raw.startswith(b"\x00"):
                record_part = raw.lstrip(b"\x00")
                diag.add(
                    line,
                    line_start,
                    Reason.TRAILING_NULS,
                    f"{len(raw) - len(record_part)} NUL bytes before the record",
                )
                raw_start += len(raw) - len(record_part)
                raw = record_part
        if not raw.strip():
            if terminated:
                diag.add(line, line_start, Reason.BLANK_LINE, "empty line")
            else:
                diag.add(line, line_start, Reason.BLANK_LINE, "blank final line without ending")
                valid_size = line_start
            continue
        if not terminated:
            valid_size = line_start
        taken = _decode_one(
            raw, line, line_start, raw_start, terminated, mode, diag, tail_in_progress
        )
        if taken and not terminated:
            valid_size = size  # a complete record without newline: nothing to cut
        for rec in taken:
            is_header = rec.type == "session"
            if is_header and not saw_first_record:
                header = rec.decode()
                header_raw = rec.raw
            elif is_header:
                diag.add(line, line_start, Reason.DUPLICATE_HEADER, "second session header")
            else:
                records.append(rec)
            saw_first_record = True
        if not taken:
            saw_first_record = saw_first_record or line == 1
    if crlf_first is not None:
        diag.add(
            crlf_first[0],
            crlf_first[1],
            Reason.CRLF,
            f"{crlf_lines} line(s) end with \\r\\n (read as \\n)",
        )
    return header, header_raw, records, valid_size


def _nul_detail(data: bytes, pos: int) -> str:
    return f"{data[pos:].count(0)} NUL bytes at the end of the file (crash padding)"


def _decode_one(
    raw: bytes,
    line: int,
    offset: int,
    start: int,
    terminated: bool,
    mode: ReadMode,
    diag: SessionOpenDiagnostics,
    tail_in_progress: bool,
) -> list[Record]:
    """Decode one framed line into zero or more records, reporting what is not taken.

    ``offset`` is where the line starts (a record's and a diagnostic's offset); ``start`` is
    where ``raw`` starts, past a BOM or NUL padding (records split from a glued line get their
    own start).
    """
    found = parse_record(raw)
    if isinstance(found, Record):
        found.line = line
        found.offset = offset
        if not terminated:
            diag.add(line, offset, Reason.MISSING_NEWLINE, "final record has no line ending")
        return _validated([found], line, offset, diag)
    if not isinstance(found, Undecodable):
        diag.add(line, offset, Reason.NOT_OBJECT, f"a JSON {found}, not an object")
        return []
    if found.too_deep:
        diag.add(line, offset, Reason.TOO_DEEP, TOO_DEEP_DETAIL)
        return []
    if not terminated:
        reason = Reason.IN_PROGRESS if tail_in_progress else Reason.TORN_TAIL
        diag.add(line, offset, reason, f"{len(raw)} bytes of an unfinished record")
        return []
    from sesslog.format.glued import glued_spans  # only for a line that is not one JSON value

    spans = glued_spans(raw)
    first = next(spans, None)
    if first is not None:
        if mode is ReadMode.SALVAGE:
            out = []
            count = 0
            for begin, stop in itertools.chain([first], spans):
                count += 1
                piece = record_from_line(raw[begin:stop])
                if piece is not None:
                    piece.line = line
                    piece.offset = start + begin
                    out.append(piece)
            detail = f"{count} complete record(s) glued on one line; kept each"
            diag.add(line, offset, Reason.GLUED_RECORDS, detail)
            return _validated(out, line, offset, diag)
        count = 1 + sum(1 for _ in itertools.islice(spans, _GLUED_COUNTED - 1))
        more = " or more" if count == _GLUED_COUNTED else ""
        diag.add(
            line,
            offset,
            Reason.GLUED_RECORDS,
            f"{count}{more} complete record(s) glued on one line; open in salvage mode to keep them",
        )
        return []
    if _bad_utf8(raw):
        diag.add(line, offset, Reason.BAD_ENCODING, "line is not valid UTF-8")
        return []
    diag.add(line, offset, Reason.BAD_JSON, f"not valid JSON: {found.detail}")
    return []


def _validated(
    records: list[Record], line: int, offset: int, diag: SessionOpenDiagnostics
) -> list[Record]:
    out = []
    for rec in records:
        if type(rec.type) is not str:
            diag.add(line, rec.offset, Reason.MISSING_ID, "record has no string 'type'")
            continue
        out.append(rec)
    return out


#: Glued records a tolerant read counts on one line before it stops looking.
_GLUED_COUNTED = 100


def _bad_utf8(raw: bytes) -> bool:
    if raw.isascii():
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
