"""The community ``python-alipay-sdk`` (``alipay.AliPay``), unchanged, against ``/gateway.do``
over the real payments service.

It sends every parameter in a GET query string, and verifies a signed answer before
returning it; an answer without ``sign``, or under ``error_response``, raises
``AliPayException`` carrying the code.
"""

from __future__ import annotations

import importlib.metadata
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from bankstack.payments import accounts as acc
from tests.e2e.alipay.conftest import BUYER, POOR_BUYER
from tests.e2e.alipay.sdks import COMMUNITY_INIT, OFFICIAL_API, AliPay, AliPayException
from tests.e2e.alipay.support import MERCHANT_ID


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
def test_pay_by_code(community: AliPay, served, scene):
    no, code = new_no(), served.code()
    paid = community.api_alipay_trade_pay(no, scene, code, "coffee", total_amount="9.90")
    assert (paid["code"], paid["total_amount"], paid["buyer_user_id"]) == ("10000", "9.90", BUYER)
    again = community.api_alipay_trade_pay(no, scene, code, "coffee", total_amount="9.90")
    assert failure(again) == ("40004", "ACQ.TRADE_HAS_SUCCESS")
    poor_code = served.code(POOR_BUYER)
    poor = community.api_alipay_trade_pay(new_no(), scene, poor_code, "coffee", total_amount="2")
    assert failure(poor) == ("40004", "ACQ.BUYER_BALANCE_NOT_ENOUGH")


def test_create_and_query(community: AliPay, served):
    no = new_no()
    created = community.api_alipay_trade_create("coffee", no, "3.00", buyer_id=BUYER)
    assert created["code"] == "10000"
    by_out = community.api_alipay_trade_query(out_trade_no=no)
    assert (by_out["trade_no"], by_out["trade_status"]) == (created["trade_no"], "WAIT_BUYER_PAY")
    served.scan(created["trade_no"], BUYER)
    by_trade_no = community.api_alipay_trade_query(trade_no=created["trade_no"])
    assert (by_trade_no["trade_status"], by_trade_no["receipt_amount"]) == ("TRADE_SUCCESS", "3.00")


def test_refund_and_refund_query(community: AliPay, served):
    no = new_no()
    community.api_alipay_trade_pay(no, "bar_code", served.code(), "coffee", total_amount="20.00")
    refund = community.api_alipay_trade_refund("5.00", out_trade_no=no, out_request_no="p1")
    assert (refund["fund_change"], refund["refund_fee"]) == ("Y", "5.00")
    over = community.api_alipay_trade_refund("15.01", out_trade_no=no, out_request_no="p3")
    assert failure(over) == ("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
    rest = community.api_alipay_trade_refund("15.00", out_trade_no=no, out_request_no="p2")
    assert rest["refund_fee"] == "20.00"
    found = community.api_alipay_trade_fastpay_refund_query("p2", out_trade_no=no)
    assert (found["refund_amount"], found["out_request_no"]) == ("15.00", "p2")
    assert community.api_alipay_trade_query(out_trade_no=no)["trade_status"] == "TRADE_CLOSED"


def test_close_and_cancel(community: AliPay, served):
    unpaid = new_no()
    community.api_alipay_trade_precreate(subject="s", out_trade_no=unpaid, total_amount="1.00")
    assert community.api_alipay_trade_close(out_trade_no=unpaid)["code"] == "10000"
    query = community.api_alipay_trade_query(out_trade_no=unpaid)
    assert query["trade_status"] == "TRADE_CLOSED"
    paid = new_no()
    community.api_alipay_trade_pay(paid, "bar_code", served.code(), "s", total_amount="1.00")
    closing = community.api_alipay_trade_close(out_trade_no=paid)
    assert failure(closing) == ("40004", "ACQ.TRADE_HAS_SUCCESS")
    cancelled = community.api_alipay_trade_cancel(out_trade_no=paid)
    assert (cancelled["action"], cancelled["retry_flag"]) == ("refund", "N")


def test_duplicate_out_trade_no_with_another_amount(community: AliPay, served):
    no = new_no()
    community.api_alipay_trade_precreate(subject="s", out_trade_no=no, total_amount="1.00")
    other = community.api_alipay_trade_precreate(subject="s", out_trade_no=no, total_amount="2.00")
    assert failure(other) == ("40004", "ACQ.CONTEXT_INCONSISTENT")
    community.api_alipay_trade_pay(no, "bar_code", served.code(), "s", total_amount="1.00")
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


def test_unknown_app(community_for):
    client = community_for(app_id="2021999999999999")
    answer = client.api_alipay_trade_query(out_trade_no=new_no())
    assert failure(answer) == ("40002", "isv.invalid-app-id")


def _ledger_sums(served) -> list[tuple[int, int, int]]:
    with served.runtime.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ledger, SUM(credits_posted - debits_posted),"
                " SUM(credits_pending - debits_pending) FROM ledger_accounts GROUP BY ledger"
            )
        ).all()
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


def _holdings(served) -> tuple[int, int]:
    """(the buyer's wallet, the merchant's account plus the platform's fees), posted."""
    payments, reader = served.runtime.payments, served.runtime.reader
    fees = reader.account(acc.fee_account_id("CNY"))
    merchant = payments.merchant_balance(MERCHANT_ID).posted.minor
    return (
        payments.wallet_balance(BUYER, "CNY").posted.minor,
        merchant + fees.credits_posted - fees.debits_posted,
    )


def test_money_is_conserved_through_the_gateway(community: AliPay, served):
    sums, (buyer, seller) = _ledger_sums(served), _holdings(served)
    kept = new_no()  # paid 20.00, 5.00 refunded
    community.api_alipay_trade_pay(kept, "bar_code", served.code(), "s", total_amount="20.00")
    community.api_alipay_trade_refund("5.00", out_trade_no=kept, out_request_no="k1")
    cancelled = new_no()  # paid 3.33, cancelled: refunded in full
    community.api_alipay_trade_pay(cancelled, "bar_code", served.code(), "s", total_amount="3.33")
    community.api_alipay_trade_cancel(out_trade_no=cancelled)
    refunded = new_no()  # scanned at the cashier, refunded in full
    community.api_alipay_trade_precreate(subject="s", out_trade_no=refunded, total_amount="8.88")
    served.scan(community.api_alipay_trade_query(out_trade_no=refunded)["trade_no"])
    community.api_alipay_trade_refund("8.88", out_trade_no=refunded)
    created = new_no()  # created for the buyer, paid in the wallet
    trade_no = community.api_alipay_trade_create("s", created, "2.50", buyer_id=BUYER)["trade_no"]
    served.scan(trade_no)
    closed = new_no()  # never paid
    community.api_alipay_trade_precreate(subject="s", out_trade_no=closed, total_amount="1.00")
    community.api_alipay_trade_close(out_trade_no=closed)

    assert _holdings(served) == (buyer - 1750, seller + 1750)  # 15.00 + 2.50 moved, no more
    assert _ledger_sums(served) == sums
    assert all(posted == 0 and pending == 0 for _, posted, pending in sums)
