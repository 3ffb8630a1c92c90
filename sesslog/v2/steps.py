"""Named steps of every operation that changes a sidecar, with a hook for fault injection.

Migration, catch-up and rollback call :func:`step` with a fixed name at each point where a crash
or an error could leave the disk in a different state. Normally nothing happens. Tests install a
hook with :func:`set_step_hook` that raises, or kills the process, at a chosen step, and then
check that :func:`~sesslog.v2.migration_status` reports a documented state and that
:func:`~sesslog.v2.recover_partial_migration` repairs it.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "CATCH_UP_STEPS",
    "MIGRATE_STEPS",
    "RECOVER_STEPS",
    "REFRESH_STEPS",
    "ROLLBACK_STEPS",
    "StepHook",
    "set_step_hook",
    "step",
]

StepHook = Callable[[str], None]

#: Steps of a first migration (and of a rebuild), in order. ``migrate.segment_written`` runs
#: once per segment file.
MIGRATE_STEPS = (
    "migrate.planned",
    "migrate.temp_created",
    "migrate.segment_written",
    "migrate.index_written",
    "migrate.manifest_written",
    "migrate.temp_synced",
    "migrate.verified",
    "migrate.old_moved_aside",
    "migrate.published",
    "migrate.parent_synced",
    "migrate.recorded",
    "migrate.old_removed",
)

#: Steps of a catch-up (appending only the new lines to a stale sidecar), in order.
CATCH_UP_STEPS = (
    "catch_up.planned",
    "catch_up.segment_written",
    "catch_up.index_written",
    "catch_up.folder_synced",
    "catch_up.verified",
    "catch_up.committed",
    "catch_up.recorded",
)

#: Steps of a refresh (the file was touched but holds the same bytes), in order.
REFRESH_STEPS = (
    "refresh.checked",
    "refresh.committed",
    "refresh.recorded",
)

#: Steps of a rollback, in order.
ROLLBACK_STEPS = (
    "rollback.planned",
    "rollback.moved_aside",
    "rollback.parent_synced",
    "rollback.recorded",
    "rollback.removed",
)

#: Steps of a recovery, in order (one ``recover.removed`` per leftover removed).
RECOVER_STEPS = (
    "recover.planned",
    "recover.removed",
    "recover.recorded",
)

_hook: StepHook | None = None


def set_step_hook(hook: StepHook | None) -> StepHook | None:
    """Install a function called with each step's name (``None`` removes it).

    Args:
        hook: Called at every step; whatever it raises propagates out of the operation.

    Returns:
        The hook that was installed before.
    """
    global _hook
    previous, _hook = _hook, hook
    return previous


def step(name: str) -> None:
    """Mark that the operation reached ``name`` (calls the installed hook, if any)."""
    if _hook is not None:
        _hook(name)
