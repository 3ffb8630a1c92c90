"""Segments and manifests in a real S3 server (SeaweedFS on loopback): round trips, idempotent
puts, compare-and-swap conflicts, fences, corruption, and a server killed in mid-upload."""

from __future__ import annotations

import itertools
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from servers import S3Bucket, SeaweedServer

from sesslog import Session
from sesslog.backends.objectstore.bucket import Bucket
from sesslog.backends.objectstore.errors import (
    BucketAccessError,
    BucketNotFoundError,
    ManifestCorruptError,
    ObjectStoreUnavailableError,
    SegmentCorruptError,
    StaleFenceError,
    StaleManifestError,
)
from sesslog.backends.objectstore.log import SegmentLog


def open_bucket(target: S3Bucket, **options: Any) -> Bucket:
    return Bucket.open(
        target.url,
        endpoint=target.endpoint,
        access_key_id=target.access_key_id,
        secret_access_key=target.secret_access_key,
        region=target.region,
        **options,
    )


def session_bytes(lines: Any, entries: int, seed: int = 1) -> bytes:
    """A pi session of ``entries`` user/assistant messages with text of varied length."""
    rng = random.Random(seed)
    out = [lines.header()]
    parent = None
    for n in range(entries):
        text = " ".join(
            rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(rng.randrange(1, 60))
        )
        entry_id = f"{n:08x}"
        out.append(
            lines.user(entry_id, parent, text)
            if n % 2 == 0
            else lines.assistant(entry_id, parent, text)
        )
        parent = entry_id
    return b"".join(out)


def small_log(bucket: Bucket, session: str = "0192f2c8-aaaa-7bbb-8ccc-000000000001") -> SegmentLog:
    return SegmentLog(bucket, session, segment_size=4096, block_size=512)


class CountingBucket(Bucket):
    """The real bucket, counting the GET requests made through it."""

    gets = 0
    ranged: list[tuple[str, int, int]]

    def get(self, key: str) -> tuple[bytes, str | None]:
        self.gets += 1
        return super().get(key)

    def get_range(self, key: str, start: int, end: int) -> bytes:
        self.ranged.append((key, start, end))
        return super().get_range(key, start, end)


# --------------------------------------------------------------------------- round trips


def test_appends_read_back_whole_and_from_any_offset(s3_bucket: S3Bucket, lines: Any) -> None:
    log = small_log(open_bucket(s3_bucket))
    data = session_bytes(lines, 300)
    version = log.load()
    assert version.etag is None and version.manifest.generation == 0
    cuts = [0, 1000, 1001, 20000, len(data)]
    cuts = sorted({data.rfind(b"\n", 0, at) + 1 if at < len(data) else at for at in cuts})
    for lo, hi in itertools.pairwise(cuts):
        if hi > lo:
            version = log.append(data[lo:hi], base=version).version
    assert log.load().manifest == version.manifest
    assert version.manifest.size == len(data)
    assert version.manifest.lines == data.count(b"\n")
    assert log.read().data == data
    rng = random.Random(7)
    for _ in range(40):
        start = rng.randrange(len(data))
        end = rng.randrange(start, len(data) + 1)
        got = log.read(start, end, version=version)
        assert got.data == data[start:end] and got.complete
    assert log.read(len(data)).data == b""
    with pytest.raises(ValueError, match="outside"):
        log.read(0, len(data) + 1)
    assert log.verify() == []
    assert log.orphans() == []


def test_a_tail_read_fetches_only_the_last_blocks(s3_bucket: S3Bucket, lines: Any) -> None:
    target = open_bucket(s3_bucket)
    bucket = CountingBucket(target._store, name=target.name)
    bucket.ranged = []
    log = small_log(bucket)
    data = session_bytes(lines, 2000)
    version = log.append(data, base=log.load()).version
    assert len(version.manifest.segments) > 50
    bucket.gets = 0
    got = log.read(len(data) - 300, version=version)
    assert got.data == data[-300:]
    assert bucket.gets == 0  # no whole segment
    assert len(bucket.ranged) == 1  # one ranged GET of the last segment's last block(s)
    key, start, end = bucket.ranged[0]
    assert key.endswith(version.manifest.segments[-1].name)
    assert end - start <= 2 * 512


def test_a_bucket_opens_from_a_url_and_aws_variables(
    s3_bucket: S3Bucket, lines: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_bucket.environ().items():
        monkeypatch.setenv(name, value)
    bucket = Bucket.open(f"s3://{s3_bucket.bucket}/team/a")
    bucket.check()
    log = SegmentLog(bucket, "--home-me-app--/s1.jsonl")
    log.append(lines.header(), base=log.load())
    plain = open_bucket(s3_bucket)
    keys = [info.key for info in plain.list("team/a/--home-me-app--/s1.jsonl/")]
    assert keys[0] == "team/a/--home-me-app--/s1.jsonl/~manifest"
    assert keys[1].startswith("team/a/--home-me-app--/s1.jsonl/~segments/0000")
    assert bucket.where("k") == f"s3://{s3_bucket.bucket}/team/a/k"


def test_bad_urls_and_session_keys_are_refused(s3_bucket: S3Bucket) -> None:
    with pytest.raises(ValueError, match="expected s3://bucket"):
        Bucket.open("http://example/bucket")
    bucket = open_bucket(s3_bucket)
    for key in ("", "../x", "a/../b", "/abs", "a//b", "~a", "a/~segments", "a" * 256, "tab\there"):
        with pytest.raises(ValueError, match="not a valid session key"):
            SegmentLog(bucket, key)
    log = SegmentLog(bucket, "s")
    with pytest.raises(ValueError, match="whole lines"):
        log.append(b'{"torn":', base=log.load())
    assert bucket.list("") == []


# --------------------------------------------------------------------------- idempotence, CAS


def test_the_same_bytes_make_the_same_segments_and_nothing_twice(
    s3_bucket: S3Bucket, lines: Any
) -> None:
    bucket = open_bucket(s3_bucket)
    data = session_bytes(lines, 200)
    first, second = small_log(bucket), small_log(bucket)
    base = first.load()
    done = first.append(data, base=base)
    assert done.reused == 0 and done.written == len(done.version.manifest.segments)
    # A second writer pushing the same bytes from the same base: every segment is already
    # there (same names), and its manifest update is refused as stale.
    with pytest.raises(StaleManifestError, match="generation 0 then, 1 now"):
        second.append(data, base=base)
    names = [info.key.rpartition("/")[2] for info in bucket.list(f"{first.session}/~segments/")]
    assert names == [ref.name for ref in done.version.manifest.segments]
    assert first.orphans() == []
    assert first.read().data == data


def test_a_stale_writer_is_refused_and_its_segments_are_orphans(
    s3_bucket: S3Bucket, lines: Any
) -> None:
    bucket = open_bucket(s3_bucket)
    a, b = small_log(bucket), small_log(bucket)
    head = lines.header()
    version = a.append(head, base=a.load()).version
    seen_by_b = b.load()
    version = a.append(lines.user("00000001", None, "from a"), base=version).version
    with pytest.raises(StaleManifestError):
        b.append(lines.user("00000002", None, "from b"), base=seen_by_b)
    assert a.load().manifest == version.manifest
    assert len(a.orphans()) == 1
    # b reads again and appends after a's line.
    b.append(lines.user("00000002", None, "from b"), base=b.load())
    text = a.read().data
    assert text.index(b"from a") < text.index(b"from b")


def test_concurrent_writers_from_one_base_one_wins(s3_bucket: S3Bucket, lines: Any) -> None:
    bucket = open_bucket(s3_bucket)
    base = small_log(bucket).load()
    outcomes: list[str] = []

    def write(n: int) -> None:
        try:
            small_log(bucket).append(lines.user(f"{n:08x}", None, f"writer {n}"), base=base)
            outcomes.append("won")
        except StaleManifestError:
            outcomes.append("stale")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["stale"] * 7 + ["won"]
    assert small_log(bucket).load().manifest.generation == 1


def test_a_stale_fence_is_rejected(s3_bucket: S3Bucket, lines: Any) -> None:
    bucket = open_bucket(s3_bucket)
    old, new = small_log(bucket), small_log(bucket)
    version = old.append(lines.header(), base=old.load(), fence=1).version
    stale_view = old.load()
    # The lease moved to a writer with fence 2, which wrote.
    version = new.append(
        lines.user("00000001", None, "new holder"), base=new.load(), fence=2
    ).version
    assert version.manifest.fence == 2
    with pytest.raises(StaleFenceError, match="fence 1 rejected: fence 2 has written"):
        old.append(lines.user("00000002", None, "old holder"), base=old.load(), fence=1)
    with pytest.raises(StaleFenceError):  # also when its manifest is stale
        old.append(lines.user("00000002", None, "old holder"), base=stale_view, fence=1)
    assert b"old holder" not in new.read().data


# --------------------------------------------------------------------------- corruption


def _damage(bucket: Bucket, key: str, how: str) -> None:
    if how == "delete":
        bucket.delete(key)
        return
    data, etag = bucket.get(key)
    assert etag is not None
    changed = data[:100] + bytes([data[100] ^ 0x20]) + data[101:] if how == "flip" else data[:-10]
    bucket.put_replacing(key, changed, etag)


@pytest.mark.parametrize(
    ("how", "reason"), [("flip", "sha256"), ("truncate", "size"), ("delete", "missing")]
)
def test_a_damaged_segment_is_reported_and_the_rest_stays_readable(
    s3_bucket: S3Bucket, lines: Any, tmp_path: Path, how: str, reason: str
) -> None:
    bucket = open_bucket(s3_bucket)
    log = small_log(bucket)
    data = session_bytes(lines, 400)
    version = log.append(data, base=log.load()).version
    victim = version.manifest.segments[3]
    _damage(bucket, log.segment_key(victim), how)

    with pytest.raises(SegmentCorruptError, match=f"segment damaged \\({reason}") as caught:
        log.read()
    assert (caught.value.offset, caught.value.size) == (victim.offset, victim.size)
    assert caught.value.key.endswith(victim.name)

    damage = log.verify()
    assert [(d.reason, d.offset) for d in damage] == [(reason, victim.offset)]

    result = log.read(skip_damaged=True)
    assert not result.complete
    assert result.data == data[: victim.offset] + data[victim.end :]
    # Whole lines on both sides of the gap: the session still opens, minus the lost entries.
    path = tmp_path / "rest.jsonl"
    path.write_bytes(result.data)
    session = Session.open(path)
    assert len(session) == 400 - victim.lines
    # Ranges that avoid the damaged segment read without complaint.
    assert log.read(0, victim.offset).data == data[: victim.offset]
    assert log.read(victim.end).data == data[victim.end :]


def test_a_flipped_byte_is_caught_by_a_ranged_read(s3_bucket: S3Bucket, lines: Any) -> None:
    bucket = open_bucket(s3_bucket)
    log = small_log(bucket)
    data = session_bytes(lines, 200)
    version = log.append(data, base=log.load()).version
    victim = version.manifest.segments[1]
    _damage(bucket, log.segment_key(victim), "flip")  # byte 100 of the segment: block 0
    with pytest.raises(SegmentCorruptError, match="crc32: block 0"):
        log.read(victim.offset + 10, victim.offset + 20)
    # A block of the same segment that was not touched still reads.
    assert (
        log.read(victim.offset + 600, victim.offset + 700).data
        == data[victim.offset + 600 : victim.offset + 700]
    )


def test_a_corrupt_manifest_is_reported(s3_bucket: S3Bucket, lines: Any) -> None:
    bucket = open_bucket(s3_bucket)
    log = small_log(bucket)
    version = log.append(lines.header(), base=log.load()).version
    assert version.etag is not None
    bucket.put_replacing(
        log.manifest_key, version.raw.replace(b'"lines":1', b'"lines":2'), version.etag
    )
    with pytest.raises(ManifestCorruptError, match="corrupt manifest \\(checksum"):
        log.load()


# --------------------------------------------------------------------------- server faults


def test_missing_bucket_and_wrong_credentials_are_clear_and_write_nothing(
    s3_server: SeaweedServer, s3_bucket: S3Bucket, lines: Any
) -> None:
    missing = open_bucket(s3_server.bucket(create=False), retries=0)
    with pytest.raises(BucketNotFoundError, match="no such bucket"):
        missing.check()
    log = SegmentLog(missing, "s")
    with pytest.raises(BucketNotFoundError):
        log.append(lines.header(), base=log.load())

    wrong = Bucket.open(
        s3_bucket.url,
        endpoint=s3_bucket.endpoint,
        access_key_id=s3_bucket.access_key_id,
        secret_access_key="not-the-secret",
        retries=0,
    )
    with pytest.raises(BucketAccessError, match="access denied"):
        wrong.check()
    with pytest.raises(BucketAccessError):
        SegmentLog(wrong, "s").append(lines.header(), base=log.load())
    assert open_bucket(s3_bucket).list("") == []


def test_a_server_killed_mid_upload_resumes_without_duplicates(
    s3_server_factory: Any, lines: Any
) -> None:
    server: SeaweedServer = s3_server_factory()
    target = server.bucket()
    options = {"retries": 1, "retry_timeout": 2.0, "request_timeout": 10.0}
    data = session_bytes(lines, 12000, seed=3)  # about 4 MB: 130 segments
    log = SegmentLog(open_bucket(target, **options), "s", segment_size=32 * 1024, concurrency=2)
    errors: list[BaseException] = []

    def push() -> None:
        try:
            log.append(data, base=log.load())
        except BaseException as error:  # reported to the test thread
            errors.append(error)

    pusher = threading.Thread(target=push)
    pusher.start()
    watcher = open_bucket(target, **options)
    deadline = time.monotonic() + 60
    while len(watcher.list("s/~segments/")) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill()
    pusher.join(60)
    assert not pusher.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], ObjectStoreUnavailableError), errors

    server.start()
    again = SegmentLog(open_bucket(target, **options), "s", segment_size=32 * 1024)
    before = again.bucket.list("s/~segments/")
    assert again.load().manifest.generation == 0  # nothing was committed
    done = again.append(data, base=again.load())
    segments = done.version.manifest.segments
    assert done.reused >= 5 and done.written + done.reused == len(segments)
    assert len(before) >= done.reused
    after = [info.key.rpartition("/")[2] for info in again.bucket.list("s/~segments/")]
    assert after == [ref.name for ref in segments]  # each segment once, none left over
    assert again.read().data == data
    assert again.verify() == []


def test_a_damaged_leftover_under_a_segments_name_is_replaced(
    s3_bucket: S3Bucket, lines: Any
) -> None:
    bucket = open_bucket(s3_bucket)
    log = small_log(bucket)
    data = session_bytes(lines, 100)
    refs = log.append(data, base=log.load()).version.manifest.segments
    # The bucket as an interrupted, botched upload may leave it: no manifest, the first
    # segment's name holding wrong bytes of the right size, the others missing.
    bucket.delete(log.manifest_key)
    for ref in refs:
        bucket.delete(log.segment_key(ref))
    bucket.put_new(log.segment_key(refs[0]), b"x" * refs[0].size)
    done = log.append(data, base=log.load())
    assert (done.written, done.reused) == (len(refs), 0)
    assert log.read().data == data and log.verify() == []
    # Pushed again from the same base, every segment checks out and is reused.
    bucket.delete(log.manifest_key)
    again = log.append(data, base=log.load())
    assert (again.written, again.reused) == (0, len(refs))
