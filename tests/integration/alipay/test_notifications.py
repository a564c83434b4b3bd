"""Notifications from real payments events: which changes are told, once each, to where."""

from __future__ import annotations

import json
import uuid

import httpx

from bankstack.gateway.alipay import (
    NotificationDeliverer,
    PendingNotification,
    verify_notification,
)
from bankstack.gateway.alipay.subscriber import TOPICS
from bankstack.kernel.events import Event
from bankstack.payments import TOPICS as PAYMENTS_TOPICS
from bankstack.payments import CreateTrade
from bankstack.platform.outbox import OutboxRelay
from tests.integration.alipay.conftest import World, cny

URL = "https://shop.example/alipay/notify"


def order(amount: str = "10.00") -> dict[str, str]:
    return {"out_trade_no": f"o{uuid.uuid4().hex[:16]}", "total_amount": amount, "subject": "s"}


def pay(
    world: World, app_id: str, buyer: str, amount: str, notify_url: str | None = None
) -> dict[str, str]:
    paid = order(amount)
    code = world.payments.issue_payment_code(buyer).code
    biz = {**paid, "scene": "bar_code", "auth_code": code}
    assert world.call(app_id, "alipay.trade.pay", biz, notify_url=notify_url)["code"] == "10000"
    return paid


def test_the_subscriber_listens_to_payments_topics():
    assert set(PAYMENTS_TOPICS) >= TOPICS


def test_a_payment_and_its_refunds_are_told_once_each(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    buyer = world.customer()
    paid = pay(world, app_id, buyer, "30.00", notify_url=URL)
    ref = {"out_trade_no": paid["out_trade_no"]}
    world.call(
        app_id, "alipay.trade.refund", {**ref, "refund_amount": "10.00", "out_request_no": "1"}
    )
    world.call(
        app_id, "alipay.trade.refund", {**ref, "refund_amount": "20.00", "out_request_no": "2"}
    )
    assert world.relay() > 0
    forms = world.notifications(app_id)  # relayed together: in no particular order
    assert sorted((f["trade_status"], f.get("refund_fee", "")) for f in forms) == [
        ("TRADE_CLOSED", "30.00"),
        ("TRADE_SUCCESS", ""),
        ("TRADE_SUCCESS", "10.00"),
    ]
    key = world.keys.platform.public_key()
    assert all(verify_notification(f, key) for f in forms)
    assert {f["out_trade_no"] for f in forms} == {paid["out_trade_no"]}
    assert {f["seller_id"] for f in forms} == {merchant.id}
    assert all(s.notification.url == URL for s in world.wiring.notifications.of_app(app_id))

    world.watermark = 0  # the relay delivers everything again (at least once)
    world.relay()
    assert len(world.notifications(app_id)) == 3


def test_where_notifications_go(world: World):
    merchant = world.merchant()
    default = "https://shop.example/default"
    app_id = world.app(merchant, notify_url=default)
    buyer = world.customer()
    pay(world, app_id, buyer, "1.00")  # no notify_url: the app's default
    pay(world, app_id, buyer, "2.00", notify_url=URL)
    quiet_app = world.app(merchant, "quiet")
    pay(world, quiet_app, buyer, "3.00")  # neither: nothing to send
    outside = world.payments.create(  # made through payments, not the gateway
        CreateTrade(merchant_id=merchant.id, out_trade_no="direct", amount=cny("4.00"), subject="s")
    )
    world.payments.pay_with_wallet(outside.id, buyer)
    world.relay()
    stored = world.wiring.notifications.of_app(app_id)
    assert sorted(
        (dict(s.notification.form)["total_amount"], s.notification.url) for s in stored
    ) == [
        ("1.00", default),
        ("2.00", URL),
    ]
    assert world.wiring.notifications.of_app(quiet_app) == []


def test_an_unpaid_trade_closing_is_told(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    for method in ("alipay.trade.close", "alipay.trade.cancel"):
        unpaid = order()
        world.call(app_id, "alipay.trade.precreate", unpaid, notify_url=URL)
        world.call(app_id, method, {"out_trade_no": unpaid["out_trade_no"]})
    expiring = order()
    biz = {**expiring, "timeout_express": "1m"}
    world.call(app_id, "alipay.trade.precreate", biz, notify_url=URL)
    world.clock.advance(61)
    world.payments.process_due()
    world.relay()
    forms = world.notifications(app_id)
    assert [f["trade_status"] for f in forms] == ["TRADE_CLOSED"] * 3
    assert expiring["out_trade_no"] in {f["out_trade_no"] for f in forms}
    assert all("refund_fee" not in f and "gmt_close" in f for f in forms)


def test_an_unreadable_event_is_skipped(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    broken = Event("trade.succeeded/1", "trade.succeeded", "1", "not json", 0)
    wrong = Event("trade.closed/2", "trade.closed", "2", json.dumps({"data": {"id": "x"}}), 0)
    world.wiring.subscriber.handle([broken, wrong])
    assert world.notifications(app_id) == []


def test_through_the_outbox_relay_to_the_receiver(isolated_world: World):
    world = isolated_world
    merchant = world.merchant()
    app_id = world.app(merchant)
    paid = pay(world, app_id, world.customer(), "8.80", notify_url=URL)
    relay = OutboxRelay(world.runtime.engine, [world.wiring.subscriber], clock=world.clock)
    assert relay.relay_once() > 0
    assert relay.relay_once() == 0
    posted: list[dict[str, str]] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        posted.append(dict(httpx.QueryParams(request.content.decode("utf-8"))))
        return httpx.Response(200, text="success")

    with httpx.Client(transport=httpx.MockTransport(receiver)) as client:
        store = world.wiring.notifications
        report = NotificationDeliverer(store=store, clock=world.clock, client=client).run_due()
    assert report.delivered == 1
    [form] = posted
    assert (form["out_trade_no"], form["trade_status"]) == (paid["out_trade_no"], "TRADE_SUCCESS")
    assert verify_notification(form, world.keys.platform.public_key())
    stored = store.find(form["notify_id"])
    assert stored is not None
    assert (stored.status, stored.notification.attempts) == ("delivered", 1)


def test_deliver_due_sends_everything_due_batch_after_batch(isolated_world: World):
    world = isolated_world
    now = world.clock.now_ns()
    for n in range(25):
        world.wiring.notifications.add(
            PendingNotification(
                notify_id=f"n{n:02d}",
                app_id="app",
                url=URL,
                form=(("notify_id", f"n{n:02d}"),),
                charset="utf-8",
                created_ns=now,
                next_attempt_ns=now,
            )
        )
    report = world.wiring.deliver_due()
    assert (report.delivered, report.retried, report.abandoned) == (25, 0, 0)
    assert world.wiring.deliver_due().delivered == 0
