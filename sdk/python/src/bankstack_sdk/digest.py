"""RFC 9530 ``Content-Digest`` over the raw body bytes (before any content decoding).

The field is an RFC 8941 Dictionary of byte sequences, e.g. ``sha-256=:X48E9q...=:``. Only
``sha-256`` and ``sha-512`` are produced and trusted; members with other algorithm names (the
deprecated ``md5``, ``sha``, ...) are ignored as RFC 9530 section 5 allows, but at least one
trusted member must be present and every trusted member must match.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from http_sfv.dictionary import Dictionary

from bankstack_sdk.errors import SignatureError, SignatureErrorCode

# RFC 9530 algorithm key -> hashlib name.
_HASHERS = {"sha-256": "sha256", "sha-512": "sha512"}
SUPPORTED_DIGEST_ALGORITHMS = tuple(_HASHERS)


def content_digest(body: bytes, algorithms: Sequence[str] = ("sha-256",)) -> str:
    """The ``Content-Digest`` field value for ``body`` with each of ``algorithms``, in order."""
    if not algorithms:
        raise ValueError("at least one digest algorithm is needed")
    field = Dictionary()
    for algorithm in algorithms:
        if algorithm not in _HASHERS:
            raise ValueError(f"unsupported digest algorithm {algorithm!r}; use sha-256 or sha-512")
        field[algorithm] = _digest(algorithm, body)
    return str(field)


def verify_content_digest(value: str | None, body: bytes) -> None:
    """Check a ``Content-Digest`` field value against ``body``; raise ``SignatureError`` if not.

    Codes: ``digest_missing`` (no field, or no sha-256/sha-512 member) and ``digest_mismatch``
    (a member differs from the body's digest, or the field cannot be parsed).
    """
    if value is None:
        raise SignatureError(SignatureErrorCode.DIGEST_MISSING, "Content-Digest header is missing")
    trusted = _trusted_members(value)
    if not trusted:
        raise SignatureError(
            SignatureErrorCode.DIGEST_MISSING, "Content-Digest has no sha-256 or sha-512 member"
        )
    # Compare every member, even after a mismatch, so timing says nothing about which one failed.
    matches = [
        hmac.compare_digest(expected, _digest(algorithm, body))
        for algorithm, expected in trusted.items()
    ]
    if not all(matches):
        raise SignatureError(
            SignatureErrorCode.DIGEST_MISMATCH, "Content-Digest does not match the message body"
        )


def _trusted_members(value: str) -> dict[str, bytes]:
    field = Dictionary()
    try:
        field.parse(value.encode("ascii"))
    except ValueError as exc:  # UnicodeEncodeError included
        raise SignatureError(
            SignatureErrorCode.DIGEST_MISMATCH,
            "Content-Digest is not a valid RFC 8941 Dictionary",
        ) from exc
    trusted: dict[str, bytes] = {}
    for algorithm, member in field.items():
        if algorithm not in _HASHERS:
            continue
        digest = getattr(member, "value", None)
        if not isinstance(digest, bytes):
            raise SignatureError(
                SignatureErrorCode.DIGEST_MISMATCH,
                f"Content-Digest member {algorithm} is not a byte sequence",
            )
        if len(digest) != hashlib.new(_HASHERS[algorithm]).digest_size:
            raise SignatureError(
                SignatureErrorCode.DIGEST_MISMATCH,
                f"Content-Digest member {algorithm} has the wrong length",
            )
        trusted[algorithm] = digest
    return trusted


def _digest(algorithm: str, body: bytes) -> bytes:
    return hashlib.new(_HASHERS[algorithm], body).digest()
