"""The help formatter sizes help as argparse's own does, without loading shutil."""

from __future__ import annotations

import argparse
import shutil

import pytest

from sesslog.cli.app import build_parser
from sesslog.cli.parsers import HelpFormatter, terminal_columns


@pytest.mark.parametrize("columns", ["33", "120", "0", "-5", "wide", None])
def test_terminal_columns_match_shutil(
    monkeypatch: pytest.MonkeyPatch, columns: str | None
) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns() == shutil.get_terminal_size().columns


@pytest.mark.parametrize("columns", ["40", "100"])
def test_help_is_the_same_as_with_argparses_formatter(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    parser = build_parser(["core"])
    ours = parser.format_help()
    assert parser.formatter_class is HelpFormatter
    parser.formatter_class = argparse.HelpFormatter
    assert ours == parser.format_help()
    assert max(map(len, ours.splitlines())) <= int(columns)
