"""Encoding and decoding of single session lines.

Decoders and encoders are built once and reused. No decoding function here raises, whatever the
bytes: ``msgspec`` errors, ``UnicodeError``, ``ValueError`` (numbers too long for Python's
integer conversion) and ``RecursionError`` (nesting deeper than the decoders can follow) are
caught where they arise and turned into a value (:class:`Undecodable`, or ``None``). Encoding
raises only :class:`~sesslog.errors.FormatError`.

JavaScript's ``JSON.stringify`` may write a lone surrogate escape (``"\\ud83d"``) where a string
was cut inside an emoji pair; msgspec rejects those, so such lines fall back to the standard
library, which accepts them (but, as JavaScript, not ``NaN`` or ``Infinity``).

**Nesting depth.** msgspec and the standard library both decode nested arrays and objects by
recursion, guarded by Python's recursion limit (1,000 by default, less the caller's own stack).
A line nested deeper than that is reported as too deep (:data:`TOO_DEEP`), never raised. Real sessions nest about ten levels.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

import msgspec

from sesslog._patterns import LazyPattern
from sesslog.errors import FormatError
from sesslog.format.entries import Entry, SessionHeader

if TYPE_CHECKING:
    import json

__all__ = [
    "TOO_DEEP",
    "Undecodable",
    "decode_object",
    "decode_typed",
    "decode_value",
    "dumps_json",
    "encode_line",
    "encode_raw",
    "json_kind",
    "stdlib_decoder",
]


class Undecodable(msgspec.Struct, frozen=True, gc=False):
    """Why bytes gave no JSON value.

    Attributes:
        too_deep: True when the bytes nest deeper than the decoders can follow (see the
            module's note on depth); false when they are not valid JSON (nor valid for
            JavaScript's ``JSON.parse``).
        detail: What the decoder said, for people.
    """

    too_deep: bool
    detail: str


#: What a line nested too deep gives.
TOO_DEEP = Undecodable(True, "JSON nested deeper than the decoder can follow")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DICT_DECODER = msgspec.json.Decoder()
_RAW_DECODER = msgspec.json.Decoder(msgspec.Raw)
_ENCODER = msgspec.json.Encoder()
_JSON_SPACE = " \t\r\n"
_LEADING_SPACE = LazyPattern(rb"[ \t\r\n]*")
_SURROGATE_ESCAPE = LazyPattern(rb"\\u[dD][89a-fA-F]")
_SURROGATE = LazyPattern("[\ud800-\udfff]")
_SCRATCH_KEPT = 1 << 20  # see encode_raw
#: The kind of JSON value a first byte starts (any other starts a number).
_KINDS = {
    ord("{"): "object",
    ord("["): "array",
    ord('"'): "string",
    ord("t"): "boolean",
    ord("f"): "boolean",
    ord("n"): "null",
}
#: Every error a decode of hostile bytes can raise, short of running out of memory.
_DECODE_ERRORS = (msgspec.MsgspecError, UnicodeError, ValueError, OverflowError, TypeError)


@functools.cache
def stdlib_decoder() -> json.JSONDecoder:
    """The standard library's decoder, refusing ``NaN`` and ``Infinity`` as ``JSON.parse``
    does (made on first use: clean lines never need it, nor :mod:`json`)."""
    import json

    return json.JSONDecoder(parse_constant=_reject_constant)


@functools.cache
def _typed_decoders() -> tuple[msgspec.json.Decoder[Entry], msgspec.json.Decoder[SessionHeader]]:
    """The decoders of typed entries and headers (made on first use: the decoder of every
    entry type takes milliseconds to make, and a read that keeps raw lines never uses it)."""
    return msgspec.json.Decoder(Entry), msgspec.json.Decoder(SessionHeader)


def decode_value(raw: bytes) -> Any:
    """Decode one JSON value, accepting lone surrogate escapes; never raises.

    Bytes that are not UTF-8 read as U+FFFD, as pi (JavaScript) reads them; the line's own
    bytes stay untouched wherever they are kept.

    Args:
        raw: The bytes of one JSON document (no trailing newline needed).

    Returns:
        The decoded value, or an :class:`Undecodable` saying why there is none.
    """
    try:
        return _DICT_DECODER.decode(raw)
    except RecursionError:
        return TOO_DEEP
    except _DECODE_ERRORS:
        pass
    return _decode_stdlib(raw)


def _decode_stdlib(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8", "replace")
        start = len(text) - len(text.lstrip(_JSON_SPACE))
        value, end = stdlib_decoder().raw_decode(text, start)
    except RecursionError:
        return TOO_DEEP
    except _DECODE_ERRORS as exc:
        return Undecodable(False, str(exc))
    if text[end:].strip(_JSON_SPACE):
        return Undecodable(False, f"more after the JSON value (character {end})")
    return value


def decode_object(raw: bytes) -> Any:
    """Decode one JSON value like :func:`decode_value`, giving ``None`` when there is none.

    Returns:
        The decoded value, or ``None`` when ``raw`` is not valid JSON or is nested too deep.
        (A JSON ``null`` also decodes to ``None``; callers only accept objects, so the two
        need no distinction.)
    """
    value = decode_value(raw)
    return None if isinstance(value, Undecodable) else value


def json_kind(raw: bytes) -> str | Undecodable:
    """Check that ``raw`` is one JSON value and say what kind, without building it.

    A huge line costs one pass and no memory beyond its bytes (lines holding lone surrogate
    escapes excepted: those are decoded by the standard library to be checked).

    Returns:
        ``"object"``, ``"array"``, ``"string"``, ``"number"``, ``"boolean"`` or ``"null"``,
        or an :class:`Undecodable`.
    """
    try:
        _RAW_DECODER.decode(raw)
    except RecursionError:
        return TOO_DEEP
    except _DECODE_ERRORS as exc:
        if not _SURROGATE_ESCAPE.search(raw):
            return Undecodable(False, str(exc))
        value = _decode_stdlib(raw)
        if isinstance(value, Undecodable):
            return value
    start = _LEADING_SPACE.match(raw).end()  # type: ignore[union-attr]  # "*" always matches
    return _KINDS.get(raw[start], "number")


def decode_typed(raw: bytes) -> Entry | SessionHeader | None:
    """Decode a line into its typed Struct; never raises.

    Args:
        raw: One line's bytes.

    Returns:
        The typed header or entry, or ``None`` when the line is not of a known type or shape
        (unknown entry types, roles, blocks or ill-typed fields, or not JSON at all). The raw
        bytes stay the truth.
    """
    for decoder in _typed_decoders():
        try:
            typed: Entry | SessionHeader = decoder.decode(raw)
            return typed
        except (RecursionError, *_DECODE_ERRORS):
            pass
    value = decode_object(raw)
    if not isinstance(value, dict):
        return None
    # A lone surrogate in a tag value makes msgspec raise UnicodeEncodeError.
    for kind in (Entry, SessionHeader):
        try:
            converted: Entry | SessionHeader = msgspec.convert(value, kind)
            return converted
        except (RecursionError, *_DECODE_ERRORS):
            pass
    return None


def encode_line(value: Any) -> bytes:
    """Encode a header, entry Struct or plain object as one line ending in ``\\n``.

    Args:
        value: A msgspec Struct or JSON-compatible Python value.

    Returns:
        Compact JSON followed by a newline, in the key order pi writes.

    Raises:
        FormatError: The value cannot be encoded as JSON (or is nested too deep).
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
        FormatError: The value cannot be encoded as JSON (or is nested too deep).
    """
    try:
        if scratch is None:
            return _ENCODER.encode(value)
        _ENCODER.encode_into(value, scratch)
        raw = bytes(scratch)
        if len(raw) > _SCRATCH_KEPT:
            scratch.clear()  # gives the memory of a huge line back
        return raw
    except (RecursionError, TypeError, msgspec.EncodeError, UnicodeEncodeError, OverflowError):
        pass
    import json

    try:
        text = json.dumps(msgspec.to_builtins(value), ensure_ascii=False, separators=(",", ":"))
    except RecursionError as exc:
        raise FormatError("cannot encode value: nested too deep") from exc
    except (TypeError, ValueError, OverflowError, msgspec.MsgspecError) as exc:
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

    Raises:
        FormatError: The value cannot be written as JSON (or is nested too deep).
    """
    import json

    separators = (",", ":") if indent is None else None
    try:
        builtins = msgspec.to_builtins(value)
        text = json.dumps(builtins, ensure_ascii=False, indent=indent, separators=separators)
    except RecursionError as exc:
        raise FormatError("cannot write value as JSON: nested too deep") from exc
    except (TypeError, ValueError, OverflowError, msgspec.MsgspecError) as exc:
        raise FormatError(f"cannot write value as JSON: {exc}") from exc
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(builtins, ensure_ascii=True, indent=indent, separators=separators)
    return text
