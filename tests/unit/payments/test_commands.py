"""Commands refuse malformed input when they are built."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bankstack.kernel.money import Money
from bankstack.payments import (
    CreateTrade,
    EscrowTerms,
    FundWallet,
    InvalidPaymentRequest,
    PayByCode,
    RefundTrade,
    RegisterMerchant,
    TradeRef,
)

GOOD: dict[str, Any] = {
    "merchant_id": "m1",
    "out_trade_no": "o-1_A",
    "amount": Money(1, "CNY"),
    "subject": "s",
}


@pytest.mark.parametrize(
    "change",
    [
        {"out_trade_no": ""},
        {"out_trade_no": "x" * 65},
        {"out_trade_no": "a:b"},
        {"merchant_id": "m:1"},
        {"amount": Money(0, "CNY")},
        {"amount": 1},
        {"subject": ""},
        {"subject": "s" * 257},
        {"timeout_s": 59},
        {"timeout_s": 60.0},
        {"escrow": EscrowTerms(0)},
        {"escrow": EscrowTerms(60, "later")},  # type: ignore[arg-type]
    ],
)
def test_create_trade_refuses(change):
    with pytest.raises(InvalidPaymentRequest):
        CreateTrade(**{**GOOD, **change})


def test_create_trade_accepts_the_good_one():
    assert CreateTrade(**GOOD).timeout_s == 7200


def test_other_commands_refuse():
    with pytest.raises(InvalidPaymentRequest):
        TradeRef(merchant_id="m1")
    with pytest.raises(InvalidPaymentRequest):
        RefundTrade(trade=TradeRef.by_id(1), out_refund_no="sys:cancel:1", amount=Money(1, "CNY"))
    with pytest.raises(InvalidPaymentRequest):
        PayByCode(trade=CreateTrade(**GOOD), auth_code="28abc")
    with pytest.raises(InvalidPaymentRequest):
        FundWallet(customer_id="alice", amount=Money(-1, "CNY"), reference="r")
    with pytest.raises(InvalidPaymentRequest):
        RegisterMerchant(
            merchant_id="m", name="n", currency="CNY", fee_rate=Decimal(0),
            commission_rate=Decimal("0.01"),
        )  # fmt: skip
