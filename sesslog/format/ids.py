"""Fresh ids: session ids (UUID version 7, as newer pi writes) and entry ids (8 hex characters)."""

from __future__ import annotations

import os
import random
import secrets
import time
import uuid
from collections import deque

__all__ = ["new_entry_id", "new_session_id"]


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
