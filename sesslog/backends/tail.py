"""The rule for a log's unfinished tail, shared by every backend.

Before the first append, a writer looks at the bytes after the log's last ``\\n``: nothing (a
clean end), a complete JSON object lacking only its newline (the newline is added), or anything
else, a torn record or NUL padding (the bytes are saved aside under a free name and the log is
cut back to its last complete line). A log whose first line is unfinished is never cut.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from sesslog.errors import FormatError
from sesslog.format.codec import decode_object

__all__ = ["TailAction", "check_cut", "side_name", "tail_action"]


class TailAction(enum.Enum):
    """What a log's tail needs before anything is appended."""

    NONE = "none"  #: The log ends with a complete line.
    NEWLINE = "newline"  #: A complete record lacks only its ``\n``.
    CUT = "cut"  #: A torn record or padding: save it aside, cut the log back.


def tail_action(tail: bytes) -> TailAction:
    """What the bytes after a log's last ``\\n`` need."""
    if not tail:
        return TailAction.NONE
    if b"\x00" not in tail and isinstance(decode_object(tail.rstrip(b"\r")), dict):
        return TailAction.NEWLINE
    return TailAction.CUT


def check_cut(name: str, start: int) -> None:
    """Refuse to cut a log back to ``start`` when that would leave it without a first line.

    Raises:
        FormatError: ``start`` is 0.
    """
    if start == 0:
        raise FormatError(
            "the file has no complete first line; not cutting it", path=name, line=1, offset=0
        )


def side_name(base: str, offset: int, tail: bytes, held: Callable[[str], bytes | None]) -> str:
    """A free name for a torn tail saved aside: ``<base>.torn-at-<offset>``, then ``.2``,
    ``.3``... The same name again when it already holds these bytes (a repair interrupted by a
    crash is being redone).

    Args:
        base: The log's name (a path, or a key).
        offset: Where the tail starts.
        tail: The bytes to save.
        held: Returns what a name holds now, ``None`` when it is free (anything unreadable
            counts as other bytes).
    """
    first = f"{base}.torn-at-{offset}"
    candidate = first
    number = 1
    while True:
        found = held(candidate)
        if found is None or found == tail:
            return candidate
        number += 1
        candidate = f"{first}.{number}"
