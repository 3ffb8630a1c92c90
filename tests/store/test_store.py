"""The store's operations: create, open by id, prefix, title or path, latest, exists, list,
info, search, stats, trash, restore, empty-trash, cleanup; over a folder and in memory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_builders import SessionFile

from sesslog import Session
from sesslog.errors import AmbiguousSessionError, SessionLockedError, SessionNotFoundError
from sesslog.store import SessionStore

T0 = 1767607200000  # 2026-01-05T10:00:00Z


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        self.now += 1000
        return self.now


@pytest.fixture(params=["folder", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    clock = Clock()
    if request.param == "folder":
        made = SessionStore(tmp_path / "sessions", clock=clock)
    else:
        made = SessionStore.in_memory(clock=clock)
    yield made
    made.close()


def _make(store: SessionStore, cwd: str, title: str | None = None, **kw: object) -> Session:
    session = store.create(cwd, title=title, **kw)  # type: ignore[arg-type]
    session.append_user_message(f"hello from {cwd}")
    session.close()
    return session


def test_create_and_open_by_id_prefix_title_and_path(store: SessionStore) -> None:
    made = _make(store, "/home/a/app", "Fix the parser", tags=["bug"], status="active")
    other = _make(store, "/home/a/other", "Deploy")
    info = store.resolve(made.id)
    assert (info.title, info.tags, info.cwd, info.entries) == (
        "Fix the parser",
        ["bug"],
        "/home/a/app",
        3,
    )
    with pytest.raises(AmbiguousSessionError):
        store.open(made.id[:8])  # time-ordered ids made a second apart share this prefix
    for ref in (made.id, made.id[:-4], "Fix the parser", info.path):
        opened = store.open(ref)
        assert opened.id == made.id
        assert opened.context().messages[0]["content"] == "hello from /home/a/app"
        opened.close()
    assert store.open(other.id[:-4]).id == other.id
    if store.root is not None:
        assert info.path == str(made.path)
        assert made.path is not None and made.path.parent.name == "--home-a-app--"


def test_latest_overall_and_per_cwd(store: SessionStore) -> None:
    assert store.latest() is None
    first = _make(store, "/w/one", "First")
    second = _make(store, "/w/two", "Second")
    assert store.latest().id == second.id  # type: ignore[union-attr]
    assert store.latest("/w/one").id == first.id  # type: ignore[union-attr]
    reopened = store.open(first.id)
    reopened.append_user_message("later")
    reopened.close()
    assert store.latest().id == first.id  # type: ignore[union-attr]
    latest = store.open_latest("/w/two")
    assert latest.id == second.id
    latest.close()
    with pytest.raises(SessionNotFoundError):
        store.open_latest("/nowhere")


def test_exists(store: SessionStore) -> None:
    made = _make(store, "/w", "Here")
    assert store.exists(made.id) and store.exists("Here") and store.exists(made.id[:8])
    assert not store.exists("Nowhere") and not store.exists("0000dead")


def test_list_filters_through_the_store(store: SessionStore) -> None:
    a = _make(store, "/w/a", "Alpha", tags=["x", "y"], user="ann", status="completed")
    b = _make(store, "/w/b", "Beta", tags=["y"], purpose="research")
    assert [i.id for i in store.list(tags="y")] == [b.id, a.id]
    assert [i.id for i in store.list(tags=["x", "y"])] == [a.id]
    assert [i.id for i in store.list(user="ann")] == [a.id]
    assert [i.id for i in store.list(status="active")] == [b.id]
    assert [i.id for i in store.list(title="alp")] == [a.id]
    assert [i.id for i in store.list(cwd="/w/b")] == [b.id]
    created = dt.datetime.fromisoformat(store.resolve(b.id).created.replace("Z", "+00:00"))
    assert [i.id for i in store.list(created_after=created)] == [b.id]
    assert [i.id for i in store.list(created_before=store.resolve(b.id).created)] == [a.id]
    assert [i.id for i in store.list(order="title", descending=False, limit=1)] == [a.id]
    assert [i.id for i in store.list(limit=1, offset=1)] == [a.id]
    assert store.resolve(b.id).purpose == "research"


def test_info_search_and_stats(store: SessionStore) -> None:
    session = store.create("/w", title="Tools")
    from sesslog.format import entries as E

    session.append_user_message("run the tests")
    session.append_assistant_message(
        [E.ToolCall(id="c1", name="bash", arguments={"command": "pytest -q"})],
        provider="anthropic",
        model="claude-sonnet-4-5",
        usage=E.Usage(input=10, output=2, total_tokens=12, cost=E.Cost(total=0.25)),
    )
    session.append_tool_result("c1", "bash", "3 passed")
    session.close()
    details = store.info("Tools")
    assert [(t.tool, t.summary, t.ok) for t in details.tools] == [("bash", "pytest -q", True)]
    assert (details.info.cost, details.info.tokens.total) == (0.25, 12)
    hits = store.search("pytest")
    assert [(h.kind, h.snippet) for h in hits] == [("tool", "bash «pytest» -q")]
    assert store.search("passed", session="Tools")[0].kind == "toolResult"
    assert (store.search("run", bound=1).bounded, store.search("run").bounded) == (None, None)
    with pytest.raises(ValueError, match="search bound must be at least 1, not 0"):
        store.search("pytest", bound=0)
    stats = store.stats()
    assert (stats.sessions, stats.responses, stats.cost) == (1, 1, 0.25)
    assert [t.tool for t in stats.tools] == ["bash"]


def test_parent_session_lineage(store: SessionStore) -> None:
    parent = _make(store, "/w", "Parent")
    child = store.create("/w", parent=parent.id, title="Child")
    child.close()
    info = store.resolve("Child")
    assert info.parent == store.resolve(parent.id).path
    assert [i.title for i in store.list(parent=parent.id)] == ["Child"]


def test_delete_trash_restore_and_empty(store: SessionStore) -> None:
    keep = _make(store, "/w", "Keep")
    gone = _make(store, "/w", "Gone")
    item = store.delete("Gone")
    assert item.id == gone.id
    assert [i.title for i in store.list()] == ["Keep"]
    assert not store.exists(gone.id)
    assert [t.id for t in store.trash()] == [gone.id]
    if store.root is not None:
        assert Path(item.location).exists() and ".sesslog/trash" in item.location
    restored = store.restore(gone.id[:8] if gone.id[:8] != keep.id[:8] else item.trash_key)
    assert (restored.title, restored.entries) == ("Gone", 2)
    assert store.trash() == []
    store.delete(gone.id)
    assert [t.id for t in store.empty_trash(older_than=dt.timedelta(days=1))] == []
    assert [t.id for t in store.empty_trash()] == [gone.id]
    assert store.trash() == []
    with pytest.raises(SessionNotFoundError):
        store.restore(gone.id)
    assert [i.title for i in store.list()] == ["Keep"]


def test_restore_refuses_to_overwrite(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    made = _make(store, "/w", "Twice")
    data = made.path.read_bytes()  # type: ignore[union-attr]
    item = store.delete(made.id)
    made.path.write_bytes(data)  # type: ignore[union-attr]
    with pytest.raises(FileExistsError):
        store.restore(item.trash_key)
    assert [t.trash_key for t in store.trash()] == [item.trash_key]


def test_delete_refuses_a_session_being_written(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    made = _make(store, "/w", "Busy")
    writer = Session.open(made.path)  # type: ignore[arg-type]
    writer.append_user_message("still writing")
    writer.flush()
    with pytest.raises(SessionLockedError):
        store.delete("Busy")
    writer.close()
    assert store.delete("Busy").id == made.id


def test_cleanup_dry_run_then_confirmed(store: SessionStore) -> None:
    old = _make(store, "/w", "Old")
    _make(store, "/w", "Template", tags=["template"])
    store._clock.now += 40 * 86_400_000  # type: ignore[attr-defined]
    recent = _make(store, "/w", "Recent")
    dry = store.cleanup(dt.timedelta(days=30))
    assert [i.id for i in dry] == [old.id]
    assert len(store.list()) == 3 and store.trash() == []
    done = store.cleanup(dt.timedelta(days=30), confirm=True)
    assert [i.id for i in done] == [old.id]
    assert {i.title for i in store.list()} == {"Template", "Recent"}
    assert [t.id for t in store.trash()] == [old.id]
    assert store.resolve(recent.id).title == "Recent"


def test_sessions_written_behind_the_stores_back(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    s = SessionFile(tmp_path, "/home/pi/work")
    s.user("written by pi itself")
    assert [i.preview for i in store.list()] == ["written by pi itself"]
    s.path.unlink()
    assert store.list() == []
    store.close()


def test_store_reads_a_flat_folder_and_pi_layout(tmp_path: Path) -> None:
    (tmp_path / "loose.jsonl").write_bytes(
        b'{"type":"session","version":3,"id":"loose","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/x"}\n'
    )
    store = SessionStore(tmp_path)
    assert [i.key for i in store.list()] == ["loose.jsonl"]
    assert store.open("loose").id == "loose"
    store.close()
