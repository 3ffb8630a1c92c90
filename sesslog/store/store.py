"""The session store: many sessions in pi's folder layout, with a catalog to list, find,
search and count them, their metadata, snapshots, templates and trash.

>>> import tempfile
>>> from sesslog.store import SessionStore
>>> store = SessionStore(tempfile.mkdtemp())
>>> s = store.create(cwd="/home/me/app", title="Fix the parser", tags=["bug"])
>>> _ = s.append_user_message("The parser drops the last line")
>>> s.close()
>>> [info.title for info in store.list(tags=["bug"])]
['Fix the parser']
>>> store.search("parser")[0].snippet
'The «parser» drops the last line'
>>> store.close()

Every operation first brings the catalog up to date with the files (reading only what was
appended since it last looked), so what agents wrote a moment ago is there. Nothing is deleted
without an explicit call: :meth:`SessionStore.delete` moves a session to the trash inside the
store, :meth:`SessionStore.empty_trash` deletes for good.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sesslog.catalog.shapes import TEMPLATE_TAG, Metadata
from sesslog.catalog.types import ListQuery, SessionInfo, SessionList
from sesslog.errors import AmbiguousSessionError, SessionNotFoundError
from sesslog.format.ids import check_id
from sesslog.format.records import Record
from sesslog.store import lifecycle
from sesslog.store import metadata as meta
from sesslog.store import snapshots as snaps
from sesslog.store.backend import TrashItem
from sesslog.store.core import StoreCore
from sesslog.store.validate import check_name, check_tags

if TYPE_CHECKING:
    from sesslog.session import Session

__all__ = ["SessionStore"]


class SessionStore(StoreCore):
    """Many sessions in one folder (pi's layout), with a catalog.

    :class:`~sesslog.store.core.StoreCore` finds, lists, searches, creates and opens sessions
    (its arguments are this class's: the root, durability, lock wait, catalog, clock); this
    class adds metadata, snapshots, templates, the trash and cleanup.
    """

    # ------------------------------------------------------------------ metadata

    def metadata(self, ref: str) -> Metadata:
        """The session's metadata (title, tags, status, purpose, user, agents, custom)."""
        info = self.resolve(ref)
        return Metadata(
            title=info.title,
            tags=info.tags,
            status=info.status,
            purpose=info.purpose,
            user=info.user,
            agents=info.agents,
            custom=info.custom,
        )

    def set_title(self, ref: str, title: str) -> Record:
        """Name the session (pi's session name)."""
        name = check_name("title", title)
        with self._writing(ref) as session:
            return session.set_name(name)

    def update_metadata(self, ref: str, **changes: Any) -> Record:
        """Set metadata keys (``tags``, ``status``, ``purpose``, ``user``, ``agents``,
        ``custom``); ``None`` clears one (see :func:`sesslog.store.metadata.meta_data`)."""
        meta.meta_data(**changes)
        with self._writing(ref) as session:
            return meta.update_metadata(session, **changes)

    def set_status(self, ref: str, status: str) -> Record:
        """Set the status: ``active``, ``completed``, ``failed`` or ``abandoned``."""
        return self.update_metadata(ref, status=status)

    def tag(self, ref: str, *tags: str) -> Record:
        """Add tags (those already there stay, in order)."""
        return self._retag(ref, tags, add=True)

    def untag(self, ref: str, *tags: str) -> Record:
        """Remove tags."""
        return self._retag(ref, tags, add=False)

    def _retag(self, ref: str, tags: Iterable[str], *, add: bool) -> Record:
        wanted = check_tags(tags)
        with self._writing(ref) as session:
            current = meta.read_metadata(session).tags
            if add:
                new = current + [t for t in wanted if t not in current]
            else:
                new = [t for t in current if t not in wanted]
            return meta.update_metadata(session, tags=new)

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, ref: str, name: str) -> Record:
        """Name the session's current leaf (see :mod:`sesslog.store.snapshots`)."""
        with self._writing(ref) as session:
            return snaps.snapshot(session, name)

    def snapshots(self, ref: str) -> dict[str, str | None]:
        """The session's snapshots: names and the entries they mark."""
        session = self._backend.open(self.resolve(ref).key, read_only=True)
        try:
            return snaps.snapshots(session)
        finally:
            self._backend.release(session)

    def restore_snapshot(self, ref: str, name: str) -> Record:
        """Move the session's leaf to the snapshot ``name``."""
        with self._writing(ref) as session:
            return snaps.restore_snapshot(session, name)

    def undo(self, ref: str) -> Record:
        """Undo the session's last leaf move."""
        with self._writing(ref) as session:
            return snaps.undo(session)

    def redo(self, ref: str) -> Record:
        """Redo the session's last undone leaf move."""
        with self._writing(ref) as session:
            return snaps.redo(session)

    # ------------------------------------------------------------------ templates

    def templates(self) -> SessionList:
        """Sessions tagged ``template``."""
        return self.list(tags=[TEMPLATE_TAG], order="title", descending=False)

    def create_from_template(
        self,
        template: str,
        cwd: str | None = None,
        *,
        title: str | None = None,
        session_id: str | None = None,
    ) -> Session:
        """Start a session from a template: its opening entries and metadata (see
        :mod:`sesslog.store.templates`). Close it when done.

        Args:
            template: The template's title, or any reference :meth:`resolve` takes to a
                session tagged ``template``.
            cwd: The new session's working directory (default: the template's).
            title: The new session's name.
            session_id: Its id (default: a new UUIDv7).

        Raises:
            SessionNotFoundError: No template by that name.
        """
        if session_id is not None:
            check_id(session_id)
        name = None if title is None else check_name("title", title)
        info = self._template(template)
        source = self._backend.open(info.key, read_only=True)
        try:
            key = lifecycle.write_from_template(
                self._backend, source, cwd or info.cwd, session_id, self._clock()
            )
            changes = lifecycle.template_changes(source)
        finally:
            self._backend.release(source)
        session = self._open_key(key, read_only=False)
        meta.update_metadata(session, **changes)
        if name is not None:
            session.set_name(name)
        return session

    def _template(self, ref: str) -> SessionInfo:
        self.refresh()
        titled = [
            info
            for info in self._catalog.list_sessions(ListQuery(tags=(TEMPLATE_TAG,), title=ref))
            if info.title == ref
        ]
        if len(titled) == 1:
            return titled[0]
        if titled:
            raise AmbiguousSessionError(ref, [info.path for info in titled])
        try:
            info = self._resolve(ref)
        except SessionNotFoundError:
            raise SessionNotFoundError(f"no template named {ref!r}") from None
        if TEMPLATE_TAG not in info.tags:
            raise SessionNotFoundError(f"{info.path}: not a template (no {TEMPLATE_TAG!r} tag)")
        return info

    # ------------------------------------------------------------------ trash

    def delete(self, ref: str) -> TrashItem:
        """Move a session to the store's trash (see :meth:`restore`, :meth:`empty_trash`).

        Raises:
            SessionLockedError: A writer is appending to it.
        """
        return lifecycle.delete(self._backend, self.resolve(ref), self._clock())

    def trash(self, *, older_than: dt.timedelta | None = None) -> builtins.list[TrashItem]:
        """What is in the trash, oldest deletion first (only what was deleted before
        ``older_than`` ago, when given: what :meth:`empty_trash` would delete)."""
        return lifecycle.trashed_before(self._backend.list_trash(), older_than, self._clock())

    def restore(self, ref: str) -> SessionInfo:
        """Bring a session back from the trash (by its trash key, id or id prefix; the
        latest deletion of an id).

        Raises:
            SessionNotFoundError: Nothing in the trash matches.
            FileExistsError: A session file is back in its place.
        """
        key = self._backend.restore(lifecycle.find_trashed(self._backend.list_trash(), ref))
        self._catalog.refresh([key])
        info = self._catalog.get(key)
        assert info is not None
        return info

    def empty_trash(self, *, older_than: dt.timedelta | None = None) -> builtins.list[TrashItem]:
        """Delete for good what is in the trash (only what was deleted before
        ``older_than`` ago, when given); returns what was deleted."""
        return lifecycle.empty_trash(self._backend, older_than, self._clock())

    def cleanup(
        self,
        older_than: dt.timedelta,
        *,
        confirm: bool = False,
        cwd: str | None = None,
    ) -> builtins.list[SessionInfo]:
        """Sessions not updated for ``older_than``: listed, and moved to the trash only with
        ``confirm`` (a dry run by default). Templates and sessions a writer holds are kept.

        Returns:
            The sessions moved (or that would be moved).
        """
        before = self._clock() - int(older_than.total_seconds() * 1000)
        stale = self.list(cwd=cwd, updated_before=before, order="updated", descending=False)
        chosen = lifecycle.cleanable(self._backend, stale)
        if confirm:
            for info in chosen:
                lifecycle.delete(self._backend, info, self._clock())
        return chosen
