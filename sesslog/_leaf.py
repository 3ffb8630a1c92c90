"""The sentinel that stands for "the leaf at the moment an entry is stamped"."""

from __future__ import annotations

import enum

__all__ = ["AT_LEAF", "AtLeaf"]


class AtLeaf(enum.Enum):
    """The type of :data:`AT_LEAF`."""

    AT_LEAF = "at leaf"


#: A parent meaning "the session's leaf when the new entry is stamped" (atomically with the
#: append; see :meth:`sesslog.write.appender.SessionHandle.append_new`).
AT_LEAF = AtLeaf.AT_LEAF
