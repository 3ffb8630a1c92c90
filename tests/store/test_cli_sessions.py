"""``open``, ``log``, ``new``, ``fork`` and ``branch``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runs import Store, files, run
from store_builders import SessionFile

LS_FIELDS = {"id", "path", "cwd", "title", "tags", "status", "created", "updated", "entries"}

Cap = pytest.CaptureFixture[str]


@pytest.mark.parametrize("ref", ["aaaa-1111", "aaaa", "Parser", "PATH"])
def test_open_by_id_prefix_title_and_path(capsys: Cap, store: Store, ref: str) -> None:
    ref = str(store.parser.path) if ref == "PATH" else ref
    done = run(capsys, "open", ref, "--json")
    assert (done.code, done.err) == (0, "")
    found = done.json()
    assert set(found) >= LS_FIELDS
    assert (found["id"], found["title"], found["tags"]) == ("aaaa-1111", "Parser", ["bug"])
    text = run(capsys, "open", ref)
    assert text.out.splitlines()[0] == str(store.parser.path)
    assert "Parser" in text.out.splitlines()[1]


def test_open_latest_and_continue(capsys: Cap, store: Store) -> None:
    assert run(capsys, "open", "--latest", "--json").json()["id"] == "bbbb-2222"
    done = run(capsys, "open", "--continue", "--cwd", "/home/dev/app", "--json")
    assert done.json()["id"] == "aaaa-1111"
    nothing = run(capsys, "open", "--continue", "--cwd", "/nowhere")
    assert nothing.code == 4 and "no session for /nowhere" in nothing.err


def test_open_refuses_bad_references(capsys: Cap, store: Store) -> None:
    SessionFile(store.root, "/home/dev/app", session_id="cccc-1")
    SessionFile(store.root, "/home/dev/app", session_id="cccc-2")
    before = files(store.root)
    cases = {
        ("open",): 2,
        ("open", "aaaa", "--latest"): 2,
        ("open", "../etc/passwd"): 2,
        ("open", "a/b"): 2,
        ("open", "cccc"): 2,
        ("open", "zzzz"): 4,
    }
    for argv, code in cases.items():
        done = run(capsys, *argv, "--json")
        assert done.code == code, argv
        assert len(done.err.splitlines()) == 1 and "Traceback" not in done.err
        assert done.json()["exitCode"] == code
    assert "cccc-1" in run(capsys, "open", "cccc").err
    assert files(store.root) == before


def test_log_filters(capsys: Cap, store: Store) -> None:
    everything = run(capsys, "log", "Parser", "--json").json()
    assert len(everything) == 7 and everything[0]["type"] == "session_info"
    users = run(capsys, "log", "Parser", "--role", "user", "--json").json()
    assert [e["message"]["content"] for e in users][-1] == "Thanks, and the Tokenizer?"
    assert [e["id"] for e in run(capsys, "log", "Parser", "--type", "custom", "--json").json()]
    grep = run(capsys, "log", "Parser", "--grep", "tokenizer", "--json").json()
    assert [e["id"] for e in grep] == [users[-1]["id"]]
    last = run(capsys, "log", "Parser", "--limit", "2", "--json").json()
    assert [e["id"] for e in last] == [e["id"] for e in everything[-2:]]
    since = run(capsys, "log", "Parser", "--since", everything[-2]["timestamp"], "--json")
    assert [e["id"] for e in since.json()] == [e["id"] for e in everything[-2:]]
    until = run(capsys, "log", "Parser", "--until", everything[1]["timestamp"], "--json")
    assert [e["id"] for e in until.json()] == [everything[0]["id"]]
    text = run(capsys, "log", "Parser", "--role", "assistant")
    assert text.code == 0 and len(text.out.splitlines()) == 2 and "Fixed the parser" in text.out


def test_log_of_the_active_path(capsys: Cap, store: Store) -> None:
    assert run(capsys, "branch", "Parser", store.first).code == 0
    active = run(capsys, "log", "Parser", "--active", "--json").json()
    assert active[-1]["parentId"] == store.first and len(active) == 4


def test_log_refuses_a_bad_time(capsys: Cap, store: Store) -> None:
    done = run(capsys, "log", "Parser", "--since", "yesterday")
    assert done.code == 2 and "--since: 'yesterday' is not an ISO 8601 time" in done.err


def test_new(capsys: Cap, store: Store) -> None:
    done = run(
        capsys,
        "new",
        "--cwd",
        "/srv/api",
        "--title",
        "Rate limits",
        "--tag",
        "backend",
        "--tag",
        "security",
        "--status",
        "failed",
        "--id",
        "dddd-4444",
        "--json",
    )
    assert done.code == 0, done.err
    made = done.json()
    assert (made["id"], made["cwd"], made["title"]) == ("dddd-4444", "/srv/api", "Rate limits")
    assert (made["tags"], made["status"]) == (["backend", "security"], "failed")
    assert Path(made["path"]).parent.name == "--srv-api--"
    assert run(capsys, "open", "Rate limits", "--json").json()["id"] == "dddd-4444"


@pytest.mark.parametrize(
    "argv",
    [
        ["--id", "../evil"],
        ["--id", "a/b"],
        ["--title", "bad\x1b[2Jtitle"],
        ["--tag", "ok", "--tag", "t\x07"],
        ["--tag", "rtl\u202eevil"],
        ["--status", "sleeping"],
    ],
)
def test_new_refuses_bad_input_and_writes_nothing(
    capsys: Cap, store: Store, argv: list[str]
) -> None:
    before = files(store.root)
    done = run(capsys, "new", "--cwd", "/srv/x", *argv, "--json")
    assert done.code == 2, done.err
    assert len(done.err.splitlines()) == 1 and "\x1b" not in done.err + done.out
    assert files(store.root) == before


def test_new_from_a_template(capsys: Cap, store: Store) -> None:
    template = SessionFile(store.root, "/home/dev/app", session_id="tttt-1", start=50000)
    template.name("Review")
    template.meta(tags=["template", "review"], purpose="code review")
    template.user("Review the diff: correctness first")
    template.assistant("Reviewing")
    done = run(
        capsys, "new", "--from-template", "Review", "--cwd", "/srv/x", "--title", "R1", "--json"
    )
    assert done.code == 0, done.err
    made = done.json()
    assert (made["title"], made["tags"], made["purpose"]) == ("R1", ["review"], "code review")
    assert made["custom"]["template"] == "tttt-1"
    opening = run(capsys, "log", "R1", "--role", "user", "--json").json()
    assert [e["message"]["content"] for e in opening] == ["Review the diff: correctness first"]
    assert run(capsys, "log", "R1", "--role", "assistant", "--json").json() == []
    missing = run(capsys, "new", "--from-template", "Nope")
    assert missing.code == 4 and "no template named 'Nope'" in missing.err


def test_fork(capsys: Cap, store: Store) -> None:
    done = run(capsys, "fork", "Parser", "--entry", store.first, "--title", "Fork", "--json")
    assert done.code == 0, done.err
    child = done.json()
    assert child["parent"] == str(store.parser.path) and child["title"] == "Fork"
    assert child["leaf"] != store.first  # the title came after the copied path
    copied = run(capsys, "log", "Fork", "--role", "user", "--json").json()
    assert [e["id"] for e in copied] == [store.first]
    whole = run(capsys, "fork", "aaaa-1111", "--whole-tree", "--json").json()
    assert whole["entries"] == 7


def test_fork_of_a_missing_entry_writes_nothing(capsys: Cap, store: Store) -> None:
    before = files(store.root)
    done = run(capsys, "fork", "Parser", "--entry", "nope")
    assert done.code == 4 and "nope" in done.err
    assert files(store.root) == before


def test_branch(capsys: Cap, store: Store) -> None:
    done = run(capsys, "branch", "Parser", store.first, "--summary", "dropped", "--json")
    assert done.code == 0, done.err
    moved = done.json()
    assert (moved["entry"], moved["type"]) == (store.first, "branch_summary")
    tree = run(capsys, "tree", "Parser", "--json").json()
    assert tree["leafId"] == moved["leaf"] and tree["path"][-2] == store.first
    plain = run(capsys, "branch", "Parser", store.first)
    assert plain.code == 0 and "leaf moved to" in plain.out


def test_branch_to_a_missing_entry_changes_nothing(capsys: Cap, store: Store) -> None:
    before = files(store.root)
    assert run(capsys, "branch", "Parser", "nope").code == 4
    assert files(store.root) == before
