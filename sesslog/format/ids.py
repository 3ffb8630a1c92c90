"""Ids: fresh session ids (UUID version 7, as newer pi writes) and entry ids (8 hex characters),
and the rule every id or name must follow before it becomes part of a path.

**The id rule.** An id that becomes part of a path (a session id in a file name, and any other
name sesslog puts into a path) is 1 to 128 characters long, made of ASCII letters, digits, ``.``,
``_`` and ``-``, begins and ends with a letter or a digit, and holds no ``..``. UUIDs, pi's
8-hex entry ids, ULIDs and ids such as ``toolu_01AbC`` or ``sess-2026.01`` follow it; a path
separator, ``..``, NUL or any other control character, a leading dot or dash, a space and
an absurd length never do. :func:`check_id` refuses anything else with
:class:`~sesslog.errors.InvalidIdError`.

A folder derived from a working directory (``--home-a-my app--``) cannot follow that rule (pi
keeps spaces and any other character); :func:`check_folder_name` refuses such a name only when it
holds NUL or another control character or is longer than a file name may be (255 bytes).
"""

from __future__ import annotations

import os
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING

from sesslog._patterns import LazyPattern
from sesslog.errors import InvalidIdError

if TYPE_CHECKING:
    import random

__all__ = [
    "MAX_ID_LENGTH",
    "check_folder_name",
    "check_id",
    "id_problem",
    "new_entry_id",
    "new_session_id",
]

#: The longest id the id rule allows, in characters.
MAX_ID_LENGTH = 128
#: The longest file or folder name most file systems take, in bytes of UTF-8.
_MAX_NAME_BYTES = 255
_NOT_ID_CHAR = LazyPattern(r"[^A-Za-z0-9._-]")
_CONTROL = LazyPattern("[\x00-\x1f\x7f-\x9f]")


def id_problem(value: object) -> str | None:
    """Say why ``value`` breaks the id rule.

    Args:
        value: A candidate id.

    Returns:
        ``None`` when ``value`` follows the rule, else a short reason for people.
    """
    if not isinstance(value, str):
        return f"not a string but {type(value).__name__}"
    if not value:
        return "empty"
    if len(value) > MAX_ID_LENGTH:
        return f"{len(value)} characters long, more than {MAX_ID_LENGTH}"
    bad = _NOT_ID_CHAR.search(value)
    if bad is not None:
        char = bad.group()
        return f"holds {char!r} (U+{ord(char):04X}); only ASCII letters, digits, '.', '_', '-'"
    if not (value[0].isalnum() and value[-1].isalnum()):
        return "must begin and end with a letter or a digit"
    if ".." in value:
        return "holds '..'"
    return None


def check_id(value: object, what: str = "session id") -> str:
    """Return ``value`` when it follows the id rule.

    Args:
        value: The id.
        what: What it names, for the error message.

    Raises:
        InvalidIdError: ``value`` breaks the rule; the message names it and says why.
    """
    problem = id_problem(value)
    if problem is not None:
        raise InvalidIdError(value, what, problem)
    assert isinstance(value, str)
    return value


def check_folder_name(name: str, what: str = "session folder") -> str:
    """Return a derived folder or file name when it may become part of a path.

    ``name`` must already be free of path separators (derived names replace them); this
    refuses the names no separator rule catches.

    Raises:
        InvalidIdError: The name is empty, ``.`` or ``..``, holds NUL or another control
            character, or is longer than 255 bytes.
    """
    problem = None
    control = _CONTROL.search(name)
    if name in ("", ".", "..") or "/" in name or "\\" in name:
        problem = "not a single file name"
    elif control is not None:
        problem = f"holds the control character U+{ord(control.group()):04X}"
    elif len(name.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES:
        problem = f"longer than {_MAX_NAME_BYTES} bytes"
    if problem is not None:
        raise InvalidIdError(name, what, problem)
    return name


def new_session_id() -> str:
    """A new UUID version 7 (time-ordered), as newer pi versions write."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


# Entry ids need to be unique within one session, not unpredictable: they are drawn from a
# generator seeded from the OS (reseeded in a forked child, whose pool is emptied so that parent
# and child never hand out the same ids), 512 at a time into a pool that appenders pop from (a
# deque's pop is atomic, so threads need no lock).
# (os.urandom, not the secrets module: that one loads OpenSSL through hmac and hashlib, a
# tenth of a read's start-up). The generator is made when the first id is drawn: a read draws
# none, and loading the random module costs it a millisecond.
_generator: list[random.Random] = []
_POOL_SIZE = 512
_pool: deque[str] = deque()


def _refill() -> str:
    if not _generator:
        import random

        _generator.append(random.Random(int.from_bytes(os.urandom(16), "big")))
    fresh = _generator[0].randbytes(4 * _POOL_SIZE).hex(" ", 4).split()
    mine = fresh.pop()
    _pool.extend(fresh)
    return mine


def _reseed_after_fork() -> None:
    _pool.clear()
    _generator.clear()  # the child makes its own, seeded anew


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed_after_fork)


def new_entry_id(taken: object) -> str:
    """A new entry id: 8 lowercase hex characters, or a full UUID on collision.

    Args:
        taken: A container of ids already in use (anything supporting ``in``).
    """
    for _ in range(8):
        try:
            candidate = _pool.pop()
        except IndexError:
            candidate = _refill()
        if candidate not in taken:  # type: ignore[operator]
            return candidate
    return str(uuid.uuid4())
