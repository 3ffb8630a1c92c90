"""A realistic demo session: tool calls, a compaction, labels, a branch summary and a fork."""

from __future__ import annotations

import os
from pathlib import Path

from sesslog.format import entries as E
from sesslog.session import Session

__all__ = ["DemoResult", "write_demo"]


class DemoResult:
    """The sessions :func:`write_demo` wrote.

    Attributes:
        root: The sessions root folder.
        session: The main session (with two branches).
        fork: The session forked from the main one.
    """

    def __init__(self, root: Path, session: Session, fork: Session) -> None:
        self.root = root
        self.session = session
        self.fork = fork


def _tool_turn(
    s: Session, call_id: str, tool: str, arguments: dict[str, object], result: str, reply: str
) -> None:
    s.append_assistant_message(
        [
            E.ThinkingContent(thinking=f"I should use {tool} for this."),
            E.ToolCall(id=call_id, name=tool, arguments=dict(arguments)),
        ],
        provider="anthropic",
        model="claude-sonnet-4-5",
        usage=E.Usage(
            input=1200,
            output=85,
            total_tokens=1285,
            cost=E.Cost(input=0.0036, output=0.0013, total=0.0049),
        ),
    )
    s.append_tool_result(call_id, tool, result)
    s.append_assistant_message(
        reply,
        provider="anthropic",
        model="claude-sonnet-4-5",
        usage=E.Usage(
            input=1400,
            output=120,
            total_tokens=1520,
            cost=E.Cost(input=0.0042, output=0.0018, total=0.006),
        ),
    )


def write_demo(
    root: str | os.PathLike[str], cwd: str = "/home/dev/projects/todo-app"
) -> DemoResult:
    """Write the demo sessions under ``root`` (pi's layout) and return them.

    The main session fixes a failing test, compacts, tries one approach, goes back and tries
    another (leaving a branch summary), names and labels entries; then a fork copies the path
    to the first fix into a new session.
    """
    s = Session.create(cwd=cwd, root=root)
    s.append_model_change("anthropic", "claude-sonnet-4-5")
    s.append_thinking_level_change("medium")
    s.set_name("Fix the flaky date test")
    ask = s.append_user_message("tests/test_dates.py fails on CI but not locally. Can you look?")
    s.set_label(ask.id, "task")
    _tool_turn(
        s,
        "toolu_01",
        "bash",
        {"command": "pytest tests/test_dates.py -x -q"},
        "FAILED tests/test_dates.py::test_due_today - AssertionError: 2026-11-20 != 2026-11-21",
        "The test compares against the local date while CI runs in UTC.",
    )
    _tool_turn(
        s,
        "toolu_02",
        "read",
        {"path": "src/todo/dates.py"},
        "def today():\n    return datetime.now().date()\n",
        "`today()` uses the machine's local time zone. I'll make it explicit.",
    )
    s.append_bash_execution("git status --short", " M src/todo/dates.py\n", exit_code=0)
    kept = s.append_user_message("Good. Before you change it, summarise what we know.")
    s.append_assistant_message(
        "CI is in UTC, the code uses local time; the fix is to pass a time zone.",
        provider="anthropic",
        model="claude-sonnet-4-5",
    )
    s.append_compaction(
        "## Goal\nFix test_due_today on CI.\n## Findings\n- CI runs in UTC\n- today() uses local time",
        first_kept_entry_id=kept.id,
        tokens_before=18432,
    )
    decision = s.append_user_message("Fix it by making today() take a tz argument.")
    _tool_turn(
        s,
        "toolu_03",
        "edit",
        {"path": "src/todo/dates.py", "old": "datetime.now()", "new": "datetime.now(tz)"},
        "Applied 1 edit.",
        "Done: today(tz=timezone.utc). All 48 tests pass.",
    )
    first_fix = s.leaf_id
    assert first_fix is not None
    s.set_label(first_fix, "fix: tz argument")
    s.branch(
        decision.id,
        summary="Tried a tz argument on today(); it works but touches 14 call sites.",
    )
    s.append_user_message("Instead, freeze the clock in the test with a fixture.")
    _tool_turn(
        s,
        "toolu_04",
        "edit",
        {"path": "tests/conftest.py", "old": "", "new": "@pytest.fixture\ndef frozen_today(): ..."},
        "Applied 1 edit.",
        "Added a frozen_today fixture; the test no longer depends on the time zone.",
    )
    s.set_label(s.leaf_id or "", "fix: fixture")
    s.append_custom_message("review-bot", "2 files changed, tests green.", display=True)
    s.close()
    fork = s.fork(first_fix)
    fork.close()
    return DemoResult(Path(root), s, fork)
