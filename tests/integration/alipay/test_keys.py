"""The platform key file: created once (mode 0600), shared by every process, never replaced."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bankstack.gateway.alipay import FilePlatformKeys, SignType
from bankstack.gateway.alipay.signing import load_public_key, sign, verify


def test_a_missing_key_is_created_private_and_then_reused(tmp_path: Path):
    path = tmp_path / "keys" / "platform.pem"
    first = FilePlatformKeys(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = first.private_key(SignType.RSA2)
    assert key is not None
    assert key.key_size == 2048
    assert first.private_key(SignType.RSA) is None
    written = path.read_bytes()
    second = FilePlatformKeys(path, rsa_path=path)
    assert path.read_bytes() == written  # never replaced
    assert second.public_pem() == first.public_pem()
    assert second.public_pem(SignType.RSA) == first.public_pem()
    public = load_public_key(first.public_pem() or "")
    other = second.private_key(SignType.RSA2)
    assert other is not None
    assert verify(public, SignType.RSA2, b"data", sign(other, SignType.RSA2, b"data"))
    assert [p.name for p in path.parent.iterdir()] == ["platform.pem"]  # no temporary left


def test_processes_starting_together_share_one_key(tmp_path: Path):
    path = tmp_path / "platform.pem"
    found: list[str | None] = []
    start = threading.Barrier(3)

    def start_one() -> None:
        start.wait()
        found.append(FilePlatformKeys(path).public_pem())

    threads = [threading.Thread(target=start_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(found) == 3
    assert len(set(found)) == 1


def test_a_separate_legacy_key_and_a_weak_key(tmp_path: Path):
    keys = FilePlatformKeys(tmp_path / "rsa2.pem", rsa_path=tmp_path / "rsa.pem")
    assert keys.public_pem(SignType.RSA) != keys.public_pem(SignType.RSA2)
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - must be refused
    path = tmp_path / "weak.pem"
    path.write_bytes(
        weak.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="under 2048"):
        FilePlatformKeys(path)
