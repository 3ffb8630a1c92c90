"""Push and pull against a real S3 server (SeaweedFS on loopback): only new bytes are sent, a
pulled session is the local file byte for byte, unfinished lines wait, rewritten files are not
pushed over."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from servers import REPO_ROOT, S3Bucket
from test_objectstore import open_bucket

from sesslog.backends.local import LocalFolder
from sesslog.backends.objectstore.backend import ObjectStoreBackend
from sesslog.fleet.pull import pull
from sesslog.fleet.push import push

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from fixtures.generate import make_v3_session


def session_key(n: int) -> str:
    """A pi-layout key of session number ``n``."""
    sid = uuid.UUID(int=0x0192F2C8_0000_7000_8000_000000000000 + n)
    return f"--home-dev-app{n % 3}--/2026-01-05T10-00-{n % 60:02d}-000Z_{sid}.jsonl"


def make_root(root: Path, count: int, entries: int = 40, line_bytes: int = 400) -> dict[str, bytes]:
    """``count`` generated sessions under ``root``; their bytes by key."""
    made = {}
    for n in range(count):
        data = make_v3_session(entries, seed=n, line_bytes=line_bytes)
        path = root / session_key(n)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        made[session_key(n)] = data
    return made


def remote_of(target: S3Bucket, **options: object) -> ObjectStoreBackend:
    return ObjectStoreBackend(open_bucket(target), **options)  # type: ignore[arg-type]


def test_push_then_pull_gives_every_file_back_byte_for_byte(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    made = make_root(tmp_path / "a", 6)
    remote = remote_of(s3_bucket)
    report = push(LocalFolder(tmp_path / "a"), remote)
    assert report.ok and report.count("pushed") == 6
    assert report.sent == sum(len(data) for data in made.values())
    elsewhere = LocalFolder(tmp_path / "b")
    for key, data in made.items():
        result = pull(remote, key.rsplit("_", 1)[1][:-6], elsewhere)  # by id
        assert result.status == "created" and result.key == key
        assert (tmp_path / "b" / key).read_bytes() == data
    assert pull(remote, next(iter(made)), elsewhere).status == "current"


def test_a_second_push_sends_only_what_was_appended(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    made = make_root(tmp_path, 3)
    local, remote = LocalFolder(tmp_path), remote_of(s3_bucket)
    push(local, remote)
    again = push(local, remote)
    assert again.ok and again.sent == 0 and again.count("current") == 3
    key = sorted(made)[1]
    extra = make_v3_session(45, seed=1, line_bytes=400)[len(made[key]) :]
    assert extra.endswith(b"\n")
    with (tmp_path / key).open("ab") as file:
        file.write(extra)
    before = remote.log(key).load().manifest
    grown = push(local, remote)
    assert grown.count("pushed") == 1 and grown.sent == len(extra)
    after = remote.log(key).load().manifest
    assert after.segments[: len(before.segments)] == before.segments  # old segments kept
    assert remote.read(key) == (tmp_path / key).read_bytes()


def test_an_unfinished_last_line_waits_for_its_newline(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    made = make_root(tmp_path, 1)
    key, data = next(iter(made.items()))
    partial = b'{"type":"custom","id":"zz","parentId":null,"timest'
    with (tmp_path / key).open("ab") as file:
        file.write(partial)
    local, remote = LocalFolder(tmp_path), remote_of(s3_bucket)
    report = push(local, remote)
    assert report.sessions[0].held_back == len(partial)
    assert remote.read(key) == data
    rest = b'amp":"2026-01-05T10:00:00.000Z","customType":"t"}\n'
    with (tmp_path / key).open("ab") as file:
        file.write(rest)
    assert push(local, remote).sent == len(partial) + len(rest)
    assert remote.read(key) == (tmp_path / key).read_bytes()


def test_a_rewritten_local_file_is_not_pushed_over_the_bucket(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    made = make_root(tmp_path, 2)
    local, remote = LocalFolder(tmp_path), remote_of(s3_bucket)
    push(local, remote)
    key = sorted(made)[0]
    (tmp_path / key).write_bytes(make_v3_session(60, seed=99, line_bytes=400))
    report = push(local, remote)
    item = next(i for i in report.sessions if i.key == key)
    assert item.status == "diverged" and "differ" in (item.detail or "")
    assert not report.ok
    assert remote.read(key) == made[key]


def test_a_big_session_is_pushed_in_chunks_each_committed(
    tmp_path: Path, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sesslog.fleet.push as push_module

    monkeypatch.setattr(push_module, "CHUNK_BYTES", 50_000)
    made = make_root(tmp_path, 1, entries=600)
    key, data = next(iter(made.items()))
    remote = remote_of(s3_bucket, segment_size=16_384)
    report = push(LocalFolder(tmp_path), remote)
    manifest = remote.log(key).load().manifest
    assert report.ok and manifest.size == len(data)
    assert manifest.generation >= len(data) // 50_000  # one manifest swap per chunk
    assert remote.read(key) == data


def test_the_tail_of_a_pushed_session_is_read_by_ranges(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    from sesslog.fleet.remote_read import read_tail

    made = make_root(tmp_path, 1, entries=3000, line_bytes=500)
    key, data = next(iter(made.items()))
    remote = remote_of(s3_bucket, segment_size=256 * 1024)
    push(LocalFolder(tmp_path), remote)
    tail = read_tail(remote, key, 20)
    expected = data.splitlines()[-20:]
    assert [record.raw for record in tail.records] == expected
    assert tail.offset == len(data) - sum(len(line) + 1 for line in expected)
    assert tail.fetched <= 256 * 1024  # a few blocks, not the session
    whole = read_tail(remote, key, 10**6)  # more than there are: everything, from 0
    assert whole.offset == 0 and len(whole.records) == data.count(b"\n")
