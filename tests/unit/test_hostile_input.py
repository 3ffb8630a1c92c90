"""Hostile and absurd input: the reader never raises, reports each line it does not take with
its line number and byte offset, reads every later line, and stays linear on huge lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesslog import FormatError, ReadMode, Session, SessionTree
from sesslog.format.diagnostics import Severity
from sesslog.format.glued import split_glued
from sesslog.format.reader import read_bytes
from sesslog.format.timestamps import iso_to_ms

N = 200_000
DEEP_LINES = {
    "arrays": b"[" * N,
    "objects": b'{"a":' * N,
    "typed objects": b'{"type":' * N,
    "inside a record": (
        b'{"type":"custom","id":"d","parentId":"e1","timestamp":"2026-01-05T10:00:00.000Z",'
        b'"customType":"x","data":' + b"[" * N + b"]" * N + b"}"
    ),
}


def _starts(data: bytes) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, byte in enumerate(data) if byte == 0x0A)
    return starts


@pytest.mark.parametrize("deep", list(DEEP_LINES.values()), ids=list(DEEP_LINES))
@pytest.mark.parametrize("mode", list(ReadMode))
def test_a_line_nested_200000_deep_is_skipped_and_later_lines_read(
    lines, deep: bytes, mode: ReadMode
) -> None:
    data = lines.session(lines.entry("e1", None), deep + b"\n", lines.entry("e2", "e1"))
    result = read_bytes(data, mode)
    tree = SessionTree(result.records, result.diagnostics)
    assert tree.path_ids() == ["e1", "e2"]
    found = [(d.line, d.offset, d.reason, d.severity) for d in result.diagnostics.diagnostics]
    assert found == [(3, _starts(data)[2], "too_deep", "error")]


def test_a_deep_line_fails_a_strict_open_naming_line_and_offset(lines, tmp_path: Path) -> None:
    data = lines.session(lines.entry("e1", None), b"[" * N + b"\n")
    path = tmp_path / "deep.jsonl"
    path.write_bytes(data)
    with pytest.raises(FormatError) as caught:
        Session.open(path, mode="strict")
    assert (caught.value.line, caught.value.offset, caught.value.reason) == (
        3,
        _starts(data)[2],
        "too_deep",
    )
    session = Session.open(path)
    assert session.leaf_id == "e1" and session.diagnostics.errors


def test_a_deep_unterminated_tail_is_too_deep_and_cut_by_a_writer(lines) -> None:
    data = lines.session(lines.entry("e1", None)) + b"[" * N
    result = read_bytes(data)
    assert [d.reason for d in result.diagnostics.diagnostics] == ["too_deep"]
    assert result.valid_size == _starts(data)[2]


def test_a_record_glued_to_a_deep_tail_is_salvaged(lines) -> None:
    first = lines.entry("e2", "e1")
    data = lines.session(lines.entry("e1", None), first[:-1] + b'{"type":[' * N + b"\n")
    tolerant = read_bytes(data)
    assert [d.reason for d in tolerant.diagnostics.diagnostics] == ["glued_records"]
    salvage = read_bytes(data, ReadMode.SALVAGE)
    assert [rec.id for rec in salvage.records] == ["e1", "e2"]
    assert salvage.records[1].raw == first[:-1]


def test_many_glued_records_on_one_line(lines) -> None:
    pieces = [lines.entry(f"g{i}", f"g{i - 1}" if i else "e1")[:-1] for i in range(20_000)]
    data = lines.session(lines.entry("e1", None), b"".join(pieces) + b"\n")
    tolerant = read_bytes(data)
    [glued] = tolerant.diagnostics.diagnostics
    assert glued.reason == "glued_records" and "100 or more" in glued.detail
    salvage = read_bytes(data, ReadMode.SALVAGE)
    assert [rec.raw for rec in salvage.records[1:]] == pieces
    assert SessionTree(salvage.records).leaf_id == "g19999"


def test_glued_search_work_stays_bounded_on_hostile_lines() -> None:
    """Every candidate of these lines fails far from where it starts; a search that tried
    them all would go over the line once per candidate (hours for these sizes)."""
    nested = (b'{"type":[' + b"1," * 50) * 40_000  # 4 MB, each candidate parses to the depth limit
    torn = b'{"type":"a","x":"' + b'{"type":"b","y":"' * 400_000  # strings that never close
    for raw in (nested, torn):
        assert split_glued(raw) == []
    complete = b'{"type":"c"}'
    assert split_glued(b"[" * 1000 + complete) == [(1000, 1000 + len(complete))]


def test_nul_only_lines_before_records_stay_linear(lines) -> None:
    data = lines.session(lines.entry("e1", None), b"\x00\n" * 100_000, lines.entry("e2", "e1"))
    result = read_bytes(data)
    assert [rec.id for rec in result.records] == ["e1", "e2"]
    nuls = result.diagnostics.by_reason("trailing_nuls")
    assert len(nuls) == 100_000 and nuls[0].line == 3


def test_a_blank_unterminated_final_line_is_reported_and_cut(lines) -> None:
    data = lines.session(lines.entry("e1", None)) + b"   "
    result = read_bytes(data)
    [diag] = result.diagnostics.diagnostics
    assert (diag.line, diag.offset, diag.reason, diag.severity) == (
        3,
        len(data) - 3,
        "blank_line",
        "notice",
    )
    assert result.valid_size == len(data) - 3


def test_details_stay_short_whatever_the_values(lines) -> None:
    long_parent = "p" * 1_000_000
    deep_version: object = []
    for _ in range(5_000):
        deep_version = [deep_version]
    data = lines.header(version=[[[[1]]]]) + lines.entry("e1", long_parent)
    result = read_bytes(data)
    tree = SessionTree(result.records, result.diagnostics)
    assert tree.leaf_id == "e1"
    assert {d.reason for d in result.diagnostics.diagnostics} == {"bad_header", "orphaned_parent"}
    assert all(len(d.detail) < 400 for d in result.diagnostics.diagnostics)


def test_a_long_cycle_is_named_briefly(lines) -> None:
    count = 50_000
    entries = [lines.entry(f"c{i}", f"c{(i + 1) % count}") for i in range(count)]
    result = read_bytes(lines.session(*entries))
    tree = SessionTree(result.records, result.diagnostics)
    [cycle] = tree.diagnostics.by_reason("cycle")
    assert f"({count} entries)" in cycle.detail and len(cycle.detail) < 400
    assert len(tree.path("c0")) == count  # the loop is cut at its last line, c49999


@pytest.mark.parametrize(
    "stamp",
    ["2026-13-01T00:00:00.000Z", "0000-01-01T00:00:00.000Z", "2026-01-01T25:61:00.000Z", "x"],
)
def test_impossible_timestamps_sort_last_and_give_null_times(lines, stamp: str) -> None:
    data = lines.session(
        lines.entry("r", None),
        lines.entry("b1", "r", timestamp=stamp),
        lines.entry("b2", "r"),
        lines.entry("m", "b1", "custom_message", timestamp=stamp, content="x", display=True),
    )
    session = Session.from_data(read_bytes(data), path=None)
    assert session.tree.children("r") == ["b2", "b1"]
    assert session.context().messages[-1]["timestamp"] is None
    assert iso_to_ms(stamp) is None and iso_to_ms("\ud800") is None


def test_a_header_id_unfit_for_paths_opens_with_a_notice(lines, tmp_path: Path) -> None:
    path = tmp_path / "odd-id.jsonl"
    path.write_bytes(lines.session(lines.entry("e1", None), id="../../../etc/x"))
    session = Session.open(path)
    [diag] = session.diagnostics.diagnostics
    assert (diag.line, diag.offset, diag.reason) == (1, 0, "invalid_id")
    assert diag.severity == Severity.NOTICE and "'/'" in diag.detail
    assert session.id == "../../../etc/x" and session.leaf_id == "e1"
    fork = session.fork(root=tmp_path / "root")
    assert fork.path is not None and fork.path.is_relative_to(tmp_path / "root")
    assert fork.id != session.id
