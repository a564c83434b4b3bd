"""Trade notifications over real HTTP to a local receiver, verified with the community SDK."""

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
    return NotificationDeliverer(store=served.store, clock=clock, client=http, timeout_s=5)


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
    trade_no = served.trades.trade_no_of(MERCHANT_ID, no)
    served.trades.scan(trade_no, BUYER)
    clock = ManualClock(time.time_ns())
    served.receiver_answers.append("fail")  # the merchant is not ready the first time
    worker = deliverer(served, clock, http)
    assert worker.run_due().retried >= 1
    [first] = received_for(served, no)
    assert verified_by_the_community_sdk(community, first)

    clock.advance(4 * 60)  # the protocol's first retry, 4 minutes later
    assert worker.run_due().delivered >= 1
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
    assert served.store.delivered_at(form["notify_id"]) == clock.now_ns()

    tampered = {**form, "total_amount": "0.01"}
    assert not verified_by_the_community_sdk(community, tampered)


def test_refund_is_notified_with_refund_fields(community: AliPay, served, http):
    no = f"nr-{uuid.uuid4().hex[:20]}"
    community.api_alipay_trade_pay(
        no,
        "bar_code",
        "281234567890123456",
        "coffee",
        total_amount="30.00",
        notify_url=f"{served.base_url}/notify",
    )
    community.api_alipay_trade_refund("12.50", out_trade_no=no, out_request_no="n1")
    deliverer(served, ManualClock(time.time_ns()), http).run_due()
    paid, refunded = received_for(served, no)
    assert paid["trade_status"] == "TRADE_SUCCESS"
    assert "refund_fee" not in paid
    assert (refunded["trade_status"], refunded["refund_fee"]) == ("TRADE_SUCCESS", "12.50")
    assert refunded["gmt_refund"]
    assert paid["notify_id"] != refunded["notify_id"]
    assert all(verified_by_the_community_sdk(community, f) for f in (paid, refunded))
