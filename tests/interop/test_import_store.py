"""Imports and unshared bundles go into the session store: listed and searchable at once, placed
by the store's layout, not found once trashed, never written outside it; ``export`` and
``share`` take a session of the store by id, id prefix or title."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from export_samples import run_cli
from import_oracle import Expected, claude_expected, codex_expected
from import_sources import SOURCES, shared_files

from sesslog.cli import main
from sesslog.errors import UnsafeSessionFileError
from sesslog.interop.importer import import_paths
from sesslog.interop.share import share_file, unshare
from sesslog.store import SessionInfo, SessionStore
from sesslog.store.backend import key_for

SMALL = SOURCES / "claude" / "small.jsonl"
SMALL_ID = "7a7a7a7a-1111-4222-8333-444455556666"
CODEX = SOURCES / "codex" / "small.jsonl"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_imported_sessions_are_listed_and_searchable_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = str(tmp_path / "store")
    assert _run(capsys, "import", str(SMALL), str(CODEX), "--root", root)[0] == 0
    code, out, _ = _run(capsys, "ls", "--root", root, "--json")
    assert code == 0
    listed = {info["id"]: info for info in json.loads(out)}
    assert SMALL_ID in listed and len(listed) == 2
    assert listed[SMALL_ID]["cwd"] == "/home/dev/shop"
    assert listed[SMALL_ID]["models"] == ["claude-opus-4-5-20251101"]
    code, out, _ = _run(capsys, "search", "Listing", "--root", root, "--json")
    assert code == 0
    assert {hit["session"]["id"] for hit in json.loads(out)} == {SMALL_ID}


def test_the_store_places_sessions_by_its_layout(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "store") as store:
        report = import_paths([SMALL], store)
        (info,) = store.list()
        assert info.id == SMALL_ID
        assert info.key == key_for("/home/dev/shop", info.created, SMALL_ID)
        assert report.files[0].sessions[0].path == info.path
        assert store.resolve(SMALL_ID[:8]).key == info.key


def test_an_in_memory_store_is_refused() -> None:
    with pytest.raises(ValueError, match="in memory"):
        import_paths([SMALL], SessionStore.in_memory())


def test_a_trashed_session_is_imported_anew(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "store") as store:
        import_paths([SMALL], store)
        store.delete(SMALL_ID)
        assert store.list() == []
        (again,) = import_paths([SMALL], store).files
        assert again.status == "imported"
        assert [info.id for info in store.list()] == [SMALL_ID]
        assert [item.id for item in store.trash()] == [SMALL_ID]
        with pytest.raises(FileExistsError):
            store.restore(SMALL_ID)  # the new copy holds its place


def test_import_never_writes_through_a_symlinked_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "store"
    root.mkdir()
    (root / "--home-dev-shop--").symlink_to(outside)
    with pytest.raises(UnsafeSessionFileError, match="symlink"):
        import_paths([SMALL], root)
    assert list(outside.iterdir()) == []


def test_unshared_session_is_in_the_store(tmp_path: Path) -> None:
    source = tmp_path / "store-a"
    import_paths([SMALL], source)
    (path,) = source.glob("*/*.jsonl")
    with SessionStore(tmp_path / "store-b") as store:
        result = unshare(share_file(path), store)
        (info,) = store.list()
        assert (info.id, info.path) == (SMALL_ID, result.path)
        assert store.search("Listing")[0].session.id == SMALL_ID


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    """A store holding the small Claude Code transcript (titled) and a Codex rollout."""
    root = tmp_path / "store"
    import_paths([SMALL, CODEX], root)
    with SessionStore(root) as store:
        store.set_title(SMALL_ID, "Listing the shop")
    return root


@pytest.mark.parametrize("ref", [SMALL_ID, SMALL_ID[:6], "Listing the shop"])
def test_export_takes_an_id_a_prefix_or_a_title(store_root: Path, ref: str) -> None:
    done = run_cli("export", ref, "--root", str(store_root), "--format", "md")
    assert done.returncode == 0, done.stderr
    assert b"List the files" in done.stdout


def test_export_and_share_find_the_store_through_the_environment(
    store_root: Path, tmp_path: Path
) -> None:
    env = {"SESSLOG_ROOT": str(store_root)}
    done = run_cli("export", SMALL_ID[:8], "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    bundle = tmp_path / "b.bundle"
    done = run_cli("share", SMALL_ID, "-o", str(bundle), env=env)
    assert done.returncode == 0, done.stderr
    with SessionStore(store_root) as store:
        original = Path(store.resolve(SMALL_ID).path).read_bytes()
    other = tmp_path / "other"
    done = run_cli("unshare", str(bundle), "--root", str(other), "--json")
    assert done.returncode == 0, done.stderr
    assert Path(json.loads(done.stdout)["path"]).read_bytes().startswith(original)


def test_unknown_and_ambiguous_references(store_root: Path) -> None:
    done = run_cli("export", "nothing-like-it", "--root", str(store_root), "--format", "md")
    assert done.returncode == 4
    assert b"nothing-like-it: no such file, nor a session with that id" in done.stderr
    with SessionStore(store_root) as store:
        (other,) = [info.id for info in store.list() if info.id != SMALL_ID]
        store.set_title(other, "Listing the shop")
    done = run_cli("share", "Listing the shop", "--root", str(store_root))
    assert done.returncode == 2
    assert b"matches 2 sessions" in done.stderr
    assert b"Traceback" not in done.stderr


def _store_tokens(info: SessionInfo) -> dict[str, int]:
    tokens = info.tokens
    return {
        "input": tokens.input,
        "output": tokens.output,
        "cacheRead": tokens.cache_read,
        "cacheWrite": tokens.cache_write,
    }


@pytest.mark.parametrize(
    ("name", "expected_of"),
    [("claude-real", claude_expected), ("codex-real", lambda path: {"": codex_expected(path)})],
)
def test_the_store_counts_each_response_once(
    name: str, expected_of: Callable[[Path], dict[str, Expected]], tmp_path: Path
) -> None:
    """Every real sample imported into one store: ``ls`` lists every session made, and the
    catalog's token counts are the source's per-response usage, each response once (a response
    split over several lines counted once, a repeated Codex token event not at all)."""
    files = shared_files(name)
    if not files:
        pytest.skip(f"{name} samples not found in ../shared")
    with SessionStore(tmp_path / "store") as store:
        report = import_paths(files, store)
        assert report.ok, [f.error for f in report.files if f.error]
        listed = {info.id: info for info in store.list()}
        expected = [e for path in files for e in expected_of(path).values()]
        assert set(listed) == {e.session_id for e in expected}
        for session in expected:
            assert _store_tokens(listed[session.session_id]) == session.usage, session.session_id
