"""The V2 sidecar in the bucket, against a real S3 server: ``push`` ships it, and the active
path and its tail are read through its index by ranged GETs (catching up past it, falling back
to the log when it is missing or damaged), always giving what the local file gives."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from servers import REPO_ROOT, S3Bucket
from test_sync import remote_of, session_key
from test_sync_cli import run

from sesslog import Session
from sesslog.backends.local import LocalFolder
from sesslog.backends.objectstore.backend import ObjectStoreBackend
from sesslog.backends.objectstore.log import SegmentLog
from sesslog.fleet.push import push
from sesslog.fleet.remote_open import open_remote
from sesslog.projections.protocol import OpenScope
from sesslog.v2 import migrate_jsonl_to_v2

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from fixtures.generate import make_v3_session

KEY = session_key(7)
SESSION_ID = KEY.rsplit("_", 1)[1].removesuffix(".jsonl")


def make_session(root: Path, entries: int = 3000) -> Path:
    path = root / KEY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        make_v3_session(entries, seed=7, line_bytes=600, branch_every=97, compaction_every=701)
    )
    return path


def migrated_session(root: Path, bucket: S3Bucket) -> tuple[Path, ObjectStoreBackend]:
    """A session with its V2 sidecar under ``root``, and the bucket's remote (nothing pushed)."""
    path = make_session(root)
    migrate_jsonl_to_v2(path)
    return path, remote_of(bucket)


def local_answer(path: Path, count: int) -> tuple[list[bytes], object]:
    whole = Session.open(path, sidecar=False)
    path_records = whole.tree.path()
    return [rec.raw for rec in path_records[-count:]], whole.context().to_json()


def check_same(remote: ObjectStoreBackend, path: Path, *, via_sidecar: bool) -> int:
    """The tail and the active path's context read from the bucket equal the local file's;
    returns the bytes fetched for the tail."""
    raws, context = local_answer(path, 50)
    tail = open_remote(remote, KEY, OpenScope.tail(50))
    assert [rec.raw for rec in tail.session.tree.path()[-50:]] == raws
    active = open_remote(remote, KEY, OpenScope.active_path())
    assert active.session.context().to_json() == context
    kinds = [tail.session.store_kind, active.session.store_kind]
    if via_sidecar:
        assert tail.fallback is None and active.fallback is None
        assert kinds == ["v2_sidecar", "v2_sidecar"]
    else:
        assert tail.fallback is not None and "reading the log" in tail.fallback
        assert kinds == ["s3", "s3"]
    return tail.fetched


def test_push_ships_the_sidecar_and_the_tail_reads_through_it(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    path, remote = migrated_session(tmp_path, s3_bucket)
    report = push(LocalFolder(tmp_path), remote)
    (item,) = report.sessions
    assert item.status == "pushed" and item.sidecar == "sent" and item.sidecar_sent > 0
    manifest = remote.log(KEY).load().manifest
    assert manifest.sidecar is not None and manifest.sidecar.size == path.stat().st_size
    fetched = check_same(remote, path, via_sidecar=True)
    assert fetched < path.stat().st_size // 5  # far from downloading the whole log
    again = push(LocalFolder(tmp_path), remote).sessions[0]
    assert (again.status, again.sidecar, again.sent, again.sidecar_sent) == (
        "current",
        "current",
        0,
        0,
    )


def test_appended_lines_are_caught_up_from_the_log(
    tmp_path: Path, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, remote = migrated_session(tmp_path, s3_bucket)
    push(LocalFolder(tmp_path), remote)
    session = Session.open(path, sidecar=False)
    for number in range(30):
        session.append_user_message(f"more {number}")
        session.append_assistant_message(f"reply {number}", provider="p", model="m")
    session.close()
    item = push(LocalFolder(tmp_path), remote).sessions[0]
    assert item.status == "pushed" and item.sidecar == "current"  # the one that grew stale
    held = remote.log(KEY).load().manifest
    assert held.sidecar is not None and held.sidecar.size < held.size
    check_same(remote, path, via_sidecar=True)
    # With the automatic build on, push catches the local sidecar up and ships it.
    monkeypatch.setenv("SESSLOG_AUTO_SIDECAR", str(1 << 20))
    item = push(LocalFolder(tmp_path), remote).sessions[0]
    assert item.sidecar == "sent"
    held = remote.log(KEY).load().manifest
    assert held.sidecar is not None and held.sidecar.size == held.size
    check_same(remote, path, via_sidecar=True)


def test_a_session_past_the_threshold_gets_its_sidecar_built(
    tmp_path: Path, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_session(tmp_path, entries=1500)
    monkeypatch.setenv("SESSLOG_AUTO_SIDECAR", str(path.stat().st_size))
    remote = remote_of(s3_bucket)
    assert push(LocalFolder(tmp_path), remote).sessions[0].sidecar == "sent"
    check_same(remote, path, via_sidecar=True)


def test_without_a_sidecar_the_log_is_read_and_said_so(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    path = make_session(tmp_path, entries=400)
    remote = remote_of(s3_bucket)
    assert push(LocalFolder(tmp_path), remote).sessions[0].sidecar is None
    check_same(remote, path, via_sidecar=False)
    tail = open_remote(remote, KEY, OpenScope.tail(5))
    assert tail.fallback is not None and "holds none" in tail.fallback


@pytest.mark.parametrize("which", ["index", "segment", "manifest"])
def test_a_corrupted_sidecar_object_falls_back_to_the_log(
    tmp_path: Path, s3_bucket: S3Bucket, which: str
) -> None:
    path, remote = migrated_session(tmp_path, s3_bucket)
    push(LocalFolder(tmp_path), remote)
    log = remote.log(KEY)
    ref = log.load().manifest.sidecar
    assert ref is not None
    from sesslog.fleet.remote_sidecar import RemoteSidecar

    sidecar = RemoteSidecar.fetch(log, ref.manifest, ref.manifest_size)
    if which == "index":
        key = sidecar.object_key(sidecar.manifest.index[-1].sha256)
    elif which == "segment":
        key = sidecar.object_key(sidecar.manifest.segments[-1].sha256)
    else:
        key = log.sidecar_key(ref.manifest)
    data, etag = remote.bucket.get(key)
    assert etag is not None
    damaged = bytearray(data)
    for at in range(0, len(damaged), 512):  # every block a read may touch
        damaged[at] ^= 0x5A
    remote.bucket.put_replacing(key, bytes(damaged), etag)
    check_same(remote, path, via_sidecar=False)
    tail = open_remote(remote, KEY, OpenScope.tail(50))
    assert tail.fallback is not None and "damaged" in tail.fallback


def test_an_interrupted_sidecar_push_resumes(
    tmp_path: Path, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, remote = migrated_session(tmp_path, s3_bucket)

    def cut(*args: object, **kwargs: object) -> None:
        raise OSError("connection lost before the manifest swap")

    with monkeypatch.context() as patch:
        patch.setattr(SegmentLog, "attach_sidecar", cut)
        first = push(LocalFolder(tmp_path), remote).sessions[0]
    assert first.status == "failed"
    held = remote.log(KEY).load().manifest
    assert held.size == path.stat().st_size and held.sidecar is None  # log in, sidecar not
    again = push(LocalFolder(tmp_path), remote).sessions[0]
    assert again.status == "pushed" and again.sidecar == "sent"
    assert again.sent == 0 and again.sidecar_sent == 0 and again.reused > 0
    check_same(remote, path, via_sidecar=True)


def test_context_and_tree_from_the_command_line_equal_the_local_file(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    path, remote = migrated_session(tmp_path, s3_bucket)
    push(LocalFolder(tmp_path), remote)
    env = s3_bucket.environ()
    for command in (["context", "--json"], ["tree", "--active"]):
        local = run(env, *command, str(path))
        remote_run = run(env, *command, SESSION_ID, "--blobs", s3_bucket.url)
        assert local.returncode == remote_run.returncode == 0, remote_run.stderr
        assert remote_run.stdout == local.stdout
        assert remote_run.stderr == ""
    log = remote.log(KEY)
    ref = log.load().manifest.sidecar
    assert ref is not None
    remote.bucket.delete(log.sidecar_key(ref.manifest))
    fallen = run(env, "context", "--json", SESSION_ID, "--blobs", s3_bucket.url)
    assert fallen.returncode == 0
    assert json.loads(fallen.stdout) == json.loads(run(env, "context", "--json", str(path)).stdout)
    assert fallen.stderr.count("\n") == 1 and "V2 sidecar not used" in fallen.stderr
