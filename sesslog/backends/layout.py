"""Where sessions live on disk: pi's folder layout and file names (format contract, section 8)."""

from __future__ import annotations

import os
from pathlib import Path

from sesslog.format.ids import check_folder_name, check_id

__all__ = [
    "default_sessions_root",
    "folder_for_cwd",
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
    return check_folder_name(f"--{body}--")


def session_file_name(timestamp: str, session_id: str) -> str:
    """``<timestamp with ':' and '.' as '-'>_<id>.jsonl``.

    Raises:
        InvalidIdError: The id, or the timestamp once ':' and '.' are replaced, breaks the id
            rule (:mod:`sesslog.format.ids`).
    """
    stamp = check_id(timestamp.replace(":", "-").replace(".", "-"), "timestamp")
    return f"{stamp}_{check_id(session_id)}.jsonl"


def session_path(root: str | os.PathLike[str], cwd: str, timestamp: str, session_id: str) -> Path:
    """The full path of a session file under ``root``."""
    return Path(root) / folder_for_cwd(cwd) / session_file_name(timestamp, session_id)
