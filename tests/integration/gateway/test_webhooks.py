"""Webhook events, deliveries and the dispatcher on SQLite and PostgreSQL, with a fake clock."""

from __future__ import annotations

import itertools
import random

import httpx
import pytest
from standardwebhooks import Webhook

from bankstack.gateway.adapters.http_sender import HttpxWebhookSender
from bankstack.gateway.adapters.webhooks_sql import SqlWebhookStore
from bankstack.gateway.domain.webhooks import SCHEDULE_S, DeliveryStatus
from bankstack.gateway.errors import EventNotFound
from bankstack.gateway.service.dispatcher import WebhookDispatcher
from bankstack.gateway.service.webhooks import WebhookService
from bankstack.kernel.clock import NS_PER_SECOND
from tests.integration.gateway.webhook_kit import Receiver, v1_signer_for

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
    sender = HttpxWebhookSender(receiver.client())
    return WebhookDispatcher(store, sender, v1_signer_for, clock=clock, rng=random.Random(42))


@pytest.fixture
def app(apps):
    return apps.create_app("m_hooks", mode="test")


def run_due(dispatcher, clock, webhooks, event_id) -> int:
    """Move the clock to the event's (one) delivery's next attempt and run the dispatcher."""
    (delivery,) = webhooks.deliveries(event_id)
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > clock.now_ns():
        clock.set(delivery.next_attempt_at)
    attempted: int = dispatcher.run_once()
    return attempted


class TestPublish:
    def test_event_and_deliveries_for_the_endpoints_that_want_it(self, apps, app, webhooks):
        trades = apps.add_webhook_endpoint(app.id, "https://a.example/h", event_types=["trade.*"])
        apps.add_webhook_endpoint(app.id, "https://b.example/h", event_types=["refund.created"])
        event = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        assert event.id.startswith("evt_")
        assert (event.livemode, event.api_version, event.object_version) == (
            False,
            "2026-11-01",
            2,
        )
        payload = event.payload()
        assert payload["data"]["object"] == TRADE
        assert payload["id"] == event.id
        deliveries = webhooks.deliveries(event.id)
        assert [(d.endpoint_id, d.status, d.attempts) for d in deliveries] == [
            (trades.id, DeliveryStatus.PENDING, 0)
        ]

    def test_suspended_apps_keep_events_without_deliveries(self, apps, app, webhooks):
        apps.add_webhook_endpoint(app.id, "https://a.example/h")
        apps.suspend_app(app.id)
        event = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        assert webhooks.deliveries(event.id) == []
        assert webhooks.list_events(app.id).data == [event]

    def test_events_are_private_to_their_app(self, apps, app, webhooks):
        other = apps.create_app("m_other", mode="test")
        event = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        with pytest.raises(EventNotFound):
            webhooks.event(event.id, app_id=other.id)
        assert webhooks.list_events(other.id).data == []


class TestDispatch:
    def test_signed_post_verifies_with_standardwebhooks(
        self, apps, app, webhooks, dispatcher, receiver
    ):
        endpoint = apps.add_webhook_endpoint(app.id, "https://a.example/h")
        event = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        assert dispatcher.run_once() == 1
        (request,) = receiver.requests
        assert str(request.url) == "https://a.example/h"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-id"] == event.id
        assert request.content == event.body
        verified = Webhook(endpoint.secret).verify(request.content, dict(request.headers))
        assert verified["id"] == event.id
        (delivery,) = webhooks.deliveries(event.id)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            DeliveryStatus.SUCCEEDED,
            1,
            200,
        )
        assert dispatcher.run_once() == 0

    def test_the_whole_retry_schedule_then_failed(
        self, apps, app, webhooks, dispatcher, receiver, clock
    ):
        receiver.status = 500
        apps.add_webhook_endpoint(app.id, "https://a.example/h")
        event = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        attempt_times = []
        for _ in range(len(SCHEDULE_S)):
            assert run_due(dispatcher, clock, webhooks, event.id) == 1
            attempt_times.append(clock.now_ns())
        gaps = [(b - a) / NS_PER_SECOND for a, b in itertools.pairwise(attempt_times)]
        for gap, planned in zip(gaps, SCHEDULE_S[1:], strict=True):
            assert planned * 0.8 <= gap <= planned * 1.2
        assert gaps != list(SCHEDULE_S[1:])  # jittered
        (final,) = webhooks.deliveries(event.id)
        assert (final.status, final.attempts, final.next_attempt_at) == (
            DeliveryStatus.FAILED,
            13,
            None,
        )
        assert len(receiver.requests) == 13
        assert {r.headers["webhook-id"] for r in receiver.requests} == {event.id}
        clock.advance(10 * 86400)
        assert dispatcher.run_once() == 0
        failed = webhooks.list_events(app.id, delivery_success=False)
        assert [e.id for e in failed.data] == [event.id]
        assert webhooks.list_events(app.id, delivery_success=True).data == []

    def test_gone_disables_the_endpoint(self, apps, app, webhooks, dispatcher, receiver, clock):
        receiver.status = 410
        endpoint = apps.add_webhook_endpoint(app.id, "https://a.example/h")
        first = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        second = webhooks.publish_event(app.id, "trade.closed", TRADE)
        assert dispatcher.run_once() == 2
        assert len(receiver.requests) == 1  # the second found the endpoint disabled
        (disabled,) = apps.webhook_endpoints(app.id)
        assert (disabled.id, disabled.enabled, disabled.disabled_reason) == (
            endpoint.id,
            False,
            "gone",
        )
        assert webhooks.deliveries(first.id)[0].status is DeliveryStatus.FAILED
        (skipped,) = webhooks.deliveries(second.id)
        assert (skipped.status, skipped.last_error, skipped.attempts) == (
            DeliveryStatus.FAILED,
            "endpoint_disabled",
            0,
        )
        third = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        assert webhooks.deliveries(third.id) == []
        clock.advance(60)
        assert dispatcher.run_once() == 0

    def test_network_errors_are_retried(self, apps, app, webhooks, dispatcher, receiver):
        receiver.error = httpx.ConnectTimeout("no answer")
        apps.add_webhook_endpoint(app.id, "https://a.example/h")
        event = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        dispatcher.run_once()
        (delivery,) = webhooks.deliveries(event.id)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            DeliveryStatus.PENDING,
            1,
            None,
        )
        assert delivery.last_error is not None
        assert delivery.last_error.startswith("timeout")

    def test_redeliver_starts_a_fresh_schedule(
        self, apps, app, webhooks, dispatcher, receiver, clock
    ):
        receiver.status = 410
        apps.add_webhook_endpoint(app.id, "https://a.example/h")
        event = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        dispatcher.run_once()
        assert webhooks.redeliver(event.id) == []  # the only endpoint is disabled
        receiver.status = 204
        added = apps.add_webhook_endpoint(app.id, "https://b.example/h")
        (again,) = webhooks.redeliver(event.id, app_id=app.id)
        assert (again.endpoint_id, again.status, again.attempts) == (
            added.id,
            DeliveryStatus.PENDING,
            0,
        )
        dispatcher.run_once()
        assert {d.status for d in webhooks.deliveries(event.id)} == {
            DeliveryStatus.FAILED,
            DeliveryStatus.SUCCEEDED,
        }
        apps.set_webhook_endpoint_enabled(
            app.id, webhooks.deliveries(event.id)[0].endpoint_id, enabled=True
        )
        assert len(webhooks.redeliver(event.id)) == 2
        clock.advance(1)
        assert dispatcher.run_once() == 2
        assert webhooks.list_events(app.id, delivery_success=True).data[0].id == event.id
        with pytest.raises(EventNotFound):
            webhooks.redeliver("evt_missing")

    def test_a_claimed_delivery_is_not_claimed_twice(self, apps, app, webhooks, store, clock):
        apps.add_webhook_endpoint(app.id, "https://a.example/h")
        webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        now = clock.now_ns()
        mine = [
            d
            for d in store.claim_due(now, 50, now + 60 * NS_PER_SECOND)
            if d.event.app_id == app.id
        ]
        theirs = [
            d
            for d in store.claim_due(now, 50, now + 60 * NS_PER_SECOND)
            if d.event.app_id == app.id
        ]
        assert (len(mine), theirs) == (1, [])
        later = now + 61 * NS_PER_SECOND
        again = [d for d in store.claim_due(later, 50, later) if d.event.app_id == app.id]
        assert len(again) == 1  # the first claimer died: the lease ran out


class TestListEvents:
    def test_newest_first_with_cursor_pages(self, app, webhooks, clock):
        made = []
        for n in range(5):
            made.append(webhooks.publish_event(app.id, "trade.succeeded", {"n": n}))
            if n != 2:  # two events share a timestamp: the id breaks the tie
                clock.advance(1)
        newest_first = [e.id for e in reversed(made)]
        seen, cursor = [], None
        while True:
            page = webhooks.list_events(app.id, cursor=cursor, limit=2)
            seen += [e.id for e in page.data]
            if not page.has_more:
                assert page.next_cursor is None
                break
            cursor = page.next_cursor
        assert seen == newest_first
        rendered = webhooks.list_events(app.id, limit=1).render(lambda e: e.id)
        assert rendered == {
            "object": "list",
            "data": [newest_first[0]],
            "has_more": True,
            "next_cursor": rendered["next_cursor"],
        }


class TestDispatcherGuards:
    def test_the_claim_lease_must_outlast_a_batch(self, store, receiver):
        sender = HttpxWebhookSender(receiver.client())
        with pytest.raises(ValueError, match="claim_lease_s"):
            WebhookDispatcher(store, sender, v1_signer_for, batch_size=50, claim_lease_s=60)

    def test_a_failing_delivery_does_not_stop_the_round(
        self, apps, app, webhooks, store, receiver, clock
    ):
        broken = apps.add_webhook_endpoint(app.id, "https://broken.example/h")
        apps.add_webhook_endpoint(app.id, "https://fine.example/h")

        def signer_for(endpoint):
            if endpoint.id == broken.id:
                raise RuntimeError("no signing key")
            return v1_signer_for(endpoint)

        dispatcher = WebhookDispatcher(
            store, HttpxWebhookSender(receiver.client()), signer_for, clock=clock
        )
        event = webhooks.publish_event(app.id, "trade.succeeded", TRADE)
        assert dispatcher.run_once() == 2
        assert [str(r.url) for r in receiver.requests] == ["https://fine.example/h"]
        statuses = {d.endpoint_id: d.status for d in webhooks.deliveries(event.id)}
        assert statuses[broken.id] is DeliveryStatus.PENDING  # retried when the claim lapses
