"""A separate process using a store, for the tests of several processes and of the fallback.

Usage: ``python store_child.py ROOT [--fsize BYTES] OP...`` where each OP is ``list``,
``search:WORD``, ``stats``, ``status`` or ``append:REF:COUNT:WORD`` (append COUNT user messages
holding WORD to the session REF, listing and searching after each). Prints one JSON object:
the answers in order, and how many catalog warnings were issued.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import warnings

from sesslog.errors import CatalogUnavailableWarning
from sesslog.store import SessionStore


def main(argv: list[str]) -> int:
    root, ops = argv[0], argv[1:]
    if ops and ops[0] == "--fsize":
        limit = int(ops[1])
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        ops = ops[2:]
    answers: list[object] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = SessionStore(root)
        for op in ops:
            answers.append(run(store, op))
        store.close()
    fallbacks = [w for w in caught if issubclass(w.category, CatalogUnavailableWarning)]
    print(json.dumps({"answers": answers, "warnings": len(fallbacks)}))
    return 0


def run(store: SessionStore, op: str) -> object:
    name, _, rest = op.partition(":")
    if name == "list":
        return [[i.key, i.title, i.entries, i.error] for i in store.list()]
    if name == "search":
        return [[h.session.key, h.entry, h.snippet] for h in store.search(rest, limit=100)]
    if name == "stats":
        stats = store.stats()
        return [stats.sessions, stats.entries, stats.responses, stats.tokens.total]
    if name == "status":
        return store.catalog_status().kind
    if name == "append":
        ref, count, word = rest.split(":")
        seen = []
        for n in range(int(count)):
            session = store.open(ref)
            session.append_user_message(f"{word} number {n}")
            session.close()
            mine = [i.entries for i in store.list() if i.id == ref]
            found = len(store.search(word, session=ref, limit=1000))
            seen.append([mine[0], found])
        return seen
    raise SystemExit(f"unknown op {op!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
