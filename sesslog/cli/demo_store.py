"""A small demo store: the branching demo session and its fork, and sessions of other projects
with titles, tags, statuses, usage and a template, in pi's folder layout."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sesslog.cli.demo_session import write_demo
from sesslog.format import entries as E
from sesslog.session import Session
from sesslog.store import SessionStore

__all__ = ["DemoStore", "write_demo_store"]

_MODEL = ("anthropic", "claude-sonnet-4-5")


@dataclass(frozen=True)
class DemoStore:
    """What :func:`write_demo_store` wrote.

    Attributes:
        root: The sessions folder.
        main: The path of the branching session.
        fork: The path of its fork.
        sessions: How many sessions the store holds.
    """

    root: Path
    main: str
    fork: str
    sessions: int


def _reply(session: Session, text: str, tokens: tuple[int, int], cost: float) -> None:
    session.append_assistant_message(
        text,
        provider=_MODEL[0],
        model=_MODEL[1],
        usage=E.Usage(
            input=tokens[0],
            output=tokens[1],
            total_tokens=sum(tokens),
            cost=E.Cost(total=cost),
        ),
    )


def _edit(session: Session, call_id: str, path: str, note: str) -> None:
    session.append_assistant_message(
        [E.ToolCall(id=call_id, name="edit", arguments={"path": path, "old": "", "new": note})],
        provider=_MODEL[0],
        model=_MODEL[1],
        usage=E.Usage(input=2100, output=140, total_tokens=2240, cost=E.Cost(total=0.0084)),
    )
    session.append_tool_result(call_id, "edit", "Applied 1 edit.")


def _landing(store: SessionStore) -> None:
    with store.create(
        "/home/dev/projects/landing", title="Restyle the landing page", tags=["frontend"]
    ) as s:
        s.append_user_message(
            "The call-to-action button overflows on phones. Make the hero responsive."
        )
        _edit(s, "toolu_11", "src/styles/hero.css", "@media (max-width: 600px) { ... }")
        _reply(s, "The hero now stacks on narrow screens; the button wraps.", (2600, 90), 0.0092)


def _api(store: SessionStore) -> None:
    with store.create(
        "/home/dev/projects/api",
        title="Add rate limiting",
        tags=["backend", "security"],
        status="completed",
    ) as s:
        s.append_user_message(
            "Rate-limit the login endpoint: 5 tries a minute per IP, in UTC windows."
        )
        _edit(s, "toolu_21", "api/limits.py", "WINDOW = timedelta(minutes=1)  # UTC")
        s.append_bash_execution(
            "pytest tests/test_limits.py -q", "6 passed in 0.41s\n", exit_code=0
        )
        _reply(
            s,
            "Login is limited to 5 tries a minute per IP; windows are in UTC.",
            (3100, 75),
            0.0104,
        )


def _template(store: SessionStore) -> None:
    with store.create(
        "/home/dev/projects/api", title="Code review", tags=["template", "review"]
    ) as s:
        s.append_user_message(
            "Review the diff on this branch: correctness first, then tests, then style."
        )


def write_demo_store(root: str | os.PathLike[str]) -> DemoStore:
    """Write the demo store under ``root`` and return where its sessions are."""
    demo = write_demo(root)
    main, fork = str(demo.session.path), str(demo.fork.path)
    with SessionStore(Path(root)) as store:
        store.update_metadata(main, tags=["bug", "tests"], status="completed")
        store.set_title(fork, "Fix the flaky date test (tz argument)")
        store.tag(fork, "experiment")
        _landing(store)
        _api(store)
        _template(store)
        with store.create_from_template(
            "Code review", "/home/dev/projects/landing", title="Review the hero change"
        ) as review:
            _reply(
                review, "Correct; one test missing for the 600px breakpoint.", (1800, 60), 0.0063
            )
        count = len(store.list())
    return DemoStore(Path(root), main, fork, count)
