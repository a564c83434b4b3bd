"""Refunds on both tiers: partial and full, idempotency, limits under threads, declines."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from bankstack.kernel.ids import new_id
from bankstack.kernel.money import Money
from bankstack.ledger import Transfer
from bankstack.payments import (
    CurrencyMismatch,
    MerchantInsufficientFunds,
    OutRefundNoConflict,
    RefundExceedsPaid,
    RefundNotFound,
    RefundStatus,
    RefundTrade,
    TradeClosed,
    TradeNotPaid,
    TradeRef,
    TradeStatus,
)
from bankstack.payments import accounts as acc
from bankstack.payments.adapters import tables
from bankstack.payments.adapters.rows import hex_id
from tests.integration.payments.conftest import World, cny
from tests.integration.payments.test_paying import _race


def _refund(world: World, trade_id: int, no: str, amount: int):
    return world.payments.refund(
        RefundTrade(trade=TradeRef.by_id(trade_id), out_refund_no=no, amount=cny(amount))
    )


@pytest.fixture
def paid(world: World):
    shop, alice = world.merchant(), world.customer()
    trade = world.payments.pay_with_wallet(world.trade(shop, 10_000).id, alice)
    return shop, alice, trade


class TestRefunds:
    def test_partial_refunds_reverse_the_split_in_proportion(self, world: World, paid):
        shop, alice, trade = paid
        assert (trade.split.net, trade.split.fee, trade.split.commission) == (
            cny(9_930), cny(60), cny(10)
        )  # fmt: skip
        first = _refund(world, trade.id, "r1", 3_333)
        assert first.status is RefundStatus.SUCCEEDED
        assert first.legs.total == cny(3_333)
        assert (first.legs.net, first.legs.fee, first.legs.commission) == (
            cny(3_310), cny(20), cny(3)
        )  # fmt: skip
        second = _refund(world, trade.id, "r2", 6_667)  # the rest: exactly what is left
        assert (second.legs.net, second.legs.fee, second.legs.commission) == (
            cny(6_620), cny(40), cny(7)
        )  # fmt: skip
        assert world.posted(alice) == 100_000
        assert world.merchant_posted(shop) == 0
        assert world.account_net(shop.partner_account_id or 0) == (0, 0)
        closed = world.payments.query(trade.id)
        assert (closed.status, closed.refunded_amount) == (TradeStatus.CLOSED, cny(10_000))
        assert [t for t, _ in world.events(trade.id)][-1] == "trade.closed"
        assert [t for t, _ in world.events(first.id)] == ["refund.succeeded"]
        assert world.events(second.id)[0][1]["amount"] == 6_667

    def test_same_out_refund_no_is_the_same_refund(self, world: World, paid):
        _, alice, trade = paid
        first = _refund(world, trade.id, "r1", 1_000)
        assert _refund(world, trade.id, "r1", 1_000) == first
        with pytest.raises(OutRefundNoConflict) as raised:
            _refund(world, trade.id, "r1", 1_001)
        assert raised.value.code == "out_refund_no_conflict"
        assert world.posted(alice) == 100_000 - 10_000 + 1_000
        assert world.payments.query_refund(trade.id, "r1") == first
        assert world.payments.list_refunds(trade.id) == [first]
        with pytest.raises(RefundNotFound):
            world.payments.query_refund(trade.id, "r9")

    def test_never_more_than_paid(self, world: World, paid):
        _, _, trade = paid
        _refund(world, trade.id, "r1", 9_000)
        with pytest.raises(RefundExceedsPaid) as raised:
            _refund(world, trade.id, "r2", 1_001)
        assert raised.value.code == "refund_exceeds_paid"
        _refund(world, trade.id, "r3", 1_000)
        with pytest.raises(TradeClosed):
            _refund(world, trade.id, "r4", 1)

    def test_refusals_before_payment_and_in_another_currency(self, world: World):
        shop, alice = world.merchant(), world.customer()
        trade = world.trade(shop, 100)
        with pytest.raises(TradeNotPaid):
            _refund(world, trade.id, "r1", 10)
        world.payments.pay_with_wallet(trade.id, alice)
        with pytest.raises(CurrencyMismatch):
            world.payments.refund(
                RefundTrade(
                    trade=TradeRef.by_id(trade.id), out_refund_no="r1", amount=Money(1, "USD")
                )
            )

    def test_cancel_of_a_partly_refunded_trade_refunds_the_rest(self, world: World, paid):
        _, alice, trade = paid
        _refund(world, trade.id, "r1", 2_500)
        result = world.payments.cancel(trade.id)
        assert result.action == "refund"
        assert result.refund is not None
        assert (result.refund.amount, result.refund.out_refund_no) == (
            cny(7_500),
            "sys:cancel:7500",
        )
        assert result.trade.status is TradeStatus.CLOSED
        assert world.posted(alice) == 100_000
        assert world.payments.cancel(trade.id).action == "none"


class TestRefundDeclined:
    def test_a_drained_merchant_fails_the_refund_and_a_retry_succeeds_later(
        self, world: World, paid
    ):
        shop, alice, trade = paid
        funding = acc.funding_account_id("CNY")
        payout = Transfer(new_id(), shop.settlement_account_id, funding, 9_930, ledger=1, code=9)
        assert world.runtime.writer.create_transfers([payout]) == ["ok"]
        with pytest.raises(MerchantInsufficientFunds):
            _refund(world, trade.id, "r1", 5_000)
        failed = world.payments.query_refund(trade.id, "r1")
        assert (failed.status, failed.failure_code, failed.attempt) == (
            RefundStatus.FAILED, "insufficient_funds", 1
        )  # fmt: skip
        assert world.payments.query(trade.id).refunded_amount == cny(0)  # released
        assert [t for t, _ in world.events(failed.id)] == ["refund.failed"]
        back = Transfer(new_id(), funding, shop.settlement_account_id, 9_930, ledger=1, code=9)
        assert world.runtime.writer.create_transfers([back]) == ["ok"]
        retried = _refund(world, trade.id, "r1", 5_000)
        assert (retried.status, retried.attempt) == (RefundStatus.SUCCEEDED, 2)
        assert world.posted(alice) == 100_000 - 10_000 + 5_000


class TestRefundsUnderConcurrency:
    def test_concurrent_refunds_never_exceed_what_was_paid(self, world: World, paid):
        shop, alice, trade = paid
        outcomes = _race(8, lambda i: _refund(world, trade.id, f"c{i}", 3_000))
        kinds = Counter(type(o).__name__ for o in outcomes)
        assert kinds == {"Refund": 3, "RefundExceedsPaid": 5}
        assert world.payments.query(trade.id).refunded_amount == cny(9_000)
        assert world.posted(alice) == 100_000 - 10_000 + 9_000
        refunded_net = sum(r.legs.net.minor for r in world.payments.list_refunds(trade.id))
        assert world.merchant_posted(shop) == trade.split.net.minor - refunded_net

    def test_the_same_refund_requested_at_once_is_made_once(self, world: World, paid):
        _, alice, trade = paid
        outcomes = _race(5, lambda _: _refund(world, trade.id, "same", 4_000))
        assert {getattr(o, "id", None) for o in outcomes if not isinstance(o, Exception)} != set()
        assert len(world.payments.list_refunds(trade.id)) == 1
        assert world.posted(alice) == 100_000 - 10_000 + 4_000


class TestConstraints:
    @pytest.mark.parametrize(
        "statement",
        [
            (
                "UPDATE payments_trades SET refunded_amount = amount + 1,"
                " refunded_net = net_amount + 1 WHERE id = :id"
            ),
            (
                "UPDATE payments_trades SET refunded_fee = fee_amount + 1,"
                " refunded_amount = fee_amount + 1 WHERE id = :id"
            ),
            "UPDATE payments_trades SET net_amount = net_amount + 1 WHERE id = :id",
            "UPDATE payments_trades SET status = 'waiting' WHERE id = :id",
            "UPDATE payments_trades SET paid_amount = 1 WHERE id = :id",
            "UPDATE payments_trades SET payer_account_id = NULL WHERE id = :id",
            "UPDATE payments_refunds SET net_amount = net_amount + 1 WHERE trade_id = :id",
            "UPDATE payments_refunds SET status = 'failed' WHERE trade_id = :id",
        ],
    )
    def test_the_database_refuses_impossible_states(self, world: World, paid, statement):
        _, _, trade = paid
        _refund(world, trade.id, "r1", 100)
        with world.runtime.engine.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(text(statement), {"id": hex_id(trade.id)})

    def test_out_trade_no_and_out_refund_no_are_unique(self, world: World, paid):
        _, _, trade = paid
        refund = _refund(world, trade.id, "r1", 100)
        with world.runtime.engine.connect() as conn:
            trade_row = conn.execute(
                select(tables.trades).where(tables.trades.c.id == hex_id(trade.id))
            ).one()
            refund_row = conn.execute(
                select(tables.refunds).where(tables.refunds.c.id == hex_id(refund.id))
            ).one()
        copies = [
            (tables.trades, {**trade_row._asdict(), "id": hex_id(new_id())}),
            (tables.refunds, {**refund_row._asdict(), "id": hex_id(new_id())}),
        ]
        for table, values in copies:
            with world.runtime.engine.connect() as conn, pytest.raises(IntegrityError):
                conn.execute(table.insert().values(values))

    def test_the_query_tables_match_the_migrated_schema(self, world: World):
        live = inspect(world.runtime.engine)
        for table in tables.metadata.tables.values():
            columns = {c["name"] for c in live.get_columns(table.name)}
            assert {c.name for c in table.columns} == columns, table.name
