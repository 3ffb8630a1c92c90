"""Shared output for every command: ``--json``, color on terminals only, progress on stderr,
the exit codes, and escaping of everything printed for people."""

from __future__ import annotations

import argparse
import math
import os
import sys

from sesslog._lazy import TYPE_CHECKING
from sesslog._patterns import LazyPattern
from sesslog.cli.parsers import options_parser
from sesslog.render.escape import escape_json, escape_terminal, escape_text

if TYPE_CHECKING:
    from typing import Any, TextIO

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_CORRUPT",
    "EXIT_FOUND",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_MISSING",
    "EXIT_OK",
    "EXIT_READ_ONLY",
    "EXIT_USAGE",
    "Output",
    "common_options",
]

#: Done, nothing found.
EXIT_OK = 0
#: Problems found (``check`` losses, ``verify`` mismatches, input lines not appended...), or
#: a refusal that a flag would lift (``--force``).
EXIT_FOUND = 1
#: Bad arguments, or a path that is not what the command takes (a directory, a symlink to
#: append to).
EXIT_USAGE = 2
#: Corrupt or unusable data: not a session file (empty, binary, no header), damage under
#: ``--mode strict``, a damaged sidecar.
EXIT_CORRUPT = 3
#: Missing input: no such file (or entry).
EXIT_MISSING = 4
#: Another process holds the session's writer lock or the sidecar's lock.
EXIT_LOCKED = 5
#: Read-only: permission denied, a read-only file system, or a session sesslog will not write
#: (an older format version to upgrade first, or a newer one).
EXIT_READ_ONLY = 6
#: A bug in sesslog (the one line names the exception).
EXIT_INTERNAL = 70
#: Interrupted by Ctrl-C (SIGINT).
EXIT_INTERRUPTED = 130
#: The reader of stdout went away (128 + SIGPIPE, as a tool killed by it would end).
EXIT_BROKEN_PIPE = 141


#: What the standard library writes for a float JSON cannot hold, where a value starts.
_NON_FINITE = LazyPattern(r"[:,\[]\s*-?(?:NaN|Infinity)")


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value


#: The UTF-8 of what :func:`~sesslog.render.escape.escape_json` escapes: DEL, C1 controls, the
#: line and paragraph separators, the bidirectional controls (lone surrogates never reach it:
#: msgspec refuses them and the standard library escapes them).
_ESCAPED_UTF8 = LazyPattern(rb"\x7f|\xc2[\x80-\x9f]|\xe2(?:\x80[\xa8-\xae]|\x81[\xa6-\xa9])")


def _msgspec_json(value: Any) -> bytes | str:
    """``value`` as JSON bytes by msgspec, or as text by the standard library when msgspec
    refuses it (lone surrogates written as escapes; the reason as a ``FormatError``)."""
    import msgspec  # here, not at the top: commands that print no JSON never load it

    try:
        # msgspec writes NaN and the infinities as null itself
        return msgspec.json.encode(value)
    except (
        UnicodeError,
        TypeError,
        ValueError,
        OverflowError,
        RecursionError,
        msgspec.MsgspecError,
    ):
        from sesslog.format.codec import dumps_json

        text = dumps_json(value)
        if _NON_FINITE.search(text):  # rare; a string holding ":NaN" only costs a pass
            text = dumps_json(_finite(msgspec.to_builtins(value)))
        return text


def _plain(value: Any) -> bool:
    """Whether the standard library's JSON encoder writes ``value`` byte for byte as msgspec
    does: dicts with text keys, lists, text, integers, booleans, ``None``, and floats that
    both write without an exponent."""
    if value is None or isinstance(value, (str, int)):
        return True
    if isinstance(value, float):
        return value == 0 or 1e-4 <= abs(value) < 1e16
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    return False


def _plain_json(value: Any) -> bytes | None:
    """``value`` as msgspec would write it, by the standard library, when it is plain (see
    :func:`_plain`); else ``None``."""
    if not _plain(value):
        return None
    import json

    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False)
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None


def _needs_escape(raw: bytes) -> bool:
    """Whether JSON bytes hold anything :func:`escape_json` would escape (looked for by each
    lead byte, which is faster on large output than a pattern over all of it)."""
    if raw.isascii():
        return b"\x7f" in raw
    if b"\x7f" in raw:
        return True
    for lead in (b"\xc2", b"\xe2"):
        at = raw.find(lead)
        while at != -1:
            if _ESCAPED_UTF8.match(raw, at):
                return True
            at = raw.find(lead, at + 1)
    return False


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts (used as an argparse parent)."""
    parent = options_parser()
    parent.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parent.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="color human output (default: auto, on a terminal without NO_COLOR)",
    )
    return parent


class Output:
    """Where a command writes: JSON or human text on stdout, messages on stderr.

    Every human line is escaped (see :mod:`sesslog.render.escape`): sesslog's own color codes
    pass, nothing else a terminal would obey does. JSON is written as UTF-8 whatever the
    strings hold.
    """

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
        """Print one JSON document: valid JSON on one line, nothing in it a terminal would obey.
        A number JSON cannot hold (``NaN``, ``Infinity``: a damaged line may carry one) is
        written as ``null``, as JavaScript writes it."""
        # msgspec only when loaded already or needed: a plain value (a search answered by a
        # fresh catalog) is written alike by the standard library
        plain = None if "msgspec" in sys.modules else _plain_json(value)
        raw = _msgspec_json(value) if plain is None else plain
        if isinstance(raw, str):
            self.stdout.write(escape_json(raw) + "\n")
            return
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is not None and not _needs_escape(raw):
            # nothing a terminal would obey: the bytes go out as they are
            self.stdout.flush()
            buffer.write(raw + b"\n")
            return
        text = raw.decode("utf-8")
        self.stdout.write(escape_json(text) + "\n")

    def line(self, text: str = "") -> None:
        """Print one line of human output."""
        self.stdout.write(escape_terminal(text, keep_colors=self.color) + "\n")

    def style(self, text: str, code: str) -> str:
        """Wrap ``text`` in an ANSI style when color is on (codes: ``1`` bold, ``2`` dim, ``31`` red...)."""
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def warn(self, text: str) -> None:
        """Print a message on stderr (one line: newlines in it are escaped)."""
        self.stderr.write(f"sesslog: {escape_text(text)}\n")

    def fail(self, text: str, code: int, *, file: str | None = None) -> int:
        """Report an error (also as JSON on stdout in ``--json`` mode) and return ``code``.

        Args:
            text: One sentence naming the file and the cause.
            code: The exit code.
            file: The file the command was given, for the JSON form.
        """
        if self.json_mode:
            doc: dict[str, Any] = {"error": escape_text(text), "exitCode": code}
            if file is not None:
                doc["file"] = file
            self.json(doc)
        self.warn(text)
        return code

    def flush(self) -> None:
        """Flush both streams (a closed pipe raises here rather than at exit)."""
        self.stdout.flush()
        self.stderr.flush()

    @property
    def progress_enabled(self) -> bool:
        """True when progress may be drawn (stderr is a terminal)."""
        return self.stderr.isatty()
