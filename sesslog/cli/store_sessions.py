"""Store commands that find, read and start sessions: ``open``, ``log``, ``new``, ``fork``,
``branch``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sesslog.cli.core import positive_int
from sesslog.cli.errors import CommandError
from sesslog.cli.output import EXIT_MISSING, EXIT_OK, EXIT_USAGE, Output
from sesslog.cli.store_access import add_command, emit, info_json, info_line, run_store
from sesslog.render.escape import escape_text

if TYPE_CHECKING:
    from sesslog.catalog.types import SessionInfo
    from sesslog.format.records import Record
    from sesslog.store import SessionStore

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add this module's commands."""
    opener = add_command(
        subparsers,
        parents,
        "open",
        "find a session (by REF, --latest or --continue) and print what was found",
        _open,
        ref=False,
    )
    opener.add_argument(
        "ref", metavar="REF", nargs="?", help="the session: path, id, prefix or title"
    )
    which = opener.add_mutually_exclusive_group()
    which.add_argument("--latest", action="store_true", help="the most recently updated session")
    which.add_argument(
        "--continue",
        dest="resume",
        action="store_true",
        help="the most recently updated session of the working directory (--cwd, else this one)",
    )
    opener.add_argument("--cwd", metavar="DIR", help="with --latest or --continue: of this folder")

    log = add_command(subparsers, parents, "log", "list a session's entries, filtered", _log)
    log.add_argument(
        "--type", action="append", default=[], help="only entries of this type (repeatable)"
    )
    log.add_argument(
        "--role", action="append", default=[], help="only messages of this role (repeatable)"
    )
    log.add_argument("--since", metavar="TIME", help="only entries at or after (ISO 8601)")
    log.add_argument("--until", metavar="TIME", help="only entries before (ISO 8601)")
    log.add_argument("--grep", metavar="TEXT", help="only entries whose line holds TEXT (any case)")
    log.add_argument("--active", action="store_true", help="only the path to the leaf")
    log.add_argument("--limit", type=positive_int, metavar="N", help="only the last N matching")
    log.add_argument(
        "--width", type=positive_int, default=100, help="width of entry summaries (default 100)"
    )

    new = add_command(subparsers, parents, "new", "start a session in the store", _new, ref=False)
    new.add_argument("--cwd", metavar="DIR", help="its working directory (default: this one)")
    new.add_argument("--title", help="its title")
    new.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    new.add_argument("--status", help="active, completed, failed or abandoned")
    new.add_argument("--id", dest="session_id", metavar="ID", help="its id (default: a new one)")
    new.add_argument(
        "--from-template",
        metavar="NAME",
        help="start from the template of this title (its opening entries and metadata)",
    )

    fork = add_command(
        subparsers, parents, "fork", "copy the path to an entry into a new session", _fork
    )
    fork.add_argument("--entry", metavar="ID", help="the last entry to copy (default: the leaf)")
    fork.add_argument("--whole-tree", action="store_true", help="copy every entry, every branch")
    fork.add_argument("--title", help="the new session's title")

    branch = add_command(
        subparsers, parents, "branch", "move the session's leaf back to an entry", _branch
    )
    branch.add_argument("entry", metavar="ENTRY", help="the entry id to continue from")
    branch.add_argument(
        "--summary", metavar="TEXT", help="a summary of the branch left (a branch_summary entry)"
    )


def _show(info: SessionInfo, out: Output) -> int:
    return emit(out, info_json(info), [info.path, info_line(info, out)])


def _open(args: argparse.Namespace, out: Output) -> int:
    if bool(args.ref) == (args.latest or args.resume):
        raise CommandError("open: give a REF, or --latest, or --continue", EXIT_USAGE)

    def work(store: SessionStore) -> int:
        if args.ref:
            info = store.resolve(args.ref)
        else:
            cwd = args.cwd or (os.getcwd() if args.resume else None)
            found = store.latest(cwd)
            if found is None:
                where = f" for {cwd}" if cwd else ""
                raise CommandError(f"{store.root}: no session{where}", EXIT_MISSING)
            info = found
        return _show(info, out)

    return run_store(args, out, work)


def _time(text: str | None, option: str) -> int | None:
    from sesslog.format.timestamps import iso_to_ms

    if text is None:
        return None
    value = iso_to_ms(text)
    if value is None:
        raise CommandError(f"{option}: {text!r} is not an ISO 8601 time", EXIT_USAGE)
    return value


def _matching(records: Iterable[Record], args: argparse.Namespace) -> list[Record]:
    from sesslog.format.timestamps import iso_to_ms

    since, until = _time(args.since, "--since"), _time(args.until, "--until")
    needle = args.grep.casefold() if args.grep else None
    found = []
    for rec in records:
        if args.type and rec.type not in args.type:
            continue
        if args.role:
            head = rec.message if rec.type == "message" else None
            if head is None or head.role not in args.role:
                continue
        if since is not None or until is not None:
            stamp = iso_to_ms(rec.timestamp) if isinstance(rec.timestamp, str) else None
            if stamp is None or (since is not None and stamp < since):
                continue
            if until is not None and stamp >= until:
                continue
        if needle is not None and needle not in rec.raw.decode("utf-8", "replace").casefold():
            continue
        found.append(rec)
    return found[-args.limit :] if args.limit else found


def _log(args: argparse.Namespace, out: Output) -> int:
    from sesslog.render.text import entry_summary

    def work(store: SessionStore) -> int:
        with store.open(args.ref, read_only=True) as session:
            records = session.tree.path() if args.active else list(session.tree)
            found = _matching(records, args)
        if out.json_mode:
            out.json([rec.decode() for rec in found])
            return EXIT_OK
        for rec in found:
            stamp = rec.timestamp if isinstance(rec.timestamp, str) else "?"
            out.line(f"{stamp}  {rec.id}  {entry_summary(rec, args.width)}")
        return EXIT_OK

    return run_store(args, out, work)


def _new(args: argparse.Namespace, out: Output) -> int:
    from sesslog.store.metadata import meta_data

    changes: dict[str, Any] = {} if args.status is None else {"status": args.status}

    def work(store: SessionStore) -> int:
        meta_data(tags=args.tag, **changes)  # checked before anything is written
        if args.from_template:
            session = store.create_from_template(
                args.from_template, args.cwd, title=args.title, session_id=args.session_id
            )
            with session:
                if changes:
                    from sesslog.store.metadata import update_metadata

                    update_metadata(session, **changes)
                path = str(session.path)
            if args.tag:
                store.tag(path, *args.tag)
        else:
            if args.tag:
                changes["tags"] = args.tag
            session = store.create(
                args.cwd, session_id=args.session_id, title=args.title, **changes
            )
            with session:
                path = str(session.path)
        return _show(store.resolve(path), out)

    return run_store(args, out, work)


def _fork(args: argparse.Namespace, out: Output) -> int:
    from sesslog.store.validate import check_name

    def work(store: SessionStore) -> int:
        title = None if args.title is None else check_name("title", args.title)
        with store.open(args.ref, read_only=True) as source:
            child = source.fork(args.entry, whole_tree=args.whole_tree, root=store.root)
        with child:
            if title is not None:
                child.set_name(title)
            path = str(child.path)
        return _show(store.resolve(path), out)

    return run_store(args, out, work)


def _branch(args: argparse.Namespace, out: Output) -> int:
    def work(store: SessionStore) -> int:
        with store.open(args.ref) as session:
            moved = session.branch(args.entry, summary=args.summary)
            path = str(session.path)
        text = (
            f"{escape_text(path)}: leaf moved to {escape_text(args.entry)} "
            f"(new leaf {moved.id}, a {moved.type} entry)"
        )
        value = {"path": path, "entry": args.entry, "leaf": moved.id, "type": moved.type}
        return emit(out, value, [text])

    return run_store(args, out, work)
