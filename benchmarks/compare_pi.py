"""Read and append speed of sesslog side by side with pi, the TypeScript original.

For generated sessions of 1k, 10k and 100k entries (about 1 KB a line of realistic text, a
branch every 400 entries, a compaction every 600, a label every 250; cached in
``benchmarks/data/``) it measures, in one run, alternating which side runs first:

* **whole process** (median wall time of each command, output to /dev/null):
  ``sesslog context FILE --json``, ``sesslog tree FILE --json`` and ``sesslog info FILE``
  against pi doing the same work in ``node`` (``fixtures/pi_node/work.mjs``):
  ``SessionManager.open`` + ``buildSessionContext`` + ``getTree`` for ``context`` (how pi's
  figures in the issue were measured; a second row drops ``getTree``), ``open`` + ``getTree``
  for ``tree``, ``open`` + ``getTree`` and the same counts as ``sesslog info`` for ``info``;
* **the floor**: ``python -c`` that imports msgspec, reads the file and decodes only each line's
  ``type``, ``id`` and ``parentId`` (``Decoder(Envelope).decode_lines``): what no Python reader
  of the file can go below;
* **in process** (interpreter or node start and module loading excluded, median of runs with
  a collection before each): ``Session.open`` + ``context()`` / ``tree.nodes()`` against
  ``SessionManager.open`` + ``buildSessionContext`` / ``getTree``;
* **peak memory** (``ru_maxrss`` of each child process) of the context commands;
* **a fresh V2 sidecar** at the largest size: ``sesslog migrate`` on a copy, then
  ``sesslog context --json`` (whole process and in process);
* **appends**: sesslog's throughput mode (``Session.append_user_message``) against pi's
  ``SessionManager.appendMessage`` (``appendFileSync``, no fsync), 900-character messages;
* **start-up**: ``python -c pass``, ``import sesslog``, ``sesslog --version``, ``node -e 0``,
  and the time ``import sesslog`` takes in process once the interpreter has started.

Against pi 0.58.3 (the version of the issue's figures) and the newest pi on the npm registry,
installed once into a cache by ``fixtures/pi_node.py``. It prints Markdown tables and writes
them with every measurement to ``benchmarks/data/compare_pi.md`` and ``compare_pi.json``. Each
answer is checked once (pi's context and tree must equal sesslog's): a difference is an error
(exit 1). Speed never fails the run. Without ``node`` or ``npm`` it says so and exits 0.

Usage::

    python benchmarks/compare_pi.py            # 1k, 10k, 100k; targets checked
    python benchmarks/compare_pi.py --quick    # 1k only, a few repeats, no targets (make test)
    python benchmarks/compare_pi.py --repeat 9 --sizes 10k,100k --versions 0.58.3
"""

from __future__ import annotations

import argparse
import compileall
import gc
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks" / "data"
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
APPEND_CHARS = 900

#: The floor: interpreter + msgspec + read + decoding each line's type, id and parentId only.
FLOOR = """\
import sys
import msgspec
class Envelope(msgspec.Struct):
    type: str
    id: str | None = None
    parentId: str | None = None
with open(sys.argv[1], "rb") as file:
    data = file.read()
print(len(msgspec.json.Decoder(Envelope).decode_lines(data)))
"""

#: Prints the milliseconds ``import sesslog`` takes once the interpreter has started.
IMPORT_TIMED = """\
import time
start = time.perf_counter()
import sesslog
print((time.perf_counter() - start) * 1e3)
"""

#: Targets of issue 14 (checked outside --quick): (what, ratio needed, how it is compared).
TARGETS = (
    ("context vs pi 0.58.3 at 10k", 3.0, ">="),
    ("context vs pi 0.58.3 at 100k", 6.0, ">="),
    ("context with a fresh sidecar vs pi 0.58.3 at 100k", 15.0, ">="),
    ("tree vs pi 0.58.3 at 100k", 4.0, ">="),
    ("context / floor at 10k", 1.6, "<="),
    ("context / floor at 100k", 1.6, "<="),
    ("context peak RSS / file size at 100k", 1.5, "<="),
    ("sidecar context peak RSS / file size at 100k", 0.3, "<="),
    ("appends vs pi 0.58.3", 3.0, ">="),
    ("`import sesslog` in process, ms", 25.0, "<="),
    ("`sesslog --version` whole process, ms", 40.0, "<="),
)


# --------------------------------------------------------------------------- children


def child_inprocess(path: str, repeat: int, clock_name: str, sidecar: bool = False) -> None:
    """Time sesslog's read steps in this process (imports done first, not timed) on the
    ``wall`` clock or the process's ``cpu`` time. With ``sidecar``, the context at the leaf is
    also timed as ``sesslog context`` builds it (from the end of the path, as a fresh sidecar
    gives it)."""
    import msgspec

    from sesslog import Session
    from sesslog.cli.core import _leaf_context
    from sesslog.cli.inputs import open_session
    from sesslog.cli.output import Output

    class Envelope(msgspec.Struct):
        type: str
        id: str | None = None
        parentId: str | None = None

    floor_decoder = msgspec.json.Decoder(Envelope)
    clock = time.process_time if clock_name == "cpu" else time.perf_counter
    runs = []
    for _ in range(repeat):
        gc.collect()
        t0 = clock()
        session = Session.open(path, read_only=True, map_file=True)  # as the commands read
        t1 = clock()
        context = session.context()
        t2 = clock()
        session.tree.nodes()
        t3 = clock()
        Output(json_mode=True, color=False, stdout=io.StringIO()).json(context.to_json())
        t4 = clock()
        del session, context
        gc.collect()
        t5 = clock()
        with open(path, "rb") as file:
            floor_decoder.decode_lines(file.read())
        t6 = clock()
        if sidecar:
            gc.collect()
            t7 = clock()
            _leaf_context(lambda scope: open_session(path, "tolerant", scope=scope))
            leaf = (clock() - t7) * 1e3
        runs.append(
            {
                "open": (t1 - t0) * 1e3,
                "context": (t2 - t1) * 1e3,
                "nodes": (t3 - t2) * 1e3,
                "output": (t4 - t3) * 1e3,
                "floor": (t6 - t5) * 1e3,
                **({"leafContext": leaf} if sidecar else {}),
            }
        )
    store = Session.open(path, read_only=True).store_kind.value
    print(json.dumps({"runs": runs, "store": store}))


def child_append(folder: str, count: int, chars: int) -> None:
    """Append ``count`` user messages in throughput mode; print the rate."""
    from sesslog import Session

    text = "x" * chars
    path = Path(folder) / "sesslog-append.jsonl"
    # the sidecar a closing writer builds in the background is not part of an append, and
    # its process would load the machine during the next measurements
    os.environ["SESSLOG_AUTO_SIDECAR"] = "0"
    session = Session.create(path=path, cwd="/home/dev/app", durability="throughput")
    append = session.append_user_message
    start = time.perf_counter()
    for _ in range(count):
        append(text)
    returned = time.perf_counter() - start
    session.close()
    closed = time.perf_counter() - start
    size = path.stat().st_size
    path.unlink()
    print(json.dumps({"count": count, "seconds": returned, "closed": closed, "bytes": size}))


# --------------------------------------------------------------------------- measuring

#: One run of a command: wall seconds, peak RSS in MiB, CPU seconds.
Run = tuple[float, float, float]


def run_once(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run a command to the end: (wall seconds, peak RSS in MiB, CPU seconds: user + system).
    Raises on a failure."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {done.stderr.strip()}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def output_of(argv: list[str], env: dict[str, str] | None = None) -> Any:
    """The JSON a command prints (raises on a failure)."""
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return json.loads(done.stdout.splitlines()[-1])


def interleaved(
    groups: list[dict[str, list[str]]], envs: dict[str, dict[str, str] | None], repeat: int
) -> dict[str, list[Run]]:
    """Run every command of every group ``repeat`` times (after one untimed warm-up each),
    reversing each group's order every other round so that no side always runs first."""
    runs: dict[str, list[Run]] = {}
    for group in groups:
        for label, argv in group.items():
            run_once(argv, envs.get(label))
    for round_ in range(repeat):
        for group in groups:
            labels = list(group) if round_ % 2 == 0 else list(reversed(group))
            for label in labels:
                runs.setdefault(label, []).append(run_once(group[label], envs.get(label)))
    return runs


def median_ms(runs: list[Run], clock: str = "wall") -> float:
    """Median time of the runs on the wall clock or as CPU time (ms)."""
    index = 2 if clock == "cpu" else 0
    return statistics.median(r[index] for r in runs) * 1e3


#: Runs a command and prints its peak RSS in KiB. On Linux a child's ``ru_maxrss`` starts at its
#: parent's RSS when forked and keeps it across ``exec``: a command started by this (large)
#: process would report at least this process's size. Started from this small interpreter, it
#: reports its own.
PEAK = """\
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(usage.ru_maxrss if os.waitstatus_to_exitcode(status) == 0 else -1)
"""


def measured_peak(argv: list[str], env: dict[str, str] | None = None) -> float:
    """Peak RSS (MiB) of one run of ``argv``, measured from a small launcher (see PEAK)."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *argv], capture_output=True, text=True, env=env, check=True
    )
    kib = int(done.stdout.strip())
    if kib < 0:
        raise RuntimeError(f"{' '.join(argv)} failed")
    return kib / 1024


def step_medians(
    runs: list[dict[str, float]], steps: dict[str, tuple[str, ...]]
) -> dict[str, float]:
    """Median over runs of the sum of each named group of steps (ms)."""
    return {
        name: statistics.median(sum(run[p] for p in parts) for run in runs)
        for name, parts in steps.items()
    }


# --------------------------------------------------------------------------- the comparison


class Comparison:
    """One run: the commands, the measurements and the errors found."""

    def __init__(self, args: argparse.Namespace, pis: list[Any], scratch: Path) -> None:
        self.args = args
        self.pis = pis
        self.scratch = scratch
        self.pi_env = pis[0].env(scratch)
        self.errors: list[str] = []
        self.results: dict[str, Any] = {"sizes": {}}
        script = Path(sys.executable).with_name("sesslog")
        self.sesslog = [str(script)] if script.exists() else [sys.executable, "-m", "sesslog"]

    def pi_label(self, pi: Any) -> str:
        return f"pi {pi.version}"

    def check(self, what: str, ours: Any, theirs: Any) -> None:
        if ours != theirs:
            self.errors.append(f"{what}: pi's answer differs from sesslog's")

    def check_answers(self, name: str, path: Path) -> None:
        """pi's context and tree must equal sesslog's (else the timings compare other work)."""
        context = output_of([*self.sesslog, "context", str(path), "--json"])
        tree = output_of([*self.sesslog, "tree", str(path), "--json"])
        for pi in self.pis:
            label = f"{name} {self.pi_label(pi)}"
            for mode in ("context", "context-only"):
                self.check(
                    f"{label} {mode}",
                    context,
                    output_of(pi.command("work.mjs", mode, path), self.pi_env),
                )
            theirs = output_of(pi.command("work.mjs", "tree", path), self.pi_env)
            for key in ("leafId", "path", "nodes", "labels"):
                self.check(f"{label} tree {key}", tree[key], theirs[key])

    def whole_process(self, name: str, path: Path) -> dict[str, Any]:
        s = self.sesslog
        groups: list[dict[str, list[str]]] = []
        for command, sesslog_argv, pi_modes in (
            ("context", [*s, "context", str(path), "--json"], ("context", "context-only")),
            ("tree", [*s, "tree", str(path), "--json"], ("tree",)),
            ("info", [*s, "info", str(path)], ("info",)),
        ):
            group = {f"sesslog {command}": sesslog_argv}
            for pi in self.pis:
                for mode in pi_modes:
                    group[f"{self.pi_label(pi)} {mode}"] = pi.command("work.mjs", mode, path)
            groups.append(group)
        groups.append({"floor": [sys.executable, "-c", FLOOR, str(path)]})
        envs = {label: self.pi_env for g in groups for label in g if label.startswith("pi ")}
        runs = interleaved(groups, envs, self.args.repeat)
        argvs = {label: argv for group in groups for label, argv in group.items()}
        return {
            label: {
                "ms": median_ms(r, self.args.clock),
                "peakMiB": measured_peak(argvs[label], envs.get(label)),
                "runs": r,
            }
            for label, r in runs.items()
        }

    def in_process(self, path: Path) -> dict[str, Any]:
        ours: list[dict[str, float]] = []
        theirs: dict[str, list[dict[str, float]]] = {self.pi_label(pi): [] for pi in self.pis}
        loads: dict[str, float] = {}
        inner = max(1, self.args.inner)
        for round_ in range(2):
            sides: list[Callable[[], None]] = [
                lambda: ours.extend(self.sesslog_in_process(path, inner)["runs"])
            ]
            for pi in self.pis:

                def pi_side(pi: Any = pi) -> None:
                    answer = pi.bench_read(path, inner, self.args.clock)
                    theirs[self.pi_label(pi)].extend(answer["runs"])
                    loads[self.pi_label(pi)] = answer["loadMs"]

                sides.append(pi_side)
            for side in sides if round_ == 0 else reversed(sides):
                side()
        result: dict[str, Any] = {
            "sesslog": step_medians(
                ours,
                {
                    "context": ("open", "context"),
                    "tree": ("open", "nodes"),
                    "open": ("open",),
                    "output": ("output",),
                    "floor": ("floor",),
                },
            )
        }
        for label, runs in theirs.items():
            result[label] = step_medians(
                runs,
                {
                    "context": ("open", "context", "tree"),
                    "context-only": ("open", "context"),
                    "tree": ("open", "tree"),
                    "open": ("open",),
                    "output": ("output",),
                },
            )
            result[label]["load"] = loads[label]
        return result

    def sesslog_in_process(self, path: Path, repeat: int, sidecar: bool = False) -> dict[str, Any]:
        argv = [sys.executable, __file__, "--child", "inprocess", str(path), str(repeat)]
        argv.append(self.args.clock)
        if sidecar:
            argv.append("sidecar")
        answer: dict[str, Any] = output_of(argv)
        return answer

    def sidecar(self, name: str, path: Path) -> dict[str, Any]:
        """Migrate a copy of ``path``, then time its context whole-process and in process."""
        copy = path.with_name(f"{name}-sidecar.jsonl")
        for old in path.parent.glob(f"{name}-sidecar*"):  # the copy, its sidecar and ledger
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
        shutil.copyfile(path, copy)
        migrate = run_once([*self.sesslog, "migrate", str(copy)])
        self.check(
            f"{name} sidecar context",
            output_of([*self.sesslog, "context", str(path), "--json"]),
            output_of([*self.sesslog, "context", str(copy), "--json"]),
        )
        group = {"sesslog context (sidecar)": [*self.sesslog, "context", str(copy), "--json"]}
        for pi in self.pis:
            group[f"{self.pi_label(pi)} context"] = pi.command("work.mjs", "context", copy)
        envs = {label: self.pi_env for label in group if label.startswith("pi ")}
        runs = interleaved([group], envs, self.args.repeat)
        inner = self.sesslog_in_process(copy, max(1, self.args.inner), sidecar=True)
        if inner["store"] != "v2_sidecar":
            self.errors.append(f"{name} sidecar: the context was read from {inner['store']}")
        return {
            "migrateSeconds": migrate[0],
            "wholeProcess": {
                label: {
                    "ms": median_ms(r, self.args.clock),
                    "peakMiB": measured_peak(group[label], envs.get(label)),
                }
                for label, r in runs.items()
            },
            "inProcess": step_medians(
                inner["runs"], {"context": ("open", "context"), "leafContext": ("leafContext",)}
            ),
        }

    def appends(self) -> dict[str, Any]:
        count = self.args.appends
        rates: dict[str, list[float]] = {"sesslog": [], **{self.pi_label(p): [] for p in self.pis}}
        closed: list[float] = []
        folder = self.scratch / "appends"
        folder.mkdir(exist_ok=True)
        for round_ in range(self.args.repeat):
            sides: list[Callable[[], None]] = []

            def ours() -> None:
                argv = [sys.executable, __file__, "--child", "append", str(folder), str(count)]
                answer = output_of([*argv, str(APPEND_CHARS)])
                rates["sesslog"].append(count / answer["seconds"])
                closed.append(count / answer["closed"])

            sides.append(ours)
            for pi in self.pis:

                def theirs(pi: Any = pi) -> None:
                    answer = pi.bench_append(folder, count, APPEND_CHARS)
                    rates[self.pi_label(pi)].append(answer["rate"])

                sides.append(theirs)
            for side in sides if round_ % 2 == 0 else reversed(sides):
                side()
        result = {label: statistics.median(r) for label, r in rates.items()}
        result["sesslog +close"] = statistics.median(closed)
        return {"count": count, "chars": APPEND_CHARS, "rate": result}

    def startup(self) -> dict[str, float]:
        groups = [
            {
                "python -c pass": [sys.executable, "-c", "pass"],
                "import sesslog": [sys.executable, "-c", "import sesslog"],
                "sesslog --version": [*self.sesslog, "--version"],
                "node -e 0": ["node", "-e", "0"],
            }
        ]
        count = 3 if self.args.quick else max(5, self.args.repeat)
        runs = interleaved(groups, {}, count)
        result = {label: median_ms(r, self.args.clock) for label, r in runs.items()}
        # The import's own cost, without the interpreter's start (what the target bounds).
        timed = [
            float(subprocess.run([sys.executable, "-c", IMPORT_TIMED], capture_output=True,
                                 text=True, check=True).stdout)
            for _ in range(count)
        ]  # fmt: skip
        result["import sesslog, in process"] = statistics.median(timed)
        return result

    def run(self) -> None:
        from fixtures.pi_node import PACKAGE

        sys.path.insert(0, str(Path(__file__).parent))
        from bench_read import session_file

        self.results["pi"] = {self.pi_label(pi): str(pi.package_dir) for pi in self.pis}
        self.results["package"] = PACKAGE
        names = self.args.sizes
        for name in names:
            path = session_file(name, SIZES[name], DATA)
            if path.with_suffix(".v2").exists():
                raise SystemExit(f"{path.with_suffix('.v2')}: a sidecar beside a JSONL-only input")
            print(f"[{name}] checking answers, then timing ...", file=sys.stderr, flush=True)
            self.check_answers(name, path)
            entry: dict[str, Any] = {
                "entries": SIZES[name],
                "bytes": path.stat().st_size,
                "wholeProcess": self.whole_process(name, path),
                "inProcess": self.in_process(path),
            }
            if name == names[-1]:
                entry["sidecar"] = self.sidecar(name, path)
            self.results["sizes"][name] = entry
        print("[appends, start-up] ...", file=sys.stderr, flush=True)
        self.results["appends"] = self.appends()
        self.results["startup"] = self.startup()
        self.results["errors"] = self.errors


# --------------------------------------------------------------------------- reporting


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def markdown(results: dict[str, Any], pis: list[str], quick: bool) -> str:
    """The tables of one run."""
    out: list[str] = []
    head = "| entries | MB | command | sesslog ms |" + "".join(
        f" {p} ms | {p} / sesslog |" for p in pis
    )
    rule = "|---" * (4 + 2 * len(pis)) + "|"
    clock = "CPU ms (user + system)" if results.get("clock") == "cpu" else "ms (wall)"
    out += [f"Whole process, median {clock} (ratio = pi / sesslog, higher is better for sesslog):"]
    out += [""]
    out += [head, rule]
    rows = (
        ("`context --json`", "sesslog context", "context"),
        ("`context --json` (pi without getTree)", "sesslog context", "context-only"),
        ("`tree --json`", "sesslog tree", "tree"),
        ("`info`", "sesslog info", "info"),
    )
    for name, entry in results["sizes"].items():
        runs = entry["wholeProcess"]
        mb = entry["bytes"] / 1e6
        for title, ours_label, mode in rows:
            ours = runs[ours_label]["ms"]
            cells = "".join(
                f" {runs[f'{p} {mode}']['ms']:.0f} | {ratio(runs[f'{p} {mode}']['ms'], ours)} |"
                for p in pis
            )
            out.append(f"| {name} | {mb:.1f} | {title} | {ours:.0f} |{cells}")
        if "sidecar" in entry:
            side = entry["sidecar"]["wholeProcess"]
            ours = side["sesslog context (sidecar)"]["ms"]
            cells = "".join(
                f" {side[f'{p} context']['ms']:.0f} | {ratio(side[f'{p} context']['ms'], ours)} |"
                for p in pis
            )
            out.append(
                f"| {name} | {mb:.1f} | `context --json`, fresh V2 sidecar | {ours:.0f} |{cells}"
            )
    out += [
        "",
        f"The floor (interpreter + msgspec + read + decode of type/id/parentId only), whole process, {clock}:",
        "",
    ]
    out += [
        "| entries | floor ms | context / floor | tree / floor | info / floor |",
        "|---|---|---|---|---|",
    ]
    for name, entry in results["sizes"].items():
        runs = entry["wholeProcess"]
        floor = runs["floor"]["ms"]
        out.append(
            f"| {name} | {floor:.0f} | {ratio(runs['sesslog context']['ms'], floor)} | "
            f"{ratio(runs['sesslog tree']['ms'], floor)} | {ratio(runs['sesslog info']['ms'], floor)} |"
        )
    out += ["", f"In process (start and module loading excluded), median {clock}:", ""]
    head = "| entries | work | sesslog ms |" + "".join(f" {p} ms | {p} / sesslog |" for p in pis)
    out += [head, "|---" * (3 + 2 * len(pis)) + "|"]
    for name, entry in results["sizes"].items():
        inner = entry["inProcess"]
        ours = inner["sesslog"]
        for title, key, pi_key in (
            ("context (pi: open + context + getTree)", "context", "context"),
            ("context (pi: open + context)", "context", "context-only"),
            ("tree (sesslog nodes(); pi getTree)", "tree", "tree"),
            ("open alone", "open", "open"),
            ("context JSON output", "output", "output"),
        ):
            cells = "".join(
                f" {inner[p][pi_key]:.1f} | {ratio(inner[p][pi_key], ours[key])} |" for p in pis
            )
            out.append(f"| {name} | {title} | {ours[key]:.1f} |{cells}")
        out.append(
            f"| {name} | floor (read + envelope decode); context / floor | {ours['floor']:.1f} | "
            + " | ".join(
                [ratio(ours["context"], ours["floor"])] + ["" for _ in range(2 * len(pis) - 1)]
            )
            + " |"
        )
        if "sidecar" in entry:
            side = entry["sidecar"]["inProcess"]["context"]
            cells = "".join(
                f" {inner[p]['context']:.1f} | {ratio(inner[p]['context'], side)} |" for p in pis
            )
            out.append(
                f"| {name} | context from a fresh V2 sidecar (full open) | {side:.1f} |{cells}"
            )
            leaf = entry["sidecar"]["inProcess"].get("leafContext")
            if leaf is not None:
                cells = "".join(
                    f" {inner[p]['context']:.1f} | {ratio(inner[p]['context'], leaf)} |"
                    for p in pis
                )
                out.append(
                    f"| {name} | context at the leaf from a fresh V2 sidecar (as `sesslog "
                    f"context`: the end of the path) | {leaf:.1f} |{cells}"
                )
    out += ["", "Peak memory (ru_maxrss, MiB) of the context commands:", ""]
    head = "| entries | file MB | sesslog | sesslog / file |" + "".join(f" {p} |" for p in pis)
    out += [head, "|---" * (4 + len(pis)) + "|"]
    for name, entry in results["sizes"].items():
        runs = entry["wholeProcess"]
        mib = entry["bytes"] / 2**20
        ours = runs["sesslog context"]["peakMiB"]
        cells = "".join(f" {runs[f'{p} context']['peakMiB']:.0f} |" for p in pis)
        out.append(
            f"| {name} | {entry['bytes'] / 1e6:.1f} | {ours:.0f} | {ours / mib:.2f} |{cells}"
        )
        if "sidecar" in entry:
            side = entry["sidecar"]["wholeProcess"]["sesslog context (sidecar)"]["peakMiB"]
            out.append(
                f"| {name} (sidecar) | {entry['bytes'] / 1e6:.1f} | {side:.0f} | {side / mib:.2f} |"
                + " |" * len(pis)
            )
    appends = results["appends"]
    rate = appends["rate"]
    out += [
        "",
        f"Appends ({appends['count']:,} user messages of {appends['chars']} characters), per second of wall time:",
        "",
    ]
    out += [
        "| sesslog throughput | sesslog +close |"
        + "".join(f" {p} appendMessage | sesslog / {p} |" for p in pis)
    ]
    out += ["|---" * (2 + 2 * len(pis)) + "|"]
    out.append(
        f"| {rate['sesslog']:,.0f} | {rate['sesslog +close']:,.0f} |"
        + "".join(f" {rate[p]:,.0f} | {ratio(rate['sesslog'], rate[p])} |" for p in pis)
    )
    start = results["startup"]
    out += ["", f"Start-up, whole process, median {clock}:", ""]
    out += ["| " + " | ".join(start) + " |", "|---" * len(start) + "|"]
    out += ["| " + " | ".join(f"{v:.1f}" for v in start.values()) + " |"]
    if not quick:
        out += ["", "Targets of issue 14 (against pi 0.58.3 where pi is named):", ""]
        out += ["| target | needed | measured | met |", "|---|---|---|---|"]
        for what, needed, how, measured in target_values(results):
            met = (
                "-"
                if measured is None
                else (
                    "yes" if (measured >= needed if how == ">=" else measured <= needed) else "no"
                )
            )
            shown = "-" if measured is None else f"{measured:.2f}"
            out.append(f"| {what} | {how} {needed} | {shown} | {met} |")
    if results["errors"]:
        out += ["", "Errors:", *[f"- {e}" for e in results["errors"]]]
    return "\n".join(out) + "\n"


def target_values(results: dict[str, Any]) -> list[tuple[str, float, str, float | None]]:
    """Each target with the value this run measured (``None`` where the size was not run)."""
    sizes = results["sizes"]
    pinned = "pi 0.58.3"

    def whole(size: str, ours: str, theirs: str) -> float | None:
        runs = sizes.get(size, {}).get("wholeProcess")
        if not runs or f"{pinned} {theirs}" not in runs:
            return None
        return float(runs[f"{pinned} {theirs}"]["ms"] / runs[ours]["ms"])

    def floor(size: str) -> float | None:
        runs = sizes.get(size, {}).get("wholeProcess")
        return None if not runs else float(runs["sesslog context"]["ms"] / runs["floor"]["ms"])

    def memory(size: str, sidecar: bool) -> float | None:
        entry = sizes.get(size)
        if not entry or (sidecar and "sidecar" not in entry):
            return None
        runs = entry["sidecar"]["wholeProcess"] if sidecar else entry["wholeProcess"]
        label = "sesslog context (sidecar)" if sidecar else "sesslog context"
        return float(runs[label]["peakMiB"] / (entry["bytes"] / 2**20))

    def sidecar_ratio() -> float | None:
        entry = sizes.get("100k")
        if not entry or "sidecar" not in entry:
            return None
        runs = entry["sidecar"]["wholeProcess"]
        if f"{pinned} context" not in runs:
            return None
        return float(runs[f"{pinned} context"]["ms"] / runs["sesslog context (sidecar)"]["ms"])

    rate = results["appends"]["rate"]
    values = [
        whole("10k", "sesslog context", "context"),
        whole("100k", "sesslog context", "context"),
        sidecar_ratio(),
        whole("100k", "sesslog tree", "tree"),
        floor("10k"),
        floor("100k"),
        memory("100k", False),
        memory("100k", True),
        float(rate["sesslog"] / rate[pinned]) if pinned in rate else None,
        results["startup"]["import sesslog, in process"],
        results["startup"]["sesslog --version"],
    ]
    return [(w, n, h, v) for (w, n, h), v in zip(TARGETS, values, strict=True)]


def machine() -> dict[str, Any]:
    from bench_append import machine as python_machine

    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return {"machine": python_machine(), "node": node.stdout.strip(), "loadavg": os.getloadavg()}


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k only, a few repeats, no targets")
    parser.add_argument("--sizes", help="comma-separated sizes (1k, 10k, 100k)")
    parser.add_argument("--repeat", type=int, help="whole-process runs per command")
    parser.add_argument("--inner", type=int, help="in-process runs per child (two children)")
    parser.add_argument("--appends", type=int, help="messages per append run")
    parser.add_argument(
        "--versions", default="0.58.3,latest", help="pi versions (default: 0.58.3,latest)"
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time (default) or CPU time (user + system of each process: steadier when "
        "other processes share the cores, but it adds up node's parallel GC threads)",
    )
    parser.add_argument("--out", type=Path, default=DATA, help="folder for the JSON and Markdown")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "inprocess":
            child_inprocess(rest[0], int(rest[1]), rest[2], sidecar=rest[3:] == ["sidecar"])
        else:
            child_append(rest[0], int(rest[1]), int(rest[2]))
        return 0

    sys.path.insert(0, str(REPO))
    from fixtures.pi_node import PiUnavailable, install, missing_tools

    reason = missing_tools()
    if reason:
        print(f"compare_pi: {reason}; nothing measured")
        return 0
    args.sizes = (args.sizes or ("1k" if args.quick else "1k,10k,100k")).split(",")
    args.repeat = args.repeat or (2 if args.quick else 5)
    args.inner = args.inner or (3 if args.quick else 5)
    args.appends = args.appends or (2_000 if args.quick else 20_000)
    try:
        pis = [install(spec) for spec in args.versions.split(",")]
    except PiUnavailable as exc:
        print(f"compare_pi: {exc.reason}; nothing measured")
        return 0
    labels = [f"pi {pi.version}" for pi in pis]
    # sesslog as installed: its bytecode compiled once (an editable install has none, and with
    # PYTHONDONTWRITEBYTECODE set every run would compile every module again)
    compileall.compile_dir(REPO / "sesslog", quiet=1)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="sesslog-compare-") as scratch:
        comparison = Comparison(args, pis, Path(scratch))
        comparison.run()
    results = comparison.results
    results["machine"] = machine()
    results["command"] = "python benchmarks/compare_pi.py " + " ".join(argv or sys.argv[1:])
    results["seconds"] = time.time() - started
    results["clock"] = args.clock
    table = markdown(results, labels, args.quick)
    header = (
        f"compare_pi: {results['command'].strip()}; {results['machine']}; "
        f"{len(pis)} pi version(s): {', '.join(labels)}; took {results['seconds']:.0f} s"
    )
    print(header + "\n\n" + table)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = ("compare_pi-quick" if args.quick else "compare_pi") + (
        "-cpu" if args.clock == "cpu" else ""
    )
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / f"{stem}.md").write_text(header + "\n\n" + table)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
