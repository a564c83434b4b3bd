"""RFC 9421 request and response signatures: every refusal carries the code the server returns."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from hypothesis import given
from hypothesis import strategies as st

from bankstack_sdk.errors import KeyFormatError, SignatureError
from bankstack_sdk.signing import (
    SigningKey,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)

URL = "https://api.bank.example/v1/trades"
NOW = 1_795_321_443
BODY = b'{"amount":{"amount":8888,"currency":"CNY"}}'
HEADERS = {"Content-Type": "application/json", "Idempotency-Key": '"key-1"'}


def _resolver(*keys: SigningKey):
    def resolve(key_id: str):
        found = [key.public_key for key in keys if key.key_id == key_id]
        if not found:
            raise KeyError(key_id)
        return found

    return resolve


def _signed(key: SigningKey, *, method="POST", url=URL, headers=None, body=BODY, created=NOW):
    headers = dict(HEADERS if headers is None else headers)
    return {**headers, **sign_request(method, url, headers, body, key, created=created)}


def _code(call, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(SignatureError) as caught:
        call(*args, **kwargs)
    return str(caught.value.code)


def test_round_trip_returns_key_created_and_a_128_bit_url_safe_nonce(app_key: SigningKey):
    headers = _signed(app_key)
    verified = verify_request("POST", URL, headers, BODY, _resolver(app_key), now=NOW)
    assert (verified.key_id, verified.created) == (app_key.key_id, NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", verified.nonce)
    other = verify_request("POST", URL, _signed(app_key), BODY, _resolver(app_key), now=NOW)
    assert other.nonce != verified.nonce


def test_header_names_are_case_insensitive(app_key: SigningKey):
    headers = {name.lower(): value for name, value in _signed(app_key).items()}
    verify_request("post", URL, headers, BODY, _resolver(app_key), now=NOW)


def test_tampered_body_is_a_digest_mismatch(app_key: SigningKey):
    tampered = BODY.replace(b"8888", b"9999")
    with pytest.raises(SignatureError) as error:
        verify_request("POST", URL, _signed(app_key), tampered, _resolver(app_key), now=NOW)
    assert error.value.code == "digest_mismatch"
    assert error.value.message == "Content-Digest does not match the message body"


@pytest.mark.parametrize(
    ("method", "url", "idempotency_key"),
    [
        ("PUT", URL, '"key-1"'),
        ("POST", URL + "?x=1", '"key-1"'),
        ("POST", "https://evil.example/v1/trades", '"key-1"'),
        ("POST", URL, '"key-2"'),
    ],
)
def test_changed_method_url_or_idempotency_key_is_invalid(
    app_key: SigningKey, method: str, url: str, idempotency_key: str
):
    headers = {**_signed(app_key), "Idempotency-Key": idempotency_key}
    code = _code(verify_request, method, url, headers, BODY, _resolver(app_key), now=NOW)
    assert code == "signature_invalid"


@pytest.mark.parametrize("skew", [301, -301])
def test_more_than_300_s_of_skew_either_way_is_expired(app_key: SigningKey, skew: int):
    headers = _signed(app_key, created=NOW + skew)
    code = _code(verify_request, "POST", URL, headers, BODY, _resolver(app_key), now=NOW)
    assert code == "signature_expired"


@pytest.mark.parametrize("skew", [300, -300])
def test_exactly_300_s_of_skew_is_accepted(app_key: SigningKey, skew: int):
    headers = _signed(app_key, created=NOW + skew)
    verify_request("POST", URL, headers, BODY, _resolver(app_key), now=NOW)


@pytest.mark.parametrize("resolver", [lambda _: [], lambda kid: {}[kid]])
def test_unknown_key(app_key: SigningKey, resolver: Any):
    code = _code(verify_request, "POST", URL, _signed(app_key), BODY, resolver, now=NOW)
    assert code == "unknown_key"


def test_either_key_of_a_rotation_verifies(app_key: SigningKey):
    old = SigningKey.generate(app_key.key_id)
    both = lambda _: [old.public_key, app_key.public_key]  # noqa: E731 - a one-line resolver
    verify_request("POST", URL, _signed(app_key), BODY, both, now=NOW)
    verify_request("POST", URL, _signed(old), BODY, both, now=NOW)
    stranger = SigningKey.generate(app_key.key_id)
    code = _code(verify_request, "POST", URL, _signed(stranger), BODY, both, now=NOW)
    assert code == "signature_invalid"


def _mutate(headers: dict[str, str], pattern: str, replacement: str) -> dict[str, str]:
    changed = re.sub(pattern, replacement, headers["Signature-Input"])
    assert changed != headers["Signature-Input"]
    return {**headers, "Signature-Input": changed}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda h: {k: v for k, v in h.items() if k != "Signature"}, "signature_missing"),
        (lambda h: {k: v for k, v in h.items() if k != "Signature-Input"}, "signature_missing"),
        (lambda h: {**h, "Signature": "sig1=not base64"}, "signature_malformed"),
        (lambda h: _mutate(h, "^sig1=", "other="), "signature_malformed"),
        (lambda h: _mutate(h, r";nonce=\"[^\"]*\"", ""), "signature_malformed"),
        (lambda h: _mutate(h, r";created=\d+", ";created=?1"), "signature_malformed"),
        (lambda h: _mutate(h, r";tag=", ";foo=1;tag="), "signature_malformed"),
        (lambda h: _mutate(h, 'alg="ed25519"', 'alg="rsa-pss-sha512"'), "unsupported_algorithm"),
        (lambda h: _mutate(h, r'tag="[^"]*"', 'tag="other-app"'), "unknown_tag"),
        (lambda h: _mutate(h, r' "idempotency-key"', ""), "component_missing"),
        (lambda h: _mutate(h, r' "content-digest"', ""), "component_missing"),
        (lambda h: {k: v for k, v in h.items() if k != "Content-Digest"}, "digest_missing"),
        (lambda h: {**h, "Content-Digest": "sha-256=:AAAA:"}, "digest_mismatch"),
        (
            lambda h: {**h, "Signature-Input": h["Signature-Input"] + ", x=()"},
            "signature_malformed",
        ),
    ],
)
def test_each_refusal_has_its_code(app_key: SigningKey, change: Any, code: str):
    headers = change(_signed(app_key))
    assert _code(verify_request, "POST", URL, headers, BODY, _resolver(app_key), now=NOW) == code


def test_an_idempotency_key_added_after_signing_is_not_covered(app_key: SigningKey):
    headers = _signed(app_key, headers={"Content-Type": "application/json"})
    headers["Idempotency-Key"] = '"late"'
    code = _code(verify_request, "POST", URL, headers, BODY, _resolver(app_key), now=NOW)
    assert code == "component_missing"


def test_a_body_needs_a_content_type(app_key: SigningKey):
    with pytest.raises(ValueError, match="Content-Type"):
        sign_request("POST", URL, {}, BODY, app_key)


def _respond(key: SigningKey, request_headers: dict[str, str], *, status=201, body=b'{"id":"t"}'):
    headers = {"Content-Type": "application/json"}
    added = sign_response(
        status,
        headers,
        body,
        request_method="POST",
        request_url=URL,
        request_headers=request_headers,
        key=key,
        created=NOW,
    )
    return {**headers, **added}


def _verify_response(
    platform_key: SigningKey,
    headers: dict[str, str],
    request_headers: dict[str, str],
    *,
    body: bytes = b'{"id":"t"}',
    url: str = URL,
) -> str:
    return verify_response(
        201,
        headers,
        body,
        request_method="POST",
        request_url=url,
        request_headers=request_headers,
        resolve_keys=_resolver(platform_key),
        now=NOW,
    )


def test_response_round_trip(app_key: SigningKey, platform_key: SigningKey):
    request_headers = _signed(app_key)
    response_headers = _respond(platform_key, request_headers)
    assert _verify_response(platform_key, response_headers, request_headers) == "plat_2026_k1"


def test_a_response_cannot_be_replayed_for_another_request(
    app_key: SigningKey, platform_key: SigningKey
):
    first = _signed(app_key)
    response_headers = _respond(platform_key, first)
    second = _signed(app_key, headers={**HEADERS, "Idempotency-Key": '"key-2"'})
    code = _code(_verify_response, platform_key, response_headers, second)
    assert code == "signature_invalid"
    code = _code(_verify_response, platform_key, response_headers, first, url=URL + "/x")
    assert code == "signature_invalid"
    without_key = {k: v for k, v in first.items() if k != "Idempotency-Key"}
    assert _code(_verify_response, platform_key, _respond(platform_key, without_key), first) == (
        "component_missing"
    )


def test_response_refusals(app_key: SigningKey, platform_key: SigningKey):
    request_headers = _signed(app_key)
    signed = _respond(platform_key, request_headers)
    assert _code(_verify_response, platform_key, {}, request_headers) == "signature_missing"
    tampered = _code(_verify_response, platform_key, signed, request_headers, body=b'{"id":"u"}')
    assert tampered == "digest_mismatch"
    no_digest = {k: v for k, v in signed.items() if k != "Content-Digest"}
    assert _code(_verify_response, platform_key, no_digest, request_headers) == "digest_missing"
    a_request_signature = {
        **signed,
        **{k: request_headers[k] for k in ("Signature", "Signature-Input")},
    }
    code = _code(_verify_response, platform_key, a_request_signature, request_headers)
    assert code == "signature_missing"  # a "sig1" request signature is no "res" signature


def test_pem_round_trip_and_wrong_key_types():
    key = SigningKey.generate("k1")
    for password in (None, b"correct horse"):
        loaded = SigningKey.from_pem("k1", key.to_pem(password=password), password=password)
        assert loaded.public_jwk() == key.public_jwk()
    ec_pem = generate_private_key(SECP256R1()).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    with pytest.raises(KeyFormatError, match="not an Ed25519"):
        SigningKey.from_pem("k1", ec_pem)
    with pytest.raises(KeyFormatError):
        SigningKey.from_pem("k1", "not a pem")
    assert "private_key" not in repr(key)


_header_names = st.sampled_from(["X-Trace", "Accept", "Bank-Version", "X-Partner-Ref"])
_PATH = r"(/([a-z0-9_.~-]|%[0-9A-F]{2}){0,12}){1,4}(\?([a-z0-9=&]|%[0-9A-F]{2}){0,20})?"
_header_values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)


@given(
    body=st.binary(max_size=512),
    extra=st.dictionaries(_header_names, _header_values, max_size=3),
    idempotency_key=st.none() | st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    path=st.from_regex(_PATH, fullmatch=True),
    status=st.sampled_from([200, 201, 202, 204, 400, 409, 422, 503]),
    response_body=st.binary(max_size=256),
)
def test_any_message_round_trips(
    app_key, platform_key, body, extra, idempotency_key, method, path, status, response_body
):
    url = "https://api.bank.example" + path
    headers = {**extra, "Content-Type": "application/octet-stream"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = f'"{idempotency_key}"'
    headers |= sign_request(method, url, headers, body, app_key, created=NOW)
    verified = verify_request(method, url, headers, body, _resolver(app_key), now=NOW + 7)
    assert verified.key_id == app_key.key_id
    response_headers = sign_response(
        status,
        {},
        response_body,
        request_method=method,
        request_url=url,
        request_headers=headers,
        key=platform_key,
        created=NOW,
    )
    key_id = verify_response(
        status,
        response_headers,
        response_body,
        request_method=method,
        request_url=url,
        request_headers=headers,
        resolve_keys=_resolver(platform_key),
        now=NOW - 7,
    )
    assert key_id == platform_key.key_id


@given(
    path=st.from_regex(r"/v1/[a-z0-9/_-]{0,40}", fullmatch=True),
    body=st.binary(max_size=200),
    key_text=st.from_regex(r"[A-Za-z0-9-]{1,40}", fullmatch=True),
    nonce=st.from_regex(r"[A-Za-z0-9_-]{8,32}", fullmatch=True),
    status=st.sampled_from([200, 201, 402, 422]),
)
def test_the_fields_are_those_the_library_writes(path, body, key_text, nonce, status):
    """``sign_message`` skips the library's ``apply`` (a second signature-base build): its
    fields must be byte for byte what the library's own ``sign`` writes."""
    import datetime as dt  # noqa: PLC0415 - only here

    from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms  # noqa: PLC0415

    from bankstack_sdk import _rfc9421  # noqa: PLC0415
    from bankstack_sdk.digest import content_digest  # noqa: PLC0415

    key = SigningKey.from_seed("k-1", bytes(range(32)))
    url = "https://api.example" + path
    headers = {"content-type": "application/json", "idempotency-key": f'"{key_text}"'}
    if body:
        headers["content-digest"] = content_digest(body)
    covered = ["@method", "@target-uri", "idempotency-key"]
    covered += ["content-type", "content-digest"] if body else []
    request = _rfc9421.RequestView("POST", url, dict(headers))
    response_headers = {"content-digest": content_digest(body)}
    response = _rfc9421.ResponseView(status, response_headers, request)
    res_covered = ['"@status"', '"content-digest"', '"@method";req', '"@target-uri";req']
    library = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={"k-1": key.private_key}),
    )
    for message, components, label, digested, nonce_ in (
        (request, covered, "sig1", body or None, nonce),
        (response, res_covered, "res", body, None),
    ):
        ours = _rfc9421.sign_message(
            message, key.private_key, key_id="k-1", label=label, covered=components,
            created=NOW, nonce=nonce_, digested_body=digested,
        )  # fmt: skip
        theirs = _rfc9421.RequestView(
            message.method if isinstance(message, _rfc9421.RequestView) else "POST",
            url,
            dict(message.headers),
        )
        target = theirs if isinstance(message, _rfc9421.RequestView) else (
            _rfc9421.ResponseView(status, dict(response_headers), request)
        )  # fmt: skip
        library.sign(
            target,
            key_id="k-1",
            created=dt.datetime.fromtimestamp(NOW, tz=dt.UTC),
            nonce=nonce_,
            label=label,
            tag=_rfc9421.TAG,
            covered_component_ids=components,
            body=digested,
            use_existing_digest=digested is not None,
        )
        assert ours == {
            "Signature-Input": target.headers["Signature-Input"],
            "Signature": target.headers["Signature"],
        }
