"""Ed25519 public keys as RFC 8037 OKP JSON Web Keys, and JWK Sets (RFC 7517).

A platform publishes its response-signing keys at ``/.well-known/jwks.json``; during a
rotation two keys may be listed, possibly under the same ``kid``, so a key id maps to a list.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bankstack_sdk.errors import KeyFormatError

_ED25519_KEY_BYTES = 32
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url, as JOSE requires (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url; raises ``KeyFormatError`` on padding or stray characters."""
    if not _B64URL.fullmatch(text):
        raise KeyFormatError("expected unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError("invalid base64url length") from exc


def public_jwk(key_id: str, public_key: Ed25519PublicKey) -> dict[str, str]:
    """The OKP JWK of an Ed25519 public key: ``kty, crv, x, kid, use, alg``."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(raw),
        "kid": key_id,
        "use": "sig",
        "alg": "EdDSA",
    }


def to_jwks(keys: Iterable[tuple[str, Ed25519PublicKey]]) -> dict[str, list[dict[str, str]]]:
    """A JWK Set ``{"keys": [...]}`` from ``(key_id, public_key)`` pairs, in the given order."""
    return {"keys": [public_jwk(key_id, key) for key_id, key in keys]}


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    """Decode one Ed25519 OKP JWK; raises ``KeyFormatError`` for anything else."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise KeyFormatError("expected an OKP JWK on curve Ed25519")
    if "d" in jwk:
        raise KeyFormatError("a public JWK must not carry the private key ('d')")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise KeyFormatError("an OKP JWK needs the public key in 'x'")
    raw = b64url_decode(x)
    if len(raw) != _ED25519_KEY_BYTES:
        raise KeyFormatError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def keys_from_jwks(jwks: Mapping[str, Any]) -> dict[str, list[Ed25519PublicKey]]:
    """Ed25519 signing keys of a JWK Set, grouped by ``kid``.

    Keys of other types or curves, or meant for another use or algorithm, are skipped (RFC 7517
    section 5: ignore what you do not understand). A malformed Ed25519 key, a key without a
    ``kid`` or one carrying private material raises ``KeyFormatError``: a broken key set must
    be noticed, not half-used.
    """
    members = jwks.get("keys")
    if not isinstance(members, list):
        raise KeyFormatError("a JWK Set is an object with a 'keys' array")
    grouped: dict[str, list[Ed25519PublicKey]] = {}
    for jwk in members:
        if not isinstance(jwk, Mapping):
            raise KeyFormatError("every member of 'keys' must be a JSON object")
        if not _is_ed25519_signing_key(jwk):
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid:
            raise KeyFormatError("every Ed25519 key in the set needs a 'kid'")
        grouped.setdefault(kid, []).append(public_key_from_jwk(jwk))
    return grouped


def _is_ed25519_signing_key(jwk: Mapping[str, Any]) -> bool:
    return (
        jwk.get("kty") == "OKP"
        and jwk.get("crv") == "Ed25519"
        and jwk.get("use", "sig") == "sig"
        and jwk.get("alg", "EdDSA") in {"EdDSA", "Ed25519"}
    )
