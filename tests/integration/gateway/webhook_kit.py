"""A webhook receiver and a Standard Webhooks ``v1`` signer for the dispatcher tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from bankstack.gateway.domain.apps import WebhookEndpoint


def v1_signer_for(endpoint: WebhookEndpoint) -> Callable[[str, int, bytes], Mapping[str, str]]:
    """The HMAC ``v1`` scheme, computed by the reference library."""
    hook = Webhook(endpoint.secret)

    def sign(msg_id: str, timestamp: int, body: bytes) -> Mapping[str, str]:
        signature = hook.sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body.decode())
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        }

    return sign


@dataclass
class Receiver:
    """Answers with ``status`` (or raises ``error``) and records every request."""

    status: int = 200
    error: Exception | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return httpx.Response(self.status, text="ok")

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))
