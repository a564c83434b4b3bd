"""Trade state transitions, pure: what each state allows and what it refuses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from bankstack.kernel.money import Money
from bankstack.payments import (
    CurrencyMismatch,
    DeadlineAction,
    EscrowDisputed,
    EscrowNotDisputed,
    EscrowNotHeld,
    EscrowNotReleased,
    EscrowStatus,
    EscrowTerms,
    NotAnEscrowTrade,
    RefundExceedsPaid,
    Split,
    Trade,
    TradeAlreadyPaid,
    TradeBuyerMismatch,
    TradeClosed,
    TradeNotPaid,
    TradePaymentInProgress,
    TradeStatus,
)
from bankstack.payments.fees import split_payment

NOW = 1_000 * 10**9
S = 10**9


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def new_trade(*, escrow: EscrowTerms | None = None, buyer_id: str | None = None) -> Trade:
    return Trade(
        id=7,
        merchant_id="m",
        out_trade_no="o",
        subject="s",
        amount=cny(10_000),
        split=split_payment(cny(10_000), 6000, 1000),
        status=TradeStatus.WAITING,
        created_at=NOW,
        expires_at=NOW + 60 * S,
        timeout_s=60,
        buyer_id=buyer_id,
        partner_account_id=99,
        paid=cny(0),
        refunded=Split.zero("CNY"),
        escrow_terms=escrow,
    )


def paid_trade(**kwargs: object) -> Trade:
    trade = new_trade(**kwargs).begin_payment("alice", 11, NOW)  # type: ignore[arg-type]
    return trade.complete_payment(NOW + S)


class TestPayment:
    def test_claim_then_complete(self):
        claimed = new_trade().begin_payment("alice", 11, NOW)
        assert (claimed.status, claimed.pay_attempt, claimed.version) == ("processing", 1, 2)
        assert (claimed.payer_id, claimed.payer_account_id, claimed.processing_since) == (
            "alice", 11, NOW
        )  # fmt: skip
        paid = claimed.complete_payment(NOW + S)
        assert (paid.status, paid.paid, paid.paid_at, paid.settled_at) == (
            TradeStatus.SUCCEEDED, cny(10_000), NOW + S, NOW + S
        )  # fmt: skip
        assert (paid.processing_since, paid.version, paid.escrow) == (None, 3, None)

    def test_a_declined_attempt_goes_back_to_waiting_and_the_next_has_a_new_number(self):
        claimed = new_trade().begin_payment("alice", 11, NOW)
        back = claimed.abandon_payment()
        assert (back.status, back.payer_id, back.payer_account_id) == ("waiting", None, None)
        assert back.begin_payment("bob", 12, NOW).pay_attempt == 2

    @pytest.mark.parametrize(
        ("trade", "error"),
        [
            (new_trade().begin_payment("alice", 11, NOW), TradePaymentInProgress),
            (paid_trade(), TradeAlreadyPaid),
            (new_trade().close(NOW), TradeClosed),
        ],
    )
    def test_only_a_waiting_trade_may_be_claimed(self, trade, error):
        with pytest.raises(error):
            trade.begin_payment("bob", 12, NOW)

    def test_an_expired_trade_is_closed_for_payment(self):
        trade = new_trade()
        assert not trade.is_expired(NOW + 59 * S)
        assert trade.is_expired(NOW + 60 * S)
        with pytest.raises(TradeClosed):
            trade.begin_payment("alice", 11, NOW + 60 * S)

    def test_a_named_buyer(self):
        trade = new_trade(buyer_id="alice")
        with pytest.raises(TradeBuyerMismatch):
            trade.begin_payment("bob", 12, NOW)
        assert trade.begin_payment("alice", 11, NOW).status is TradeStatus.PROCESSING

    def test_close_only_unpaid(self):
        assert new_trade().close(NOW).status is TradeStatus.CLOSED
        with pytest.raises(TradeAlreadyPaid):
            paid_trade().close(NOW)
        with pytest.raises(TradePaymentInProgress):
            new_trade().begin_payment("a", 1, NOW).close(NOW)

    def test_same_request(self):
        trade = new_trade()
        same: dict[str, Any] = {
            "amount": cny(10_000),
            "subject": "s",
            "buyer_id": None,
            "timeout_s": 60,
        }
        assert trade.same_request(**same, escrow=None)
        assert not trade.same_request(**{**same, "amount": cny(1)}, escrow=None)
        assert not trade.same_request(**same, escrow=EscrowTerms(60))


class TestRefundRules:
    def test_refundable_shrinks_with_reservations_and_grows_back_on_release(self):
        trade = paid_trade()
        legs = Split(cny(993), cny(6), cny(1))
        reserved = trade.reserve_refund(legs)
        assert (reserved.refundable, reserved.refunded_amount) == (cny(9_000), cny(1_000))
        assert reserved.release_refund(legs).refundable == cny(10_000)

    def test_refusals(self):
        with pytest.raises(TradeNotPaid):
            new_trade().check_refundable(cny(1))
        with pytest.raises(CurrencyMismatch):
            paid_trade().check_refundable(Money(1, "USD"))
        with pytest.raises(RefundExceedsPaid):
            paid_trade().check_refundable(cny(10_001))
        held = paid_trade(escrow=EscrowTerms(60))
        with pytest.raises(EscrowNotReleased):
            held.check_refundable(cny(1))
        with pytest.raises(EscrowDisputed):
            held.dispute_escrow("x").check_refundable(cny(1))

    def test_closed_once_fully_refunded_and_nothing_in_flight(self):
        full = paid_trade().reserve_refund(split_payment(cny(10_000), 6000, 1000))
        assert full.close_if_fully_refunded(NOW, refunds_in_flight=1) is full
        closed = full.close_if_fully_refunded(NOW, refunds_in_flight=0)
        assert (closed.status, closed.closed_at) == (TradeStatus.CLOSED, NOW)
        with pytest.raises(TradeClosed):
            closed.check_refundable(cny(1))


class TestEscrow:
    def test_held_on_payment_with_its_deadline(self):
        held = paid_trade(escrow=EscrowTerms(3600, DeadlineAction.RELEASE))
        assert held.escrow is not None
        assert (held.escrow.status, held.escrow.deadline_at, held.escrow.version) == (
            EscrowStatus.HELD, NOW + S + 3600 * S, 1
        )  # fmt: skip
        assert held.settled_at is None

    def test_release_then_nothing_else(self):
        held = paid_trade(escrow=EscrowTerms(60))
        releasing = held.begin_escrow(DeadlineAction.RELEASE, NOW)
        assert releasing.escrow.status is EscrowStatus.RELEASING  # type: ignore[union-attr]
        assert releasing.processing_since == NOW
        with pytest.raises(EscrowNotHeld):
            releasing.begin_escrow(DeadlineAction.REFUND, NOW)
        with pytest.raises(EscrowNotHeld):
            releasing.dispute_escrow("late")
        released = releasing.finish_escrow(NOW + S)
        assert (released.escrow.status, released.settled_at) == (  # type: ignore[union-attr]
            EscrowStatus.RELEASED, NOW + S
        )  # fmt: skip
        assert released.escrow.version == 3  # type: ignore[union-attr]
        with pytest.raises(EscrowNotHeld):
            released.finish_escrow(NOW)

    def test_refund_closes_the_trade_with_everything_refunded(self):
        held = paid_trade(escrow=EscrowTerms(60))
        refunded = held.begin_escrow(DeadlineAction.REFUND, NOW).finish_escrow(NOW + S)
        assert refunded.escrow.status is EscrowStatus.REFUNDED  # type: ignore[union-attr]
        assert (refunded.status, refunded.refunded, refunded.refundable) == (
            TradeStatus.CLOSED, held.split, cny(0)
        )  # fmt: skip

    def test_a_dispute_freezes_until_staff_resolve(self):
        disputed = paid_trade(escrow=EscrowTerms(60)).dispute_escrow("broken")
        assert disputed.dispute_escrow("again") is disputed
        for action in DeadlineAction:
            with pytest.raises(EscrowDisputed):
                disputed.begin_escrow(action, NOW)
        resolved = disputed.begin_escrow(DeadlineAction.REFUND, NOW, resolver="staff")
        assert resolved.escrow.resolved_by == "staff"  # type: ignore[union-attr]
        with pytest.raises(EscrowNotDisputed):
            paid_trade(escrow=EscrowTerms(60)).begin_escrow(
                DeadlineAction.RELEASE, NOW, resolver="staff"
            )

    def test_escrow_needs_an_escrow_trade_and_a_payment(self):
        with pytest.raises(NotAnEscrowTrade):
            paid_trade().held_escrow()
        with pytest.raises(TradeNotPaid):
            new_trade(escrow=EscrowTerms(60)).held_escrow()

    def test_versions_only_grow(self):
        trade = new_trade(escrow=EscrowTerms(60))
        steps: list[Callable[[Trade], Trade]] = [
            lambda t: t.begin_payment("a", 1, NOW),
            lambda t: t.complete_payment(NOW),
            lambda t: t.dispute_escrow("x"),
            lambda t: t.begin_escrow(DeadlineAction.RELEASE, NOW, resolver="s"),
            lambda t: t.finish_escrow(NOW),
        ]
        versions = [trade.version]
        for step in steps:
            trade = step(trade)
            versions.append(trade.version)
        assert versions == sorted(set(versions))
        assert dataclasses.replace(trade).version == versions[-1]
