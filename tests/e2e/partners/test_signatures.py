"""Request authentication: each way a signature can be wrong has its own 401 code, and every
answer, refusals included, is signed by the platform and bound to its request."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bankstack_sdk.errors import ApiError
from bankstack_sdk.signing import SigningKey, sign_request, verify_response
from tests.e2e.partners.conftest import BASE, Bank

BODY = json.dumps(
    {"out_trade_no": "S1", "amount": {"amount": 100, "currency": "CNY"}, "subject": "tea"}
).encode()


def _signed(
    bank: Bank, *, key: SigningKey | None = None, created: int | None = None
) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Idempotency-Key": '"k-1"'}
    headers |= sign_request(
        "POST", f"{BASE}/v1/trades", headers, BODY, key or bank.key, created=created
    )
    return headers


def _refusal(bank: Bank, headers: dict[str, str], body: bytes = BODY) -> str:
    answer = bank.http.post("/v1/trades", content=body, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "signature" in answer.headers  # refusals are signed too
    return str(answer.json()["code"])


def test_tampered_body_is_a_digest_mismatch(bank: Bank) -> None:
    assert _refusal(bank, _signed(bank), BODY.replace(b"100", b"900")) == "digest_mismatch"


def test_clock_skew_beyond_five_minutes_is_expired(bank: Bank) -> None:
    created = int(time.time()) - 301
    assert _refusal(bank, _signed(bank, created=created)) == "signature_expired"


def test_a_replayed_nonce_is_refused(bank: Bank) -> None:
    headers = _signed(bank)
    first = bank.http.post("/v1/trades", content=BODY, headers=headers)
    assert first.status_code == 201, first.text
    assert _refusal(bank, headers) == "signature_replayed"


def test_an_unknown_key_is_refused(bank: Bank) -> None:
    stranger = SigningKey.generate(bank.key.key_id + "x")
    assert _refusal(bank, _signed(bank, key=stranger)) == "unknown_key"


def test_a_key_of_the_app_signing_for_another_body_is_invalid(bank: Bank) -> None:
    headers = _signed(bank)
    headers["Idempotency-Key"] = '"k-2"'  # covered by the signature
    assert _refusal(bank, headers) == "signature_invalid"


def test_no_credentials_at_all(bank: Bank) -> None:
    answer = bank.http.get("/v1/trades/trd_" + "0" * 32)
    assert answer.status_code == 401
    assert answer.json()["code"] == "signature_missing"


def test_answers_verify_with_the_published_key_and_bind_the_request(bank: Bank) -> None:
    jwks = bank.http.get("/.well-known/jwks.json").json()
    [jwk] = jwks["keys"]
    import base64  # noqa: PLC0415 - only here

    raw = base64.urlsafe_b64decode(jwk["x"] + "==")
    key = Ed25519PublicKey.from_public_bytes(raw)
    headers = _signed(bank)
    answer = bank.http.post("/v1/trades", content=BODY, headers=headers)
    assert answer.status_code == 201
    kid = verify_response(
        answer.status_code,
        dict(answer.headers),
        answer.content,
        request_method="POST",
        request_url=f"{BASE}/v1/trades",
        request_headers=headers,
        resolve_keys=lambda _kid: [key],
        now=int(time.time()),
    )
    assert kid == jwk["kid"]
    other = dict(headers, **{"Idempotency-Key": '"k-other"'})
    with pytest.raises(Exception, match="signature"):
        verify_response(
            answer.status_code,
            dict(answer.headers),
            answer.content,
            request_method="POST",
            request_url=f"{BASE}/v1/trades",
            request_headers=other,
            resolve_keys=lambda _kid: [key],
            now=int(time.time()),
        )


def test_the_sdk_raises_api_errors_with_their_code(bank: Bank) -> None:
    client = bank.partner()
    with pytest.raises(ApiError) as caught:
        client.get("/v1/trades/trd_" + "f" * 32)
    assert (caught.value.status, caught.value.code) == (404, "trade_not_found")


def test_answers_name_their_api_version_and_unknown_versions_are_refused(bank: Bank) -> None:
    answer = bank.partner().get("/v1/events")
    assert answer.headers["bank-version"] == "2026-11-01"
    with pytest.raises(ApiError) as caught:
        bank.partner(api_version="2019-01-01").get("/v1/events")
    assert (caught.value.status, caught.value.code) == (400, "api_version_invalid")
