"""Store commands over a session's position: ``snapshot``, ``restore``, ``undo``, ``redo``.

Nothing is deleted: a snapshot is an entry naming the leaf, and restoring one, undo and redo
each append a leaf move (see :mod:`sesslog.store.snapshots`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sesslog.cli.output import Output
from sesslog.cli.store_access import add_command, emit, run_store
from sesslog.render.escape import escape_text

if TYPE_CHECKING:
    from sesslog.format.records import Record
    from sesslog.store import SessionStore

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add this module's commands."""
    snapshot = add_command(
        subparsers,
        parents,
        "snapshot",
        "name the session's current leaf (without NAME: list the snapshots)",
        _snapshot,
    )
    snapshot.add_argument("name", metavar="NAME", nargs="?", help="the snapshot's name")
    restore = add_command(
        subparsers, parents, "restore", "move the session's leaf to a snapshot", _restore
    )
    restore.add_argument("name", metavar="NAME", help="the snapshot's name")
    add_command(subparsers, parents, "undo", "undo the session's last leaf move", _undo)
    add_command(subparsers, parents, "redo", "redo the session's last undone leaf move", _redo)


def _snapshot(args: argparse.Namespace, out: Output) -> int:
    def work(store: SessionStore) -> int:
        path = store.resolve(args.ref).path
        if args.name is None:
            marks = store.snapshots(path)
            return emit(
                out,
                {"path": path, "snapshots": marks},
                (f"{escape_text(name)}  {_where(target)}" for name, target in marks.items()),
            )
        rec = store.snapshot(path, args.name)
        target = rec.decode()["data"]["target"]
        name = args.name.strip()
        return emit(
            out,
            {"path": path, "snapshot": name, "target": target},
            [f"{escape_text(path)}: snapshot {escape_text(name)} at {target}"],
        )

    return run_store(args, out, work)


def _where(target: str | None) -> str:
    return target or "(before the first entry)"


def _move(
    args: argparse.Namespace, out: Output, what: str, move: Callable[[SessionStore, str], Record]
) -> int:
    """Apply a leaf move to the session ``args.ref`` and print where the leaf went."""

    def work(store: SessionStore) -> int:
        path = store.resolve(args.ref).path
        rec = move(store, path)
        data = rec.decode()
        target = data.get("parentId")
        value = {
            "path": path,
            "move": what,
            "target": target,
            "from": data["data"]["from"],
            "leaf": rec.id,
        }
        return emit(out, value, [f"{escape_text(path)}: {what}: leaf moved to {_where(target)}"])

    return run_store(args, out, work)


def _restore(args: argparse.Namespace, out: Output) -> int:
    return _move(args, out, "restore", lambda store, path: store.restore_snapshot(path, args.name))


def _undo(args: argparse.Namespace, out: Output) -> int:
    return _move(args, out, "undo", lambda store, path: store.undo(path))


def _redo(args: argparse.Namespace, out: Output) -> int:
    return _move(args, out, "redo", lambda store, path: store.redo(path))
