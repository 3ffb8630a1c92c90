"""Who holds a session file's writer lock, asked without disturbing it."""

from __future__ import annotations

import os
import sys

from sesslog.backends.protocol import LeaseHolder

__all__ = ["lock_holder", "lock_holder_pid", "writer_active"]


def _proc_locks(path: str) -> tuple[bool, int | None] | None:
    """Look the file up in ``/proc/locks``: (locked, holder pid); ``None`` when unavailable."""
    try:
        st = os.stat(path, follow_symlinks=False)
        key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            for row in locks:
                parts = row.split()
                if len(parts) < 6 or parts[1] == "->":  # a waiter, not a holder
                    continue
                if parts[5] == key and parts[1] in ("FLOCK", "OFDLCK", "POSIX"):
                    pid = int(parts[4]) if parts[4].lstrip("-").isdigit() else 0
                    return True, pid if pid > 0 else None
    except (OSError, ValueError):
        return None
    return False, None


def lock_holder_pid(path: str | os.PathLike[str]) -> int | None:
    """Return the pid of the process holding a lock on ``path``, when the OS tells."""
    found = _proc_locks(os.fspath(path))
    return found[1] if found is not None else None


def writer_active(path: str | os.PathLike[str]) -> bool:
    """Tell whether a writer holds the session's lock right now, without disturbing it.

    A reader uses this to report an unterminated final line as ``in_progress`` rather than
    as damage.

    Args:
        path: The session file.

    Returns:
        True when another open file holds a lock on it.
    """
    return lock_holder(path) is not None


def lock_holder(path: str | os.PathLike[str]) -> LeaseHolder | None:
    """Who holds a lock on the session file now (``None``: nobody), without disturbing it.

    Uses ``/proc/locks`` where it exists (which also names the holder's pid); elsewhere it
    tries a shared lock for an instant.
    """
    name = os.fspath(path)
    found = _proc_locks(name)
    if found is not None:
        return LeaseHolder(found[1]) if found[0] else None
    if sys.platform == "win32":  # pragma: no cover - no flock there
        return None
    import fcntl

    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return LeaseHolder()
    finally:
        os.close(fd)
    return None
