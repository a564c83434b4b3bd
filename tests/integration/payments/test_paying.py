"""Paying on both tiers: wallet and code payments, declines, pay-once under threads, recovery."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from bankstack.kernel.errors import BankstackError
from bankstack.payments import (
    AuthCodeExpired,
    AuthCodeInvalid,
    AuthCodeUsed,
    CreateTrade,
    InsufficientFunds,
    PayByCode,
    TradeAlreadyPaid,
    TradeBuyerMismatch,
    TradePaymentInProgress,
    TradeRef,
    TradeStatus,
    WalletNotFound,
)
from bankstack.payments import accounts as acc
from bankstack.payments.paying import _claim
from bankstack.payments.transfers import payment_transfers
from tests.integration.payments.conftest import World, cny


class TestPayWithWallet:
    def test_splits_into_merchant_fee_and_partner(self, world: World):
        shop, alice = world.merchant(), world.customer()
        trade = world.trade(shop, 12_345)
        fee_before = world.account_net(acc.fee_account_id("CNY"))
        paid = world.payments.pay_with_wallet(trade.id, alice)
        assert paid.status is TradeStatus.SUCCEEDED
        assert (paid.paid, paid.payer_id, paid.pay_attempt) == (cny(12_345), alice, 1)
        # 0.6 % + 0.1 % of 123.45 = 0.86415 -> 0.86 (half even); split 6:1 -> 0.74 / 0.12
        assert (paid.split.net, paid.split.fee, paid.split.commission) == (
            cny(12_259), cny(74), cny(12)
        )  # fmt: skip
        assert world.posted(alice) == 100_000 - 12_345
        assert world.merchant_posted(shop) == 12_259
        assert world.account_net(shop.partner_account_id or 0) == (12, 0)
        fee_after = world.account_net(acc.fee_account_id("CNY"))
        assert fee_after[0] - fee_before[0] == 74
        topics = [(t, d["version"], d["status"]) for t, d in world.events(trade.id)]
        assert topics == [("trade.created", 1, "waiting"), ("trade.succeeded", 3, "succeeded")]
        data = world.events(trade.id)[-1][1]
        assert (data["amount"], data["currency"], data["paid_amount"]) == (12_345, "CNY", 12_345)

    def test_insufficient_funds_leaves_the_trade_payable(self, world: World):
        shop, alice = world.merchant(), world.customer(funds=1_000)
        trade = world.trade(shop, 1_500)
        with pytest.raises(InsufficientFunds) as raised:
            world.payments.pay_with_wallet(trade.id, alice)
        assert raised.value.code == "insufficient_funds"
        waiting = world.payments.query(trade.id)
        assert (waiting.status, waiting.payer_id) == (TradeStatus.WAITING, None)
        assert world.posted(alice) == 1_000
        world.fund(alice, 500)  # top up and try again: a new attempt, new transfer ids
        paid = world.payments.pay_with_wallet(trade.id, alice)
        assert (paid.status, paid.pay_attempt) == (TradeStatus.SUCCEEDED, 2)
        assert world.posted(alice) == 0
        assert world.merchant_posted(shop) == paid.split.net.minor

    def test_paid_trade_refuses_another_payment(self, world: World):
        shop, alice, bob = world.merchant(), world.customer(), world.customer("bob")
        trade = world.trade(shop, 100)
        world.payments.pay_with_wallet(trade.id, alice)
        for payer in (alice, bob):
            with pytest.raises(TradeAlreadyPaid):
                world.payments.pay_with_wallet(trade.id, payer)
        assert world.posted(alice) == 100_000 - 100
        assert world.posted(bob) == 100_000

    def test_only_the_named_buyer_may_pay(self, world: World):
        shop, alice, bob = world.merchant(), world.customer(), world.customer("bob")
        trade = world.trade(shop, 100, buyer_id=alice)
        with pytest.raises(TradeBuyerMismatch):
            world.payments.pay_with_wallet(trade.id, bob)
        assert world.payments.pay_with_wallet(trade.id, alice).status is TradeStatus.SUCCEEDED

    def test_a_customer_without_a_wallet(self, world: World):
        shop = world.merchant()
        trade = world.trade(shop, 100)
        with pytest.raises(WalletNotFound):
            world.payments.pay_with_wallet(trade.id, world.name("nobody"))


class TestPayByCode:
    @staticmethod
    def _cmd(shop, code: str, out_trade_no: str = "bar1", amount: int = 880) -> PayByCode:
        trade = CreateTrade(
            merchant_id=shop.id, out_trade_no=out_trade_no, amount=cny(amount), subject="scan"
        )
        return PayByCode(trade=trade, auth_code=code)

    def test_the_code_resolves_to_the_customer_and_is_used_once(self, world: World):
        shop, alice = world.merchant(), world.customer()
        issued = world.payments.issue_payment_code(alice)
        assert len(issued.code) == 18
        assert issued.code.startswith("28")
        paid = world.payments.pay(self._cmd(shop, issued.code))
        assert (paid.status, paid.payer_id) == (TradeStatus.SUCCEEDED, alice)
        assert world.posted(alice) == 100_000 - 880
        with pytest.raises(TradeAlreadyPaid):  # the same request again: already paid
            world.payments.pay(self._cmd(shop, issued.code))
        with pytest.raises(AuthCodeUsed):  # the same code for another trade
            world.payments.pay(self._cmd(shop, issued.code, out_trade_no="bar2"))
        assert world.posted(alice) == 100_000 - 880

    def test_unknown_and_expired_codes(self, world: World):
        shop, alice = world.merchant(), world.customer()
        with pytest.raises(AuthCodeInvalid):
            world.payments.pay(self._cmd(shop, "281234567890123456"))
        issued = world.payments.issue_payment_code(alice)
        world.clock.advance(60)
        with pytest.raises(AuthCodeExpired):
            world.payments.pay(self._cmd(shop, issued.code, out_trade_no="bar3"))
        assert world.posted(alice) == 100_000


def _race(workers: int, action) -> list[object]:
    """Run ``action(i)`` in ``workers`` threads released together; their results or errors."""
    barrier = threading.Barrier(workers)
    outcomes: list[object] = [None] * workers

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = action(i)
        except BankstackError as error:
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


class TestPayOnceUnderConcurrency:
    def test_many_payers_at_once_one_wins(self, world: World):
        shop = world.merchant()
        payers = [world.customer(f"c{i}", funds=1_000) for i in range(6)]
        trade = world.trade(shop, 700)
        outcomes = _race(len(payers), lambda i: world.payments.pay_with_wallet(trade.id, payers[i]))
        kinds = Counter(type(o).__name__ for o in outcomes)
        assert kinds["Trade"] == 1
        assert set(kinds) <= {"Trade", "TradeAlreadyPaid", "TradePaymentInProgress"}
        assert sum(world.posted(p) for p in payers) == 6_000 - 700
        assert world.merchant_posted(shop) == trade.split.net.minor
        paid = world.payments.query(trade.id)
        assert paid.status is TradeStatus.SUCCEEDED
        assert world.posted(paid.payer_id or "") == 300

    def test_one_payer_retrying_at_once_pays_once(self, world: World):
        shop, alice = world.merchant(), world.customer()
        trade = world.trade(shop, 700)
        outcomes = _race(5, lambda _: world.payments.pay_with_wallet(trade.id, alice))
        assert all(
            isinstance(o, TradePaymentInProgress | TradeAlreadyPaid)
            or getattr(o, "status", None) is TradeStatus.SUCCEEDED
            for o in outcomes
        )
        assert world.posted(alice) == 100_000 - 700
        assert world.merchant_posted(shop) == trade.split.net.minor


class TestRecovery:
    def test_a_claim_whose_caller_died_is_paid_by_the_worker(self, world: World):
        shop, alice = world.merchant(), world.customer()
        trade = world.trade(shop, 900)
        _claim(world.payments._deps, TradeRef.by_id(trade.id), alice)  # then the caller died
        assert world.payments.query(trade.id).status is TradeStatus.PROCESSING
        assert world.payments.process_due().recovered == 0  # not in doubt yet
        world.clock.advance(31)
        report = world.payments.process_due()
        assert (report.recovered, report.failures) == (1, ())
        assert world.payments.query(trade.id).status is TradeStatus.SUCCEEDED
        assert world.posted(alice) == 100_000 - 900

    def test_a_ledger_commit_whose_answer_was_lost_is_not_applied_twice(self, world: World):
        shop, alice = world.merchant(), world.customer()
        trade = world.trade(shop, 900)
        claimed, _ = _claim(world.payments._deps, TradeRef.by_id(trade.id), alice)
        assert set(world.runtime.writer.create_transfers(payment_transfers(claimed))) == {"ok"}
        # The process died before recording the payment; the customer retries.
        paid = world.payments.pay_with_wallet(trade.id, alice)
        assert (paid.status, paid.pay_attempt) == (TradeStatus.SUCCEEDED, 1)
        assert world.posted(alice) == 100_000 - 900
        assert world.merchant_posted(shop) == trade.split.net.minor
