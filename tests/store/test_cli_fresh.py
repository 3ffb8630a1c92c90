"""``ls`` and ``search`` answered by a fresh catalog (sesslog/catalog/fresh.py) print byte for
byte what the store prints, and are only answered so when a refresh would fold nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from store_builders import SessionFile, usage

from sesslog.catalog import detect
from sesslog.catalog.fresh import FreshCatalog
from sesslog.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]

COMMANDS = [
    ["ls"],
    ["ls", "--json"],
    ["ls", "--order", "cost", "--limit", "1"],
    ["ls", "--tag", "bug", "--json"],
    ["ls", "--since", "2026-01-05T10:00:30Z", "--asc", "--json"],
    ["search", "parser"],
    ["search", "parser", "--json"],
    ["search", "landing", "--json"],  # a score the standard library writes as msgspec does
    ["search", "page", "--limit", "1", "--offset", "0", "--json"],
    ["search", "nothing-of-the-sort", "--json"],
    ["search", '"unclosed', "--raw", "--json"],
    ["search", "the", "--bound", "2"],  # the newest two matches only, said on stderr
    ["search", "the", "--bound", "2", "--json"],
    ["stats"],
    ["stats", "--json"],
]

Result = tuple[int, bytes, bytes]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    a = SessionFile(tmp_path, "/home/dev/app", session_id="aaaa-1")
    a.name("Parser \x07 bell")
    a.user("the parser crashes on empty input: «é» \u2028 naïve")
    a.meta(tags=["bug"])
    a.assistant("Fixed the \x1b[31mparser", use=usage(10, 5, cost=0.25))
    b = SessionFile(tmp_path, "/home/dev/web", session_id="bbbb-2", start=40000)
    b.user("style the landing page; the parser is fine")
    b.assistant("Done", use=usage(1000, 20, cost=0.000001))
    _built(tmp_path)
    return tmp_path


def _built(root: Path) -> None:
    """Build the store's catalog and let it record settled folder times."""
    assert main(["ls", "--root", str(root)]) == 0
    _settle(root)
    assert main(["ls", "--root", str(root)]) == 0


def _settle(root: Path) -> None:
    """Date the store's folders a minute back, as folders nobody touched lately are (a
    folder time within a few seconds of now is not trusted, see sesslog.catalog.detect)."""
    past = time.time_ns() - 60 * 10**9
    for folder in [root, *(p for p in root.iterdir() if p.is_dir() and p.name[0] != ".")]:
        os.utime(folder, ns=(past, past))


def _run(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    argv: list[str],
    *,
    fresh: bool,
) -> tuple[Result, list[bool]]:
    """Run a command on ``root``; ``fresh=False`` keeps the fresh catalog from answering.
    Also says, per fresh check, whether it answered."""
    answered: list[bool] = []
    opened = FreshCatalog.open.__func__  # type: ignore[attr-defined]

    def spy(cls: type[FreshCatalog], where: str) -> FreshCatalog | None:
        found = opened(cls, where) if fresh else None
        answered.append(found is not None)
        return found  # type: ignore[no-any-return]

    capsysbinary.readouterr()  # what ran before
    with monkeypatch.context() as patch:
        patch.setattr(FreshCatalog, "open", classmethod(spy))
        code = main([*argv, "--root", str(root)])
    captured = capsysbinary.readouterr()
    return (code, captured.out, captured.err), answered


def _both(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    argv: list[str],
) -> tuple[Result, Result, list[bool]]:
    full, _ = _run(capsysbinary, monkeypatch, root, argv, fresh=False)
    lean, answered = _run(capsysbinary, monkeypatch, root, argv, fresh=True)
    return lean, full, answered


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_fresh_catalog_prints_what_the_store_prints(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    argv: list[str],
) -> None:
    lean, full, answered = _both(capsysbinary, monkeypatch, root, argv)
    assert lean == full
    assert full[0] in (0, 1, 2) and full[1]
    # ls and search (with no --session) are answered by the fresh catalog; stats by the store
    assert answered == ([] if argv[0] == "stats" else [True])


def test_a_change_is_folded_before_answering(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
) -> None:
    SessionFile(root, "/home/dev/app", session_id="cccc-3", start=50000).user("zebra parser")
    appended = next(root.glob("*web*/*.jsonl"))
    with appended.open("a") as handle:  # another program appends to a live session
        handle.write(
            '{"type":"message","id":"e9","parentId":null,"timestamp":"2026-01-05T12:00:00.000Z",'
            '"message":{"role":"user","content":"giraffe"}}\n'
        )
    _settle(root)  # the folders look settled: the live session must still be seen
    for argv in (["search", "giraffe", "--json"], ["ls", "--json"], ["search", "zebra"]):
        lean, answered = _run(capsysbinary, monkeypatch, root, argv, fresh=True)
        full, _ = _run(capsysbinary, monkeypatch, root, argv, fresh=False)
        assert lean == full and lean[0] == 0
    lean, answered = _run(capsysbinary, monkeypatch, root, ["ls", "--json"], fresh=True)
    assert b"cccc-3" in lean[1] and answered == [True]


def test_a_due_full_look_is_made_and_recorded(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
) -> None:
    monkeypatch.setattr(detect, "FULL_CHECK_NS", 0)  # every look is a full one
    lean, full, answered = _both(capsysbinary, monkeypatch, root, ["search", "parser", "--json"])
    assert lean == full and answered == [True]
    os.utime(next(root.glob("*app*/*.jsonl")), ns=(10**18, 10**18))  # touched: read again
    lean, answered = _run(capsysbinary, monkeypatch, root, ["ls", "--json"], fresh=True)
    assert answered == [False] and lean[0] == 0


def test_a_catalog_of_another_root_is_not_used(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    moved = tmp_path_factory.mktemp("moved") / "store"
    root.rename(moved)
    _settle(moved)
    lean, answered = _run(capsysbinary, monkeypatch, moved, ["ls", "--json"], fresh=True)
    assert answered == [False] and lean[0] == 0 and str(moved).encode() in lean[1]


def test_fresh_answers_load_neither_msgspec_nor_the_store(root: Path) -> None:
    script = (
        "import sys\n"
        "from sesslog.cli import main\n"
        f"for argv in (['ls', '--json'], ['ls'], ['search', 'landing', '--json']):\n"
        f"    main([*argv, '--root', {str(root)!r}])\n"
        "loaded = [m for m in ('msgspec', 'sesslog.store.core', 'sesslog.catalog.facts',"
        " 'sesslog.format.reader') if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, cwd=REPO_ROOT, check=True
    )
    assert done.stderr.decode().strip() == "[]"


def test_a_symlink_in_the_store_is_left_to_the_store(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
) -> None:
    target = root.parent / "elsewhere.jsonl"
    target.write_bytes(next(root.glob("*web*/*.jsonl")).read_bytes())
    (next(root.glob("*app*")) / "2026-01-06T00-00-00-000Z_link.jsonl").symlink_to(target)
    _built(root)  # the catalog holds the symlink with its problem
    monkeypatch.setattr(detect, "FULL_CHECK_NS", 0)  # a full look each time, too
    for argv in (["ls", "--json"], ["search", "landing"]):
        lean, full, answered = _both(capsysbinary, monkeypatch, root, argv)
        assert lean == full and answered == [False]


def test_a_fleet_catalog_is_never_bypassed(
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
) -> None:
    monkeypatch.setenv("SESSLOG_CATALOG", "postgresql://127.0.0.1:1/nothing")
    (code, out, err), answered = _run(capsysbinary, monkeypatch, root, ["ls", "--json"], fresh=True)
    assert answered == [] and code != 0 and b"127.0.0.1" in err + out
