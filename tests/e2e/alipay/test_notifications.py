"""Trade notifications after real payments, over real HTTP to a local receiver, verified with
the community SDK: payments writes its events to the outbox, the relay hands them to the
gateway's subscriber, which stores signed forms; the deliverer POSTs them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from bankstack.gateway.alipay import NotificationDeliverer, verify_notification
from bankstack.kernel.clock import ManualClock
from tests.e2e.alipay.conftest import BUYER
from tests.e2e.alipay.sdks import AliPay
from tests.e2e.alipay.support import APP_ID, MERCHANT_ID


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as client:
        yield client


def deliverer(served, clock, http) -> NotificationDeliverer:
    store = served.wiring.notifications
    return NotificationDeliverer(store=store, clock=clock, client=http, timeout_s=5)


def received_for(served, out_trade_no: str) -> list[dict[str, str]]:
    return [form for form in served.received if form.get("out_trade_no") == out_trade_no]


def verified_by_the_community_sdk(community: AliPay, form: dict[str, str]) -> bool:
    data = dict(form)
    signature = data.pop("sign")
    return bool(community.verify(data, signature))


def test_paid_trade_is_notified_and_verifies(community: AliPay, served, http):
    no = f"nt-{uuid.uuid4().hex[:20]}"
    notify_url = f"{served.base_url}/notify"
    created = community.api_alipay_trade_precreate(
        subject="拿铁 & co", out_trade_no=no, total_amount="18.80", notify_url=notify_url
    )
    trade_no = community.api_alipay_trade_query(out_trade_no=no)["trade_no"]
    served.scan(trade_no, BUYER)
    served.relay()
    clock = ManualClock(time.time_ns())
    served.receiver_answers.append("fail")  # the merchant is not ready the first time
    worker = deliverer(served, clock, http)
    assert worker.run_due().retried == 1
    [first] = received_for(served, no)
    assert verified_by_the_community_sdk(community, first)

    clock.advance(4 * 60)  # the protocol's first retry, 4 minutes later
    assert worker.run_due().delivered == 1
    first_again, form = received_for(served, no)
    assert form == first_again  # the same signed form, the same notify_id
    assert verified_by_the_community_sdk(community, form)
    assert verify_notification(form, served.keys.platform.public_key())
    assert form["notify_type"] == "trade_status_sync"
    assert (form["app_id"], form["seller_id"], form["buyer_id"]) == (APP_ID, MERCHANT_ID, BUYER)
    assert (form["trade_no"], form["out_trade_no"]) == (trade_no, created["out_trade_no"])
    assert (form["trade_status"], form["total_amount"], form["receipt_amount"]) == (
        "TRADE_SUCCESS",
        "18.80",
        "18.80",
    )
    assert form["subject"] == "拿铁 & co"
    assert form["gmt_payment"]
    stored = served.wiring.notifications.find(form["notify_id"])
    assert (stored.status, stored.finished_at_ns, stored.notification.attempts) == (
        "delivered",
        clock.now_ns(),
        2,
    )

    tampered = {**form, "total_amount": "0.01"}
    assert not verified_by_the_community_sdk(community, tampered)


def test_refunds_are_notified_with_refund_fields(community: AliPay, served, http):
    no = f"nr-{uuid.uuid4().hex[:20]}"
    code = served.code()
    notify_url = f"{served.base_url}/notify"
    community.api_alipay_trade_pay(
        no, "bar_code", code, "coffee", total_amount="30.00", notify_url=notify_url
    )
    community.api_alipay_trade_refund("12.50", out_trade_no=no, out_request_no="n1")
    community.api_alipay_trade_refund("17.50", out_trade_no=no, out_request_no="n2")
    assert served.relay() > 0
    assert served.relay() == 0
    report = deliverer(served, ManualClock(time.time_ns()), http).run_due()
    assert report.delivered == 3
    paid, partly, fully = received_for(served, no)
    assert paid["trade_status"] == "TRADE_SUCCESS"
    assert "refund_fee" not in paid
    assert (partly["trade_status"], partly["refund_fee"]) == ("TRADE_SUCCESS", "12.50")
    assert partly["gmt_refund"]
    assert (fully["trade_status"], fully["refund_fee"]) == ("TRADE_CLOSED", "30.00")
    assert fully["gmt_refund"] == fully["gmt_close"]
    assert len({f["notify_id"] for f in (paid, partly, fully)}) == 3
    assert all(verified_by_the_community_sdk(community, f) for f in (paid, partly, fully))


def test_a_cancelled_unpaid_trade_is_notified_closed(community: AliPay, served, http):
    no = f"nc-{uuid.uuid4().hex[:20]}"
    notify_url = f"{served.base_url}/notify"
    community.api_alipay_trade_precreate(
        subject="s", out_trade_no=no, total_amount="5.00", notify_url=notify_url
    )
    community.api_alipay_trade_cancel(out_trade_no=no)
    served.relay()
    deliverer(served, ManualClock(time.time_ns()), http).run_due()
    [closed] = received_for(served, no)
    assert (closed["trade_status"], closed["total_amount"]) == ("TRADE_CLOSED", "5.00")
    assert "receipt_amount" not in closed
    assert "refund_fee" not in closed
    assert closed["gmt_close"]
    assert verified_by_the_community_sdk(community, closed)


def test_trades_without_a_notify_url_are_not_notified(community: AliPay, served, http):
    no = f"nn-{uuid.uuid4().hex[:20]}"
    community.api_alipay_trade_pay(no, "bar_code", served.code(), "s", total_amount="1.00")
    served.relay()
    deliverer(served, ManualClock(time.time_ns()), http).run_due()
    assert received_for(served, no) == []
