"""Where sessions live on disk: pi's folder layout and file names (format contract, section 8)."""

from __future__ import annotations

import os
import random
import secrets
import time
import uuid
from collections import deque
from pathlib import Path

__all__ = [
    "default_sessions_root",
    "folder_for_cwd",
    "new_entry_id",
    "new_session_id",
    "session_file_name",
    "session_path",
]


def default_sessions_root() -> Path:
    """``$PI_CODING_AGENT_DIR/sessions``, or ``~/.pi/agent/sessions``."""
    agent_dir = os.environ.get("PI_CODING_AGENT_DIR")
    if agent_dir:
        return Path(agent_dir).expanduser() / "sessions"
    return Path.home() / ".pi" / "agent" / "sessions"


def folder_for_cwd(cwd: str) -> str:
    """The folder name for a working directory.

    One leading ``/`` or ``\\`` is removed and every ``/``, ``\\`` and ``:`` becomes ``-``:
    ``/home/a/my app`` → ``--home-a-my app--``.
    """
    body = cwd[1:] if cwd[:1] in ("/", "\\") else cwd
    for char in "/\\:":
        body = body.replace(char, "-")
    return f"--{body}--"


def session_file_name(timestamp: str, session_id: str) -> str:
    """``<timestamp with ':' and '.' as '-'>_<id>.jsonl``."""
    return f"{timestamp.replace(':', '-').replace('.', '-')}_{session_id}.jsonl"


def session_path(root: str | os.PathLike[str], cwd: str, timestamp: str, session_id: str) -> Path:
    """The full path of a session file under ``root``."""
    return Path(root) / folder_for_cwd(cwd) / session_file_name(timestamp, session_id)


def new_session_id() -> str:
    """A new UUID version 7 (time-ordered), as newer pi versions write."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(secrets.token_bytes(10), "big")
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
_ids = random.Random(secrets.randbits(128))
_POOL_SIZE = 512
_pool: deque[str] = deque()


def _refill() -> str:
    fresh = _ids.randbytes(4 * _POOL_SIZE).hex(" ", 4).split()
    mine = fresh.pop()
    _pool.extend(fresh)
    return mine


def _reseed_after_fork() -> None:
    _pool.clear()
    _ids.seed(secrets.randbits(128))


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
