"""Shared output for every command: ``--json``, color on terminals only, progress on stderr."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TextIO

from sesslog.format.codec import dumps_json

__all__ = [
    "EXIT_CORRUPT",
    "EXIT_FOUND",
    "EXIT_LOCKED",
    "EXIT_MISSING",
    "EXIT_OK",
    "EXIT_USAGE",
    "Output",
    "common_options",
]

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_USAGE = 2
EXIT_CORRUPT = 3
EXIT_MISSING = 4
EXIT_LOCKED = 5


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts (used as an argparse parent)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parent.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="color human output (default: auto, on a terminal without NO_COLOR)",
    )
    return parent


class Output:
    """Where a command writes: JSON or human text on stdout, messages on stderr."""

    def __init__(
        self,
        *,
        json_mode: bool,
        color: bool,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.color = color
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Output:
        """Build from the parsed common options."""
        choice = getattr(args, "color", "auto")
        if choice == "always":
            color = True
        elif choice == "never":
            color = False
        else:
            color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        return cls(json_mode=bool(getattr(args, "json", False)), color=color)

    def json(self, value: Any) -> None:
        """Print one JSON document."""
        self.stdout.write(dumps_json(value) + "\n")

    def line(self, text: str = "") -> None:
        """Print one line of human output."""
        self.stdout.write(text + "\n")

    def style(self, text: str, code: str) -> str:
        """Wrap ``text`` in an ANSI style when color is on (codes: ``1`` bold, ``2`` dim, ``31`` red...)."""
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def warn(self, text: str) -> None:
        """Print a message on stderr."""
        self.stderr.write(f"sesslog: {text}\n")

    def fail(self, text: str, code: int) -> int:
        """Report an error (as JSON on stdout in ``--json`` mode) and return ``code``."""
        if self.json_mode:
            self.json({"error": text, "exitCode": code})
        self.warn(text)
        return code

    @property
    def progress_enabled(self) -> bool:
        """True when progress may be drawn (stderr is a terminal)."""
        return self.stderr.isatty()
