"""Strings to sign and RSA signatures of the Alipay v2 protocol.

Request rule: take every parameter except ``sign`` (``sign_type`` stays in), drop those with
an empty value, sort by key (byte order), and join ``key=value`` with ``&``, values raw, not
URL-encoded. The bytes are the values as the client encoded them in its ``charset`` (the
percent-decoded bytes of the query string and form), so verification never re-encodes text.

Notification rule: the same, but ``sign_type`` is left out as well.

``RSA2`` is SHA256withRSA and ``RSA`` is SHA1withRSA, both PKCS#1 v1.5; a signature travels
as standard base64 without line breaks. All cryptography is done by ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from bankstack.gateway.alipay.commands import SignType

MIN_KEY_BITS: Final = 2048
_MAX_SIGNATURE_CHARS: Final = 1024  # base64 of a 4096-bit signature is 684


def request_sign_content(params: Mapping[str, bytes]) -> bytes:
    """The bytes a client signed: ``k=v&...`` over every non-empty parameter but ``sign``."""
    items = sorted((key.encode("ascii"), value) for key, value in params.items() if key != "sign")
    return b"&".join(key + b"=" + value for key, value in items if value)


def notification_sign_content(form: Mapping[str, str]) -> str:
    """The text a notification's ``sign`` covers: every non-empty field but sign, sign_type."""
    items = sorted(
        (key, value) for key, value in form.items() if key not in {"sign", "sign_type"} and value
    )
    return "&".join(f"{key}={value}" for key, value in items)


def _hash(sign_type: SignType) -> hashes.HashAlgorithm:
    # SHA-1 only where the legacy RSA type asks for it; RSA2 is the protocol's recommendation.
    return hashes.SHA256() if sign_type is SignType.RSA2 else hashes.SHA1()  # noqa: S303


def sign(key: RSAPrivateKey, sign_type: SignType, data: bytes) -> str:
    """Base64 of the PKCS#1 v1.5 signature of ``data``."""
    signature = key.sign(data, padding.PKCS1v15(), _hash(sign_type))
    return base64.b64encode(signature).decode("ascii")


def verify(key: RSAPublicKey, sign_type: SignType, data: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is a valid signature of ``data``; never raises."""
    if not signature or len(signature) > _MAX_SIGNATURE_CHARS:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, data, padding.PKCS1v15(), _hash(sign_type))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def _der_or_pem(text: str | bytes) -> tuple[bytes, bool]:
    data = text.encode("ascii") if isinstance(text, str) else text
    if b"-----BEGIN" in data:
        return data, True
    # The Alipay console shows keys as bare base64 of the DER encoding, without PEM armour.
    return base64.b64decode(b"".join(data.split()), validate=True), False


def load_public_key(text: str | bytes, *, min_bits: int = MIN_KEY_BITS) -> RSAPublicKey:
    """An RSA public key from PEM (SubjectPublicKeyInfo or PKCS#1) or bare base64 DER."""
    data, is_pem = _der_or_pem(text)
    if is_pem:
        key = serialization.load_pem_public_key(data)
    else:
        key = serialization.load_der_public_key(data)
    if not isinstance(key, RSAPublicKey):
        raise TypeError("not an RSA public key")
    if key.key_size < min_bits:
        raise ValueError(f"an RSA key of {key.key_size} bits is under {min_bits}")
    return key


def load_private_key(text: str | bytes, *, min_bits: int = MIN_KEY_BITS) -> RSAPrivateKey:
    """An RSA private key from unencrypted PEM (PKCS#1 or PKCS#8) or bare base64 DER."""
    data, is_pem = _der_or_pem(text)
    if is_pem:
        key = serialization.load_pem_private_key(data, password=None)
    else:
        key = serialization.load_der_private_key(data, password=None)
    if not isinstance(key, RSAPrivateKey):
        raise TypeError("not an RSA private key")
    if key.key_size < min_bits:
        raise ValueError(f"an RSA key of {key.key_size} bits is under {min_bits}")
    return key


def public_key_base64(key: RSAPublicKey) -> str:
    """The key as the Alipay console shows it: base64 of SubjectPublicKeyInfo DER, one line."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")
