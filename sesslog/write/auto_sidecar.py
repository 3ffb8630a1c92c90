"""Keep the V2 sidecar of a long session up to date in the background, without ``migrate``.

When a writer closes a local session file of at least :data:`DEFAULT_THRESHOLD` bytes whose
sidecar is missing or older than the file, it starts ``python -m sesslog migrate FILE`` as a
detached process (its own session, no terminal, output discarded) and returns at once. The
process builds the sidecar, or catches it up with the new lines, under the sidecar's own lock,
and verifies it before publishing it (see ``docs/v2-format.md``); readers use it once it holds
the file as it is. It only reads the session file.

Nothing of the append promises changes: the build starts after :meth:`close` has written and
synced every entry and released the file, it never holds the session's lock, and a build that
fails or is killed leaves the file as it was (a reader then reads the file). A process of its
own outlives the writer's process, so a short-lived program still gets its sidecar.

The switch is ``SESSLOG_AUTO_SIDECAR``: ``0`` (or ``off``) turns it off; a number of bytes sets
the threshold.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["DEFAULT_THRESHOLD", "ENVIRONMENT", "maybe_build_sidecar", "threshold"]

#: Sessions of at least this many bytes get a sidecar when their writer closes.
DEFAULT_THRESHOLD = 8 << 20
#: The environment variable that turns the background build off (``0``) or sets its threshold.
ENVIRONMENT = "SESSLOG_AUTO_SIDECAR"


def threshold() -> int | None:
    """The size from which a closing writer builds the sidecar, or ``None`` when turned off
    (an unreadable value turns it off too)."""
    value = os.environ.get(ENVIRONMENT, "").strip().lower()
    if not value:
        return DEFAULT_THRESHOLD
    if value in ("0", "off", "no", "false"):
        return None
    return int(value) if value.isdigit() else None


def maybe_build_sidecar(path: Path | None, size: int) -> subprocess.Popen[bytes] | None:
    """Start the background build for the session file ``path`` of ``size`` bytes when it is
    due (large enough, switched on, the sidecar missing or older than the file).

    Args:
        path: The session file (``None`` for a log that is no local file: nothing to do).
        size: Its size as the writer left it.

    Returns:
        The started process, or ``None`` when none was started. Never raises: a build that
        cannot start changes nothing of the session.
    """
    limit = threshold()
    if path is None or limit is None or size < limit:
        return None
    # The sidecar's place (``<name>.v2/`` beside ``<name>.jsonl``) is named here as
    # sesslog.projections.sidecar names it: that layer sits above the write path.
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.name
    try:
        manifest = path.with_name(stem + ".v2") / "manifest.json"
        if manifest.stat().st_mtime_ns >= path.stat().st_mtime_ns:
            return None  # built or caught up after the file's last change
    except OSError:
        pass  # no sidecar yet
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "sesslog", "migrate", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        return None
