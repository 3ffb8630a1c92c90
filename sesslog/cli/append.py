"""``sesslog append FILE``: append messages or entries read as JSON lines from stdin.

Each input line is one JSON object. An object with a ``role`` is a message: it is wrapped in a
``message`` entry attached to the leaf (its ``timestamp`` is filled in when missing). An object
with a ``type`` is an entry: ``id``, ``parentId`` (the leaf) and ``timestamp`` are filled in
when missing. Each new entry's id is printed once the durability mode's promise holds for it,
so a script can read back exactly what is safe.

Messages and entries are completed with the fields pi needs (see
:mod:`sesslog.format.defaults`); a line that cannot be taken (not UTF-8, not JSON, a field
missing) is reported with its line number and skipped, and the others are appended. With
``--lock-wait`` the command waits for another writer, then reads what that writer appended so
that its own entries attach after them. Ctrl-C stops reading; what was appended is written and
synced before the command ends (exit 130).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from sesslog.cli.errors import CommandError
from sesslog.cli.inputs import existing_file, not_a_link, require_session
from sesslog.cli.interrupts import DeferredInterrupt, sigint_ignored
from sesslog.cli.output import EXIT_CORRUPT, EXIT_FOUND, EXIT_INTERRUPTED, EXIT_OK, Output
from sesslog.errors import ReadOnlySessionError, SessionChangedError
from sesslog.format.codec import decode_object, dumps_json
from sesslog.format.defaults import complete_entry
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
        help="wait this long for another writer, then append after what it appended "
        "(default: fail at once)",
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
        The entry, with ``type``, ``id``, ``parentId`` and ``timestamp`` first, completed with
        the fields pi needs (:func:`~sesslog.format.defaults.complete_entry`).

    Raises:
        ValueError: The object is neither a message nor an entry, or lacks a field its type
            requires.
    """
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if "type" in obj:
        if obj["type"] == "session":
            raise ValueError("a session header cannot be appended")
        body = obj
    elif "role" in obj:
        body = {"type": "message", "message": obj}
    else:
        raise ValueError('neither a message (no "role") nor an entry (no "type")')
    entry = {
        "type": body["type"],
        "id": body.get("id") or new_entry_id(taken),
        "parentId": body.get("parentId", leaf_id),
        "timestamp": body.get("timestamp") or ms_to_iso(ms),
    }
    entry.update((k, v) for k, v in body.items() if k not in entry)
    return complete_entry(entry, ms)


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


#: Attempts to take the lock when the file keeps growing between a read and the lock (without
#: ``--lock-wait``; with it, attempts go on until the time is up).
_CATCH_UP_TRIES = 5


def _open(args: argparse.Namespace) -> Session:
    """Open the session for appending, holding its writer lock, with everything another
    writer appended before the lock was ours read in (the new entries attach after it)."""
    path = not_a_link(args.file)
    if args.create and not os.path.lexists(path):
        with contextlib.suppress(FileExistsError):  # created meanwhile: append to it
            return Session.create(
                path=path, cwd=args.cwd or os.getcwd(), durability=args.durability
            )
    existing_file(path)
    deadline = None if args.lock_wait is None else time.monotonic() + args.lock_wait
    tries = 0
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        session = Session.open(path, lock_wait=left, durability=args.durability)
        _check_writable(session, path)
        try:
            session.handle.open_writer()
            return session
        except SessionChangedError:
            tries += 1  # another writer appended after the read: read again, under way to it
            if (deadline is None and tries >= _CATCH_UP_TRIES) or (
                deadline is not None and time.monotonic() >= deadline
            ):
                raise


def _check_writable(session: Session, path: Path) -> None:
    require_session(session, path)
    if not session.header_raw:
        raise CommandError(
            f"{path}: has no session header (line 1); sesslog does not append to it "
            f"(see 'sesslog check {path}')",
            EXIT_CORRUPT,
        )
    if session.read_only:
        raise ReadOnlySessionError(f"{path}: {session.read_only_reason}")


def _append(args: argparse.Namespace, out: Output) -> int:
    session = _open(args)
    problems = 0
    interrupted = False
    reporter = _Reporter(session, out)
    guard = DeferredInterrupt()
    try:
        with guard.installed():
            problems = _feed(session, sys.stdin.buffer, reporter, out, guard)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        with sigint_ignored():  # settle what was acknowledged before anything else
            try:
                session.close()
            finally:
                reporter.finish()
    if interrupted:
        raise CommandError(
            f"{args.file}: interrupted; every entry appended before it is written and synced "
            "(their ids were printed)",
            EXIT_INTERRUPTED,
        )
    if args.stats:
        _print_stats(session, out)
    return EXIT_FOUND if problems else EXIT_OK


def _feed(
    session: Session,
    stream: BinaryIO,
    reporter: _Reporter,
    out: Output,
    guard: DeferredInterrupt,
) -> int:
    """Append every input line; returns how many lines were rejected."""
    problems = 0
    for number, raw in enumerate(stream, 1):
        line = raw.strip()
        if not line:
            continue
        try:
            entry = _entry_of(line, session)
            with guard.appending():
                reporter.add(session.append_entry(entry), number)
        except ValueError as exc:
            problems += 1
            text = f"stdin line {number}: {exc}; not appended"
            if out.json_mode:
                out.json({"line": number, "error": text})
            out.warn(text)
    return problems


def _entry_of(line: bytes, session: Session) -> dict[str, Any]:
    """The entry one stdin line asks for."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start} of the line)") from None
    try:
        obj = decode_object(line)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if obj is None and line != b"null":
        raise ValueError("not valid JSON")
    return entry_from_input(obj, session.leaf_id, session.tree, now_ms())


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
