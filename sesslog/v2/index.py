"""Index parts: per-entry rows, frames, entry envelopes and the facts needed to open a session.

One index part (``index-NNNNNN.bin``) is written by each migration or catch-up. Its layout::

    magic "SLV2IDX1" | u32 header length | u32 crc32 of header | header (msgpack) | sections

The header lists the sections with their offset (counted from the end of the header), stored
length, decoded length and crc32:

* ``facts``: JSON: the session's facts as of this part (leaf, labels, name, diagnostics...).
  The last part's facts are the current ones.
* ``frames``: one fixed-width little-endian record per frame (:data:`FRAME`): where it is
  stored and which bytes, lines and rows of the session it holds.
* ``header``: the session header line's bytes (absent when the file has none).
* ``rows``: one fixed-width little-endian row per entry (:data:`ROW`), readable at random
  without decoding anything else; every row carries its own crc32.
* ``parents``: the rows' tree parents again, as a little-endian int32 array, to walk a path
  without decoding rows.
* ``envelopes``: zstd-compressed msgpack array of the entries' envelopes (type, id, parent,
  timestamp, message role/provider/model, label and name fields, line, offset), decoded into
  :class:`~sesslog.format.records.Record` objects in one call; a part whose envelopes carry
  line bytes (``raw``, ``source``: only the reader sets those) is refused as corrupt. Absent
  when the session is re-read from its rebuilt bytes instead (legacy versions, values msgpack
  cannot hold).
"""

from __future__ import annotations

import array
import struct
import sys
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
import zstandard

from sesslog.errors import SidecarCorruptError
from sesslog.format.codec import decode_object, dumps_json
from sesslog.format.diagnostics import Diagnostic
from sesslog.format.records import Record

__all__ = [
    "ENVELOPE_FIELDS",
    "FRAME",
    "PARENT_NOT_IN_TREE",
    "PARENT_ROOT",
    "ROW",
    "Facts",
    "FrameInfo",
    "IndexPart",
    "Row",
    "encode_envelopes",
    "encode_index_part",
    "pack_row",
]

MAGIC = b"SLV2IDX1"
_PREFIX = struct.Struct("<8sII")

#: One row: tree parent row, frame, start in frame, length, line, line offset, crc32 of the
#: line's bytes, crc32 of the preceding fields.
ROW = struct.Struct("<iIIIIQII")
_ROW_BODY = struct.Struct("<iIIIIQI")
#: Parent value of a root (no parent in the tree).
PARENT_ROOT = -1
#: Parent value of an entry the tree leaves out (a later duplicate of an id).
PARENT_NOT_IN_TREE = -2

DIRECT = "direct"
REREAD = "reread"


class Row(msgspec.Struct, frozen=True, array_like=True):
    """One decoded index row (see :data:`ROW`).

    Attributes:
        parent: Row of the entry's parent in the tree, :data:`PARENT_ROOT` or
            :data:`PARENT_NOT_IN_TREE`.
        frame: Global number of the frame holding the entry's line.
        start: Offset of the entry's bytes inside the frame's decompressed content.
        length: Length of the entry's bytes (the line without ending, NULs or BOM).
        line: 1-based line number in the session file.
        offset: Byte offset of the line's start in the session file.
        crc: crc32 of the entry's bytes.
    """

    parent: int
    frame: int
    start: int
    length: int
    line: int
    offset: int
    crc: int


#: One frame record: the fields of :class:`FrameInfo` in order.
FRAME = struct.Struct("<IQIQIIIIB")


def pack_row(row: Row) -> bytes:
    """The bytes of one row, with its own crc32 at the end."""
    body = _ROW_BODY.pack(
        row.parent, row.frame, row.start, row.length, row.line, row.offset, row.crc
    )
    return body + struct.pack("<I", zlib.crc32(body))


class FrameInfo(msgspec.Struct, frozen=True, array_like=True):
    """Where one frame is and what it holds.

    Attributes:
        segment: Number of the segment file (position in the manifest's segment list).
        offset: Offset of the compressed frame in the segment file.
        size: Length of the compressed frame.
        start: Offset in the session file of the frame's first byte.
        length: Uncompressed length (the frame holds session bytes ``start .. start+length``).
        first_line: Line number of the frame's first line.
        first_row: Row of the first entry whose line is in the frame.
        rows: Number of entries whose lines are in the frame.
        plain: Every such entry's bytes are one whole ``\\n``-terminated line (so the
            frame can be split at newlines instead of sliced row by row).
    """

    segment: int
    offset: int
    size: int
    start: int
    length: int
    first_line: int
    first_row: int
    rows: int
    plain: bool


class Facts(msgspec.Struct, rename="camel"):
    """What is known of the whole session as of one index part.

    Attributes:
        mode: ``direct`` (open from envelopes and rows) or ``reread`` (rebuild the bytes and
            read them as a session file).
        file_version: The format version the file was written in.
        read_only: The file has no header or a newer version (opened read-only).
        size: Bytes of the session file covered.
        valid_size: Offset past the last complete line (as the reader reports).
        lines: Lines in the covered bytes (a final line without ending counts).
        clean_end: The covered bytes end with a complete line and nothing to repair, so a
            catch-up can append after them.
        entries: Entry rows over all parts so far.
        leaf: Row of the leaf (-1 without entries).
        leaf_id: Id of the leaf.
        labels: Labels by entry id.
        name: The session name.
        reader_diagnostics: What reading the file reported.
        tree_diagnostics: What building the tree reported.
    """

    mode: str
    file_version: int
    read_only: bool
    size: int
    valid_size: int
    lines: int
    clean_end: bool
    entries: int
    leaf: int
    leaf_id: Any
    labels: dict[str, str]
    name: str | None
    reader_diagnostics: list[Diagnostic]
    tree_diagnostics: list[Diagnostic]


class _Section(msgspec.Struct, frozen=True, array_like=True):
    name: str
    offset: int
    length: int
    raw_length: int
    crc32: int


class _Header(msgspec.Struct, frozen=True, rename="camel"):
    first_entry: int
    entries: int
    first_frame: int
    frames: int
    sections: list[_Section]


_HEADER_ENCODER = msgspec.msgpack.Encoder()
_HEADER_DECODER = msgspec.msgpack.Decoder(_Header)
_ENVELOPE_ENCODER = msgspec.msgpack.Encoder()
_ENVELOPE_DECODER = msgspec.msgpack.Decoder(list[Record])
#: ``(attribute, msgpack key)`` of each :class:`~sesslog.format.records.Record` field an envelope holds.
ENVELOPE_FIELDS = tuple(
    (f.name, f.encode_name)
    for f in msgspec.structs.fields(Record)
    if f.name not in ("data", "start", "end", "source")
)


def encode_envelopes(records: Sequence[Record], level: int) -> tuple[bytes, int] | None:
    """The ``envelopes`` section for ``records`` and its decoded length, or ``None`` when
    msgpack cannot hold them (an unpaired surrogate in an id or label, an integer beyond 64
    bits)."""
    items = []
    for rec in records:
        item = {}
        for attr, key in ENVELOPE_FIELDS:
            value = getattr(rec, attr)
            if value is not None:
                item[key] = value
        items.append(item)
    try:
        blob = _ENVELOPE_ENCODER.encode(items)
    except (UnicodeEncodeError, OverflowError, TypeError, msgspec.EncodeError):
        return None
    cctx = zstandard.ZstdCompressor(level=level, write_content_size=True, write_checksum=True)
    return cctx.compress(blob), len(blob)


def encode_index_part(
    *,
    first_entry: int,
    first_frame: int,
    facts: Facts,
    frames: Sequence[FrameInfo],
    header_raw: bytes | None,
    rows: bytes,
    envelopes: bytes | None,
    envelopes_raw_length: int,
) -> bytes:
    """Lay out one index part file."""
    count = len(rows) // ROW.size
    parents = array.array("i", (row[0] for row in ROW.iter_unpack(rows)))
    if sys.byteorder != "little":  # pragma: no cover - the format is little-endian
        parents.byteswap()
    sections: list[tuple[str, bytes, int]] = [
        ("facts", dumps_json(facts).encode("utf-8"), 0),
        ("frames", b"".join(FRAME.pack(*msgspec.structs.astuple(f)) for f in frames), 0),
        ("rows", rows, 0),
        ("parents", parents.tobytes(), 0),
    ]
    if header_raw is not None:
        sections.append(("header", header_raw, 0))
    if envelopes is not None:
        sections.append(("envelopes", envelopes, envelopes_raw_length))
    table = []
    offset = 0
    for name, blob, raw_length in sections:
        table.append(_Section(name, offset, len(blob), raw_length or len(blob), zlib.crc32(blob)))
        offset += len(blob)
    header = _HEADER_ENCODER.encode(_Header(first_entry, count, first_frame, len(frames), table))
    prefix = _PREFIX.pack(MAGIC, len(header), zlib.crc32(header))
    return b"".join([prefix, header, *(blob for _, blob, _ in sections)])


class IndexPart:
    """One index part, read from its bytes (a ``bytes`` object or an ``mmap``).

    Args:
        buf: The file's content.
        file: The file's path, for messages.

    Raises:
        SidecarCorruptError: The magic, the header or its checksum is wrong.
    """

    def __init__(self, buf: Any, file: str) -> None:
        self.buf = buf
        self.file = file
        self.view = memoryview(buf)
        if len(buf) < _PREFIX.size:
            raise SidecarCorruptError("index part is truncated", file=file, offset=len(buf))
        magic, header_len, header_crc = _PREFIX.unpack_from(buf, 0)
        if magic != MAGIC:
            raise SidecarCorruptError("not an index part (bad magic)", file=file, offset=0)
        header = self.view[_PREFIX.size : _PREFIX.size + header_len]
        if len(header) != header_len or zlib.crc32(header) != header_crc:
            raise SidecarCorruptError("index header checksum mismatch", file=file, offset=8)
        try:
            self.header = _HEADER_DECODER.decode(header)
        except msgspec.DecodeError as exc:
            raise SidecarCorruptError(f"index header unreadable: {exc}", file=file) from None
        base = _PREFIX.size + header_len
        self.sections = {
            s.name: msgspec.structs.replace(s, offset=base + s.offset) for s in self.header.sections
        }
        for s in self.sections.values():
            if s.offset < base or s.length < 0 or s.offset + s.length > len(buf):
                raise SidecarCorruptError(
                    f"section {s.name!r} lies outside the file", file=file, offset=s.offset
                )
        rows = self.sections.get("rows")
        if rows is None or rows.length != self.header.entries * ROW.size:
            raise SidecarCorruptError("rows section does not match the entry count", file=file)
        frames = self.sections.get("frames")
        if frames is None or frames.length != self.header.frames * FRAME.size:
            raise SidecarCorruptError("frames section does not match the frame count", file=file)
        self._facts: Facts | None = None

    @property
    def first_entry(self) -> int:
        """Row number of the part's first entry."""
        return self.header.first_entry

    @property
    def entries(self) -> int:
        """Number of entries in the part."""
        return self.header.entries

    def section(self, name: str, *, check: bool = True) -> memoryview | None:
        """The stored bytes of a section (``None`` when absent), checked against its crc32."""
        s = self.sections.get(name)
        if s is None:
            return None
        blob = self.view[s.offset : s.offset + s.length]
        if check and zlib.crc32(blob) != s.crc32:
            raise SidecarCorruptError(
                f"{name} section checksum mismatch", file=self.file, offset=s.offset
            )
        return blob

    def facts(self) -> Facts:
        """The session's facts as of this part."""
        if self._facts is None:
            blob = self.section("facts")
            value = decode_object(bytes(blob)) if blob is not None else None
            try:
                self._facts = msgspec.convert(value, Facts)
            except msgspec.ValidationError as exc:
                raise SidecarCorruptError(f"facts section invalid: {exc}", file=self.file) from None
        return self._facts

    def frames(self) -> list[FrameInfo]:
        """Every frame the part describes, in order."""
        blob = self.section("frames")
        assert blob is not None  # checked in __init__
        return [FrameInfo(*fields) for fields in FRAME.iter_unpack(blob)]

    def frame(self, local: int) -> FrameInfo:
        """The part's frame number ``local`` (counted from the part's first frame)."""
        blob = self.section("frames")
        assert blob is not None  # checked in __init__
        if not 0 <= local < self.header.frames:
            raise SidecarCorruptError(f"no frame {local} in this part", file=self.file)
        return FrameInfo(*FRAME.unpack_from(blob, local * FRAME.size))

    def parents(self) -> array.array[int]:
        """The ``parents`` section: each row's tree parent (checked against its crc32)."""
        blob = self.section("parents")
        column = array.array("i")
        if blob is not None:
            column.frombytes(blob)
            if sys.byteorder != "little":  # pragma: no cover - the format is little-endian
                column.byteswap()
        if len(column) != self.header.entries:
            raise SidecarCorruptError(
                "parents section does not match the entry count", file=self.file
            )
        return column

    def header_raw(self) -> bytes | None:
        """The session header line's bytes, when the file has a header."""
        blob = self.section("header")
        return None if blob is None else bytes(blob)

    def row(self, number: int) -> Row:
        """Decode the row of entry ``number`` (a global row number), checking its crc32.

        Raises:
            SidecarCorruptError: The row's checksum does not match.
        """
        local = number - self.header.first_entry
        at = self.sections["rows"].offset + local * ROW.size
        *fields, crc = ROW.unpack_from(self.buf, at)
        if zlib.crc32(self.view[at : at + _ROW_BODY.size]) != crc:
            raise SidecarCorruptError(f"row {number} checksum mismatch", file=self.file, offset=at)
        return Row(*fields)

    def iter_rows(self) -> Iterator[tuple[int, Row | None]]:
        """Every row with its number; ``None`` for a row whose checksum does not match."""
        base = self.sections["rows"].offset
        first = self.header.first_entry
        for local, (*fields, crc) in enumerate(
            ROW.iter_unpack(self.view[base : base + self.header.entries * ROW.size])
        ):
            at = base + local * ROW.size
            ok = zlib.crc32(self.view[at : at + _ROW_BODY.size]) == crc
            yield first + local, Row(*fields) if ok else None

    def envelopes(self, limit: int) -> list[Record] | None:
        """Decode every entry's envelope (``None`` when the part has no envelopes).

        Args:
            limit: Refuse to decompress more than this many bytes.

        Raises:
            SidecarCorruptError: The section is damaged or larger than ``limit``.
        """
        blob = self.section("envelopes")
        if blob is None:
            return None
        declared = self.sections["envelopes"].raw_length
        if declared > limit:
            raise SidecarCorruptError("envelopes section claims too many bytes", file=self.file)
        try:
            if zstandard.frame_content_size(blob) != declared:
                raise SidecarCorruptError("envelopes frame size mismatch", file=self.file)
            raw = zstandard.ZstdDecompressor().decompress(blob, max_output_size=declared)
            records = _ENVELOPE_DECODER.decode(raw)
        except (zstandard.ZstdError, msgspec.DecodeError) as exc:
            raise SidecarCorruptError(f"envelopes unreadable: {exc}", file=self.file) from None
        if len(records) != self.header.entries:
            raise SidecarCorruptError("envelopes disagree with the entry count", file=self.file)
        if any(rec.data or rec.start or rec.end != -1 or rec.source is not None for rec in records):
            # only the reader sets a record's bytes: an envelope may not carry them
            raise SidecarCorruptError("an envelope carries line bytes", file=self.file)
        return records
