"""Line encoding and decoding: lone surrogates, bad bytes, deep nesting, huge numbers, and
errors that never leak."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from sesslog import FormatError
from sesslog import entries as E
from sesslog.format.codec import (
    TOO_DEEP,
    Undecodable,
    decode_object,
    decode_typed,
    decode_value,
    dumps_json,
    encode_line,
    encode_raw,
    json_kind,
)


def test_decode_object_reads_lone_surrogate_escapes() -> None:
    assert decode_object(b'{"text":"cut \\ud83d"}') == {"text": "cut \ud83d"}
    assert decode_object(b'{"text":"pair \\ud83d\\ude00"}') == {"text": "pair \U0001f600"}


@pytest.mark.parametrize(
    "raw", [b"", b"{", b'{"a":1} x', b'{"a":1}{"b":2}', b"\x00\x00", b"nul\x00l"]
)
def test_decode_object_returns_none_for_what_is_not_json(raw: bytes) -> None:
    assert decode_object(raw) is None


def test_decode_object_reads_invalid_utf8_as_replacement_characters() -> None:
    assert decode_object(b'{"t":"a\xffb"}') == {"t": "a\ufffdb"}


def test_encode_line_is_compact_and_ends_in_newline() -> None:
    assert encode_line({"a": [1, 2.5, None], "b": "é"}) == '{"a":[1,2.5,null],"b":"é"}\n'.encode()


def test_encode_line_writes_lone_surrogates_as_escapes() -> None:
    """Output stays valid UTF-8 and reads back to the same string."""
    line = encode_line({"text": "cut \ud83d here", "ok": "é😀"})
    line.decode("utf-8")  # valid UTF-8: raises otherwise
    assert b"\\ud83d" in line
    assert "é😀".encode() in line
    assert decode_object(line[:-1]) == {"text": "cut \ud83d here", "ok": "é😀"}


def test_encode_line_of_a_struct_with_a_lone_surrogate() -> None:
    msg = E.UserMessage(content="\udc00 tail", timestamp=1)
    line = encode_line(msg)
    line.decode("utf-8")
    assert json.loads(line) == {"role": "user", "content": "\udc00 tail", "timestamp": 1}


def test_encode_line_raises_format_error_for_unencodable_values() -> None:
    with pytest.raises(FormatError):
        encode_line({"a": object()})
    # As JavaScript's JSON.stringify: NaN and infinities become null.
    assert encode_line({"a": float("nan"), "b": float("inf")}) == b'{"a":null,"b":null}\n'


def test_decode_typed_never_raises() -> None:
    for raw in (
        b"",
        b"[]",
        b"{",
        b'{"type":"message"}',
        b'{"type":"x\xff"}',
        b"\xed\xa0\x80",
        b'{"type":"\\ud83d"}',
        b'{"type":"message","id":"a","parentId":null,"timestamp":"t",'
        b'"message":{"role":"\\ud83d","content":"x"}}',
    ):
        assert decode_typed(raw) is None


def test_decode_typed_accepts_lone_surrogate_lines() -> None:
    raw = (
        b'{"type":"session_info","id":"a","parentId":null,'
        b'"timestamp":"2026-01-05T10:00:00.000Z","name":"x\\ud83d"}'
    )
    typed = decode_typed(raw)
    assert isinstance(typed, E.SessionInfoEntry) and typed.name == "x\ud83d"


def test_dumps_json_handles_structs_indent_and_surrogates() -> None:
    assert json.loads(dumps_json(E.TextContent(text="hi"))) == {"type": "text", "text": "hi"}
    assert dumps_json({"a": 1}, indent=2) == '{\n  "a": 1\n}'
    text = dumps_json({"s": "x\ud83d", "e": "é"})
    text.encode("utf-8")
    assert json.loads(text) == {"s": "x\ud83d", "e": "é"}
    assert dumps_json({"e": "é"}) == '{"e":"é"}'


def test_no_error_escapes_the_decoders() -> None:
    for raw in (
        b"\xff\xfe",
        b'{"id":"\xed\xa0\xbd"}',
        b"{" * 5000,
        b"[" * 5000,
        b'{"a":' + b"1" * 5000 + b"}",  # more digits than Python converts
        b'{"a":NaN}',
        b"\x00",
    ):
        try:
            decode_object(raw)
            decode_value(raw)
            decode_typed(raw)
            json_kind(raw)
        except Exception as exc:  # pragma: no cover - failure
            pytest.fail(f"codec leaked {exc!r} for {raw[:20]!r}")


N = 200_000
DEEP = {
    "arrays": b"[" * N,
    "arrays closed": b"[" * N + b"]" * N,
    "objects": b'{"a":' * N,
    "objects closed": b'{"a":' * N + b"1" + b"}" * N,
    "inside a record": b'{"type":"custom","id":"a","m":' + b"[" * N + b"]" * N + b"}",
    # msgspec refuses the lone surrogate, so the standard library's decoder meets the depth.
    "after a surrogate": b'{"s":"\\ud83d","m":' + b"[" * N + b"]" * N + b"}",
    "typed objects": b'{"type":' * N,
}


@pytest.mark.parametrize("raw", list(DEEP.values()), ids=list(DEEP))
def test_nesting_200000_deep_is_reported_never_raised(raw: bytes) -> None:
    assert decode_value(raw) is TOO_DEEP
    assert decode_object(raw) is None
    assert decode_typed(raw) is None
    assert json_kind(raw) is TOO_DEEP


def test_ordinary_nesting_still_decodes() -> None:
    raw = b'{"type":"custom","m":' + b"[" * 200 + b"1" + b"]" * 200 + b"}"
    value = decode_value(raw)
    assert isinstance(value, dict) and value["type"] == "custom"
    assert json_kind(raw) == "object"


def test_values_too_deep_to_encode_raise_format_error() -> None:
    deep: list[object] = []
    for _ in range(N):
        deep = [deep]
    with pytest.raises(FormatError, match="nested too deep"):
        encode_line({"m": deep})
    with pytest.raises(FormatError, match="nested too deep"):
        dumps_json({"m": deep})


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b" {} ", "object"),
        (b"[1]", "array"),
        (b'"s"', "string"),
        (b'"\\ud83d"', "string"),
        (b"-1.5e3", "number"),
        (b"true", "boolean"),
        (b"null", "null"),
    ],
)
def test_json_kind_names_the_value_without_building_it(raw: bytes, kind: str) -> None:
    assert json_kind(raw) == kind


@pytest.mark.parametrize("raw", [b"", b"[1,", b"{}{}", b"NaN", b"[Infinity]", b"x"])
def test_json_kind_and_decode_value_say_what_is_not_json(raw: bytes) -> None:
    for found in (json_kind(raw), decode_value(raw)):
        assert isinstance(found, Undecodable) and not found.too_deep and found.detail


def test_numbers_read_as_javascript_reads_them() -> None:
    assert decode_value(b'{"a":1e999,"b":-1e999}') == {"a": float("inf"), "b": float("-inf")}
    assert decode_value(b'{"a":' + b"9" * 100 + b"}") == {"a": int("9" * 100)}
    assert isinstance(decode_value(b'{"a":NaN}'), Undecodable)  # JSON.parse refuses it too


def _user_entry(text: str) -> E.MessageEntry:
    message = E.UserMessage(content=text, timestamp=1)
    return E.MessageEntry(id="a1", parent_id=None, timestamp="t", message=message)


def test_encode_raw_into_a_scratch_buffer_gives_the_same_bytes() -> None:
    scratch = bytearray()
    for text in ("long " * 300, "short", "\ud83d cut"):
        assert encode_raw(_user_entry(text), scratch) == encode_raw(_user_entry(text))
    with pytest.raises(FormatError):
        encode_raw({"x": object()}, scratch)
    assert encode_raw(_user_entry("after"), scratch) == encode_raw(_user_entry("after"))


def test_encode_raw_lets_the_memory_of_a_huge_line_go() -> None:
    scratch = bytearray()
    tracemalloc.start()
    try:
        huge = encode_raw(_user_entry("x" * 3_000_000), scratch)
        del huge
        assert tracemalloc.get_traced_memory()[0] < 100_000
    finally:
        tracemalloc.stop()
