"""Password protection of share bundles: a memory-hard key derivation and an AEAD cipher, both
from the ``cryptography`` package (the ``share`` extra).

* Key derivation: **Argon2id** (RFC 9106), by default with the RFC's second recommended
  setting, 64 MiB of memory, 3 passes, 4 lanes. Argon2id makes every password guess cost that
  memory, which is what defeats guessing on GPUs, and resists side channels better than scrypt
  or Argon2d. Where ``cryptography``'s OpenSSL lacks Argon2 (before OpenSSL 3.2), bundles are
  written with **scrypt** (n=2**17, r=8, p=1: 128 MiB) instead; both are read.
* Cipher: **AES-256-GCM** with a fresh random 96-bit nonce per bundle (its key is fresh too: a
  new random salt per bundle). The bundle's header is authenticated as associated data.

The derivation yields 64 bytes: the first 32 are the key, the last 32 a check value of which
16 bytes are stored, so that a wrong password is told apart from an altered bundle. The check
gives a guesser nothing the ciphertext would not: each guess still costs one derivation.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

import msgspec

from sesslog.errors import SesslogError

__all__ = [
    "CIPHER",
    "NONCE_BYTES",
    "TAG_BYTES",
    "CryptoUnavailableError",
    "KdfParams",
    "decrypt",
    "default_kdf_params",
    "derive",
    "encrypt",
    "key_for",
]

CIPHER = "AES-256-GCM"
NONCE_BYTES = 12
TAG_BYTES = 16
SALT_BYTES = 16
CHECK_BYTES = 16
# Bounds on what a bundle may ask of the reader (a hostile bundle could ask for terabytes).
MAX_MEMORY_KIB = 1 << 20  # 1 GiB
MAX_PASSES = 16
MAX_LANES = 16
MAX_SCRYPT_LOG_N = 20


class CryptoUnavailableError(SesslogError, RuntimeError):
    """Password protection needs the ``cryptography`` package (``pip install sesslog[share]``)."""


class KdfParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """How a bundle's key is derived from its password (stored in the bundle's header).

    Attributes:
        name: ``argon2id`` or ``scrypt``.
        salt: 16 random bytes, base64 in the header.
        memory_kib: Argon2id memory in KiB (``0`` for scrypt).
        passes: Argon2id passes (time cost); for scrypt, r (block size).
        lanes: Argon2id lanes; for scrypt, p (parallelism).
        log_n: scrypt's log2(n) (``0`` for Argon2id).
        check: 16 bytes of derived check value (base64 in the header).
    """

    name: str
    salt: bytes
    memory_kib: int
    passes: int
    lanes: int
    log_n: int
    check: bytes

    def validate(self) -> str | None:
        """Why these parameters cannot be used (out of bounds), or ``None``."""
        if len(self.salt) < 8 or len(self.check) != CHECK_BYTES:
            return "salt or check value of the wrong size"
        if self.name == "argon2id":
            ok = (
                1 <= self.passes <= MAX_PASSES
                and 1 <= self.lanes <= MAX_LANES
                and 8 * self.lanes <= self.memory_kib <= MAX_MEMORY_KIB
            )
        elif self.name == "scrypt":
            ok = 1 <= self.log_n <= MAX_SCRYPT_LOG_N and 1 <= self.passes <= 32 and self.lanes == 1
            ok = ok and 128 * self.passes * (1 << self.log_n) <= MAX_MEMORY_KIB * 1024
        else:
            return f"unknown key derivation {self.name!r}"
        return None if ok else f"{self.name} parameters out of bounds"


def default_kdf_params() -> dict[str, Any]:
    """The cost parameters new bundles use: Argon2id where available, else scrypt."""
    if _argon2_available():
        return {"name": "argon2id", "memory_kib": 64 * 1024, "passes": 3, "lanes": 4, "log_n": 0}
    return {"name": "scrypt", "memory_kib": 0, "passes": 8, "lanes": 1, "log_n": 17}


def _argon2_available() -> bool:
    _require()
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    try:
        Argon2id(salt=b"\0" * 8, length=32, iterations=1, lanes=1, memory_cost=8).derive(b"")
    except UnsupportedAlgorithm:
        return False
    return True


def _require() -> None:
    try:
        import cryptography  # noqa: F401
    except ImportError as exc:
        raise CryptoUnavailableError(
            "password-protected bundles need the 'cryptography' package: "
            "pip install 'sesslog[share]'"
        ) from exc


def _raw_derive(password: str, params: dict[str, Any], salt: bytes) -> bytes:
    _require()
    secret = password.encode("utf-8")
    if params["name"] == "argon2id":
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        return Argon2id(
            salt=salt,
            length=64,
            iterations=params["passes"],
            lanes=params["lanes"],
            memory_cost=params["memory_kib"],
        ).derive(secret)
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(
        salt=salt, length=64, n=1 << params["log_n"], r=params["passes"], p=params["lanes"]
    ).derive(secret)


def derive(password: str, cost: dict[str, Any] | None = None) -> tuple[bytes, KdfParams]:
    """Derive a new key for ``password`` with a fresh salt.

    Args:
        password: The password.
        cost: ``name``, ``memory_kib``, ``passes``, ``lanes``, ``log_n`` (default:
            :func:`default_kdf_params`).

    Returns:
        The 32-byte key and the parameters to store.
    """
    cost = dict(cost or default_kdf_params())
    salt = os.urandom(SALT_BYTES)
    out = _raw_derive(password, cost, salt)
    return out[:32], KdfParams(salt=salt, check=out[32 : 32 + CHECK_BYTES], **cost)


def key_for(password: str, params: KdfParams) -> bytes | None:
    """The key ``password`` gives under ``params``, or ``None`` when its check value differs."""
    fields = {"name": params.name, "memory_kib": params.memory_kib, "passes": params.passes}
    fields.update(lanes=params.lanes, log_n=params.log_n)
    out = _raw_derive(password, fields, params.salt)
    if not hmac.compare_digest(out[32 : 32 + CHECK_BYTES], params.check):
        return None
    return out[:32]


def encrypt(key: bytes, plaintext: bytes, associated: bytes) -> tuple[bytes, bytes]:
    """AES-256-GCM: return a fresh nonce and the ciphertext with its 16-byte tag at the end."""
    _require()
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, associated)


def decrypt(key: bytes, nonce: bytes, sealed: bytes, associated: bytes) -> bytes | None:
    """Open what :func:`encrypt` sealed; ``None`` when the tag does not verify."""
    _require()
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(nonce, sealed, associated)
    except InvalidTag:
        return None
