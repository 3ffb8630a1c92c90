"""The tree index: roots, ordered children, leaf, path, labels, name, branches and fork plans
(format contract, section 6)."""

from __future__ import annotations

import msgspec
import pytest

from sesslog import BranchInfo, EntryNotFoundError, ForkPlan, SessionTree, SiblingBranch
from sesslog.format.reader import read_bytes
from sesslog.format.records import record_from_line


def tree_of(data: bytes) -> SessionTree:
    result = read_bytes(data)
    return SessionTree(result.records, result.diagnostics)


def at(minute: int, second: int = 0) -> str:
    return f"2026-01-05T10:{minute:02d}:{second:02d}.000Z"


@pytest.fixture
def forked(lines) -> SessionTree:
    """A tree with a fork at ``u1``::

    r - u1 - a1 - u2 - a2            (first branch)
          \\- b1 - b2                 (second branch, the current leaf b2)
    o (an orphan root, label on a1)
    """
    return tree_of(
        lines.session(
            lines.entry("r", None),
            lines.user("u1", "r", "first question"),
            lines.assistant("a1", "u1", "answer"),
            lines.user("u2", "a1", "second question"),
            lines.assistant("a2", "u2", "second answer"),
            lines.entry("b1", "u1", "branch_summary", fromId="a2", summary="tried the first way"),
            lines.entry("o", "nowhere"),
            lines.entry("l1", "b1", "label", targetId="a1", label="good answer"),
            lines.entry("b2", "l1"),
        )
    )


def test_roots_are_in_file_order(lines) -> None:
    tree = tree_of(
        lines.session(
            lines.entry("x", None, timestamp=at(9)),
            lines.entry("y", "missing", timestamp=at(1)),
            lines.entry("z", None, timestamp=at(5)),
        )
    )
    assert tree.roots() == ["x", "y", "z"]
    assert [n.id for n in tree.nodes()] == ["x", "y", "z"]


def test_children_are_ordered_by_timestamp_ties_in_file_order(lines) -> None:
    tree = tree_of(
        lines.session(
            lines.entry("p", None, timestamp=at(0)),
            lines.entry("c1", "p", timestamp=at(5)),
            lines.entry("c2", "p", timestamp=at(1)),
            lines.entry("c3", "p", timestamp=at(5)),
            lines.entry("c4", "p", timestamp=at(1)),
            lines.entry("c5", "p", timestamp="2026-01-05T10:01:00.500Z"),
        )
    )
    assert tree.children("p") == ["c2", "c4", "c5", "c1", "c3"]
    assert tree.leaf_id == "c5"  # the last line, whatever its time


def test_appended_children_keep_the_same_order(lines) -> None:
    tree = tree_of(lines.session(lines.entry("p", None, timestamp=at(0))))
    tree.children("p")  # build the child lists before appending
    for entry_id, ts in (("c1", at(5)), ("c2", at(1)), ("c3", at(5)), ("c4", at(1))):
        rec = record_from_line(lines.entry(entry_id, "p", timestamp=ts)[:-1])
        assert rec is not None
        tree.append(rec)
    assert tree.children("p") == ["c2", "c4", "c1", "c3"]
    assert tree.leaf_id == "c4"


def test_append_refuses_duplicates_and_unknown_parents(lines) -> None:
    tree = tree_of(lines.session(lines.entry("p", None)))
    for entry_id, parent in (("p", None), ("q", "missing")):
        rec = record_from_line(lines.entry(entry_id, parent)[:-1])
        assert rec is not None
        with pytest.raises(ValueError):
            tree.append(rec)
    assert len(tree) == 1


def test_leaf_and_path(forked: SessionTree) -> None:
    assert forked.leaf_id == "b2"
    assert forked.path_ids() == ["r", "u1", "b1", "l1", "b2"]
    assert forked.path_ids("a2") == ["r", "u1", "a1", "u2", "a2"]
    assert [rec.id for rec in forked.path("u1")] == ["r", "u1"]
    assert forked.depth("a2") == 5
    assert forked.parent_of("b1") == "u1" and forked.parent_of("r") is None
    assert forked.path_ids("o") == ["o"]


def test_empty_tree() -> None:
    tree = SessionTree()
    assert tree.leaf_id is None
    assert tree.path() == [] and tree.nodes() == [] and tree.roots() == []
    assert tree.branches() == [] and tree.sibling_branches() == []
    assert tree.name is None and tree.labels == {}


def test_nodes_are_pre_order_with_labels(forked: SessionTree) -> None:
    assert msgspec.to_builtins(forked.nodes()) == [
        {"id": "r", "parentId": None, "children": ["u1"], "label": None},
        {"id": "u1", "parentId": "r", "children": ["a1", "b1"], "label": None},
        {"id": "a1", "parentId": "u1", "children": ["u2"], "label": "good answer"},
        {"id": "u2", "parentId": "a1", "children": ["a2"], "label": None},
        {"id": "a2", "parentId": "u2", "children": [], "label": None},
        {"id": "b1", "parentId": "u1", "children": ["l1"], "label": None},
        {"id": "l1", "parentId": "b1", "children": ["b2"], "label": None},
        {"id": "b2", "parentId": "l1", "children": [], "label": None},
        {"id": "o", "parentId": None, "children": [], "label": None},
    ]


def test_unknown_ids_raise_entry_not_found(forked: SessionTree) -> None:
    for call in (forked.get, forked.path, forked.children, forked.depth, forked.fork_plan):
        with pytest.raises(EntryNotFoundError) as caught:
            call("nope")
        assert isinstance(caught.value, KeyError)
        assert "nope" in str(caught.value)
    assert "a1" in forked and "nope" not in forked


def test_labels_last_wins_and_empty_or_absent_clears(lines) -> None:
    tree = tree_of(
        lines.session(
            lines.entry("a", None),
            lines.entry("b", "a"),
            lines.entry("l1", "b", "label", targetId="a", label="one"),
            lines.entry("l2", "l1", "label", targetId="a", label="two"),
            lines.entry("l3", "l2", "label", targetId="b", label="bee"),
            lines.entry("l4", "l3", "label", targetId="b", label=""),
            lines.entry("l5", "l4", "label", targetId="l1", label="x"),
            lines.entry("l6", "l5", "label", targetId="l1"),
            lines.entry("l7", "l6", "label", targetId="ghost", label="not in the tree"),
        )
    )
    assert tree.labels == {"a": "two"}
    assert tree.label_of("a") == "two" and tree.label_of("b") is None
    assert next(n for n in tree.nodes() if n.id == "a").label == "two"


def test_label_can_be_set_again_after_clearing(lines) -> None:
    tree = tree_of(
        lines.session(
            lines.entry("a", None),
            lines.entry("l1", "a", "label", targetId="a", label="x"),
            lines.entry("l2", "l1", "label", targetId="a"),
            lines.entry("l3", "l2", "label", targetId="a", label="y"),
        )
    )
    assert tree.labels == {"a": "y"}


def test_name_is_the_last_non_empty_in_file_order(lines) -> None:
    tree = tree_of(
        lines.session(
            lines.entry("a", None),
            lines.entry("n1", "a", "session_info", name="First"),
            lines.entry("n2", "a", "session_info", name="Second"),
            lines.entry("n3", "n1", "session_info", name=""),
            lines.entry("n4", "n3", "session_info", name="   "),
        )
    )
    assert tree.name == "Second"
    assert tree_of(lines.session(lines.entry("a", None))).name is None


def test_sibling_branches_at_each_fork_point(forked: SessionTree) -> None:
    groups = forked.sibling_branches()
    assert groups == [
        [
            SiblingBranch("u1", "a1", "a2", 3, False),
            SiblingBranch("u1", "b1", "b2", 3, True),
        ]
    ]
    on_first = forked.sibling_branches("u2")
    assert [[b.active for b in g] for g in on_first] == [[True, False]]
    assert forked.sibling_branches("r") == []


def test_sibling_branch_leaf_is_the_newest_line_of_the_branch(lines) -> None:
    tree = tree_of(
        lines.session(
            lines.entry("p", None),
            lines.entry("a", "p"),
            lines.entry("b", "p"),
            lines.entry("a1", "a"),
            lines.entry("a2", "a"),
            lines.entry("a11", "a1"),
        )
    )
    groups = tree.sibling_branches("a2")
    assert len(groups) == 2
    assert groups[0] == [
        SiblingBranch("p", "a", "a11", 4, True),
        SiblingBranch("p", "b", "b", 1, False),
    ]
    assert groups[1] == [
        SiblingBranch("a", "a1", "a11", 2, False),
        SiblingBranch("a", "a2", "a2", 1, True),
    ]


def test_branches_lists_every_leaf(forked: SessionTree) -> None:
    assert forked.leaves() == ["a2", "o", "b2"]
    assert forked.branches() == [
        BranchInfo("a2", "u1", 5, forked.get("a2").timestamp, None, False),
        BranchInfo("o", None, 1, forked.get("o").timestamp, None, False),
        BranchInfo("b2", "u1", 5, forked.get("b2").timestamp, None, True),
    ]


def test_branch_info_names_the_nearest_fork_and_the_leaf_label(lines) -> None:
    tree = tree_of(
        lines.session(
            lines.entry("p", None),
            lines.entry("a", "p"),
            lines.entry("b", "p"),
            lines.entry("a1", "a"),
            lines.entry("a2", "a"),
            lines.entry("x", "a2", "label", targetId="a1", label="keep"),
        )
    )
    by_leaf = {info.leaf_id: info for info in tree.branches()}
    assert by_leaf["a1"].fork_point_id == "a" and by_leaf["a1"].label == "keep"
    assert by_leaf["b"].fork_point_id == "p" and by_leaf["b"].depth == 2
    assert by_leaf["x"].fork_point_id == "a" and by_leaf["x"].active
    assert sum(info.active for info in tree.branches()) == 1


def test_fork_plan_from_a_user_message(forked: SessionTree) -> None:
    assert forked.fork_plan("u2") == ForkPlan("u2", "a1", ["r", "u1", "a1"], "second question")
    with pytest.raises(ValueError):
        forked.fork_plan("a1")
    with pytest.raises(ValueError):
        forked.fork_plan("b1")


def test_fork_plan_at_a_root_and_with_text_blocks(lines) -> None:
    blocks = [
        {"type": "text", "text": "look at"},
        {"type": "image", "data": "AA==", "mimeType": "image/png"},
        {"type": "text", "text": "this"},
    ]
    tree = tree_of(
        lines.session(
            lines.entry("u0", None, "message", message={"role": "user", "content": blocks}),
        )
    )
    assert tree.fork_plan("u0") == ForkPlan("u0", None, [], "look at\nthis")


def test_cycle_of_three_breaks_at_the_last_in_file_order(lines) -> None:
    tree = tree_of(
        lines.session(
            lines.entry("a", "c"),
            lines.entry("b", "a"),
            lines.entry("c", "b"),
            lines.entry("d", "c"),
        )
    )
    assert [d.reason for d in tree.diagnostics.diagnostics] == ["cycle"]
    assert tree.diagnostics.diagnostics[0].line == 4
    assert tree.roots() == ["c"]
    assert tree.path_ids("b") == ["c", "a", "b"]
    assert tree.children("c") == ["a", "d"]


def test_duplicates_are_left_out_of_the_tree(lines) -> None:
    first = lines.entry("a", None)
    tree = tree_of(lines.session(first, lines.entry("b", "a"), first, lines.entry("a", "b")))
    assert [rec.id for rec in tree] == ["a", "b"]
    assert tree.leaf_id == "b"
    assert [d.reason for d in tree.diagnostics.diagnostics] == [
        "duplicate_id_identical",
        "duplicate_id_conflicting",
    ]


@pytest.mark.parametrize(
    "links",
    [
        [("r", None), ("u1", "r"), ("a1", "u1"), ("b1", "u1"), ("b2", "b1"), ("c", "a1")],
        # a loop and a link forward: the walk over the id index gives way to the linked tree
        [("a", "c"), ("b", "a"), ("c", "b"), ("d", "c"), ("e", "f"), ("f", "d"), ("g", "e")],
        # an orphan and a self-parent make roots
        [("a", None), ("b", "nowhere"), ("c", "b"), ("d", "d"), ("e", "d")],
    ],
)
def test_the_last_entries_of_a_path_are_the_end_of_the_whole_path(
    lines, links: list[tuple[str, str | None]]
) -> None:
    data = lines.session(*(lines.entry(ident, parent) for ident, parent in links))
    for ident, _ in links:
        whole = tree_of(data).path_ids(ident)
        for last in range(1, len(whole) + 2):
            walked = tree_of(data)  # walks up over the id index
            linked = tree_of(data)
            linked.diagnostics  # noqa: B018 (links the tree: the path follows its links)
            for tree in (walked, linked):
                assert [rec.id for rec in tree.path_view(ident, last=last)] == whole[-last:]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_branch_depths_and_forks_are_those_of_the_walk_up_from_each_leaf(seed: int) -> None:
    from fixtures.generate import make_v3_session

    tree = tree_of(make_v3_session(1200, seed, line_bytes=200, branch_every=40, label_every=90))
    branches = tree.branches()
    assert len(branches) > 20
    for branch in branches:
        path = tree.path_ids(branch.leaf_id)
        forks = [i for i in path[:-1] if len(tree.children(i)) > 1]
        assert branch.depth == len(path)
        assert branch.fork_point_id == (forks[-1] if forks else None)


def test_message_heads_are_those_of_the_records(lines) -> None:
    """RecordTable.message_heads decodes runs of adjacent lines in one call; a run holding a
    line that does not decode as simply (a message that is no object) gives way to each
    record's own answer."""
    data = lines.session(
        lines.user("u1", None, "question"),
        lines.assistant("a1", "u1", "answer"),
        lines.entry("x1", "a1", "message", message="not an object"),
        lines.entry("x2", "x1", "message", message={"role": 7, "model": ["m"]}),
        lines.entry("x3", "x2", "message"),
        lines.entry("c1", "x3"),
        lines.assistant("a2", "c1", "again", model="other"),
        lines.user("u2", "a2", "and again"),
    )
    table = tree_of(data).entries
    everything = list(range(len(table)))
    heads = table.message_heads(everything)
    assert heads == [table[i].message for i in everything]
    assert [None if h is None else h.role for h in heads] == [
        "user", "assistant", None, 7, None, None, "assistant", "user"
    ]  # fmt: skip
    assert heads[6] is not None and heads[6].model == "other"
    assert table.message_heads([7, 0, 7]) == [heads[7], heads[0], heads[7]]
