"""Bad input gets a clear error and changes nothing: ids that would be paths, metadata with
control characters, a root that is a file, a session file replaced by a symlink, an unreadable
session file (listed with its error, the others still listed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesslog.errors import (
    InvalidIdError,
    InvalidMetadataError,
    SessionNotFoundError,
    StoreRootError,
    UnsafeSessionFileError,
)
from sesslog.store import SessionStore

CHILD = Path(__file__).parents[1] / "catalog" / "store_child.py"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    made = SessionStore(tmp_path / "sessions")
    session = made.create("/w", title="Existing", tags=["keep"])
    session.append_user_message("hello")
    session.close()
    yield made
    made.close()


def _files(store: SessionStore) -> dict[Path, bytes]:
    assert store.root is not None
    return {p: p.read_bytes() for p in store.root.rglob("*.jsonl")}


@pytest.mark.parametrize(
    "bad",
    ["../escape", "a/b", "a\\b", "..", ".hidden", "", "x" * 129, "nul\x00id", "sp ace", "é"],
)
def test_ids_that_would_be_paths_are_refused(store: SessionStore, bad: str) -> None:
    before = _files(store)
    with pytest.raises(InvalidIdError, match="invalid session id"):
        store.create("/w", session_id=bad)
    with pytest.raises(InvalidIdError):
        store.create_from_template("Existing", session_id=bad)
    assert _files(store) == before


@pytest.mark.parametrize("ref", ["../../etc/passwd", "a/../../b", "../x.jsonl", ".."])
def test_references_with_separators_or_dotdot(store: SessionStore, ref: str) -> None:
    before = _files(store)
    for call in (store.open, store.delete, store.info, lambda r: store.set_title(r, "t")):
        with pytest.raises(InvalidIdError, match="not a session id"):
            call(ref)
    assert _files(store) == before


def test_a_file_outside_the_store_is_not_deleted(store: SessionStore, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text(
        '{"type":"session","version":3,"id":"out","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
    )
    with pytest.raises(SessionNotFoundError, match="not a session file of the store"):
        store.delete(str(outside))
    assert outside.exists()
    assert store.open(str(outside)).id == "out"  # opening any session file is fine


@pytest.mark.parametrize(
    "title", ["red\x1b[31m", "two\nlines", "nul\x00", "bidi\u202eevil", "   ", "t" * 201]
)
def test_titles_with_control_characters(store: SessionStore, title: str) -> None:
    before = _files(store)
    with pytest.raises(InvalidMetadataError):
        store.set_title("Existing", title)
    with pytest.raises(InvalidMetadataError):
        store.create("/w", title=title)
    assert _files(store) == before


@pytest.mark.parametrize(
    "change",
    [
        {"tags": ["ok", "bad\ttag"]},
        {"tags": [""]},
        {"agents": ["a\x07"]},
        {"status": "sleeping"},
        {"purpose": "x\x00y"},
        {"user": 5},
        {"custom": {"key\n": 1}},
        {"colour": "blue"},
        {},
    ],
)
def test_metadata_refused(store: SessionStore, change: dict[str, object]) -> None:
    before = _files(store)
    with pytest.raises((InvalidMetadataError, TypeError)):
        store.update_metadata("Existing", **change)
    assert _files(store) == before
    with pytest.raises(InvalidMetadataError):
        store.tag("Existing", "new\x1b")
    assert _files(store) == before


def test_a_store_root_that_is_a_file(tmp_path: Path) -> None:
    root = tmp_path / "file"
    root.write_text("not a folder")
    with pytest.raises(StoreRootError, match=str(root)):
        SessionStore(root)
    with pytest.raises(StoreRootError):
        SessionStore(root / "below")
    assert root.read_text() == "not a folder"


def test_a_session_file_replaced_by_a_symlink(store: SessionStore, tmp_path: Path) -> None:
    info = store.resolve("Existing")
    target = tmp_path / "target.jsonl"
    target.write_bytes(Path(info.path).read_bytes())
    Path(info.path).unlink()
    Path(info.path).symlink_to(target)
    listed = store.list()
    assert [(i.id, i.error) for i in listed] == [(info.id, "a symlink (not followed)")]
    with pytest.raises(UnsafeSessionFileError, match="symlink"):
        store.open(info.id)
    with pytest.raises(UnsafeSessionFileError):
        store.set_title(info.id, "x")
    with pytest.raises(UnsafeSessionFileError):
        store.delete(info.id)
    assert Path(info.path).is_symlink()
    assert target.read_bytes().count(b"\n") == 4  # the file behind the link is untouched
    assert store.search("hello") == []


def test_an_unreadable_session_is_listed_with_its_error(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    with SessionStore(root) as store:
        for n in range(3):
            s = store.create("/w", session_id=f"s{n}", title=f"S{n}")
            s.append_user_message(f"message {n}")
            s.close()
        locked = Path(store.resolve("s1").path)
    locked.chmod(0)
    args = [sys.executable, str(CHILD), str(root), "list", "search:message"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv is missing: cannot drop file permissions")
        args = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *args]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    locked.chmod(0o600)
    assert done.returncode == 0, done.stderr
    listing, hits = json.loads(done.stdout)["answers"]
    errors = {key.split("_")[-1]: error for key, _, _, error in listing}
    assert errors["s0.jsonl"] is None and errors["s2.jsonl"] is None
    assert "Permission denied" in errors["s1.jsonl"]
    assert sorted(h[2] for h in hits) == ["«message» 0", "«message» 2"]
