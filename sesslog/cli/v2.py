"""Commands for the V2 sidecar: ``migrate``, ``status``, ``verify``, ``rollback``, ``recover``,
``restore-jsonl``.

Each mirrors one library function of :mod:`sesslog.v2` and prints its result (``--json``: the
result object). Long work draws a progress bar on stderr when stderr is a terminal.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sesslog.cli.inputs import existing_file, file_if_any
from sesslog.cli.output import (
    EXIT_CORRUPT,
    EXIT_FOUND,
    EXIT_MISSING,
    EXIT_OK,
    Output,
)
from sesslog.cli.progress import progress_bar

__all__ = ["register"]

Handler = Callable[[argparse.Namespace, Output], int]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add this module's commands."""

    def add(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, help=help_text, description=help_text, parents=parents
        )
        parser.add_argument("file", help="session .jsonl file")
        parser.set_defaults(handler=handler)
        return parser

    migrate = add("migrate", "write or update the session's V2 sidecar (<name>.v2/)", _migrate)
    migrate.add_argument(
        "--dry-run",
        action="store_true",
        help="build and verify a sidecar in a throw-away folder and report; write nothing",
    )
    migrate.add_argument(
        "--rebuild", action="store_true", help="write a new sidecar even if it could catch up"
    )
    status = add(
        "status",
        "tell whether the session is migrated, stale, partial or corrupt; "
        "with STATUS, set the status of a session of the store",
        _status,
    )
    status.add_argument(
        "value",
        metavar="STATUS",
        nargs="?",
        help="set the session's status (FILE is then any REF of the store): active, "
        "completed, failed or abandoned",
    )
    status.add_argument(
        "--quick", action="store_true", help="compare sizes and file edges only (no hashing)"
    )
    status.add_argument(
        "--root", metavar="DIR", help="with STATUS: the store (default: $SESSLOG_ROOT, else pi's)"
    )
    add("verify", "check the sidecar against the session file; exit 1 on any mismatch", _verify)
    add("rollback", "remove the sidecar (the session file is not touched)", _rollback)
    recover = add(
        "recover", "remove what interrupted migrations left and corrupt sidecars", _recover
    )
    recover.add_argument("--migrate", action="store_true", help="migrate again afterwards")
    restore = add(
        "restore-jsonl", "rebuild the session file byte for byte from its sidecar", _restore
    )
    restore.add_argument("--output", metavar="PATH", help="write here instead of the session file")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace a file that holds other bytes (never one that holds more than the sidecar)",
    )
    restore.add_argument(
        "--lock-wait",
        type=float,
        metavar="SECONDS",
        help="wait this long for a live writer of the session file (default: refuse at once)",
    )


_WOULD = {"catch_up": "catch up", "nothing": "do nothing (up to date)"}


def _migrate(args: argparse.Namespace, out: Output) -> int:
    from sesslog.v2 import migrate_dry_run, migrate_jsonl_to_v2

    with progress_bar(out) as bar:
        if args.dry_run:
            report = migrate_dry_run(existing_file(args.file), progress=bar)
        else:
            result = migrate_jsonl_to_v2(
                existing_file(args.file), rebuild=args.rebuild, progress=bar
            )
    if args.dry_run:
        if out.json_mode:
            out.json(report)
        else:
            would = _WOULD.get(report.action, report.action)
            out.line(
                f"{report.session}: would {would}; {report.entries} entries, "
                f"{report.frames} frames, {report.jsonl_bytes} -> {report.sidecar_bytes} bytes "
                f"({report.ratio:.1%}), mode {report.mode}, "
                f"{'verified' if report.verified else 'FAILED verification'}"
            )
            for text in [*report.problems, *report.warnings]:
                out.warn(text)
        return EXIT_OK if report.verified else EXIT_FOUND
    if out.json_mode:
        out.json(result)
    else:
        why = f" ({result.reason})" if result.reason else ""
        out.line(
            f"{result.session}: {result.action}{why}; {result.entries} entries, "
            f"{result.covered} bytes held in {result.sidecar_bytes} "
            f"({result.sidecar_bytes / max(result.covered, 1):.1%}), {result.seconds:.2f} s"
        )
    return EXIT_OK


def _status(args: argparse.Namespace, out: Output) -> int:
    if args.value is not None:
        from sesslog.cli.store_meta import set_status

        return set_status(args, out)
    from sesslog.v2 import StateKind, migration_status

    state = migration_status(file_if_any(args.file), thorough=not args.quick)
    if out.json_mode:
        out.json(state)
    else:
        line = f"{state.session}: {state.kind.value}"
        if state.reason:
            line += f" ({state.reason})"
        if state.kind in (StateKind.MIGRATED, StateKind.STALE):
            line += (
                f"; {state.entries} entries, {state.covered} bytes held in {state.sidecar_bytes}"
            )
        out.line(line)
        for leftover in state.leftovers:
            out.warn(f"leftover: {leftover} (sesslog recover removes it)")
    if state.kind is StateKind.CORRUPT:
        return EXIT_CORRUPT
    return EXIT_FOUND if state.kind is StateKind.PARTIAL else EXIT_OK


def _verify(args: argparse.Namespace, out: Output) -> int:
    from sesslog.projections.sidecar import sidecar_folder
    from sesslog.v2 import verify_v2_against_jsonl

    if not sidecar_folder(existing_file(args.file)).is_dir():
        return out.fail(f"{args.file}: no V2 sidecar (run 'sesslog migrate' first)", EXIT_MISSING)
    with progress_bar(out) as bar:
        report = verify_v2_against_jsonl(
            args.file, progress=None if bar is None else lambda d, t: bar("verify", d, t)
        )
    if out.json_mode:
        out.json(report)
    else:
        for problem in report.problems:
            out.line(f"{args.file}: {problem}")
        for warning in report.warnings:
            out.warn(warning)
        stale = f"; the file grew to {report.source_size} bytes" if report.stale else ""
        verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        out.line(
            f"{report.entries} entries, {report.frames} frames, {report.covered} bytes: "
            f"{verdict}{stale}"
        )
    return EXIT_OK if report.ok else EXIT_FOUND


def _rollback(args: argparse.Namespace, out: Output) -> int:
    from sesslog.v2 import rollback_v2_sidecar

    result = rollback_v2_sidecar(file_if_any(args.file))
    if out.json_mode:
        out.json(result)
    else:
        done = "removed" if result.removed else "no sidecar to remove"
        out.line(f"{result.sidecar}: {done}")
    return EXIT_OK


def _recover(args: argparse.Namespace, out: Output) -> int:
    from sesslog.v2 import recover_partial_migration

    with progress_bar(out) as bar:
        result = recover_partial_migration(
            file_if_any(args.file), migrate_again=args.migrate, progress=bar
        )
    if out.json_mode:
        out.json(result)
    else:
        for name in result.removed:
            out.line(f"removed {name}")
        if result.kept:
            out.warn(result.kept)
        out.line(f"{result.session}: {result.before.kind.value} -> {result.after.kind.value}")
    return EXIT_OK


def _restore(args: argparse.Namespace, out: Output) -> int:
    from sesslog.projections.sidecar import sidecar_folder
    from sesslog.v2 import restore_jsonl_from_v2

    if not sidecar_folder(file_if_any(args.file)).is_dir():
        return out.fail(f"{args.file}: no V2 sidecar to restore from", EXIT_MISSING)
    result = restore_jsonl_from_v2(
        file_if_any(args.file), output=args.output, overwrite=args.force, lock_wait=args.lock_wait
    )
    if out.json_mode:
        out.json(result)
    else:
        done = "written" if result.written else "already identical, nothing written"
        out.line(f"{result.target}: {result.size} bytes {done}")
    return EXIT_OK
