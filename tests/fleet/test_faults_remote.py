"""Push, pull and writers when things go wrong, against real servers: the S3 server killed in
the middle of a push, PostgreSQL restarted during one, a segment damaged in the bucket, two
agents writing the same session, a lease that expired while its holder slept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from servers import PostgresServer, S3Bucket, SeaweedServer
from test_objectstore import open_bucket
from test_sync import make_root
from test_sync_cli import run

import sesslog.fleet.push as push_module
from sesslog import Session
from sesslog.backends.local import LocalFolder
from sesslog.backends.objectstore.backend import ObjectStoreBackend
from sesslog.backends.objectstore.bucket import Bucket
from sesslog.backends.objectstore.errors import ObjectStoreUnavailableError, StaleFenceError
from sesslog.catalog.backend_files import BackendFiles
from sesslog.catalog.postgres import PostgresCatalog
from sesslog.catalog.postgres.leases import LeaseHeldError
from sesslog.errors import WriterFailedError
from sesslog.fleet.leases import PostgresLeases
from sesslog.fleet.push import push

HEADER = (
    b'{"type":"session","version":3,"id":"s1","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/"}\n'
)


def entry(n: int) -> bytes:
    return (
        f'{{"type":"custom","id":"e{n}","parentId":null,'
        f'"timestamp":"2026-01-05T10:00:00.000Z","customType":"t","data":{n}}}'
    ).encode()


def assert_same_everywhere(remote: ObjectStoreBackend, made: dict[str, bytes]) -> None:
    """Every session in the bucket is the local file, its segments tile it once each, and the
    bucket holds no segment twice."""
    for key, data in made.items():
        log = remote.log(key)
        manifest = log.load().manifest
        assert manifest.size == len(data) and manifest.lines == data.count(b"\n")
        assert remote.read(key) == data
        assert log.verify() == []
        names = [ref.name for ref in manifest.segments]
        assert len(set(names)) == len(names)


def test_the_s3_server_killed_mid_push_loses_and_duplicates_nothing(
    s3_server_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(push_module, "CHUNK_BYTES", 200_000)
    server: SeaweedServer = s3_server_factory()
    target = server.bucket()
    made = make_root(tmp_path, 24, entries=600, line_bytes=1000)  # about 15 MB
    total = sum(map(len, made.values()))
    quick = {"retries": 1, "retry_timeout": 2.0, "request_timeout": 10.0}
    remote = ObjectStoreBackend(open_bucket(target, **quick), segment_size=64 * 1024)
    outcome: list[BaseException | push_module.PushReport] = []

    def run() -> None:
        try:
            outcome.append(push(LocalFolder(tmp_path), remote, sessions_at_once=2))
        except BaseException as error:  # reported to the test thread
            outcome.append(error)

    pusher = threading.Thread(target=run)
    pusher.start()
    watcher = open_bucket(target, **quick)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        manifests = [i for i in watcher.list("") if i.key.endswith("/~manifest")]
        if len(manifests) >= 4:
            break
        time.sleep(0.01)
    server.kill()
    pusher.join(120)
    assert not pusher.is_alive()
    assert len(outcome) == 1
    failed = outcome[0]
    if isinstance(failed, push_module.PushReport):  # each session failed on its own
        assert not failed.ok and failed.count("failed") > 0
    else:
        assert isinstance(failed, ObjectStoreUnavailableError), failed

    server.start()
    remote = ObjectStoreBackend(open_bucket(target), segment_size=64 * 1024)
    resumed = push(LocalFolder(tmp_path), remote)
    assert resumed.ok
    committed = sum(item.remote_before for item in resumed.sessions)
    assert 0 < committed < total  # the first push got somewhere, and not to the end
    # Only bytes not committed before are sent now; segments the killed push had uploaded
    # without committing them are found, checked and reused rather than sent again.
    assert resumed.sent <= total - committed
    assert_same_everywhere(remote, made)
    assert push(LocalFolder(tmp_path), remote).sent == 0


def test_postgresql_restarted_during_a_push(
    s3_bucket: S3Bucket, pg_url: str, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    made = make_root(tmp_path, 40, entries=200, line_bytes=800)
    leases = PostgresLeases(pg_url, ttl=30, retry_for=60)
    remote = ObjectStoreBackend(open_bucket(s3_bucket), leases=leases, segment_size=64 * 1024)
    done: list[int] = []

    def progress(phase: str, sent: int, total: int) -> None:
        done.append(sent)

    catalog = PostgresCatalog(pg_url, BackendFiles(remote), source=remote.bucket.where())
    reports: list[push_module.PushReport] = []
    pusher = threading.Thread(
        target=lambda: reports.append(
            push(
                LocalFolder(tmp_path),
                remote,
                catalog=catalog,
                progress=progress,
                sessions_at_once=2,
            )
        )
    )
    pusher.start()
    try:
        _wait_for(lambda: len(done) >= 3)
        # From this thread: the server dies with the thread that started it.
        postgres_server.restart()
    finally:
        pusher.join(120)
        leases.close()
    [report] = reports
    assert report.ok, [item.detail for item in report.sessions if item.detail]
    assert report.count("pushed") == 40 and report.catalog == 40
    assert catalog.count() == 40  # folded into the catalog after the restart
    catalog.close()
    assert_same_everywhere(remote, made)
    # The fences taken before and after the restart are all recorded in the manifests.
    assert all(remote.log(key).load().manifest.fence >= 1 for key in made)


def _wait_for(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_segment_corrupted_in_the_bucket_is_caught_reported_and_the_rest_reads(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    made = make_root(tmp_path / "a", 1, entries=400, line_bytes=600)
    key, data = next(iter(made.items()))
    remote = ObjectStoreBackend(open_bucket(s3_bucket), segment_size=32 * 1024)
    assert push(LocalFolder(tmp_path / "a"), remote).ok
    log = remote.log(key)
    victim = log.load().manifest.segments[2]
    bucket: Bucket = remote.bucket
    stored, etag = bucket.get(log.segment_key(victim))
    assert etag is not None
    bucket.put_replacing(log.segment_key(victim), stored[:50] + b"X" + stored[51:], etag)

    [damage] = log.verify()
    assert damage.reason == "sha256" and damage.offset == victim.offset
    env = {**s3_bucket.environ(), "SESSLOG_BLOBS": s3_bucket.url}
    sid = key.rsplit("_", 1)[1].removesuffix(".jsonl")
    refused = run(env, "pull", sid, "--root", str(tmp_path / "b"))
    assert refused.returncode == 3
    assert refused.stderr.count("\n") == 1 and victim.name in refused.stderr
    assert f"session bytes {victim.offset}..{victim.end} unreadable" in refused.stderr
    assert not (tmp_path / "b" / key).exists()  # nothing half-written

    salvaged = run(env, "pull", sid, "--salvage", "--json", "--root", str(tmp_path / "b"))
    assert salvaged.returncode == 1
    result = json.loads(salvaged.stdout)
    assert result["status"] == "created" and len(result["damage"]) == 1
    rest = (tmp_path / "b" / key).read_bytes()
    assert rest == data[: victim.offset] + data[victim.end :]
    session = Session.open(tmp_path / "b" / key)  # whole lines either side of the gap
    assert len(session) == data.count(b"\n") - 1 - victim.lines


def test_a_second_agent_is_refused_with_the_holders_host_and_pid(
    s3_bucket: S3Bucket, pg_url: str, tmp_path: Path
) -> None:
    first = ObjectStoreBackend(open_bucket(s3_bucket), leases=PostgresLeases(pg_url, ttl=30))
    writer = first.create("a/s.jsonl", HEADER)
    writer.write_lines(entry(0), sync=True)
    # Another process (another agent) opening the same session is refused at once.
    code = (
        "import sys\n"
        "from sesslog.backends.objectstore.backend import ObjectStoreBackend\n"
        "from sesslog.fleet.leases import PostgresLeases\n"
        "from sesslog.errors import SessionLockedError\n"
        f"backend = ObjectStoreBackend.open({s3_bucket.url!r}, leases=PostgresLeases(sys.argv[1]))\n"
        "try:\n"
        "    backend.open_writer('a/s.jsonl')\n"
        "except SessionLockedError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, pg_url],
        env={**os.environ, **s3_bucket.environ()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.stdout.startswith("LeaseHeldError a/s.jsonl: session is being written by ")
    assert f"process {os.getpid()} on {os.uname().nodename}" in other.stdout
    # A push of that session is refused the same way, and writes nothing.
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "s.jsonl").write_bytes(HEADER + entry(0) + b"\n" + entry(1) + b"\n")
    env = {**s3_bucket.environ(), "SESSLOG_BLOBS": s3_bucket.url, "SESSLOG_CATALOG": pg_url}
    pushed = run(env, "push", "--root", str(tmp_path), "--json")
    assert pushed.returncode == 5
    [item] = json.loads(pushed.stdout)["sessions"]
    assert item["status"] == "locked" and f"process {os.getpid()}" in item["detail"]
    writer.close()
    assert first.read("a/s.jsonl") == HEADER + entry(0) + b"\n"
    first.leases.close()  # type: ignore[attr-defined]


def test_a_writer_whose_lease_expired_is_fenced_off(s3_bucket: S3Bucket, pg_url: str) -> None:
    sleepy = PostgresLeases(pg_url, ttl=4)
    sleepy.renew_all = lambda: None  # type: ignore[method-assign]  # the holder stalls
    old = ObjectStoreBackend(open_bucket(s3_bucket), leases=sleepy).create("s.jsonl", HEADER)
    old_fence = old.lease.fence
    with pytest.raises(LeaseHeldError):
        PostgresLeases(pg_url, ttl=5).acquire("s.jsonl")
    time.sleep(4.5)  # the lease expires
    fresh = PostgresLeases(pg_url, ttl=30)
    new = ObjectStoreBackend(open_bucket(s3_bucket), leases=fresh).open_writer("s.jsonl")
    assert new.lease.fence is not None and old_fence is not None
    assert new.lease.fence > old_fence
    # The old holder wakes up: its writer notices the lost lease ...
    with pytest.raises(WriterFailedError, match="no longer held"):
        old.write_lines(entry(1), sync=True)
    # ... and a segment pushed under its stale fence is rejected by the bucket itself.
    log = old.log
    with pytest.raises(StaleFenceError, match=f"fence {old_fence} rejected"):
        log.append(entry(2) + b"\n", base=log.load(), fence=old_fence)
    new.write_lines(entry(3), sync=True)
    new.close()
    assert log.read().data == HEADER + entry(3) + b"\n"
    fresh.close()
