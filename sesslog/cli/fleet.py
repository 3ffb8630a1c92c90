"""``sesslog push``, ``pull`` and ``sync``: local sessions to and from S3-compatible storage.

``push`` ships the whole lines each local session gained since its last push (the bucket's
manifest of the session is the record of what was pushed: nothing is kept locally), under the
session's writer lease when ``--catalog`` names the PostgreSQL database that keeps the leases.
``pull ID`` brings a session back as a local file, byte for byte. ``sync --watch`` pushes as
agents write, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from sesslog.cli.inputs import sessions_root
from sesslog.cli.output import EXIT_FOUND, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, Output
from sesslog.cli.progress import progress_bar
from sesslog.cli.remote import (
    blobs_options,
    catalog_url,
    open_blobs,
    open_leases,
    remote_errors,
    remote_options,
)

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add this module's commands."""

    def add(name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[*parents, blobs_options(), remote_options()],
        )
        parser.add_argument(
            "--root", metavar="DIR", help="local sessions root (default: $SESSLOG_ROOT or pi's)"
        )
        parser.set_defaults(handler=handler)
        return parser

    push = add("push", "upload what local sessions gained since their last push", _push)
    push.add_argument(
        "--session", metavar="KEY", action="append", help="push only this session (repeatable)"
    )
    pull = add("pull", "bring a session back from the bucket as a local file", _pull)
    pull.add_argument("id", help="session id, unique id prefix, or key in the bucket")
    pull.add_argument(
        "--salvage",
        action="store_true",
        help="write the whole segments of a damaged session and report the damaged ones",
    )
    sync = add("sync", "push now, and with --watch keep pushing as sessions change", _sync)
    sync.add_argument("--watch", action="store_true", help="keep pushing until Ctrl-C")
    sync.add_argument(
        "--debounce", type=int, default=500, metavar="MS", help="quiet time before a push"
    )
    sync.add_argument(
        "--interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="push one session at most this often (default 30)",
    )


def _report_json(report: Any) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "seconds": round(report.seconds, 3),
        "sent": report.sent,
        "pushed": report.count("pushed"),
        "current": report.count("current"),
        "diverged": report.count("diverged"),
        "locked": report.count("locked"),
        "failed": report.count("failed"),
        "catalog": report.catalog,
        "sessions": [
            {
                "key": item.key,
                "status": item.status,
                "remoteBefore": item.remote_before,
                "remoteAfter": item.remote_after,
                "sent": item.sent,
                "reusedSegments": item.reused,
                "heldBack": item.held_back,
                "detail": item.detail,
                "sidecar": item.sidecar,
                "sidecarSent": item.sidecar_sent,
            }
            for item in report.sessions
        ],
    }


def _say(report: Any, out: Output) -> None:
    for item in report.sessions:
        if item.status == "pushed":
            extra = f", V2 sidecar +{item.sidecar_sent}" if item.sidecar == "sent" else ""
            out.line(f"pushed   {item.key} (+{item.sent} bytes, {item.remote_after} in all{extra})")
        elif item.status != "current":
            out.line(f"{item.status:<8} {item.key}: {item.detail}")
        if item.sidecar not in (None, "sent", "current"):
            out.warn(f"{item.key}: {item.sidecar}")
    mb = report.sent / 1e6
    out.line(
        f"{report.count('pushed')} pushed, {report.count('current')} current, "
        f"{len(report.sessions) - report.count('pushed') - report.count('current')} not pushed; "
        f"{mb:.1f} MB in {report.seconds:.1f} s"
    )


def _exit_code(report: Any) -> int:
    if report.ok:
        return EXIT_OK
    if report.count("locked") and not (report.count("diverged") or report.count("failed")):
        return EXIT_LOCKED
    return EXIT_FOUND


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    leases = open_leases(catalog_url(args, with_root=True))
    return open_blobs(args, leases=leases), leases


def _catalog(args: argparse.Namespace, remote: Any) -> Any:
    """The PostgreSQL catalog of ``--catalog``, indexing the bucket's sessions, or ``None``."""
    url = catalog_url(args, with_root=True)
    if url is None:
        return None
    from sesslog.catalog.backend_files import BackendFiles
    from sesslog.catalog.postgres import PostgresCatalog

    return PostgresCatalog(url, BackendFiles(remote), source=remote.bucket.where())


def _close(*resources: Any) -> None:
    for resource in resources:
        if resource is not None:
            resource.close()


def _push(args: argparse.Namespace, out: Output) -> int:
    from sesslog.backends.local import LocalFolder
    from sesslog.fleet.push import push

    remote, leases = _open(args)
    catalog = _catalog(args, remote)
    try:
        with remote_errors(), progress_bar(out) as bar:
            report = push(
                LocalFolder(sessions_root(args.root)),
                remote,
                keys=args.session,
                catalog=catalog,
                progress=bar,
            )
    finally:
        _close(leases, catalog)
    if out.json_mode:
        out.json(_report_json(report))
    else:
        _say(report, out)
    return _exit_code(report)


def _pull(args: argparse.Namespace, out: Output) -> int:
    from sesslog.backends.local import LocalFolder
    from sesslog.fleet.pull import pull

    remote, _ = _open(args)
    with remote_errors():
        result = pull(remote, args.id, LocalFolder(sessions_root(args.root)), salvage=args.salvage)
    for damage in result.damage:
        out.warn(f"left out: {damage}")
    if out.json_mode:
        out.json(
            {
                "key": result.key,
                "path": result.path,
                "status": result.status,
                "size": result.size,
                "written": result.written,
                "damage": result.damage,
            }
        )
    else:
        out.line(f"{result.status} {result.path} ({result.size} bytes, {result.written} written)")
    return EXIT_OK if not result.damage else EXIT_FOUND


def _sync(args: argparse.Namespace, out: Output) -> int:
    if not args.watch:
        return _push(argparse.Namespace(**vars(args), session=None), out)
    from sesslog.fleet.watch import sync_forever

    remote, leases = _open(args)
    catalog = _catalog(args, remote)
    totals = {"pushes": 0, "sent": 0}
    failed = threading.Event()

    def on_push(report: Any) -> None:
        totals["pushes"] += 1
        totals["sent"] += report.sent
        if not report.ok:
            failed.set()
        if out.json_mode:
            out.json(_report_json(report))
        elif report.count("pushed") or not report.ok:
            _say(report, out)
        out.flush()

    code = EXIT_OK
    try:
        with remote_errors():
            sync_forever(
                sessions_root(args.root),
                remote,
                catalog=catalog,
                on_push=on_push,
                debounce_ms=args.debounce,
                interval=args.interval,
            )
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    finally:
        _close(leases, catalog)
    out.warn(
        f"sync stopped after {totals['pushes']} pushes, {totals['sent']} bytes sent"
        + ("; some sessions were not pushed" if failed.is_set() else "")
    )
    return code
