"""Catch-up: a stale sidecar gets only the new lines; when that cannot be exact, it is rebuilt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sidecar_helpers import SMALL, legacy_cases, snapshot

from sesslog import OpenScope, Session
from sesslog.projections.sidecar import sidecar_folder
from sesslog.v2 import (
    StateKind,
    migrate_jsonl_to_v2,
    migration_status,
    read_ledger,
    verify_v2_against_jsonl,
)
from sesslog.v2.frames import FrameReader
from sesslog.v2.layout import SidecarPaths

HEADER = (
    b'{"type":"session","version":3,"id":"s","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
)


def entry(entry_id: str, parent: str | None, second: int = 1) -> bytes:
    parent_json = "null" if parent is None else f'"{parent}"'
    return (
        f'{{"type":"custom","id":"{entry_id}","parentId":{parent_json},'
        f'"timestamp":"2026-01-05T10:{second // 60:02d}:{second % 60:02d}.000Z","customType":"t"}}\n'
    ).encode()


@pytest.fixture
def lines_of(make_v3: Callable[..., bytes]) -> list[bytes]:
    return [
        line + b"\n" for line in make_v3(900, 8, branch_every=40, label_every=20).split(b"\n")[:-1]
    ]


def _same(path: Path) -> None:
    assert verify_v2_against_jsonl(path).ok
    assert migration_status(path).kind is StateKind.MIGRATED
    opened = Session.open(path)
    assert opened.store_kind.value == "v2_sidecar"
    assert snapshot(opened) == snapshot(Session.open(path, sidecar=False))


def test_catch_up_writes_only_new_files_and_reads_only_new_frames(
    session_file: Callable[[bytes], Path], lines_of: list[bytes], monkeypatch: Any
) -> None:
    path = session_file(b"".join(lines_of[:500]))
    migrate_jsonl_to_v2(path, **SMALL)
    folder = sidecar_folder(path)
    before = {p.name: (p.read_bytes(), p.stat().st_ino) for p in folder.iterdir()}
    old_segments = sum(1 for name in before if name.startswith("seg-"))
    with path.open("ab") as handle:
        handle.write(b"".join(lines_of[500:700]))
    read_segments: list[int] = []
    original = FrameReader.compressed

    def spy(self: FrameReader, segment: int, offset: int, size: int) -> bytes:
        read_segments.append(segment)
        return original(self, segment, offset, size)

    monkeypatch.setattr(FrameReader, "compressed", spy)
    result = migrate_jsonl_to_v2(path)
    monkeypatch.undo()
    assert result.action == "caught_up" and result.generation == 1
    assert result.new_bytes == len(b"".join(lines_of[500:700]))
    assert read_segments and min(read_segments) >= old_segments
    for name, (data, inode) in before.items():
        if name != "manifest.json":
            assert (folder / name).read_bytes() == data
            assert (folder / name).stat().st_ino == inode
    assert {p.name for p in folder.iterdir()} > set(before)
    _same(path)
    assert [r.op for r in read_ledger(SidecarPaths(path).ledger)] == ["migrate", "catch_up"]


def test_partial_opens_span_several_catch_ups(
    session_file: Callable[[bytes], Path], lines_of: list[bytes]
) -> None:
    path = session_file(b"".join(lines_of[:300]))
    migrate_jsonl_to_v2(path, **SMALL)
    for end in (310, 311, 600, 900):
        with path.open("ab") as handle:
            handle.write(b"".join(lines_of[len(path.read_bytes().splitlines()) : end]))
        assert migrate_jsonl_to_v2(path).action == "caught_up"
    _same(path)
    whole = Session.open(path, sidecar=False)
    tail = Session.open(path, scope=OpenScope.tail(400))
    assert [r.id for r in tail.tree] == whole.tree.path_ids()[-400:]
    active = Session.open(path, scope=OpenScope.active_path())
    assert active.context().to_json() == whole.context().to_json()


def test_an_unfinished_last_line_waits(session_file: Callable[[bytes], Path]) -> None:
    path = session_file(HEADER + entry("a", None))
    migrate_jsonl_to_v2(path)
    half = entry("b", "a", 2)
    with path.open("ab") as handle:
        handle.write(entry("c", "a", 3) + half[:20])
    result = migrate_jsonl_to_v2(path)
    assert result.action == "caught_up" and result.new_bytes == len(entry("c", "a", 3))
    assert migration_status(path).kind is StateKind.STALE
    assert migrate_jsonl_to_v2(path).action == "nothing"
    with path.open("ab") as handle:
        handle.write(half[20:])
    assert migrate_jsonl_to_v2(path).action == "caught_up"
    _same(path)


def test_a_repeated_id_in_new_lines_is_caught_up_and_reported(
    session_file: Callable[[bytes], Path],
) -> None:
    path = session_file(HEADER + entry("a", None) + entry("b", "a", 2))
    migrate_jsonl_to_v2(path)
    with path.open("ab") as handle:
        handle.write(entry("a", "b", 3) + entry("c", "b", 4))
    assert migrate_jsonl_to_v2(path).action == "caught_up"
    _same(path)
    assert [d.reason for d in Session.open(path).diagnostics.diagnostics] == [
        "duplicate_id_conflicting"
    ]


@pytest.mark.parametrize(
    ("case", "prefix", "appended", "why"),
    [
        ("crlf", HEADER + entry("a", None), entry("b", "a", 2)[:-1] + b"\r\n", "crlf"),
        ("bad json", HEADER + entry("a", None), b"{nope\n" + entry("b", "a", 2), "bad_json"),
        ("blank line", HEADER + entry("a", None), b"\n" + entry("b", "a", 2), "blank_line"),
        ("torn prefix", HEADER + entry("a", None) + b'{"type":', b'"x"}\n', "unfinished"),
        ("parent arrives", HEADER + entry("a", "later"), entry("later", None, 2), "attaches"),
        ("second header", HEADER + entry("a", None), HEADER, "duplicate_header"),
    ],
)
def test_what_a_plain_append_cannot_describe_is_rebuilt(
    case: str, prefix: bytes, appended: bytes, why: str, session_file: Callable[[bytes], Path]
) -> None:
    path = session_file(prefix)
    migrate_jsonl_to_v2(path)
    with path.open("ab") as handle:
        handle.write(appended)
    result = migrate_jsonl_to_v2(path)
    assert result.action == "rebuilt", case
    assert why in str(result.reason)
    _same(path)


@pytest.mark.parametrize("legacy", legacy_cases())
def test_a_legacy_session_is_rebuilt(legacy: Path, session_file: Callable[[bytes], Path]) -> None:
    lines = legacy.read_bytes().splitlines(keepends=True)
    path = session_file(b"".join(lines[:-2]))
    migrate_jsonl_to_v2(path)
    with path.open("ab") as handle:
        handle.write(b"".join(lines[-2:]))
    result = migrate_jsonl_to_v2(path)
    assert result.action == "rebuilt" and "legacy" in str(result.reason)
    _same(path)
