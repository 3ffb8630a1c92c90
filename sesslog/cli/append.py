"""``sesslog append FILE``: append messages or entries read as JSON lines from stdin.

Each input line is one JSON object. An object with a ``role`` is a message: it is wrapped in a
``message`` entry attached to the leaf (its ``timestamp`` is filled in when missing). An object
with a ``type`` is an entry: ``id``, ``parentId`` (the leaf) and ``timestamp`` are filled in
when missing. Each new entry's id is printed once the durability mode's promise holds for it,
so a script can read back exactly what is safe.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from sesslog.cli.output import EXIT_FOUND, EXIT_OK, Output
from sesslog.errors import ReadOnlySessionError
from sesslog.format.codec import decode_object, dumps_json
from sesslog.format.ids import new_entry_id
from sesslog.format.records import Record
from sesslog.format.timestamps import ms_to_iso, now_ms
from sesslog.session import Session
from sesslog.write.modes import AutosaveDurabilityMode

__all__ = ["entry_from_input", "register"]

_DESCRIPTION = """\
Append messages or entries, one JSON object per line on stdin. An object with "role" is a
message and is wrapped in a message entry; an object with "type" is an entry and gets "id",
"parentId" (the leaf) and "timestamp" when they are missing. Each new entry id is printed once
the durability promise holds for it: strict after its sync, balanced after the background sync
(at most sync_interval later), throughput once written."""


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``append`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "append",
        help="append messages or entries read as JSON lines from stdin",
        description=_DESCRIPTION,
        parents=parents,
    )
    parser.add_argument("file", help="session .jsonl file")
    parser.add_argument(
        "--durability",
        choices=[m.value for m in AutosaveDurabilityMode],
        default=AutosaveDurabilityMode.BALANCED.value,
        help="what a crash may lose (default: balanced; see docs/durability.md)",
    )
    parser.add_argument(
        "--create", action="store_true", help="create FILE (with a new header) if it is missing"
    )
    parser.add_argument("--cwd", help="working directory for a created header (default: here)")
    parser.add_argument(
        "--lock-wait",
        type=float,
        metavar="SECONDS",
        help="wait this long for another writer's lock (default: fail at once)",
    )
    parser.add_argument(
        "--stats",
        action="store_true",
        help="print the autosave queue metrics at the end (stderr; stdout with --json)",
    )
    parser.set_defaults(handler=_append)


def entry_from_input(obj: Any, leaf_id: str | None, taken: object, ms: int) -> dict[str, Any]:
    """Turn one input object into the entry to append.

    Args:
        obj: The decoded input line.
        leaf_id: The session's leaf (the parent of a new entry unless one is given).
        taken: The ids in use (for a fresh id).
        ms: The current time in Unix milliseconds.

    Returns:
        The entry, with ``type``, ``id``, ``parentId`` and ``timestamp`` first.

    Raises:
        ValueError: The object is neither a message nor an entry.
    """
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if "type" in obj:
        if obj["type"] == "session":
            raise ValueError("a session header cannot be appended")
        body = obj
    elif "role" in obj:
        message = obj if "timestamp" in obj else {**obj, "timestamp": ms}
        body = {"type": "message", "message": message}
    else:
        raise ValueError('neither a message (no "role") nor an entry (no "type")')
    entry = {
        "type": body["type"],
        "id": body.get("id") or new_entry_id(taken),
        "parentId": body.get("parentId", leaf_id),
        "timestamp": body.get("timestamp") or ms_to_iso(ms),
    }
    entry.update((k, v) for k, v in body.items() if k not in entry)
    return entry


class _Reporter:
    """Prints each appended entry once the mode's promise covers it (a thread of its own)."""

    def __init__(self, session: Session, out: Output) -> None:
        self._session = session
        self._out = out
        self._mode = session.durability.value
        self._appended: list[tuple[Record, int]] = []
        self._cond = threading.Condition()
        self._done = False
        self._thread = threading.Thread(target=self._run, name="sesslog append reporter")
        self._thread.start()

    def add(self, rec: Record, line: int) -> None:
        with self._cond:
            self._appended.append((rec, line))
            self._cond.notify()

    def finish(self) -> None:
        with self._cond:
            self._done = True
            self._cond.notify()
        self._thread.join()

    def _run(self) -> None:
        printed = 0
        while True:
            with self._cond:
                while printed == len(self._appended) and not self._done:
                    self._cond.wait()
                total = len(self._appended)
                done = self._done
            kept = min(total, self._session.handle.wait_kept(printed + 1, timeout=0.05))
            for rec, line in self._appended[printed:kept]:
                self._emit(rec, line)
            if kept > printed:
                self._out.stdout.flush()
            printed = max(printed, kept)
            if done and (printed == total or self._session.handle.wait_kept(total, 0) < total):
                return

    def _emit(self, rec: Record, line: int) -> None:
        if self._out.json_mode:
            self._out.json(
                {
                    "id": rec.id,
                    "parentId": rec.parent_id,
                    "type": rec.type,
                    "line": line,
                    "durability": self._mode,
                }
            )
        else:
            self._out.line(str(rec.id))


def _open(args: argparse.Namespace) -> Session:
    path = Path(args.file)
    if args.create and not path.exists():
        return Session.create(path=path, cwd=args.cwd or os.getcwd(), durability=args.durability)
    session = Session.open(path, lock_wait=args.lock_wait, durability=args.durability)
    if session.read_only:
        raise ReadOnlySessionError(f"{path}: {session.read_only_reason}")
    session.handle.open_writer()
    return session


def _append(args: argparse.Namespace, out: Output) -> int:
    session = _open(args)
    problems = 0
    reporter = _Reporter(session, out)
    try:
        problems = _feed(session, sys.stdin.buffer, reporter, out)
    finally:
        try:
            session.close()
        finally:
            reporter.finish()
    if args.stats:
        _print_stats(session, out)
    return EXIT_FOUND if problems else EXIT_OK


def _feed(session: Session, stream: BinaryIO, reporter: _Reporter, out: Output) -> int:
    """Append every input line; returns how many lines were rejected."""
    problems = 0
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            entry = entry_from_input(
                decode_object(raw.strip()), session.leaf_id, session.tree, now_ms()
            )
            rec = session.append_entry(entry)
        except ValueError as exc:
            problems += 1
            text = f"stdin line {number}: {exc}; not appended"
            if out.json_mode:
                out.json({"line": number, "error": text})
            out.warn(text)
            continue
        reporter.add(rec, number)
    return problems


def _print_stats(session: Session, out: Output) -> None:
    metrics = session.metrics
    if metrics is None:
        return
    if out.json_mode:
        out.json({"metrics": metrics})
        return
    for key, value in msgspec.structs.asdict(metrics).items():
        shown = dumps_json(value) if isinstance(value, dict) else value
        out.stderr.write(f"{key}: {shown}\n")
