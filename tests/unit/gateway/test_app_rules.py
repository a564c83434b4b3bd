"""Validation rules for apps, keys and webhook endpoints."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bankstack.gateway.domain.apps import (
    SUPPORTED_API_VERSIONS,
    check_api_version,
    check_event_filters,
    check_merchant_id,
    check_public_key,
    check_webhook_url,
    hash_api_secret,
    matches_filters,
    new_api_secret,
    new_webhook_secret,
)
from bankstack.gateway.errors import (
    ApiVersionInvalid,
    AppKeyInvalid,
    MerchantIdInvalid,
    WebhookEndpointInvalid,
)


def raw_public_key() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


class TestApiVersion:
    def test_supported(self):
        assert check_api_version("2026-11-01", SUPPORTED_API_VERSIONS) == "2026-11-01"

    @pytest.mark.parametrize("version", ["2026-13-01", "2026-11-1", "latest", "2025-01-01"])
    def test_refused(self, version):
        with pytest.raises(ApiVersionInvalid):
            check_api_version(version, SUPPORTED_API_VERSIONS | {"2026-13-01"})


class TestMerchantId:
    @pytest.mark.parametrize("merchant", ["", "x" * 65, "has space", "中文"])
    def test_refused(self, merchant):
        with pytest.raises(MerchantIdInvalid):
            check_merchant_id(merchant)


class TestPublicKey:
    def test_raw_ed25519(self):
        raw = raw_public_key()
        assert check_public_key(raw) == raw

    @pytest.mark.parametrize("raw", [b"", b"\x00" * 31, b"\x00" * 33])
    def test_wrong_length(self, raw):
        with pytest.raises(AppKeyInvalid):
            check_public_key(raw)


class TestWebhookUrl:
    def test_https_everywhere_http_in_test_mode_only(self):
        assert check_webhook_url("https://partner.example/hooks", livemode=True)
        assert check_webhook_url("http://partner.example/hooks", livemode=False)
        assert check_webhook_url("http://localhost:8000/hooks", livemode=False, allow_private=True)
        with pytest.raises(WebhookEndpointInvalid, match="https"):
            check_webhook_url("http://partner.example/hooks", livemode=True)

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://partner.example/x",
            "https:///nohost",
            "https://user:pw@partner.example/x",
            "https://partner.example/x#frag",
            "https://[::1",
            "https://partner.example/" + "x" * 2048,
        ],
    )
    def test_refused(self, url):
        with pytest.raises(WebhookEndpointInvalid):
            check_webhook_url(url, livemode=False)


class TestEventFilters:
    def test_matching(self):
        assert matches_filters((), "trade.succeeded")
        assert matches_filters(("*",), "trade.succeeded")
        assert matches_filters(("trade.*",), "trade.succeeded")
        assert matches_filters(("refund.created", "trade.succeeded"), "trade.succeeded")
        assert not matches_filters(("trade.*",), "trades.succeeded")
        assert not matches_filters(("refund.created",), "trade.succeeded")

    def test_normalised(self):
        assert check_event_filters(["trade.*", "trade.*", "refund.created"]) == (
            "trade.*",
            "refund.created",
        )

    @pytest.mark.parametrize(
        "bad", [["Trade.succeeded"], ["trade..x"], ["*.succeeded"], ["a"] * 33]
    )
    def test_refused(self, bad):
        with pytest.raises(WebhookEndpointInvalid):
            check_event_filters(bad)


def test_secrets_have_their_formats():
    webhook = new_webhook_secret()
    assert webhook.startswith("whsec_")
    assert len(base64.b64decode(webhook.removeprefix("whsec_"))) == 32
    api = new_api_secret()
    assert api.startswith("sk_test_")
    assert api != new_api_secret()
    assert len(hash_api_secret(api)) == 32
