"""Idempotency keys: parsing, fingerprints, what is stored and what a replay repeats."""

from __future__ import annotations

import hashlib

import pytest

from bankstack.gateway.domain.idempotency import (
    MAX_KEY_LENGTH,
    fingerprint,
    parse_key,
    replayable_headers,
    storable,
)
from bankstack.gateway.errors import IdempotencyKeyInvalid, IdempotencyKeyMissing


class TestParseKey:
    @pytest.mark.parametrize(
        ("header", "key"),
        [
            ("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324"),
            ('"8e03978e-40d5"', "8e03978e-40d5"),
            ('"a \\"quoted\\" \\\\ key"', 'a "quoted" \\ key'),
            ("x", "x"),
            ("k" * MAX_KEY_LENGTH, "k" * MAX_KEY_LENGTH),
            ("with spaces ~!", "with spaces ~!"),
        ],
    )
    def test_accepts_tokens_and_sf_strings(self, header, key):
        assert parse_key(header) == key

    @pytest.mark.parametrize("header", [None, ""])
    def test_missing(self, header):
        with pytest.raises(IdempotencyKeyMissing) as caught:
            parse_key(header)
        assert caught.value.code == "idempotency_key_missing"

    @pytest.mark.parametrize(
        "header",
        ["k" * (MAX_KEY_LENGTH + 1), "tab\there", "é", '""', '"a"b"', '"bad \\n escape"', "\x7f"],
    )
    def test_invalid(self, header):
        with pytest.raises(IdempotencyKeyInvalid):
            parse_key(header)


class TestFingerprint:
    def test_is_sha256_of_method_target_and_body_digest(self):
        body = b'{"amount":8888}'
        text = "POST\n/v1/trades\n" + hashlib.sha256(body).hexdigest()
        assert fingerprint("post", "/v1/trades", body) == hashlib.sha256(text.encode()).hexdigest()

    @pytest.mark.parametrize(
        ("method", "target", "body"),
        [
            ("PUT", "/v1/trades", b"{}"),
            ("POST", "/v1/refunds", b"{}"),
            ("POST", "/v1/trades?x=1", b"{}"),
            ("POST", "/v1/trades", b"{ }"),
        ],
    )
    def test_any_difference_changes_it(self, method, target, body):
        assert fingerprint(method, target, body) != fingerprint("POST", "/v1/trades", b"{}")


class TestStorable:
    @pytest.mark.parametrize("status", [200, 201, 202, 400, 402, 404, 422])
    def test_committed_outcomes_are_kept(self, status):
        assert storable(status)

    @pytest.mark.parametrize("status", [401, 408, 409, 425, 429, 500, 502, 503])
    def test_retryable_and_server_failures_are_not(self, status):
        assert not storable(status)


def test_replays_drop_per_response_headers():
    headers = [
        ("content-type", "application/json"),
        ("Location", "/v1/trades/trd_1"),
        ("content-length", "12"),
        ("Request-Id", "req_1"),
        ("x-request-id", "req_1"),
        ("RateLimit", '"app";r=1;t=1'),
        ("Signature", "sig1=:abc:"),
    ]
    assert replayable_headers(headers) == (
        ("content-type", "application/json"),
        ("Location", "/v1/trades/trd_1"),
    )
