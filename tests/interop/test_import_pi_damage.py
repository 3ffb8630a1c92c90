"""Damaged pi sessions, every kind of damage the other formats' fixtures have, made here from
the clean pi fixture with the same damage functions: the copy holds the source's bytes, reads
as the source does, reports what the source has, opens in the store, and is not imported
twice."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from import_oracle import copy_of
from import_sources import REPO_ROOT

from sesslog import Session
from sesslog.format.reader import ReadMode
from sesslog.interop.importer import import_paths
from sesslog.store import SessionStore

sys.path.insert(0, str(REPO_ROOT))
from fixtures.sources import CLAUDE_DAMAGE, pi_session

CLEAN = pi_session()


def _orphaned(data: bytes) -> bytes:
    """The header, then the session from its fifth entry on: parents that are not there."""
    lines = data.split(b"\n")
    return b"\n".join([lines[0], *lines[5:]])


def _text_damage(old: bytes, new: bytes) -> bytes:
    """A user text holding ``old`` written with ``new`` instead (bytes as written)."""
    lines = CLEAN.split(b"\n")
    entry = json.loads(lines[2])
    entry["message"]["content"] = "caf\u00e9 \U0001f642"
    lines[2] = json.dumps(entry, ensure_ascii=False).encode().replace(old, new)
    return b"\n".join(lines)


CASES = {
    name: (damage(CLEAN), set(reasons))
    for name, (damage, reasons) in CLAUDE_DAMAGE.items()
    if name not in ("mid_conversation", "lone_surrogate", "bad_utf8")
}
CASES["orphaned_parent"] = (_orphaned(CLEAN), {"orphaned_parent"})
CASES["lone_surrogate"] = (_text_damage("\U0001f642".encode(), b"\\ud83d"), set())
CASES["bad_utf8"] = (_text_damage("caf\u00e9".encode(), b"caf\xe9"), set())  # read as U+FFFD
#: Cases whose copy starts with the source's complete lines only: what follows the last line
#: ending (half a line, NUL padding) is moved aside before the provenance entry is appended.
CUT = ("torn_tail", "nul_padding")


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_pi_session(case: str, tmp_path: Path) -> None:
    data, reasons = CASES[case]
    assert data != CLEAN
    source = tmp_path / "src" / f"{case}.jsonl"
    source.parent.mkdir()
    source.write_bytes(data)
    root = tmp_path / "store"
    (result,) = import_paths([source], root).files
    assert result.status == "imported", result.error
    assert {d.reason for d in result.damage} == reasons
    copy = copy_of(root, source)
    copied = copy.read_bytes()
    kept = data[: data.rindex(b"\n") + 1] if case in CUT else data
    assert copied.startswith(kept)
    original = Session.open(source, mode=ReadMode.SALVAGE, read_only=True)
    salvaged = Session.open(copy, mode=ReadMode.SALVAGE, read_only=True)
    assert salvaged.context().to_json() == original.context().to_json()
    if case != "lone_surrogate":  # see test_store_lists_a_session_with_a_lone_surrogate
        with SessionStore(root) as store:
            assert store.resolve(original.id).path == str(copy)
    assert import_paths([source], root).files[0].status == "unchanged"
    assert copy.read_bytes() == copied


def test_a_pi_file_without_its_header_is_not_placed(tmp_path: Path) -> None:
    """A file starting mid-conversation has no header, so no id to name its copy: detection
    passes it by, and ``--from pi`` fails it with the reason."""
    source = tmp_path / "headless.jsonl"
    source.write_bytes(b"\n".join(CLEAN.split(b"\n")[4:]))
    (skipped,) = import_paths([source], tmp_path / "store").files
    assert skipped.status == "skipped"
    (failed,) = import_paths([source], tmp_path / "store", source="pi").files
    assert failed.status == "failed"
    assert "no session header" in (failed.error or "")
    assert not list((tmp_path / "store").glob("*/*.jsonl"))


def test_store_lists_a_session_with_a_lone_surrogate(tmp_path: Path) -> None:
    source = tmp_path / "cut-emoji.jsonl"
    source.write_bytes(CASES["lone_surrogate"][0])
    import_paths([source], tmp_path / "store")
    with SessionStore(tmp_path / "store") as store:
        assert [info.id for info in store.list()] == [Session.open(source).id]
