"""Hostile lines: time and memory of reading a file that holds one, in each reader mode.

Each case is a session file of a header, one good entry, the hostile line and another good
entry. The reader must report the hostile line (or keep it, when it is a record), read both good
entries, never raise, and stay linear in time and memory. Each case runs in a fresh process
that reads the file's bytes first, so the peak memory shown is what the read adds on top of the
file held in memory (the process's peak resident size, ``VmHWM`` on Linux: unlike
``ru_maxrss`` it does not carry over the parent's peak into a new program).

Usage::

    python benchmarks/bench_hostile.py              # every case, tolerant and salvage
    python benchmarks/bench_hostile.py --size 6     # 6 MB lines instead of 60 MB
    python benchmarks/bench_hostile.py --case "60MB junk"
"""

from __future__ import annotations

import argparse
import gc
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sesslog.format.reader import ReadMode, read_bytes  # noqa: E402

HEADER = (
    b'{"type":"session","version":3,"id":"0192f2c8-aaaa-7bbb-8ccc-000000000001",'
    b'"timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
)
FIRST = (
    b'{"type":"custom","id":"a1","parentId":null,"timestamp":"2026-01-05T10:00:00.000Z",'
    b'"customType":"x"}\n'
)
LAST = (
    b'{"type":"custom","id":"a2","parentId":"a1","timestamp":"2026-01-05T10:00:01.000Z",'
    b'"customType":"x"}\n'
)
DEEP = 200_000
RECORD = b'{"type":"custom","id":"big","parentId":"a1","timestamp":"t","x":"'


def cases(m: int) -> dict[str, Callable[[], bytes]]:
    """The hostile lines, ``m`` bytes long for the large ones."""
    big = f"{m // 1_000_000}MB"
    return {
        "[ x200,000": lambda: b"[" * DEEP,
        '{"a": x200,000': lambda: b'{"a":' * DEEP,
        '{"type": x200,000': lambda: b'{"type":' * DEEP,
        "record holding [ x200,000": lambda: RECORD[:-1] + b"[" * DEEP + b"]" * DEEP + b"}",
        'record glued to {"type":[ x200,000': lambda: FIRST[:-1] + b'{"type":[' * DEEP,
        f"{big} string in a record": lambda: RECORD + b"a" * m + b'"}',
        f"{big} junk": lambda: b"x" * m,
        f"{big} torn flat array": lambda: b"[" + b"1," * (m // 2),
        f"{big} flat array": lambda: b"[" + b"1," * (m // 2) + b"1]",
        f"{big} of glued {{type}} records": lambda: b'{"type":"a"}' * (m // 12),
        f'{big} nested {{"type":[': lambda: (b'{"type":[' + b"1," * 50) * (m // 109),
        f"{big} non-ASCII junk": lambda: "é".encode() * (m // 2),
        f"{big} invalid UTF-8 in a record": lambda: RECORD + b"\xff" * m + b'"}',
        f"{big} lone surrogates in a record": lambda: RECORD + b"\\ud83d" * (m // 6) + b'"}',
        f"{big} of [] pairs": lambda: b"[]" * (m // 2),
        f'{big} of torn {{"type": starts': lambda: (
            b'{"type":"a","x":"' + b'{"type":"b","y":"' * (m // 17)
        ),
    }


def peak_kib() -> int:
    """This process's peak resident size so far, in KiB."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))


def measure(path: Path, mode: ReadMode) -> str:
    """Read one file in this process; return a line of results."""
    data = path.read_bytes()
    gc.collect()
    base = peak_kib()
    start = time.perf_counter()
    result = read_bytes(data, mode)
    seconds = time.perf_counter() - start
    peak = (peak_kib() - base) / 1024
    kept = ",".join(str(rec.id) for rec in result.records if rec.id in ("a1", "big", "a2"))
    reasons = sorted({d.reason for d in result.diagnostics.diagnostics})
    return f"{seconds:8.2f} s  +{peak:6.0f} MB  kept {kept:10s} {', '.join(reasons) or '-'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=60, help="MB of the large lines")
    parser.add_argument("--case", action="append", help="run only this case (repeatable)")
    parser.add_argument("--measure", nargs=2, metavar=("FILE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(measure(Path(args.measure[0]), ReadMode(args.measure[1])))
        return 0
    chosen = cases(args.size * 1_000_000)
    names = args.case or list(chosen)
    print(f"{'case':40s} {'mode':8s} {'time':>10s}  {'peak':>9s}  what the read did")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            path = Path(folder) / "case.jsonl"
            with path.open("wb") as out:
                for part in (HEADER, FIRST, chosen[name](), b"\n", LAST):
                    out.write(part)
            size = path.stat().st_size / 1e6
            for mode in (ReadMode.TOLERANT, ReadMode.SALVAGE):
                line = subprocess.run(
                    [sys.executable, __file__, "--measure", str(path), mode.value],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
                print(f"{name:40s} {mode.value:8s} {line}  ({size:.1f} MB file)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
