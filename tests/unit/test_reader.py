"""The reader on damaged files: every kind of damage of the format contract (sections 1 and 9)
gives a diagnostic with the right line and byte offset, nothing readable is lost, and strict
mode raises an error naming the file, the line and the offset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sesslog import (
    FormatError,
    ReadMode,
    ReadOnlySessionError,
    Session,
    SessionTree,
    UnsupportedVersionError,
)
from sesslog.format.glued import split_glued
from sesslog.format.reader import SessionData, read_bytes, read_file

TOLERANT_MODES = (ReadMode.TOLERANT, ReadMode.SALVAGE)


def line_offsets(data: bytes) -> list[int]:
    """Byte offset of each line start; line N starts at ``[N - 1]``."""
    offsets = [0]
    pos = data.find(b"\n")
    while pos != -1:
        offsets.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    return offsets


def read_all(data: bytes, mode: ReadMode = ReadMode.TOLERANT) -> tuple[SessionData, SessionTree]:
    """Read bytes and build the tree (whose checks add duplicate, orphan and cycle reports)."""
    result = read_bytes(data, mode, path="mem.jsonl")
    tree = SessionTree(result.records, result.diagnostics)
    result.diagnostics.sort()
    return result, tree


def reported(data: SessionData) -> list[tuple[int, int, str]]:
    return [(d.line, d.offset, d.reason) for d in data.diagnostics.diagnostics]


def open_strict(tmp_path: Path, data: bytes) -> FormatError:
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(data)
    with pytest.raises(FormatError) as caught:
        Session.open(path, mode="strict")
    return caught.value


# --------------------------------------------------------------------------- framing damage


def test_torn_tail_is_reported_and_cut_from_the_valid_size(lines, tmp_path: Path) -> None:
    full = lines.entry("e2", "e1")
    data = lines.session(lines.entry("e1", None), full[: len(full) // 2])
    offsets = line_offsets(data)
    for mode in TOLERANT_MODES:
        result, tree = read_all(data, mode)
        assert reported(result) == [(3, offsets[2], "torn_tail")]
        assert [rec.id for rec in tree] == ["e1"]
        assert result.valid_size == offsets[2]
    err = open_strict(tmp_path, data)
    assert (err.line, err.offset, err.reason) == (3, offsets[2], "torn_tail")
    assert str(tmp_path / "damaged.jsonl") in str(err) and f"{3}" in str(err)


def test_complete_final_record_without_newline_is_kept(lines) -> None:
    data = lines.session(lines.entry("e1", None), lines.entry("e2", "e1")[:-1])
    result, tree = read_all(data)
    assert reported(result) == [(3, line_offsets(data)[2], "missing_newline")]
    assert tree.leaf_id == "e2"
    assert result.valid_size == len(data)


def test_in_progress_tail_is_not_called_torn(lines) -> None:
    data = lines.session(lines.entry("e1", None), b'{"type":"custom","id":"e2"')
    result = read_bytes(data, tail_in_progress=True)
    assert [d.reason for d in result.diagnostics.diagnostics] == ["in_progress"]


def test_glued_records_tolerant_reports_salvage_keeps_both(lines, tmp_path: Path) -> None:
    first, second = lines.entry("e2", "e1"), lines.entry("e3", "e2")
    glued = first[:-1] + second
    data = lines.session(lines.entry("e1", None), glued, lines.entry("e4", "e3"))
    offsets = line_offsets(data)

    tolerant, tree = read_all(data)
    assert (3, offsets[2], "glued_records") in reported(tolerant)
    assert (4, offsets[3], "orphaned_parent") in reported(tolerant)
    assert [rec.id for rec in tree] == ["e1", "e4"]

    salvage, tree = read_all(data, ReadMode.SALVAGE)
    assert reported(salvage) == [(3, offsets[2], "glued_records")]
    assert tree.path_ids() == ["e1", "e2", "e3", "e4"]
    by_id = {rec.id: rec for rec in salvage.records}
    assert by_id["e2"].raw == first[:-1] and by_id["e3"].raw == second[:-1]
    assert by_id["e2"].offset == offsets[2]
    assert by_id["e3"].offset == offsets[2] + len(first) - 1
    assert data[by_id["e3"].offset :].startswith(second)

    err = open_strict(tmp_path, data)
    assert (err.line, err.offset, err.reason) == (3, offsets[2], "glued_records")


def test_salvage_keeps_the_complete_record_after_a_torn_one(lines) -> None:
    torn = lines.entry("e2", "e1")[:40]
    whole = lines.entry("e3", "e1")
    data = lines.session(lines.entry("e1", None), torn + whole)
    result, tree = read_all(data, ReadMode.SALVAGE)
    assert [d.reason for d in result.diagnostics.diagnostics] == ["glued_records"]
    assert tree.path_ids() == ["e1", "e3"]
    assert tree.get("e3").raw == whole[:-1]


def test_split_glued_ignores_objects_nested_in_a_torn_record() -> None:
    torn = b'{"type":"message","id":"a","message":{"content":[{"type":"text","text":"x"},'
    whole = b'{"type":"custom","id":"b"}'
    assert split_glued(torn + whole) == [(len(torn), len(torn) + len(whole))]


def test_bom_is_reported_and_the_header_read(lines, tmp_path: Path) -> None:
    clean = lines.session(lines.entry("e1", None))
    data = b"\xef\xbb\xbf" + clean
    result, tree = read_all(data)
    assert reported(result) == [(1, 0, "bom")]
    assert result.header is not None and result.header["version"] == 3
    assert result.header_raw == clean.split(b"\n")[0]
    assert tree.leaf_id == "e1"
    assert open_strict(tmp_path, data).reason == "bom"


def test_crlf_lines_are_read_and_reported_once(lines) -> None:
    clean = lines.session(lines.entry("e1", None), lines.entry("e2", "e1"))
    data = clean.replace(b"\n", b"\r\n")
    result, tree = read_all(data)
    assert reported(result) == [(1, 0, "crlf")]
    assert tree.path_ids() == ["e1", "e2"]
    assert all(not rec.raw.endswith(b"\r") for rec in result.records)
    assert tree.get("e2").offset == line_offsets(data)[2]


def test_trailing_nuls_are_reported_and_not_valid(lines, tmp_path: Path) -> None:
    clean = lines.session(lines.entry("e1", None), lines.entry("e2", "e1"))
    data = clean + b"\x00" * 4096
    result, tree = read_all(data)
    assert reported(result) == [(4, len(clean), "trailing_nuls")]
    assert "4096" in result.diagnostics.diagnostics[0].detail
    assert result.valid_size == len(clean)
    assert tree.path_ids() == ["e1", "e2"]
    err = open_strict(tmp_path, data)
    assert (err.line, err.offset) == (4, len(clean))


def test_nuls_in_the_middle_are_reported_and_the_rest_kept(lines) -> None:
    data = lines.session(
        lines.entry("e1", None),
        b"\x00" * 10 + b"\n",
        b"\x00\x00" + lines.entry("e2", "e1"),
    )
    offsets = line_offsets(data)
    result, tree = read_all(data)
    assert reported(result) == [(3, offsets[2], "trailing_nuls"), (4, offsets[3], "trailing_nuls")]
    assert tree.path_ids() == ["e1", "e2"]


def test_blank_lines_are_reported_and_skipped(lines) -> None:
    data = lines.session(lines.entry("e1", None), b"\n", b"   \n", lines.entry("e2", "e1"))
    offsets = line_offsets(data)
    result, tree = read_all(data)
    assert reported(result) == [(3, offsets[2], "blank_line"), (4, offsets[3], "blank_line")]
    assert tree.path_ids() == ["e1", "e2"]
    assert tree.get("e2").line == 5


def test_glued_line_beside_a_blank_line_is_not_misread(lines) -> None:
    """One line holding two objects and one blank line must not shift records against lines."""
    glued = lines.entry("e2", "e1")[:-1] + lines.entry("e3", "e2")
    data = lines.session(lines.entry("e1", None), glued, b"   \n", lines.entry("e4", "e3"))
    result, _ = read_all(data, ReadMode.SALVAGE)
    for rec in result.records:
        assert data[rec.offset : rec.offset + len(rec.raw)] == rec.raw
        assert json.loads(rec.raw)["id"] == rec.id
    assert "glued_records" in {d.reason for d in result.diagnostics.diagnostics}


def test_lone_surrogate_escape_is_read_and_kept(lines, helpers) -> None:
    text = "cut emoji \\ud83d here"
    raw_line = lines.user("e2", "e1", "placeholder").replace(b"placeholder", text.encode())
    data = lines.session(lines.entry("e1", None), raw_line)
    result, tree = read_all(data)
    assert result.diagnostics.ok
    rec = tree.get("e2")
    assert rec.raw == raw_line[:-1]
    assert rec.decode()["message"]["content"] == "cut emoji \ud83d here"
    assert helpers.rebuilt_bytes(result) == data
    context = helpers.context_json(Session.from_data(result, path=None).context())
    assert context["messages"][0]["content"] == "cut emoji \ud83d here"


@pytest.mark.parametrize("bad", [b"x\xed\xa0\xbdy", b"x\xffy"], ids=["raw-surrogate", "ff"])
def test_bytes_that_are_not_utf8_are_kept_and_read_as_pi_reads_them(
    lines, helpers, bad: bytes
) -> None:
    """A raw surrogate (or any invalid UTF-8) keeps its line byte for byte; the decoded view
    shows U+FFFD where pi (JavaScript) shows it, in the content and even in an id."""
    user = lines.user("e2", "e1", "placeholder").replace(b"placeholder", bad)
    odd_id = lines.entry("e3" + bad.decode("latin-1"), "e2").replace(
        bad.decode("latin-1").encode(), bad
    )
    data = lines.session(lines.entry("e1", None), user, odd_id)
    result, tree = read_all(data)
    assert result.diagnostics.ok
    assert helpers.rebuilt_bytes(result) == data
    assert tree.get("e2").raw == user[:-1]
    text = bad.decode("utf-8", "replace")
    assert tree.path_ids() == ["e1", "e2", "e3" + text]
    context = Session.from_data(result, path=None).context()
    assert context.messages[0]["content"] == text


# --------------------------------------------------------------------------- record damage


def test_duplicate_header_is_reported_and_entries_kept(lines, tmp_path: Path) -> None:
    data = lines.session(lines.entry("e1", None), lines.header(), lines.entry("e2", "e1"))
    offsets = line_offsets(data)
    result, tree = read_all(data)
    assert reported(result) == [(3, offsets[2], "duplicate_header")]
    assert tree.path_ids() == ["e1", "e2"]
    assert open_strict(tmp_path, data).line == 3


@pytest.mark.parametrize(
    ("changed", "reason"),
    [(False, "duplicate_id_identical"), (True, "duplicate_id_conflicting")],
)
def test_duplicate_ids(lines, tmp_path: Path, changed: bool, reason: str) -> None:
    first = lines.entry("e2", "e1", timestamp="2026-01-05T11:00:00.000Z")
    again = first.replace(b'"test"', b'"other"') if changed else first
    data = lines.session(lines.entry("e1", None), first, again, lines.entry("e3", "e2"))
    offsets = line_offsets(data)
    result, tree = read_all(data)
    assert reported(result) == [(4, offsets[3], reason)]
    assert "line 3" in result.diagnostics.diagnostics[0].detail
    assert tree.path_ids() == ["e1", "e2", "e3"]
    assert tree.get("e2").raw == first[:-1]
    assert len(result.records) == 4  # the reader keeps the line; the tree reports it
    assert open_strict(tmp_path, data).reason == reason


def test_self_parent_is_a_root(lines, tmp_path: Path) -> None:
    data = lines.session(lines.entry("e1", None), lines.entry("e2", "e2"))
    result, tree = read_all(data)
    assert reported(result) == [(3, line_offsets(data)[2], "self_parent")]
    assert tree.roots() == ["e1", "e2"]
    assert tree.path_ids() == ["e2"]
    assert open_strict(tmp_path, data).line == 3


def test_two_entry_cycle_is_broken_where_it_closes(lines, tmp_path: Path) -> None:
    data = lines.session(
        lines.entry("e1", None),
        lines.entry("a", "b"),
        lines.entry("b", "a"),
        lines.entry("c", "b"),
    )
    offsets = line_offsets(data)
    result, tree = read_all(data)
    assert reported(result) == [(4, offsets[3], "cycle")]
    assert tree.roots() == ["e1", "b"]
    assert tree.path_ids() == ["b", "c"]
    assert tree.path_ids("a") == ["b", "a"]
    assert len(tree) == 4
    assert open_strict(tmp_path, data).reason == "cycle"


def test_long_cycle_does_not_hang(lines) -> None:
    count = 50_000
    body = [lines.entry(f"n{i}", f"n{(i - 1) % count}") for i in range(count)]
    result, tree = read_all(lines.session(*body))
    assert [d.reason for d in result.diagnostics.diagnostics] == ["cycle"]
    assert tree.roots() == [f"n{count - 1}"]
    assert len(tree.path(f"n{count - 2}")) == count
    assert len(tree.nodes()) == count


def test_orphan_is_a_root_and_nothing_else_changes(lines, tmp_path: Path) -> None:
    data = lines.session(
        lines.entry("e1", None), lines.entry("e2", "gone"), lines.entry("e3", "e2")
    )
    result, tree = read_all(data)
    assert reported(result) == [(3, line_offsets(data)[2], "orphaned_parent")]
    assert result.diagnostics.orphaned_parent_links == result.diagnostics.diagnostics
    assert tree.roots() == ["e1", "e2"]
    assert tree.path_ids() == ["e2", "e3"]
    assert open_strict(tmp_path, data).reason == "orphaned_parent"


def test_unknown_entry_type_is_a_node_with_its_bytes(lines, helpers) -> None:
    usage = lines.entry("u1", "e1", "usage", tokens=5, ratio=5.0, nested={"deep": [1, 2.50]})
    data = lines.session(lines.entry("e1", None), usage, lines.user("e2", "u1", "hi"))
    result, tree = read_all(data)
    assert result.diagnostics.ok
    assert tree.path_ids() == ["e1", "u1", "e2"]
    assert tree.get("u1").raw == usage[:-1]
    assert tree.get("u1").typed() is None
    assert helpers.rebuilt_bytes(result) == data
    session = Session.from_data(result, path=None)
    assert session.export_jsonl() == data
    assert [m["content"] for m in session.context().messages] == ["hi"]


def test_future_version_opens_read_only(lines, tmp_path: Path) -> None:
    data = lines.session(lines.entry("e1", None), version=4)
    path = tmp_path / "future.jsonl"
    path.write_bytes(data)
    session = Session.open(path)
    assert session.read_only
    assert [(d.line, d.offset, d.reason) for d in session.diagnostics.diagnostics] == [
        (1, 0, "unknown_version")
    ]
    assert session.leaf_id == "e1"
    with pytest.raises(ReadOnlySessionError):
        session.append_user_message("hello")
    assert path.read_bytes() == data
    with pytest.raises(UnsupportedVersionError) as caught:
        Session.open(path, mode="strict")
    assert (caught.value.line, caught.value.offset) == (1, 0)


def test_missing_header_opens_read_only_and_is_never_written(lines, tmp_path: Path) -> None:
    body = lines.entry("e1", None) + lines.entry("e2", "e1")
    torn = body + b'{"type":"custom","id":"e3","par'
    path = tmp_path / "headless.jsonl"
    path.write_bytes(torn)
    session = Session.open(path)
    assert session.read_only
    assert ("bad_header", 1, 0) in [
        (d.reason, d.line, d.offset) for d in session.diagnostics.diagnostics
    ]
    assert session.tree.path_ids() == ["e1", "e2"]
    attempts = [
        lambda: session.append_user_message("hi"),
        lambda: session.append_custom("x"),
        lambda: session.set_name("name"),
        lambda: session.set_label("e1", "label"),
        lambda: session.branch("e1"),
        lambda: session.append_entry({"type": "custom", "id": "zz", "parentId": None}),
    ]
    for attempt in attempts:
        with pytest.raises(ReadOnlySessionError):
            attempt()
    session.close()
    assert path.read_bytes() == torn
    assert sorted(p.name for p in tmp_path.iterdir()) == ["headless.jsonl"]
    err = open_strict(tmp_path, body)
    assert (err.line, err.offset, err.reason) == (1, 0, "bad_header")


def test_empty_file_reports_a_missing_header() -> None:
    result = read_bytes(b"")
    assert [(d.line, d.offset, d.reason) for d in result.diagnostics.diagnostics] == [
        (1, 0, "bad_header")
    ]
    assert result.diagnostics.read_only


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b'{"type":"custom","id":"x",,}\n', "bad_json"),
        (b"not json at all\n", "bad_json"),
        (b"[1, 2, 3]\n", "not_object"),
        (b'"a string"\n', "not_object"),
        (b"null\n", "not_object"),
        (b"42\n", "not_object"),
        (
            b'{"type":"custom","parentId":"e1","timestamp":"2026-01-05T10:00:09.000Z"}\n',
            "missing_id",
        ),
        (b'{"type":"custom","id":7,"parentId":"e1"}\n', "missing_id"),
        (b'{"type":"custom","id":"","parentId":"e1"}\n', "missing_id"),
        (b'{"id":"x","parentId":"e1"}\n', "missing_id"),
    ],
)
def test_unreadable_line_is_reported_and_skipped(
    lines, tmp_path: Path, bad: bytes, reason: str
) -> None:
    data = lines.session(lines.entry("e1", None), bad, lines.entry("e2", "e1"))
    offset = line_offsets(data)[2]
    for mode in TOLERANT_MODES:
        result, tree = read_all(data, mode)
        assert reported(result) == [(3, offset, reason)]
        assert tree.path_ids() == ["e1", "e2"]
        assert tree.get("e2").line == 4
    err = open_strict(tmp_path, data)
    assert (err.line, err.offset, err.reason) == (3, offset, reason)
    assert err.path == str(tmp_path / "damaged.jsonl")
    assert f"damaged.jsonl:3 (byte {offset})" in str(err)


def test_clean_file_reports_nothing_and_strict_opens(lines, tmp_path: Path) -> None:
    data = lines.session(lines.entry("e1", None), lines.user("e2", "e1", "hi"))
    path = tmp_path / "clean.jsonl"
    path.write_bytes(data)
    assert Session.open(path, mode="strict").tree.path_ids() == ["e1", "e2"]
    result = read_file(path)
    assert result.diagnostics.ok and result.valid_size == result.size == len(data)


# --------------------------------------------------------------------------- generated damage


_SAME_REASON = {"cycle": {"cycle", "self_parent"}}


def _matches(expected: dict[str, Any], found: set[tuple[int, int, str]]) -> bool:
    reasons = _SAME_REASON.get(expected["reason"], {expected["reason"]})
    return any((expected["line"], expected["offset"], r) in found for r in reasons)


@pytest.mark.parametrize("mode", TOLERANT_MODES, ids=lambda m: m.value)
def test_generated_damage_matches_the_manifest(
    damage_case: str, manifest: dict[str, dict[str, Any]], damaged_dir: Path, mode: ReadMode
) -> None:
    case = manifest[damage_case]
    data = (damaged_dir / case["file"]).read_bytes()
    result, tree = read_all(data, mode)
    found = set(reported(result))
    for item in case["damage"]:
        # Informational notes (valid files) may be given or not; errors must be.
        assert case["informational"] or _matches(item, found), item
    if mode is ReadMode.TOLERANT:
        for item in case["secondary"]:
            assert _matches(item, found), item
    expected_entries = case["entries"] if mode is ReadMode.TOLERANT else case["entriesSalvage"]
    assert len(tree) == expected_entries
    assert tree.leaf_id == case["leafId"]
    for rec in result.records:
        kept = rec.source if rec.source is not None else rec.raw
        assert data[rec.offset : rec.offset + len(kept)] == kept


def test_generated_damage_strict_names_the_first_problem(
    damage_case: str, manifest: dict[str, dict[str, Any]], damaged_dir: Path, tmp_path: Path
) -> None:
    case = manifest[damage_case]
    data = (damaged_dir / case["file"]).read_bytes()
    tolerant, _ = read_all(data)
    if tolerant.diagnostics.ok:
        assert case["informational"]
        path = tmp_path / case["file"]
        path.write_bytes(data)
        Session.open(path, mode="strict")
        return
    first = tolerant.diagnostics.diagnostics[0]
    err = open_strict(tmp_path, data)
    assert (err.line, err.offset, err.reason) == (first.line, first.offset, first.reason)


# --------------------------------------------------------------------------- scale


def test_million_entry_chain_opens_without_recursion(tmp_path: Path) -> None:
    count = 1_000_000
    stamp = b'"timestamp":"2026-01-05T10:00:00.000Z"'
    path = tmp_path / "deep.jsonl"
    with path.open("wb") as out:
        out.write(b'{"type":"session","version":3,"id":"big",%s,"cwd":"/"}\n' % stamp)
        out.write(b'{"type":"custom","id":"0","parentId":null,%s,"customType":"t"}\n' % stamp)
        for start in range(1, count - 1, 100_000):
            out.write(
                b"".join(
                    b'{"type":"custom","id":"%x","parentId":"%x",%s,"customType":"t"}\n'
                    % (i, i - 1, stamp)
                    for i in range(start, min(start + 100_000, count - 1))
                )
            )
        out.write(
            b'{"type":"message","id":"end","parentId":"%x",%s,'
            b'"message":{"role":"user","content":"deep","timestamp":1767607201000}}\n'
            % (count - 2, stamp)
        )
    session = Session.open(path)
    assert session.diagnostics.ok
    assert len(session) == count
    path_ids = session.tree.path_ids()
    assert len(path_ids) == count and path_ids[0] == "0" and path_ids[-1] == "end"
    assert session.tree.depth("end") == count
    assert [m["content"] for m in session.context().messages] == ["deep"]
    assert len(session.tree.nodes()) == count
