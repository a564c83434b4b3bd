"""Domain events from the outbox become webhook events, once, for the right apps."""

from __future__ import annotations

import json
import random
import time

import pytest
from sqlalchemy import text

from bankstack.gateway.adapters.http_sender import HttpxWebhookSender
from bankstack.gateway.adapters.idempotency_sql import SqlIdempotencyStore
from bankstack.gateway.adapters.keyring import open_secret_box
from bankstack.gateway.adapters.webhooks_sql import SqlWebhookStore
from bankstack.gateway.domain.idempotency import Proceed
from bankstack.gateway.domain.webhooks import DeliveryStatus
from bankstack.gateway.service.dispatcher import WebhookDispatcher
from bankstack.gateway.service.webhooks import WebhookService
from bankstack.gateway.tasks.webhooks import WebhookFanout, WebhookWorker
from bankstack.platform.outbox import OutboxRelay
from tests.integration.gateway.webhook_kit import Receiver, v1_signer_for


@pytest.fixture
def engine(isolated_engine):
    # The relay reads the whole outbox: give each test its own database.
    return isolated_engine


@pytest.fixture
def webhooks(engine, clock, secret_box):
    return WebhookService(SqlWebhookStore(engine, secret_box), clock=clock)


@pytest.fixture
def fanout(engine, webhooks, secret_box):
    return WebhookFanout(engine, webhooks, secret_box)


@pytest.fixture
def relay(engine, fanout, clock):
    return OutboxRelay(engine, [fanout], clock=clock)


def emit(engine, topic: str, payload: dict[str, object]) -> None:
    """What a domain does in its own transaction: one outbox row."""
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO outbox (topic, key, payload, occurred_at) VALUES (:t, :k, :p, :o)"),
            {"t": topic, "k": "k", "p": json.dumps(payload), "o": time.time_ns()},
        )


def pump(relay) -> None:
    while relay.relay_once():
        pass


def trade(**routing: object) -> dict[str, object]:
    return {**routing, "object": {"id": "trd_1", "object": "trade", "version": 1}}


class TestFanout:
    def test_an_app_gets_its_event_with_deliveries(self, apps, webhooks, relay, engine):
        app = apps.create_app("m_1", mode="test")
        endpoint = apps.add_webhook_endpoint(app.id, "https://a.example/h")
        emit(engine, "payments.trade.succeeded", trade(app_id=app.id, livemode=False))
        emit(engine, "ledger.transfer.posted", {"app_id": app.id})  # not a partner event
        pump(relay)
        (event,) = webhooks.list_events(app.id).data
        assert (event.type, event.livemode) == ("trade.succeeded", False)
        assert event.payload()["data"]["object"]["id"] == "trd_1"
        assert event.source_event_id is not None
        (delivery,) = webhooks.deliveries(event.id)
        assert (delivery.endpoint_id, delivery.status) == (endpoint.id, DeliveryStatus.PENDING)

    def test_an_endpoint_whose_secret_does_not_open_does_not_stop_the_relay(
        self, apps, webhooks, engine, clock, tmp_path
    ):
        # The endpoint was registered by a deployment whose keyring this process lacks (a key
        # retired too early): its secret cannot be opened here.
        app = apps.create_app("m_1", mode="test")
        endpoint = apps.add_webhook_endpoint(app.id, "https://a.example/h")
        other_box = open_secret_box(tmp_path / "other" / "webhook-secrets-keyring.json")
        relay = OutboxRelay(engine, [WebhookFanout(engine, webhooks, other_box)], clock=clock)
        emit(engine, "payments.trade.succeeded", trade(app_id=app.id, livemode=False))
        emit(engine, "payments.trade.closed", trade(app_id=app.id, livemode=False))
        pump(relay)  # raised UnknownKeyId before: every later event was stuck behind these
        events = webhooks.list_events(app.id).data
        assert sorted(e.type for e in events) == ["trade.closed", "trade.succeeded"]
        for event in events:
            (delivery,) = webhooks.deliveries(event.id)
            assert delivery.endpoint_id == endpoint.id  # the dispatcher opens the secret

    def test_redelivered_outbox_events_are_skipped(self, apps, webhooks, relay, engine):
        app = apps.create_app("m_1", mode="test")
        emit(engine, "payments.trade.succeeded", trade(app_id=app.id))
        pump(relay)
        with engine.begin() as conn:  # a crash before the relay marked the rows
            conn.execute(text("UPDATE outbox SET published_at = NULL"))
        pump(relay)
        assert len(webhooks.list_events(app.id).data) == 1

    def test_merchant_events_reach_every_app_of_that_mode_only(self, apps, webhooks, relay, engine):
        live_a = apps.create_app("m_2", mode="live")
        live_b = apps.create_app("m_2", mode="live")
        test = apps.create_app("m_2", mode="test")
        emit(engine, "payments.refund.created", trade(merchant_id="m_2", livemode=True))
        pump(relay)
        assert len(webhooks.list_events(live_a.id).data) == 1
        assert len(webhooks.list_events(live_b.id).data) == 1
        assert webhooks.list_events(test.id).data == []

    @pytest.mark.parametrize(
        "routing",
        [
            {"livemode": True},  # the app is a test app: never cross modes
            {"merchant_id": "m_someone_else"},
            {},  # checked below without an app id at all
        ],
    )
    def test_events_that_disagree_or_name_nobody_are_dropped(
        self, apps, webhooks, relay, engine, routing
    ):
        app = apps.create_app("m_3", mode="test")
        payload = trade(app_id=app.id, **routing) if routing else trade(merchant_id="m_3")
        emit(engine, "payments.trade.succeeded", payload)
        emit(engine, "payments.trade.succeeded", {"app_id": "app_unknown"})
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO outbox (topic, key, payload, occurred_at)"
                    " VALUES ('payments.trade.closed', 'k', 'not json', 0)"
                )
            )
        pump(relay)
        assert webhooks.list_events(app.id).data == []

    def test_explicit_type_mapping(self, apps, webhooks, engine, clock, secret_box):
        fanout = WebhookFanout(
            engine, webhooks, secret_box, prefixes=(), types={"escrow.held": "escrow.funds_held"}
        )
        relay = OutboxRelay(engine, [fanout], clock=clock)
        app = apps.create_app("m_4", mode="test")
        emit(engine, "escrow.held", trade(app_id=app.id))
        emit(engine, "payments.trade.succeeded", trade(app_id=app.id))
        pump(relay)
        assert [e.type for e in webhooks.list_events(app.id).data] == ["escrow.funds_held"]


def test_worker_drains_dispatches_and_purges(apps, relay, engine, clock, secret_box):
    receiver = Receiver()
    dispatcher = WebhookDispatcher(
        SqlWebhookStore(engine, secret_box),
        HttpxWebhookSender(receiver.client()),
        v1_signer_for,
        clock=clock,
        rng=random.Random(1),
    )
    idempotency = SqlIdempotencyStore(engine, clock=clock)
    idempotency.begin("app_x", "dead-lease", "fp")
    worker = WebhookWorker(dispatcher, idempotency=idempotency, clock=clock)
    app = apps.create_app("m_5", mode="test")
    apps.add_webhook_endpoint(app.id, "https://a.example/h")
    emit(engine, "payments.trade.succeeded", trade(app_id=app.id))
    while relay.relay_once():
        pass
    clock.advance(31)
    assert worker.run_once() == 1
    assert len(receiver.requests) == 1
    assert isinstance(idempotency.begin("app_x", "dead-lease", "other"), Proceed)
    worker.start(interval_s=0.01)
    worker.stop()
