"""RFC 9421 HTTP Message Signatures with Ed25519: the bankstack open-API profile.

Requests (label ``sig1``) cover ``"@method" "@target-uri"``, plus ``"content-type"
"content-digest"`` when there is a body and ``"idempotency-key"`` when that header is sent;
parameters ``created``, ``keyid``, ``alg="ed25519"``, ``nonce`` (128 random bits, base64url)
and ``tag="bank-openapi-v1"``.

Responses (label ``res``) cover ``"@status" "content-digest" "@method";req "@target-uri";req``
plus ``"idempotency-key";req`` when the request carried one; the ``;req`` components bind the
response to the request it answers. Parameters ``created``, ``keyid``, ``alg``, ``tag``.

The same functions run in partners' clients and in the bankstack server. Verification never
reads a clock: the caller passes ``now``. Replay of a request ``nonce`` is the server's check
(it needs a shared store), so ``verify_request`` returns the nonce.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from bankstack_sdk import _rfc9421
from bankstack_sdk._rfc9421 import ALGORITHM, TAG, RequestView, ResponseView
from bankstack_sdk.digest import content_digest, verify_content_digest
from bankstack_sdk.errors import KeyFormatError, SignatureError, SignatureErrorCode
from bankstack_sdk.fields import FieldLines, get_header, header_lines
from bankstack_sdk.jwks import public_jwk

__all__ = [
    "ALGORITHM",
    "REQUEST_LABEL",
    "RESPONSE_LABEL",
    "TAG",
    "KeyResolver",
    "SigningKey",
    "VerifiedRequest",
    "sign_request",
    "sign_response",
    "verify_request",
    "verify_response",
]

REQUEST_LABEL = "sig1"
RESPONSE_LABEL = "res"
_NONCE_BYTES = 16  # 128 bits
_SIGNATURE_FIELDS = frozenset({"signature", "signature-input", "content-digest"})

KeyResolver = Callable[[str], Sequence[Ed25519PublicKey]]


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and the ``keyid`` the other side knows it by."""

    key_id: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def generate(cls, key_id: str) -> SigningKey:
        return cls(key_id, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, key_id: str, seed: bytes) -> SigningKey:
        """From the 32-byte RFC 8032 private key (seed); used for fixed test vectors."""
        return cls(key_id, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_pem(
        cls, key_id: str, pem: bytes | str, *, password: bytes | None = None
    ) -> SigningKey:
        data = pem.encode("ascii") if isinstance(pem, str) else pem
        try:
            key = load_pem_private_key(data, password=password)
        except (ValueError, TypeError) as exc:
            raise KeyFormatError(f"cannot read the PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFormatError("the PEM key is not an Ed25519 private key")
        return cls(key_id, key)

    def to_pem(self, *, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted with ``password`` when one is given."""
        encryption = BestAvailableEncryption(password) if password else NoEncryption()
        return self.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, str]:
        """The RFC 8037 OKP JWK to register with (or publish to) the other side."""
        return public_jwk(self.key_id, self.public_key)


@dataclass(frozen=True)
class VerifiedRequest:
    key_id: str
    created: int
    nonce: str


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    key: SigningKey,
    *,
    created: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers to add to the request: ``Content-Digest`` (with a body), ``Signature-Input``
    and ``Signature``. ``url`` is the absolute, encoded URL exactly as it will be sent.

    Raises ``ValueError`` if the request cannot be signed (a body without Content-Type, a
    relative URL, control characters in a covered header).
    """
    fields = _writable_fields(headers)
    added: dict[str, str] = {}
    covered = ["@method", "@target-uri"]
    if body:
        if "content-type" not in fields:
            raise ValueError("a request with a body needs a Content-Type header")
        added["Content-Digest"] = fields["content-digest"] = content_digest(body)
        covered += ["content-type", "content-digest"]
    if "idempotency-key" in fields:
        covered.append("idempotency-key")
    message = RequestView(method.upper(), url, fields)
    added |= _rfc9421.sign_message(
        message,
        key.private_key,
        key_id=key.key_id,
        label=REQUEST_LABEL,
        covered=covered,
        created=int(time.time()) if created is None else created,
        nonce=secrets.token_urlsafe(_NONCE_BYTES) if nonce is None else nonce,
        digested_body=body or None,
    )
    return added


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    resolve_keys: KeyResolver,
    *,
    now: int,
    max_skew_s: int = 300,
) -> VerifiedRequest:
    """Verify a partner's request; raise ``SignatureError`` whose ``code`` says why not.

    Checks, in this order: signature present and well formed, ``alg``, ``tag``, clock skew,
    required components covered, Content-Digest against ``body``, key known, Ed25519 signature.
    """
    parsed = _rfc9421.parse_signature(
        get_header(headers, "signature-input"),
        get_header(headers, "signature"),
        REQUEST_LABEL,
        require_nonce=True,
    )
    _rfc9421.check_freshness(parsed, now=now, max_skew_s=max_skew_s)
    required = ['"@method"', '"@target-uri"']
    if body:
        required += ['"content-type"', '"content-digest"']
    if get_header(headers, "idempotency-key") is not None:
        required.append('"idempotency-key"')
    _rfc9421.check_coverage(parsed, required)
    digest = get_header(headers, "content-digest")
    if body or digest is not None:
        verify_content_digest(digest, body)
    message = RequestView(method.upper(), url, FieldLines(header_lines(headers)))
    keys = _candidate_keys(resolve_keys, parsed.key_id)
    _rfc9421.verify_with_any_key(message, parsed, keys, required=required)
    return VerifiedRequest(parsed.key_id, parsed.created, parsed.nonce or "")


def sign_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    request_method: str,
    request_url: str,
    request_headers: Mapping[str, str],
    key: SigningKey,
    created: int | None = None,
) -> dict[str, str]:
    """The headers to add to the response: ``Content-Digest``, ``Signature-Input``, ``Signature``.

    ``request_url`` must be the same absolute URL the request signature covered.
    """
    fields = _writable_fields(headers)
    added = {"Content-Digest": content_digest(body)}
    fields["content-digest"] = added["Content-Digest"]
    request = RequestView(
        request_method.upper(), request_url, FieldLines(header_lines(request_headers))
    )
    added |= _rfc9421.sign_message(
        ResponseView(status, fields, request),
        key.private_key,
        key_id=key.key_id,
        label=RESPONSE_LABEL,
        covered=_response_components(request_headers),
        created=int(time.time()) if created is None else created,
        nonce=None,
        digested_body=body,
    )
    return added


def verify_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    request_method: str,
    request_url: str,
    request_headers: Mapping[str, str],
    resolve_keys: KeyResolver,
    now: int,
    max_skew_s: int = 300,
) -> str:
    """Verify the platform's signature on a response to the given request; return its key id."""
    parsed = _rfc9421.parse_signature(
        get_header(headers, "signature-input"),
        get_header(headers, "signature"),
        RESPONSE_LABEL,
        require_nonce=False,
    )
    _rfc9421.check_freshness(parsed, now=now, max_skew_s=max_skew_s)
    required = _response_components(request_headers)
    _rfc9421.check_coverage(parsed, required)
    verify_content_digest(get_header(headers, "content-digest"), body)
    request = RequestView(
        request_method.upper(), request_url, FieldLines(header_lines(request_headers))
    )
    message = ResponseView(status, FieldLines(header_lines(headers)), request)
    keys = _candidate_keys(resolve_keys, parsed.key_id)
    _rfc9421.verify_with_any_key(message, parsed, keys, required=required)
    return parsed.key_id


def _response_components(request_headers: Mapping[str, str]) -> list[str]:
    covered = ['"@status"', '"content-digest"', '"@method";req', '"@target-uri";req']
    if get_header(request_headers, "idempotency-key") is not None:
        covered.append('"idempotency-key";req')
    return covered


def _writable_fields(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased copy with repeated lines joined (as verifiers see them), minus old signatures."""
    fields: dict[str, str] = {}
    for name, value in header_lines(headers):
        lowered = name.lower()
        if lowered in _SIGNATURE_FIELDS:
            continue
        fields[lowered] = f"{fields[lowered]}, {value}" if lowered in fields else value
    return fields


def _candidate_keys(resolve_keys: KeyResolver, key_id: str) -> Sequence[Ed25519PublicKey]:
    try:
        keys = resolve_keys(key_id)
    except LookupError as exc:  # KeyError included: the resolver's way to say "unknown"
        raise SignatureError(SignatureErrorCode.UNKNOWN_KEY, f"unknown keyid {key_id!r}") from exc
    if not keys:
        raise SignatureError(SignatureErrorCode.UNKNOWN_KEY, f"unknown keyid {key_id!r}")
    return keys
