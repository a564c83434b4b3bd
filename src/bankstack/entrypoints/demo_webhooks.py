"""The demo partners' webhook endpoint: ``POST /demo/webhooks/{app_id}`` on the demo's server.

Each delivery is checked the way the SDK's README tells a partner to, with
``bankstack_sdk.verify_webhook`` on the raw body, twice: the ``v1`` HMAC with the endpoint's
``whsec_`` secret, and the ``v1a`` Ed25519 signature with the platform key that
``/.well-known/jwks.json`` publishes. Both must hold. A verified delivery is answered 204 and
counted once per ``webhook-id`` (delivery is at least once: a repeat is a duplicate); a bad
one is answered 400, so bankstack retries it on its schedule, and counted as rejected. An
app the receiver does not know gets ``410 Gone``, which disables that endpoint.

The route lives on the demo's own app (outside ``/v1``, so no partner authentication) and
does its work on the event loop: a check costs two signature verifications, microseconds.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI, Request
from starlette.responses import Response

from bankstack_sdk import WebhookVerificationError, verify_webhook

PATH: Final = "/demo/webhooks"
_REMEMBERED: Final = 100_000  # webhook-ids kept for deduplication, oldest forgotten first


def receiver_url(base_url: str, app_id: str) -> str:
    return f"{base_url}{PATH}/{app_id}"


@dataclass(frozen=True, slots=True)
class WebhookCounts:
    received: int  # every delivery to a known app
    verified: int  # both signatures held, first time this webhook-id was seen
    duplicates: int  # both signatures held, webhook-id seen before
    rejected: int  # a signature missing or wrong, a stale timestamp, a body that is not JSON
    types: Counter[str]  # verified events by type (trade.succeeded, refund.succeeded, ...)


class WebhookReceiver:
    """Verifies and counts deliveries; ``register`` each app's endpoint secret first."""

    def __init__(self, platform_key: Ed25519PublicKey) -> None:
        self._platform_key = platform_key
        self._secrets: dict[str, str] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._types: Counter[str] = Counter()
        self._received = self._verified = self._duplicates = self._rejected = 0
        self._lock = threading.Lock()

    def register(self, app_id: str, hmac_secret: str) -> None:
        with self._lock:
            self._secrets[app_id] = hmac_secret

    def receive(self, app_id: str, headers: Mapping[str, str], body: bytes) -> int:
        """Check one delivery; the HTTP status to answer it with."""
        with self._lock:
            secret = self._secrets.get(app_id)
        if secret is None:
            return 410
        try:
            verify_webhook(headers, body, hmac_secret=secret)  # v1
            verify_webhook(headers, body, public_key=self._platform_key)  # v1a
            event_type = str(json.loads(body).get("type", "?"))
        except (WebhookVerificationError, ValueError, AttributeError):
            with self._lock:
                self._received += 1
                self._rejected += 1
            return 400
        msg_id = headers.get("webhook-id", "")
        with self._lock:
            self._received += 1
            if msg_id in self._seen:
                self._duplicates += 1
                return 204
            self._seen[msg_id] = None
            if len(self._seen) > _REMEMBERED:
                self._seen.popitem(last=False)
            self._verified += 1
            self._types[event_type] += 1
        return 204

    def counts(self) -> WebhookCounts:
        with self._lock:
            return WebhookCounts(
                self._received,
                self._verified,
                self._duplicates,
                self._rejected,
                Counter(self._types),
            )


def install_receiver(app: FastAPI, receiver: WebhookReceiver) -> None:
    """Mount ``POST /demo/webhooks/{app_id}`` (left out of the OpenAPI document)."""

    @app.post(PATH + "/{app_id}", include_in_schema=False)
    async def demo_webhook(app_id: str, request: Request) -> Response:
        body = await request.body()
        return Response(status_code=receiver.receive(app_id, request.headers, body))
