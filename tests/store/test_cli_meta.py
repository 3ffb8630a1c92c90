"""``name``, ``tag``, ``status REF STATUS``, ``label`` and ``meta``: each appends one entry,
and refuses bad text before writing anything."""

from __future__ import annotations

import pytest
from cli_runs import Store, files, run
from store_builders import SessionFile

Cap = pytest.CaptureFixture[str]
META = {"id", "path", "title", "tags", "status", "purpose", "user", "agents", "custom"}


def test_name(capsys: Cap, store: Store) -> None:
    done = run(capsys, "name", "Parser", "Parser crash", "--json")
    assert done.code == 0, done.err
    assert set(done.json()) == META and done.json()["title"] == "Parser crash"
    assert run(capsys, "open", "Parser crash", "--json").json()["id"] == "aaaa-1111"
    assert run(capsys, "open", "Parser").code == 4


def test_tag_and_untag(capsys: Cap, store: Store) -> None:
    assert run(capsys, "tag", "aaaa", "urgent", "bug", "--json").json()["tags"] == [
        "bug",
        "urgent",
    ]
    assert run(capsys, "tag", "aaaa", "bug", "--remove", "--json").json()["tags"] == ["urgent"]
    listed = run(capsys, "ls", "--tag", "urgent", "--json").json()
    assert [s["id"] for s in listed] == ["aaaa-1111"]
    text = run(capsys, "tag", "aaaa", "x")
    assert text.code == 0 and "tags     urgent, x" in text.out


def test_status(capsys: Cap, store: Store) -> None:
    done = run(capsys, "status", "Parser", "completed", "--json")
    assert done.code == 0 and done.json()["status"] == "completed"
    listed = run(capsys, "ls", "--status", "completed", "--json").json()
    assert [s["id"] for s in listed] == ["aaaa-1111"]
    sidecar = run(capsys, "status", str(store.parser.path), "--json")  # the V2 state, as before
    assert sidecar.code == 0 and sidecar.json()["kind"] == "unmigrated"


def test_label(capsys: Cap, store: Store) -> None:
    done = run(capsys, "label", "Parser", store.first, "start", "--json")
    assert done.code == 0 and done.json() == {
        "path": str(store.parser.path),
        "entry": store.first,
        "label": "start",
    }
    labels = run(capsys, "tree", "Parser", "--json").json()["labels"]
    assert labels == {store.first: "start"}
    cleared = run(capsys, "label", "Parser", store.first, "--clear")
    assert cleared.code == 0 and cleared.out.endswith(f"entry {store.first} cleared\n")
    assert run(capsys, "tree", "Parser", "--json").json()["labels"] == {}


def test_meta(capsys: Cap, store: Store) -> None:
    shown = run(capsys, "meta", "Parser", "--json")
    assert shown.code == 0 and set(shown.json()) == META and shown.json()["custom"] == {}
    done = run(
        capsys, "meta", "Parser", "--set", "ticket=ABC-1", "--set", "eq=a=b", "--purpose", "fix"
    )
    assert done.code == 0 and "ticket=ABC-1" in done.out
    data = run(capsys, "meta", "Parser", "--json").json()
    assert (data["custom"], data["purpose"]) == ({"ticket": "ABC-1", "eq": "a=b"}, "fix")
    assert run(capsys, "meta", "Parser", "--unset", "ticket", "--json").json()["custom"] == {
        "eq": "a=b"
    }
    listed = run(capsys, "ls", "--json").json()
    assert next(s for s in listed if s["id"] == "aaaa-1111")["custom"] == {"eq": "a=b"}


@pytest.mark.parametrize(
    "argv",
    [
        ["name", "Parser", "evil\x1b]0;pwned\x07"],
        ["name", "Parser", "   "],
        ["tag", "Parser", "ok", "bad\ttag"],
        ["tag", "Parser", "bidi\u202e"],
        ["status", "Parser", "sleeping"],
        ["label", "Parser", "ENTRY", "bad\nlabel"],
        ["label", "Parser", "ENTRY"],
        ["meta", "Parser", "--set", "novalue"],
        ["meta", "Parser", "--set", "bad\x01key=v"],
        ["name", "../../etc/passwd", "x"],
        ["tag", "aaaa/..", "x"],
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    capsys: Cap, store: Store, argv: list[str]
) -> None:
    before = files(store.root)
    argv = [store.first if a == "ENTRY" else a for a in argv]
    done = run(capsys, *argv, "--json")
    assert done.code == 2, done.err
    assert len(done.err.splitlines()) == 1 and "\x1b" not in done.err + done.out
    assert done.json()["exitCode"] == 2
    assert files(store.root) == before


def test_a_missing_session_or_entry(capsys: Cap, store: Store) -> None:
    before = files(store.root)
    assert run(capsys, "name", "nope", "x").code == 4
    assert run(capsys, "label", "Parser", "nope", "x").code == 4
    assert files(store.root) == before


def test_hostile_text_from_a_file_is_shown_escaped(capsys: Cap, store: Store) -> None:
    hostile = SessionFile(store.root, "/home/\x1b[2Jdev", session_id="eeee-5555", folder="odd")
    hostile.name("evil\x1b]0;pwned\x07\u202etitle")
    hostile.meta(tags=["t\x1b[31m"], custom={"k\x1b": "v\x07"})
    for argv in (["ls"], ["open", "eeee"], ["meta", "eeee"], ["log", "eeee"], ["trash"]):
        done = run(capsys, *argv, "--color", "always")
        assert done.code == 0, argv
        assert "\x1b]" not in done.out and "\x07" not in done.out and "\u202e" not in done.out
        assert "\x1b[2J" not in done.out and "t\x1b[31m" not in done.out
    assert "t\\x1b[31m" in run(capsys, "meta", "eeee").out  # shown as a visible escape
    shown = run(capsys, "meta", "eeee", "--json").json()
    assert shown["title"] == "evil\x1b]0;pwned\x07\u202etitle"  # JSON keeps the exact value
