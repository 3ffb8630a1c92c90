"""What every parser of the command line shares: a help formatter sized without :mod:`shutil`,
and parents of options.

argparse makes a help formatter for every argument it adds (to check the metavar), and its own
formatter imports :mod:`shutil` (with :mod:`bz2`, :mod:`lzma` and :mod:`fnmatch`) to find the
terminal's width: milliseconds that a command printing no help should not pay.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["HelpFormatter", "options_parser", "terminal_columns"]


def terminal_columns() -> int:
    """The terminal's width as :func:`shutil.get_terminal_size` finds it: ``COLUMNS`` when set
    to a positive number, else the width of the terminal of standard output, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help formatter, as wide as :func:`terminal_columns` less two (as argparse's)."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def options_parser() -> argparse.ArgumentParser:
    """An empty parser for options several commands share (an argparse parent: no ``-h``)."""
    return argparse.ArgumentParser(add_help=False, formatter_class=HelpFormatter)
