"""Webhook endpoint secrets are sealed at rest on SQLite and PostgreSQL: the column never
holds the secret, deliveries still verify, and rows written before sealing keep working."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook

from bankstack.gateway.adapters.endpoint_secrets import reseal_endpoint_secrets
from bankstack.gateway.adapters.http_sender import HttpxWebhookSender
from bankstack.gateway.adapters.keyring import add_key, open_secret_box
from bankstack.gateway.adapters.secret_box import SecretTampered, is_sealed
from bankstack.gateway.adapters.tables import webhook_endpoints as we
from bankstack.gateway.adapters.webhooks_sql import SqlWebhookStore
from bankstack.gateway.service.dispatcher import WebhookDispatcher
from bankstack.gateway.service.webhooks import WebhookService
from bankstack_sdk.webhooks import sign_webhook, verify_webhook
from tests.integration.gateway.webhook_kit import Receiver

TRADE = {"id": "trd_1", "object": "trade", "amount": 8888, "currency": "CNY", "version": 2}


@pytest.fixture
def engine(isolated_engine):
    # The dispatcher takes every due delivery in the database: give each test its own.
    return isolated_engine


@pytest.fixture
def store(engine, secret_box):
    return SqlWebhookStore(engine, secret_box)


@pytest.fixture
def webhooks(store, clock):
    return WebhookService(store, clock=clock)


@pytest.fixture
def receiver():
    return Receiver()


@pytest.fixture
def dispatcher(store, clock, receiver):
    def signer_for(endpoint):  # as the partners wiring does: the SDK's v1 HMAC
        def sign(msg_id, timestamp, body):
            return sign_webhook(
                msg_id, timestamp, body, hmac_secret=endpoint.secret, signing_key=None
            )

        return sign

    sender = HttpxWebhookSender(receiver.client())
    return WebhookDispatcher(store, sender, signer_for, clock=clock, rng=random.Random(7))


@pytest.fixture
def app(apps):
    return apps.create_app("m_sealed", mode="test")


def stored(engine, endpoint_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(we.c.secret).where(we.c.id == endpoint_id)).scalar_one())


def write_plaintext(engine, endpoint_id: str, secret: str) -> None:
    """What a row written before sealing looks like."""
    with engine.begin() as conn:
        conn.execute(update(we).where(we.c.id == endpoint_id).values(secret=secret))


def deliver_and_verify(webhooks, dispatcher, receiver, app_id: str, secret: str) -> None:
    event = webhooks.publish_event(app_id, "trade.succeeded", TRADE)
    assert dispatcher.run_once() == 1
    request = receiver.requests[-1]
    assert Webhook(secret).verify(request.content, dict(request.headers))["id"] == event.id
    assert verify_webhook(request.headers, request.content, hmac_secret=secret) == event.body


def test_the_column_holds_a_token_not_the_secret(apps, app, engine):
    endpoint = apps.add_webhook_endpoint(app.id, "https://a.example/h")
    assert endpoint.secret.startswith("whsec_")  # returned once, in plain, at creation
    column = stored(engine, endpoint.id)
    assert is_sealed(column)
    assert endpoint.secret not in column
    assert endpoint.secret.removeprefix("whsec_") not in column
    assert endpoint.secret not in repr(endpoint)  # nor in logs of the domain object
    assert apps.webhook_endpoints(app.id)[0].secret == endpoint.secret


def test_deliveries_verify_with_standardwebhooks_and_the_sdk(
    apps, app, webhooks, dispatcher, receiver
):
    endpoint = apps.add_webhook_endpoint(app.id, "https://a.example/h")
    deliver_and_verify(webhooks, dispatcher, receiver, app.id, endpoint.secret)


def test_a_token_moved_to_another_row_does_not_open(apps, app, engine):
    first = apps.add_webhook_endpoint(app.id, "https://a.example/1")
    second = apps.add_webhook_endpoint(app.id, "https://a.example/2")
    write_plaintext(engine, second.id, stored(engine, first.id))
    with pytest.raises(SecretTampered):
        apps.webhook_endpoints(app.id)


def test_a_legacy_plaintext_row_delivers_and_is_sealed_on_write(
    apps, app, webhooks, dispatcher, receiver, engine
):
    endpoint = apps.add_webhook_endpoint(app.id, "https://a.example/h")
    write_plaintext(engine, endpoint.id, endpoint.secret)
    assert apps.webhook_endpoints(app.id)[0].secret == endpoint.secret
    deliver_and_verify(webhooks, dispatcher, receiver, app.id, endpoint.secret)
    apps.set_webhook_endpoint_enabled(app.id, endpoint.id, enabled=True)
    assert is_sealed(stored(engine, endpoint.id))
    assert apps.webhook_endpoints(app.id)[0].secret == endpoint.secret


def test_reseal_seals_legacy_rows_and_moves_rows_to_the_newest_key(
    apps, app, engine, secret_box, tmp_path
):
    legacy = apps.add_webhook_endpoint(app.id, "https://a.example/1")
    sealed = apps.add_webhook_endpoint(app.id, "https://a.example/2")
    write_plaintext(engine, legacy.id, legacy.secret)
    assert reseal_endpoint_secrets(engine, secret_box) == 1
    assert is_sealed(stored(engine, legacy.id))
    assert reseal_endpoint_secrets(engine, secret_box) == 0  # nothing left: idempotent

    new_id = add_key(tmp_path / "keys" / "webhook-secrets-keyring.json")
    rotated = open_secret_box(tmp_path / "keys" / "webhook-secrets-keyring.json")
    assert reseal_endpoint_secrets(engine, rotated) == 2
    assert stored(engine, sealed.id).startswith(f"v1:{new_id}:")
    after = {e.id: e.secret for e in SqlWebhookStore(engine, rotated).endpoints(app.id)}
    assert after == {legacy.id: legacy.secret, sealed.id: sealed.secret}
