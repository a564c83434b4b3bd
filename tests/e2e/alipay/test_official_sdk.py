"""The official ``alipay-sdk-python`` (``alipay.aop.api``), unchanged, against ``/gateway.do``
over the real payments service.

It POSTs the public parameters in the query string and ``biz_content`` as a form body, and
verifies every answer's signature with the platform public key before returning it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from bankstack.payments import TradeNotFound, TradeRef
from tests.e2e.alipay.conftest import BUYER, POOR_BUYER, PUBLIC_URL
from tests.e2e.alipay.sdks import (
    AlipayTradeCancelRequest,
    AlipayTradeCloseRequest,
    AlipayTradeCreateRequest,
    AlipayTradeFastpayRefundQueryRequest,
    AlipayTradeOrderSettleRequest,
    AlipayTradePayRequest,
    AlipayTradePrecreateRequest,
    AlipayTradePrecreateResponse,
    AlipayTradeQueryRequest,
    AlipayTradeRefundRequest,
)
from tests.e2e.alipay.support import MERCHANT_ID


def new_order(amount: str = "88.88", subject: str = "coffee") -> dict[str, str]:
    return {
        "out_trade_no": f"of-{uuid.uuid4().hex[:20]}",
        "total_amount": amount,
        "subject": subject,
    }


def execute(client, request_type, biz: dict[str, Any], **attributes: Any) -> dict[str, Any]:
    request = request_type()
    request.biz_content = biz
    for name, value in attributes.items():
        setattr(request, name, value)
    answer: dict[str, Any] = json.loads(client.execute(request))
    return answer


def failure(answer: dict[str, Any]) -> tuple[str, str]:
    return answer["code"], answer["sub_code"]


def pay(client, order: dict[str, str], code: str) -> dict[str, Any]:
    biz = {**order, "scene": "bar_code", "auth_code": code}
    return execute(client, AlipayTradePayRequest, biz)


def trade_of(served, out_trade_no: str):
    return served.runtime.payments.query(TradeRef.by_out_trade_no(MERCHANT_ID, out_trade_no))


def test_precreate_and_out_trade_no_idempotency(official, served):
    order = new_order()
    request = AlipayTradePrecreateRequest()
    request.biz_content = order
    request.notify_url = "https://merchant.example/notify"
    content = official.execute(request)
    response = AlipayTradePrecreateResponse()
    response.parse_response_content(content)
    assert response.is_success()
    assert (response.code, response.out_trade_no) == ("10000", order["out_trade_no"])
    trade = trade_of(served, order["out_trade_no"])
    assert response.qr_code == f"{PUBLIC_URL}/cashier/{trade.id}"  # the trade's cashier page

    # The same order, even with another notify_url: the same trade, the same QR code.
    again = execute(official, AlipayTradePrecreateRequest, order, notify_url="https://b.example/n")
    assert again["qr_code"] == response.qr_code
    link = served.wiring.trades._links.get(trade.id)
    assert link.notify_url == request.notify_url  # the first request's notify_url stays
    changed_order = {**order, "total_amount": "99.00"}
    changed = execute(
        official, AlipayTradePrecreateRequest, changed_order, notify_url=request.notify_url
    )
    assert failure(changed) == ("40004", "ACQ.CONTEXT_INCONSISTENT")


def test_pay_by_code(official, served):
    order = new_order("12.34")
    before = served.runtime.payments.wallet_balance(BUYER, "CNY").posted.minor
    answer = pay(official, order, served.code())
    assert answer["code"] == "10000"
    assert answer["out_trade_no"] == order["out_trade_no"]
    assert answer["total_amount"] == answer["buyer_pay_amount"] == answer["receipt_amount"]
    assert answer["total_amount"] == "12.34"
    assert answer["buyer_user_id"] == BUYER
    assert answer["buyer_logon_id"] == "208****0101"
    assert answer["gmt_payment"]
    trade = trade_of(served, order["out_trade_no"])
    assert answer["trade_no"] == str(trade.id)
    assert (trade.status.value, trade.paid.minor, trade.payer_id) == ("succeeded", 1234, BUYER)
    assert served.runtime.payments.wallet_balance(BUYER, "CNY").posted.minor == before - 1234
    assert failure(pay(official, order, served.code())) == ("40004", "ACQ.TRADE_HAS_SUCCESS")
    poor = pay(official, new_order(), served.code(POOR_BUYER))
    assert failure(poor) == ("40004", "ACQ.BUYER_BALANCE_NOT_ENOUGH")
    unknown = pay(official, new_order(), "280000000000000000")
    assert failure(unknown) == ("40004", "ACQ.PAYMENT_AUTH_CODE_INVALID")
    used = pay(official, new_order("12.34"), (code := served.code()))
    assert used["code"] == "10000"
    assert failure(pay(official, new_order(), code)) == ("40004", "ACQ.PAYMENT_AUTH_CODE_INVALID")
    assert served.runtime.payments.wallet_balance(BUYER, "CNY").posted.minor == before - 2 * 1234


def test_cancel_of_an_unpaid_trade_closes_it(official):
    order = new_order()
    assert execute(official, AlipayTradePrecreateRequest, order)["code"] == "10000"
    query = {"out_trade_no": order["out_trade_no"]}
    assert execute(official, AlipayTradeQueryRequest, query)["trade_status"] == "WAIT_BUYER_PAY"
    cancelled = execute(official, AlipayTradeCancelRequest, query)
    assert (cancelled["code"], cancelled["action"], cancelled["retry_flag"]) == (
        "10000",
        "close",
        "N",
    )
    assert execute(official, AlipayTradeQueryRequest, query)["trade_status"] == "TRADE_CLOSED"
    again = execute(official, AlipayTradeCancelRequest, query)
    assert (again["code"], again["retry_flag"]) == ("10000", "N")
    assert "action" not in again  # nothing left to do


def test_create_then_query_where_trade_no_wins(official, served):
    order = new_order("5.00")
    created = execute(official, AlipayTradeCreateRequest, {**order, "buyer_id": BUYER})
    assert created["code"] == "10000"
    trade_no = created["trade_no"]
    other = execute(official, AlipayTradePrecreateRequest, new_order())
    by_both = {"trade_no": trade_no, "out_trade_no": other["out_trade_no"]}
    answer = execute(official, AlipayTradeQueryRequest, by_both)
    assert (answer["trade_no"], answer["trade_status"]) == (trade_no, "WAIT_BUYER_PAY")
    served.scan(trade_no, BUYER)
    answer = execute(official, AlipayTradeQueryRequest, {"trade_no": trade_no})
    assert answer["trade_status"] == "TRADE_SUCCESS"
    assert answer["buyer_pay_amount"] == "5.00"
    assert answer["send_pay_date"]


def test_create_for_an_unknown_buyer_is_refused(official):
    unknown = execute(official, AlipayTradeCreateRequest, {**new_order(), "buyer_id": "2088404"})
    assert failure(unknown) == ("40004", "ACQ.INVALID_PARAMETER")


def test_refunds_and_refund_query(official, served):
    order = new_order("100.00")
    assert pay(official, order, served.code())["code"] == "10000"
    refund = {
        "out_trade_no": order["out_trade_no"],
        "refund_amount": "10.00",
        "out_request_no": "r1",
    }
    first = execute(official, AlipayTradeRefundRequest, refund)
    assert (first["code"], first["fund_change"], first["refund_fee"]) == ("10000", "Y", "10.00")
    assert first["gmt_refund_pay"]
    replay = execute(official, AlipayTradeRefundRequest, refund)
    assert (replay["fund_change"], replay["refund_fee"]) == ("N", "10.00")
    reused = execute(official, AlipayTradeRefundRequest, {**refund, "refund_amount": "11.00"})
    assert failure(reused) == ("40004", "ACQ.DISCORDANT_REPEAT_REQUEST")
    too_much = {**refund, "refund_amount": "90.01", "out_request_no": "r2"}
    assert failure(execute(official, AlipayTradeRefundRequest, too_much)) == (
        "40004",
        "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
    )
    lookup = {"out_trade_no": order["out_trade_no"], "out_request_no": "r1"}
    found = execute(official, AlipayTradeFastpayRefundQueryRequest, lookup)
    assert (found["refund_amount"], found["refund_status"], found["total_amount"]) == (
        "10.00",
        "REFUND_SUCCESS",
        "100.00",
    )
    missing = execute(
        official, AlipayTradeFastpayRefundQueryRequest, {**lookup, "out_request_no": "r9"}
    )
    assert missing == {"code": "10000", "msg": "Success"}
    rest = {**refund, "refund_amount": "90.00", "out_request_no": "r3"}
    assert execute(official, AlipayTradeRefundRequest, rest)["refund_fee"] == "100.00"
    closed = execute(official, AlipayTradeQueryRequest, {"out_trade_no": order["out_trade_no"]})
    assert closed["trade_status"] == "TRADE_CLOSED"
    more = {**refund, "refund_amount": "0.01", "out_request_no": "r4"}
    assert failure(execute(official, AlipayTradeRefundRequest, more)) == (
        "40004",
        "ACQ.TRADE_HAS_CLOSE",
    )


def test_close_then_reuse_is_refused(official, served):
    order = new_order()
    execute(official, AlipayTradePrecreateRequest, order)
    closed = execute(official, AlipayTradeCloseRequest, {"out_trade_no": order["out_trade_no"]})
    assert (closed["code"], closed["out_trade_no"]) == ("10000", order["out_trade_no"])
    assert closed["trade_no"] == str(trade_of(served, order["out_trade_no"]).id)
    again = execute(official, AlipayTradePrecreateRequest, order)
    assert failure(again) == ("40004", "ACQ.TRADE_HAS_CLOSE")
    nowhere = execute(official, AlipayTradeQueryRequest, {"out_trade_no": "of-does-not-exist"})
    assert failure(nowhere) == ("40004", "ACQ.TRADE_NOT_EXIST")


def test_cancel_of_a_paid_trade_refunds_it(official, served):
    order = new_order("7.77")
    before = served.runtime.payments.wallet_balance(BUYER, "CNY").posted.minor
    assert pay(official, order, served.code())["code"] == "10000"
    cancelled = execute(official, AlipayTradeCancelRequest, {"out_trade_no": order["out_trade_no"]})
    assert (cancelled["action"], cancelled["retry_flag"]) == ("refund", "N")
    assert cancelled["gmt_refund_pay"]
    query = execute(official, AlipayTradeQueryRequest, {"out_trade_no": order["out_trade_no"]})
    assert query["trade_status"] == "TRADE_CLOSED"
    assert served.runtime.payments.wallet_balance(BUYER, "CNY").posted.minor == before


def test_bad_signature_is_reported_with_the_string_built(official_for, served):
    client = official_for(key=served.keys.stranger)
    order = new_order()
    answer = execute(client, AlipayTradePrecreateRequest, order)
    assert failure(answer) == ("40002", "isv.invalid-signature")
    built = answer["sub_msg"].split("String the gateway built: ", 1)[1]
    assert built.startswith(f"app_id={client._DefaultAlipayClient__config.app_id}&biz_content={{")
    assert order["out_trade_no"] in built
    assert "&sign_type=RSA2&timestamp=" in built
    assert built.endswith("&version=1.0")
    with pytest.raises(TradeNotFound):  # nothing reached payments
        trade_of(served, order["out_trade_no"])


def test_gbk_requests_and_answers(official_for, served):
    client = official_for(charset="gbk")
    order = new_order(subject="拿铁咖啡")
    answer = execute(client, AlipayTradePrecreateRequest, order)
    assert answer["code"] == "10000"
    assert trade_of(served, order["out_trade_no"]).subject == "拿铁咖啡"
    query = execute(client, AlipayTradeQueryRequest, {"out_trade_no": order["out_trade_no"]})
    assert query["subject"] == "拿铁咖啡"


def test_rsa_sign_type(official_for):
    answer = execute(official_for(sign_type="RSA"), AlipayTradePrecreateRequest, new_order())
    assert answer["code"] == "10000"


def test_unknown_app(official_for, served):
    client = official_for(app_id="2021999999999999")
    order = new_order()
    answer = execute(client, AlipayTradePrecreateRequest, order)
    assert failure(answer) == ("40002", "isv.invalid-app-id")
    with pytest.raises(TradeNotFound):
        trade_of(served, order["out_trade_no"])


def test_unknown_method_answers_error_response(official):
    biz = {"out_request_no": "s1", "trade_no": "t1"}
    answer = execute(official, AlipayTradeOrderSettleRequest, biz)
    assert failure(answer) == ("40002", "isv.invalid-method")
