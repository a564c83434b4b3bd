"""Trades on both tiers: precreate/create idempotency, query, close, cancel, expiry, events."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from bankstack.kernel.clock import NS_PER_SECOND
from bankstack.kernel.money import Money
from bankstack.payments import (
    CreateTrade,
    CurrencyMismatch,
    InvalidPaymentRequest,
    MerchantNotFound,
    OutTradeNoConflict,
    TradeAlreadyPaid,
    TradeClosed,
    TradeNotFound,
    TradeRef,
    TradeStatus,
)
from tests.integration.payments.conftest import World, cny


class TestPrecreate:
    def test_returns_the_cashier_url_and_its_qr_svg(self, world: World):
        shop = world.merchant()
        cmd = CreateTrade(merchant_id=shop.id, out_trade_no="qr1", amount=cny(1234), subject="tea")
        result = world.payments.precreate(cmd)
        assert result.qr_code == f"https://pay.bankstack.local/cashier/{result.trade.id}"
        assert result.qr_code == world.payments.cashier_url(result.trade.id)
        svg = ET.fromstring(result.qr_svg)  # noqa: S314 - our own output, not untrusted
        assert svg.tag.endswith("svg")
        assert any(el.tag.endswith("path") for el in svg.iter())
        trade = result.trade
        assert trade.status is TradeStatus.WAITING
        assert trade.split.total == cny(1234)
        assert trade.expires_at == trade.created_at + 7200 * NS_PER_SECOND

    def test_same_out_trade_no_same_parameters_is_the_same_trade(self, world: World):
        shop = world.merchant()
        cmd = CreateTrade(merchant_id=shop.id, out_trade_no="same", amount=cny(500), subject="x")
        first = world.payments.precreate(cmd)
        again = world.payments.precreate(cmd)
        assert again.trade == first.trade
        assert again.qr_code == first.qr_code
        assert [t for t, _ in world.events(first.trade.id)] == ["trade.created"]

    @pytest.mark.parametrize(
        "change", [{"amount": cny(501)}, {"subject": "y"}, {"buyer_id": "bob"}, {"timeout_s": 60}]
    )
    def test_same_out_trade_no_other_parameters_conflicts(self, world: World, change):
        shop = world.merchant()
        base: dict[str, Any] = {
            "merchant_id": shop.id,
            "out_trade_no": "dup",
            "amount": cny(500),
            "subject": "x",
        }
        world.payments.create(CreateTrade(**base))
        with pytest.raises(OutTradeNoConflict) as raised:
            world.payments.create(CreateTrade(**{**base, **change}))
        assert raised.value.code == "out_trade_no_conflict"

    def test_out_trade_no_is_unique_per_merchant_only(self, world: World):
        a, b = world.merchant("a"), world.merchant("b")
        ta = world.trade(a, 100, out_trade_no="n1")
        tb = world.trade(b, 200, out_trade_no="n1")
        assert ta.id != tb.id

    def test_refusals(self, world: World):
        shop = world.merchant()
        with pytest.raises(MerchantNotFound):
            world.payments.create(
                CreateTrade(merchant_id="nobody", out_trade_no="n", amount=cny(1), subject="s")
            )
        with pytest.raises(CurrencyMismatch):
            world.payments.create(
                CreateTrade(
                    merchant_id=shop.id, out_trade_no="n", amount=Money(1, "USD"), subject="s"
                )
            )
        with pytest.raises(InvalidPaymentRequest):
            CreateTrade(merchant_id=shop.id, out_trade_no="bad no!", amount=cny(1), subject="s")


class TestQueryAndClose:
    def test_query_by_id_or_out_trade_no_scoped_to_the_merchant(self, world: World):
        shop, other = world.merchant(), world.merchant("other")
        trade = world.trade(shop, 700, out_trade_no="q1")
        assert world.payments.query(trade.id) == trade
        assert world.payments.query(TradeRef.by_out_trade_no(shop.id, "q1")) == trade
        assert world.payments.query(TradeRef.by_id(trade.id, shop.id)) == trade
        with pytest.raises(TradeNotFound):
            world.payments.query(TradeRef.by_id(trade.id, other.id))
        with pytest.raises(TradeNotFound):
            world.payments.query(TradeRef.by_out_trade_no(other.id, "q1"))

    def test_close_unpaid_then_closing_again_changes_nothing(self, world: World):
        shop = world.merchant()
        trade = world.trade(shop, 700)
        closed = world.payments.close(trade.id)
        assert (closed.status, closed.version) == (TradeStatus.CLOSED, 2)
        assert world.payments.close(trade.id) == closed
        alice = world.customer()
        with pytest.raises(TradeClosed):
            world.payments.pay_with_wallet(trade.id, alice)
        events = world.events(trade.id)
        assert [(t, d["version"], d["status"]) for t, d in events] == [
            ("trade.created", 1, "waiting"),
            ("trade.closed", 2, "closed"),
        ]

    def test_a_paid_trade_cannot_be_closed(self, world: World):
        shop, alice = world.merchant(), world.customer()
        trade = world.trade(shop, 700)
        world.payments.pay_with_wallet(trade.id, alice)
        with pytest.raises(TradeAlreadyPaid):
            world.payments.close(trade.id)

    def test_cancel_unpaid_closes(self, world: World):
        shop = world.merchant()
        trade = world.trade(shop, 700)
        result = world.payments.cancel(trade.id)
        assert (result.action, result.trade.status, result.refund) == ("close", "closed", None)
        assert world.payments.cancel(trade.id).action == "none"


class TestExpiry:
    def test_the_worker_closes_unpaid_trades_past_their_timeout(self, world: World):
        shop, alice = world.merchant(), world.customer()
        soon = world.trade(shop, 100, timeout_s=60)
        later = world.trade(shop, 100, timeout_s=600)
        paid = world.trade(shop, 100, timeout_s=60)
        world.payments.pay_with_wallet(paid.id, alice)
        world.clock.advance(60)
        report = world.payments.process_due()
        assert report.expired >= 1
        assert world.payments.query(soon.id).status is TradeStatus.CLOSED
        assert world.payments.query(later.id).status is TradeStatus.WAITING
        assert world.payments.query(paid.id).status is TradeStatus.SUCCEEDED
        assert world.events(soon.id)[-1][0] == "trade.closed"

    def test_paying_an_expired_trade_closes_it_even_before_the_worker_runs(self, world: World):
        shop, alice = world.merchant(), world.customer()
        trade = world.trade(shop, 100, timeout_s=60)
        world.clock.advance(61)
        with pytest.raises(TradeClosed):
            world.payments.pay_with_wallet(trade.id, alice)
        assert world.payments.query(trade.id).status is TradeStatus.CLOSED
        assert world.available(alice) == 100_000
