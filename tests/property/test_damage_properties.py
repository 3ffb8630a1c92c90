"""Mutated files never make the tolerant or salvage reader raise or hang, every line the reader
drops is reported, and strict mode raises exactly when the tolerant reader reports something."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any
from unittest import mock

import hypothesis.strategies as st
import msgspec
import pytest
from hypothesis import example, given

from sesslog import FormatError, ReadMode, Session
from sesslog import entries as E
from sesslog.backends import local
from sesslog.backends.local import LocalFolder
from sesslog.format.reader import read_bytes

MAX_SIZE = 16_384  # bound on a mutated file


@lru_cache(maxsize=1)
def bases() -> tuple[bytes, ...]:
    """Small valid files: a branching v3 session, a v1 file, and a v2 file."""
    session = Session.in_memory(cwd="/home/dev/app", session_id="base")
    session.append_model_change("anthropic", "claude-sonnet-4-5")
    first = session.append_user_message("Fix the reader ✓ 😀").id
    call = E.ToolCall(id="t1", name="bash", arguments={"command": "ls"})
    session.append_assistant_message([call], provider="anthropic", model="claude-sonnet-4-5")
    session.append_tool_result("t1", "bash", "a.py\nb.py")
    session.append_user_message("cut \ud83d surrogate")
    session.append_compaction("summary", first, 5)
    session.branch(first, summary="the other way")
    session.set_label(first, "start")
    session.set_name("damage base")
    session.append_entry(
        {"type": "usage", "id": "u1", "parentId": session.leaf_id, "timestamp": "x", "n": 5.0}
    )
    session.append_custom_message("note", "hello", details={"k": [1, 2]})
    v3 = session.export_jsonl()
    v1 = (
        b'{"type":"session","id":"v1","timestamp":"2025-11-20T23:33:50.805Z","cwd":"/"}\n'
        b'{"type":"message","timestamp":"2025-11-20T23:34:01.000Z",'
        b'"message":{"role":"user","content":"q1","timestamp":1}}\n'
        b'{"type":"compaction","timestamp":"2025-11-20T23:34:02.000Z","summary":"s",'
        b'"firstKeptEntryIndex":1,"tokensBefore":9}\n'
        b'{"type":"message","timestamp":"2025-11-20T23:34:03.000Z",'
        b'"message":{"role":"user","content":"q2","timestamp":2}}\n'
    )
    v2 = (
        b'{"type":"session","version":2,"id":"v2","timestamp":"2025-11-20T23:33:50.805Z",'
        b'"cwd":"/"}\n'
        b'{"type":"message","id":"a","parentId":null,"timestamp":"2025-11-20T23:34:01.000Z",'
        b'"message":{"role":"hookMessage","customType":"h","content":"x","display":true,'
        b'"timestamp":1}}\n'
        b'{"type":"label","id":"b","parentId":"a","timestamp":"2025-11-20T23:34:02.000Z",'
        b'"targetId":"a","label":"L"}\n'
    )
    return v3, v1, v2


TOKENS = st.sampled_from(
    [
        b"\n",
        b"\n \n",
        b"\r\n",
        b"{",
        b"}",
        b'"',
        b",",
        b"\x00",
        b"\xef\xbb\xbf",
        b"\\ud83d",
        b"\xff",
        b" ",
    ]
)
MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.integers(0), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0)),
    st.tuples(st.just("insert"), st.integers(0), st.one_of(TOKENS, st.binary(max_size=12))),
    st.tuples(st.just("glue"), st.integers(0)),
    st.tuples(st.just("nuls"), st.integers(0), st.integers(1, 600), st.booleans()),
    st.tuples(st.just("duplicate"), st.integers(0), st.integers(0)),
    st.tuples(st.just("delete"), st.integers(0), st.integers(1, 40)),
    st.tuples(st.just("wrap"), st.integers(0)),
)


def mutate(data: bytes, mutation: tuple[Any, ...]) -> bytes:
    kind = mutation[0]
    size = max(len(data), 1)
    if kind == "flip":
        at = mutation[1] % size
        return data[:at] + bytes([mutation[2]]) + data[at + 1 :]
    if kind == "cut":
        return data[: mutation[1] % (size + 1)]
    if kind == "insert":
        at = mutation[1] % (size + 1)
        return data[:at] + mutation[2] + data[at:]
    if kind == "glue":
        newlines = [i for i, byte in enumerate(data) if byte == 0x0A]
        if not newlines:
            return data
        at = newlines[mutation[1] % len(newlines)]
        return data[:at] + data[at + 1 :]
    if kind == "nuls":
        at = len(data) if mutation[3] else mutation[1] % (size + 1)
        return data[:at] + b"\x00" * mutation[2] + data[at:]
    if kind == "wrap":  # a record going on into the next line, which starts with "{"
        inner = [i + 1 for i in range(len(data) - 1) if data[i + 1] == 0x7B and data[i] in b"[,:"]
        if not inner:
            return data
        at = inner[mutation[1] % len(inner)]
        return data[:at] + b"\n" + data[at:]
    if kind == "duplicate":
        lines = data.splitlines(keepends=True)
        if not lines:
            return data
        line = lines[mutation[1] % len(lines)]
        lines.insert(mutation[2] % (len(lines) + 1), line)
        return b"".join(lines)
    at = mutation[1] % size
    return data[:at] + data[at + mutation[2] :]


DAMAGED = st.builds(
    lambda index, mutations: _apply_all(bases()[index], mutations),
    st.integers(0, 2),
    st.lists(MUTATION, min_size=1, max_size=6),
)


def _apply_all(data: bytes, mutations: list[tuple[Any, ...]]) -> bytes:
    for mutation in mutations:
        data = mutate(data, mutation)[:MAX_SIZE]
    return data


def physical_lines(data: bytes) -> list[bytes]:
    """The lines as the reader numbers them (split at ``\\n``)."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def is_blank(line: bytes) -> bool:
    return not line.replace(b"\x00", b"").strip()


def use_everything(session: Session) -> None:
    """Every read-side question a user can ask of an opened session."""
    tree = session.tree
    session.context()
    msgspec.to_builtins(tree.nodes())
    tree.branches()
    tree.sibling_branches()
    tree.leaves()
    session.export_jsonl()
    for rec in tree:
        tree.path(rec.id)
        session.context(rec.id)
        rec.typed()
        if rec.type == "message" and rec.message is not None and rec.message.role == "user":
            tree.fork_plan(rec.id)


@given(data=DAMAGED)
@pytest.mark.parametrize("mode", [ReadMode.TOLERANT, ReadMode.SALVAGE], ids=lambda m: m.value)
def test_damaged_file_is_read_and_every_dropped_line_reported(data: bytes, mode: ReadMode) -> None:
    result = read_bytes(data, mode, path="damaged.jsonl")
    session = Session.from_data(result, path=None, mode=mode)
    use_everything(session)

    lines = physical_lines(data)
    taken = {rec.line for rec in session.tree}
    if result.header_raw is not None:  # the first non-blank line, normally line 1
        taken.add(next(n for n, line in enumerate(lines, 1) if result.header_raw in line))
    named = {d.line for d in session.diagnostics.diagnostics}
    for number, line in enumerate(lines, start=1):
        if not is_blank(line):
            assert number in taken or number in named, (number, line)
    for rec in result.records:
        kept = rec.source if rec.source is not None else rec.raw
        assert kept in lines[rec.line - 1]
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for diag in session.diagnostics.diagnostics:
        assert 1 <= diag.line <= max(len(lines), 1)
        # The line's start; for a record salvaged from a glued line, where that record starts.
        line_start = starts[diag.line - 1]
        assert line_start <= diag.offset <= line_start + len(lines[diag.line - 1] if lines else b"")


@given(data=DAMAGED)
def test_strict_raises_exactly_when_tolerant_reports(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.jsonl"
        path.write_bytes(data)
        tolerant = Session.open(path)
        diagnostics = tolerant.diagnostics.diagnostics
        if not diagnostics:
            Session.open(path, mode="strict")
            return
        with pytest.raises(FormatError) as caught:
            Session.open(path, mode="strict")
        first = diagnostics[0]
        err = caught.value
        assert (err.path, err.line, err.offset, err.reason) == (
            str(path),
            first.line,
            first.offset,
            first.reason,
        )
        assert f"{path}:{first.line} (byte {first.offset})" in str(err)


#: A record wrapped onto a second line that starts with "{", and two records glued on a third:
#: three lines holding three objects, none of them a line of its own.
WRAPPED_AND_GLUED = (
    b'{"type":"session","version":3,"id":"s","timestamp":"2025-01-01T00:00:00Z","cwd":"/"}\n'
    b'{"type":"message","id":"a","parentId":null,"x":[1,\n{"y":2}]}\n'
    b'{"type":"x","id":"b","parentId":"a"}{"type":"x","id":"c","parentId":"b"}\n'
)


@given(data=DAMAGED)
@example(data=WRAPPED_AND_GLUED)
def test_fast_and_careful_reads_agree(data: bytes) -> None:
    """A clean-looking file takes a fast path; one more blank line forces the careful path.
    Both must take the same records with the same bytes and positions."""
    data = data if data.endswith(b"\n") else data + b"\n"
    fast = read_bytes(data)
    careful = read_bytes(data + b"\n")

    def taken(result: Any) -> list[tuple[Any, ...]]:
        return [(r.line, r.offset, r.raw, r.source, r.id) for r in result.records]

    assert taken(fast) == taken(careful)
    assert (fast.header_raw, fast.file_version) == (careful.header_raw, careful.file_version)

    def reports(result: Any) -> list[Any]:
        return [d for d in result.diagnostics.diagnostics if d.reason != "blank_line"]

    assert reports(fast) == reports(careful)


@given(data=DAMAGED)
@example(data=WRAPPED_AND_GLUED)
def test_mapped_and_copied_reads_agree(data: bytes) -> None:
    """A file read through a mapping gives the records, positions and reports of its copy."""
    with tempfile.TemporaryDirectory() as folder, mock.patch.object(local, "MAP_MIN", 0):
        path = Path(folder) / "damaged.jsonl"
        path.write_bytes(data)
        backend, key = LocalFolder.for_file(path)
        mapping = backend.map(key)
        if mapping is None:  # only a file ending with a complete line is mapped
            assert not data.endswith(b"\n")
            return
        mapped = read_bytes(mapping, path="damaged.jsonl")
        copied = read_bytes(data, path="damaged.jsonl")
        assert list(mapped.records) == list(copied.records)
        assert mapped.diagnostics.diagnostics == copied.diagnostics.diagnostics
        fields = ("header", "header_raw", "file_version", "valid_size", "size")
        assert [getattr(mapped, f) for f in fields] == [getattr(copied, f) for f in fields]
