"""The id rule: every id or name that becomes part of a path follows it, real ids of every
agent pass, and anything that could leave its folder or hide in it is refused, naming the id."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sesslog import Session, SesslogError
from sesslog.backends.layout import folder_for_cwd, session_file_name, session_path
from sesslog.errors import InvalidIdError
from sesslog.format.ids import (
    MAX_ID_LENGTH,
    check_folder_name,
    check_id,
    id_problem,
    new_entry_id,
    new_session_id,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"

GOOD = [
    "0192f2c8-aaaa-7bbb-8ccc-000000000001",  # UUID v7, as newer pi writes
    "d703a1a9-1b7b-4fb1-b512-c9738b1fe617",  # UUID v4, as older pi writes
    "89445891",  # pi entry id
    "a102bdd",  # Claude Code agent id
    "01ARZ3NDEKTSV4RRFFQ69G5FAV",  # ULID
    "toolu_01AbCdEf",
    "sess-2026.01.05",
    "A",
    "x" * MAX_ID_LENGTH,
]
BAD = [
    "../../../x",
    "a/b",
    "a\\b",
    "..",
    ".",
    ".hidden",
    "-rf",
    "trailing.",
    "a..b",
    "",
    "x" * (MAX_ID_LENGTH + 1),
    "a\x00b",
    "a\nb",
    "a\x1b[2Jb",
    "a\x7fb",
    "caf\u00e9",
    "a b",
    "C:x",
    "a\ud800b",
]


@pytest.mark.parametrize("value", GOOD)
def test_real_id_shapes_follow_the_rule(value: str) -> None:
    assert id_problem(value) is None
    assert check_id(value) == value


@pytest.mark.parametrize("value", BAD)
def test_ids_that_could_leave_or_hide_are_refused_by_name(value: str) -> None:
    assert id_problem(value)
    with pytest.raises(InvalidIdError) as caught:
        check_id(value, "session id")
    err = caught.value
    assert isinstance(err, ValueError) and isinstance(err, SesslogError)
    assert err.value == value and err.what == "session id"
    assert repr(value[:80]) in str(err) and str(err).isprintable()


@pytest.mark.parametrize("value", [None, 5, ["a"], {"id": "a"}])
def test_ids_that_are_not_strings_are_refused(value: object) -> None:
    with pytest.raises(InvalidIdError, match="not a string"):
        check_id(value)


def test_fresh_ids_follow_the_rule() -> None:
    taken: set[str] = set()
    for _ in range(1_000):
        assert id_problem(new_session_id()) is None
        entry_id = new_entry_id(taken)
        taken.add(entry_id)
        assert id_problem(entry_id) is None


def _fixture_ids() -> list[str]:
    """Every session, entry and agent id found in the shared real files."""
    found: set[str] = set()
    for folder in ("pi-real", "pi-wild", "claude-real", "codex-real"):
        for path in sorted((SHARED / "fixtures" / folder).glob("*.jsonl")):
            for line in path.read_bytes().splitlines():
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(obj, dict):
                    continue
                payload = obj.get("payload")
                for source in (obj, payload if isinstance(payload, dict) else {}):
                    for key in ("id", "sessionId", "uuid", "parentUuid", "parentId", "agentId"):
                        if isinstance(source.get(key), str):
                            found.add(source[key])
    return sorted(found)


def test_every_id_in_the_shared_real_files_follows_the_rule() -> None:
    if not (SHARED / "fixtures").is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED / 'fixtures'}")
    ids = _fixture_ids()
    assert len(ids) > 1_000
    assert [value for value in ids if id_problem(value) is not None] == []


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_session_create_refuses_an_id_that_would_leave_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    with pytest.raises(InvalidIdError, match=r"'\.\./\.\./\.\./x'"):
        Session.create(cwd="/home/dev/app", root=root, session_id="../../../x")
    with pytest.raises(InvalidIdError):
        Session.create(path=tmp_path / "given.jsonl", session_id="a/b")
    with pytest.raises(InvalidIdError):
        Session.in_memory(session_id=".hidden")
    assert _all_files(tmp_path) == []
    session = Session.create(cwd="/home/dev/app", root=root, session_id="toolu_01AbCdEf")
    assert session.path is not None and session.path.parent.parent == root
    assert session.path.name.endswith("_toolu_01AbCdEf.jsonl")
    session.close()


def test_the_pi_layout_checks_what_it_puts_in_a_path(tmp_path: Path) -> None:
    stamp = "2026-01-05T10:00:00.123Z"
    assert session_file_name(stamp, "89445891") == "2026-01-05T10-00-00-123Z_89445891.jsonl"
    for bad in ("../x", "a\x00"):
        with pytest.raises(InvalidIdError):
            session_path(tmp_path, "/home/dev", stamp, bad)
    with pytest.raises(InvalidIdError, match="timestamp"):
        session_file_name("2026/01/05", "89445891")
    assert folder_for_cwd("/home/a/my app") == "--home-a-my app--"
    assert folder_for_cwd("C:\\Users\\me") == "--C--Users-me--"
    for cwd in ("/home/a\x00b", "/home/a\nb", "/" + "d" * 300):
        with pytest.raises(InvalidIdError):
            folder_for_cwd(cwd)


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "a\x00", "\x1b", "é" * 128])
def test_derived_folder_names_refused(name: str) -> None:
    with pytest.raises(InvalidIdError):
        check_folder_name(name)


def test_a_created_session_lands_where_the_layout_says(tmp_path: Path) -> None:
    session = Session.create(cwd="/home/a/my app", root=tmp_path)
    assert session.path is not None
    assert session.path.parent == tmp_path / "--home-a-my app--"
    assert oct(os.stat(session.path).st_mode & 0o777) == "0o600"
    session.close()
