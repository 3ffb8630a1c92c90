"""Encoding and decoding of single session lines.

Decoders and encoders are built once and reused. ``msgspec`` errors never escape this module:
callers get ``None`` back (for a line that is not JSON) or a :class:`~sesslog.errors.FormatError`.

JavaScript's ``JSON.stringify`` may write a lone surrogate escape (``"\\ud83d"``) where a string
was cut inside an emoji pair; msgspec rejects those, so such lines fall back to the standard
library, which accepts them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from sesslog.errors import FormatError
from sesslog.format.entries import Entry, SessionHeader

__all__ = [
    "decode_object",
    "decode_typed",
    "dumps_json",
    "encode_line",
    "encode_raw",
]

_DICT_DECODER = msgspec.json.Decoder()
_ENTRY_DECODER: msgspec.json.Decoder[Entry] = msgspec.json.Decoder(Entry)
_HEADER_DECODER = msgspec.json.Decoder(SessionHeader)
_ENCODER = msgspec.json.Encoder()
_STDLIB_DECODER = json.JSONDecoder()
_SURROGATE = re.compile("[\ud800-\udfff]")
_SCRATCH_KEPT = 1 << 20  # see encode_raw


def decode_object(raw: bytes) -> Any:
    """Decode one JSON value, accepting lone surrogate escapes.

    Bytes that are not UTF-8 read as U+FFFD, as pi (JavaScript) reads them; the line's own
    bytes stay untouched wherever they are kept.

    Args:
        raw: The bytes of one JSON document (no trailing newline needed).

    Returns:
        The decoded value, or ``None`` when ``raw`` is not valid JSON. (A JSON ``null`` also
        decodes to ``None``; callers only accept objects, so the two need no distinction.)
    """
    try:
        return _DICT_DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass
    try:
        text = raw.decode("utf-8", "replace")
        value, end = _STDLIB_DECODER.raw_decode(text)
    except ValueError:
        return None
    if text[end:].strip():
        return None
    return value


def decode_typed(raw: bytes) -> Entry | SessionHeader | None:
    """Decode a line into its typed Struct.

    Args:
        raw: One line's bytes.

    Returns:
        The typed header or entry, or ``None`` when the line is not of a known type or shape
        (unknown entry types, roles, blocks or ill-typed fields). The raw bytes stay the truth.
    """
    try:
        return _ENTRY_DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass
    try:
        return _HEADER_DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        pass
    value = decode_object(raw)
    if not isinstance(value, dict):
        return None
    # A lone surrogate in a tag value makes msgspec raise UnicodeEncodeError.
    try:
        entry: Entry = msgspec.convert(value, Entry)
        return entry
    except (msgspec.ValidationError, UnicodeEncodeError):
        try:
            return msgspec.convert(value, SessionHeader)
        except (msgspec.ValidationError, UnicodeEncodeError):
            return None


def encode_line(value: Any) -> bytes:
    """Encode a header, entry Struct or plain object as one line ending in ``\\n``.

    Args:
        value: A msgspec Struct or JSON-compatible Python value.

    Returns:
        Compact JSON followed by a newline, in the key order pi writes.

    Raises:
        FormatError: The value cannot be encoded as JSON.
    """
    return encode_raw(value) + b"\n"


def encode_raw(value: Any, scratch: bytearray | None = None) -> bytes:
    """Encode like :func:`encode_line`, without the line ending.

    Args:
        value: What to encode.
        scratch: A buffer to encode into, then copy the line out of at its size. Bytes from
            ``Encoder.encode`` hold about half as much memory again as the line needs, so
            whatever keeps the line for long (a session keeps every appended line) should pass
            one. Only one thread may use it at a time. It keeps its memory for the next line,
            except after a line of more than 1 MiB.

    Raises:
        FormatError: The value cannot be encoded as JSON.
    """
    try:
        if scratch is None:
            return _ENCODER.encode(value)
        _ENCODER.encode_into(value, scratch)
        raw = bytes(scratch)
        if len(raw) > _SCRATCH_KEPT:
            scratch.clear()  # gives the memory of a huge line back
        return raw
    except (TypeError, msgspec.EncodeError, UnicodeEncodeError):
        try:
            text = json.dumps(msgspec.to_builtins(value), ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise FormatError(f"cannot encode value: {exc}") from exc
        # A lone surrogate can only stand inside a string: write it as an escape, as
        # JavaScript's JSON.stringify does, so the line stays valid UTF-8.
        return _SURROGATE.sub(_escape_surrogate, text).encode("utf-8")


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps_json(value: Any, *, indent: int | None = None) -> str:
    """Serialise a JSON value for output, tolerating lone surrogates.

    Args:
        value: A JSON-compatible value (msgspec Structs allowed).
        indent: Pretty-print with this indent, or compact when ``None``.

    Returns:
        JSON text. Strings holding lone surrogates are written as ``\\udXXX`` escapes.
    """
    builtins = msgspec.to_builtins(value)
    separators = (",", ":") if indent is None else None
    text = json.dumps(builtins, ensure_ascii=False, indent=indent, separators=separators)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(builtins, ensure_ascii=True, indent=indent, separators=separators)
    return text
