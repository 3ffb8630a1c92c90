"""The pieces under the importers: salvage framing, format detection, ids, entry encoding."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from import_sources import SOURCES

from sesslog.format.ids import check_id
from sesslog.interop.detect import SourceFormat, detect_bytes, detect_format
from sesslog.interop.entries import Clock, encode_entry, safe_id
from sesslog.interop.framing import RecordDecoder, frame_records


class _Any(msgspec.Struct):
    type: object = None


DECODE = RecordDecoder(_Any)


def _frame(data: bytes) -> tuple[list[bytes], list[tuple[int, int, str]]]:
    framed = frame_records(data, DECODE)
    return [bytes(r.raw) for r in framed.records], [
        (d.line, d.offset, d.reason) for d in framed.damage
    ]


def test_clean_lines() -> None:
    assert _frame(b'{"type":"a"}\n{"type":"b"}\n') == ([b'{"type":"a"}', b'{"type":"b"}'], [])


def test_glued_records_split_with_their_offsets() -> None:
    data = b'{"type":"a"}\n{"type":"b"}{"type":"c"}\n'
    framed = frame_records(data, DECODE)
    assert [(bytes(r.raw), r.line, r.offset) for r in framed.records] == [
        (b'{"type":"a"}', 1, 0),
        (b'{"type":"b"}', 2, 13),
        (b'{"type":"c"}', 2, 25),
    ]
    assert [(d.line, d.offset, d.reason) for d in framed.damage] == [(2, 13, "glued_records")]


def test_torn_record_before_a_complete_one() -> None:
    records, damage = _frame(b'{"type":"a","x":[{"type":"b"},1\n')
    assert records == []
    assert damage == [(1, 0, "bad_json")]
    records, damage = _frame(b'{"type":"a","x":"cut{"type":"b"}\n')
    assert records == [b'{"type":"b"}']
    assert [d[2] for d in damage] == ["glued_records", "bad_json"]


def test_torn_tail_and_missing_newline() -> None:
    assert _frame(b'{"type":"a"}\n{"type":"b","te') == ([b'{"type":"a"}'], [(2, 13, "torn_tail")])
    assert _frame(b'{"type":"a"}\n{"type":"b"}') == (
        [b'{"type":"a"}', b'{"type":"b"}'],
        [(2, 13, "missing_newline")],
    )


def test_crlf_bom_blank_and_nuls() -> None:
    data = b'\xef\xbb\xbf{"type":"a"}\r\n\r\n{"type":"b"}\n' + b"\x00" * 40
    records, damage = _frame(data)
    assert records == [b'{"type":"a"}', b'{"type":"b"}']
    assert sorted(d[2] for d in damage) == ["blank_line", "bom", "crlf", "trailing_nuls"]


def test_nul_run_inside_the_file_is_skipped_not_the_end() -> None:
    records, damage = _frame(b'{"type":"a"}\n\x00\x00\x00\n{"type":"b"}\n')
    assert records == [b'{"type":"a"}', b'{"type":"b"}']
    assert damage == [(2, 13, "trailing_nuls")]


def test_not_objects_and_bad_encoding() -> None:
    records, damage = _frame(b'[1]\n"x"\nnull\n{"type":"a"}\n')
    assert records == [b'{"type":"a"}']
    assert [d[2] for d in damage] == ["not_object", "not_object", "not_object"]
    records, damage = _frame(b'{"type":"caf\xe9"}\n')  # read as pi reads it: U+FFFD
    assert records == [b'{"type":"caf\xe9"}'] and damage == []
    assert _frame(b"\xff\xfe garbage\n")[1] == [(1, 0, "bad_encoding")]


def test_lone_surrogate_is_read() -> None:
    framed = frame_records(b'{"type":"\\ud83d"}\n', DECODE)
    assert framed.records[0].value.type == "\ud83d"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (SOURCES / "claude" / "small.jsonl", SourceFormat.CLAUDE),
        (SOURCES / "claude" / "damaged" / "bom.jsonl", SourceFormat.CLAUDE),
        (SOURCES / "claude" / "damaged" / "mid_conversation.jsonl", SourceFormat.CLAUDE),
        (SOURCES / "codex" / "small.jsonl", SourceFormat.CODEX),
        (SOURCES / "codex" / "damaged" / "glued_records.jsonl", SourceFormat.CODEX),
        (SOURCES / "pi" / "legacy-v2.jsonl", SourceFormat.PI),
        (SOURCES / "pi" / "openclaw.jsonl", SourceFormat.PI),
    ],
)
def test_detect_format(path: Path, expected: SourceFormat) -> None:
    assert detect_format(path) is expected


def test_detect_glued_first_line_and_unknowns() -> None:
    assert detect_bytes(b'{"type":"summary","summary":"s","leafUuid":"x"}{"type":"user"}\n') is (
        SourceFormat.CLAUDE
    )
    assert detect_bytes(b'{"a":1}\n{"b":2}\n') is None
    assert detect_bytes(b"") is None
    assert detect_bytes(b"not json at all\n") is None
    assert detect_bytes(b'{"type":["list"]}\n') is None


def test_safe_ids() -> None:
    uuid = "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11"
    assert safe_id(uuid) == uuid
    assert safe_id("x" * 128) == "x" * 128  # the store's id rule: up to 128 characters
    for unsafe in ("../../etc/passwd", ".hidden", "a/b", "x" * 129, "", "-x", "a b", "a..b", "a."):
        made = safe_id(unsafe)
        assert made != unsafe and len(made) == 36
        assert check_id(made) == made
        assert made == safe_id(unsafe)  # the same every time


def test_clock_keeps_the_last_good_time() -> None:
    clock = Clock()
    clock.seen("2026-01-05T10:00:00.123Z")
    assert (clock.iso, clock.ms) == ("2026-01-05T10:00:00.123Z", 1767607200123)
    clock.seen("not a time")
    clock.seen(None)
    assert clock.iso == "2026-01-05T10:00:00.123Z"
    clock.seen("2026-01-05T11:00:00+01:00")
    assert clock.iso == "2026-01-05T10:00:00.000Z"


def test_encode_entry_embeds_records_byte_for_byte_even_with_lone_surrogates() -> None:
    raw = b'{"k": "\\u00e9 \\ud83d",  "n": 5.0}'
    entry = {"type": "custom", "id": "x", "text": "cut \ud83d", "sourceRecords": [msgspec.Raw(raw)]}
    line = encode_entry(entry)
    assert line.endswith(b',"sourceRecords":[' + raw + b"]}")
    assert json.loads(line)["text"] == "cut \ud83d"
    custom = {"type": "custom", "id": "y", "note": "\udc00", "data": msgspec.Raw(raw)}
    assert encode_entry(custom).endswith(b',"data":' + raw + b"}")


def test_fixtures_are_up_to_date(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(SOURCES.parents[1]))
    from fixtures.sources import generate_all

    written = generate_all(tmp_path)
    for path in written:
        relative = path.relative_to(tmp_path)
        assert (SOURCES / relative).read_bytes() == path.read_bytes(), relative
    committed = {p.relative_to(SOURCES) for p in SOURCES.rglob("*") if p.is_file()}
    assert committed == {p.relative_to(tmp_path) for p in written}
