"""The share bundle file: one session, compressed, with its sharing terms, optionally encrypted.

Layout (``docs/export.md`` has the full description)::

    SESSLOG-BUNDLE\\n                     magic
    {"version":1,"title":...}\\n          header: one line of JSON
    nonce                                12 bytes, encrypted bundles only
    body                                 the zstd frame of the session's JSONL (encrypted or not)
    seal                                 encrypted: the 16-byte AES-GCM tag;
                                         plain: SHA-256 of everything before it (32 bytes)

An encrypted bundle authenticates the magic and header as associated data, so neither the
terms (expiry, flags) nor anything else can change without the password. A plain bundle's
seal detects damage, not deliberate change. Bundles travel as text too: base64 between
``-----BEGIN SESSLOG BUNDLE-----`` and ``-----END SESSLOG BUNDLE-----`` lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

import msgspec

from sesslog.errors import (
    BundleCorruptError,
    BundleError,
    BundleExpiredError,
    BundlePasswordError,
    BundleRefusedError,
    UnsafeBundleError,
)
from sesslog.format.timestamps import iso_to_ms, ms_to_iso, now_ms
from sesslog.interop import bundle_crypto as crypto

__all__ = [
    "BUNDLE_VERSION",
    "MAGIC",
    "BundleCorruptError",
    "BundleError",
    "BundleExpiredError",
    "BundleHeader",
    "BundlePasswordError",
    "BundleRefusedError",
    "OpenedBundle",
    "UnsafeBundleError",
    "bundle_from_text",
    "bundle_to_text",
    "is_bundle",
    "read_bundle",
    "read_bundle_header",
    "write_bundle",
]

MAGIC = b"SESSLOG-BUNDLE\n"
BUNDLE_VERSION = 1
MAX_HEADER_BYTES = 64 * 1024
MAX_SESSION_BYTES = 1 << 32
MAX_BODY_BYTES = (1 << 31) - 1 - crypto.TAG_BYTES  # AES-GCM's limit in ``cryptography``
_BEGIN = "-----BEGIN SESSLOG BUNDLE-----"
_END = "-----END SESSLOG BUNDLE-----"
_SHA_BYTES = 32


class BundleHeader(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """The bundle's header: what it holds and its sharing terms (readable without a password).

    Attributes:
        version: Bundle format version (1).
        title: A title for people.
        tags: Free tags.
        created: When the bundle was made (ISO 8601 UTC).
        expires: After this time (ISO 8601 UTC) the bundle is refused; ``None``: never.
        allow_fork: The receiver may import the session as their own.
        show_history: The bundle holds every branch (``False``: only the path to one entry).
        entries: Entries in the session.
        size: Bytes of the session's JSONL.
        body: Bytes of the compressed (and perhaps encrypted) body.
        cipher: ``AES-256-GCM``, or ``None`` for a plain bundle.
        kdf: How the key is derived from the password, or ``None``.
    """

    version: int
    title: str
    tags: list[str]
    created: str
    expires: str | None
    allow_fork: bool
    show_history: bool
    entries: int
    size: int
    body: int
    cipher: str | None = None
    kdf: crypto.KdfParams | None = None

    @property
    def encrypted(self) -> bool:
        """True when the session is encrypted."""
        return self.cipher is not None


class OpenedBundle(msgspec.Struct, frozen=True):
    """A bundle read and checked.

    Attributes:
        header: Its header.
        jsonl: The session's JSONL bytes, exactly as they were shared.
        digest: SHA-256 of the bundle's bytes (hex), to name where a session came from.
    """

    header: BundleHeader
    jsonl: bytes
    digest: str


_HEADER_ENCODER = msgspec.json.Encoder()
_HEADER_DECODER = msgspec.json.Decoder(BundleHeader)


def write_bundle(
    jsonl: bytes,
    *,
    title: str,
    entries: int,
    tags: list[str] | tuple[str, ...] = (),
    expires: str | None = None,
    allow_fork: bool = True,
    show_history: bool = True,
    password: str | None = None,
    kdf_cost: dict[str, Any] | None = None,
    created: str | None = None,
    level: int = 10,
) -> bytes:
    """Make a bundle of a session's JSONL bytes.

    Args:
        jsonl: The session file's bytes.
        title: A title for people.
        entries: Entries in the session (shown before import).
        tags: Free tags.
        expires: ISO 8601 time after which the bundle is refused.
        allow_fork: Let the receiver import it as their own session.
        show_history: Whether ``jsonl`` holds every branch (recorded for the receiver).
        password: Encrypt with a key derived from this password.
        kdf_cost: Key derivation cost (see :func:`~sesslog.interop.bundle_crypto.derive`).
        created: The creation time (default: now).
        level: zstd compression level.

    Raises:
        BundleError: The session is too large, or ``expires`` is not a time.
    """
    import zstandard

    if expires is not None and iso_to_ms(expires) is None:
        raise BundleError(f"expiry {expires!r} is not an ISO 8601 time")
    if len(jsonl) > MAX_SESSION_BYTES:
        raise BundleError(f"session of {len(jsonl)} bytes is too large for a bundle")
    body = zstandard.ZstdCompressor(
        level=level, write_content_size=True, write_checksum=True
    ).compress(jsonl)
    if len(body) > MAX_BODY_BYTES:
        raise BundleError(f"compressed session of {len(body)} bytes is too large for a bundle")
    key: bytes | None = None
    kdf = None
    if password is not None:
        key, kdf = crypto.derive(password, kdf_cost)
    header = BundleHeader(
        version=BUNDLE_VERSION,
        title=title,
        tags=list(tags),
        created=created or ms_to_iso(now_ms()),
        expires=expires,
        allow_fork=allow_fork,
        show_history=show_history,
        entries=entries,
        size=len(jsonl),
        body=len(body),
        cipher=crypto.CIPHER if key is not None else None,
        kdf=kdf,
    )
    head = MAGIC + _HEADER_ENCODER.encode(header) + b"\n"
    if key is None:
        return head + body + hashlib.sha256(head + body).digest()
    nonce, sealed = crypto.encrypt(key, body, head)
    return head + nonce + sealed


def is_bundle(data: bytes) -> bool:
    """True when ``data`` starts like a bundle, binary or text."""
    return data.startswith(MAGIC) or data.lstrip()[: len(_BEGIN)] == _BEGIN.encode()


def _split_header(blob: bytes) -> tuple[BundleHeader, int]:
    """The header and the offset where the rest starts."""
    if not blob.startswith(MAGIC):
        if MAGIC.startswith(blob):
            raise BundleCorruptError(f"bundle truncated: only {len(blob)} bytes")
        raise BundleError("not a sesslog bundle (it does not start with 'SESSLOG-BUNDLE')")
    end = blob.find(b"\n", len(MAGIC), len(MAGIC) + MAX_HEADER_BYTES + 1)
    if end == -1:
        if len(blob) < len(MAGIC) + MAX_HEADER_BYTES:
            raise BundleCorruptError("bundle truncated inside its header")
        raise BundleCorruptError(f"bundle header longer than {MAX_HEADER_BYTES} bytes")
    line = blob[len(MAGIC) : end]
    try:
        header = _HEADER_DECODER.decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        version = _version_of(line)
        if isinstance(version, int) and version > BUNDLE_VERSION:
            raise BundleError(
                f"bundle format version {version} is newer than this sesslog reads "
                f"({BUNDLE_VERSION})"
            ) from None
        raise BundleCorruptError(f"bundle header damaged: {exc}") from None
    if header.version != BUNDLE_VERSION:
        raise BundleError(f"bundle format version {header.version} is not supported")
    return header, end + 1


def _version_of(line: bytes) -> Any:
    try:
        value = msgspec.json.decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    return value.get("version") if isinstance(value, dict) else None


def read_bundle_header(blob: bytes) -> BundleHeader:
    """The header of a bundle, without checking or opening the rest.

    Raises:
        BundleError: Not a bundle, or a damaged header.
    """
    return _split_header(blob)[0]


def read_bundle(
    blob: bytes, *, password: str | None = None, now: int | None = None, check_expiry: bool = True
) -> OpenedBundle:
    """Check and open a bundle.

    Args:
        blob: The bundle's bytes (binary; see :func:`bundle_from_text` for the text form).
        password: The password of an encrypted bundle.
        now: The time to check the expiry against, Unix milliseconds (default: now).
        check_expiry: Refuse an expired bundle.

    Raises:
        BundleCorruptError: Damaged, truncated, with trailing data, or altered.
        BundlePasswordError: Encrypted and ``password`` is missing or wrong.
        BundleExpiredError: The expiry time has passed.
        BundleError: Not a bundle, or of a newer format version.
    """
    header, at = _split_header(blob)
    if not 0 <= header.body <= MAX_BODY_BYTES or not 0 <= header.size <= MAX_SESSION_BYTES:
        raise BundleCorruptError("bundle header damaged: sizes out of range")
    extra = crypto.NONCE_BYTES if header.encrypted else 0
    seal = crypto.TAG_BYTES if header.encrypted else _SHA_BYTES
    expected = at + extra + header.body + seal
    if len(blob) < expected:
        raise BundleCorruptError(f"bundle truncated: {len(blob)} bytes of {expected}")
    if len(blob) > expected:
        raise BundleCorruptError(f"bundle has {len(blob) - expected} bytes of trailing data")
    if header.encrypted:
        body = _decrypt(blob, header, at, password)
    else:
        if hashlib.sha256(blob[: at + header.body]).digest() != blob[at + header.body :]:
            raise BundleCorruptError("bundle damaged: its checksum does not match")
        body = blob[at : at + header.body]
    jsonl = _decompress(body, header.size)
    if check_expiry and header.expires is not None:
        expires = iso_to_ms(header.expires)
        if expires is None:
            raise BundleCorruptError(f"bundle header damaged: expiry {header.expires!r}")
        if (now if now is not None else now_ms()) >= expires:
            raise BundleExpiredError(f"bundle expired at {header.expires}")
    return OpenedBundle(header, jsonl, hashlib.sha256(blob).hexdigest())


def _decrypt(blob: bytes, header: BundleHeader, at: int, password: str | None) -> bytes:
    if header.cipher != crypto.CIPHER or header.kdf is None:
        raise BundleCorruptError(f"bundle header damaged: cipher {header.cipher!r}")
    problem = header.kdf.validate()
    if problem is not None:
        raise BundleCorruptError(f"bundle header damaged: {problem}")
    if password is None:
        raise BundlePasswordError("bundle is password-protected: give its password")
    key = crypto.key_for(password, header.kdf)
    if key is None:
        raise BundlePasswordError("wrong password (or the bundle's header was altered)")
    nonce = blob[at : at + crypto.NONCE_BYTES]
    body = crypto.decrypt(key, nonce, blob[at + crypto.NONCE_BYTES :], blob[:at])
    if body is None:
        raise BundleCorruptError("bundle was altered or damaged: authentication failed")
    return body


def _decompress(body: bytes, size: int) -> bytes:
    import zstandard

    try:
        declared = zstandard.frame_content_size(body)
        if declared != size:
            raise BundleCorruptError(f"bundle body holds {declared} bytes, header says {size}")
        reader = zstandard.ZstdDecompressor().decompressobj()
        out = reader.decompress(body)
        if not reader.eof or reader.unused_data or len(out) != size:
            raise BundleCorruptError("bundle body damaged: not one complete zstd frame")
    except zstandard.ZstdError as exc:
        raise BundleCorruptError(f"bundle body damaged: {exc}") from None
    return out


def bundle_to_text(blob: bytes) -> str:
    """The bundle as text for pasting: base64 lines between BEGIN and END markers."""
    b64 = base64.b64encode(blob).decode("ascii")
    lines = [b64[i : i + 76] for i in range(0, len(b64), 76)]
    return "\n".join([_BEGIN, *lines, _END]) + "\n"


_TEXT = re.compile(re.escape(_BEGIN) + r"(.*?)" + re.escape(_END), re.DOTALL)


def bundle_from_text(text: str | bytes) -> bytes:
    """The bundle's bytes from its text form (whitespace and text around the markers ignored).

    Raises:
        BundleCorruptError: Markers missing or the base64 is damaged.
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    match = _TEXT.search(text)
    if match is None:
        raise BundleCorruptError("bundle text damaged: BEGIN/END lines not found")
    try:
        return base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleCorruptError(f"bundle text damaged: bad base64 ({exc})") from None
