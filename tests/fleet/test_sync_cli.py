"""``sesslog push``, ``pull`` and ``sync --watch`` as a user runs them, against real servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from servers import S3Bucket
from test_sync import make_root, session_key

from sesslog.backends.objectstore.bucket import Bucket


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sesslog", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def bucket_keys(target: S3Bucket) -> list[str]:
    bucket = Bucket.open(
        target.url,
        endpoint=target.endpoint,
        access_key_id=target.access_key_id,
        secret_access_key=target.secret_access_key,
    )
    return [info.key for info in bucket.list("")]


def test_push_and_pull_from_the_command_line(tmp_path: Path, s3_bucket: S3Bucket) -> None:
    made = make_root(tmp_path / "a", 3)
    env = {**s3_bucket.environ(), "SESSLOG_BLOBS": s3_bucket.url}
    done = run(env, "push", "--root", str(tmp_path / "a"), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["pushed"] == 3 and report["sent"] == sum(map(len, made.values()))
    again = json.loads(run(env, "push", "--root", str(tmp_path / "a"), "--json").stdout)
    assert again["sent"] == 0 and again["current"] == 3
    key = session_key(1)
    sid = key.rsplit("_", 1)[1].removesuffix(".jsonl")
    pulled = run(env, "pull", sid, "--root", str(tmp_path / "b"))
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.startswith("created ")
    assert (tmp_path / "b" / key).read_bytes() == made[key]
    missing = run(env, "pull", "no-such-id", "--root", str(tmp_path / "b"))
    assert missing.returncode == 4 and "no session 'no-such-id'" in missing.stderr


def test_wrong_credentials_and_a_missing_bucket_are_one_line_and_write_nothing(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    make_root(tmp_path, 2)
    env = s3_bucket.environ()
    wrong = run(
        {**env, "AWS_SECRET_ACCESS_KEY": "not-the-key"},
        "push",
        "--root",
        str(tmp_path),
        "--blobs",
        s3_bucket.url,
    )
    assert wrong.returncode == 6
    assert wrong.stderr.count("\n") == 1 and "access denied" in wrong.stderr
    assert "Traceback" not in wrong.stderr and "nothing was written" in wrong.stderr
    assert bucket_keys(s3_bucket) == []
    gone = run(env, "push", "--root", str(tmp_path), "--blobs", "s3://no-such-bucket-here")
    assert gone.returncode == 4
    assert gone.stderr.strip() == (
        "sesslog: s3://no-such-bucket-here: no such bucket (nothing was written)"
    )


def test_sync_watch_pushes_as_a_session_grows_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    made = make_root(tmp_path, 2)
    env = {**os.environ, **s3_bucket.environ(), "SESSLOG_BLOBS": s3_bucket.url}
    command = ["sync", "--watch", "--json", "--interval", "0", "--root", str(tmp_path)]
    watcher = subprocess.Popen(
        [sys.executable, "-m", "sesslog", *command],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None
        first = json.loads(watcher.stdout.readline())
        assert first["pushed"] == 2
        key = session_key(0)
        extra = b'{"type":"custom","id":"w1","parentId":null,"timestamp":"2026-01-05T10:00:00.000Z","customType":"t"}\n'
        with (tmp_path / key).open("ab") as file:
            file.write(extra)
        second = json.loads(watcher.stdout.readline())
        assert [item for item in second["sessions"] if item["status"] != "current"] == [
            {
                "key": key,
                "status": "pushed",
                "remoteBefore": len(made[key]),
                "remoteAfter": len(made[key]) + len(extra),
                "sent": len(extra),
                "reusedSegments": 0,
                "heldBack": 0,
                "detail": None,
                "sidecar": None,
                "sidecarSent": 0,
            }
        ]
    finally:
        time.sleep(0.2)
        watcher.send_signal(signal.SIGINT)
        _, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 130
    assert "Traceback" not in err
    assert (
        err.strip().splitlines()[-1]
        == f"sesslog: sync stopped after 2 pushes, {len(b''.join(made.values())) + len(extra)} bytes sent"
    )


def test_push_with_a_catalog_lists_and_searches_the_pushed_sessions(
    tmp_path: Path, s3_bucket: S3Bucket, pg_url: str
) -> None:
    made = make_root(tmp_path, 3)
    env = {**s3_bucket.environ(), "SESSLOG_BLOBS": s3_bucket.url}
    done = run(env, "push", "--root", str(tmp_path), "--catalog", pg_url, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["catalog"] == 3
    listed = run(env, "ls", "--catalog", pg_url, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    rows = rows["sessions"] if isinstance(rows, dict) else rows
    assert sorted(row["path"].rpartition("/")[2] for row in rows) == sorted(
        key.rpartition("/")[2] for key in made
    )
    # Grown locally and pushed again: the catalog folds in the new entries.
    key = session_key(0)
    extra = b'{"type":"custom","id":"w1","parentId":null,"timestamp":"2026-01-05T10:00:00.000Z","customType":"t"}\n'
    with (tmp_path / key).open("ab") as file:
        file.write(extra)
    again = json.loads(
        run(env, "push", "--root", str(tmp_path), "--catalog", pg_url, "--json").stdout
    )
    assert again["pushed"] == 1 and again["catalog"] == 1


def test_tree_context_and_export_read_a_session_from_the_bucket(
    tmp_path: Path, s3_bucket: S3Bucket
) -> None:
    key = next(iter(make_root(tmp_path, 1)))
    sid = key.rsplit("_", 1)[1].removesuffix(".jsonl")
    env = s3_bucket.environ()
    assert run(env, "push", "--root", str(tmp_path), "--blobs", s3_bucket.url).returncode == 0
    local_file = str(tmp_path / key)
    for command in (["tree", "--json"], ["context", "--json"], ["export", "--format", "md"]):
        remote = run(env, *command, sid, "--blobs", s3_bucket.url)
        local = run(env, *command, local_file)
        assert remote.returncode == 0, remote.stderr
        assert remote.stdout == local.stdout and remote.stdout
    missing = run(env, "tree", "nope", "--blobs", s3_bucket.url)
    assert missing.returncode == 4 and "no session 'nope'" in missing.stderr
