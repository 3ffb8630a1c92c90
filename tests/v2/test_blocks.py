"""An index part read block by block: a partial load reads the blocks it uses, nothing else,
and a part shorter than the manifest says is reported as damage."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sesslog import Session
from sesslog.errors import SidecarCorruptError
from sesslog.v2 import migrate_jsonl_to_v2
from sesslog.v2.blocks import BLOCK, BlockPart
from sesslog.v2.layout import SidecarPaths
from sesslog.v2.store import Sidecar


def _long_session(path: Path, entries: int) -> None:
    session = Session.create(path=path, cwd="/w")
    for n in range(entries):
        session.append_custom("step", {"n": n, "text": "x" * 40})
    session.close()
    migrate_jsonl_to_v2(path)


def test_a_tail_reads_few_blocks_of_a_large_index_part(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _long_session(path, 20_000)
    sidecar = Sidecar(SidecarPaths(path).folder)
    entry = sidecar.manifest.index[-1]
    index = sidecar.folder / entry.name
    fd = os.open(index, os.O_RDONLY)
    read: list[int] = []

    def counted(start: int, end: int) -> bytes:
        read.append(end - start)
        return os.pread(fd, end - start, start)

    try:
        part = BlockPart(counted, entry.size, str(index))
        facts = part.facts()
        last = part.row(entry.first_entry + entry.entries - 1)
        assert facts.entries == 20_000 and last.parent == entry.first_entry + entry.entries - 2
        assert entry.size > 16 * BLOCK and sum(read) <= 6 * BLOCK, (entry.size, read)
        rows = list(part.iter_rows())  # a whole walk reads the rows section, all checked
        assert len(rows) == entry.entries and all(row is not None for _, row in rows)
    finally:
        os.close(fd)
        sidecar.close()


def test_an_index_part_cut_short_while_open_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    _long_session(path, 20_000)
    sidecar = Sidecar(SidecarPaths(path).folder)
    try:
        part = sidecar.part(len(sidecar.manifest.index) - 1, whole=False)
        index = sidecar.folder / sidecar.manifest.index[-1].name
        os.truncate(index, index.stat().st_size // 2)  # after the size was checked
        with pytest.raises(SidecarCorruptError, match="bytes expected"):
            list(part.iter_rows())
    finally:
        sidecar.close()
