"""Standard Webhooks (standardwebhooks.com) signing and verification.

Headers ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``, a
space-separated list of ``<version>,<base64 signature>`` over the bytes
``{webhook-id}.{webhook-timestamp}.{raw body}``:

- ``v1``:  HMAC-SHA256 with the shared secret ``whsec_<base64 key>``;
- ``v1a``: Ed25519 with the private key ``whsk_<base64 32-byte seed>``, verified with the
  public key ``whpk_<base64 32 bytes>``.

A receiver accepts the delivery if any signature of a scheme it holds a key for matches, and
ignores versions it does not know, so senders can add schemes without breaking anyone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bankstack_sdk.errors import KeyFormatError, WebhookErrorCode, WebhookVerificationError
from bankstack_sdk.fields import get_header

HMAC_SECRET_PREFIX = "whsec_"  # noqa: S105 - a public prefix, not a secret
SIGNING_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
DEFAULT_TOLERANCE_S = 300
_ED25519_KEY_BYTES = 32
_HMAC_SECRET_BYTES = 32
_MIN_HMAC_SECRET_BYTES = 16
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def generate_hmac_secret() -> str:
    """A fresh ``whsec_`` secret (32 random bytes)."""
    return HMAC_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_HMAC_SECRET_BYTES)).decode()


def generate_signing_key() -> tuple[str, str]:
    """A fresh Ed25519 pair as ``(whsk_..., whpk_...)``."""
    seed = secrets.token_bytes(_ED25519_KEY_BYTES)
    private = SIGNING_KEY_PREFIX + base64.b64encode(seed).decode()
    return private, public_key_for(private)


def public_key_for(signing_key: str | Ed25519PrivateKey) -> str:
    """The ``whpk_`` public key that verifies signatures of ``signing_key``."""
    raw = _private_key(signing_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode()


def sign_webhook(
    msg_id: str,
    timestamp: int,
    body: bytes,
    *,
    hmac_secret: str | None,
    signing_key: str | Ed25519PrivateKey | None,
) -> dict[str, str]:
    """The three Standard Webhooks headers; ``webhook-signature`` holds ``v1a`` then ``v1``."""
    if hmac_secret is None and signing_key is None:
        raise ValueError("sign with an hmac_secret, a signing_key or both")
    if not msg_id or not msg_id.isascii() or not msg_id.isprintable() or " " in msg_id:
        raise ValueError("a webhook id is non-empty printable ASCII without spaces")
    content = _signed_content(msg_id, str(timestamp), body)
    signatures = []
    if signing_key is not None:
        signatures.append("v1a," + _b64(_private_key(signing_key).sign(content)))
    if hmac_secret is not None:
        signatures.append("v1," + _b64(_hmac(_hmac_key(hmac_secret), content)))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    *,
    hmac_secret: str | None = None,
    public_key: str | Ed25519PublicKey | None = None,
    now: int | None = None,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> bytes:
    """Return ``body`` if a signature matches, else raise ``WebhookVerificationError``.

    Deliveries are at least once: deduplicate on ``webhook-id`` after verifying.
    """
    if hmac_secret is None and public_key is None:
        raise ValueError("verify with an hmac_secret, a public_key or both")
    msg_id = get_header(headers, "webhook-id")
    timestamp = get_header(headers, "webhook-timestamp")
    signature = get_header(headers, "webhook-signature")
    if not msg_id or not timestamp or not signature:
        raise WebhookVerificationError(
            WebhookErrorCode.WEBHOOK_SIGNATURE_MISSING,
            "webhook-id, webhook-timestamp and webhook-signature are all required",
        )
    _check_timestamp(timestamp, int(time.time()) if now is None else now, tolerance_s)
    content = _signed_content(msg_id, timestamp, body)
    hmac_key = _hmac_key(hmac_secret) if hmac_secret is not None else None
    verify_key = _public_key(public_key) if public_key is not None else None
    for version, value in _signature_entries(signature):
        if version == "v1" and hmac_key is not None:
            if hmac.compare_digest(value, _hmac(hmac_key, content)):
                return body
        elif (
            version == "v1a" and verify_key is not None and _ed25519_ok(verify_key, value, content)
        ):
            return body
    raise WebhookVerificationError(
        WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID, "no signature matches the configured keys"
    )


def _check_timestamp(value: str, now: int, tolerance_s: int) -> None:
    if not _TIMESTAMP.fullmatch(value):
        raise WebhookVerificationError(
            WebhookErrorCode.WEBHOOK_TIMESTAMP_INVALID, "webhook-timestamp must be Unix seconds"
        )
    skew = now - int(value)
    if abs(skew) > tolerance_s:
        when = "old" if skew > 0 else "far in the future"
        raise WebhookVerificationError(
            WebhookErrorCode.WEBHOOK_TIMESTAMP_INVALID,
            f"webhook-timestamp is {abs(skew)} s {when}; tolerance is {tolerance_s} s",
        )


def _signature_entries(header: str) -> list[tuple[str, bytes]]:
    """``(version, raw signature)`` pairs; entries that cannot be decoded are skipped."""
    entries = []
    for entry in header.split():
        version, comma, encoded = entry.partition(",")
        if not comma:
            continue
        try:
            entries.append((version, base64.b64decode(encoded, validate=True)))
        except (binascii.Error, ValueError):
            continue
    return entries


def _ed25519_ok(key: Ed25519PublicKey, signature: bytes, content: bytes) -> bool:
    try:
        key.verify(signature, content)
    except InvalidSignature:
        return False
    return True


def _signed_content(msg_id: str, timestamp: str, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def _hmac(key: bytes, content: bytes) -> bytes:
    return hmac.new(key, content, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decode_prefixed(value: str, prefix: str) -> bytes:
    if not value.startswith(prefix):
        raise KeyFormatError(f"expected a key starting with {prefix!r}")
    encoded = value[len(prefix) :]
    try:
        # Some issuers drop the base64 padding; restore it before the strict decode.
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"the part after {prefix!r} is not base64") from exc


def _hmac_key(secret: str) -> bytes:
    key = _decode_prefixed(secret, HMAC_SECRET_PREFIX)
    if len(key) < _MIN_HMAC_SECRET_BYTES:
        raise KeyFormatError("a webhook HMAC secret needs at least 16 bytes")
    return key


def _private_key(key: str | Ed25519PrivateKey) -> Ed25519PrivateKey:
    if isinstance(key, Ed25519PrivateKey):
        return key
    seed = _decode_prefixed(key, SIGNING_KEY_PREFIX)
    if len(seed) != _ED25519_KEY_BYTES:
        raise KeyFormatError("a whsk_ key holds a 32-byte Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _public_key(key: str | Ed25519PublicKey) -> Ed25519PublicKey:
    if isinstance(key, Ed25519PublicKey):
        return key
    raw = _decode_prefixed(key, PUBLIC_KEY_PREFIX)
    if len(raw) != _ED25519_KEY_BYTES:
        raise KeyFormatError("a whpk_ key holds a 32-byte Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw)
