"""Any sequence of appends, branches, labels, names and compactions gives the same tree and
context whether the session lives in memory, in a file, or is read back from that file."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import hypothesis.strategies as st
import msgspec
from hypothesis import given

import sesslog.write.appender
from sesslog import Session
from sesslog import entries as E
from sesslog.format.codec import dumps_json

START_MS = 1767607200000

TEXT = st.one_of(
    st.text(max_size=24),
    st.sampled_from(["", "cut \ud83d", "\udc00 tail", "emoji 😀 é", 'q"uote\\ \n\t', "\x00nul"]),
)
NAME = st.sampled_from(["alpha", "beta", "", "  ", "Fix the reader ✓"])
PICK = st.integers(min_value=0, max_value=10_000)
MODEL = st.sampled_from([("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-5"), ("x", "y")])
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)

OPS = st.one_of(
    st.tuples(st.just("user"), TEXT),
    st.tuples(st.just("user_blocks"), TEXT, st.booleans()),
    st.tuples(st.just("assistant"), TEXT, st.booleans(), MODEL),
    st.tuples(st.just("tool_result"), TEXT, st.booleans()),
    st.tuples(st.just("bash"), TEXT, TEXT, st.one_of(st.none(), st.integers(-1, 255))),
    st.tuples(st.just("custom"), JSONISH),
    st.tuples(st.just("custom_message"), TEXT, st.booleans(), st.one_of(st.none(), JSONISH)),
    st.tuples(st.just("model"), MODEL),
    st.tuples(st.just("thinking"), st.sampled_from(E.THINKING_LEVELS)),
    st.tuples(st.just("compaction"), PICK, TEXT, st.integers(0, 10**6)),
    st.tuples(st.just("label"), PICK, st.one_of(st.none(), NAME)),
    st.tuples(st.just("name"), NAME),
    st.tuples(st.just("branch"), st.one_of(st.none(), PICK), st.one_of(st.none(), TEXT)),
)


def make_clock(deltas: list[int]) -> Callable[[], int]:
    """A clock that moves by the given steps in turn (ties and steps back included)."""
    state = {"now": START_MS, "i": 0}

    def clock() -> int:
        state["now"] += deltas[state["i"] % len(deltas)]
        state["i"] += 1
        return state["now"]

    return clock


def pick(session: Session, index: int) -> str | None:
    ids = [rec.id for rec in session.tree]
    return ids[index % len(ids)] if ids else None


def apply(session: Session, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "user":
        session.append_user_message(op[1])
    elif kind == "user_blocks":
        blocks: list[E.TextContent | E.ImageContent] = [E.TextContent(text=op[1])]
        if op[2]:
            blocks.append(E.ImageContent(data="iVBORw0KGgo=", mime_type="image/png"))
        session.append_user_message(blocks)
    elif kind == "assistant":
        content: list[E.TextContent | E.ThinkingContent | E.ToolCall] = [
            E.ThinkingContent(thinking="hmm"),
            E.TextContent(text=op[1]),
        ]
        if op[2]:
            content.append(E.ToolCall(id="call_1", name="bash", arguments={"command": op[1]}))
        session.append_assistant_message(content, provider=op[3][0], model=op[3][1])
    elif kind == "tool_result":
        session.append_tool_result("call_1", "bash", op[1], is_error=op[2])
    elif kind == "bash":
        session.append_bash_execution(op[1], op[2], exit_code=op[3])
    elif kind == "custom":
        session.append_custom("prop.state", op[1])
    elif kind == "custom_message":
        details = msgspec.UNSET if op[3] is None else op[3]
        session.append_custom_message("prop.msg", op[1], display=op[2], details=details)
    elif kind == "model":
        session.append_model_change(*op[1])
    elif kind == "thinking":
        session.append_thinking_level_change(op[1])
    elif kind == "compaction":
        session.append_compaction(op[2], pick(session, op[1]) or "missing", op[3])
    elif kind == "label":
        target = pick(session, op[1])
        if target is not None:
            session.set_label(target, op[2])
    elif kind == "name":
        session.set_name(op[1])
    elif kind == "branch":
        target = None if op[1] is None else pick(session, op[1])
        session.branch(target, summary=op[2])


def snapshot(session: Session) -> dict[str, Any]:
    return {
        "nodes": msgspec.to_builtins(session.tree.nodes()),
        "path": session.tree.path_ids(),
        "leaf": session.leaf_id,
        "labels": session.labels,
        "name": session.name,
        "context": dumps_json(session.context().to_json()),
        "branches": msgspec.to_builtins(session.branches()),
    }


def _sequential_ids(taken: object) -> str:
    return f"{len(taken):08x}"  # type: ignore[arg-type]


@given(
    ops=st.lists(OPS, max_size=40),
    deltas=st.lists(st.integers(-3000, 5000), min_size=1, max_size=8),
)
def test_file_and_memory_sessions_agree(ops: list[tuple[Any, ...]], deltas: list[int]) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        mock.patch.object(sesslog.write.appender, "new_entry_id", _sequential_ids),
    ):
        path = Path(folder) / "s.jsonl"
        on_disk = Session.create(path=path, cwd="/p", session_id="s", clock=make_clock(deltas))
        in_memory = Session.in_memory(cwd="/p", session_id="s", clock=make_clock(deltas))
        for op in ops:
            apply(on_disk, op)
            apply(in_memory, op)
        on_disk.close()

        reread = Session.open(path, mode="strict")
        expected = snapshot(in_memory)
        assert snapshot(on_disk) == expected
        assert snapshot(reread) == expected
        assert path.read_bytes() == in_memory.export_jsonl() == reread.export_jsonl()
        assert reread.context() == in_memory.context()
        path.read_bytes().decode("utf-8")  # valid UTF-8, lone surrogates written as escapes
        typed_users = [op[1] for op in ops if op[0] == "user"]
        messages = [rec.decode()["message"] for rec in reread.tree if rec.type == "message"]
        read_users = [
            m["content"] for m in messages if m["role"] == "user" and isinstance(m["content"], str)
        ]
        assert read_users == typed_users
