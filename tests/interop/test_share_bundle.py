"""Share bundles: byte-exact round trips, the text form, and a clear error for every kind of
damage, a wrong password and an expired bundle."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from export_samples import branched_session

from sesslog.format.timestamps import iso_to_ms
from sesslog.interop import bundle_crypto
from sesslog.interop.bundle_format import (
    MAGIC,
    BundleCorruptError,
    BundleError,
    BundleExpiredError,
    BundlePasswordError,
    bundle_from_text,
    bundle_to_text,
    read_bundle,
    read_bundle_header,
    write_bundle,
)
from sesslog.interop.share import share_file

CHEAP = {"name": "argon2id", "memory_kib": 64, "passes": 1, "lanes": 1, "log_n": 0}
SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
REAL = sorted((SHARED / "pi-wild").glob("*.jsonl"))[:6] + sorted(
    (SHARED / "pi-real").glob("*.jsonl")
)


def small_bundle(lines: Any, **options: Any) -> tuple[bytes, bytes]:
    data = lines.session(lines.user("u1", None, "hello"), lines.assistant("a1", "u1", "hi"))
    options.setdefault("title", "t")
    return data, write_bundle(data, entries=2, **options)


def layout(blob: bytes) -> dict[str, range]:
    """Where each part of an encrypted bundle lies."""
    header_end = blob.index(b"\n", len(MAGIC)) + 1
    nonce_end = header_end + bundle_crypto.NONCE_BYTES
    tag_start = len(blob) - bundle_crypto.TAG_BYTES
    return {
        "magic": range(0, len(MAGIC)),
        "header": range(len(MAGIC), header_end),
        "nonce": range(header_end, nonce_end),
        "ciphertext": range(nonce_end, tag_start),
        "tag": range(tag_start, len(blob)),
    }


def flipped(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 0x01]) + blob[at + 1 :]


@pytest.mark.skipif(not REAL, reason=f"shared fixtures not found at {SHARED}")
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name[:40])
@pytest.mark.parametrize("password", [None, "correct horse"])
def test_round_trip_is_byte_exact(path: Path, password: str | None) -> None:
    original = path.read_bytes()
    blob = share_file(path, password=password, kdf_cost=CHEAP, tags=["a", "b"])
    opened = read_bundle(blob, password=password)
    assert opened.jsonl == original
    assert opened.header.size == len(original)
    assert opened.header.tags == ["a", "b"]
    assert opened.header.encrypted is (password is not None)
    assert read_bundle(bundle_from_text(bundle_to_text(blob)), password=password).jsonl == original
    if password is not None:
        assert original[:64] not in blob  # the session itself is not readable


def test_round_trip_of_damaged_files(damaged_dir: Path) -> None:
    """Torn tails, glued records, NUL padding: the bytes travel as they are. A file without
    a header is no session: it is refused with a clear error."""
    for path in sorted(damaged_dir.glob("*.jsonl")):
        if path.name == "missing_header.jsonl":
            with pytest.raises(BundleError, match="not a session file"):
                share_file(path)
            continue
        blob = share_file(path)
        assert read_bundle(blob).jsonl == path.read_bytes(), path.name


def test_header_holds_the_terms(tmp_path: Path, lines: Any) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(branched_session(lines))
    blob = share_file(path, expires="2999-01-01T00:00:00Z", allow_fork=False, tags=["x"])
    header = read_bundle_header(blob)
    assert header.title == "Viewer sample"  # the session's name
    assert (header.expires, header.allow_fork, header.show_history) == (
        "2999-01-01T00:00:00Z",
        False,
        True,
    )
    assert header.entries == 11 and header.cipher is None and header.kdf is None
    assert iso_to_ms(header.created) is not None
    line = blob[len(MAGIC) : blob.index(b"\n", len(MAGIC))]
    assert json.loads(line)["allowFork"] is False


def test_without_history_only_the_path_travels(tmp_path: Path, lines: Any) -> None:
    data = branched_session(lines)
    path = tmp_path / "s.jsonl"
    path.write_bytes(data)
    opened = read_bundle(share_file(path, show_history=False, leaf_id="b1"))
    by_id = {json.loads(line).get("id"): line + b"\n" for line in data.splitlines()[1:]}
    expected = (
        data.split(b"\n", 1)[0]
        + b"\n"
        + b"".join(by_id[i] for i in ("u1", "a1", "t1", "u2b", "b1"))
    )
    assert opened.jsonl == expected
    assert opened.header.show_history is False and opened.header.entries == 5


def test_text_form_survives_mail_and_chat(lines: Any) -> None:
    data, blob = small_bundle(lines)
    text = bundle_to_text(blob)
    assert (
        text.startswith("-----BEGIN SESSLOG BUNDLE-----\n")
        and max(map(len, text.splitlines())) <= 76
    )
    pasted = "Here it is:\r\n\r\n" + text.replace("\n", "\r\n  ") + "\r\nthanks"
    assert read_bundle(bundle_from_text(pasted)).jsonl == data
    with pytest.raises(BundleCorruptError, match="bad base64"):
        bundle_from_text(text.replace("A", "*", 1))
    with pytest.raises(BundleCorruptError, match="BEGIN/END"):
        bundle_from_text(text[:-30])


def test_wrong_or_missing_password(lines: Any) -> None:
    data, blob = small_bundle(lines, password="right", kdf_cost=CHEAP)
    with pytest.raises(BundlePasswordError, match="wrong password"):
        read_bundle(blob, password="wrong")
    with pytest.raises(BundlePasswordError, match="password-protected"):
        read_bundle(blob)
    assert read_bundle(blob, password="right").jsonl == data
    plain_data, plain = small_bundle(lines)
    assert read_bundle(plain, password="ignored").jsonl == plain_data


@pytest.mark.parametrize("password", [None, "pw"])
def test_every_truncation_is_reported(lines: Any, password: str | None) -> None:
    _, blob = small_bundle(lines, password=password, kdf_cost=CHEAP)
    for size in range(len(blob)):
        with pytest.raises(BundleCorruptError, match="truncated"):
            read_bundle(blob[:size], password=password)
    with pytest.raises(BundleCorruptError, match="trailing data"):
        read_bundle(blob + b"\0", password=password)


def test_every_tampered_byte_of_an_encrypted_bundle_is_caught(lines: Any) -> None:
    data, blob = small_bundle(lines, password="pw", kdf_cost=CHEAP)
    parts = layout(blob)
    seen: dict[str, set[str]] = {name: set() for name in parts}
    for name, where in parts.items():
        for at in where:
            with pytest.raises(BundleError) as caught:
                read_bundle(flipped(blob, at), password="pw")
            seen[name].add(type(caught.value).__name__ + ": " + str(caught.value).split(":")[0])
    assert seen["magic"] == {
        "BundleError: not a sesslog bundle (it does not start with 'SESSLOG-BUNDLE')"
    }
    for name in ("nonce", "ciphertext", "tag"):
        assert seen[name] == {"BundleCorruptError: bundle was altered or damaged"}, name
    # A changed header byte breaks its JSON, its sizes, the key check or the authentication.
    expected = re.compile(
        r"(BundleCorruptError: bundle (header damaged|truncated|has \d+ bytes of trailing data"
        r"|was altered or damaged)|BundlePasswordError: wrong password .*"
        r"|BundleError: bundle format version \d+ is not supported)"
    )
    assert all(expected.match(message) for message in seen["header"]), seen["header"]
    assert "BundleCorruptError: bundle was altered or damaged" in seen["header"]  # e.g. the title
    assert read_bundle(blob, password="pw").jsonl == data


def test_every_damaged_byte_of_a_plain_bundle_is_caught(lines: Any) -> None:
    _, blob = small_bundle(lines)
    for at in range(len(blob)):
        with pytest.raises(BundleError):
            read_bundle(flipped(blob, at))
    body_at = blob.index(b"\n", len(MAGIC)) + 1
    with pytest.raises(BundleCorruptError, match="checksum"):
        read_bundle(flipped(blob, body_at + 3))
    with pytest.raises(BundleCorruptError, match="checksum"):
        read_bundle(flipped(blob, len(blob) - 1))


def test_expired_bundle_is_refused(lines: Any) -> None:
    data, blob = small_bundle(lines, expires="2026-01-05T10:00:00Z")
    before = iso_to_ms("2026-01-05T09:59:59Z")
    assert read_bundle(blob, now=before).jsonl == data
    with pytest.raises(BundleExpiredError, match="expired at 2026-01-05T10:00:00Z"):
        read_bundle(blob, now=iso_to_ms("2026-01-05T10:00:00Z"))
    with pytest.raises(BundleExpiredError):
        read_bundle(blob)  # now
    assert read_bundle(blob, check_expiry=False).jsonl == data
    _, encrypted = small_bundle(
        lines, expires="2000-01-01T00:00:00Z", password="pw", kdf_cost=CHEAP
    )
    with pytest.raises(BundleExpiredError):
        read_bundle(encrypted, password="pw")
    with pytest.raises(BundleError, match="not an ISO 8601 time"):
        small_bundle(lines, expires="next tuesday")


def test_encrypted_terms_cannot_be_changed(lines: Any) -> None:
    """Moving an encrypted bundle's expiry (same length) fails authentication."""
    _, blob = small_bundle(lines, expires="2000-01-01T00:00:00Z", password="pw", kdf_cost=CHEAP)
    moved = blob.replace(b"2000-01-01T00:00:00Z", b"2999-01-01T00:00:00Z")
    with pytest.raises(BundleCorruptError, match="altered"):
        read_bundle(moved, password="pw")
    no_fork = small_bundle(lines, allow_fork=False, password="pw", kdf_cost=CHEAP)[1]
    with pytest.raises(BundleCorruptError, match="altered"):
        read_bundle(
            no_fork.replace(b'"allowFork":false', b'"allowFork":true '[:-1] + b" "), password="pw"
        )


def _with_header(blob: bytes, **changes: Any) -> bytes:
    end = blob.index(b"\n", len(MAGIC))
    header = json.loads(blob[len(MAGIC) : end])
    header.update(changes)
    return MAGIC + json.dumps(header, separators=(",", ":")).encode() + blob[end:]


def test_hostile_headers_are_refused_before_any_work(lines: Any) -> None:
    _, blob = small_bundle(lines, password="pw", kdf_cost=CHEAP)
    kdf = read_bundle_header(blob).kdf
    assert kdf is not None
    huge = {
        "name": "argon2id",
        "salt": "AAAAAAAAAAAAAAAAAAAAAA==",
        "memoryKib": 1 << 40,
        "passes": 1,
        "lanes": 1,
        "logN": 0,
        "check": "AAAAAAAAAAAAAAAAAAAAAA==",
    }
    with pytest.raises(BundleCorruptError, match="out of bounds"):
        read_bundle(_with_header(blob, kdf=huge), password="pw")
    with pytest.raises(BundleCorruptError, match="header damaged"):
        read_bundle(_with_header(blob, extra=1), password="pw")
    with pytest.raises(BundleError, match="newer than this sesslog reads"):
        read_bundle(_with_header(blob, version=2, extra=1), password="pw")
    _, plain = small_bundle(lines)
    with pytest.raises(BundleCorruptError):
        read_bundle(_with_header(plain, size=1 << 40))
    with pytest.raises(BundleError, match="not a sesslog bundle"):
        read_bundle(b"PK\x03\x04 a zip file")


def test_default_key_derivation_is_memory_hard(lines: Any) -> None:
    data, blob = small_bundle(lines, password="pw")
    kdf = read_bundle_header(blob).kdf
    assert kdf is not None
    if kdf.name == "argon2id":
        assert (kdf.memory_kib, kdf.passes, kdf.lanes) == (64 * 1024, 3, 4)
    else:  # an OpenSSL without Argon2
        assert (kdf.name, kdf.log_n) == ("scrypt", 17)
    assert len(kdf.salt) == 16
    assert read_bundle(blob, password="pw").jsonl == data
