"""Every line of every shared and generated file comes back byte for byte.

The reader keeps each line's bytes: the header line and each record's ``line_bytes`` rebuild the
file exactly, an export of a clean file equals the file, and a fork copies lines unchanged.
"""

from __future__ import annotations

from pathlib import Path

from sesslog import ReadMode, Session
from sesslog.format.reader import read_file


def test_shared_file_round_trips(conformance_case, helpers) -> None:
    original = conformance_case.path.read_bytes()
    data = read_file(conformance_case.path)
    assert helpers.rebuilt_bytes(data) == original
    assert Session.open(conformance_case.path).export_jsonl() == original


def test_shared_v3_fork_copies_lines(conformance_case, tmp_path: Path) -> None:
    session = Session.open(conformance_case.path)
    if session.file_version != 3:
        # Legacy entries are upgraded in memory; a fork writes them as v3 lines, by design.
        fork = session.fork(path=tmp_path / "fork.jsonl")
        assert fork.tree.path_ids() == session.tree.path_ids()
        return
    original = conformance_case.path.read_bytes().splitlines(keepends=True)
    fork = session.fork(path=tmp_path / "fork.jsonl")
    fork_lines = (tmp_path / "fork.jsonl").read_bytes().splitlines(keepends=True)
    path = session.tree.path()
    assert fork_lines[1:] == [original[rec.line - 1] for rec in path]
    assert fork.header["parentSession"] == str(conformance_case.path)
    assert fork.tree.path_ids() == [rec.id for rec in path]


def test_generated_file_keeps_every_taken_line(generated_file: Path, helpers) -> None:
    """Each record's bytes are exactly the bytes at its offset, in every reader mode; clean
    files rebuild and export exactly."""
    original = generated_file.read_bytes()
    for mode in (ReadMode.TOLERANT, ReadMode.SALVAGE):
        data = read_file(generated_file, mode)
        for rec in data.records:
            kept = rec.source if rec.source is not None else rec.raw
            assert original[rec.offset : rec.offset + len(kept)] == kept
        if data.diagnostics.ok:
            assert helpers.rebuilt_bytes(data) == original
    session = Session.open(generated_file)
    if session.diagnostics.ok:
        assert session.export_jsonl() == original
        assert helpers.rebuilt_bytes(read_file(generated_file)) == original


def test_generated_v3_fork_copies_every_line(generated_v3_file: Path, tmp_path: Path) -> None:
    session = Session.open(generated_v3_file)
    assert session.diagnostics.ok
    original = generated_v3_file.read_bytes().splitlines(keepends=True)
    session.fork(whole_tree=True, path=tmp_path / "fork.jsonl")
    fork_lines = (tmp_path / "fork.jsonl").read_bytes().splitlines(keepends=True)
    assert fork_lines[1:] == original[1:]
