"""``sesslog export``, ``sesslog share`` and ``sesslog unshare``: sessions out to Markdown, JSON,
JSONL and HTML, and share bundles out and in.

A SOURCE is a session file, a session of the store (by id, unique id prefix or unique title,
with ``--root`` as for every store command) or, for ``export``, a share bundle.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from sesslog.cli.errors import CommandError
from sesslog.cli.inputs import existing_file, session_path, sessions_root
from sesslog.cli.output import EXIT_OK, EXIT_USAGE, Output
from sesslog.format.reader import ReadMode
from sesslog.format.timestamps import iso_to_ms, ms_to_iso
from sesslog.session import Session

__all__ = ["parse_expiry", "register", "resolve_source"]

FORMATS = ("md", "json", "jsonl", "html")
_RELATIVE = re.compile(r"(\d+)([mhdw])")
_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add the ``export``, ``share`` and ``unshare`` commands."""
    mode_help = "how to treat damage: strict, tolerant (default) or salvage"
    password_help = "read the password from the first line of this file"
    root_help = "the sessions folder (default: $SESSLOG_ROOT, else pi's ~/.pi/agent/sessions)"

    export = _add(subparsers, parents, "export", "write a session as Markdown, JSON, JSONL or HTML")
    export.add_argument(
        "source",
        metavar="SESSION",
        help="session id, id prefix or title in the store, or a session .jsonl file or bundle",
    )
    export.add_argument("--root", metavar="DIR", help=root_help)
    export.add_argument("--format", choices=FORMATS, required=True, help="what to write")
    export.add_argument(
        "--whole-tree",
        action="store_true",
        help="every branch, not only the path (md, json, jsonl)",
    )
    export.add_argument(
        "--leaf", metavar="ID", help="the path (or first branch shown) to this entry"
    )
    export.add_argument(
        "--uncompressed",
        action="store_true",
        help="html: embed the session as plain JSON, not gzip-compressed (larger; for "
        "browsers without DecompressionStream)",
    )
    export.add_argument("--output", "-o", metavar="PATH", help="write here (default: stdout)")
    export.add_argument(
        "--mode", choices=[m.value for m in ReadMode], default="tolerant", help=mode_help
    )
    export.add_argument("--password-file", metavar="FILE", help=password_help)
    export.set_defaults(handler=_export)

    share = _add(
        subparsers, parents, "share", "write a session as one share bundle (optionally encrypted)"
    )
    share.add_argument(
        "source",
        metavar="SESSION",
        help="session id, id prefix or title in the store, or a session .jsonl file",
    )
    share.add_argument("--root", metavar="DIR", help=root_help)
    share.add_argument("--output", "-o", metavar="PATH", help="bundle file ('-': stdout)")
    share.add_argument(
        "--text", action="store_true", help="write the bundle as base64 text for pasting"
    )
    share.add_argument("--title", help="title (default: the session's name or first message)")
    share.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="a tag (repeatable)"
    )
    share.add_argument(
        "--expires",
        metavar="WHEN",
        help="refuse the bundle after this: 30m, 12h, 7d, 2w or an ISO time",
    )
    share.add_argument(
        "--no-fork",
        action="store_true",
        help="do not allow importing it as a session (viewing only)",
    )
    share.add_argument(
        "--no-history", action="store_true", help="share only the path to the leaf (or --leaf)"
    )
    share.add_argument("--leaf", metavar="ID", help="with --no-history: the last entry shared")
    share.add_argument("--encrypt", action="store_true", help="protect with a password (asked for)")
    share.add_argument(
        "--password-file", metavar="FILE", help=password_help + " (implies --encrypt)"
    )
    share.set_defaults(handler=_share)

    unshare = _add(subparsers, parents, "unshare", "import a share bundle as a new session")
    unshare.add_argument(
        "bundle", metavar="BUNDLE", help="bundle file, binary or text ('-': stdin)"
    )
    unshare.add_argument("--root", metavar="DIR", help=root_help)
    unshare.add_argument("--password-file", metavar="FILE", help=password_help)
    unshare.add_argument(
        "--info", action="store_true", help="show the bundle's header; import nothing"
    )
    unshare.set_defaults(handler=_unshare)


def _add(subparsers: Any, parents: list[argparse.ArgumentParser], name: str, text: str) -> Any:
    return subparsers.add_parser(name, help=text, description=text, parents=parents)


# ---------------------------------------------------------------------- sources and passwords


def resolve_source(source: str, root: str | None, out: Output) -> Path:
    """The file a SOURCE argument names: a file, else a session of the store at ``root``
    (see :func:`~sesslog.cli.inputs.session_path`).

    Raises:
        CommandError: No such file or session (exit 4), several sessions match (exit 2), or
            not a regular file (exit 2).
    """
    return existing_file(session_path(source, root, out))


def _password(args: argparse.Namespace, *, confirm: bool = False) -> str:
    """The password from ``--password-file``, else asked for on the terminal."""
    if args.password_file:
        text = Path(args.password_file).read_text(encoding="utf-8")
        lines = text.splitlines()
        if not lines or not lines[0]:
            raise CommandError(
                f"{args.password_file}: the first line (the password) is empty", EXIT_USAGE
            )
        return lines[0]
    if not sys.stdin.isatty():
        raise CommandError(
            "a password is needed: give --password-file FILE (no terminal to ask on)", EXIT_USAGE
        )
    password = getpass.getpass("Bundle password: ")
    if confirm and getpass.getpass("Again: ") != password:
        raise CommandError("the two passwords differ", EXIT_USAGE)
    if not password:
        raise CommandError("the password is empty", EXIT_USAGE)
    return password


# ---------------------------------------------------------------------- export


def _open_for_export(args: argparse.Namespace, out: Output) -> Session:
    from sesslog.interop.bundle_format import is_bundle

    path = resolve_source(args.source, args.root, out)
    with open(path, "rb") as handle:
        start = handle.read(64)
    if not is_bundle(start):
        return Session.open(path, mode=ReadMode(args.mode), read_only=True)
    from sesslog.format.reader import read_bytes
    from sesslog.interop.bundle_format import BundleRefusedError

    opened = _open_bundle(args, path.read_bytes())
    if args.format == "jsonl" and not opened.header.allow_fork:
        raise BundleRefusedError(
            "the bundle does not allow copying its session (allow-fork is off)"
        )
    data = read_bytes(opened.jsonl, ReadMode(args.mode), path=str(path))
    return Session.from_data(data, path=None, mode=ReadMode(args.mode), read_only=True)


def _open_bundle(args: argparse.Namespace, raw: bytes) -> Any:
    from sesslog.interop.bundle_format import (
        MAGIC,
        bundle_from_text,
        read_bundle,
        read_bundle_header,
    )

    blob = raw if raw.startswith(MAGIC) else bundle_from_text(raw)
    header = read_bundle_header(blob)
    password = _password(args) if header.encrypted else None
    return read_bundle(blob, password=password)


def _export(args: argparse.Namespace, out: Output) -> int:
    if out.json_mode and not args.output:
        raise CommandError(
            "--json needs --output (the export itself goes to stdout otherwise)", EXIT_USAGE
        )
    session = _open_for_export(args, out)
    if args.format == "jsonl":
        from sesslog.interop.export_jsonl import export_jsonl, export_jsonl_bytes

        if args.output:
            export_jsonl(session, args.output, leaf_id=args.leaf, whole_tree=args.whole_tree)
            data = None
        else:
            data = export_jsonl_bytes(session, leaf_id=args.leaf, whole_tree=args.whole_tree)
    elif args.format == "html":
        from sesslog.interop.export_html import export_html

        data = export_html(session, leaf_id=args.leaf, compress=not args.uncompressed)
    elif args.format == "md":
        from sesslog.interop.export_markdown import export_markdown

        data = export_markdown(session, leaf_id=args.leaf, whole_tree=args.whole_tree).encode()
    else:
        from sesslog.interop.export_json import export_json_text

        data = export_json_text(session, leaf_id=args.leaf, whole_tree=args.whole_tree).encode()
    if not args.output:
        assert data is not None
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return EXIT_OK
    if data is not None:
        from sesslog.backends.fs import atomic_write_bytes

        atomic_write_bytes(args.output, data)
    size = os.path.getsize(args.output)
    if out.json_mode:
        out.json({"output": args.output, "format": args.format, "bytes": size})
    else:
        out.line(f"wrote {args.output} ({args.format}, {size:,} bytes)")
    return EXIT_OK


# ---------------------------------------------------------------------- share


def parse_expiry(text: str, now: int | None = None) -> str:
    """An expiry as an ISO 8601 UTC time: ``30m``, ``12h``, ``7d`` and ``2w`` count from
    ``now`` (Unix milliseconds, default: now); anything else must be an ISO 8601 time.

    Raises:
        ValueError: Neither.
    """
    match = _RELATIVE.fullmatch(text.strip())
    if match:
        start = now if now is not None else int(time.time() * 1000)
        return ms_to_iso(start + int(match.group(1)) * _UNIT_MS[match.group(2)])
    ms = iso_to_ms(text.strip())
    if ms is None:
        raise ValueError(
            f"expiry {text!r} is neither a duration (30m, 12h, 7d, 2w) nor an ISO time"
        )
    return ms_to_iso(ms)


def _share(args: argparse.Namespace, out: Output) -> int:
    from sesslog.interop.bundle_format import bundle_to_text
    from sesslog.interop.share import share_file

    path = resolve_source(args.source, args.root, out)
    try:
        expires = parse_expiry(args.expires) if args.expires else None
    except ValueError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    if args.leaf and not args.no_history:
        raise CommandError(
            "--leaf needs --no-history (with history, the whole session is shared)", EXIT_USAGE
        )
    password = _password(args, confirm=True) if args.encrypt or args.password_file else None
    blob = share_file(
        path,
        title=args.title,
        tags=args.tag,
        expires=expires,
        allow_fork=not args.no_fork,
        show_history=not args.no_history,
        leaf_id=args.leaf,
        password=password,
    )
    data = bundle_to_text(blob).encode("ascii") if args.text else blob
    target = args.output or (
        None if args.text else f"{path.name.removesuffix('.jsonl')}.sesslog-bundle"
    )
    if target is None or target == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return EXIT_OK
    from sesslog.backends.fs import atomic_write_bytes

    atomic_write_bytes(target, data)
    report = {
        "output": target,
        "bytes": len(data),
        "text": args.text,
        "encrypted": password is not None,
    }
    if out.json_mode:
        out.json(report)
    else:
        lock = ", encrypted" if password is not None else ""
        out.line(f"wrote {target} ({len(data):,} bytes{lock})")
    return EXIT_OK


# ---------------------------------------------------------------------- unshare


def _unshare(args: argparse.Namespace, out: Output) -> int:
    from sesslog.interop.bundle_format import MAGIC, bundle_from_text, read_bundle_header
    from sesslog.interop.share import unshare

    if args.bundle == "-":
        raw, source = sys.stdin.buffer.read(), "<stdin>"
    else:
        bundle = existing_file(args.bundle)
        raw, source = bundle.read_bytes(), os.path.abspath(bundle)
    blob = raw if raw.startswith(MAGIC) else bundle_from_text(raw)
    header = read_bundle_header(blob)
    if args.info:
        if out.json_mode:
            out.json(header)
        else:
            for key, value in _header_rows(header):
                out.line(f"{key:<13} {value}")
        return EXIT_OK
    password = _password(args) if header.encrypted else None
    from sesslog.store import SessionStore

    with SessionStore(sessions_root(args.root)) as store:
        result = unshare(blob, store, password=password, source=source)
    if out.json_mode:
        out.json(result)
        return EXIT_OK
    title = " ".join(result.header.title.split())
    out.line(f"imported {title!r} as {result.path} ({result.entries} entries)")
    for warning in result.warnings:
        out.warn(warning)
    return EXIT_OK


def _header_rows(header: Any) -> list[tuple[str, Any]]:
    return [
        ("title", header.title),
        ("tags", ", ".join(header.tags) or "-"),
        ("created", header.created),
        ("expires", header.expires or "never"),
        ("allow fork", "yes" if header.allow_fork else "no"),
        ("show history", "yes" if header.show_history else "no (one path)"),
        ("entries", header.entries),
        ("size", f"{header.size:,} bytes"),
        ("encrypted", f"{header.cipher}, key by {header.kdf.name}" if header.kdf else "no"),
    ]
