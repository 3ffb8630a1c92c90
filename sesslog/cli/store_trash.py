"""Store commands that remove sessions, never without an explicit command: ``rm`` (to the
store's trash), ``trash``, ``restore-trash``, ``empty-trash`` (asks unless ``--yes``),
``cleanup`` (a dry run unless ``--yes``)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from sesslog.cli.errors import CommandError
from sesslog.cli.output import EXIT_FOUND, EXIT_OK, Output
from sesslog.cli.store_access import (
    REF_HELP,
    add_command,
    age,
    emit,
    info_json,
    info_line,
    run_store,
)
from sesslog.render.escape import escape_text

if TYPE_CHECKING:
    from sesslog.store import SessionStore, TrashItem

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add this module's commands."""
    rm = add_command(
        subparsers, parents, "rm", "move sessions to the store's trash", _rm, ref=False
    )
    rm.add_argument("refs", metavar="REF", nargs="+", help=REF_HELP)
    add_command(subparsers, parents, "trash", "list the sessions in the trash", _trash, ref=False)
    restore = add_command(
        subparsers,
        parents,
        "restore-trash",
        "bring a session back from the trash",
        _restore,
        ref=False,
    )
    restore.add_argument(
        "ref", metavar="REF", help="its trash key, id or id prefix (as `trash` lists them)"
    )
    empty = add_command(
        subparsers,
        parents,
        "empty-trash",
        "delete what is in the trash for good (asks first unless --yes)",
        _empty,
        ref=False,
    )
    empty.add_argument(
        "--older-than", type=age, metavar="AGE", help="only what was deleted more than AGE ago"
    )
    empty.add_argument("--yes", action="store_true", help="do not ask")
    cleanup = add_command(
        subparsers,
        parents,
        "cleanup",
        "move sessions not updated for AGE to the trash (a dry run unless --yes)",
        _cleanup,
        ref=False,
    )
    cleanup.add_argument(
        "--older-than",
        type=age,
        required=True,
        metavar="AGE",
        help="not updated for this long: days (30) or 45s, 90m, 12h, 30d, 2w",
    )
    cleanup.add_argument("--cwd", metavar="DIR", help="only sessions of this working directory")
    cleanup.add_argument("--yes", action="store_true", help="move them (default: only list them)")


def _item_line(item: TrashItem) -> str:
    return f"{item.deleted[:19].replace('T', ' ')}  {item.trash_key}  {item.bytes:>9} B"


def _items_json(items: list[TrashItem]) -> list[Any]:
    import msgspec

    return [msgspec.to_builtins(item) for item in items]


def _rm(args: argparse.Namespace, out: Output) -> int:
    def work(store: SessionStore) -> int:
        paths = [store.resolve(ref).path for ref in args.refs]  # all checked before any move
        moved = [store.delete(path) for path in dict.fromkeys(paths)]
        return emit(
            out,
            _items_json(moved),
            (f"{escape_text(i.location)}: moved to the trash as {i.trash_key}" for i in moved),
        )

    return run_store(args, out, work)


def _trash(args: argparse.Namespace, out: Output) -> int:
    def work(store: SessionStore) -> int:
        items = store.trash()
        return emit(out, _items_json(items), (escape_text(_item_line(i)) for i in items))

    return run_store(args, out, work)


def _restore(args: argparse.Namespace, out: Output) -> int:
    def work(store: SessionStore) -> int:
        info = store.restore(args.ref)
        return emit(out, info_json(info), [f"{escape_text(info.path)}: restored from the trash"])

    return run_store(args, out, work)


def _confirmed(question: str) -> bool:
    """Ask ``question`` on the terminal; ``False`` when there is none to ask on."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _empty(args: argparse.Namespace, out: Output) -> int:
    def work(store: SessionStore) -> int:
        items = store.trash(older_than=args.older_than)
        if items and not args.yes:
            size = sum(item.bytes for item in items)
            question = f"delete {len(items)} sessions ({size / 1e6:.1f} MB) for good?"
            if not _confirmed(f"sesslog: {question}"):
                raise CommandError(
                    f"{store.root}: empty-trash would {question[:-1]}; nothing deleted "
                    "(pass --yes, or answer y on a terminal)",
                    EXIT_FOUND,
                )
        removed = store.empty_trash(older_than=args.older_than) if items else []
        text = f"deleted {len(removed)} sessions from the trash for good"
        return emit(out, _items_json(removed), [text])

    return run_store(args, out, work)


def _cleanup(args: argparse.Namespace, out: Output) -> int:
    def work(store: SessionStore) -> int:
        chosen = store.cleanup(args.older_than, confirm=args.yes, cwd=args.cwd)
        if out.json_mode:
            out.json({"moved": args.yes, "sessions": [info_json(info) for info in chosen]})
            return EXIT_OK
        for info in chosen:
            out.line(info_line(info, out))
        if args.yes:
            out.line(f"moved {len(chosen)} sessions to the trash")
        else:
            out.line(f"would move {len(chosen)} sessions to the trash (a dry run; pass --yes)")
        return EXIT_OK

    return run_store(args, out, work)
