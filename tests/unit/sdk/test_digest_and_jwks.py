"""RFC 9530 Content-Digest, RFC 8037 JWKs and the Idempotency-Key field helpers."""

from __future__ import annotations

import base64
import hashlib

import pytest

from bankstack_sdk.digest import content_digest, verify_content_digest
from bankstack_sdk.errors import KeyFormatError, SignatureError
from bankstack_sdk.fields import format_idempotency_key, parse_idempotency_key
from bankstack_sdk.jwks import keys_from_jwks, public_jwk, public_key_from_jwk, to_jwks
from bankstack_sdk.signing import SigningKey

BODY = b'{"hello": "world"}\n'


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_rfc9530_example_body():
    # RFC 9530 appendix B.1: the body {"hello": "world"} plus a newline.
    assert content_digest(BODY) == "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
    both = content_digest(BODY, ("sha-256", "sha-512"))
    assert both.split(", ")[1] == f"sha-512=:{_b64(hashlib.sha512(BODY).digest())}:"
    verify_content_digest(both, BODY)


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        (None, "digest_missing", "Content-Digest header is missing"),
        ("md5=:AAAA:", "digest_missing", "no sha-256 or sha-512 member"),
        (
            "sha-256=:" + _b64(hashlib.sha256(b"x").digest()) + ":",
            "digest_mismatch",
            "does not match",
        ),
        ("sha-256=:AAAA:", "digest_mismatch", "wrong length"),
        ('sha-256="text"', "digest_mismatch", "not a byte sequence"),
        ("sha-256=:not base64", "digest_mismatch", "not a valid RFC 8941 Dictionary"),
        ("sha-256=:é:", "digest_mismatch", "not a valid RFC 8941 Dictionary"),
    ],
)
def test_digest_refusals_name_the_problem(value: str | None, code: str, message: str):
    with pytest.raises(SignatureError, match=message) as caught:
        verify_content_digest(value, BODY)
    assert caught.value.code == code


def test_every_trusted_member_must_match_and_unknown_ones_are_ignored():
    good = content_digest(BODY)
    verify_content_digest(f"md5=:AAAA:, {good}", BODY)
    bad_512 = f"sha-512=:{_b64(bytes(64))}:"
    with pytest.raises(SignatureError, match="does not match"):
        verify_content_digest(f"{good}, {bad_512}", BODY)


def test_unsupported_digest_algorithm_is_refused_when_signing():
    with pytest.raises(ValueError, match="unsupported"):
        content_digest(BODY, ("md5",))


def test_jwk_matches_rfc8037_appendix_a():
    # RFC 8037 A.1/A.2: the Ed25519 key pair used throughout that RFC.
    seed = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    key = SigningKey.from_seed("k", seed)
    assert key.public_jwk()["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"


def test_jwks_round_trip_groups_rotation_keys_by_kid():
    a, b, c = (SigningKey.generate(kid) for kid in ("k1", "k1", "k2"))
    jwks = to_jwks([(k.key_id, k.public_key) for k in (a, b, c)])
    assert [jwk["kid"] for jwk in jwks["keys"]] == ["k1", "k1", "k2"]
    assert jwks["keys"][0] == {**public_jwk("k1", a.public_key)}
    grouped = keys_from_jwks(jwks)
    assert {kid: [public_jwk(kid, k) for k in keys] for kid, keys in grouped.items()} == {
        "k1": [a.public_jwk(), b.public_jwk()],
        "k2": [c.public_jwk()],
    }


def test_keys_of_other_types_or_uses_are_skipped():
    ed = SigningKey.generate("ed").public_jwk()
    jwks = {
        "keys": [
            {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
            {"kty": "OKP", "crv": "X25519", "kid": "x", "x": ed["x"]},
            {**ed, "kid": "enc", "use": "enc"},
            ed,
        ]
    }
    assert list(keys_from_jwks(jwks)) == ["ed"]


@pytest.mark.parametrize(
    "change",
    [
        {"x": "AAAA"},
        {"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
        {"x": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        {"d": "secret"},
        {"kid": ""},
    ],
)
def test_broken_ed25519_keys_are_refused(change: dict[str, str]):
    jwk = {**SigningKey.generate("k").public_jwk(), **change}
    with pytest.raises(KeyFormatError):
        keys_from_jwks({"keys": [jwk]})


def test_malformed_sets_are_refused():
    for jwks in ({}, {"keys": "nope"}, {"keys": ["nope"]}):
        with pytest.raises(KeyFormatError):
            keys_from_jwks(jwks)
    with pytest.raises(KeyFormatError):
        public_key_from_jwk({"kty": "RSA"})


def test_idempotency_key_field_is_a_structured_string():
    assert format_idempotency_key("8e03978e-40d5") == '"8e03978e-40d5"'
    assert parse_idempotency_key('"8e03978e-40d5"') == "8e03978e-40d5"
    assert parse_idempotency_key("8e03978e-40d5") == "8e03978e-40d5"
    assert parse_idempotency_key(format_idempotency_key('a"b\\c')) == 'a"b\\c'
    for bad in ("", "x" * 256, "é"):
        with pytest.raises(ValueError, match="idempotency key"):
            format_idempotency_key(bad)
    for bad in ('"unterminated', '""', '"a";p=1', "  ", '"é"'):
        with pytest.raises(ValueError):  # noqa: PT011 - each bad value fails in its own way
            parse_idempotency_key(bad)
