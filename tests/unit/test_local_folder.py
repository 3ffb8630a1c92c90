"""What a local folder of sessions does that the seam's contract leaves to each backend: it
never follows a symlink inside the folder (only a file a person named is read through one), it
never creates a log through a session folder that is a symlink, and its trash is a session
store's, ``.sesslog/trash/<deleted-at-ms>/<key>``, with the V2 sidecar moving along."""

from __future__ import annotations

from pathlib import Path

import pytest

from sesslog.backends.local import SYMLINK_PROBLEM, TRASH_FOLDER, LocalFolder
from sesslog.errors import UnsafeSessionFileError

HEADER = (
    b'{"type":"session","version":3,"id":"s1","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
)


def test_a_session_file_that_is_a_symlink_is_listed_but_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(HEADER + b"secret\n")
    root = tmp_path / "root"
    folder = LocalFolder(root)
    folder.create("--w--/real.jsonl", HEADER).close()
    (root / "--w--" / "link.jsonl").symlink_to(outside)
    listed = {info.key: info.problem for info in folder.list()}
    assert listed == {"--w--/real.jsonl": None, "--w--/link.jsonl": SYMLINK_PROBLEM}
    assert folder.stat("--w--/link.jsonl").problem == SYMLINK_PROBLEM
    for call in (folder.read, folder.fingerprint, folder.trash, folder.delete):
        with pytest.raises(
            UnsafeSessionFileError, match=r"link\.jsonl: the session file is a symlink"
        ):
            call("--w--/link.jsonl")
    assert outside.read_bytes() == HEADER + b"secret\n"
    # one file a person named is read through a symlink, as any reader would
    named, key = LocalFolder.for_file(root / "--w--" / "link.jsonl")
    assert named.read(key) == HEADER + b"secret\n"


def test_no_log_is_created_through_a_session_folder_that_is_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "--w--").symlink_to(outside)
    (root / "--f--").write_bytes(b"a file where a folder goes")
    folder = LocalFolder(root)
    for key in ("--w--/s.jsonl", "--f--/s.jsonl"):
        with pytest.raises(UnsafeSessionFileError, match="symlink or not a folder"):
            folder.create(key, HEADER)
    assert list(outside.iterdir()) == []
    assert [info.key for info in folder.list()] == []  # a symlinked folder is not listed


def test_the_trash_is_the_stores_layout_and_the_sidecar_moves_along(tmp_path: Path) -> None:
    folder = LocalFolder(tmp_path)
    folder.create("--w--/s.jsonl", HEADER).close()
    sidecar = tmp_path / "--w--" / "s.v2"
    sidecar.mkdir()
    (sidecar / "manifest.json").write_bytes(b"{}")
    trashed = folder.trash("--w--/s.jsonl", deleted_ms=1767607200000)
    assert trashed == f"{TRASH_FOLDER}/1767607200000/--w--/s.jsonl"
    assert (tmp_path / ".sesslog/trash/1767607200000/--w--/s.jsonl").read_bytes() == HEADER
    assert (tmp_path / ".sesslog/trash/1767607200000/--w--/s.v2/manifest.json").exists()
    assert not sidecar.exists() and folder.list() == []
    assert folder.restore(trashed) == "--w--/s.jsonl"
    assert (sidecar / "manifest.json").exists()
    assert not (tmp_path / ".sesslog/trash/1767607200000").exists()  # emptied buckets go
    trashed = folder.trash("--w--/s.jsonl")
    folder.delete(trashed)
    assert folder.list(trash=True) == [] and not (tmp_path / trashed).parent.exists()
    assert not (tmp_path / trashed).with_name("s.v2").exists()
