"""Legacy files: the v1 -> v2 -> v3 chain in memory, and ``upgrade_file`` writing a copy."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from sesslog import FormatError, ReadOnlySessionError, Session
from sesslog.format.reader import ReadMode, read_bytes, read_file
from sesslog.format.upgrade import upgrade_objects, upgrade_v1_to_v2, upgrade_v2_to_v3
from sesslog.write.files import upgrade_file

V1_HEADER = {
    "type": "session",
    "id": "d703a1a9-1b7b-4fb1-b512-c9738b1fe617",
    "timestamp": "2025-11-20T23:33:50.805Z",
    "cwd": "/work",
    "provider": "anthropic",
    "modelId": "claude-sonnet-4-5",
    "thinkingLevel": "off",
}


def v1_user(text: str, second: int) -> dict[str, Any]:
    return {
        "type": "message",
        "timestamp": f"2025-11-20T23:34:{second:02d}.000Z",
        "message": {"role": "user", "content": text, "timestamp": 1763681640000 + second},
    }


def v1_file(lines, *entries: dict[str, Any]) -> bytes:
    return b"".join(lines.line(obj) for obj in (V1_HEADER, *entries))


def v1_with_compaction(lines, index: Any) -> bytes:
    """Records: header 0, q1 1, q2 2, q3 3, compaction 4, q4 5."""
    compaction = {
        "type": "compaction",
        "timestamp": "2025-11-20T23:35:00.000Z",
        "summary": "earlier work",
        "firstKeptEntryIndex": index,
        "tokensBefore": 1000,
    }
    return v1_file(
        lines,
        v1_user("q1", 1),
        v1_user("q2", 2),
        v1_user("q3", 3),
        compaction,
        v1_user("q4", 5),
    )


def texts(session: Session) -> list[str]:
    return [m.get("content", m["role"]) for m in session.context().messages]


def open_bytes(data: bytes) -> Session:
    return Session.from_data(read_bytes(data), path=None)


def test_v1_ids_are_chained_and_the_tree_is_linear(lines) -> None:
    session = open_bytes(v1_file(lines, v1_user("q1", 1), v1_user("q2", 2), v1_user("q3", 3)))
    assert session.file_version == 1
    ids = [rec.id for rec in session.tree]
    assert len(set(ids)) == 3 and all(len(i) == 8 for i in ids)
    assert session.tree.roots() == [ids[0]]
    assert session.tree.path_ids() == ids
    assert texts(session) == ["q1", "q2", "q3"]
    assert session.diagnostics.ok


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (2, ["compactionSummary", "q2", "q3", "q4"]),  # an entry before the compaction
        (1, ["compactionSummary", "q1", "q2", "q3", "q4"]),  # the first entry
        (0, ["compactionSummary", "q4"]),  # the header: unset
        (4, ["compactionSummary", "q4"]),  # the compaction itself: nothing before it
        (6, ["compactionSummary", "q4"]),  # past the records: unset
        (99, ["compactionSummary", "q4"]),
        (-1, ["compactionSummary", "q4"]),
        ("2", ["compactionSummary", "q4"]),
    ],
)
def test_v1_first_kept_entry_index(lines, index: Any, expected: list[str]) -> None:
    session = open_bytes(v1_with_compaction(lines, index))
    assert texts(session) == expected
    compaction = next(rec for rec in session.tree if rec.type == "compaction").decode()
    assert "firstKeptEntryIndex" not in compaction
    ids = [rec.id for rec in session.tree]
    if index in (1, 2, 4, 5):
        assert compaction["firstKeptEntryId"] == ids[index - 1]
    else:
        assert "firstKeptEntryId" not in compaction


def test_v1_index_points_at_the_last_record(lines) -> None:
    session = open_bytes(v1_with_compaction(lines, 5))
    compaction = next(rec for rec in session.tree if rec.type == "compaction").decode()
    assert compaction["firstKeptEntryId"] == session.leaf_id


def test_v1_ids_are_stable_across_reads(lines, tmp_path: Path) -> None:
    data = v1_with_compaction(lines, 2)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(data)
    second.write_bytes(data)
    ids = [[rec.id for rec in Session.open(p).tree] for p in (first, first, second)]
    assert ids[0] == ids[1] == ids[2]


def test_v1_lines_keep_their_original_bytes(lines, helpers) -> None:
    data = v1_with_compaction(lines, 2)
    result = read_bytes(data)
    assert helpers.rebuilt_bytes(result) == data
    for rec in result.records:
        assert rec.source is not None and rec.source != rec.raw
        assert json.loads(rec.raw)["id"] == rec.id


def test_v2_hook_message_becomes_custom(lines, helpers) -> None:
    hook = {
        "role": "hookMessage",
        "customType": "reminder",
        "content": "remember",
        "display": True,
        "timestamp": 5,
    }
    data = lines.session(
        lines.user("u1", None, "q1"),
        lines.entry("h1", "u1", "message", message=hook),
        version=2,
    )
    result = read_bytes(data)
    assert result.file_version == 2
    assert result.header is not None and result.header["version"] == 3
    hook_rec = result.records[1]
    assert hook_rec.message is not None and hook_rec.message.role == "custom"
    assert hook_rec.line_bytes == data.splitlines(keepends=True)[2]
    session = Session.from_data(result, path=None)
    assert session.context().messages[1] == {**hook, "role": "custom"}
    assert result.records[0].source is None  # unchanged lines are not copied
    assert helpers.rebuilt_bytes(result) == data


def test_upgraders_do_not_modify_their_input() -> None:
    header = dict(V1_HEADER)
    entries = [{"type": "message", "message": {"role": "hookMessage", "content": "x"}}]
    snapshot = json.dumps([header, entries])
    v2_header, v2 = upgrade_v1_to_v2(header, entries)
    _, v3 = upgrade_v2_to_v3(v2_header, v2)
    assert json.dumps([header, entries]) == snapshot
    assert v2_header["version"] == 2 and v3[0]["message"]["role"] == "custom"
    assert upgrade_objects(3, header, entries) == (header, entries)


def test_legacy_session_opens_read_only_until_upgraded(lines, tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    data = v1_with_compaction(lines, 2)
    path.write_bytes(data)
    session = Session.open(path)
    assert session.read_only and "upgrade" in (session.read_only_reason or "")
    with pytest.raises(ReadOnlySessionError):
        session.append_user_message("hi")
    assert path.read_bytes() == data


def test_upgrade_file_writes_a_v3_copy_and_keeps_the_original(lines, tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    data = v1_with_compaction(lines, 2)
    path.write_bytes(data)
    before = Session.open(path)
    inode = path.stat().st_ino

    result = upgrade_file(path)

    backup = tmp_path / "old.jsonl.v1.bak"
    assert result.changed and result.backup == str(backup)
    assert (result.from_version, result.to_version, result.entries) == (1, 3, 5)
    assert backup.read_bytes() == data
    assert path.stat().st_ino != inode  # replaced whole, never rewritten in place
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.jsonl", "old.jsonl.v1.bak"]
    after = Session.open(path, mode="strict")
    assert after.file_version == 3 and not after.read_only
    assert json.loads(path.read_bytes().split(b"\n")[0])["version"] == 3
    assert [rec.id for rec in after.tree] == [rec.id for rec in before.tree]
    assert after.context() == before.context()
    after.append_user_message("now writable")
    after.close()

    again = upgrade_file(path)
    assert not again.changed and again.backup is None


def test_upgrade_file_to_another_path_leaves_the_original(lines, tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    data = lines.session(lines.user("u1", None, "q"), version=2)
    path.write_bytes(data)
    out = tmp_path / "new.jsonl"
    result = upgrade_file(path, output=out)
    assert result.path == str(out) and result.backup is None
    assert path.read_bytes() == data
    assert read_file(out).file_version == 3


def test_upgrade_file_refuses(lines, tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_bytes(v1_with_compaction(lines, 2))
    (tmp_path / "old.jsonl.v1.bak").write_bytes(b"taken")
    with pytest.raises(FileExistsError):
        upgrade_file(path)
    for name, data, error in (
        ("headless.jsonl", lines.entry("a", None), FormatError),
        ("empty.jsonl", b"", FormatError),
        ("binary.jsonl", bytes(range(256)) * 4, FormatError),
        ("future.jsonl", lines.session(lines.entry("a", None), version=9), ReadOnlySessionError),
    ):
        target = tmp_path / name
        target.write_bytes(data)
        with pytest.raises(error):
            upgrade_file(target)
        assert target.read_bytes() == data
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(v1_with_compaction(lines, 2) + b"{oops\n")
    with pytest.raises(FormatError) as caught:
        upgrade_file(damaged, mode=ReadMode.STRICT)
    assert caught.value.line == 7
    assert not os.path.exists(str(damaged) + ".v1.bak")


def test_v1_ids_from_a_session_id_with_a_lone_surrogate() -> None:
    from sesslog.format.reader import read_bytes

    data = (
        b'{"type":"session","id":"\\ud83d","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/w"}\n'
        b'{"type":"message","timestamp":"2026-01-05T10:00:01.000Z",'
        b'"message":{"role":"user","content":"hi","timestamp":1}}\n'
    )
    first = read_bytes(data)
    second = read_bytes(data)
    assert [r.id for r in first.records] == [r.id for r in second.records]
    assert len(first.records) == 1
