"""Salvage framing of another program's JSONL file: one decoded record per complete object.

The rules are those of sesslog's salvage reader (:mod:`sesslog.format.reader`), applied to files
that are not pi sessions: a UTF-8 byte order mark is skipped, ``\\r\\n`` endings read as ``\\n``,
blank lines and a run of NUL bytes at the end are skipped, two complete records glued on one
line (``…}{…``) are split and both kept, a final line without ``\\n`` is kept when it holds a
complete record, and a torn final line is left out. Everything not taken, and every repair, is
reported as a :class:`~sesslog.format.diagnostics.Diagnostic` naming the line and byte offset.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from sesslog.format.codec import decode_object
from sesslog.format.diagnostics import Diagnostic, Reason
from sesslog.format.glued import split_glued
from sesslog.format.lines import split_lines

__all__ = ["FramedSource", "RecordDecoder", "SourceRecord", "frame_records"]

T = TypeVar("T")

_BOM = b"\xef\xbb\xbf"


class SourceRecord(msgspec.Struct, Generic[T], gc=False):
    """One complete record of a source file.

    Attributes:
        value: The record decoded by the format's decoder.
        raw: Its exact bytes (one JSON object, no line ending), often a view into the file's
            bytes.
        line: 1-based line number.
        offset: Byte offset of the record in the file (inside the line for glued records).
    """

    value: T
    raw: bytes | memoryview
    line: int
    offset: int


class FramedSource(Generic[T]):
    """The records of a source file and what framing found wrong.

    Attributes:
        records: Every complete record, in file order.
        damage: Every anomaly, in file order.
        size: The file's size in bytes.
    """

    __slots__ = ("damage", "records", "size")

    def __init__(self, records: list[SourceRecord[T]], damage: list[Diagnostic], size: int):
        self.records = records
        self.damage = damage
        self.size = size


class RecordDecoder(Generic[T]):
    """Decodes one record into ``cls`` (a msgspec Struct whose fields accept anything).

    Lines that msgspec rejects (lone surrogate escapes, written by JavaScript) are decoded by
    the standard library and ``cls`` is built from the result without validation: fields typed
    :class:`msgspec.Raw` then hold decoded values. Calling it returns ``None`` for bytes that
    are not one JSON object.

    Attributes:
        fast: msgspec's decoder alone (raises ``msgspec.DecodeError`` where the call falls back).
    """

    def __init__(self, cls: type[T]) -> None:
        self.cls = cls
        self.fast = msgspec.json.Decoder(cls).decode
        fields = cls.__struct_fields__, cls.__struct_encode_fields__  # type: ignore[attr-defined]
        self._names = list(zip(*fields, strict=True))

    def __call__(self, raw: bytes | memoryview) -> T | None:
        try:
            return self.fast(raw)
        except (msgspec.DecodeError, UnicodeDecodeError):
            pass
        value = decode_object(bytes(raw))
        if not isinstance(value, dict):
            return None
        return self.cls(**{attr: value[name] for attr, name in self._names if name in value})


def frame_records(data: bytes, decode: RecordDecoder[T]) -> FramedSource[T]:
    """Split ``data`` into records with the salvage reader's rules.

    Args:
        data: The whole file.
        decode: The format's record decoder.

    Returns:
        The records and the damage found.
    """
    records: list[SourceRecord[T]] = []
    damage: list[Diagnostic] = []
    first = len(_BOM) if data.startswith(_BOM) else 0
    if first:
        damage.append(Diagnostic(1, 0, Reason.BOM.value, "UTF-8 byte order mark (skipped)"))
    size = len(data)
    view = memoryview(data)
    # Without CR or NUL bytes a line that starts with "{" needs no cleaning: decode it in place.
    clean = b"\r" not in data and b"\x00" not in data
    fast = decode.fast
    crlf: list[int] = []
    raw: bytes | memoryview | None
    for line, start, pos, end, terminated in split_lines(data, first):
        value: T | None
        if clean and data[pos] == 0x7B:  # "{"
            raw = view[pos:end]
            try:
                value = fast(raw)
            except (msgspec.DecodeError, UnicodeDecodeError):
                value = decode(raw)
        else:
            raw = _cleaned(data[pos:end], data, end + 1, line, start, terminated, crlf, damage)
            if raw is _END:
                break
            value = decode(raw) if raw is not None else None
        if raw is None:
            continue
        if value is None:
            records.extend(_salvage(bytes(raw), line, start, terminated, decode, damage))
            continue
        records.append(SourceRecord(value, raw, line, start))
        if not terminated:
            detail = "final record has no line ending (kept)"
            damage.append(Diagnostic(line, start, Reason.MISSING_NEWLINE.value, detail))
    if crlf:
        detail = f"{len(crlf)} line(s) end with \\r\\n (read as \\n)"
        damage.append(Diagnostic(crlf[0], 0, Reason.CRLF.value, detail))
        damage.sort(key=lambda d: d.line)
    return FramedSource(records, damage, size)


_END = b"\x00"  # _cleaned's answer when only NUL padding is left


def _cleaned(
    raw: bytes,
    data: bytes,
    after: int,
    line: int,
    start: int,
    terminated: bool,
    crlf: list[int],
    damage: list[Diagnostic],
) -> bytes | None:
    """A line without its ``\r`` and NUL padding; ``None`` when nothing is left on it (a blank
    line is reported), :data:`_END` when only NUL padding is left in the file."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
        crlf.append(line)
    if b"\x00" in raw:
        if not raw.strip(b"\x00").strip():
            return _END if _report_nul_line(raw, data, after, line, start, damage) else None
        stripped = raw.strip(b"\x00")
        detail = f"{len(raw) - len(stripped)} NUL bytes around the record (skipped)"
        damage.append(Diagnostic(line, start, Reason.TRAILING_NULS.value, detail))
        raw = stripped
    if not raw.strip():
        if terminated:
            damage.append(Diagnostic(line, start, Reason.BLANK_LINE.value, "empty line"))
        return None
    return raw


def _report_nul_line(
    raw: bytes, data: bytes, pos: int, line: int, start: int, damage: list[Diagnostic]
) -> bool:
    """Report a line of NUL bytes; True when nothing but NUL padding follows it."""
    if data[pos:].replace(b"\x00", b"").strip():
        damage.append(Diagnostic(line, start, Reason.TRAILING_NULS.value, f"{len(raw)} NUL bytes"))
        return False
    count = raw.count(0) + data[pos:].count(0)
    detail = f"{count} NUL bytes at the end of the file (crash padding)"
    damage.append(Diagnostic(line, start, Reason.TRAILING_NULS.value, detail))
    return True


def _salvage(
    raw: bytes,
    line: int,
    start: int,
    terminated: bool,
    decode: RecordDecoder[Any],
    damage: list[Diagnostic],
) -> list[SourceRecord[Any]]:
    """Keep the complete records of a line that is not one JSON object, reporting the rest."""
    kept: list[SourceRecord[Any]] = []
    spans = []
    for a, b in split_glued(raw):
        value = decode(raw[a:b])
        if value is not None:
            kept.append(SourceRecord(value, raw[a:b], line, start + a))
            spans.append((a, b))
    if kept:
        detail = f"{len(kept)} complete record(s) glued on one line; kept each"
        damage.append(Diagnostic(line, start, Reason.GLUED_RECORDS.value, detail))
    head = raw[: spans[0][0]] if spans else raw
    tail = raw[spans[-1][1] :] if spans else b""
    if head.strip():
        if not terminated and not spans:
            detail = f"{len(head)} bytes of an unfinished record (left out)"
            damage.append(Diagnostic(line, start, Reason.TORN_TAIL.value, detail))
        elif spans:
            detail = f"{len(head)} bytes before the complete records are not JSON (left out)"
            damage.append(Diagnostic(line, start, Reason.BAD_JSON.value, detail))
        else:
            damage.append(Diagnostic(line, start, *_why_not(raw)))
    if tail.strip():
        reason = Reason.BAD_JSON if terminated else Reason.TORN_TAIL
        detail = f"{len(tail)} bytes after the complete records (left out)"
        damage.append(Diagnostic(line, start + spans[-1][1], reason.value, detail))
    return kept


def _why_not(raw: bytes) -> tuple[str, str]:
    """The reason and detail for a line that holds no record."""
    value = decode_object(raw)
    if value is not None or raw.strip() == b"null":
        return Reason.NOT_OBJECT.value, f"a JSON {type(value).__name__}, not an object"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return Reason.BAD_ENCODING.value, "line is not valid UTF-8"
    return Reason.BAD_JSON.value, "not valid JSON"
