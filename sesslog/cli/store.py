"""Commands over a store of sessions: ``ls``, ``search``, ``stats``, ``catalog rebuild|status``.

Every command takes ``--root DIR`` (default ``$SESSLOG_ROOT``, else pi's sessions folder). When
the catalog cannot be used, the commands still answer (from the files) and say so once on
stderr.
"""

from __future__ import annotations

import argparse
from typing import Any

from sesslog.cli.errors import CommandError
from sesslog.cli.output import EXIT_FOUND, EXIT_OK, EXIT_USAGE, Output
from sesslog.cli.remote import remote_options
from sesslog.cli.store_access import info_line, root_options, run_store
from sesslog.render.escape import escape_text

__all__ = ["register"]

_ORDERS = ("updated", "created", "bytes", "cost", "entries", "title", "id")


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add this module's commands."""
    common = [*parents, root_options()]
    remote = [*common, remote_options()]

    ls = subparsers.add_parser(
        "ls",
        help="list the sessions of a store",
        description="list the sessions of a store",
        parents=remote,
    )
    ls.add_argument("--cwd", help="only sessions of this working directory")
    ls.add_argument("--title", help="only titles holding this text")
    ls.add_argument(
        "--tag", action="append", default=[], help="only sessions with this tag (repeatable)"
    )
    ls.add_argument("--status", help="only sessions with this status")
    ls.add_argument("--model", help="only sessions that used this model")
    ls.add_argument("--user", help="only sessions of this user")
    ls.add_argument(
        "--parent", metavar="REF", help="only sessions forked from this one (path or id)"
    )
    ls.add_argument(
        "--errors",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only sessions with (or without) errors",
    )
    ls.add_argument("--since", metavar="TIME", help="updated at or after (ISO 8601)")
    ls.add_argument("--until", metavar="TIME", help="updated before (ISO 8601)")
    ls.add_argument(
        "--order", choices=_ORDERS, default="updated", help="sort key (default: updated)"
    )
    ls.add_argument("--asc", action="store_true", help="ascending (default: descending)")
    ls.add_argument("--limit", type=int, help="at most this many")
    ls.add_argument("--offset", type=int, default=0, help="skip this many first")
    ls.set_defaults(handler=_ls)

    search = subparsers.add_parser(
        "search",
        help="find entries by words, tool calls, commands or paths (exit 1 when none)",
        description="find entries by words, tool calls, commands or paths (exit 1 when none)",
        parents=remote,
    )
    search.add_argument(
        "words", nargs="+", help="words that must all occur (paths match as phrases)"
    )
    search.add_argument("--limit", type=int, default=20, help="at most this many hits (default 20)")
    search.add_argument("--offset", type=int, default=0, help="skip this many first")
    search.add_argument("--cwd", help="only sessions of this working directory")
    search.add_argument("--session", metavar="REF", help="only this session")
    search.add_argument("--raw", action="store_true", help="pass the words as an FTS5 query")
    ranking = search.add_mutually_exclusive_group()
    ranking.add_argument(
        "--bound",
        type=int,
        metavar="N",
        help="when more than N entries match, rank only the newest N (default 2,000)",
    )
    ranking.add_argument("--rank-all", action="store_true", help="rank every match")
    search.set_defaults(handler=_search)

    stats = subparsers.add_parser(
        "stats",
        help="store-wide totals, activity per day, usage per model and tool",
        description="store-wide totals, activity per day, usage per model and tool",
        parents=remote,
    )
    stats.set_defaults(handler=_stats)

    catalog = subparsers.add_parser(
        "catalog",
        help="the store's catalog: rebuild it, or show its status",
        description="the store's catalog: rebuild it, or show its status",
        parents=common,
    )
    catalog.add_argument("action", choices=("rebuild", "status"), help="what to do")
    catalog.set_defaults(handler=_catalog)


def _ls(args: argparse.Namespace, out: Output) -> int:
    def work(store: Any) -> int:
        sessions = store.list(
            cwd=args.cwd,
            title=args.title,
            tags=args.tag,
            status=args.status,
            model=args.model,
            user=args.user,
            parent=args.parent,
            has_errors=args.errors,
            updated_after=args.since,
            updated_before=args.until,
            order=args.order,
            descending=not args.asc,
            limit=args.limit,
            offset=args.offset,
        )
        if out.json_mode:  # the catalog's JSON as it keeps it (terminal-safe), not decoded
            _write_bytes(out, [*sessions.json_parts(), b"\n"])
            return EXIT_OK
        for info in sessions:
            out.line(info_line(info, out))
        return EXIT_OK

    return run_store(args, out, work, core=True, fresh=True)


def _write_bytes(out: Output, parts: list[bytes]) -> None:
    """Write UTF-8 bytes to the command's stdout (through its binary buffer when it has one)."""
    buffer = getattr(out.stdout, "buffer", None)
    if buffer is None:
        out.stdout.write(b"".join(parts).decode("utf-8"))
        return
    out.stdout.flush()
    buffer.writelines(parts)


def _bound(args: argparse.Namespace) -> dict[str, int | None]:
    """The ``bound`` a search was given (none: the library's default).

    Raises:
        CommandError: A bound below 1.
    """
    if args.rank_all:
        return {"bound": None}
    if args.bound is None:
        return {}
    if args.bound < 1:
        raise CommandError(f"--bound {args.bound}: give a number of at least 1", EXIT_USAGE)
    return {"bound": args.bound}


def _search(args: argparse.Namespace, out: Output) -> int:
    from sesslog.catalog.queries import MARK_CLOSE, MARK_OPEN

    bound = _bound(args)

    def work(store: Any) -> int:
        hits = store.search(
            " ".join(args.words),
            limit=args.limit,
            offset=args.offset,
            cwd=args.cwd,
            session=args.session,
            raw=args.raw,
            **bound,
        )
        bounded = hits.bounded
        if bounded is not None:
            out.warn(
                f"more than {bounded:,} entries match: ranked the newest {bounded:,} "
                "(add words, --cwd or --session to narrow; --rank-all ranks every match)"
            )
        if out.json_mode:
            out.json(
                [
                    {
                        "session": {
                            "id": h.session.id,
                            "path": h.session.path,
                            "title": h.session.title,
                            "cwd": h.session.cwd,
                        },
                        "entry": h.entry,
                        "kind": h.kind,
                        "line": h.line,
                        "snippet": h.snippet,
                        "score": h.score,
                        "bounded": bounded,
                    }
                    for h in hits
                ]
            )
        for h in [] if out.json_mode else hits:
            snippet = escape_text(" ".join(h.snippet.split()))
            if out.color:
                snippet = snippet.replace(MARK_OPEN, "\033[1m\033[33m")  # bold yellow
                snippet = snippet.replace(MARK_CLOSE, "\033[0m")
            title = escape_text(h.session.title or h.session.preview or "")[:40]
            out.line(f"{h.session.id[:13]}  {title}  line {h.line}  {h.kind}: {snippet}")
        return EXIT_OK if hits else EXIT_FOUND

    return run_store(args, out, work, core=True, fresh=args.session is None)


def _stats(args: argparse.Namespace, out: Output) -> int:
    import msgspec

    def work(store: Any) -> int:
        stats = store.stats()
        if out.json_mode:
            out.json(msgspec.to_builtins(stats))
            return EXIT_OK
        out.line(
            f"{stats.sessions} sessions ({stats.unreadable} unreadable), {stats.entries} entries, "
            f"{stats.messages} messages, {stats.bytes / 1e6:.1f} MB"
        )
        out.line(
            f"{stats.responses} responses, {stats.tokens.total} tokens "
            f"({stats.tokens.input} in, {stats.tokens.output} out, {stats.tokens.cache_read} "
            f"cache read, {stats.tokens.cache_write} cache write), ${stats.cost:.4f}"
        )
        for model in stats.models:
            out.line(
                f"  model {escape_text(model.model)}: {model.responses} responses, {model.tokens.total} tokens, ${model.cost:.4f}"
            )
        for tool in stats.tools:
            mean = "" if tool.mean_ms is None else f", mean {tool.mean_ms:.0f} ms"
            out.line(
                f"  tool {escape_text(tool.tool)}: {tool.calls} calls, {tool.errors} errors{mean}"
            )
        for day in stats.days[-14:]:
            out.line(f"  {day.day}: {day.sessions} new, {day.messages} messages, ${day.cost:.4f}")
        return EXIT_OK

    return run_store(args, out, work, core=True)


def _catalog(args: argparse.Namespace, out: Output) -> int:
    import msgspec

    from sesslog.cli.progress import progress_bar

    def work(store: Any) -> int:
        if args.action == "rebuild":
            with progress_bar(out) as bar:
                report = store.rebuild_catalog(
                    None if bar is None else lambda done, total: bar("catalog", done, total)
                )
            value: Any = msgspec.to_builtins(report)
            text = f"read {report.added} sessions ({report.bytes_read / 1e6:.1f} MB)"
        else:
            status = store.catalog_status()
            value = msgspec.to_builtins(status)
            text = (
                f"{status.kind} catalog at {escape_text(status.location)}: {status.sessions} sessions, "
                f"{status.bytes / 1e6:.1f} MB"
                + (f" ({escape_text(status.reason)})" if status.reason else "")
            )
        if out.json_mode:
            out.json(value)
        else:
            out.line(text)
        return EXIT_OK

    return run_store(args, out, work, core=True)
