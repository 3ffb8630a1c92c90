"""Fault injection: an error raised, or the process killed, at every step of every operation.

For each operation (first migration, rebuild, catch-up, refresh, rollback, recovery) the steps it
reaches are recorded in a clean run; then, once per step, the operation is interrupted there,
by an exception in this process or by SIGKILL in a child process. Afterwards:

* the session file is byte-identical to before (hash compared);
* ``migration_status`` reports one of the states that step can leave;
* opening the session still gives the whole session, exactly as the file holds it;
* ``recover_partial_migration`` brings it to ``unmigrated`` or ``migrated`` (with
  ``migrate_again`` to ``migrated``), leaving nothing behind.

``SESSLOG_SOAK=1`` kills at every occurrence of repeated steps instead of the first and last.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sidecar_helpers import SMALL, digest, run_child, snapshot

from sesslog import Session
from sesslog.projections.sidecar import sidecar_folder
from sesslog.v2 import (
    SidecarPaths,
    StateKind,
    migrate_jsonl_to_v2,
    migration_status,
    recover_partial_migration,
    rollback_v2_sidecar,
    verify_v2_against_jsonl,
)
from sesslog.v2.steps import (
    CATCH_UP_STEPS,
    MIGRATE_STEPS,
    RECOVER_STEPS,
    REFRESH_STEPS,
    ROLLBACK_STEPS,
    set_step_hook,
)

_SOAK = bool(os.environ.get("SESSLOG_SOAK"))
U, P, M, S = StateKind.UNMIGRATED, StateKind.PARTIAL, StateKind.MIGRATED, StateKind.STALE


class Injected(Exception):
    """The error raised at a step."""


def _append_lines(path: Path, make_v3: Callable[..., bytes]) -> None:
    """Append the next 150 entries of the same generated session (a plain append)."""
    whole = make_v3(750, 5, branch_every=40, label_every=25).split(b"\n")
    path.chmod(0o600)
    with path.open("ab") as handle:
        handle.write(b"\n".join(whole[601:751]) + b"\n")


def _setup(scenario: str, path: Path, make_v3: Callable[..., bytes]) -> None:
    path.write_bytes(
        b"\n".join(make_v3(750, 5, branch_every=40, label_every=25).split(b"\n")[:601]) + b"\n"
    )
    if scenario == "migrate":
        return
    migrate_jsonl_to_v2(path, **SMALL)
    if scenario == "catch_up":
        _append_lines(path, make_v3)
    elif scenario == "refresh":
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    elif scenario == "recover":
        paths = SidecarPaths(path)
        paths.temp("0123456789abcdef").mkdir()
        (paths.temp("0123456789abcdef") / "seg-000000.zst").write_bytes(b"x")
        paths.trash("fedcba9876543210").mkdir()
        (paths.folder / "seg-000099.zst").write_bytes(b"left by a catch-up")


def _run(scenario: str, path: Path) -> Any:
    if scenario in ("migrate", "catch_up", "refresh"):
        return migrate_jsonl_to_v2(path, **SMALL)
    if scenario == "rebuild":
        return migrate_jsonl_to_v2(path, rebuild=True, **SMALL)
    if scenario == "rollback":
        return rollback_v2_sidecar(path)
    return recover_partial_migration(path)


_OP = {"migrate": "migrate", "catch_up": "migrate", "refresh": "migrate", "rebuild": "rebuild"}
_OP.update(rollback="rollback", recover="recover")

#: The step names each scenario must reach, and the states an interruption may leave.
SCENARIOS: dict[str, tuple[tuple[str, ...], set[StateKind]]] = {
    "migrate": (MIGRATE_STEPS, {U, P, M}),
    "rebuild": (MIGRATE_STEPS, {P, M}),
    "catch_up": (CATCH_UP_STEPS, {S, M}),
    "refresh": (REFRESH_STEPS, {M}),
    "rollback": (ROLLBACK_STEPS, {U, P, M}),
    "recover": (RECOVER_STEPS, {U, P, M}),
}


def _reached(scenario: str, tmp: Path, make_v3: Callable[..., bytes]) -> list[tuple[str, int]]:
    """Every ``(step, occurrence)`` a clean run reaches, in order."""
    path = tmp / "probe" / "s.jsonl"
    path.parent.mkdir()
    _setup(scenario, path, make_v3)
    seen: list[str] = []
    set_step_hook(seen.append)
    try:
        _run(scenario, path)
    finally:
        set_step_hook(None)
    counts: Counter[str] = Counter()
    out = []
    for name in seen:
        counts[name] += 1
        out.append((name, counts[name]))
    return out


def _points(reached: list[tuple[str, int]]) -> list[tuple[str, int]]:
    if _SOAK:
        return reached
    totals = Counter(name for name, _ in reached)
    return [(n, k) for n, k in reached if k in (1, totals[n])]


def _raise_at(name: str, nth: int) -> Callable[[str], None]:
    """A step hook raising :class:`Injected` the ``nth`` time ``name`` is reached."""
    seen: Counter[str] = Counter()

    def hook(step: str) -> None:
        seen[step] += 1
        if step == name and seen[step] == nth:
            raise Injected(step)

    return hook


def _check_after(
    scenario: str, path: Path, before: str, expected: dict[str, Any], allowed: set[StateKind]
) -> None:
    assert digest(path) == before
    state = migration_status(path)
    assert state.kind in allowed, (state.kind, state.reason, state.leftovers)
    assert snapshot(Session.open(path)) == expected
    recovered = recover_partial_migration(path, migrate_again=scenario == "catch_up")
    assert recovered.after.kind in ({M} if scenario == "catch_up" else {U, M})
    assert recovered.after.leftovers == []
    assert digest(path) == before
    assert snapshot(Session.open(path)) == expected
    again = recover_partial_migration(path, migrate_again=True)
    assert again.after.kind is M
    assert verify_v2_against_jsonl(path).ok
    assert Session.open(path).store_kind.value == "v2_sidecar"
    assert snapshot(Session.open(path)) == expected


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_step_is_reached(
    scenario: str, tmp_path: Path, make_v3: Callable[..., bytes]
) -> None:
    names, _ = SCENARIOS[scenario]
    reached = {name for name, _ in _reached(scenario, tmp_path, make_v3)}
    optional = (
        {"migrate.old_moved_aside", "migrate.old_removed"} if scenario != "rebuild" else set()
    )
    assert set(names) - optional <= reached
    assert reached <= set(names)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_an_error_at_any_step_leaves_a_documented_state(
    scenario: str, tmp_path: Path, make_v3: Callable[..., bytes]
) -> None:
    _, allowed = SCENARIOS[scenario]
    for number, (name, nth) in enumerate(_points(_reached(scenario, tmp_path, make_v3))):
        path = tmp_path / f"error-{number}" / "s.jsonl"
        path.parent.mkdir()
        _setup(scenario, path, make_v3)
        before = digest(path)
        expected = snapshot(Session.open(path, sidecar=False))
        set_step_hook(_raise_at(name, nth))
        try:
            with pytest.raises(Injected):
                _run(scenario, path)
        finally:
            set_step_hook(None)
        _check_after(scenario, path, before, expected, allowed)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_kill_at_any_step_leaves_a_documented_state(
    scenario: str, tmp_path: Path, make_v3: Callable[..., bytes]
) -> None:
    _, allowed = SCENARIOS[scenario]
    for number, (name, nth) in enumerate(_points(_reached(scenario, tmp_path, make_v3))):
        path = tmp_path / f"kill-{number}" / "s.jsonl"
        path.parent.mkdir()
        _setup(scenario, path, make_v3)
        before = digest(path)
        expected = snapshot(Session.open(path, sidecar=False))
        assert run_child(_OP[scenario], name, nth, path) == -9, name
        _check_after(scenario, path, before, expected, allowed)


def test_a_kill_mid_migration_leaves_a_partial_state_that_recover_cleans(
    tmp_path: Path, make_v3: Callable[..., bytes]
) -> None:
    path = tmp_path / "s.jsonl"
    _setup("migrate", path, make_v3)
    assert run_child("migrate", "migrate.index_written", 1, path) == -9
    state = migration_status(path)
    assert state.kind is P and len(state.leftovers) == 1
    assert not sidecar_folder(path).exists()
    result = recover_partial_migration(path)
    assert result.removed == state.leftovers and result.after.kind is U
