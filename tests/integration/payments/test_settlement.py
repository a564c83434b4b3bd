"""Settlement files and reconciliation on both tiers."""

from __future__ import annotations

from datetime import date, timedelta, timezone

import pytest

from bankstack.payments import (
    BreakKind,
    EscrowTerms,
    RefundTrade,
    SettlementFileInvalid,
    TradeRef,
)
from tests.integration.payments.conftest import World, cny

DAY = date(2026, 11, 22)
HEADER = (
    "record_type,trade_id,out_trade_no,refund_id,out_refund_no,occurred_at,currency,"
    "amount,fee,commission,net"
)


@pytest.fixture
def day_of_business(world: World):
    """Two payments and a refund on the 22nd, a payment on the 23rd, an escrow still held."""
    shop, alice = world.merchant(), world.customer()
    first = world.payments.pay_with_wallet(world.trade(shop, 12_345, out_trade_no="A1").id, alice)
    world.clock.advance(3600)
    second = world.payments.pay_with_wallet(world.trade(shop, 1_000, out_trade_no="A2").id, alice)
    world.clock.advance(60)
    refund = world.payments.refund(
        RefundTrade(trade=TradeRef.by_id(first.id), out_refund_no="R1", amount=cny(5_000))
    )
    escrow = world.trade(shop, 700, out_trade_no="E1", escrow=EscrowTerms(3600))
    world.payments.pay_with_wallet(escrow.id, alice)
    world.clock.advance(86_400)
    world.payments.pay_with_wallet(world.trade(shop, 300, out_trade_no="B1").id, alice)
    return shop, first, second, refund


class TestSettlementFile:
    def test_one_line_per_payment_and_refund_of_the_day_and_a_total(
        self, world: World, day_of_business
    ):
        shop, first, second, refund = day_of_business
        lines = world.payments.settlement_csv(shop.id, DAY).splitlines()
        assert lines == [
            HEADER,
            f"payment,{first.id},A1,,,2026-11-22T09:00:00Z,CNY,123.45,0.74,0.12,122.59",
            f"payment,{second.id},A2,,,2026-11-22T10:00:00Z,CNY,10.00,0.06,0.01,9.93",
            f"refund,{first.id},A1,{refund.id},R1,2026-11-22T10:01:00Z,CNY,-50.00,-0.30,-0.05,-49.65",
            "total,,,,,2026-11-22T00:00:00Z,CNY,83.45,0.50,0.08,82.87",
        ]
        next_day = world.payments.settlement_csv(shop.id, DAY + timedelta(days=1)).splitlines()
        assert [line.split(",")[2] for line in next_day[1:-1]] == ["B1"]

    def test_days_follow_the_time_zone_asked_for(self, world: World, day_of_business):
        shop, *_ = day_of_business
        # The 22nd at UTC-10 runs from 10:00 UTC on the 22nd: A1 (09:00 UTC) was the 21st.
        utc_minus_10 = timezone(timedelta(hours=-10))
        lines = world.payments.settlement_lines(shop.id, DAY, utc_minus_10)
        assert [(line.record_type, line.out_trade_no) for line in lines] == [
            ("payment", "A2"),
            ("refund", "A1"),
        ]


class TestReconcile:
    def test_a_matching_file_is_clean(self, world: World, day_of_business):
        shop, *_ = day_of_business
        ours = world.payments.settlement_csv(shop.id, DAY)
        report = world.payments.reconcile(ours, shop.id, DAY)
        assert (report.clean, report.matched, report.breaks) == (True, 3, ())

    def test_every_break_is_reported(self, world: World, day_of_business):
        shop, *_ = day_of_business
        theirs = (
            "record_type,out_trade_no,out_refund_no,currency,amount,net\n"
            "payment,A1,,CNY,123.45,122.50\n"  # net differs
            "payment,A1,,CNY,123.45,122.59\n"  # listed twice
            "payment,ZZ,,CNY,5.00,\n"  # we never had it
            "refund,A1,R1,CNY,-50.00,\n"
            "total,,,CNY,0,\n"
        )
        report = world.payments.reconcile(theirs, shop.id, DAY)
        found = {(b.kind, b.key[1], b.line_no) for b in report.breaks}
        assert found == {
            (BreakKind.AMOUNT_MISMATCH, "A1", 2),
            (BreakKind.DUPLICATE, "A1", 3),
            (BreakKind.MISSING_ON_OUR_SIDE, "ZZ", 4),
            (BreakKind.MISSING_ON_THEIR_SIDE, "A2", None),
        }
        assert report.matched == 1
        mismatch = next(b for b in report.breaks if b.kind is BreakKind.AMOUNT_MISMATCH)
        assert mismatch.detail == "net 122.50 != 122.59"

    def test_a_malformed_file_is_refused(self, world: World, day_of_business):
        shop, *_ = day_of_business
        with pytest.raises(SettlementFileInvalid):
            world.payments.reconcile("record_type,amount\npayment,1.00\n", shop.id, DAY)
        with pytest.raises(SettlementFileInvalid):
            world.payments.reconcile(
                "record_type,out_trade_no,currency,amount\npayment,A1,CNY,1.234\n", shop.id, DAY
            )
