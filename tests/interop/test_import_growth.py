"""Importing a longer version of a source adds only what is new (and the same source, nothing).

Each source is cut at several places (at line ends, inside a line, between the lines of one
streamed response), the cut version is imported, then the whole file over it: the session
files only grow, every source record ends up in them exactly once, and texts, context and
token counts are those of the whole source.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from import_oracle import (
    check_session,
    claude_expected,
    codex_expected,
    copy_of,
    find_session,
)
from import_sources import SOURCES, shared_files

from sesslog import Session
from sesslog.interop.importer import import_paths

CLAUDE_REAL = shared_files("claude-real")
CODEX_REAL = shared_files("codex-real")
CLAUDE_MAIN = next((SOURCES / "claude" / "-home-dev-shop").glob("*.jsonl"))
CODEX_ROLLOUT = next((SOURCES / "codex" / "2026").rglob("rollout-*.jsonl"))


def _line_ends(data: bytes) -> list[int]:
    return [i + 1 for i, byte in enumerate(data) if byte == 0x0A]


def _response_cuts(data: bytes) -> list[int]:
    """Line ends between two lines of one streamed Claude response (same ``message.id``)."""
    ends = _line_ends(data)
    ids = []
    for line in data.split(b"\n"):
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        message = value.get("message") if isinstance(value, dict) else None
        ids.append(message.get("id") if isinstance(message, dict) else None)
    return [ends[i] for i, (a, b) in enumerate(itertools.pairwise(ids)) if a and a == b]


def _few_cuts(data: bytes, *, responses: bool) -> list[int]:
    ends = _line_ends(data)
    cuts = {ends[len(ends) // 2], ends[len(ends) // 3] + 17}
    inside = _response_cuts(data) if responses else []
    if inside:
        cuts.add(inside[len(inside) // 2])
    return sorted(c for c in cuts if 0 < c < len(data))


def _grow(source: Path, cut: int, work: Path, root: Path) -> dict[str, bytes]:
    """Import ``source`` cut at ``cut`` then whole, from the same path; return the session
    files as they were after the first import."""
    data = source.read_bytes()
    copy = work / source.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(data[:cut])
    first = import_paths([copy], root)
    before = {s.path: Path(s.path).read_bytes() for f in first.files for s in f.sessions}
    copy.write_bytes(data)
    second = import_paths([copy], root)
    (result,) = second.files
    assert result.status in ("updated", "imported"), result.error
    after = {s.path: Path(s.path).read_bytes() for s in result.sessions}
    for path, old in before.items():
        assert after[path].startswith(old)  # append-only
    added = sum(data.count(b"\n") - 1 for data in after.values()) - sum(
        data.count(b"\n") - 1 for data in before.values()
    )
    assert result.entries_added == added
    assert import_paths([copy], root).files[0].status == "unchanged"
    return before


def _cases(files: list[Path], what: str, *, responses: bool) -> list[object]:
    """A few cuts of each file, as pytest parameters (one skipped one when none)."""
    if not files:
        reason = f"{what} not found in ../shared; skipped"
        return [pytest.param(None, 0, marks=pytest.mark.skip(reason=reason), id="missing")]
    return [
        pytest.param(path, cut, id=f"{path.name[-24:]}@{cut}")
        for path in files
        for cut in _few_cuts(path.read_bytes(), responses=responses)
    ]


@pytest.mark.parametrize(
    ("source", "cut"), _cases(CLAUDE_REAL, "Claude Code samples", responses=True)
)
def test_longer_claude_transcript_adds_only_new_entries(
    source: Path, cut: int, tmp_path: Path
) -> None:
    root = tmp_path / "sessions"
    _grow(source, cut, tmp_path / "src", root)
    for expected in claude_expected(source).values():
        check_session(root, expected)


@pytest.mark.parametrize("cut", range(1, CLAUDE_MAIN.read_bytes().count(b"\n")))
def test_claude_fixture_grown_from_every_line(cut: int, tmp_path: Path) -> None:
    ends = _line_ends(CLAUDE_MAIN.read_bytes())
    root = tmp_path / "sessions"
    _grow(CLAUDE_MAIN, ends[cut - 1] + (5 if cut % 4 == 0 else 0), tmp_path / "src", root)
    for expected in claude_expected(CLAUDE_MAIN).values():
        check_session(root, expected)


@pytest.mark.parametrize(
    ("source", "cut"), _cases(CODEX_REAL, "Codex CLI samples", responses=False)
)
def test_longer_codex_rollout_adds_only_new_entries(source: Path, cut: int, tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    _grow(source, cut, tmp_path / "src", root)
    check_session(root, codex_expected(source))


@pytest.mark.parametrize("cut", range(1, CODEX_ROLLOUT.read_bytes().count(b"\n")))
def test_codex_fixture_grown_from_every_line(cut: int, tmp_path: Path) -> None:
    ends = _line_ends(CODEX_ROLLOUT.read_bytes())
    root = tmp_path / "sessions"
    _grow(CODEX_ROLLOUT, ends[cut - 1] + (5 if cut % 4 == 0 else 0), tmp_path / "src", root)
    check_session(root, codex_expected(CODEX_ROLLOUT))


def test_response_split_by_the_cut_keeps_usage_once(tmp_path: Path) -> None:
    data = CLAUDE_MAIN.read_bytes()
    cut = _response_cuts(data)[0]  # after the first line of the first response
    root = tmp_path / "sessions"
    _grow(CLAUDE_MAIN, cut, tmp_path / "src", root)
    session = Session.open(find_session(root, "5f1c2b0e-8d7a-4c3e-9b1f-2a6d4e8c0f11"))
    parts = [
        rec.decode()["message"]
        for rec in session.tree
        if rec.type == "message" and b'"msg_A"' in rec.raw
    ]
    assert [[b["type"] for b in p["content"]] for p in parts] == [
        ["thinking"],
        ["text", "toolCall", "toolCall"],
    ]
    assert sum(p["usage"]["output"] for p in parts) == 80
    assert sum(p["usage"]["input"] for p in parts) == 100


def test_longer_pi_session_appends_its_new_lines(tmp_path: Path) -> None:
    source = SOURCES / "pi" / "session.jsonl"
    data = source.read_bytes()
    cut = _line_ends(data)[3]
    work = tmp_path / "src" / source.name
    work.parent.mkdir()
    work.write_bytes(data[:cut])
    root = tmp_path / "sessions"
    import_paths([work], root)
    before = copy_of(root, source).read_bytes()
    work.write_bytes(data)
    (result,) = import_paths([work], root).files
    assert result.status == "updated"
    assert result.entries_added == len(_line_ends(data)) - 4
    after = copy_of(root, source).read_bytes()
    assert after.startswith(before)
    lines = after[len(before) :].splitlines(keepends=True)
    assert b"".join(lines[:-1]) == data[cut:]  # the new lines, byte for byte
    assert json.loads(lines[-1])["customType"] == "sesslog.import"
    grown = Session.open(copy_of(root, source))
    assert grown.context().to_json() == Session.open(source).context().to_json()
    assert import_paths([work], root).files[0].status == "unchanged"
