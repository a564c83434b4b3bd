"""Every trade method through ``/gateway.do`` over the real payments service, on both tiers."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from bankstack.gateway.alipay import PaymentsTrades
from bankstack.payments import TradePaymentInProgress
from bankstack.payments import accounts as acc
from tests.integration.alipay.conftest import PUBLIC_URL, World, cny

PRECREATE = "alipay.trade.precreate"
PAY = "alipay.trade.pay"
CREATE = "alipay.trade.create"
QUERY = "alipay.trade.query"
REFUND = "alipay.trade.refund"
REFUND_QUERY = "alipay.trade.fastpay.refund.query"
CLOSE = "alipay.trade.close"
CANCEL = "alipay.trade.cancel"


def order(amount: str = "10.00", subject: str = "tea", **more: str) -> dict[str, str]:
    no = f"o{uuid.uuid4().hex[:16]}"
    return {"out_trade_no": no, "total_amount": amount, "subject": subject, **more}


def failure(answer: dict[str, str]) -> tuple[str, str]:
    return answer["code"], answer["sub_code"]


def test_precreate_is_a_payments_trade_paid_at_its_cashier(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    buyer = world.customer()
    first = order("12.34", timeout_express="30m")
    answer = world.call(app_id, PRECREATE, first)
    trade = world.trade(merchant, first["out_trade_no"])
    assert answer["qr_code"] == f"{PUBLIC_URL}/cashier/{trade.id}"
    assert (trade.amount, trade.subject, trade.timeout_s) == (cny("12.34"), "tea", 1800)
    assert world.call(app_id, QUERY, {"trade_no": str(trade.id)})["trade_status"] == (
        "WAIT_BUYER_PAY"
    )
    world.payments.pay_with_wallet(trade.id, buyer)
    paid = world.call(app_id, QUERY, {"out_trade_no": first["out_trade_no"]})
    assert (paid["trade_status"], paid["buyer_pay_amount"], paid["buyer_user_id"]) == (
        "TRADE_SUCCESS",
        "12.34",
        buyer,
    )
    assert world.balance(buyer) == 100_000 - 1234


def test_the_same_order_again_and_a_different_one(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    first = order()
    url = "https://shop.example/notify"
    created = world.call(app_id, PRECREATE, first, notify_url=url)
    again = world.call(app_id, PRECREATE, first, notify_url="https://elsewhere.example/n")
    assert again["qr_code"] == created["qr_code"]  # notify_url is not part of the order
    trade = world.trade(merchant, first["out_trade_no"])
    link = world.wiring.trades._links.get(trade.id)
    assert link is not None
    assert link.notify_url == url  # the first one stays
    for changed in ({"total_amount": "10.01"}, {"subject": "coffee"}, {"timeout_express": "1h"}):
        answer = world.call(app_id, PRECREATE, {**first, **changed})
        assert failure(answer) == ("40004", "ACQ.CONTEXT_INCONSISTENT"), changed
    buyer = world.customer()
    created_for_buyer = world.call(app_id, CREATE, {**first, "buyer_id": buyer})
    assert failure(created_for_buyer) == ("40004", "ACQ.CONTEXT_INCONSISTENT")


def test_pay_by_code_and_its_failures(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    buyer, poor = world.customer(), world.customer("poor", funds="1.00")
    paid_order = order("99.99")
    code = world.payments.issue_payment_code(buyer).code
    biz = {**paid_order, "scene": "bar_code", "auth_code": code}
    answer = world.call(app_id, PAY, biz)
    assert (answer["code"], answer["receipt_amount"], answer["buyer_user_id"]) == (
        "10000",
        "99.99",
        buyer,
    )
    assert failure(world.call(app_id, PAY, biz)) == ("40004", "ACQ.TRADE_HAS_SUCCESS")
    other = {**order(), "scene": "bar_code", "auth_code": code}  # a code pays one trade only
    assert failure(world.call(app_id, PAY, other)) == ("40004", "ACQ.PAYMENT_AUTH_CODE_INVALID")
    lettered = {**order(), "scene": "bar_code", "auth_code": "28abc"}
    assert failure(world.call(app_id, PAY, lettered)) == ("40004", "ACQ.PAYMENT_AUTH_CODE_INVALID")
    expired = world.payments.issue_payment_code(buyer).code
    world.clock.advance(61)
    late = {**order(), "scene": "bar_code", "auth_code": expired}
    assert failure(world.call(app_id, PAY, late)) == ("40004", "ACQ.PAYMENT_AUTH_CODE_INVALID")
    poor_code = world.payments.issue_payment_code(poor).code
    broke = {**order("2.00"), "scene": "wave_code", "auth_code": poor_code}
    assert failure(world.call(app_id, PAY, broke)) == ("40004", "ACQ.BUYER_BALANCE_NOT_ENOUGH")
    assert (world.balance(buyer), world.balance(poor)) == (100_000 - 9_999, 100)


def test_create_for_a_known_buyer_only(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    buyer, stranger = world.customer(), world.customer("bob")
    first = order("5.00")
    created = world.call(app_id, CREATE, {**first, "buyer_id": buyer})
    trade = world.trade(merchant, first["out_trade_no"])
    assert (created["trade_no"], trade.buyer_id) == (str(trade.id), buyer)
    unknown = world.call(app_id, CREATE, {**order(), "buyer_id": world.name("nobody")})
    assert failure(unknown) == ("40004", "ACQ.INVALID_PARAMETER")
    with pytest.raises(Exception, match="another buyer"):
        world.payments.pay_with_wallet(trade.id, stranger)
    world.payments.pay_with_wallet(trade.id, buyer)
    query = world.call(app_id, QUERY, {"trade_no": created["trade_no"]})
    assert (query["trade_status"], query["buyer_user_id"]) == ("TRADE_SUCCESS", buyer)


def test_refunds_replays_conflicts_and_queries(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    buyer = world.customer()
    paid = order("100.00")
    code = world.payments.issue_payment_code(buyer).code
    world.call(app_id, PAY, {**paid, "scene": "bar_code", "auth_code": code})
    ref = {"out_trade_no": paid["out_trade_no"]}
    unpaid = order()
    world.call(app_id, PRECREATE, unpaid)
    early = {"out_trade_no": unpaid["out_trade_no"], "refund_amount": "1.00"}
    assert failure(world.call(app_id, REFUND, early)) == ("40004", "ACQ.TRADE_STATUS_ERROR")

    first = world.call(app_id, REFUND, {**ref, "refund_amount": "30.00", "out_request_no": "a"})
    assert (first["fund_change"], first["refund_fee"], first["send_back_fee"]) == (
        "Y",
        "30.00",
        "30.00",
    )
    replay = world.call(app_id, REFUND, {**ref, "refund_amount": "30.00", "out_request_no": "a"})
    assert (replay["fund_change"], replay["refund_fee"]) == ("N", "30.00")
    reused = world.call(app_id, REFUND, {**ref, "refund_amount": "31.00", "out_request_no": "a"})
    assert failure(reused) == ("40004", "ACQ.DISCORDANT_REPEAT_REQUEST")
    over = world.call(app_id, REFUND, {**ref, "refund_amount": "70.01", "out_request_no": "b"})
    assert failure(over) == ("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
    trade = world.trade(merchant, paid["out_trade_no"])
    by_no = {"trade_no": str(trade.id), "refund_amount": "70.00"}  # no out_request_no
    rest = world.call(app_id, REFUND, by_no)
    assert (rest["fund_change"], rest["refund_fee"]) == ("Y", "100.00")
    assert world.call(app_id, QUERY, ref)["trade_status"] == "TRADE_CLOSED"

    # Without out_request_no the refund is named by the trade's out_trade_no.
    named = world.call(app_id, REFUND_QUERY, {**ref, "out_request_no": paid["out_trade_no"]})
    assert (named["refund_amount"], named["refund_status"]) == ("70.00", "REFUND_SUCCESS")
    found = world.call(app_id, REFUND_QUERY, {**ref, "out_request_no": "a"})
    assert (found["out_request_no"], found["total_amount"]) == ("a", "100.00")
    none = world.call(app_id, REFUND_QUERY, {**ref, "out_request_no": "zz"})
    assert none == {"code": "10000", "msg": "Success"}
    assert world.balance(buyer) == 100_000


def test_close_cancel_and_unknown_trades(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    other_app = world.app(world.merchant("other"), "oth")
    buyer = world.customer()
    unpaid = order()
    world.call(app_id, PRECREATE, unpaid)
    ref = {"out_trade_no": unpaid["out_trade_no"]}
    closed = world.call(app_id, CLOSE, ref)
    assert closed["trade_no"] == str(world.trade(merchant, unpaid["out_trade_no"]).id)
    assert world.call(app_id, CLOSE, ref)["code"] == "10000"  # closing again changes nothing
    assert failure(world.call(app_id, PRECREATE, unpaid)) == ("40004", "ACQ.TRADE_HAS_CLOSE")
    none = world.call(app_id, CANCEL, ref)
    assert (none["retry_flag"], "action" in none) == ("N", False)

    paid = order("7.77")
    code = world.payments.issue_payment_code(buyer).code
    world.call(app_id, PAY, {**paid, "scene": "bar_code", "auth_code": code})
    paid_ref = {"out_trade_no": paid["out_trade_no"]}
    assert failure(world.call(app_id, CLOSE, paid_ref)) == ("40004", "ACQ.TRADE_HAS_SUCCESS")
    cancelled = world.call(app_id, CANCEL, paid_ref)
    assert (cancelled["action"], cancelled["retry_flag"]) == ("refund", "N")
    assert cancelled["gmt_refund_pay"]
    assert world.balance(buyer) == 100_000

    trade_no = str(world.trade(merchant, paid["out_trade_no"]).id)
    for lookup in ({"trade_no": "12x"}, {"trade_no": "9" * 40}, {"out_trade_no": "missing"}):
        assert failure(world.call(app_id, QUERY, lookup)) == ("40004", "ACQ.TRADE_NOT_EXIST")
    theirs = world.call(other_app, QUERY, {"trade_no": trade_no})  # another merchant's trade
    assert failure(theirs) == ("40004", "ACQ.TRADE_NOT_EXIST")


def test_cancel_during_a_payment_asks_for_a_retry(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    first = order()
    world.call(app_id, PRECREATE, first)

    class PaymentInFlight:
        def __getattr__(self, name: str) -> Any:
            return getattr(world.payments, name)

        def cancel(self, trade):
            raise TradePaymentInProgress("a payment is in flight", trade_id=str(trade))

    busy = PaymentsTrades(PaymentInFlight(), world.wiring.trades._links, world.clock)  # type: ignore[arg-type]
    world.gateway._trades = busy
    answer = world.call(app_id, CANCEL, {"out_trade_no": first["out_trade_no"]})
    assert (answer["code"], answer["retry_flag"]) == ("10000", "Y")
    assert "action" not in answer


def _ledger_sums(world: World) -> list[tuple[int, int, int]]:
    with world.runtime.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ledger, SUM(credits_posted - debits_posted),"
                " SUM(credits_pending - debits_pending) FROM ledger_accounts GROUP BY ledger"
            )
        ).all()
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


def test_money_is_conserved(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    buyer = world.customer(funds="500.00")
    fees = acc.fee_account_id("CNY")
    sums = _ledger_sums(world)

    def seller_side() -> int:
        fee = world.runtime.reader.account(fees)
        assert fee is not None
        own = world.payments.merchant_balance(merchant.id).posted.minor
        return own + fee.credits_posted - fee.debits_posted

    seller = seller_side()
    amounts = ("123.45", "0.01", "66.67", "10.00")
    nos = []
    for amount in amounts:
        code = world.payments.issue_payment_code(buyer).code
        paid = order(amount)
        nos.append(paid["out_trade_no"])
        assert (
            world.call(app_id, PAY, {**paid, "scene": "bar_code", "auth_code": code})["code"]
            == "10000"
        )
    world.call(
        app_id, REFUND, {"out_trade_no": nos[0], "refund_amount": "23.45", "out_request_no": "p"}
    )
    world.call(app_id, REFUND, {"out_trade_no": nos[1], "refund_amount": "0.01"})
    world.call(app_id, CANCEL, {"out_trade_no": nos[2]})
    kept = 12_345 - 2_345 + 1_000
    assert world.balance(buyer) == 50_000 - kept
    assert seller_side() == seller + kept
    assert _ledger_sums(world) == sums
    assert all(posted == 0 and pending == 0 for _, posted, pending in sums)


def test_concurrent_identical_payments_charge_once(world: World):
    merchant = world.merchant()
    app_id = world.app(merchant)
    buyer = world.customer()
    code = world.payments.issue_payment_code(buyer).code
    biz = {**order("42.00"), "scene": "bar_code", "auth_code": code}
    start = threading.Barrier(4)
    answers: list[dict[str, Any]] = []

    def send() -> None:
        start.wait()
        answers.append(world.call(app_id, PAY, biz))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    outcomes = [(a["code"], a.get("sub_code")) for a in answers]
    assert len(outcomes) == 4
    # 20000: another request's payment was in flight (payment in progress): query it.
    allowed = {("10000", None), ("40004", "ACQ.TRADE_HAS_SUCCESS"), ("20000", "ACQ.SYSTEM_ERROR")}
    assert set(outcomes) <= allowed
    assert ("10000", None) in outcomes
    assert world.balance(buyer) == 100_000 - 4_200
    query = world.call(app_id, QUERY, {"out_trade_no": biz["out_trade_no"]})
    assert (query["trade_status"], query["buyer_pay_amount"]) == ("TRADE_SUCCESS", "42.00")
