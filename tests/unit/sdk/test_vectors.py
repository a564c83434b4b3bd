"""The committed vectors: exact bytes, plus checks that do not go through the SDK's own code.

The signature bases in vectors.json were written out by hand from RFC 9421 section 2.5; the
Ed25519 signatures are checked against them with ``cryptography`` alone, the digests with
``hashlib`` and the ``v1`` webhook signature with the ``standardwebhooks`` library.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks.webhooks import Webhook

from bankstack_sdk.jwks import public_key_from_jwk
from bankstack_sdk.signing import (
    SigningKey,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)
from bankstack_sdk.webhooks import public_key_for, sign_webhook, verify_webhook


def _signature_bytes(field: str, label: str) -> bytes:
    prefix = f"{label}=:"
    assert field.startswith(prefix)
    assert field.endswith(":")
    return base64.b64decode(field[len(prefix) : -1])


def _keys(key: SigningKey):
    return lambda key_id: [key.public_key] if key_id == key.key_id else []


def test_request_vector_is_reproduced_byte_for_byte(vectors: dict[str, Any], app_key: SigningKey):
    for name in ("request", "request_without_body"):
        vector = vectors[name]
        added = sign_request(
            vector["method"],
            vector["url"],
            vector["headers"],
            vector["body"].encode(),
            app_key,
            created=vector["created"],
            nonce=vector["nonce"],
        )
        assert added == vector["expected"], name


def test_request_signature_verifies_over_the_hand_written_base(vectors: dict[str, Any]):
    public_key = public_key_from_jwk(vectors["request_key"]["public_jwk"])
    for name in ("request", "request_without_body"):
        vector = vectors[name]
        signature = _signature_bytes(vector["expected"]["Signature"], "sig1")
        public_key.verify(signature, vector["signature_base"].encode("ascii"))


def test_content_digest_is_sha256_of_the_raw_body(vectors: dict[str, Any]):
    for name in ("request", "response"):
        vector = vectors[name]
        digest = hashlib.sha256(vector["body"].encode("utf-8")).digest()
        expected = f"sha-256=:{base64.b64encode(digest).decode()}:"
        assert vector["expected"]["Content-Digest"] == expected


def test_request_vector_verifies(vectors: dict[str, Any], app_key: SigningKey):
    vector = vectors["request"]
    verified = verify_request(
        vector["method"],
        vector["url"],
        {**vector["headers"], **vector["expected"]},
        vector["body"].encode(),
        _keys(app_key),
        now=vector["created"],
    )
    assert (verified.key_id, verified.created, verified.nonce) == (
        "app_2021001_k1",
        vector["created"],
        vector["nonce"],
    )


def test_response_vector_is_reproduced_and_verifies(
    vectors: dict[str, Any], platform_key: SigningKey
):
    request, vector = vectors["request"], vectors["response"]
    request_headers = {**request["headers"], **request["expected"]}
    added = sign_response(
        vector["status"],
        vector["headers"],
        vector["body"].encode(),
        request_method=request["method"],
        request_url=request["url"],
        request_headers=request_headers,
        key=platform_key,
        created=vector["created"],
    )
    assert added == vector["expected"]
    public_key = public_key_from_jwk(vectors["platform_key"]["public_jwk"])
    public_key.verify(
        _signature_bytes(added["Signature"], "res"), vector["signature_base"].encode()
    )
    key_id = verify_response(
        vector["status"],
        {**vector["headers"], **added},
        vector["body"].encode(),
        request_method=request["method"],
        request_url=request["url"],
        request_headers=request_headers,
        resolve_keys=_keys(platform_key),
        now=vector["created"],
    )
    assert key_id == "plat_2026_k1"


def test_webhook_vector_is_reproduced(vectors: dict[str, Any]):
    vector = vectors["webhook"]
    headers = sign_webhook(
        vector["id"],
        vector["timestamp"],
        vector["body"].encode(),
        hmac_secret=vector["hmac_secret"],
        signing_key=vector["signing_key"],
    )
    assert headers == vector["expected"]
    assert public_key_for(vector["signing_key"]) == vector["public_key"]
    for key in ({"hmac_secret": vector["hmac_secret"]}, {"public_key": vector["public_key"]}):
        body = verify_webhook(headers, vector["body"].encode(), now=vector["timestamp"], **key)
        assert body == vector["body"].encode()


def test_webhook_vector_signatures_check_out_independently(vectors: dict[str, Any]):
    vector = vectors["webhook"]
    entries = dict(entry.split(",", 1) for entry in vector["expected"]["webhook-signature"].split())
    timestamp = dt.datetime.fromtimestamp(vector["timestamp"], tz=dt.UTC)
    reference = Webhook(vector["hmac_secret"]).sign(vector["id"], timestamp, vector["body"])
    assert reference == f"v1,{entries['v1']}"
    raw_public = base64.b64decode(vector["public_key"].removeprefix("whpk_"))
    Ed25519PublicKey.from_public_bytes(raw_public).verify(
        base64.b64decode(entries["v1a"]), vector["signed_content"].encode()
    )
