"""SSRF: with private destinations not allowed (production), ``/v1/webhook_endpoints`` refuses
local and private hosts, and a name that resolves inside fails its delivery without retries.

(``test_webhooks_and_money.py`` delivers to a loopback receiver with them allowed.)
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from bankstack.gateway.domain.webhooks import DeliveryStatus
from bankstack_sdk.errors import ApiError
from tests.e2e.partners.conftest import Bank
from tests.e2e.partners.test_webhooks_and_money import _deliver, _pay_a_trade


@pytest.fixture
def allow_private_destinations() -> bool:
    return False


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/hooks",
        "http://2130706433/hooks",
        "http://[::ffff:10.0.0.1]/hooks",
        "https://100.64.0.1/hooks",
    ],
)
def test_a_private_webhook_url_is_refused_with_a_stable_code(bank: Bank, url: str) -> None:
    with pytest.raises(ApiError) as caught:
        bank.partner().post("/v1/webhook_endpoints", {"url": url})
    assert caught.value.code == "webhook_url_forbidden"
    assert caught.value.status in {400, 422}
    assert bank.partner().get("/v1/webhook_endpoints").data["data"] == []


def test_a_name_resolving_inside_fails_its_delivery_once(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.partner.example":  # public when registered, internal when sent
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
        return real(host, port, *args, **kwargs)

    bank.partner().post(
        "/v1/webhook_endpoints",
        {"url": "https://hooks.partner.example/h", "event_types": ["trade.*"]},
    )
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    _pay_a_trade(bank, 500)
    _deliver(bank)
    webhooks = bank.runtime.partners.webhooks
    events = webhooks.list_events(bank.app_id).data
    deliveries = [d for e in events for d in webhooks.deliveries(e.id)]
    assert deliveries
    for delivery in deliveries:
        assert delivery.status is DeliveryStatus.FAILED
        assert (delivery.attempts, delivery.next_attempt_at) == (1, None)
        assert delivery.last_error is not None
        assert "destination forbidden" in delivery.last_error
        assert "10.0.0.7" in delivery.last_error
