"""Standard Webhooks: interoperability with the reference library and every refusal code."""

from __future__ import annotations

import base64
import datetime as dt
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from standardwebhooks.webhooks import Webhook

from bankstack_sdk.errors import KeyFormatError, WebhookVerificationError
from bankstack_sdk.webhooks import (
    generate_hmac_secret,
    generate_signing_key,
    public_key_for,
    sign_webhook,
    verify_webhook,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a published test secret
BODY = '{"type":"trade.succeeded","data":{"object":{"subject":"咖啡"}}}'.encode()
NOW = 1_795_321_500


def _code(*args: Any, **kwargs: Any) -> str:
    with pytest.raises(WebhookVerificationError) as caught:
        verify_webhook(*args, **kwargs)
    return str(caught.value.code)


def test_our_v1_signature_verifies_with_the_reference_library():
    now = int(time.time())  # the reference library checks against the wall clock
    headers = sign_webhook("msg_1", now, BODY, hmac_secret=SECRET, signing_key=None)
    assert Webhook(SECRET).verify(BODY, headers) == {
        "type": "trade.succeeded",
        "data": {"object": {"subject": "咖啡"}},
    }


def test_a_v1a_entry_does_not_confuse_the_reference_library():
    now = int(time.time())
    private, _ = generate_signing_key()
    headers = sign_webhook("msg_1", now, BODY, hmac_secret=SECRET, signing_key=private)
    assert headers["webhook-signature"].startswith("v1a,")
    Webhook(SECRET).verify(BODY, headers)


def test_the_reference_library_signature_verifies_with_ours():
    when = dt.datetime.fromtimestamp(NOW, tz=dt.UTC)
    signature = Webhook(SECRET).sign("msg_2", when, BODY.decode())
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(NOW), "webhook-signature": signature}
    assert verify_webhook(headers, BODY, hmac_secret=SECRET, now=NOW) == BODY


def test_ed25519_v1a_round_trip_with_strings_or_key_objects():
    private, public = generate_signing_key()
    headers = sign_webhook("msg_3", NOW, BODY, hmac_secret=None, signing_key=private)
    assert headers["webhook-signature"].startswith("v1a,")
    assert verify_webhook(headers, BODY, public_key=public, now=NOW) == BODY
    key = Ed25519PrivateKey.generate()
    headers = sign_webhook("msg_3", NOW, BODY, hmac_secret=None, signing_key=key)
    verify_webhook(headers, BODY, public_key=key.public_key(), now=NOW)
    assert public_key_for(key).startswith("whpk_")


def test_any_matching_scheme_is_enough_and_unknown_versions_are_ignored():
    private, public = generate_signing_key()
    headers = sign_webhook("msg_4", NOW, BODY, hmac_secret=SECRET, signing_key=private)
    headers["webhook-signature"] = "v9,AAAA garbage " + headers["webhook-signature"]
    verify_webhook(headers, BODY, hmac_secret=SECRET, now=NOW)
    verify_webhook(headers, BODY, public_key=public, now=NOW)
    other_secret = generate_hmac_secret()
    verify_webhook(headers, BODY, hmac_secret=other_secret, public_key=public, now=NOW)


def test_refusals():
    headers = sign_webhook("msg_5", NOW, BODY, hmac_secret=SECRET, signing_key=None)
    missing = {k: v for k, v in headers.items() if k != "webhook-signature"}
    assert _code(missing, BODY, hmac_secret=SECRET, now=NOW) == "webhook_signature_missing"
    for now in (NOW + 301, NOW - 301):
        assert _code(headers, BODY, hmac_secret=SECRET, now=now) == "webhook_timestamp_invalid"
    verify_webhook(headers, BODY, hmac_secret=SECRET, now=NOW + 300)
    for stamp in ("1795321500.5", "soon", "-1"):
        bad_time = {**headers, "webhook-timestamp": stamp}
        assert _code(bad_time, BODY, hmac_secret=SECRET, now=NOW) == "webhook_timestamp_invalid"
    assert _code(headers, BODY + b" ", hmac_secret=SECRET, now=NOW) == "webhook_signature_invalid"
    renamed = {**headers, "webhook-id": "msg_6"}
    assert _code(renamed, BODY, hmac_secret=SECRET, now=NOW) == "webhook_signature_invalid"
    _, public = generate_signing_key()
    assert _code(headers, BODY, public_key=public, now=NOW) == "webhook_signature_invalid"


def test_header_names_are_case_insensitive():
    headers = sign_webhook("msg_7", NOW, BODY, hmac_secret=SECRET, signing_key=None)
    upper = {name.title(): value for name, value in headers.items()}
    assert verify_webhook(upper, BODY, hmac_secret=SECRET, now=NOW) == BODY


def test_keys_and_arguments_are_checked():
    with pytest.raises(ValueError, match="hmac_secret"):
        sign_webhook("m", NOW, BODY, hmac_secret=None, signing_key=None)
    with pytest.raises(ValueError, match="hmac_secret"):
        verify_webhook({}, BODY)
    with pytest.raises(ValueError, match="webhook id"):
        sign_webhook("has space", NOW, BODY, hmac_secret=SECRET, signing_key=None)
    short = "whsec_" + base64.b64encode(b"short").decode()
    for kwargs in (
        {"hmac_secret": "sk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "signing_key": None},
        {"hmac_secret": short, "signing_key": None},
        {"hmac_secret": "whsec_!!!", "signing_key": None},
        {"hmac_secret": None, "signing_key": "whsk_" + base64.b64encode(bytes(31)).decode()},
    ):
        with pytest.raises(KeyFormatError):
            sign_webhook("m", NOW, BODY, **kwargs)
    headers = sign_webhook("m", NOW, BODY, hmac_secret=SECRET, signing_key=None)
    with pytest.raises(KeyFormatError):
        verify_webhook(headers, BODY, public_key="whpk_AAAA", now=NOW)
