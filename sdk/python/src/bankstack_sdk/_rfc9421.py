"""Glue between the bankstack signature profile and ``http_message_signatures``.

The library builds and checks the RFC 9421 signature base (including ``;req`` components of a
response, which it resolves from the request it is given); this module adds what the profile
needs around it: parsing ``Signature-Input`` once to name each problem with a stable code,
checking time against an injected clock, and trying every candidate key during a rotation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)
from http_sf.compat import Dictionary as SfDictionary
from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item

from bankstack_sdk.errors import SignatureError, SignatureErrorCode

TAG = "bank-openapi-v1"
ALGORITHM = "ed25519"
_KNOWN_PARAMETERS = frozenset({"created", "expires", "keyid", "alg", "nonce", "tag"})

# A covered component as RFC 9421 compares them: its name and its parameters in any order.
ComponentId = tuple[str, frozenset[tuple[str, Any]]]


@dataclass
class RequestView:
    """The request shape the library's component resolver reads."""

    method: str
    url: str
    headers: Any  # a dict while signing (the library writes to it), FieldLines while verifying


@dataclass
class ResponseView:
    """A response plus the request it answers, so ``;req`` components can be resolved."""

    status_code: int
    headers: Any
    request: RequestView


@dataclass(frozen=True)
class ParsedSignature:
    label: str
    covered: frozenset[ComponentId]
    key_id: str
    created: int
    expires: int | None
    nonce: str | None


class _InjectedClockVerifier(HTTPMessageVerifier):
    """The library compares ``created``/``expires`` with the wall clock and a 5 s skew.

    The profile checks them first, against the caller's ``now`` and ``max_skew_s``
    (``check_freshness``), so the library's own clock check is switched off here.
    """

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        del sig_input, max_age  # checked beforehand, against the injected clock


def _fail(code: SignatureErrorCode, message: str) -> SignatureError:
    return SignatureError(code, message)


def _parse_dictionary(name: str, value: str) -> Dictionary:
    field = Dictionary()
    try:
        field.parse(value.encode("ascii"))
    except ValueError as exc:
        raise _fail(
            SignatureErrorCode.SIGNATURE_MALFORMED, f"{name} is not a valid Dictionary"
        ) from exc
    return field


def component_id(text: str) -> ComponentId:
    """Identity of a serialised component such as ``"@method";req``."""
    item = Item()
    item.parse(text.encode("ascii"))
    return str(item.value), frozenset(item.params.items())


def parse_signature(
    signature_input: str | None, signature: str | None, label: str, *, require_nonce: bool
) -> ParsedSignature:
    """Select ``label`` and check its metadata; raise ``SignatureError`` naming the problem."""
    if signature_input is None or signature is None:
        missing = "Signature-Input" if signature_input is None else "Signature"
        raise _fail(SignatureErrorCode.SIGNATURE_MISSING, f"{missing} header is missing")
    inputs = _parse_dictionary("Signature-Input", signature_input)
    signatures = _parse_dictionary("Signature", signature)
    if set(inputs) != set(signatures):
        raise _fail(
            SignatureErrorCode.SIGNATURE_MALFORMED,
            "Signature-Input and Signature carry different labels",
        )
    if label not in inputs:
        raise _fail(SignatureErrorCode.SIGNATURE_MISSING, f"no signature labelled {label!r}")
    members = inputs[label]
    value = getattr(signatures[label], "value", None)
    if not isinstance(members, InnerList) or not isinstance(value, bytes):
        raise _fail(
            SignatureErrorCode.SIGNATURE_MALFORMED,
            f"{label!r} needs an inner list of components and a byte-sequence signature",
        )
    covered = [(item.value, frozenset(item.params.items())) for item in members]
    if not all(isinstance(name, str) for name, _ in covered):
        raise _fail(SignatureErrorCode.SIGNATURE_MALFORMED, "component names must be strings")
    return _check_parameters(label, dict(members.params), frozenset(covered), require_nonce)


def _check_parameters(
    label: str, params: dict[str, Any], covered: frozenset[ComponentId], require_nonce: bool
) -> ParsedSignature:
    unknown = sorted(set(params) - _KNOWN_PARAMETERS)
    if unknown:
        raise _fail(SignatureErrorCode.SIGNATURE_MALFORMED, f"unknown parameters {unknown}")
    if "alg" not in params:
        raise _fail(SignatureErrorCode.SIGNATURE_MALFORMED, 'the "alg" parameter is required')
    if params["alg"] != ALGORITHM:
        raise _fail(
            SignatureErrorCode.UNSUPPORTED_ALGORITHM,
            f"alg {params['alg']!r} is not supported; use {ALGORITHM!r}",
        )
    if params.get("tag") != TAG:
        raise _fail(SignatureErrorCode.UNKNOWN_TAG, f'tag must be "{TAG}"')
    key_id, created, expires, nonce = (
        params.get(n) for n in ("keyid", "created", "expires", "nonce")
    )
    if not isinstance(key_id, str) or not key_id:
        raise _fail(SignatureErrorCode.SIGNATURE_MALFORMED, 'the "keyid" parameter is required')
    if type(created) is not int or (expires is not None and type(expires) is not int):
        raise _fail(
            SignatureErrorCode.SIGNATURE_MALFORMED, '"created" (and "expires") must be integers'
        )
    if (require_nonce or nonce is not None) and (not isinstance(nonce, str) or not nonce):
        raise _fail(SignatureErrorCode.SIGNATURE_MALFORMED, 'the "nonce" parameter is required')
    return ParsedSignature(label, covered, key_id, created, expires, nonce)


def check_freshness(parsed: ParsedSignature, *, now: int, max_skew_s: int) -> None:
    """``|now - created| <= max_skew_s`` (a signature from the future is refused too)."""
    age = now - parsed.created
    if abs(age) > max_skew_s:
        when = f"{age} s ago" if age > 0 else f"{-age} s in the future"
        raise _fail(
            SignatureErrorCode.SIGNATURE_EXPIRED,
            f"signature was created {when}; at most {max_skew_s} s of skew is allowed",
        )
    if parsed.expires is not None and now > parsed.expires:
        raise _fail(SignatureErrorCode.SIGNATURE_EXPIRED, "signature has passed its expires time")


def check_coverage(parsed: ParsedSignature, required: Iterable[str]) -> None:
    missing = [text for text in required if component_id(text) not in parsed.covered]
    if missing:
        raise _fail(
            SignatureErrorCode.COMPONENT_MISSING,
            f"the signature must cover {' '.join(missing)}",
        )


def sign_message(
    message: RequestView | ResponseView,
    private_key: Ed25519PrivateKey,
    *,
    key_id: str,
    label: str,
    covered: Sequence[str],
    created: int,
    nonce: str | None,
    digested_body: bytes | None,
) -> dict[str, str]:
    """Sign with the library; return its ``Signature-Input`` and ``Signature`` fields.

    The library's ``prepare`` builds the signature base (and, with ``digested_body``, checks
    the message's Content-Digest against it); the key signs it here. ``sign`` would then run
    ``apply``, which rebuilds the base to detect a message changed while a remote signer
    worked: nothing can change in between here, and that second build was 40 % of a
    signature's cost. The fields are the ones ``apply`` writes (the SDK's test vectors and
    ``tests/unit/sdk`` compare them byte for byte).
    """
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: private_key}),
    )
    try:
        prepared = signer.prepare(
            message,
            key_id=key_id,
            created=dt.datetime.fromtimestamp(created, tz=dt.UTC),
            nonce=nonce,
            label=label,
            tag=TAG,
            covered_component_ids=covered,
            body=digested_body,
            use_existing_digest=digested_body is not None,
        )
    except HTTPMessageSignaturesException as exc:
        raise ValueError(f"cannot sign this message: {exc}") from exc
    signature = private_key.sign(prepared.signature_base)  # what the library's ED25519 does
    return {
        # A one-member Dictionary: the key prepare() validated, "=", the inner list it
        # serialised (RFC 8941 section 4.1.2).
        "Signature-Input": f"{prepared.label}={prepared.signature_params}",
        "Signature": str(SfDictionary({prepared.label: signature})),
    }


def verify_with_any_key(
    message: RequestView | ResponseView,
    parsed: ParsedSignature,
    candidates: Sequence[Ed25519PublicKey],
    *,
    required: Sequence[str],
) -> None:
    """Accept if any candidate key verifies; the library rebuilds the signature base.

    The library parses the signature fields again (with ``http_sf``). So that no difference
    between two parsers can slip through, it is asked to enforce ``required`` coverage itself,
    and the metadata it authenticated must equal what ``parse_signature`` checked.
    """
    reason = "no key verified the signature"
    for public_key in candidates:
        verifier = _InjectedClockVerifier(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(
                public_keys={parsed.key_id: public_key}, private_keys={}
            ),
        )
        try:
            results = verifier.verify(
                message,
                max_age=None,
                expect_tag=TAG,
                expect_label=parsed.label,
                require_components=required,
            )
        except HTTPMessageSignaturesException as exc:
            reason = str(exc) or reason
            continue
        signed = results[0].parameters
        seen = (
            signed.get("keyid"),
            signed.get("created"),
            signed.get("expires"),
            signed.get("nonce"),
        )
        if len(results) != 1 or seen != (
            parsed.key_id,
            parsed.created,
            parsed.expires,
            parsed.nonce,
        ):
            raise _fail(SignatureErrorCode.SIGNATURE_MALFORMED, "ambiguous signature parameters")
        return
    raise _fail(SignatureErrorCode.SIGNATURE_INVALID, f"signature does not verify: {reason}")
