"""Envelope encryption of small secrets (webhook ``whsec_`` secrets) kept in the database.

A database dump alone must not reveal the secrets, so each is sealed with AES-256-GCM under
a data-encryption key that lives in a key file (``keyring.py``), never in the database. The
stored form is a text token::

    v1:<key id>:<base64url(nonce || ciphertext+tag)>

The key id selects the key, so a keyring can hold several keys (rotation): new tokens use
the newest key and older tokens keep opening with theirs. The caller's associated data (the
row's identity) is authenticated but not stored, so a token copied to another row fails.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOKEN_VERSION: Final = "v1"  # noqa: S105 - the token format version, not a secret
TOKEN_PREFIX: Final = TOKEN_VERSION + ":"
KEY_BYTES: Final = 32  # AES-256
NONCE_BYTES: Final = 12  # the GCM standard nonce; random, so at most ~2**32 seals per key


class SecretBoxError(Exception):
    """A token that cannot be opened; the message names the key id, never the secret."""


class UnknownKeyId(SecretBoxError):
    """The token names a key the keyring does not hold (a key file from another deployment,
    or a key removed too early after a rotation)."""


class SecretTampered(SecretBoxError):
    """The token fails authentication: altered, truncated, or moved to another row."""


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Data-encryption keys by id, oldest first; ``newest`` seals, every key opens."""

    keys: Mapping[str, bytes] = field(repr=False)
    newest: str

    def __post_init__(self) -> None:
        if self.newest not in self.keys:
            raise ValueError(f"the newest key {self.newest!r} is not in the keyring")
        for key_id, key in self.keys.items():
            if len(key) != KEY_BYTES or ":" in key_id:
                raise ValueError(f"key {key_id!r} is not a 256-bit key with a plain id")


def is_sealed(stored: str) -> bool:
    """True for a token this module made; False for a legacy plaintext value."""
    return stored.startswith(TOKEN_PREFIX)


class SecretBox:
    """Seals and opens tokens with a keyring.

    ``reload`` (optional) is asked once for a fresh keyring when a token names an unknown
    key: another process may have rotated the keyring file since this one read it.
    """

    def __init__(self, ring: KeyRing, *, reload: Callable[[], KeyRing] | None = None) -> None:
        self._ring = ring
        self._reload = reload

    def newest_prefix(self) -> str:
        """How every token sealed with the newest key begins (to find rows to re-seal)."""
        return f"{TOKEN_VERSION}:{self._ring.newest}:"

    def seal(self, plaintext: str, aad: bytes) -> str:
        key_id = self._ring.newest
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._ring.keys[key_id]).encrypt(nonce, plaintext.encode("utf-8"), aad)
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{TOKEN_VERSION}:{key_id}:{body}"

    def open(self, token: str, aad: bytes) -> str:
        key_id, blob = _parse(token)
        key = self._key(key_id)
        try:
            plaintext = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            raise SecretTampered(
                f"sealed secret (key {key_id!r}) fails authentication: altered or moved"
            ) from None
        return plaintext.decode("utf-8")

    def _key(self, key_id: str) -> bytes:
        if key_id not in self._ring.keys and self._reload is not None:
            self._ring = self._reload()
        try:
            return self._ring.keys[key_id]
        except KeyError:
            raise UnknownKeyId(
                f"sealed secret names key {key_id!r}, which is not in the keyring"
                f" (has {sorted(self._ring.keys)})"
            ) from None


def _parse(token: str) -> tuple[str, bytes]:
    version, _, rest = token.partition(":")
    key_id, _, body = rest.partition(":")
    if version != TOKEN_VERSION or not key_id or not body:
        raise SecretTampered("not a sealed secret token (expected v1:<key id>:<data>)")
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise SecretTampered(f"sealed secret (key {key_id!r}) is not valid base64url") from None
    if len(blob) < NONCE_BYTES + 16:
        raise SecretTampered(f"sealed secret (key {key_id!r}) is truncated")
    return key_id, blob
