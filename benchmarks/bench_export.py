"""Export benchmark: the HTML viewer page of a 10,000-entry session, and the shared Claude Code
samples against claude-code-log converting the same transcripts.

Part 1, the generated 10,000-entry session of ``bench_read.py`` (about 1 KB per line,
branches, compactions, labels), best of several runs each:

* baseline ``copy``: read the session file and write its bytes elsewhere;
* ``open``: ``Session.open`` (read, frame, index the tree);
* ``html``: ``export_html`` of the open session, and ``open + html`` (what ``sesslog export``
  does); Markdown and JSON exports for comparison;
* the page size against the JSONL size; with ``--browser``, the time until the page is ready
  in headless Chromium (the Debian package, driven by Playwright).

Part 2, the Claude Code samples in ``../shared/fixtures/claude-real``:

* claude-code-log (from PyPI, installed by this script into ``benchmarks/data/ccl-venv``, never
  a sesslog dependency) converts each transcript to one HTML page, one process per file
  (``claude-code-log FILE -o PAGE --no-cache``, one render job); its process start (timed with
  ``--version``) is subtracted, in its favour;
* sesslog imports each transcript (``sesslog.interop.import_paths``) and exports every session
  it made to HTML, in this process; the time counts import and export.

Targets: sesslog at least 5x faster than claude-code-log on the same transcripts, with pages no
larger than its. Until the importer is in this tree the sesslog row prints "importer not
available yet".

Usage::

    python benchmarks/bench_export.py             # both parts
    python benchmarks/bench_export.py --quick     # a 1,000-entry session and 3 transcripts
    python benchmarks/bench_export.py --no-claude # part 1 only (no download)
    python benchmarks/bench_export.py --browser   # also time loading the page in Chromium
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_read import best_of, session_file  # noqa: E402

from sesslog import Session  # noqa: E402
from sesslog.interop.export_html import export_html  # noqa: E402
from sesslog.interop.export_json import export_json_text  # noqa: E402
from sesslog.interop.export_markdown import export_markdown  # noqa: E402

DATA = REPO / "benchmarks" / "data"
CLAUDE_SAMPLES = REPO.parent / "shared" / "fixtures" / "claude-real"
CCL_VERSION = "1.7.0"


def verdict(ok: bool) -> str:
    return "[met]" if ok else "[MISSED]"


# ---------------------------------------------------------------------- part 1


def large_session(entries: int, repeat: int, browser: bool) -> None:
    path = session_file(f"{entries // 1000}k", entries, DATA)
    size = path.stat().st_size
    print(f"## HTML export of a {entries:,}-entry session ({size / 1e6:.1f} MB of JSONL)\n")
    with tempfile.TemporaryDirectory() as folder:
        copy_to = Path(folder) / "copy.jsonl"
        copy = best_of(repeat, lambda: copy_to.write_bytes(path.read_bytes()))
    opened = best_of(repeat, lambda: Session.open(path, read_only=True))
    session = Session.open(path, read_only=True)
    page = export_html(session)
    html = best_of(repeat, lambda: export_html(session))
    both = best_of(repeat, lambda: export_html(Session.open(path, read_only=True)))
    markdown = best_of(repeat, lambda: export_markdown(session))
    tree_json = best_of(repeat, lambda: export_json_text(session, whole_tree=True))
    rows = [
        ("baseline: copy the file", copy),
        ("open", opened),
        ("html (open session)", html),
        ("open + html", both),
        ("markdown, active path", markdown),
        ("json, whole tree", tree_json),
    ]
    print("| step | time | MB/s of JSONL |\n|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.1f} ms | {size / seconds / 1e6:.0f} |")
    print(
        f"\npage: {len(page):,} bytes = {len(page) / size:.3f}x the JSONL; "
        f"open + html = {both / copy:.1f}x the time of copying the file"
    )
    if browser:
        print(
            f"chromium: page ready in {browser_load_seconds(page):.2f} s (load, parse, first window)"
        )
    print()


def browser_load_seconds(page: bytes) -> float:
    """Seconds from navigation until the viewer marks itself ready, in headless Chromium (the
    same browser and flags as the viewer tests)."""
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


# ---------------------------------------------------------------------- part 2


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


def claude_samples(files: list[Path]) -> None:
    total_in = sum(f.stat().st_size for f in files)
    print(f"## Claude Code samples: {len(files)} transcripts, {total_in / 1e6:.1f} MB\n")
    program = ccl_command()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "home").mkdir()
        startup = min(run_ccl(program, ["--version"], work / "home") for _ in range(3))
        ccl_seconds = 0.0
        ccl_sizes: dict[str, int] = {}
        for source in files:
            out = work / "ccl" / f"{source.stem}.html"
            out.parent.mkdir(exist_ok=True)
            ccl_seconds += run_ccl(
                program, [str(source), "-o", str(out), "--no-cache"], work / "home"
            )
            ccl_sizes[source.name] = out.stat().st_size
        ccl_work = ccl_seconds - startup * len(files)
        print("| tool | time | pages | bytes of HTML |\n|---|---|---|---|")
        print(
            f"| claude-code-log {CCL_VERSION} | {ccl_seconds:.2f} s wall; {ccl_work:.2f} s without "
            f"{len(files)} process starts of {startup:.2f} s | {len(ccl_sizes)} | "
            f"{sum(ccl_sizes.values()):,} |"
        )
        ours = sesslog_claude(files, work / "sesslog")
        if ours is None:
            print("| sesslog import + html | importer not available yet | - | - |\n")
            return
        seconds, sizes, pages = ours
        print(f"| sesslog import + html | {seconds:.2f} s | {pages} | {sum(sizes.values()):,} |\n")
        ratio = ccl_work / seconds
        larger = [name for name, size in sizes.items() if size > ccl_sizes[name]]
        print(f"{verdict(ratio >= 5)} sesslog {ratio:.1f}x faster than claude-code-log (target 5x)")
        print(
            f"{verdict(not larger)} no sesslog page larger than claude-code-log's "
            f"(sum {sum(sizes.values()) / sum(ccl_sizes.values()):.2f}x"
            + (f"; larger: {', '.join(larger)}" if larger else "")
            + ")\n"
        )


def sesslog_claude(files: list[Path], folder: Path) -> tuple[float, dict[str, int], int] | None:
    """Import each transcript into its own root and export every session made; ``None`` when
    the importer is not in this tree."""
    try:
        import_paths = importlib.import_module("sesslog.interop").import_paths
    except AttributeError:
        return None
    sizes: dict[str, int] = {}
    pages = 0
    start = time.perf_counter()
    for source in files:
        root = folder / source.stem
        import_paths([source], root, source="claude")
        sizes[source.name] = 0
        for made in sorted(root.rglob("*.jsonl")):
            sizes[source.name] += len(export_html(Session.open(made, read_only=True)))
            pages += 1
    return time.perf_counter() - start, sizes, pages


# ---------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--no-claude", action="store_true", help="skip the Claude samples")
    parser.add_argument("--browser", action="store_true", help="time the page in Chromium")
    args = parser.parse_args(argv)
    print(
        f"# sesslog export benchmark\n\nmachine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, {platform.system()}; shared machines give noisy "
        "single figures, ratios from the same run are steadier\n"
    )
    large_session(1_000 if args.quick else 10_000, 3 if args.quick else 5, args.browser)
    if args.no_claude:
        return 0
    files = sorted(CLAUDE_SAMPLES.glob("*.jsonl"))
    if not files:
        print(f"Claude samples not found at {CLAUDE_SAMPLES}: skipped")
        return 0
    claude_samples(files[:3] if args.quick else files)
    shutil.rmtree(DATA / "ccl-tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
