"""The partner platform's parts, built once per process from settings and the runtime.

Apps and keys, nonces and rate limits (Redis when ``BANKSTACK_REDIS_URL`` is set, so several
processes share them; in memory otherwise), idempotency keys, webhooks (fan-out from the
payments outbox events, a dispatcher signing ``v1`` HMAC + ``v1a`` Ed25519), and the
platform signing key (a file under ``BANKSTACK_KEY_DIR`` shared by every process), and beside
it the keyring that seals webhook endpoint secrets in the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from bankstack.gateway.adapters.apps_sql import SqlAppStore
from bankstack.gateway.adapters.endpoint_secrets import reseal_endpoint_secrets
from bankstack.gateway.adapters.http_sender import HttpxWebhookSender
from bankstack.gateway.adapters.idempotency_sql import SqlIdempotencyStore
from bankstack.gateway.adapters.keyring import open_secret_box, webhook_keyring_path
from bankstack.gateway.adapters.keys import load_or_create_signing_key
from bankstack.gateway.adapters.nonces import MemoryNonceStore, RedisNonceStore
from bankstack.gateway.adapters.ratelimit import (
    MemoryRateLimiter,
    RedisRateLimiter,
    hot_path_redis,
)
from bankstack.gateway.adapters.webhooks_sql import SqlWebhookStore
from bankstack.gateway.alipay.gateway import AlipayGatewaySettings
from bankstack.gateway.alipay.wiring import AlipayWiring, build_alipay_gateway
from bankstack.gateway.domain.apps import WebhookEndpoint
from bankstack.gateway.ports import NonceStore, RateLimiter, Signer
from bankstack.gateway.service.apps import AppService
from bankstack.gateway.service.dispatcher import WebhookDispatcher
from bankstack.gateway.service.webhooks import WebhookService
from bankstack.gateway.tasks.payments_events import PaymentsWebhooks
from bankstack.gateway.tasks.webhooks import WebhookFanout, WebhookWorker
from bankstack.kernel.clock import Clock
from bankstack.payments import PaymentsService
from bankstack.platform.outbox import OutboxRelay
from bankstack.platform.settings import Settings
from bankstack_sdk.signing import SigningKey
from bankstack_sdk.webhooks import sign_webhook

PLATFORM_KEY_FILE = "platform-ed25519.pem"
ALIPAY_KEY_FILE = "alipay-rsa2.pem"


@dataclass
class Partners:
    apps: AppService
    webhooks: WebhookService
    idempotency: SqlIdempotencyStore
    nonces: NonceStore
    limiter: RateLimiter
    platform_key: SigningKey
    worker: WebhookWorker
    alipay: AlipayWiring


def build_partners(
    settings: Settings,
    engine: Engine,
    relay: OutboxRelay,
    payments: PaymentsService,
    clock: Clock,
) -> Partners:
    platform_key = load_or_create_signing_key(Path(settings.key_dir) / PLATFORM_KEY_FILE)
    secrets = open_secret_box(webhook_keyring_path(settings.key_dir))
    reseal_endpoint_secrets(engine, secrets)  # legacy plaintext rows, rows of an old key
    webhook_store = SqlWebhookStore(engine, secrets)
    webhooks = WebhookService(webhook_store, clock=clock)
    relay.subscribe(PaymentsWebhooks(WebhookFanout(engine, webhooks, secrets)))

    def signer_for(endpoint: WebhookEndpoint) -> Signer:
        def sign(msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
            return sign_webhook(
                msg_id,
                timestamp,
                body,
                hmac_secret=endpoint.secret,
                signing_key=platform_key.private_key,
            )

        return sign

    dispatcher = WebhookDispatcher(
        webhook_store,
        HttpxWebhookSender(allow_private=settings.allow_private_destinations),
        signer_for,
        clock=clock,
        rng=random.Random(),  # noqa: S311 - jitter, not a secret
    )
    idempotency = SqlIdempotencyStore(engine, clock=clock)
    nonces, limiter = _shared_state(settings, clock)
    alipay_key = Path(settings.key_dir) / ALIPAY_KEY_FILE
    alipay = build_alipay_gateway(
        engine,
        payments,
        clock,
        key_path=alipay_key,
        legacy_key_path=alipay_key,
        settings=AlipayGatewaySettings(
            allow_private_destinations=settings.allow_private_destinations
        ),
    )
    relay.subscribe(alipay.subscriber)
    return Partners(
        apps=AppService(
            SqlAppStore(engine, secrets),
            clock=clock,
            allow_private_destinations=settings.allow_private_destinations,
        ),
        webhooks=webhooks,
        idempotency=idempotency,
        nonces=nonces,
        limiter=limiter,
        platform_key=platform_key,
        worker=WebhookWorker(dispatcher, idempotency=idempotency, clock=clock),
        alipay=alipay,
    )


def _shared_state(settings: Settings, clock: Clock) -> tuple[NonceStore, RateLimiter]:
    if settings.redis_url:
        client = hot_path_redis(settings.redis_url)
        return RedisNonceStore(client), RedisRateLimiter(client)
    return MemoryNonceStore(clock=clock), MemoryRateLimiter(clock=clock)
