"""Importing bundles into a sessions root: a new session in pi's layout, its provenance
recorded, refused when expired or not allowed, and never a file outside the root."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from export_samples import branched_session

from sesslog import Session
from sesslog.backends.layout import session_path
from sesslog.errors import InvalidIdError
from sesslog.format.ids import check_id
from sesslog.interop.bundle_format import (
    BundleError,
    BundleExpiredError,
    BundleRefusedError,
    UnsafeBundleError,
    write_bundle,
)
from sesslog.interop.share import UNSHARE_CUSTOM_TYPE, share_file, unshare
from sesslog.store import SessionStore

CHEAP = {"name": "argon2id", "memory_kib": 64, "passes": 1, "lanes": 1, "log_n": 0}


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def shared(tmp_path: Path, data: bytes, **options: Any) -> bytes:
    path = tmp_path / "source.jsonl"
    path.write_bytes(data)
    return share_file(path, **options)


def test_unshare_writes_the_shared_bytes_and_records_where_they_came_from(
    tmp_path: Path, lines: Any
) -> None:
    data = branched_session(lines)
    blob = shared(tmp_path, data, password="pw", kdf_cost=CHEAP, tags=["demo"])
    root = tmp_path / "root"
    result = unshare(blob, root, password="pw", source="from-alice.sesslog-bundle")
    header = json.loads(data.split(b"\n", 1)[0])
    assert Path(result.path) == session_path(root, header["cwd"], header["timestamp"], header["id"])
    written = Path(result.path).read_bytes()
    assert written.startswith(data)  # byte for byte, then one line more
    extra = json.loads(written[len(data) :])
    assert extra["type"] == "custom" and extra["customType"] == UNSHARE_CUSTOM_TYPE
    assert extra["parentId"] == "n1" and extra["id"] == result.provenance_id
    assert extra["data"]["file"] == "from-alice.sesslog-bundle"
    assert extra["data"]["tags"] == ["demo"] and extra["data"]["encrypted"] is True
    assert len(extra["data"]["bundleSha256"]) == 64
    original = Session.open(tmp_path / "source.jsonl", read_only=True)
    imported = Session.open(result.path)
    assert imported.context().to_json() == original.context().to_json()
    assert imported.labels == original.labels and imported.name == original.name
    assert oct(os.stat(result.path).st_mode & 0o777) == "0o600"
    assert result.warnings == []
    with pytest.raises(FileExistsError, match="already in the store"):
        unshare(blob, root, password="pw")


def test_refused_when_expired_or_fork_not_allowed(tmp_path: Path, lines: Any) -> None:
    root = tmp_path / "root"
    expired = shared(tmp_path, branched_session(lines), expires="2001-01-01T00:00:00Z")
    with pytest.raises(BundleExpiredError):
        unshare(expired, root)
    no_fork = shared(tmp_path, branched_session(lines), allow_fork=False)
    with pytest.raises(BundleRefusedError, match="allow-fork is off"):
        unshare(no_fork, root)
    assert files_under(root) == set()


def test_legacy_session_is_imported_without_provenance(tmp_path: Path) -> None:
    v1 = (
        b'{"type":"session","id":"0192f2c8-aaaa-7bbb-8ccc-000000000009","timestamp":"2025-01-01T00:00:00.000Z","cwd":"/w"}\n'
        b'{"type":"message","timestamp":"2025-01-01T00:00:01.000Z","message":{"role":"user","content":"hi","timestamp":1}}\n'
    )
    result = unshare(shared(tmp_path, v1), tmp_path / "root")
    assert Path(result.path).read_bytes() == v1
    assert result.provenance_id is None
    assert "not recorded" in result.warnings[-1]


def test_a_bundle_without_a_session_is_refused(tmp_path: Path) -> None:
    blob = write_bundle(b"not a session\n", title="x", entries=0)
    with pytest.raises(BundleError, match="no session header"):
        unshare(blob, tmp_path / "root")
    (tmp_path / "notes.txt").write_bytes(b"not a session\n")
    with pytest.raises(BundleError, match="not a session file"):
        share_file(tmp_path / "notes.txt")


def session_with(lines: Any, **header: Any) -> bytes:
    return lines.session(lines.user("u1", None, "hello"), **header)


HOSTILE_IDS = [
    "../../evil",
    "..",
    ".",
    ".hidden",
    "a/b",
    "a\\b",
    "",
    "x" * 129,
    "a\x00b",
    "a b",
    "é",
    7,
    None,
]


@pytest.mark.parametrize("session_id", HOSTILE_IDS, ids=repr)
def test_hostile_session_ids_write_nothing(tmp_path: Path, lines: Any, session_id: Any) -> None:
    root = tmp_path / "store" / "root"
    blob = write_bundle(session_with(lines, id=session_id), title="x", entries=1)
    before = files_under(tmp_path)
    with pytest.raises(InvalidIdError, match="session id"):
        unshare(blob, root)
    assert files_under(tmp_path) - before <= {"store", "store/root"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timestamp", "../../../../x"),
        ("timestamp", "2026-01-05T10:00:00.000Z/../../x"),
        ("timestamp", None),
        ("cwd", "/tmp/a\x00b"),
        ("cwd", "/" + "d" * 300),
        ("cwd", 5),
    ],
)
def test_hostile_names_write_nothing(tmp_path: Path, lines: Any, field: str, value: Any) -> None:
    root = tmp_path / "root"
    blob = write_bundle(session_with(lines, **{field: value}), title="x", entries=1)
    with pytest.raises((UnsafeBundleError, InvalidIdError)):  # a bad folder name: the id rule
        unshare(blob, root)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("cwd", ["../../..", "/../../etc", "..\\..\\x", "C:\\..\\..", "/a/../../b"])
def test_dotted_working_directories_stay_inside_the_root(
    tmp_path: Path, lines: Any, cwd: str
) -> None:
    root = tmp_path / "store"
    result = unshare(write_bundle(session_with(lines, cwd=cwd), title="x", entries=1), root)
    assert Path(result.path).resolve().parent.parent == root.resolve()
    state = root / ".sesslog"  # the store's catalog
    written = {p for p in tmp_path.rglob("*") if p.is_file() and state not in p.parents}
    assert written == {Path(result.path)}
    with SessionStore(root) as store:
        assert [info.path for info in store.list()] == [str(result.path)]


def test_a_planted_symlink_is_not_followed(tmp_path: Path, lines: Any) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    (root / "--home-dev-app--").symlink_to(outside)  # where /home/dev/app's sessions go
    blob = write_bundle(session_with(lines), title="x", entries=1)
    with pytest.raises(UnsafeBundleError, match="symlink"):
        unshare(blob, root)
    assert list(outside.iterdir()) == []
    (root / "--home-dev-app--").unlink()
    (root / "--home-dev-app--").mkdir()
    header = json.loads(session_with(lines).split(b"\n", 1)[0])
    planted = session_path(root, header["cwd"], header["timestamp"], header["id"])
    planted.symlink_to(outside / "stolen.jsonl")  # the session file itself
    with pytest.raises(FileExistsError):
        unshare(blob, root)
    assert list(outside.iterdir()) == []


def test_session_id_rule() -> None:
    for good in ("0192f2c8-aaaa-7bbb-8ccc-000000000001", "a", "a.b_c-d", "x" * 128):
        assert check_id(good) == good
    for bad in HOSTILE_IDS:
        with pytest.raises(InvalidIdError):
            check_id(bad)
