"""Interop benchmark: importing Claude Code transcripts, exporting sessions (the HTML viewer
above all), and sesslog against claude-code-log converting the same transcripts.

One table of measurements, each with the baseline it is compared with, measured in the same
run (each figure the best and the median of several rounds; a round runs every measurement once,
``gc.collect()`` before each, so that changes of load on a shared machine fall on all alike):

* ``import``: ``sesslog.interop.import_paths`` of every sample transcript into an empty session
  store: read, frame, convert, encode, write and sync (the new sessions written and synced by
  background threads while the next file converts, as an import does); ``import, then ls``: the
  same followed by the store's catalog refresh that the next ``ls`` or ``search`` does (reading
  every new session into the catalog); ``import again``: the same files into the store that
  holds them (nothing new: each file is read, converted and compared with what the store holds);
  ``convert only``: frame, convert and encode, writing nothing. Baseline ``msgspec decode``: read
  each file and decode every line with ``msgspec.json.Decoder().decode``, the floor for anything
  that reads the records.
* ``open + html``: ``Session.open`` and ``export_html`` of the generated 10,000-entry session of
  ``bench_read.py`` (about 1 KB a line, branches, compactions, labels), what ``sesslog export
  --format html`` does (the data gzip-compressed, the default); ``open``, ``html (open
  session)``, ``html, uncompressed``, ``markdown, active path`` and ``json, whole tree`` beside
  it. Baseline ``copy the file``: read the session file and write its bytes
  elsewhere. The page's size against the JSONL's follows the table; with ``--browser``, the time
  until the page is ready in headless Chromium (the Debian package, driven by Playwright).
* claude-code-log (from PyPI, installed by this script into ``benchmarks/data/ccl-venv``, never
  a sesslog dependency) converts each sample transcript to one HTML page, one process per file
  (``claude-code-log FILE -o PAGE --no-cache``, one render job), its process start (timed with
  ``--version``) subtracted, in its favour; against ``sesslog import + html``: the transcripts
  imported into a new store (as ``sesslog import`` of them does) and every session made
  exported to HTML, in this process. Run
  once each (``--no-claude`` leaves this out: no download).

Targets: import at least 50 MB/s; sesslog at least 5x faster than claude-code-log on the same
transcripts, with no page larger than its (compared per transcript: the pages of the sessions
one transcript gives against claude-code-log's page of it; the totals are printed too).

Usage::

    python benchmarks/bench_interop.py                 # everything, 7 rounds
    python benchmarks/bench_interop.py --quick         # 2 rounds, a 1,000-entry session, 3 transcripts
    python benchmarks/bench_interop.py --no-claude     # without claude-code-log (no download)
    python benchmarks/bench_interop.py --browser       # also time loading the page in Chromium
    python benchmarks/bench_interop.py --samples DIR   # other Claude Code transcripts
    python benchmarks/bench_interop.py --root DIR      # scratch files on DIR's file system
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_read import session_file  # noqa: E402

from sesslog import Session  # noqa: E402
from sesslog.interop.claude import convert_claude  # noqa: E402
from sesslog.interop.entries import encode_entry  # noqa: E402
from sesslog.interop.export_html import export_html  # noqa: E402
from sesslog.interop.export_json import export_json_text  # noqa: E402
from sesslog.interop.export_markdown import export_markdown  # noqa: E402
from sesslog.interop.importer import import_paths  # noqa: E402
from sesslog.interop.target import ImportTarget  # noqa: E402
from sesslog.store import SessionStore  # noqa: E402

DATA = REPO / "benchmarks" / "data"
SAMPLES = REPO.parent / "shared" / "fixtures" / "claude-real"
IMPORT_TARGET_MB_S = 50.0
CCL_VERSION = "1.7.0"
CCL_TARGET_RATIO = 5.0


@dataclass
class Measurement:
    """One thing to time: its name, the bytes it handles, its work, the name of the baseline it
    is compared with (``None`` for a baseline) and what precedes each run (not timed);
    ``times`` collects the run times in seconds."""

    name: str
    size: int
    work: Callable[[], object]
    baseline: str | None = None
    setup: Callable[[], object] | None = None
    times: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def rate(self, seconds: float) -> float:
        """MB/s at ``seconds``."""
        return self.size / seconds / 1e6


def verdict(ok: bool) -> str:
    return "[met]" if ok else "[MISSED]"


def run_interleaved(measurements: list[Measurement], repeat: int) -> None:
    """Run every measurement once per round, ``repeat`` rounds, so that a change of load on a
    shared machine falls on all of them alike."""
    for _ in range(repeat):
        for item in measurements:
            if item.setup is not None:
                item.setup()
            gc.collect()
            start = time.perf_counter()
            item.work()
            item.times.append(time.perf_counter() - start)


def _size(files: list[Path]) -> int:
    return sum(p.stat().st_size for p in files)


# ---------------------------------------------------------------------- import


def import_measurements(files: list[Path], scratch: Path) -> list[Measurement]:
    """Import, import again, convert only, and their baseline, over the sample transcripts."""
    size = _size(files)
    root = scratch / "import"
    listed = scratch / "listed"
    again_root = scratch / "again"
    import_paths(files, again_root)
    nowhere = ImportTarget(SessionStore(scratch / "nothing-here"))
    decoder = msgspec.json.Decoder()

    def import_then_ls() -> None:
        import_paths(files, listed)
        with SessionStore(listed) as store:
            store.refresh()

    def again() -> None:
        report = import_paths(files, again_root)
        assert report.entries_added == 0, "a second import added entries"

    def convert() -> None:
        for path in files:
            for plan in convert_claude(path, path.read_bytes(), nowhere).sessions:
                b"\n".join(encode_entry(entry) for entry in plan.entries)

    def decode() -> None:
        for path in files:
            for line in path.read_bytes().splitlines():
                try:
                    decoder.decode(line)
                except msgspec.DecodeError:
                    continue

    base = "msgspec decode"
    return [
        Measurement(
            "import",
            size,
            lambda: import_paths(files, root),
            base,
            lambda: shutil.rmtree(root, ignore_errors=True),
        ),
        Measurement(
            "import, then ls",
            size,
            import_then_ls,
            base,
            lambda: shutil.rmtree(listed, ignore_errors=True),
        ),
        Measurement("import again", size, again, base),
        Measurement("convert only", size, convert, base),
        Measurement(base, size, decode),
    ]


# ---------------------------------------------------------------------- export


def export_measurements(path: Path, scratch: Path) -> list[Measurement]:
    """The HTML viewer page and the other exports of one session, and their baseline."""
    size = path.stat().st_size
    session = Session.open(path, read_only=True)
    copy_to = scratch / "copy.jsonl"
    base = "copy the file"
    return [
        Measurement("open", size, lambda: Session.open(path, read_only=True), base),
        Measurement("html (open session)", size, lambda: export_html(session), base),
        Measurement("html, uncompressed", size, lambda: export_html(session, compress=False), base),
        Measurement(
            "open + html", size, lambda: export_html(Session.open(path, read_only=True)), base
        ),
        Measurement("markdown, active path", size, lambda: export_markdown(session), base),
        Measurement(
            "json, whole tree", size, lambda: export_json_text(session, whole_tree=True), base
        ),
        Measurement(base, size, lambda: copy_to.write_bytes(path.read_bytes())),
    ]


def browser_load_seconds(page: bytes) -> float:
    """Seconds from navigation until the viewer marks itself ready, in headless Chromium (the
    same browser and flags as the viewer tests)."""
    sys.path.insert(0, str(REPO / "tests"))
    sys.path.insert(0, str(REPO / "tests" / "interop"))
    from browser_support import browser, open_page

    with tempfile.TemporaryDirectory() as folder, browser() as launched:
        target = Path(folder) / "page.html"
        target.write_bytes(page)
        start = time.perf_counter()
        tab, _, _ = open_page(launched, target, timeout_ms=300_000)
        seconds = time.perf_counter() - start
        tab.close()
    return seconds


# ---------------------------------------------------------------------- claude-code-log


def ccl_command() -> Path:
    """claude-code-log in its own cached virtual environment (installed on first use)."""
    venv = DATA / "ccl-venv"
    program = venv / "bin" / "claude-code-log"
    if not program.exists():
        print(f"installing claude-code-log {CCL_VERSION} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", f"claude-code-log=={CCL_VERSION}"],
            check=True,
        )
    return program


def run_ccl(program: Path, args: list[str], home: Path) -> float:
    env = {**os.environ, "HOME": str(home), "CLAUDE_CODE_LOG_RENDER_JOBS": "1"}
    start = time.perf_counter()
    subprocess.run([str(program), *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


@dataclass
class Pages:
    """HTML pages made from the sample transcripts: seconds of work and bytes per transcript."""

    seconds: float
    sizes: dict[str, int]
    count: int
    note: str = ""


def ccl_pages(files: list[Path], work: Path) -> Pages:
    """claude-code-log's pages, its process starts subtracted."""
    program = ccl_command()
    (work / "home").mkdir(parents=True, exist_ok=True)
    startup = min(run_ccl(program, ["--version"], work / "home") for _ in range(3))
    wall = 0.0
    sizes: dict[str, int] = {}
    for source in files:
        out = work / "ccl" / f"{source.stem}.html"
        out.parent.mkdir(exist_ok=True)
        wall += run_ccl(program, [str(source), "-o", str(out), "--no-cache"], work / "home")
        sizes[source.name] = out.stat().st_size
    note = f"{wall:.2f} s wall, less {len(files)} process starts of {startup:.2f} s"
    return Pages(wall - startup * len(files), sizes, len(sizes), note)


def sesslog_pages(files: list[Path], folder: Path) -> Pages:
    """Import the transcripts into a new store (``sesslog import`` of them) and export every
    session made to HTML; each page counts for the transcript that gave its session."""
    sizes: dict[str, int] = {}
    count = 0
    start = time.perf_counter()
    report = import_paths(files, folder, source="claude")
    for source, result in zip(files, report.files, strict=True):
        sizes[source.name] = 0
        for made in result.sessions:
            sizes[source.name] += len(export_html(Session.open(made.path, read_only=True)))
            count += 1
    return Pages(time.perf_counter() - start, sizes, count)


# ---------------------------------------------------------------------- printing


def print_table(rows: list[Measurement], pages: dict[str, Pages]) -> None:
    """One line per measurement: its speed and its median against its baseline's; then the
    HTML pages of claude-code-log and sesslog (one run each)."""
    by_name = {row.name: row for row in rows}
    print(
        "| measurement | MB | best | median | best MB/s | median MB/s | median vs baseline |\n"
        "|---|---|---|---|---|---|---|"
    )
    for row in rows:
        if row.baseline is None:
            against = "(baseline)"
        else:
            against = f"{row.median / by_name[row.baseline].median:.2f}x {row.baseline}"
        print(
            f"| {row.name} | {row.size / 1e6:.1f} | {row.best * 1e3:.0f} ms "
            f"| {row.median * 1e3:.0f} ms | {row.rate(row.best):.0f} "
            f"| {row.rate(row.median):.0f} | {against} |"
        )
    for name, made in pages.items():
        size = sum(made.sizes.values())
        note = f" ({made.note})" if made.note else ""
        print(
            f"| {name}: {made.count} pages, {size:,} bytes of HTML | - | {made.seconds:.2f} s"
            f"{note} | - | - | - | one run |"
        )


def check_targets(rows: list[Measurement], pages: dict[str, Pages]) -> list[str]:
    """One line per target: ``[met]`` or ``[MISSED]``."""
    lines = []
    by_name = {row.name: row for row in rows}
    if "import" in by_name:
        speed = by_name["import"].rate(by_name["import"].best)
        lines.append(
            f"{verdict(speed >= IMPORT_TARGET_MB_S)} import {speed:.0f} MB/s (best run) "
            f">= {IMPORT_TARGET_MB_S:.0f} MB/s"
        )
    if len(pages) == 2:
        theirs, ours = pages.values()
        ratio = theirs.seconds / ours.seconds
        larger = [name for name, size in ours.sizes.items() if size > theirs.sizes[name]]
        share = sum(ours.sizes.values()) / sum(theirs.sizes.values())
        lines.append(
            f"{verdict(ratio >= CCL_TARGET_RATIO)} sesslog import + html {ratio:.1f}x faster "
            f"than claude-code-log (target {CCL_TARGET_RATIO:.0f}x)"
        )
        ratios = [ours.sizes[name] / theirs.sizes[name] for name in theirs.sizes]
        lines.append(
            f"{verdict(not larger)} no sesslog page larger than claude-code-log's, per "
            f"transcript: {len(ratios) - len(larger)} of {len(ratios)} smaller, "
            f"{min(ratios):.2f}x to {max(ratios):.2f}x its size; in total {share:.2f}x"
            + (f"; larger: {', '.join(larger)}" if larger else "")
        )
    return lines


# ---------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder of transcripts")
    parser.add_argument("--root", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 rounds")
    parser.add_argument("--no-claude", action="store_true", help="leave out claude-code-log")
    parser.add_argument("--browser", action="store_true", help="time the page in Chromium")
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else 7
    entries = 1_000 if args.quick else 10_000
    files = sorted(args.samples.glob("*.jsonl"))
    session = session_file(f"{entries // 1000}k", entries, DATA)
    print(
        f"# sesslog interop benchmark\n\nmachine: {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"msgspec {msgspec.__version__}, {platform.system()}; shared machines give noisy single "
        "figures, ratios from the same run are steadier\n"
    )
    print(
        f"import: {len(files)} transcripts, {_size(files) / 1e6:.1f} MB from {args.samples}; "
        f"export: a {entries:,}-entry session, {session.stat().st_size / 1e6:.1f} MB of JSONL\n"
    )
    scratch = Path(tempfile.mkdtemp(prefix="bench-interop-", dir=args.root))
    try:
        rows = import_measurements(files, scratch) if files else []
        if not files:
            print(f"no transcripts in {args.samples}: the import rows are left out\n")
        rows += export_measurements(session, scratch)
        run_interleaved(rows, repeat)
        pages: dict[str, Pages] = {}
        if files and not args.no_claude:
            chosen = files[:3] if args.quick else files
            pages[f"claude-code-log {CCL_VERSION}"] = ccl_pages(chosen, scratch / "ccl")
            pages["sesslog import + html"] = sesslog_pages(chosen, scratch / "sesslog")
        print_table(rows, pages)
        page = export_html(Session.open(session, read_only=True))
        size = session.stat().st_size
        print(f"\npage: {len(page):,} bytes = {len(page) / size:.3f}x the JSONL")
        if args.browser:
            seconds = browser_load_seconds(page)
            print(f"chromium: page ready in {seconds:.2f} s (load, parse, first window)")
        print()
        for line in check_targets(rows, pages):
            print(line)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
