"""Commands that read one session: ``info``, ``tree``, ``context``, ``check``, ``upgrade``."""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from sesslog.cli.errors import CommandError
from sesslog.cli.inputs import accept_session_ref, existing_file, open_session
from sesslog.cli.output import EXIT_FOUND, EXIT_OK, Output
from sesslog.cli.remote import (
    answer_from_catalog,
    blobs_options,
    remote_options,
    remote_scoped,
    remote_session,
)
from sesslog.format.reader import ReadMode
from sesslog.projections.partial import PartialTree
from sesslog.projections.sidecar import sidecar_folder
from sesslog.tree.context import SessionContext, build_context, context_of_tail, grown_context

if TYPE_CHECKING:
    from sesslog.session import Session

__all__ = ["non_negative_int", "positive_int", "register"]

#: Diagnostics ``info`` shows on stderr before pointing to ``check``.
_INFO_WARNINGS = 10


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def non_negative_int(text: str) -> int:
    """An argparse type: a whole number of at least 0."""
    value = _whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add this module's commands."""
    mode_help = "how to treat damage: strict, tolerant (default) or salvage"

    def add(
        name: str, help_text: str, handler: Any, *more: argparse.ArgumentParser
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, help=help_text, description=help_text, parents=[*parents, *more]
        )
        parser.add_argument("file", help="session .jsonl file")
        parser.add_argument(
            "--mode", choices=[m.value for m in ReadMode], default="tolerant", help=mode_help
        )
        parser.set_defaults(handler=handler)
        return parser

    # With --catalog URL, FILE names a session of that catalog (id, id prefix or title).
    info = add(
        "info", "summarise a session: ids, counts, branches, damage", _info, remote_options()
    )
    # With --blobs URL, FILE names a session in that bucket (id, id prefix or key).
    tree = add("tree", "show the session's tree of entries", _tree, blobs_options())
    tree.add_argument("--active", action="store_true", help="show only the path to the leaf")
    tree.add_argument(
        "--width", type=positive_int, default=60, help="width of entry summaries (default 60)"
    )
    context = add(
        "context", "show the model context at the leaf (or --leaf ID)", _context, blobs_options()
    )
    context.add_argument("--leaf", metavar="ID", help="entry to stand on instead of the leaf")
    context.add_argument(
        "--last", type=positive_int, metavar="N", help="show only the last N messages"
    )
    context.add_argument(
        "--tokens",
        action="store_true",
        help="print only the context's size in tokens (from usage, else estimated)",
    )
    for reader in (info, tree, context):
        accept_session_ref(reader)
    answer_from_catalog(info)  # --catalog URL: REF is a session of that catalog
    check = add(
        "check",
        "report every anomaly with line and byte offset; exit 1 if anything was lost",
        _check,
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 for notices too (BOM, CRLF, blank lines, a final line without newline, ...)",
    )
    upgrade = add(
        "upgrade", "write an upgraded (v3) copy of a v1/v2 session, keeping the original", _upgrade
    )
    upgrade.add_argument(
        "--output",
        metavar="PATH",
        help="write the copy here, in an existing folder (default: in place, original kept "
        "as .bak)",
    )
    upgrade.add_argument("--force", action="store_true", help="replace an existing --output file")
    upgrade.add_argument(
        "--lock-wait",
        type=float,
        metavar="SECONDS",
        help="in place: wait this long for a live writer's lock (default: refuse at once)",
    )


def _info(args: argparse.Namespace, out: Output) -> int:
    session = open_session(args.file, args.mode)
    tree = session.tree
    kinds = tree.entries.types
    types = Counter(map(str, kinds))
    roles: Counter[str] = Counter()
    models: dict[str, None] = {}
    messages = [i for i, kind in enumerate(kinds) if kind == "message"]
    for message in tree.entries.message_heads(messages):  # no records made
        if message is not None:
            roles[str(message.role)] += 1
            if message.role == "assistant":
                models[f"{message.provider}/{message.model}"] = None
    branches = tree.branches()
    info = {
        "path": os.fspath(args.file),
        "id": session.header.get("id"),
        "version": session.header.get("version"),
        "fileVersion": session.file_version,
        "cwd": session.header.get("cwd"),
        "timestamp": session.header.get("timestamp"),
        "parentSession": session.header.get("parentSession") or session.header.get("branchedFrom"),
        "name": session.name,
        "entries": len(tree),
        "leafId": tree.leaf_id,
        "depth": len(tree.path_ids()),
        "roots": len(tree.roots()),
        "branches": len(branches),
        "labels": len(tree.labels),
        "types": dict(types),
        "roles": dict(roles),
        "models": list(models),
        "diagnostics": len(session.diagnostics.diagnostics),
        "readOnly": session.diagnostics.read_only,
        "sizeBytes": os.path.getsize(args.file),
    }
    if out.json_mode:
        out.json(info)
        return EXIT_OK
    width = max(len(k) for k in info)
    for key, value in info.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "-"
        elif isinstance(value, list):
            value = ", ".join(value) or "-"
        out.line(f"{key:<{width}}  {'-' if value is None else value}")
    diagnostics = session.diagnostics.diagnostics
    for diag in diagnostics[:_INFO_WARNINGS]:
        out.warn(f"{args.file}:{diag}")
    if len(diagnostics) > _INFO_WARNINGS:
        more = len(diagnostics) - _INFO_WARNINGS
        out.warn(f"{args.file}: {more} more (sesslog check {args.file} lists every one)")
    return EXIT_OK


def _tree(args: argparse.Namespace, out: Output) -> int:
    # The active path alone, as text, is read from a bucket through the sidecar's index.
    scoped = args.active and not out.json_mode
    session = (
        (remote_scoped(args, args.file, "active_path", out) if scoped else None)
        or remote_session(args, args.file)
        or open_session(args.file, args.mode)
    )
    tree = session.tree
    if out.json_mode:
        nodes = tree.nodes()  # first: it links the whole tree, which the path then follows
        out.json(
            {
                "leafId": tree.leaf_id,
                "path": tree.path_ids(),
                "nodes": nodes,
                "name": tree.name,
                "labels": tree.labels,
            }
        )
        return EXIT_OK
    from sesslog.render.text import render_tree

    for text in render_tree(tree, style=out.style, width=args.width, active_only=args.active):
        out.line(text)
    return EXIT_OK


def _context(args: argparse.Namespace, out: Output) -> int:
    if args.tokens:
        session = remote_session(args, args.file) or open_session(args.file, args.mode)
        return _context_tokens(session, args, out)
    if args.leaf is not None:
        session = remote_session(args, args.file) or open_session(args.file, args.mode)
        context = session.context(args.leaf)
    elif getattr(args, "blobs", None):

        def remote(scope: str) -> Session:
            session = remote_scoped(args, args.file, scope, out)
            assert session is not None  # --blobs is given
            return session

        context = _leaf_context(remote)
    else:
        context = _leaf_context(lambda scope: open_session(args.file, args.mode, scope=scope))
    if args.last is not None:
        context = msgspec.structs.replace(context, messages=context.messages[-args.last :])
    if out.json_mode:
        out.json(context.to_json())
        return EXIT_OK
    from sesslog.render.text import render_context

    for text in render_context(context, style=out.style):
        out.line(text)
    return EXIT_OK


def _context_tokens(session: Session, args: argparse.Namespace, out: Output) -> int:
    from sesslog.store.tokens import context_tokens

    tokens = context_tokens(session, args.leaf)
    if out.json_mode:
        out.json(tokens)
    else:
        out.line(
            f"{tokens.tokens} tokens in {tokens.messages} messages ({tokens.method}: "
            f"{tokens.from_usage} reported, {tokens.estimated} estimated)"
        )
    return EXIT_OK


def _leaf_context(opened: Callable[[str], Session]) -> SessionContext:
    """The context at the leaf of the session ``opened`` in a scope. A file is read whole
    once (:func:`~sesslog.tree.context.build_context` walks back only as far as it must); a
    sidecar loads the end of the path (the scope ``tail:N``), more until it decides the
    context (:func:`~sesslog.tree.context.grown_context`)."""

    def attempt(count: int) -> SessionContext | None:
        tree = opened(f"tail:{count}").tree
        if not isinstance(tree, PartialTree):
            return build_context(tree)
        return context_of_tail(tree, None, count)

    return grown_context(attempt)


def _check(args: argparse.Namespace, out: Output) -> int:
    mode = ReadMode(args.mode)
    session = open_session(
        args.file, ReadMode.SALVAGE if mode is ReadMode.SALVAGE else ReadMode.TOLERANT
    )
    diagnostics = session.diagnostics.diagnostics
    errors = sum(1 for diag in diagnostics if diag.is_error)
    # Losses (errors) always fail the check; notices (nothing lost) only with --strict.
    failed = bool(diagnostics) if args.strict else errors > 0
    if out.json_mode:
        out.json({"ok": not failed, "entries": len(session.tree), "diagnostics": diagnostics})
    else:
        for diag in diagnostics:
            out.line(f"{args.file}:{diag} ({diag.severity})")
        notices = len(diagnostics) - errors
        if not diagnostics:
            summary = "clean"
        elif not errors:
            summary = f"{notices} notice(s), nothing lost"
        else:
            summary = f"{errors} error(s) (something not taken), {notices} notice(s)"
        out.line(f"{len(session.tree)} entries, {summary}")
    return EXIT_FOUND if failed else EXIT_OK


def _upgrade(args: argparse.Namespace, out: Output) -> int:
    from sesslog.write.files import upgrade_file

    source = existing_file(args.file)
    taken = args.output is not None and not args.force and os.path.lexists(args.output)
    if taken and not (Path(args.output).exists() and Path(args.output).samefile(source)):
        raise CommandError(f"{args.output}: exists; pass --force to replace it", EXIT_FOUND)
    result = upgrade_file(
        source,
        output=args.output,
        mode=ReadMode(args.mode),
        force=args.force,
        lock_wait=args.lock_wait,
    )
    if out.json_mode:
        out.json(result)
    elif not result.changed:
        out.line(f"{result.path}: already version {result.to_version}, nothing to do")
    else:
        kept = f"; original kept as {result.backup}" if result.backup else ""
        out.line(
            f"{result.path}: upgraded v{result.from_version} -> v{result.to_version} "
            f"({result.entries} entries){kept}"
        )
        if result.backup and sidecar_folder(source).is_dir():
            out.warn(
                f"{source}: its V2 sidecar holds the version before the upgrade; "
                f"run 'sesslog migrate {source}' to rebuild it"
            )
    return EXIT_OK
