"""The platform's RSA signing keys ("Alipay private key"), kept in PEM files.

Every process of one deployment must sign with the same key, since merchants verify answers
and notifications with the one public key they configured ("alipay_public_key").
``FilePlatformKeys(path)`` loads an RSA private key (unencrypted PEM, at least 2048 bits)
from ``path``; if the file does not exist it generates an RSA-2048 key and creates the file
with mode 0600. Creation is race-free: the key is written to a private temporary file in
the same directory and hard-linked to ``path``, which fails if another process got there
first, in which case its key is loaded instead. The file is never overwritten.

``rsa_path`` optionally gives the key for the legacy ``RSA`` (SHA1withRSA) sign type; it
may be the same file. Without one, RSA answers go out unsigned (see envelope.py).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from bankstack.gateway.adapters.keys import fsync_directory
from bankstack.gateway.alipay.commands import SignType
from bankstack.gateway.alipay.signing import load_private_key
from bankstack.platform.logging import get_logger

KEY_BITS: Final = 2048
PUBLIC_EXPONENT: Final = 65537
FILE_MODE: Final = 0o600
_log = get_logger(__name__)


def _new_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _create(path: Path) -> None:
    """Write a new key to ``path`` unless a file is there; never replaces one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(_new_pem())
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process created it first
            os.link(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # make the new directory entry durable too
        fsync_directory(path.parent)


def load_or_create(path: Path) -> RSAPrivateKey:
    if not path.exists():
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        _log.warning("platform key file is readable by others", path=str(path), mode=oct(mode))
    return load_private_key(path.read_bytes())


def public_pem(key: RSAPrivateKey) -> str:
    """The public half as SubjectPublicKeyInfo PEM, what merchants set as alipay_public_key."""
    data = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode("ascii")


class FilePlatformKeys:
    def __init__(self, path: Path | str, *, rsa_path: Path | str | None = None) -> None:
        self._keys = {SignType.RSA2: load_or_create(Path(path))}
        if rsa_path is not None:
            same = Path(rsa_path) == Path(path)
            self._keys[SignType.RSA] = (
                self._keys[SignType.RSA2] if same else load_or_create(Path(rsa_path))
            )

    def private_key(self, sign_type: SignType) -> RSAPrivateKey | None:
        return self._keys.get(sign_type)

    def public_pem(self, sign_type: SignType = SignType.RSA2) -> str | None:
        key = self._keys.get(sign_type)
        return None if key is None else public_pem(key)
