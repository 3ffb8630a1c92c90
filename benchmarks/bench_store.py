"""Store benchmark: the catalog of 10,000 sessions against reading every file, and search
against ``grep -rl``.

On a store of generated sessions of mixed sizes in pi's layout (realistic text from
``fixtures/generate.py``, plus a few words from a Zipf-distributed project vocabulary so that a
search has a realistic number of hits), it prints, from one run:

* the first catalog build (MB/s);
* ``list`` of every session: through the store (its refresh looks at the folders and the live
  sessions, see ``sesslog/catalog/detect.py``; then the catalog), through the store after a
  full look at every file's fingerprint, and through the catalog alone; against the baseline
  that lists as the TypeScript original does (read and decode every file);
* ``latest``;
* a full-text search (store and catalog alone) against ``grep -rl`` of the same word;
* the refresh after one append to one session: the whole store's look, and the one session;
* whole processes: ``sesslog ls --json`` against the baseline as a process, and
  ``sesslog search WORD --json`` against ``grep -rl WORD``.

Usage::

    python benchmarks/bench_store.py                 # 10,000 sessions
    python benchmarks/bench_store.py --sessions 500  # a smaller store
    python benchmarks/bench_store.py --quick         # 300 sessions, few repeats (a smoke run)
    python benchmarks/bench_store.py --data DIR      # keep generated stores in DIR
    python benchmarks/bench_store.py --before ../main  # also time another checkout's commands

The store is generated once into ``benchmarks/data/store-<N>/`` (git-ignored) and reused; its
catalog is rebuilt by each run (the first build is measured).
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import gc
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import msgspec

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fixtures.generate import make_v3_session  # noqa: E402
from sesslog.backends.layout import folder_for_cwd, session_file_name  # noqa: E402
from sesslog.store import SessionStore  # noqa: E402

DATA = REPO / "benchmarks" / "data"
#: Bumped when the generated store changes shape (an old cache is then made again).
STORE_VERSION = 2
#: (share of sessions, entries range, line bytes range)
SIZE_MIX = (
    (0.70, (6, 25), (400, 800)),
    (0.25, (30, 100), (500, 900)),
    (0.045, (150, 500), (600, 1000)),
    (0.005, (1000, 2500), (600, 1000)),
)
PROJECTS = 150
VOCABULARY = 2000


def vocabulary() -> list[str]:
    """Project words (identifiers a team would use), most frequent first."""
    rng = random.Random(12345)
    syllables = ["ka", "zen", "tor", "vil", "mar", "quo", "lix", "dra", "fen", "sol", "ber", "nu"]
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        words["".join(rng.choice(syllables) for _ in range(rng.randint(3, 4)))] = None
    return list(words)


#: The searched word: rank 50 of the vocabulary (about 0.7 % of the sessions mention it).
def search_word() -> str:
    return vocabulary()[49]


def _size_class(pick: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """The entries and line bytes ranges of the size class ``pick`` (in [0, 1)) falls in."""
    for share, entries, line_bytes in SIZE_MIX:
        if pick < share:
            return entries, line_bytes
        pick -= share
    return SIZE_MIX[-1][1], SIZE_MIX[-1][2]


def make_session(number: int, words: list[str], weights: list[float]) -> tuple[str, bytes]:
    """The key and bytes of generated session ``number`` (deterministic)."""
    rng = random.Random(number)
    entries, line_bytes = _size_class(rng.random())
    cwd = f"/home/dev/projects/p{rng.randrange(PROJECTS)}"
    count = rng.randint(*entries)
    data = make_v3_session(count, number, line_bytes=rng.randint(*line_bytes), cwd=cwd)
    lines = data.split(b"\n")
    header = json.loads(lines[0])
    last = json.loads(lines[-2])
    stamp = last["timestamp"]
    extra = []
    mentioned = rng.choices(words, weights=weights, k=3)
    text = f"Next, check the {mentioned[0]} handler, then {mentioned[1]} and {mentioned[2]}."
    extra.append(
        {
            "type": "message",
            "id": f"b{number:07x}"[-8:],
            "parentId": last["id"],
            "timestamp": stamp,
            "message": {"role": "user", "content": text, "timestamp": 0},
        }
    )
    if rng.random() < 0.3:
        extra.append(
            {
                "type": "custom",
                "id": f"c{number:07x}"[-8:],
                "parentId": extra[-1]["id"],
                "timestamp": stamp,
                "customType": "sesslog.meta",
                "data": {"tags": rng.sample(["bug", "feature", "ops", "docs", "refactor"], 2)},
            }
        )
    body = data + b"".join(
        json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for obj in extra
    )
    key = f"{folder_for_cwd(cwd)}/{session_file_name(header['timestamp'], header['id'])}"
    return key, body


def _write_range(root: str, start: int, stop: int) -> int:
    words = vocabulary()
    weights = [1 / (rank + 1) for rank in range(len(words))]
    total = 0
    for number in range(start, stop):
        key, body = make_session(number, words, weights)
        path = Path(root) / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        # A real store's files were last written when their last entry was: most are idle.
        last = json.loads(body[body.rindex(b"\n", 0, len(body) - 1) + 1 :])["timestamp"]
        written = int(dt.datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp() * 1e9)
        os.utime(path, ns=(written, written))
        total += len(body)
    return total


def generated_store(count: int, data: Path = DATA) -> Path:
    """The store of ``count`` sessions, generated once (in two processes) and reused."""
    root = data / f"store-{count}"
    marker = root / ".sesslog-bench"
    if marker.exists() and marker.read_text() == str(STORE_VERSION):
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    print(f"generating {count} sessions into {root} (once) ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    chunks = [(str(root), n, min(count, n + 250)) for n in range(0, count, 250)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        total = sum(pool.map(_write_range, *zip(*chunks, strict=True)))
    marker.write_text(str(STORE_VERSION))
    took = time.perf_counter() - started
    print(f"  {total / 1e6:.0f} MB in {took:.0f} s", file=sys.stderr)
    return root


# ------------------------------------------------------------------------------------------------
# the baseline: list as the TypeScript original does


class Listed(msgspec.Struct):
    """What the TypeScript original shows per session."""

    path: str
    id: str
    cwd: str
    created: str
    modified: float
    messages: int
    first_message: str
    name: str | None


def baseline_list(root: Path) -> list[Listed]:
    """Read and decode every file, line by line, and summarise it (newest first)."""
    decode = msgspec.json.Decoder().decode
    out = []
    for folder in os.scandir(root):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        for entry in os.scandir(folder.path):
            if not entry.name.endswith(".jsonl"):
                continue
            with open(entry.path, "rb") as handle:
                data = handle.read()
            header: dict[str, Any] = {}
            messages = 0
            first = ""
            name = None
            for line in data.split(b"\n"):
                if not line:
                    continue
                try:
                    obj = decode(line)
                except msgspec.DecodeError:
                    continue
                kind = obj.get("type")
                if kind == "session":
                    header = obj
                elif kind == "message":
                    messages += 1
                    message = obj.get("message") or {}
                    if not first and message.get("role") == "user":
                        content = message.get("content")
                        first = content if isinstance(content, str) else str(content)[:200]
                elif kind == "session_info" and obj.get("name"):
                    name = obj["name"]
            out.append(
                Listed(
                    path=entry.path,
                    id=str(header.get("id", "")),
                    cwd=str(header.get("cwd", "")),
                    created=str(header.get("timestamp", "")),
                    modified=entry.stat().st_mtime,
                    messages=messages,
                    first_message=first[:200],
                    name=name,
                )
            )
    out.sort(key=lambda item: item.modified, reverse=True)
    return out


# ------------------------------------------------------------------------------------------------
# timing


class Timing(msgspec.Struct, frozen=True):
    """Wall time (median and best) and CPU time (median) of repeated runs, in seconds."""

    median: float
    best: float
    cpu: float


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(repeat: int, work: Callable[[], object], *, children: bool = False) -> Timing:
    """Time ``repeat`` runs of ``work``: wall time, and the CPU time of this process (or, with
    ``children``, of the processes it ran), which a busy machine disturbs less."""
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        cpu = _cpu_children() if children else time.process_time()
        start = time.perf_counter()
        work()
        walls.append(time.perf_counter() - start)
        cpus.append((_cpu_children() if children else time.process_time()) - cpu)
    return Timing(statistics.median(walls), min(walls), statistics.median(cpus))


def process(
    args: list[str], repeat: int, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Timing:
    """Time a whole process (its output captured, as a script reading it would)."""

    def run() -> None:
        done = subprocess.run(args, capture_output=True, env=env, cwd=cwd, check=False)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{args[:3]} failed: {done.stderr.decode()[-500:]}")

    return timed(repeat, run, children=True)


def ms(value: float) -> str:
    return f"{value * 1000:9.1f} ms"


def table(title: str, rows: list[tuple[str, Timing, str]]) -> None:
    print(f"\n{title:52} {'wall median':>12} {'wall best':>12} {'CPU median':>12}")
    for name, t, note in rows:
        print(f"{name:52} {ms(t.median)} {ms(t.best)} {ms(t.cpu)}  {note}")


def ratio(slow: Timing, fast: Timing) -> str:
    return f"{slow.median / fast.median:.1f}x wall, {slow.cpu / fast.cpu:.1f}x CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="300 sessions, 3 repeats")
    parser.add_argument("--data", type=Path, default=DATA, help="where generated stores are kept")
    parser.add_argument(
        "--before",
        metavar="DIR",
        type=Path,
        help="another checkout of sesslog (the main branch) to time as a whole process too",
    )
    parser.add_argument("--baseline-list", metavar="ROOT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_list:  # the baseline as a whole process
        listed = baseline_list(Path(args.baseline_list))
        sys.stdout.write(msgspec.json.encode(listed).decode() + "\n")
        return 0
    count, repeat = (300, 3) if args.quick else (args.sessions, args.repeat)
    # An installed package has its bytecode compiled; a source tree may not (and
    # PYTHONDONTWRITEBYTECODE would make every process compile it again).
    compileall.compile_dir(REPO / "sesslog", quiet=1)
    root = generated_store(count, args.data)
    total = sum(p.stat().st_size for p in root.glob("*/*.jsonl"))
    word = search_word()
    shutil.rmtree(root / ".sesslog", ignore_errors=True)
    print(f"store: {count} sessions, {total / 1e6:.0f} MB, {len(list(root.iterdir())) - 1} folders")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the start"
    )

    started, cpu = time.perf_counter(), time.process_time()
    store = SessionStore(root)
    report = store.refresh()
    build, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    mb = report.bytes_read / 1e6
    print(
        f"\nfirst catalog build: {build:.1f} s wall ({mb / build:.1f} MB/s), {build_cpu:.1f} s CPU "
        f"({mb / build_cpu:.1f} MB/s) for {mb:.0f} MB; catalog "
        f"{store.catalog_status().bytes / 1e6:.0f} MB"
    )

    assert len(store.list()) == count
    few = max(2, repeat // 3)
    lst = timed(repeat, store.list)
    lst_full = timed(few, lambda: (store.refresh(full=True), store.list()))
    lst_cat = timed(repeat, store.catalog.list_sessions)
    lst_all = timed(few, lambda: [info.id for info in store.list()])
    base = timed(few, lambda: baseline_list(root))
    latest = timed(repeat, store.latest)
    latest_cat = timed(repeat, lambda: store.catalog.list_sessions(_latest())[0])
    hits = store.search(word, limit=20)
    srch = timed(repeat, lambda: store.search(word))
    srch_cat = timed(repeat, lambda: store.catalog.search(_query(word)))
    scan = timed(repeat, store.files.scan)
    grep = process(["grep", "-rl", "--include=*.jsonl", word, str(root)], max(3, repeat // 2))
    whole, single = _refresh_after_append(store, repeat)
    table(
        "in process",
        [
            ("list, store (refresh, then the catalog)", lst, "target 30 ms"),
            ("list, store, after a full look at every file", lst_full, ""),
            ("list, catalog alone", lst_cat, ""),
            ("list and read every session, store", lst_all, ""),
            ("list, baseline: read + decode every file", base, ""),
            ("latest, store", latest, ""),
            ("latest, catalog alone", latest_cat, ""),
            (f"search {word!r}, store (20 best)", srch, "target 20 ms"),
            (f"search {word!r}, catalog alone", srch_cat, ""),
            ("refresh after one append, whole store", whole, "target 5 ms"),
            ("refresh after one append, that session", single, "target 5 ms"),
            ("(the refresh's look: stat every session file)", scan, ""),
            (f"grep -rl {word!r} (a process)", grep, ""),
        ],
    )
    total_hits = len(store.search(word, limit=100_000))
    best = hits[0].snippet[:70] if hits else "-"
    print(f"\nsearch hits: {len(hits)} shown of {total_hits}; best: {best}")
    print(f"list vs baseline: {ratio(base, lst)} (store), {ratio(base, lst_cat)} (catalog alone)")
    print(f"search vs grep -rl: {ratio(grep, srch)} (store), {ratio(grep, srch_cat)} (catalog)")

    sesslog = [sys.executable, "-m", "sesslog"]
    env = {**os.environ, "SESSLOG_ROOT": str(root)}
    ls_proc = process([*sesslog, "ls", "--json"], max(3, repeat // 2), env)
    base_proc = process([sys.executable, __file__, "--baseline-list", str(root)], 2)
    search_proc = process([*sesslog, "search", word, "--json"], max(3, repeat // 2), env)
    startup = process([sys.executable, "-c", "import sesslog.cli.store, sesslog.store"], 3)
    before: list[tuple[str, Timing, str]] = []
    if args.before:  # run in the other checkout: its sesslog is first on the path
        there = args.before.resolve()
        other = {**env, "PYTHONPATH": str(there)}
        before = [
            (
                "sesslog ls --json, --before checkout",
                process([*sesslog, "ls", "--json"], 4, other, there),
                "",
            ),
            (
                "sesslog search WORD --json, --before checkout",
                process([*sesslog, "search", word, "--json"], 4, other, there),
                "",
            ),
        ]
    table(
        "whole process",
        [
            ("sesslog ls --json", ls_proc, ""),
            ("baseline list (read + decode every file)", base_proc, ""),
            ("sesslog search WORD --json", search_proc, ""),
            ("grep -rl WORD", grep, ""),
            *before,
            ("(python -c 'import sesslog.cli.store, sesslog.store')", startup, ""),
        ],
    )
    print(f"ls vs baseline: {ratio(base_proc, ls_proc)} (target 20x)")
    print(f"search vs grep -rl: {ratio(grep, search_proc)} (target 3x)")
    if before:
        print(f"--before: ls vs baseline {ratio(base_proc, before[0][1])}")
        print(f"--before: search vs grep -rl {ratio(grep, before[1][1])}")
    store.close()
    return 0


def _latest() -> Any:
    from sesslog.catalog import ListQuery

    return ListQuery(limit=1)


def _query(word: str) -> Any:
    from sesslog.catalog import SearchQuery

    return SearchQuery(text=word)


def _refresh_after_append(store: SessionStore, repeat: int) -> tuple[Timing, Timing]:
    """Append one entry to one session (as an agent would), then time the refresh: of the
    whole store (every file looked at) or of that session alone."""
    infos = store.list(order="bytes", limit=repeat * 2, offset=len(store.list()) // 2)
    results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for n, info in enumerate(infos):
        session = store.open(info.key)
        session.append_user_message(f"one more question, number {n}")
        session.close()
        gc.collect()
        one = bool(n % 2)
        cpu, start = time.process_time(), time.perf_counter()
        report = store.catalog.refresh([info.key]) if one else store.refresh()
        results[one].append((time.perf_counter() - start, time.process_time() - cpu))
        assert report.caught_up == 1, report
    whole, single = ([w for w, _ in results[k]] for k in (False, True))
    return (
        Timing(
            statistics.median(whole), min(whole), statistics.median(c for _, c in results[False])
        ),
        Timing(
            statistics.median(single), min(single), statistics.median(c for _, c in results[True])
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
