"""The community ``python-alipay-sdk`` (``alipay.AliPay``), unchanged, against ``/gateway.do``.

It sends every parameter in a GET query string, and verifies a signed answer before
returning it; an answer without ``sign``, or under ``error_response``, raises
``AliPayException`` carrying the code.
"""

from __future__ import annotations

import importlib.metadata
import uuid
from pathlib import Path

import pytest

from tests.e2e.alipay.conftest import BUYER, BUYER_CODE, POOR_CODE
from tests.e2e.alipay.sdks import COMMUNITY_INIT, OFFICIAL_API, AliPay, AliPayException


def new_no() -> str:
    return f"cf-{uuid.uuid4().hex[:20]}"


def failure(answer: dict[str, str]) -> tuple[str, str]:
    return answer["code"], answer["sub_code"]


def test_both_sdks_share_the_alipay_package():
    official = importlib.metadata.distribution("alipay-sdk-python")
    community = importlib.metadata.distribution("python-alipay-sdk")
    claimed = [
        {str(f) for f in dist.files or ()} & {"alipay/__init__.py"}
        for dist in (official, community)
    ]
    assert claimed == [{"alipay/__init__.py"}] * 2  # one file, two owners: the last install wins
    # The community SDK's __init__ must be the one on disk, or `from alipay import AliPay` fails;
    # the official SDK only needs alipay/aop/, which no other package ships.
    assert Path(COMMUNITY_INIT).read_text(encoding="utf-8").count("class BaseAliPay") == 1
    assert Path(OFFICIAL_API).parent.name == "api"


def test_precreate_and_out_trade_no_idempotency(community: AliPay):
    no = new_no()
    first = community.api_alipay_trade_precreate(subject="咖啡", out_trade_no=no, total_amount=0.01)
    assert (first["code"], first["out_trade_no"]) == ("10000", no)
    same = community.api_alipay_trade_precreate(subject="咖啡", out_trade_no=no, total_amount=0.01)
    assert same["qr_code"] == first["qr_code"]
    changed = community.api_alipay_trade_precreate(subject="茶", out_trade_no=no, total_amount=0.01)
    assert failure(changed) == ("40004", "ACQ.CONTEXT_INCONSISTENT")


@pytest.mark.parametrize("scene", ["bar_code", "wave_code"])
def test_pay_by_code(community: AliPay, scene):
    no = new_no()
    paid = community.api_alipay_trade_pay(no, scene, BUYER_CODE, "coffee", total_amount="9.90")
    assert (paid["code"], paid["total_amount"], paid["buyer_user_id"]) == ("10000", "9.90", BUYER)
    again = community.api_alipay_trade_pay(no, scene, BUYER_CODE, "coffee", total_amount="9.90")
    assert failure(again) == ("40004", "ACQ.TRADE_HAS_SUCCESS")
    poor = community.api_alipay_trade_pay(new_no(), scene, POOR_CODE, "coffee", total_amount="2")
    assert failure(poor) == ("40004", "ACQ.BUYER_BALANCE_NOT_ENOUGH")


def test_create_and_query(community: AliPay, served):
    no = new_no()
    created = community.api_alipay_trade_create("coffee", no, "3.00", buyer_id=BUYER)
    assert created["code"] == "10000"
    by_out = community.api_alipay_trade_query(out_trade_no=no)
    assert (by_out["trade_no"], by_out["trade_status"]) == (created["trade_no"], "WAIT_BUYER_PAY")
    served.trades.scan(created["trade_no"], BUYER)
    by_trade_no = community.api_alipay_trade_query(trade_no=created["trade_no"])
    assert (by_trade_no["trade_status"], by_trade_no["receipt_amount"]) == ("TRADE_SUCCESS", "3.00")


def test_refund_and_refund_query(community: AliPay):
    no = new_no()
    community.api_alipay_trade_pay(no, "bar_code", BUYER_CODE, "coffee", total_amount="20.00")
    refund = community.api_alipay_trade_refund("5.00", out_trade_no=no, out_request_no="p1")
    assert (refund["fund_change"], refund["refund_fee"]) == ("Y", "5.00")
    over = community.api_alipay_trade_refund("15.01", out_trade_no=no, out_request_no="p3")
    assert failure(over) == ("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
    rest = community.api_alipay_trade_refund("15.00", out_trade_no=no, out_request_no="p2")
    assert rest["refund_fee"] == "20.00"
    found = community.api_alipay_trade_fastpay_refund_query("p2", out_trade_no=no)
    assert (found["refund_amount"], found["out_request_no"]) == ("15.00", "p2")
    assert community.api_alipay_trade_query(out_trade_no=no)["trade_status"] == "TRADE_CLOSED"


def test_close_and_cancel(community: AliPay):
    unpaid = new_no()
    community.api_alipay_trade_precreate(subject="s", out_trade_no=unpaid, total_amount="1.00")
    assert community.api_alipay_trade_close(out_trade_no=unpaid)["code"] == "10000"
    paid = new_no()
    community.api_alipay_trade_pay(paid, "bar_code", BUYER_CODE, "s", total_amount="1.00")
    cancelled = community.api_alipay_trade_cancel(out_trade_no=paid)
    assert (cancelled["action"], cancelled["retry_flag"]) == ("refund", "N")


def test_duplicate_out_trade_no_with_another_amount(community: AliPay):
    no = new_no()
    community.api_alipay_trade_pay(no, "bar_code", BUYER_CODE, "s", total_amount="1.00")
    other = community.api_alipay_trade_precreate(subject="s", out_trade_no=no, total_amount="2.00")
    assert failure(other) == ("40004", "ACQ.TRADE_HAS_SUCCESS")  # paid wins over "different"


def test_bad_signature_answer_is_signed_and_readable(community_for, served):
    client = community_for(key=served.keys.stranger)
    answer = client.api_alipay_trade_query(out_trade_no=new_no())
    assert failure(answer) == ("40002", "isv.invalid-signature")
    assert "String the gateway built: app_id=" in answer["sub_msg"]
    assert "&charset=utf-8&method=alipay.trade.query&sign_type=RSA2&timestamp=" in answer["sub_msg"]


def test_unknown_method_raises_with_the_code(community: AliPay):
    with pytest.raises(AliPayException) as caught:
        community.server_api("alipay.trade.order.settle", {"trade_no": "1"})
    assert "code:40002" in str(caught.value)
    assert "isv.invalid-method" in str(caught.value)


def test_rsa_sign_type(community_for):
    client = community_for(sign_type="RSA")
    answer = client.api_alipay_trade_precreate(subject="s", out_trade_no=new_no(), total_amount=1)
    assert answer["code"] == "10000"


def test_unknown_app(community_for, served):
    client = community_for(app_id="2021999999999999")
    calls = len(served.trades.calls)
    answer = client.api_alipay_trade_query(out_trade_no=new_no())
    assert failure(answer) == ("40002", "isv.invalid-app-id")
    assert len(served.trades.calls) == calls
