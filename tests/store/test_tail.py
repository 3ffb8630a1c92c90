"""Following a live session: each entry once, in order, across lines in progress, truncation
and a replaced file; the iterators; ``sesslog tail``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sesslog import Session
from sesslog.cli import main
from sesslog.store.tail import SessionFollower, afollow, follow


def _session(tmp_path: Path, count: int = 3) -> Session:
    session = Session.create(cwd="/w", path=tmp_path / "s.jsonl", durability="strict")
    for n in range(count):
        session.append_user_message(f"message {n}")
    return session


def _ids(records: list) -> list[str]:  # type: ignore[type-arg]
    return [rec.id for rec in records]


def test_poll_yields_each_entry_once_in_order(tmp_path: Path) -> None:
    session = _session(tmp_path)
    with SessionFollower(session.path) as follower:  # type: ignore[arg-type]
        first = follower.poll()
        assert _ids(first) == [rec.id for rec in session.tree]
        assert follower.poll() == []
        new = session.append_user_message("later")
        assert _ids(follower.poll()) == [new.id]
        assert follower.poll() == []
    session.close()


def test_a_line_in_progress_waits_for_its_end(tmp_path: Path) -> None:
    session = _session(tmp_path, 1)
    session.close()
    path = session.path
    assert path is not None
    with SessionFollower(path) as follower:
        assert len(follower.poll()) == 1
        line = b'{"type":"custom","id":"abcd0001","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","customType":"x"}'
        with open(path, "ab") as file:
            file.write(line[:30])
        assert follower.poll() == []
        with open(path, "ab") as file:
            file.write(line[30:])
        assert follower.poll() == []  # complete, but its line has not ended yet
        with open(path, "ab") as file:
            file.write(b"\n")
        assert _ids(follower.poll()) == ["abcd0001"]


def test_a_torn_tail_repaired_by_the_next_writer(tmp_path: Path) -> None:
    session = _session(tmp_path, 2)
    session.close()
    path = session.path
    assert path is not None
    with SessionFollower(path) as follower:
        assert len(follower.poll()) == 2
        with open(path, "ab") as file:
            file.write(b'{"type":"message","id":"torn')  # a writer killed mid-line
        assert follower.poll() == []
        again = Session.open(path)
        new = again.append_user_message("after the repair")  # moves the torn bytes aside
        again.close()
        assert _ids(follower.poll()) == [new.id]
        assert follower.diagnostics == []


def test_a_file_cut_short_is_read_again_without_repeats(tmp_path: Path) -> None:
    session = _session(tmp_path, 3)
    session.close()
    path = session.path
    assert path is not None
    first_two = b"".join(path.read_bytes().splitlines(keepends=True)[:3])
    with SessionFollower(path) as follower:
        assert len(follower.poll()) == 3
        os.truncate(path, len(first_two))  # cut back to the header and two entries
        again = Session.open(path)
        new = again.append_user_message("after the cut")
        again.close()
        assert path.stat().st_size < len(first_two) + 200
        assert _ids(follower.poll()) == [new.id]


def test_a_replaced_file_is_followed_without_repeats(tmp_path: Path) -> None:
    session = _session(tmp_path, 2)
    path = session.path
    assert path is not None
    with SessionFollower(path) as follower:
        seen = _ids(follower.poll())
        gained = session.append_user_message("in the old file")
        session.close()
        # An atomic rewrite holding everything plus one more entry.
        longer = Session.open(path).fork(path=tmp_path / "copy.jsonl")
        extra = longer.append_user_message("only in the new file")
        longer.close()
        body = path.read_bytes().splitlines(keepends=True)[0] + b"".join(
            line for line in (tmp_path / "copy.jsonl").read_bytes().splitlines(keepends=True)[1:]
        )
        tmp = tmp_path / "s.jsonl.tmp"
        tmp.write_bytes(body)
        os.replace(tmp, path)
        seen += _ids(follower.poll())
    assert seen[-2:] == [gained.id, extra.id]
    assert len(seen) == len(set(seen)) == 4


_WRITER = r"""
import os, sys, time
from pathlib import Path
from sesslog import Session
path = Path(sys.argv[1])
count = int(sys.argv[2])
session = Session.open(path, durability="strict")
for n in range(count):
    rec = session.append_user_message(f"line {n}")
    print(rec.id, flush=True)
    time.sleep(0.002)
    if n == count // 2:
        # Replace the file by an atomic rewrite of the same bytes, then go on in the new one.
        session.close()
        tmp = path.with_name(path.name + ".new")
        tmp.write_bytes(path.read_bytes())
        os.replace(tmp, path)
        session = Session.open(path, durability="strict")
session.close()
"""


def test_follow_sees_a_writer_in_another_process(tmp_path: Path) -> None:
    session = _session(tmp_path, 1)
    session.close()
    path = session.path
    assert path is not None
    stop = threading.Event()
    got: list[str] = []

    def run() -> None:
        for rec in follow(path, stop_event=stop):
            got.append(rec.id)

    reader = threading.Thread(target=run)
    reader.start()
    try:
        child = subprocess.run(
            [sys.executable, "-c", _WRITER, str(path), "200"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        written = [rec.id for rec in session.tree] + child.stdout.split()
        deadline = time.monotonic() + 30
        while len(got) < len(written) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        reader.join(timeout=30)
    assert not reader.is_alive()
    assert got == written


def test_async_follow_yields_new_entries(tmp_path: Path) -> None:
    session = _session(tmp_path, 2)

    async def collect() -> list[str]:
        stop = asyncio.Event()
        got: list[str] = []

        async def write_later() -> None:
            await asyncio.sleep(0.3)
            session.append_user_message("appended while following")

        writer = asyncio.create_task(write_later())
        async for rec in afollow(session.path, last=1, stop_event=stop):  # type: ignore[arg-type]
            got.append(rec.id)
            if len(got) == 2:
                stop.set()
                break
        await writer
        return got

    got = asyncio.run(asyncio.wait_for(collect(), 30))
    entries = [rec.id for rec in session.tree]
    assert got == [entries[1], entries[2]]
    session.close()


def test_cli_tail_prints_the_last_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = _session(tmp_path, 5)
    session.close()
    assert main(["tail", str(session.path), "-n", "2", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [obj["id"] for obj in lines] == [rec.id for rec in session.tree][-2:]
    assert main(["tail", str(session.path)]) == 0
    text = capsys.readouterr().out
    assert text.count("\n") == 5 and "message 4" in text


def test_cli_tail_of_a_missing_file_fails_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tail", str(tmp_path / "nope.jsonl")]) == 4
    assert "no such file" in capsys.readouterr().err
