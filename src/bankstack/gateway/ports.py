"""What the gateway's use cases need from storage and the network, as Protocols.

Adapters (``gateway.adapters``) implement them on SQLAlchemy Core, Redis and httpx; tests
may implement them in memory. A ``*Unit`` is one database transaction: it commits when its
``with`` block ends normally and rolls back otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from bankstack.gateway.domain.apps import (
    ApiKey,
    App,
    AppKey,
    AppStatus,
    WebhookEndpoint,
)
from bankstack.gateway.domain.idempotency import Decision, StoredResponse
from bankstack.gateway.domain.pages import Position
from bankstack.gateway.domain.ratelimit import Bucket
from bankstack.gateway.domain.ratelimit import Decision as RateDecision
from bankstack.gateway.domain.webhooks import (
    AttemptResult,
    Delivery,
    DeliveryStatus,
    WebhookEvent,
)

Signer = Callable[[str, int, bytes], Mapping[str, str]]
"""``sign(msg_id, timestamp, body)`` -> the ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` headers (Standard Webhooks)."""


class AppUnit(Protocol):
    def get_app(self, app_id: str, *, for_update: bool = False) -> App | None: ...
    def insert_app(self, app: App) -> None: ...
    def set_app_status(self, app_id: str, status: AppStatus, now: int) -> None: ...
    def apps_of_merchant(self, merchant_id: str, *, livemode: bool) -> list[App]: ...
    def keys(self, app_id: str) -> list[AppKey]: ...
    def key(self, kid: str) -> AppKey | None: ...
    def insert_key(self, key: AppKey) -> None: ...
    def retire_key(self, kid: str, now: int) -> None: ...
    def insert_api_key(self, key: ApiKey, secret_hash: bytes) -> None: ...
    def api_key_by_hash(self, secret_hash: bytes) -> ApiKey | None: ...
    def api_keys(self, app_id: str) -> list[ApiKey]: ...
    def revoke_api_key(self, key_id: str, now: int) -> None: ...
    def endpoints(self, app_id: str) -> list[WebhookEndpoint]: ...
    def insert_endpoint(self, endpoint: WebhookEndpoint) -> None: ...
    def update_endpoint(self, endpoint: WebhookEndpoint) -> None: ...


class AppStore(Protocol):
    def unit(self, *, write: bool = True) -> AbstractContextManager[AppUnit]:
        """One transaction; ``write=False`` for reads (no write lock on SQLite)."""
        ...


class IdempotencyStore(Protocol):
    def begin(self, scope: str, key: str, fingerprint: str) -> Decision: ...
    def complete(self, scope: str, key: str, token: str, response: StoredResponse) -> bool: ...
    def abandon(self, scope: str, key: str, token: str) -> bool: ...
    def purge(self, limit: int = 10_000) -> int: ...


class NonceStore(Protocol):
    def claim(self, key_id: str, nonce: str, ttl_s: int = 600) -> bool:
        """True the first time ``(key_id, nonce)`` is seen within ``ttl_s``; False = replay."""
        ...


class RateLimiter(Protocol):
    def take(self, buckets: Sequence[Bucket], cost: int = 1) -> list[RateDecision]:
        """Admit a request against all ``buckets`` atomically; raises
        ``RateLimiterUnavailable`` when the limiter's store cannot answer."""
        ...


@dataclass(frozen=True, slots=True)
class DueDelivery:
    delivery: Delivery
    event: WebhookEvent
    endpoint: WebhookEndpoint


class WebhookUnit(Protocol):
    """Writes of new events, inside the caller's transaction (an outbox consumer's)."""

    def app(self, app_id: str) -> App | None: ...
    def apps_of_merchant(self, merchant_id: str, *, livemode: bool) -> list[App]: ...
    def endpoints(self, app_id: str) -> list[WebhookEndpoint]:
        """The app's endpoints, their secrets left out (``""``): scheduling needs none."""
        ...

    def insert_event(self, event: WebhookEvent) -> bool:
        """False when the app already has an event from the same source event."""
        ...

    def insert_deliveries(self, deliveries: Sequence[Delivery]) -> None: ...


class WebhookStore(Protocol):
    def unit(self) -> AbstractContextManager[WebhookUnit]: ...
    def event(self, event_id: str) -> WebhookEvent | None: ...
    def events(
        self, app_id: str, *, delivery_success: bool | None, after: Position | None, limit: int
    ) -> list[WebhookEvent]: ...
    def deliveries(self, event_id: str) -> list[Delivery]: ...
    def endpoints(self, app_id: str) -> list[WebhookEndpoint]: ...
    def reset_deliveries(
        self, event: WebhookEvent, endpoint_ids: Sequence[str], now: int
    ) -> list[Delivery]: ...
    def claim_due(self, now: int, limit: int, lease_until: int) -> list[DueDelivery]: ...
    def record_attempt(
        self,
        delivery_id: str,
        *,
        status: DeliveryStatus,
        attempts: int,
        next_attempt_at: int | None,
        now: int,
        status_code: int | None,
        error: str | None,
    ) -> None: ...
    def disable_endpoint(self, endpoint_id: str, reason: str, now: int) -> None: ...


class WebhookSender(Protocol):
    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> AttemptResult: ...
