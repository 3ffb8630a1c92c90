"""Every shared conformance case and real pi file reads as the reference reader reads it.

For v2 and v3 files the context, path, leaf, tree nodes (pre-order), labels and name equal the
expected answer. v1 files (header without ``version``; the real pi files are v1 too) get fresh
ids from the reference, so there the context, the name and the tree's shape compare.
"""

from __future__ import annotations

import msgspec

from sesslog import Session


def _shape(nodes: list[dict[str, object]]) -> list[int]:
    return [len(node["children"]) for node in nodes]  # type: ignore[arg-type]


def test_case_reads_as_the_reference(conformance_case, helpers) -> None:
    expected = conformance_case.expected()
    session = Session.open(conformance_case.path)
    nodes = msgspec.to_builtins(session.tree.nodes())

    assert helpers.context_json(session.context()) == expected["context"]
    assert session.name == expected["name"]
    assert len(nodes) == len(expected["nodes"])
    assert _shape(nodes) == _shape(expected["nodes"])
    if session.file_version == 1:
        assert len(session.tree.path_ids()) == len(expected["path"])
        return
    assert session.leaf_id == expected["leafId"]
    assert session.tree.path_ids() == expected["path"]
    assert nodes == expected["nodes"]
    assert session.labels == {n["id"]: n["label"] for n in expected["nodes"] if n["label"]}


def test_case_reports_nothing_but_orphans(conformance_case) -> None:
    """The shared files are clean; only parent links the cases leave dangling are reported."""
    session = Session.open(conformance_case.path)
    reasons = {d.reason for d in session.diagnostics.diagnostics}
    assert reasons <= {"orphaned_parent"}
    assert not session.diagnostics.skipped_entries


def test_v1_files_are_recognised(conformance_case) -> None:
    """A header without ``version`` is v1 and the tree is one linear conversation."""
    first_line = conformance_case.path.read_bytes().split(b"\n", 1)[0]
    header = msgspec.json.decode(first_line)
    session = Session.open(conformance_case.path)
    if "version" in header:
        assert session.file_version == header["version"]
        return
    assert session.file_version == 1
    assert len(session.tree.roots()) == 1
    assert session.tree.path_ids() == [rec.id for rec in session.tree]
