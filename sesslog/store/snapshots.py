"""Named snapshots of a session's position, and undo and redo of leaf moves.

Nothing is ever deleted: a snapshot is a ``custom`` entry naming the leaf; restoring it, undo
and redo each append a leaf move (a ``custom`` entry of type ``sesslog.leaf`` whose parent is
the new position), as ``Session.branch`` does. Undo walks back the moves in the order they
were made (a restore, a branch, a redo); redo walks forward again the moves undone, until a
new move is made. Entry shapes: :mod:`sesslog.catalog.shapes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sesslog.catalog.shapes import LEAF_CUSTOM_TYPE, SNAPSHOT_CUSTOM_TYPE
from sesslog.errors import NothingToUndoError, SnapshotNotFoundError
from sesslog.format import entries as E
from sesslog.format.ids import new_entry_id
from sesslog.format.records import Record
from sesslog.format.timestamps import now_iso
from sesslog.store.validate import check_name

if TYPE_CHECKING:
    from sesslog.session import Session

__all__ = ["redo", "restore_snapshot", "snapshot", "snapshots", "undo"]


def snapshot(session: Session, name: str) -> Record:
    """Name the current leaf ``name`` (a later snapshot of the same name replaces it)."""
    name = check_name("snapshot name", name)
    with session.handle.lock:
        return session.append_custom(
            SNAPSHOT_CUSTOM_TYPE, {"name": name, "target": session.leaf_id}
        )


def snapshots(session: Session) -> dict[str, str | None]:
    """Snapshot names and the entries they mark, in the order they were taken."""
    found: dict[str, str | None] = {}
    for rec in session.tree:
        data = _custom_data(rec, SNAPSHOT_CUSTOM_TYPE)
        if data is None or not isinstance(data.get("name"), str):
            continue
        target = data.get("target")
        found.pop(data["name"], None)
        if target is None or isinstance(target, str):
            found[data["name"]] = target
    return found


def restore_snapshot(session: Session, name: str) -> Record:
    """Move the leaf to the entry snapshot ``name`` marks.

    Raises:
        SnapshotNotFoundError: No snapshot has that name.
    """
    marks = snapshots(session)
    if name not in marks:
        known = ", ".join(marks) or "none"
        raise SnapshotNotFoundError(f"no snapshot named {name!r} (snapshots: {known})")
    return _move(session, marks[name], {"snapshot": name})


def undo(session: Session) -> Record:
    """Move the leaf back to where it was before the last leaf move not yet undone.

    Raises:
        NothingToUndoError: No leaf move to undo.
    """
    done, _ = _history(session)
    if not done:
        raise NothingToUndoError(f"{session.path or '<memory>'}: no leaf move to undo")
    move_id, before = done[-1]
    return _move(session, before, {"undo": move_id})


def redo(session: Session) -> Record:
    """Move the leaf to where the last undo left from.

    Raises:
        NothingToUndoError: No undo to redo (or a new move was made since).
    """
    _, undone = _history(session)
    if not undone:
        raise NothingToUndoError(f"{session.path or '<memory>'}: no undo to redo")
    undo_id, before = undone[-1]
    return _move(session, before, {"redo": undo_id})


def _custom_data(rec: Record, custom_type: str) -> dict[str, Any] | None:
    if rec.type != "custom" or custom_type.encode() not in rec.raw:
        return None
    entry = rec.decode()
    data = entry.get("data")
    return data if entry.get("customType") == custom_type and isinstance(data, dict) else {}


def _history(
    session: Session,
) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """The moves that can be undone and the undos that can be redone, each as (entry id,
    the leaf before it), most recent last."""
    done: list[tuple[str, str | None]] = []
    undone: list[tuple[str, str | None]] = []
    previous: str | None = None
    for rec in session.tree:
        if rec.type == "branch_summary":
            done.append((rec.id, previous))
            undone.clear()
        else:
            data = _custom_data(rec, LEAF_CUSTOM_TYPE)
            if data is not None:
                before = data.get("from", previous)
                before = before if isinstance(before, str) else None
                if "undo" in data:
                    if done:
                        done.pop()
                    undone.append((rec.id, before))
                elif "redo" in data:
                    if undone:
                        undone.pop()
                    done.append((rec.id, before))
                else:
                    done.append((rec.id, before))
                    undone.clear()
        previous = rec.id
    return done, undone


def _move(session: Session, target: str | None, extra: dict[str, Any]) -> Record:
    if target is not None:
        session.tree.get(target)
    with session.handle.lock:
        entry = E.CustomEntry(
            id=new_entry_id(session.tree.ids),
            parent_id=target,
            timestamp=now_iso(),
            custom_type=LEAF_CUSTOM_TYPE,
            data={"from": session.leaf_id, **extra},
        )
        return session.append_entry(entry)
