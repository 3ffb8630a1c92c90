"""Where the time of ``sesslog context --json`` and ``sesslog tree --json`` goes.

For each session (the generated 10k and 100k files of ``bench_read.py``) and command it
measures, as medians of ``--repeat`` runs:

* **whole process**: the command's wall time, and the time from the end of ``main()`` (output
  written and flushed) to the process's exit: the **teardown** (freeing every object);
* **interpreter start**: ``python -c pass``;
* **imports**: ``python -X importtime`` of the command, each module's own time, grouped
  (msgspec, ``importlib.metadata`` and what it pulls in, argparse, the sesslog layers, ...);
* **steps in process**, in the order the command runs them: the ``/proc/locks`` probe
  (``writer_active``), reading the file, the envelope decode (``decode_lines`` of every entry
  line into ``Record`` envelopes), the framing loop (finding each line's end, building each
  ``Record`` that points into the file's bytes) with the header decode, the rest of the read (header and id checks),
  the tree index (``SessionTree``), the rest of ``Session.open``, then ``context()`` or
  ``tree.nodes()``, the JSON output (``Output.json``, msgspec, to ``/dev/null``) and freeing
  the session and output when the command's handler returns (inside ``main()``, before the
  teardown);
* optionally (``--pyinstrument``) a pyinstrument profile of the in-process work, and
  (``--py-spy``) a py-spy flame of the whole process written as collapsed stacks.

The step timings call sesslog's read functions one by one as ``Session.open`` does; where an
internal name they use has changed, that step is reported as missing rather than guessed.

Usage::

    python benchmarks/profile_read.py                      # 10k and 100k
    python benchmarks/profile_read.py --sizes 10k --repeat 9 --pyinstrument --py-spy
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from bench_read import SIZES, session_file  # noqa: E402

DATA = REPO / "benchmarks" / "data"
SESSLOG = Path(sys.executable).with_name("sesslog")

#: Runs the command line and prints, on stderr, the wall clock when main() returned.
WRAPPER = """\
import sys, time
from sesslog.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write(f"\\nMAIN_RETURNED {time.time():.6f}\\n")
sys.exit(code)
"""

#: Import groups: a module's own import time counts for the group of its nearest importer (or
#: itself) whose name matches; the rest is "other" (site, encodings, stdlib the script needs).
GROUPS = (
    ("msgspec", r"^msgspec"),
    ("importlib.metadata (version string)", r"^importlib\.metadata"),
    ("argparse", r"^(argparse|gettext)$"),
    ("sesslog.cli", r"^sesslog\.cli"),
    ("sesslog.write", r"^sesslog\.write"),
    ("sesslog.v2", r"^sesslog\.v2"),
    ("sesslog.backends", r"^sesslog\.backends"),
    ("sesslog.format", r"^sesslog\.format"),
    ("sesslog.tree", r"^sesslog\.tree"),
    ("sesslog.render", r"^sesslog\.render"),
    ("sesslog (package, session, errors)", r"^sesslog"),
)


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1e3


def whole_process(argv: list[str], repeat: int) -> dict[str, float]:
    """Median wall time of the command and of its teardown (ms)."""
    walls, teardowns = [], []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
        ended_wall = time.time()
        wall = time.perf_counter() - start
        returned = float(re.findall(r"MAIN_RETURNED (\S+)", done.stderr)[-1])
        walls.append(wall)
        teardowns.append(ended_wall - returned)
    return {"wall": median_ms(walls[1:]), "teardown": median_ms(teardowns[1:])}


def interpreter_start(repeat: int) -> float:
    runs = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        runs.append(time.perf_counter() - start)
    return median_ms(runs[1:])


def _group(name: str) -> str | None:
    return next((g for g, pattern in GROUPS if re.match(pattern, name)), None)


def import_groups(report: str) -> tuple[dict[str, float], dict[str, float]]:
    """Own import time per group and per module (ms) from one ``-X importtime`` report.

    The report lists each module after the modules it imported, indented one step deeper; a
    module's own time goes to the group of the nearest module above it (or itself) that
    names a group."""
    rows = []
    for row in report.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", row)
        if match:
            rows.append((len(match.group(3)), match.group(4), int(match.group(1)) / 1e3))
    parent: dict[int, int] = {}
    pending: list[int] = []
    for index, (depth, _, _) in enumerate(rows):
        while pending and rows[pending[-1]][0] > depth:
            parent[pending.pop()] = index
        pending.append(index)
    groups: dict[str, float] = defaultdict(float)
    modules: dict[str, float] = {}
    for index, (_, name, own) in enumerate(rows):
        group, at = _group(name), index
        while group is None and at in parent:
            at = parent[at]
            group = _group(rows[at][1])
        groups[group or "other (site, encodings, stdlib)"] += own
        groups["all imports"] += own
        modules[name] = own
    return groups, modules


def imports(argv: list[str], repeat: int) -> tuple[dict[str, float], list[tuple[float, str]]]:
    """Median own import time per group and the slowest modules (ms), from -X importtime."""
    per_run: list[dict[str, float]] = []
    modules: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", str(SESSLOG), *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
        groups, own = import_groups(done.stderr)
        per_run.append(groups)
        for name, ms in own.items():
            modules[name].append(ms)
    names = {g for run in per_run for g in run}
    medians = {g: statistics.median(run.get(g, 0.0) for run in per_run) for g in names}
    slowest = sorted(((statistics.median(v), name) for name, v in modules.items()), reverse=True)[
        :15
    ]
    return dict(sorted(medians.items(), key=lambda kv: -kv[1])), slowest


def timed(work: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = work(*args, **kwargs)
    return time.perf_counter() - start, value


def one_run(path: Path, command: str, sink: Any) -> dict[str, float]:
    """Each step of one run of the command, in this process (seconds)."""
    import msgspec

    from sesslog import Session
    from sesslog.backends.locks import writer_active
    from sesslog.cli.output import Output
    from sesslog.format import reader, records
    from sesslog.format.reader import ReadMode, read_bytes
    from sesslog.tree.index import SessionTree

    decoder = getattr(records, "ENVELOPE_DECODER", None)
    read_fast = getattr(reader, "_read_fast", None)
    run: dict[str, float] = {}
    gc.collect()
    run["lock probe (only for an unterminated last line)"], _ = timed(writer_active, path)
    run["read the file"], data = timed(path.read_bytes)
    decode, framing = "envelope decode (decode_lines)", "framing loop + header"
    if decoder is not None and read_fast is not None:
        body = memoryview(data)[data.find(b"\n") + 1 :]
        run[decode], envelopes = timed(decoder.decode_lines, body)
        del envelopes, body
        gc.collect()
        fast, _ = timed(read_fast, data)
        run[framing] = fast - run[decode]
        gc.collect()
    total_read, loaded = timed(read_bytes, data, ReadMode.TOLERANT)
    run["rest of the read"] = total_read - run.get(decode, 0) - run.get(framing, 0)
    run["tree index (SessionTree)"], tree = timed(SessionTree, loaded.records, loaded.diagnostics)
    del tree
    gc.collect()
    run["(ids only: SessionTree deferred, as a read opens it)"], tree = timed(
        SessionTree, loaded.records, loaded.diagnostics, deferred=True
    )
    del tree, loaded, data
    gc.collect()
    open_total, session = timed(Session.open, path, read_only=True)
    run["rest of Session.open"] = open_total - sum(run.values())
    value: Any
    if command == "context":
        run["context()"], context = timed(session.context)
        value = context.to_json()
        del context
    else:
        run["tree.nodes()"], nodes = timed(session.tree.nodes)
        value = {
            "leafId": session.tree.leaf_id,
            "path": session.tree.path_ids(),
            "nodes": nodes,
            "name": session.tree.name,
            "labels": session.tree.labels,
        }
        del nodes
    out = Output(json_mode=True, color=False, stdout=sink)
    run["JSON output to /dev/null (Output.json: msgspec)"], _ = timed(out.json, value)
    run["(msgspec.json.encode alone)"], _ = timed(msgspec.json.encode, value)
    held = [session, value]  # what the command's frame holds when it returns
    del session, value
    run["free the session (the handler returns)"], _ = timed(held.clear)
    return run


def steps(path: Path, command: str, repeat: int) -> dict[str, float]:
    """Median time of each step of the command, run in this process (ms)."""
    runs: dict[str, list[float]] = defaultdict(list)
    with open(os.devnull, "w") as sink:
        for _ in range(repeat + 1):
            for name, seconds in one_run(path, command, sink).items():
                runs[name].append(seconds)
    return {name: median_ms(values[1:]) for name, values in runs.items()}


def profile(path: Path, command: str) -> None:
    from pyinstrument import Profiler

    from sesslog import Session
    from sesslog.format.codec import dumps_json

    profiler = Profiler(interval=0.0002)
    profiler.start()
    session = Session.open(path, read_only=True)
    if command == "context":
        dumps_json(session.context().to_json())
    else:
        dumps_json(session.tree.nodes())
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def py_spy(argv: list[str], out: Path) -> None:
    spy = Path(sys.executable).with_name("py-spy")
    subprocess.run(
        [str(spy), "record", "--rate", "2000", "--format", "raw", "--output", str(out), "--",
         sys.executable, str(SESSLOG), *argv],
        stdout=subprocess.DEVNULL,
        check=True,
    )  # fmt: skip
    totals: dict[str, int] = defaultdict(int)
    for row in out.read_text().splitlines():
        stack, _, samples = row.rpartition(" ")
        leaf = stack.split(";")[-1] if stack else "?"
        totals[leaf] += int(samples)
    whole = sum(totals.values()) or 1
    print(f"  py-spy: {whole} samples; own time by function (top 12), stacks in {out}:")
    for leaf, count in sorted(totals.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {count / whole:6.1%}  {leaf}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k", help="sizes (default: 10k,100k)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--pyinstrument", action="store_true", help="profile in process too")
    parser.add_argument("--py-spy", action="store_true", help="sample the whole process too")
    args = parser.parse_args(argv)
    start_ms = interpreter_start(args.repeat)
    print(f"interpreter start (python -c pass): {start_ms:.1f} ms; load {os.getloadavg()}")
    for name in args.sizes.split(","):
        path = session_file(name, SIZES[name], DATA)
        for command in ("context", "tree"):
            cli = [command, str(path), "--json"]
            whole = whole_process(cli, args.repeat)
            groups, slowest = imports(cli, args.repeat)
            inner = steps(path, command, args.repeat)
            print(f"\n{name} `sesslog {command} --json`: whole process {whole['wall']:.1f} ms")
            print(f"  {'interpreter start':44s}{start_ms:8.1f} ms")
            print(f"  {'imports (own time, all modules)':44s}{groups['all imports']:8.1f} ms")
            for group, ms in groups.items():
                if group != "all imports" and ms >= 0.5:
                    print(f"    {group:42s}{ms:8.1f} ms")
            for step, ms in inner.items():
                print(f"  {step:44s}{ms:8.1f} ms")
            print(f"  {'teardown (main() returned -> exit)':44s}{whole['teardown']:8.1f} ms")
            counted = (
                start_ms
                + groups["all imports"]
                + sum(v for k, v in inner.items() if not k.startswith("("))
                + whole["teardown"]
            )
            print(f"  {'sum of the above':44s}{counted:8.1f} ms")
            print("  slowest imports (own ms): " + ", ".join(f"{n} {ms:.1f}" for ms, n in slowest))
            if args.pyinstrument:
                profile(path, command)
            if args.py_spy:
                py_spy(cli, DATA / f"py-spy-{name}-{command}.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
