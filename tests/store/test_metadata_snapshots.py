"""Metadata as entries (the last wins; pi still opens the file), snapshots with undo and redo
as leaf moves (nothing deleted), and templates."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesslog import Session
from sesslog.errors import NothingToUndoError, SessionNotFoundError, SnapshotNotFoundError
from sesslog.store import SessionStore, read_metadata
from sesslog.store.snapshots import redo, restore_snapshot, snapshot, undo


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    made = SessionStore(tmp_path)
    yield made
    made.close()


def _lines(session: Session) -> list[dict[str, object]]:
    assert session.path is not None
    return [json.loads(line) for line in session.path.read_bytes().splitlines()[1:]]


def test_metadata_entries_in_the_session(store: SessionStore) -> None:
    session = store.create("/w", title="Meta")
    session.close()
    store.tag("Meta", "bug", "ui")
    store.tag("Meta", "ui", "later")
    store.untag("Meta", "bug")
    store.set_status("Meta", "failed")
    store.update_metadata(
        "Meta", purpose="find the leak", user="bo", agents=["pi"], custom={"ticket": 7, "x": 1}
    )
    store.update_metadata("Meta", custom={"x": None}, purpose=None)
    store.set_title("Meta", "Meta, renamed")
    meta = store.metadata("Meta, renamed")
    assert (meta.title, meta.tags, meta.status) == ("Meta, renamed", ["ui", "later"], "failed")
    assert (meta.purpose, meta.user, meta.agents, meta.custom) == (
        None,
        "bo",
        ["pi"],
        {"ticket": 7},
    )
    opened = store.open("Meta, renamed")
    assert read_metadata(opened) == meta
    entries = _lines(opened)
    kinds = [(e["type"], e.get("customType")) for e in entries]
    assert kinds.count(("custom", "sesslog.meta")) == 6
    assert entries[-1] == {**entries[-1], "type": "session_info", "name": "Meta, renamed"}
    assert entries[2]["data"] == {"tags": ["bug", "ui", "later"]}
    # every entry is a child of the one before: the file is an ordinary pi session
    assert all(e["parentId"] == prev["id"] for prev, e in itertools.pairwise(entries))
    opened.close()


def test_snapshot_restore_undo_redo(store: SessionStore) -> None:
    session = store.create("/w", title="Snap")
    first = session.append_user_message("first question")
    session.append_user_message("a detour")
    session.close()
    store.snapshot("Snap", "detour")
    s = store.open("Snap")
    leaf_at_detour = store.snapshots("Snap")["detour"]
    assert leaf_at_detour is not None
    s.branch(first.id)  # go back and try again (a leaf move)
    s.append_user_message("the better way")
    s.close()
    store.snapshot("Snap", "better")
    entries_before = len(store.open("Snap", read_only=True).tree)

    moved = store.restore_snapshot("Snap", "detour")
    s = store.open("Snap", read_only=True)
    assert s.leaf_id == moved.id and s.tree.parent_of(moved.id) == leaf_at_detour
    assert s.context().messages[-1]["content"] == "a detour"

    store.undo("Snap")  # back to where the restore left from (the "better" snapshot)
    s = store.open("Snap", read_only=True)
    assert s.get(s.tree.parent_of(s.leaf_id)).decode()["data"]["name"] == "better"  # type: ignore[arg-type]
    assert s.context().messages[-1]["content"] == "the better way"

    store.undo("Snap")  # undo the branch back to the first question: back to the detour
    s = store.open("Snap", read_only=True)
    assert s.context().messages[-1]["content"] == "a detour"

    store.redo("Snap")
    s = store.open("Snap", read_only=True)
    assert s.context().messages[-1]["content"] == "the better way"
    store.redo("Snap")
    s = store.open("Snap", read_only=True)
    assert s.context().messages[-1]["content"] == "a detour"
    with pytest.raises(NothingToUndoError):
        store.redo("Snap")
    # nothing was deleted: every entry is still there, each move one more entry
    assert len(s.tree) == entries_before + 5
    with pytest.raises(SnapshotNotFoundError):
        store.restore_snapshot("Snap", "nope")


def test_a_new_move_clears_redo() -> None:
    s = Session.in_memory()
    a = s.append_user_message("a")
    s.append_user_message("b")
    snapshot(s, "b")
    s.branch(a.id)
    undo(s)
    restore_snapshot(s, "b")
    with pytest.raises(NothingToUndoError):
        redo(s)
    with pytest.raises(NothingToUndoError):
        undo(Session.in_memory())


def test_pi_session_name_and_leaf_survive_a_reopen(store: SessionStore) -> None:
    session = store.create("/w", title="Again")
    session.append_user_message("one")
    session.close()
    store.snapshot("Again", "s1")
    store.restore_snapshot("Again", "s1")
    reopened = Session.open(store.resolve("Again").path)
    assert reopened.name == "Again"
    assert reopened.context().messages[-1]["content"] == "one"


def test_templates(store: SessionStore) -> None:
    template = store.create(
        "/srv/tpl",
        title="Review",
        tags=["template", "review"],
        purpose="code review",
        custom={"team": "core"},
    )
    template.append_model_change("anthropic", "claude-opus-4-5")
    template.append_custom_message("instructions", "Review the diff carefully.")
    template.append_user_message("Here is the diff:")
    from sesslog.format import entries as E

    template.append_assistant_message(
        [E.TextContent(text="looks fine")], provider="anthropic", model="m"
    )
    template.close()
    assert [t.title for t in store.templates()] == ["Review"]
    new = store.create_from_template("Review", "/home/me/project", title="Review #1")
    new.close()
    info = store.resolve("Review #1")
    assert (info.cwd, info.tags, info.purpose, info.status) == (
        "/home/me/project",
        ["review"],
        "code review",
        "active",
    )
    assert info.custom == {"team": "core", "template": template.id}
    opened = store.open("Review #1", read_only=True)
    messages = opened.context().messages
    assert [m["role"] for m in messages] == ["custom", "user"]
    assert opened.context().model == {"provider": "anthropic", "modelId": "claude-opus-4-5"}
    assert info.roles == {"user": 1}
    with pytest.raises(SessionNotFoundError):
        store.create_from_template("Review #1")  # not tagged as a template
