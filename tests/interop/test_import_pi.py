"""Importing pi and OpenClaw sessions: copied unchanged, with provenance."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from import_oracle import copy_of, same_reading
from import_sources import SOURCES, params, shared_files

from sesslog import Session
from sesslog.format.reader import ReadMode
from sesslog.interop.importer import import_paths

WILD = shared_files("pi-wild")


@pytest.mark.parametrize("source", params(WILD, "pi and OpenClaw samples"))
def test_wild_session_is_copied_byte_for_byte(source: Path, root: Path) -> None:
    (result,) = import_paths([source], root).files
    assert result.status == "imported", result.error
    assert result.format == "pi"
    copy = copy_of(root, source)
    data = source.read_bytes()
    copied = copy.read_bytes()
    assert copied.startswith(data)
    (extra,) = copied[len(data) :].splitlines()
    entry = json.loads(extra)
    assert entry["type"] == "custom"
    assert entry["customType"] == "sesslog.import"
    assert entry["data"]["path"] == os.path.abspath(source)
    assert entry["data"]["format"] == "pi"
    same_reading(source, copy)
    again = import_paths([source], root)
    assert again.files[0].status == "unchanged"
    assert copy.read_bytes() == copied


def test_openclaw_custom_entries_pass_through(root: Path) -> None:
    source = SOURCES / "pi" / "openclaw.jsonl"
    import_paths([source], root)
    session = Session.open(copy_of(root, source))
    kinds = [rec.decode().get("customType") for rec in session.tree if rec.type == "custom"]
    assert kinds == ["openclaw:bootstrap-context:full", "model-snapshot", "sesslog.import"]


def test_provenance_keeps_the_leaf_and_its_context(root: Path) -> None:
    source = SOURCES / "pi" / "session.jsonl"
    import_paths([source], root)
    original = Session.open(source)
    copy = Session.open(copy_of(root, source))
    assert copy.tree.parent_of(str(copy.leaf_id)) == original.leaf_id
    assert copy.context().to_json() == original.context().to_json()
    assert copy.name == "Greeting"


def test_legacy_file_is_copied_without_an_entry(root: Path) -> None:
    source = SOURCES / "pi" / "legacy-v2.jsonl"
    (result,) = import_paths([source], root).files
    assert result.version == "2"
    assert copy_of(root, source).read_bytes() == source.read_bytes()
    assert import_paths([source], root).files[0].status == "unchanged"


@pytest.mark.parametrize("case", ["torn_tail", "glued_records"])
def test_damaged_pi_file(case: str, root: Path) -> None:
    source = SOURCES / "pi" / "damaged" / f"{case}.jsonl"
    (result,) = import_paths([source], root).files
    assert [d.reason for d in result.damage] == [case]
    copy = copy_of(root, source)
    copied = copy.read_bytes()
    data = source.read_bytes()
    if case == "torn_tail":  # the tail was moved aside before the entry was appended
        cut = data.rindex(b"\n") + 1
        assert copied.startswith(data[:cut])
        (side,) = copy.parent.glob(copy.name + ".torn-at-*")
        assert side.read_bytes() == data[cut:]
    else:
        assert copied.startswith(data)
    salvaged = Session.open(copy, mode=ReadMode.SALVAGE)
    original = Session.open(source, mode=ReadMode.SALVAGE)
    assert salvaged.context().to_json() == original.context().to_json()
    assert import_paths([source], root).files[0].status == "unchanged"
