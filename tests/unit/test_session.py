"""The Session facade: create in pi's layout, open, typed appends, branch, fork, in memory."""

from __future__ import annotations

import json
import os
import stat
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from sesslog import (
    EntryNotFoundError,
    ReadOnlySessionError,
    Session,
    SessionNotFoundError,
)
from sesslog import entries as E
from sesslog.session import LEAF_CUSTOM_TYPE

START_MS = 1767607200123  # 2026-01-05T10:00:00.123Z


def ticking(start: int = START_MS, step: int = 1000) -> Callable[[], int]:
    """A clock for tests: each call is ``step`` ms after the previous one."""
    now = [start - step]

    def clock() -> int:
        now[0] += step
        return now[0]

    return clock


def file_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def fill(session: Session) -> dict[str, str]:
    """Append one entry of every kind; return their ids by kind."""
    ids = {}
    ids["model"] = session.append_model_change("anthropic", "claude-sonnet-4-5").id
    ids["thinking"] = session.append_thinking_level_change("medium").id
    ids["user"] = session.append_user_message("List the files").id
    call = E.ToolCall(id="toolu_1", name="bash", arguments={"command": "ls"})
    ids["assistant"] = session.append_assistant_message(
        [E.ThinkingContent(thinking="easy"), call], provider="anthropic", model="claude-opus-4-5"
    ).id
    ids["tool"] = session.append_tool_result("toolu_1", "bash", "a.py\nb.py", details={"n": 2}).id
    ids["bash"] = session.append_bash_execution("pwd", "/home/me/app\n", exit_code=0).id
    ids["custom"] = session.append_custom("ext.state", {"open": ["a.py"]}).id
    ids["custom_message"] = session.append_custom_message("ext.note", "Remember the tests").id
    ids["user2"] = session.append_user_message(
        [E.TextContent(text="and this"), E.ImageContent(data="iVBORw0K", mime_type="image/png")]
    ).id
    ids["compaction"] = session.append_compaction("## Goal\nlist files", ids["user"], 4242).id
    ids["label"] = session.set_label(ids["user"], "start").id
    ids["name"] = session.set_name("File listing").id
    ids["reply"] = session.append_assistant_message(
        "Done.", provider="openai", model="gpt-5", api="openai-responses"
    ).id
    return ids


def test_create_uses_pi_layout_modes_and_header(tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    session = Session.create(cwd="/home/me/my app", root=root, clock=ticking())
    path = session.path
    assert path is not None
    assert path.parent == root / "--home-me-my app--"
    assert path.name == f"2026-01-05T10-00-00-123Z_{session.id}.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    header = file_lines(path)[0]
    assert list(json.loads(header)) == ["type", "version", "id", "timestamp", "cwd"]
    assert json.loads(header) == {
        "type": "session",
        "version": 3,
        "id": session.id,
        "timestamp": "2026-01-05T10:00:00.123Z",
        "cwd": "/home/me/my app",
    }
    assert session.id[14] == "7"  # a UUID version 7
    session.close()


def test_create_under_pi_agent_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PI_CODING_AGENT_DIR", str(tmp_path / "agent"))
    session = Session.create(cwd="C:\\Users\\me\\app", session_id="s-1", clock=ticking())
    assert session.path == (
        tmp_path
        / "agent"
        / "sessions"
        / "--C--Users-me-app--"
        / "2026-01-05T10-00-00-123Z_s-1.jsonl"
    )
    session.close()


def test_create_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"precious\n")
    with pytest.raises(FileExistsError):
        Session.create(path=path)
    assert path.read_bytes() == b"precious\n"


def test_every_append_helper_round_trips_through_the_file(tmp_path: Path, helpers) -> None:
    session = Session.create(cwd="/app", root=tmp_path, clock=ticking())
    ids = fill(session)
    session.close()
    assert session.path is not None
    lines = file_lines(session.path)
    assert len(lines) == 1 + len(ids)
    assert [rec.raw + b"\n" for rec in session.tree] == lines[1:]

    reopened = Session.open(session.path, mode="strict")
    assert helpers.snapshot(reopened) == helpers.snapshot(session)
    kinds = [json.loads(line)["type"] for line in lines[1:]]
    assert kinds == [
        "model_change",
        "thinking_level_change",
        "message",
        "message",
        "message",
        "message",
        "custom",
        "custom_message",
        "message",
        "compaction",
        "label",
        "session_info",
        "message",
    ]
    for line in lines[1:]:
        assert reopened.get(json.loads(line)["id"]).typed() is not None
    assert reopened.labels == {ids["user"]: "start"}
    assert reopened.name == "File listing"
    ctx = reopened.context()
    assert ctx.model == {"provider": "openai", "modelId": "gpt-5"}
    assert ctx.thinking_level == "medium"
    assert [m["role"] for m in ctx.messages] == [
        "compactionSummary",
        "user",
        "assistant",
        "toolResult",
        "bashExecution",
        "custom",
        "user",
        "assistant",
    ]
    assert ctx.messages[3]["details"] == {"n": 2}
    assert ctx.messages[2]["stopReason"] == "toolUse"


def test_entries_chain_to_the_leaf_with_clock_timestamps(tmp_path: Path) -> None:
    session = Session.in_memory(clock=ticking(step=0))
    a = session.append_user_message("one")
    b = session.append_user_message("two")
    assert a.parent_id is None and b.parent_id == a.id
    assert a.timestamp == "2026-01-05T10:00:00.123Z"
    assert json.loads(a.raw)["message"]["timestamp"] == START_MS
    assert all(len(rec.id) == 8 and int(rec.id, 16) >= 0 for rec in session.tree)


def test_append_checks(tmp_path: Path) -> None:
    session = Session.in_memory()
    first = session.append_user_message("hi")
    with pytest.raises(ValueError):
        session.append_thinking_level_change("extreme")
    with pytest.raises(EntryNotFoundError):
        session.set_label("nope", "x")
    with pytest.raises(EntryNotFoundError):
        session.branch("nope")
    with pytest.raises(ValueError):
        session.append_entry({"type": "custom", "id": first.id, "parentId": None})
    with pytest.raises(ValueError):
        session.append_entry({"type": "custom", "id": "new", "parentId": "missing"})
    with pytest.raises(ValueError):
        session.append_entry({"type": "custom", "parentId": None})
    assert len(session) == 1


def test_appended_lines_are_kept_in_memory_at_their_size() -> None:
    """A session keeps every appended line's bytes, so they must not carry the encoder's
    spare room (about half the line again)."""
    session = Session.in_memory()
    text = "x" * 8000
    session.append_user_message(text)  # the first append sizes the encode buffer
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        records = [session.append_user_message(text) for _ in range(20)]
        records += [session.append_entry(_next_user_entry(session, text, n)) for n in range(20)]
        grown = tracemalloc.take_snapshot().compare_to(before, "filename")
    finally:
        tracemalloc.stop()
    line_bytes = sum(len(rec.raw) for rec in records)
    assert line_bytes > 320_000
    # Everything the 40 appends kept, lines, records and index together, against the lines alone
    # (the log's own copy, which a file would hold on disk, is the memory backend's).
    kept = [c for c in grown if not c.traceback[0].filename.endswith("backends/memory.py")]
    assert sum(change.size_diff for change in kept) < line_bytes * 1.2


def _next_user_entry(session: Session, text: str, n: int) -> E.MessageEntry:
    message = E.UserMessage(content=text, timestamp=1)
    return E.MessageEntry(
        id=f"e{n:07d}", parent_id=session.tree.leaf_id, timestamp="t", message=message
    )


def test_append_entry_keeps_unknown_types(tmp_path: Path) -> None:
    session = Session.create(cwd="/", root=tmp_path)
    leaf = session.append_user_message("hi").id
    obj = {
        "type": "usage",
        "id": "u1",
        "parentId": leaf,
        "timestamp": "2026-01-05T10:00:00Z",
        "n": 5,
    }
    session.append_entry(obj)
    session.close()
    assert session.path is not None
    last = file_lines(session.path)[-1]
    assert json.loads(last) == obj
    assert Session.open(session.path).leaf_id == "u1"


@pytest.mark.parametrize("summary", [None, "tried the slow way"])
def test_branch_is_persisted_across_reopen(tmp_path: Path, summary: str | None) -> None:
    session = Session.create(cwd="/", root=tmp_path, clock=ticking())
    q1 = session.append_user_message("q1").id
    session.append_assistant_message("slow answer", provider="p", model="m")
    moved = session.branch(q1, summary=summary)
    assert session.leaf_id == moved.id and moved.parent_id == q1
    q2 = session.append_user_message("q2").id
    session.close()
    assert session.path is not None

    reopened = Session.open(session.path)
    assert reopened.leaf_id == q2
    assert reopened.tree.path_ids() == [q1, moved.id, q2]
    roles = [m["role"] for m in reopened.context().messages]
    entry = reopened.get(moved.id).decode()
    if summary is None:
        assert entry["type"] == "custom" and entry["customType"] == LEAF_CUSTOM_TYPE
        assert roles == ["user", "user"]
    else:
        assert entry["type"] == "branch_summary" and entry["summary"] == summary
        assert roles == ["user", "branchSummary", "user"]
    assert len(reopened.tree.children(q1)) == 2


def test_branch_to_before_the_first_entry(tmp_path: Path) -> None:
    session = Session.in_memory(clock=ticking())
    session.append_user_message("q1")
    moved = session.branch(None)
    session.append_user_message("fresh start")
    assert moved.parent_id is None
    assert len(session.tree.roots()) == 2
    assert [m["content"] for m in session.context().messages] == ["fresh start"]


def test_fork_copies_the_path_and_names_the_parent(tmp_path: Path) -> None:
    session = Session.create(cwd="/app", root=tmp_path, clock=ticking())
    q1 = session.append_user_message("q1").id
    a1 = session.append_assistant_message("a1", provider="p", model="m").id
    session.branch(q1, summary="other")
    session.append_user_message("q2")
    session.close()
    assert session.path is not None
    source = file_lines(session.path)
    by_id = {json.loads(line)["id"]: line for line in source[1:]}

    fork = session.fork(a1)
    assert fork.path is not None and fork.path.parent == session.path.parent
    assert fork.header["parentSession"] == str(session.path)
    assert fork.id != session.id
    assert file_lines(fork.path)[1:] == [by_id[q1], by_id[a1]]
    assert fork.leaf_id == a1 and not fork.read_only
    assert stat.S_IMODE(fork.path.stat().st_mode) == 0o600
    fork.append_user_message("continue in the fork")
    fork.close()
    assert file_lines(session.path) == source

    whole = session.fork(whole_tree=True, path=tmp_path / "whole.jsonl")
    assert file_lines(tmp_path / "whole.jsonl")[1:] == source[1:]
    assert whole.tree.path_ids() == session.tree.path_ids()
    with pytest.raises(FileExistsError):
        session.fork(path=tmp_path / "whole.jsonl")


def test_in_memory_session_writes_nothing_and_exports(tmp_path: Path, helpers) -> None:
    before = set(os.listdir(tmp_path))
    session = Session.in_memory(cwd="/mem", clock=ticking())
    fill(session)
    session.close()
    assert session.path is None and set(os.listdir(tmp_path)) == before
    path = tmp_path / "exported.jsonl"
    path.write_bytes(session.export_jsonl())
    assert helpers.snapshot(Session.open(path, mode="strict")) == helpers.snapshot(session)
    forked = session.fork(root=tmp_path)
    assert forked.path is not None and forked.path.parent == tmp_path / "--mem--"
    assert "parentSession" not in forked.header


def test_open_missing_file_and_read_only(tmp_path: Path) -> None:
    with pytest.raises(SessionNotFoundError) as caught:
        Session.open(tmp_path / "nope.jsonl")
    assert isinstance(caught.value, FileNotFoundError)
    session = Session.create(path=tmp_path / "s.jsonl")
    session.append_user_message("hi")
    session.close()
    data = (tmp_path / "s.jsonl").read_bytes()
    ro = Session.open(tmp_path / "s.jsonl", read_only=True)
    with pytest.raises(ReadOnlySessionError):
        ro.append_user_message("no")
    assert (tmp_path / "s.jsonl").read_bytes() == data


def test_reopened_session_appends_after_the_last_line(tmp_path: Path) -> None:
    session = Session.create(path=tmp_path / "s.jsonl", clock=ticking())
    first = session.append_user_message("one").id
    session.close()
    again = Session.open(tmp_path / "s.jsonl", clock=ticking(START_MS + 60_000))
    second = again.append_user_message("two")
    again.close()
    assert second.parent_id == first
    assert Session.open(tmp_path / "s.jsonl").tree.path_ids() == [first, second.id]


def test_symlink_at_the_session_path_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"do not touch\n")
    link = tmp_path / "s.jsonl"
    link.symlink_to(victim)
    with pytest.raises(OSError):
        Session.create(path=link)
    assert victim.read_bytes() == b"do not touch\n"


def test_symlink_planted_over_an_existing_session_is_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    session = Session.create(path=path)
    session.append_user_message("hi")
    session.close()
    victim = tmp_path / "victim.jsonl"
    victim.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(victim)
    before = victim.read_bytes()
    reopened = Session.open(path)  # reading through the link is fine
    with pytest.raises(OSError):
        reopened.append_user_message("must not land in the victim")
        reopened.close()
    assert victim.read_bytes() == before
