"""Notifications: the signed form, the acknowledgement rule and the retry schedule."""

from __future__ import annotations

import socket
from urllib.parse import parse_qsl

import httpx
import pytest

from bankstack.gateway.adapters.destinations import GuardedTransport
from bankstack.gateway.alipay import (
    AlipayNotifier,
    InMemoryNotificationStore,
    NotificationDeliverer,
    TradeNotice,
    TradeStatus,
    TradeView,
    verify_notification,
)
from bankstack.gateway.alipay.delivery import RETRY_SCHEDULE_S, next_attempt_ns
from bankstack.kernel.clock import NS_PER_SECOND
from bankstack.kernel.money import Money
from tests.e2e.alipay.support import APP_ID, MERCHANT_ID

URL = "https://merchant.example/notify"


def paid_trade(now_ns: int) -> TradeView:
    return TradeView(
        trade_no="2026000000000000000000000001",
        out_trade_no="o-1",
        status=TradeStatus.TRADE_SUCCESS,
        total_amount=Money(8888, "CNY"),
        subject="咖啡",
        created_at_ns=now_ns,
        paid_amount=Money(8888, "CNY"),
        buyer_id="2088000000000101",
        paid_at_ns=now_ns,
    )


class Receiver:
    """A merchant endpoint answering from a list of (status, body), then ``success``."""

    def __init__(self, answers: list[tuple[int, bytes]] | None = None) -> None:
        self.answers = list(answers or [])
        self.forms: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
        self.forms.append(dict(parse_qsl(request.content.decode())))
        status, body = self.answers.pop(0) if self.answers else (200, b"success")
        if status == 0:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(status, content=body)


@pytest.fixture
def store() -> InMemoryNotificationStore:
    return InMemoryNotificationStore()


@pytest.fixture
def notifier(keys, store, clock) -> AlipayNotifier:
    return AlipayNotifier(apps=keys.apps(), keys=keys.platform_keys(), store=store, clock=clock)


def deliverer(store, clock, receiver: Receiver) -> NotificationDeliverer:
    client = httpx.Client(transport=httpx.MockTransport(receiver))
    return NotificationDeliverer(store=store, clock=clock, client=client)


def test_the_form_is_signed_and_complete(keys, notifier, clock):
    pending = notifier.trade_changed(
        TradeNotice(app_id=APP_ID, trade=paid_trade(clock.now_ns()), notify_url=URL)
    )
    assert pending is not None
    form = dict(pending.form)
    assert form["notify_type"] == "trade_status_sync"
    assert form["notify_id"] == pending.notify_id
    assert (form["app_id"], form["seller_id"], form["charset"]) == (APP_ID, MERCHANT_ID, "utf-8")
    assert (form["trade_status"], form["total_amount"], form["receipt_amount"]) == (
        "TRADE_SUCCESS",
        "88.88",
        "88.88",
    )
    assert form["gmt_payment"] == form["notify_time"] == "2026-01-01 08:00:00"
    assert form["sign_type"] == "RSA2"
    assert "refund_fee" not in form
    assert verify_notification(form, keys.platform.public_key())


def test_without_a_url_nothing_is_stored(notifier, store, clock):
    notice = TradeNotice(app_id=APP_ID, trade=paid_trade(clock.now_ns()))
    assert notifier.trade_changed(notice) is None
    assert notifier.trade_changed(TradeNotice(app_id="nope", trade=notice.trade)) is None
    assert store.pending() == []


def test_an_event_relayed_twice_is_stored_once(notifier, store, clock):
    notice = TradeNotice(
        app_id=APP_ID, trade=paid_trade(clock.now_ns()), notify_url=URL, event_id="evt-1"
    )
    notifier.trade_changed(notice)
    notifier.trade_changed(notice)
    assert [n.notify_id for n in store.pending()] == ["evt-1"]


@pytest.mark.parametrize(
    "answer",
    [
        (200, b"success\n"),
        (200, b"SUCCESS"),
        (200, b" success"),
        (200, b"fail"),
        (200, b""),
        (200, b"success" * 100),
        (500, b"success"),
        (302, b"success"),
        (0, b""),  # connection refused
    ],
)
def test_only_the_exact_body_success_acknowledges(notifier, store, clock, answer):
    notifier.trade_changed(
        TradeNotice(app_id=APP_ID, trade=paid_trade(clock.now_ns()), notify_url=URL)
    )
    report = deliverer(store, clock, Receiver([answer])).run_due()
    assert (report.delivered, report.retried) == (0, 1)
    [pending] = store.pending()
    assert pending.attempts == 1
    assert pending.next_attempt_ns == clock.now_ns() + 240 * NS_PER_SECOND


def test_retry_schedule_then_abandon(notifier, store, clock):
    pending = notifier.trade_changed(
        TradeNotice(app_id=APP_ID, trade=paid_trade(clock.now_ns()), notify_url=URL)
    )
    assert pending is not None
    receiver = Receiver([(200, b"fail")] * 20)
    worker = deliverer(store, clock, receiver)
    start = clock.now_ns()
    sent_at = []
    for interval in (0, *RETRY_SCHEDULE_S):
        clock.advance(interval - 1)
        assert worker.run_due().retried + worker.run_due().abandoned == 0  # not due yet
        clock.advance(1)
        worker.run_due()
        sent_at.append((clock.now_ns() - start) // NS_PER_SECOND)
    assert sent_at == [0, 240, 840, 1440, 5040, 12240, 33840, 87840]  # 8 POSTs in 24h24m
    assert len(receiver.forms) == 8
    assert {f["notify_id"] for f in receiver.forms} == {pending.notify_id}
    assert store.pending() == []
    [abandoned] = store.abandoned()
    assert abandoned.attempts == 8


def test_delivered_after_a_retry(notifier, store, clock):
    pending = notifier.trade_changed(
        TradeNotice(app_id=APP_ID, trade=paid_trade(clock.now_ns()), notify_url=URL)
    )
    assert pending is not None
    worker = deliverer(store, clock, Receiver([(503, b"")]))
    assert worker.run_due().retried == 1
    clock.advance(240)
    assert worker.run_due().delivered == 1
    assert store.delivered_at(pending.notify_id) == clock.now_ns()
    assert store.pending() == []


def test_a_claim_hides_the_notification_until_its_lease_ends(notifier, store, clock):
    notifier.trade_changed(
        TradeNotice(app_id=APP_ID, trade=paid_trade(clock.now_ns()), notify_url=URL)
    )
    now = clock.now_ns()
    assert len(store.claim_due(now, 10, now + 60 * NS_PER_SECOND)) == 1
    assert store.claim_due(now, 10, now + 60 * NS_PER_SECOND) == []
    assert len(store.claim_due(now + 60 * NS_PER_SECOND, 10, now)) == 1


def test_next_attempt_bounds():
    assert next_attempt_ns(0, 0) is None
    assert next_attempt_ns(1, 0) == 240 * NS_PER_SECOND
    assert next_attempt_ns(7, 0) == 15 * 3600 * NS_PER_SECOND
    assert next_attempt_ns(8, 0) is None


def test_a_notify_url_resolving_inside_is_abandoned_at_once(notifier, store, clock, monkeypatch):
    def internal(_host: str, port: int, *_args: object, **_kwargs: object) -> list[tuple]:  # type: ignore[type-arg]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(socket, "getaddrinfo", internal)
    receiver = Receiver()
    client = httpx.Client(transport=GuardedTransport(inner=httpx.MockTransport(receiver)))
    notifier.trade_changed(
        TradeNotice(app_id=APP_ID, trade=paid_trade(clock.now_ns()), notify_url=URL)
    )
    report = NotificationDeliverer(store=store, clock=clock, client=client).run_due()
    assert (report.delivered, report.retried, report.abandoned) == (0, 0, 1)
    assert receiver.forms == []  # nothing was sent
    assert store.pending() == []
    [abandoned] = store.abandoned()
    assert abandoned.attempts == 1
