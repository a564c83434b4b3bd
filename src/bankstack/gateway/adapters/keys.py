"""The platform's Ed25519 signing key, kept in a file every process of a deployment shares.

Responses to partners and webhooks (``v1a``) are signed with it; partners verify with the
public half, published at ``/.well-known/jwks.json``. The key id is derived from the public
key, so every process names the same key the same way and a new key gets a new id.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bankstack_sdk.signing import SigningKey


def key_id_for(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "plat_" + hashlib.sha256(raw).hexdigest()[:16]


def create_secret_file(path: Path, make: Callable[[], bytes]) -> None:
    """Write ``make()`` to ``path`` (mode 0600) unless the file exists.

    Creation is atomic (O_EXCL), so two processes starting together end up with one file: the
    loser keeps the winner's content.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    content = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process won the race: use its file
    with os.fdopen(fd, "wb") as file:
        file.write(content)


def fsync_directory(directory: Path) -> None:
    """Make a new or replaced entry of ``directory`` durable (a file's own fsync is not)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_or_create_signing_key(path: Path) -> SigningKey:
    """The key in ``path`` (PKCS#8 PEM), made first if the file does not exist."""
    create_secret_file(path, lambda: SigningKey.generate("new").to_pem())
    loaded = SigningKey.from_pem("pending", path.read_bytes())
    return SigningKey(key_id_for(loaded.private_key), loaded.private_key)
