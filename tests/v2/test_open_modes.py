"""Opening through the sidecar: full, active path and tail; which store was read; fallbacks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sidecar_helpers import REPO_ROOT, SMALL, snapshot

from sesslog import OpenScope, ReadOnlySessionError, Session, SessionStoreKind
from sesslog.errors import SessionChangedError, SidecarError
from sesslog.projections.partial import PartialTree
from sesslog.projections.sidecar import sidecar_folder
from sesslog.v2 import (
    SidecarPaths,
    StateKind,
    migrate_jsonl_to_v2,
    migration_status,
)


@pytest.fixture
def migrated(branchy: Path) -> Path:
    migrate_jsonl_to_v2(branchy, **SMALL)
    return branchy


def test_open_modes_parse_and_print() -> None:
    assert OpenScope.parse("full") == OpenScope.full()
    assert OpenScope.parse("active_path") == OpenScope.active_path()
    assert OpenScope.parse("tail:100") == OpenScope.tail(100)
    assert str(OpenScope.tail(7)) == "tail:7"
    for bad in ("tail", "tail:x", "head:3", ""):
        with pytest.raises(ValueError):
            OpenScope.parse(bad)
    with pytest.raises(ValueError):
        OpenScope.tail(0)


def test_store_kind_tells_which_store_was_read(migrated: Path) -> None:
    assert Session.open(migrated).store_kind is SessionStoreKind.V2_SIDECAR
    assert Session.open(migrated, sidecar=False).store_kind is SessionStoreKind.JSONL
    assert Session.in_memory().store_kind is SessionStoreKind.MEMORY


def test_tail_gives_the_last_entries_of_the_path(migrated: Path) -> None:
    whole = Session.open(migrated, sidecar=False)
    tail = Session.open(migrated, scope=OpenScope.tail(10))
    assert isinstance(tail.tree, PartialTree)
    assert list(tail.tree) == whole.tree.path()[-10:]
    assert len(tail) == 10 and tail.tree.total_entries == len(whole)
    assert tail.leaf_id == whole.leaf_id
    assert tail.labels == whole.labels and tail.name == whole.name
    assert tail.diagnostics.diagnostics == whole.diagnostics.diagnostics
    assert tail.header == whole.header
    huge = Session.open(migrated, scope=OpenScope.tail(100_000))
    assert [r.id for r in huge.tree] == whole.tree.path_ids()


def test_active_path_gives_the_path_and_the_context(migrated: Path) -> None:
    whole = Session.open(migrated, sidecar=False)
    active = Session.open(migrated, scope=OpenScope.active_path())
    assert [r.id for r in active.tree] == whole.tree.path_ids()
    assert len(active) < len(whole)  # the session has branches off the path
    assert active.context().to_json() == whole.context().to_json()
    assert active.tree.nodes()[0].id == whole.tree.path_ids()[0]
    assert active.branches()[0].leaf_id == whole.leaf_id


def test_a_partial_session_refuses_appends(migrated: Path) -> None:
    tail = Session.open(migrated, scope=OpenScope.tail(3))
    assert tail.read_only and "partially" in str(tail.read_only_reason)
    with pytest.raises(ReadOnlySessionError):
        tail.append_user_message("hello")
    full = Session.open(migrated)
    assert not full.read_only


def test_appending_to_a_session_opened_from_the_sidecar_makes_it_stale(migrated: Path) -> None:
    session = Session.open(migrated)
    assert session.store_kind is SessionStoreKind.V2_SIDECAR
    entry = session.append_user_message("one more")
    session.close()
    assert migration_status(migrated).kind is StateKind.STALE
    again = Session.open(migrated)
    assert again.store_kind is SessionStoreKind.JSONL and again.leaf_id == entry.id
    assert migrate_jsonl_to_v2(migrated).action == "caught_up"
    assert snapshot(Session.open(migrated)) == snapshot(Session.open(migrated, sidecar=False))
    assert Session.open(migrated).store_kind is SessionStoreKind.V2_SIDECAR


def test_a_session_read_from_the_sidecar_sees_another_writers_append(migrated: Path) -> None:
    mine = Session.open(migrated)
    assert mine.store_kind is SessionStoreKind.V2_SIDECAR
    other = Session.open(migrated, sidecar=False)
    other.append_user_message("from elsewhere")
    other.close()
    with pytest.raises(SessionChangedError):
        mine.append_user_message("from here")


def test_a_touched_file_is_read_until_migrate_records_it(migrated: Path) -> None:
    os.utime(migrated, ns=(5_000_000_000, 5_000_000_000))
    assert Session.open(migrated).store_kind is SessionStoreKind.JSONL
    state = migration_status(migrated)
    assert state.kind is StateKind.MIGRATED and "touched" in str(state.reason)
    with pytest.raises(SidecarError, match="touched"):
        Session.open_projection(migrated)
    assert migrate_jsonl_to_v2(migrated).action == "refreshed"
    assert Session.open(migrated).store_kind is SessionStoreKind.V2_SIDECAR
    assert migration_status(migrated).reason is None


def test_a_file_replaced_by_another_is_never_read_through_the_old_sidecar(
    migrated: Path, make_v3: Callable[..., bytes]
) -> None:
    other = make_v3(600, 99, branch_every=40)
    migrated.write_bytes(other[: migrated.stat().st_size].ljust(migrated.stat().st_size, b"\n"))
    opened = Session.open(migrated)
    assert opened.store_kind is SessionStoreKind.JSONL


def test_a_missing_or_broken_sidecar_falls_back(migrated: Path) -> None:
    expected = snapshot(Session.open(migrated, sidecar=False))
    folder = sidecar_folder(migrated)
    (folder / "manifest.json").write_bytes(b"{}")
    assert Session.open(migrated).store_kind is SessionStoreKind.JSONL
    assert snapshot(Session.open(migrated)) == expected
    assert Session.open(migrated, scope=OpenScope.tail(3)).store_kind is SessionStoreKind.JSONL
    with pytest.raises(SidecarError):
        Session.open_projection(migrated)
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    with pytest.raises(SidecarError, match="no V2 sidecar"):
        Session.open_projection(migrated)


def test_an_unfinished_line_being_written_is_read_from_the_file(
    session_file: Callable[[bytes], Path],
) -> None:
    header = b'{"type":"session","version":3,"id":"s","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
    entry = b'{"type":"custom","id":"a","parentId":null,"timestamp":"2026-01-05T10:00:01.000Z","customType":"t"}\n'
    path = session_file(header + entry + b'{"type":"custom","id":"b"')
    migrate_jsonl_to_v2(path)
    assert Session.open(path).store_kind is SessionStoreKind.V2_SIDECAR
    assert Session.open(path).diagnostics.diagnostics[0].reason == "torn_tail"
    import fcntl

    with path.open("rb+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        opened = Session.open(path)
        assert opened.store_kind is SessionStoreKind.JSONL
        assert opened.diagnostics.diagnostics[0].reason == "in_progress"


def test_import_sesslog_does_not_import_zstandard(tmp_path: Path) -> None:
    session = tmp_path / "s.jsonl"
    s = Session.create(path=session, cwd="/")
    s.append_user_message("hi")
    s.close()
    code = (
        "import sys, sesslog\n"
        f"s = sesslog.Session.open({str(session)!r})\n"
        "assert 'zstandard' not in sys.modules, 'imported'\n"
        "assert 'sesslog.v2' not in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_leftovers_do_not_stop_the_sidecar_being_used(migrated: Path) -> None:
    paths = SidecarPaths(migrated)
    paths.temp("aaaa").mkdir()
    assert Session.open(migrated).store_kind is SessionStoreKind.V2_SIDECAR
    state = migration_status(migrated)
    assert state.kind is StateKind.MIGRATED and state.leftovers == [str(paths.temp("aaaa"))]
