"""docs/cli.md and ``sesslog --help`` cannot drift apart: every command has a synopsis in the
doc (a bullet starting with ``sesslog COMMAND``) naming exactly the options its parser takes,
and the doc names no command the parser does not have."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sesslog.cli import build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
#: A synopsis: a bullet opening with a code span ``sesslog COMMAND ...`` (it may wrap lines).
SYNOPSIS = re.compile(r"^- `sesslog ([a-z][\w-]*)([^`]*)`", re.MULTILINE)
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")
#: Options every command (or every command of a section) shares, each documented once in the
#: section introducing them rather than in every synopsis.
SHARED = {"-h", "--help", "--json", "--color", "--root", "--mode"}


def _commands() -> dict[str, list[tuple[str, ...]]]:
    """Each command and the spellings of each of its options (``("-n", "--lines")``)."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: [tuple(a.option_strings) for a in sub._actions if a.option_strings]
        for name, sub in subparsers.choices.items()
    }


def _synopses() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, rest in SYNOPSIS.findall(DOC.read_text(encoding="utf-8")):
        found.setdefault(name, set()).update(OPTION.findall(rest))
    return found


def test_every_command_has_a_synopsis_and_no_synopsis_names_an_unknown_command() -> None:
    commands, synopses = _commands(), _synopses()
    assert sorted(commands.keys() - synopses.keys()) == []
    assert sorted(synopses.keys() - commands.keys()) == []


def test_each_synopsis_names_exactly_the_options_of_its_command() -> None:
    commands, synopses = _commands(), _synopses()
    problems = []
    for name, options in sorted(commands.items()):
        named = synopses.get(name, set())
        missing = [
            spellings[-1]
            for spellings in options
            if not SHARED & set(spellings) and not named & set(spellings)
        ]
        unknown = sorted(named - {s for spellings in options for s in spellings})
        if missing or unknown:
            problems.append(f"{name}: not in docs/cli.md {missing}; not an option {unknown}")
    assert problems == []


def test_the_shared_options_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert [o for o in sorted(SHARED - {"-h"}) if f"`{o}" not in text] == []
