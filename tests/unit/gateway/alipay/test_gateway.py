"""The request pipeline: public parameters, app, signature, timestamp, then the method."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bankstack.gateway.alipay import (
    AlipayApp,
    AlipayGateway,
    PayByCode,
    Precreate,
    SignType,
    StaticApps,
    TradeRef,
)
from bankstack.kernel.money import Money
from tests.e2e.alipay.sdks import get_sign_content
from tests.e2e.alipay.support import APP_ID, MERCHANT_ID, encode, public_params, signed

PRECREATE = "alipay.trade.precreate"
ORDER = {"out_trade_no": "o-1", "total_amount": "88.88", "subject": "coffee"}


def send(
    gateway: AlipayGateway,
    clock,
    key,
    method: str = PRECREATE,
    biz: dict[str, Any] | None = None,
    *,
    drop: tuple[str, ...] = (),
    **extra: str,
) -> tuple[str, dict[str, Any]]:
    params = public_params(method, clock.now_ns(), **extra)
    for name in drop:
        params.pop(name, None)
    without_biz = "biz_content" in drop
    request = signed(params, key, None if without_biz else ORDER if biz is None else biz)
    if "sign" in drop:
        request.pop("sign")
    reply = gateway.handle(encode(request), b"", None)
    body = json.loads(reply.body)
    response_key = next(iter(body))
    assert list(body)[1:] == ["sign"]
    return response_key, body[response_key]


def sub_code(answer: dict[str, Any]) -> tuple[str, str | None]:
    return answer["code"], answer.get("sub_code")


def test_precreate_answers_under_the_method_key(gateway, clock, keys, trades):
    key, answer = send(gateway, clock, keys.app, notify_url="https://merchant.example/n")
    assert key == "alipay_trade_precreate_response"
    assert answer == {
        "code": "10000",
        "msg": "Success",
        "out_trade_no": "o-1",
        "qr_code": answer["qr_code"],
    }
    command = trades.calls[-1]
    assert isinstance(command, Precreate)
    assert command.order.total_amount == Money(8888, "CNY")
    assert command.order.merchant_id == MERCHANT_ID
    assert command.order.notify_url == "https://merchant.example/n"


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("app_id", "isv.missing-app-id"),
        ("sign", "isv.missing-signature"),
        ("sign_type", "isv.missing-signature-type"),
        ("timestamp", "isv.missing-timestamp"),
        ("version", "isv.missing-version"),
        ("biz_content", "isv.missing-biz-content"),
    ],
)
def test_missing_public_parameters(gateway, clock, keys, trades, param, expected):
    key, answer = send(gateway, clock, keys.app, drop=(param,))
    assert key == "alipay_trade_precreate_response"
    assert sub_code(answer) == ("40001", expected)
    assert answer["msg"] == "Missing Required Arguments"
    assert trades.calls == []


def test_method_missing_or_unknown_answers_under_error_response(gateway, clock, keys):
    key, answer = send(gateway, clock, keys.app, drop=("method",))
    assert (key, sub_code(answer)) == ("error_response", ("40001", "isv.missing-method"))
    key, answer = send(gateway, clock, keys.app, "alipay.trade.order.settle")
    assert (key, sub_code(answer)) == ("error_response", ("40002", "isv.invalid-method"))


def test_unknown_app(gateway, clock, keys):
    _, answer = send(gateway, clock, keys.app, app_id="2021999999999999")
    assert sub_code(answer) == ("40002", "isv.invalid-app-id")


def test_unknown_sign_type(gateway, clock, keys):
    _, answer = send(gateway, clock, keys.app, sign_type="MD5")
    assert sub_code(answer) == ("40002", "isv.invalid-signature-type")


def test_sign_type_without_a_registered_key(keys, trades, clock):
    app = AlipayApp(
        app_id=APP_ID, merchant_id=MERCHANT_ID, public_keys={SignType.RSA2: keys.app.public_key()}
    )
    gateway = AlipayGateway(
        trades=trades, apps=StaticApps([app]), keys=keys.platform_keys(), clock=clock
    )
    _, answer = send(gateway, clock, keys.app, sign_type="RSA")
    assert sub_code(answer) == ("40002", "isv.missing-signature-config")
    _, answer = send(gateway, clock, keys.app, sign_type="RSA2")
    assert sub_code(answer) == ("10000", None)


def test_bad_signature_echoes_the_string_built(gateway, clock, keys, trades):
    params = public_params(PRECREATE, clock.now_ns())
    request = signed(params, keys.stranger, ORDER)
    reply = gateway.handle(encode(request), b"", None)
    answer = json.loads(reply.body)["alipay_trade_precreate_response"]
    assert sub_code(answer) == ("40002", "isv.invalid-signature")
    expected = get_sign_content({k: v for k, v in request.items() if k != "sign"})
    assert answer["sub_msg"].endswith("String the gateway built: " + expected)
    assert "sign_type=RSA2" in answer["sub_msg"]
    assert trades.calls == []


def test_a_tampered_value_fails_the_signature(gateway, clock, keys):
    request = signed(public_params(PRECREATE, clock.now_ns()), keys.app, ORDER)
    request["biz_content"] = request["biz_content"].replace("88.88", "0.01")
    answer = json.loads(gateway.handle(encode(request), b"", None).body)
    assert sub_code(answer["alipay_trade_precreate_response"]) == (
        "40002",
        "isv.invalid-signature",
    )


@pytest.mark.parametrize(("skew_s", "ok"), [(-899, True), (899, True), (-901, False), (901, False)])
def test_timestamp_window(gateway, clock, keys, skew_s, ok):
    params = public_params(PRECREATE, clock.now_ns())
    clock.advance(skew_s)
    request = signed(params, keys.app, ORDER)
    answer = json.loads(gateway.handle(encode(request), b"", None).body)
    expected = ("10000", None) if ok else ("40002", "isv.invalid-timestamp")
    assert sub_code(answer["alipay_trade_precreate_response"]) == expected


def test_malformed_timestamp(gateway, clock, keys):
    _, answer = send(gateway, clock, keys.app, timestamp="2026/01/01 08:00:00")
    assert sub_code(answer) == ("40002", "isv.invalid-timestamp")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"version": "2.0"}, ("40002", "isv.invalid-parameter")),
        ({"format": "xml"}, ("40002", "isv.invalid-format")),
        ({"format": "JSON"}, ("10000", None)),
        ({"encrypt_type": "AES"}, ("40002", "isv.invalid-encrypt-type")),
        ({"app_auth_token": "t"}, ("20001", "aop.invalid-app-auth-token")),
        ({"notify_url": "ftp://merchant.example/n"}, ("40002", "isv.invalid-parameter")),
        ({"notify_url": "http://[::1/n"}, ("40002", "isv.invalid-parameter")),
        ({"notify_url": "https://m.example/" + "x" * 300}, ("40002", "isv.invalid-parameter")),
    ],
)
def test_other_public_parameters(gateway, clock, keys, extra, expected):
    _, answer = send(gateway, clock, keys.app, **extra)
    assert sub_code(answer) == expected


@pytest.mark.parametrize("biz_content", ["not json", "[1]", "NaN", "[" * 100_000])
def test_biz_content_must_be_a_json_object(gateway, clock, keys, biz_content):
    request = public_params(PRECREATE, clock.now_ns(), biz_content=biz_content)
    request = signed(request, keys.app)
    answer = json.loads(gateway.handle(encode(request), b"", None).body)
    assert sub_code(answer["alipay_trade_precreate_response"]) == ("40002", "isv.invalid-parameter")


@pytest.mark.parametrize(
    "change",
    [
        {"out_trade_no": "x" * 65},
        {"out_trade_no": "has space"},
        {"out_trade_no": "订单1"},
        {"out_trade_no": None},
        {"total_amount": "0.001"},
        {"total_amount": "0"},
        {"total_amount": "0.00"},
        {"total_amount": "-1"},
        {"total_amount": "1e2"},
        {"total_amount": "01.00"},
        {"total_amount": " 1.00"},
        {"total_amount": "100000000.01"},
        {"total_amount": "1,000"},
        {"total_amount": None},
        {"total_amount": True},
        {"subject": None},
        {"subject": "s" * 257},
        {"subject": "line\nbreak"},
        {"subject": ["coffee"]},
        {"timeout_express": "5s"},
        {"timeout_express": "16d"},
    ],
)
def test_invalid_business_fields(gateway, clock, keys, trades, change):
    biz = {**ORDER, **change}
    biz = {k: v for k, v in biz.items() if v is not None}
    _, answer = send(gateway, clock, keys.app, biz=biz)
    assert sub_code(answer) == ("40004", "ACQ.INVALID_PARAMETER")
    assert answer["msg"] == "Business Failed"
    assert trades.calls == []


@pytest.mark.parametrize(
    ("amount", "minor"),
    [("0.01", 1), ("0.5", 50), ("100000000", 10_000_000_000), ("100000000.00", 10_000_000_000)],
)
def test_amounts_are_read_exactly(gateway, clock, keys, trades, amount, minor):
    _, answer = send(gateway, clock, keys.app, biz={**ORDER, "total_amount": amount})
    assert answer["code"] == "10000"
    assert trades.calls[-1].order.total_amount == Money(minor, "CNY")


def test_json_numbers_are_read_from_their_digits(gateway, clock, keys, trades):
    params = public_params(PRECREATE, clock.now_ns())
    biz = '{"out_trade_no":"n-1","subject":"s","total_amount":0.1,"timeout_express":"90m"}'
    request = signed({**params, "biz_content": biz}, keys.app)
    answer = json.loads(gateway.handle(encode(request), b"", None).body)
    assert answer["alipay_trade_precreate_response"]["code"] == "10000"
    order = trades.calls[-1].order
    assert (order.total_amount, order.timeout_s) == (Money(10, "CNY"), 5400)
    float_noise = biz.replace("0.1", "0.30000000000000004")
    request = signed({**params, "biz_content": float_noise}, keys.app)
    answer = json.loads(gateway.handle(encode(request), b"", None).body)
    assert answer["alipay_trade_precreate_response"]["sub_code"] == "ACQ.INVALID_PARAMETER"


@pytest.mark.parametrize(
    ("method", "biz"),
    [
        ("alipay.trade.pay", {**ORDER, "auth_code": "281234567890123456"}),
        ("alipay.trade.pay", {**ORDER, "scene": "qr_code", "auth_code": "2812345678"}),
        ("alipay.trade.pay", {**ORDER, "scene": "bar_code"}),
        ("alipay.trade.pay", {**ORDER, "scene": "bar_code", "auth_code": "28-12"}),
        ("alipay.trade.create", ORDER),
        ("alipay.trade.query", {}),
        ("alipay.trade.query", {"trade_no": "x" * 65}),
        ("alipay.trade.refund", {"out_trade_no": "o-1"}),
        (
            "alipay.trade.refund",
            {"out_trade_no": "o-1", "refund_amount": "1", "out_request_no": "a b"},
        ),
        ("alipay.trade.fastpay.refund.query", {"out_trade_no": "o-1"}),
        ("alipay.trade.close", {"operator_id": "op"}),
        ("alipay.trade.cancel", {}),
    ],
)
def test_method_specific_fields(gateway, clock, keys, trades, method, biz):
    _, answer = send(gateway, clock, keys.app, method, biz)
    assert sub_code(answer) == ("40004", "ACQ.INVALID_PARAMETER")
    assert trades.calls == []


def test_pay_by_code_passes_a_typed_command(gateway, clock, keys, trades):
    biz = {**ORDER, "scene": "bar_code", "auth_code": "281234567890123456"}
    _, answer = send(gateway, clock, keys.app, "alipay.trade.pay", biz)
    assert answer["code"] == "10000"
    assert answer["total_amount"] == answer["buyer_pay_amount"] == "88.88"
    command = trades.calls[-1]
    assert isinstance(command, PayByCode)
    assert (command.scene.value, command.auth_code) == ("bar_code", "281234567890123456")


def test_trade_no_wins_over_out_trade_no(gateway, clock, keys, trades):
    send(gateway, clock, keys.app, biz={**ORDER, "out_trade_no": "first"})
    send(gateway, clock, keys.app, biz={**ORDER, "out_trade_no": "second"})
    first = trades.trade_no_of(MERCHANT_ID, "first")
    biz = {"trade_no": first, "out_trade_no": "second"}
    _, answer = send(gateway, clock, keys.app, "alipay.trade.query", biz)
    assert (answer["trade_no"], answer["out_trade_no"]) == (first, "first")
    assert trades.calls[-1] == TradeRef(merchant_id=MERCHANT_ID, trade_no=first)


def test_a_body_over_the_limit_is_not_parsed(gateway):
    answer = json.loads(gateway.oversized().body)
    assert sub_code(answer["error_response"]) == ("40002", "isv.invalid-parameter")
