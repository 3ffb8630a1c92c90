"""Arbitrary text (every code point class, lone surrogates included) through every renderer and
the command line's output never raises and never emits a character a terminal would obey;
JSON output stays valid UTF-8 JSON that reads back to the same values."""

from __future__ import annotations

import io
import json
import math
import re
import unicodedata
from typing import Any

import hypothesis.strategies as st
from hypothesis import given, settings

from sesslog import Session
from sesslog.cli.output import Output
from sesslog.render.escape import escape_path, escape_terminal, escape_text
from sesslog.render.text import entry_summary, message_summary, render_context, render_tree

#: Characters a terminal obeys or an encoder refuses, drawn often.
NASTY = [
    "\x1b",
    "\x07",
    "\x9b",
    "\x85",
    "\x00",
    "\x7f",
    "\r",
    "\n",
    "\t",
    "\x08",
    "\u202e",
    "\u2066",
    "\u2028",
    "\ud83d",
    "\udfff",
    "\udc80",
]
#: Whole sequences: clear, retitle, a bare CSI tail, conceal, and one of sesslog's own colors.
SEQUENCES = ["\x1b[2J", "\x1b]0;title\x07", "[31m", "\x1b[8m", "\x1b[1m", "\x1b[0m"]
CHAR = st.one_of(st.characters(exclude_categories=()), st.sampled_from(NASTY))
TEXT = st.lists(st.one_of(CHAR, st.sampled_from(SEQUENCES)), max_size=30).map("".join)
ROLES = st.sampled_from(
    ["user", "assistant", "toolResult", "bashExecution", "compactionSummary", "branchSummary"]
)
#: sesslog's own colors, the only escape sequences it may print.
_SGR = re.compile("\x1b\\[(?:0|1|2|31|32|33)m")


def assert_safe(line: str, *, newlines: bool = False) -> None:
    """Nothing a terminal would obey: no control character (newline only where allowed), no
    lone surrogate, no bidirectional control, no line or paragraph separator."""
    line.encode("utf-8")
    for char in line:
        if char in "\n\t" and newlines:
            continue
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cs", "Zl", "Zp"), repr(line)
        assert not ("\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069"), repr(line)


@given(TEXT, st.booleans())
def test_escape_text(text: str, multiline: bool) -> None:
    escaped = escape_text(text, multiline=multiline)
    assert_safe(escaped, newlines=multiline)
    if multiline:
        assert escaped.count("\n") == text.count("\n")
    assert escape_text(escaped, multiline=multiline) == escaped  # once is enough


@given(st.lists(TEXT, max_size=4), st.booleans())
def test_escape_terminal_keeps_only_colors(parts: list[str], colors: bool) -> None:
    line = "\x1b[1m".join(parts)
    shown = escape_terminal(line, keep_colors=colors)
    assert_safe(_SGR.sub("", shown) if colors else shown)


@given(st.binary(max_size=40))
def test_escape_path(raw: bytes) -> None:
    assert_safe(escape_path(raw.decode("utf-8", "surrogateescape") or "x"))


def _message(role: str, texts: list[str], flag: bool) -> dict[str, Any]:
    a, b, c = texts
    return {
        "role": role if flag else a,
        "content": a
        if flag
        else [
            {"type": "text", "text": b},
            {"type": "toolCall", "name": c, "arguments": {}},
            {"type": "thinking", "thinking": a},
            {"type": "image", "data": b},
            c,
        ],
        "toolName": b,
        "isError": flag,
        "command": c,
        "exitCode": a,
        "summary": b,
    }


@given(ROLES, st.lists(TEXT, min_size=3, max_size=3), st.booleans(), st.integers(1, 120))
def test_message_summary(role: str, texts: list[str], flag: bool, width: int) -> None:
    assert_safe(message_summary(_message(role, texts, flag), width))


@settings(max_examples=100)
@given(st.lists(st.tuples(TEXT, TEXT, TEXT, st.booleans()), min_size=1, max_size=12), st.data())
def test_tree_and_context(items: list[tuple[str, str, str, bool]], data: st.DataObject) -> None:
    session = Session.in_memory()
    for n, (text, other, third, flag) in enumerate(items):
        parent = session.leaf_id
        if flag and len(session):
            parent = data.draw(st.sampled_from([rec.id for rec in session.tree]))
        entry_id = f"{n}{text[:3]}"
        kind = n % 6
        body: dict[str, Any]
        if kind == 0:
            body = {"type": "message", "message": _message("assistant", [text, other, third], flag)}
        elif kind == 1:
            body = {"type": "label", "targetId": session.leaf_id or entry_id, "label": other}
        elif kind == 2:
            body = {"type": "session_info", "name": text}
        elif kind == 3:
            body = {"type": "model_change", "provider": text, "modelId": other}
        elif kind == 4:
            body = {"type": "custom_message", "customType": third, "content": text}
        else:
            body = {"type": text or "x", "summary": other, "thinkingLevel": third}
        session.append_entry(
            {**body, "id": entry_id, "parentId": parent, "timestamp": "2026-01-05T10:00:00.000Z"}
        )
    width = data.draw(st.integers(1, 80))
    indent = data.draw(st.integers(0, 12))
    for rec in session.tree:
        assert_safe(entry_summary(rec, width))
    for active in (False, True):
        for line in render_tree(session.tree, width=width, active_only=active, max_indent=indent):
            assert_safe(line)
            assert len(line) < 16 * (width + 200)  # bounded, whatever the depth
    for line in render_context(session.context(), width=width):
        assert_safe(line)


@given(TEXT, st.booleans(), st.booleans())
def test_command_output(text: str, color: bool, json_mode: bool) -> None:
    out, err = io.StringIO(), io.StringIO()
    output = Output(json_mode=json_mode, color=color, stdout=out, stderr=err)
    output.line(output.style(escape_text(text), "1") + text)
    output.warn(text)
    assert output.fail(text, 3, file=text) == 3
    assert_safe(err.getvalue(), newlines=True)
    assert err.getvalue().count("\n") == 2
    lines = out.getvalue().splitlines()
    assert_safe(_SGR.sub("", lines[0]))
    if json_mode:
        assert_safe(lines[1])  # JSON text too: escapes, never raw controls
        doc = json.loads(lines[1])
        assert doc["exitCode"] == 3 and doc["file"] == json.loads(json.dumps(text))


def _not_json(token: str) -> None:
    raise AssertionError(f"{token} in JSON output")


@given(st.lists(TEXT | st.integers() | st.floats() | st.none(), max_size=4))
def test_json_output_is_safe_utf8_and_reads_back(value: Any) -> None:
    out = io.StringIO()
    Output(json_mode=True, color=False, stdout=out).json({"v": value})
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    assert_safe(text[:-1])
    # the same value, as JSON reads it (a high and a low surrogate side by side read as one
    # character in any JSON; text read from a session never holds such a pair)
    finite = [None if isinstance(v, float) and not math.isfinite(v) else v for v in value]
    assert json.loads(text, parse_constant=_not_json) == json.loads(json.dumps({"v": finite}))
