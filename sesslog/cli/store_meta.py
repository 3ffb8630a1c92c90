"""Store commands that change a session's metadata, each by appending one entry: ``label``,
``name``, ``tag``, ``meta``, and setting the status (``status REF STATUS``, with the V2
``status FILE`` in :mod:`sesslog.cli.v2`).

Each but ``label`` prints the session's metadata afterwards (``--json``: ``{"id", "path", "title", "tags",
"status", "purpose", "user", "agents", "custom"}``). Text is checked before anything is
written: control characters in a title, tag, label or key end with exit 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sesslog.cli.errors import CommandError
from sesslog.cli.output import EXIT_OK, EXIT_USAGE, Output
from sesslog.cli.store_access import add_command, emit, run_store
from sesslog.render.escape import escape_text

if TYPE_CHECKING:
    from sesslog.store import SessionStore

__all__ = ["register", "set_status"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add this module's commands."""
    label = add_command(subparsers, parents, "label", "label an entry of a session", _label)
    label.add_argument("entry", metavar="ENTRY", help="the entry id")
    label.add_argument("label", metavar="LABEL", nargs="?", help="the label")
    label.add_argument("--clear", action="store_true", help="remove the entry's label")

    name = add_command(subparsers, parents, "name", "set a session's title", _name)
    name.add_argument("title", metavar="TITLE", help="the new title")

    tag = add_command(subparsers, parents, "tag", "add tags to a session (or remove them)", _tag)
    tag.add_argument("tags", metavar="TAG", nargs="+", help="the tags")
    tag.add_argument("--remove", action="store_true", help="remove the tags instead")

    meta = add_command(
        subparsers, parents, "meta", "show a session's metadata, or set custom keys", _meta
    )
    meta.add_argument(
        "--set",
        dest="assign",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a custom key to a text value (repeatable)",
    )
    meta.add_argument(
        "--unset", action="append", default=[], metavar="KEY", help="remove a custom key"
    )
    meta.add_argument("--purpose", metavar="TEXT", help="set the session's purpose")
    meta.add_argument("--user", metavar="NAME", help="set who ran the session")


def _changing(
    args: argparse.Namespace, out: Output, change: Callable[[SessionStore, str], object]
) -> int:
    """Resolve ``args.ref``, apply ``change`` to its path, print the metadata after it."""

    def work(store: SessionStore) -> int:
        path = store.resolve(args.ref).path
        change(store, path)
        _print(store, path, out)
        return EXIT_OK

    return run_store(args, out, work)


def _print(store: SessionStore, path: str, out: Output) -> None:
    import msgspec

    info = store.resolve(path)
    data: dict[str, Any] = {"id": info.id, "path": info.path}
    data.update(msgspec.to_builtins(store.metadata(path)))
    if out.json_mode:
        out.json(data)
        return
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
        out.line(f"{key:8} {escape_text('-' if value is None else str(value))}")


def _label(args: argparse.Namespace, out: Output) -> int:
    from sesslog.store.validate import check_name

    if args.clear == (args.label is not None):
        raise CommandError("label: give a LABEL, or --clear", EXIT_USAGE)

    def work(store: SessionStore) -> int:
        path = store.resolve(args.ref).path
        text = None if args.clear else check_name("label", args.label)
        with store.open(path) as session:
            session.set_label(args.entry, text)
        shown = "cleared" if text is None else f"labelled {escape_text(text)!r}"
        value = {"path": path, "entry": args.entry, "label": text}
        return emit(out, value, [f"{escape_text(path)}: entry {args.entry} {shown}"])

    return run_store(args, out, work)


def _name(args: argparse.Namespace, out: Output) -> int:
    return _changing(args, out, lambda store, path: store.set_title(path, args.title))


def _tag(args: argparse.Namespace, out: Output) -> int:
    def change(store: SessionStore, path: str) -> None:
        if args.remove:
            store.untag(path, *args.tags)
        else:
            store.tag(path, *args.tags)

    return _changing(args, out, change)


def _assignments(args: argparse.Namespace) -> dict[str, Any]:
    custom: dict[str, Any] = {}
    for item in args.assign:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--set: {item!r} is not KEY=VALUE", EXIT_USAGE)
        custom[key.strip()] = value
    for key in args.unset:
        custom[key] = None
    return custom


def _meta(args: argparse.Namespace, out: Output) -> int:
    changes: dict[str, Any] = {}
    custom = _assignments(args)
    if custom:
        changes["custom"] = custom
    for key in ("purpose", "user"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    if not changes:
        return run_store(args, out, lambda store: _show(store, args.ref, out))
    return _changing(args, out, lambda store, path: store.update_metadata(path, **changes))


def _show(store: SessionStore, ref: str, out: Output) -> int:
    _print(store, store.resolve(ref).path, out)
    return EXIT_OK


def set_status(args: argparse.Namespace, out: Output) -> int:
    """``sesslog status REF STATUS``: set the session's status."""
    args.ref = args.file
    return _changing(args, out, lambda store, path: store.set_status(path, args.value))
