"""Risk screening of payments on both tiers: reject, challenge (one-time code) and review
(a hold released or returned by the case), with money conserved throughout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bankstack.kernel.clock import ManualClock
from bankstack.payments import Merchant, PaymentsService, Trade
from bankstack.payments.adapters.factory import build_payments
from bankstack.payments.domain import TradeStatus
from bankstack.payments.errors import (
    ChallengeCodeInvalid,
    ChallengeExpired,
    ChallengeRequired,
    InsufficientFunds,
    RiskRejected,
)
from bankstack.platform.migrations import upgrade
from bankstack.risk import EventSubject, Outcome
from tests._risk import ScriptedRisk
from tests.integration.payments.conftest import World, make_world


class Codes:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, customer_id: str, code: str, purpose: str) -> None:
        assert purpose
        self.sent.append((customer_id, code))


class Screened:
    def __init__(
        self, world: World, payments: PaymentsService, risk: ScriptedRisk, codes: Codes
    ) -> None:
        self.world, self.payments, self.risk, self.codes = world, payments, risk, codes


@pytest.fixture
def screened(db_url: str) -> Iterator[Screened]:
    world, runtime = make_world(db_url)
    upgrade(db_url)  # the risk-check table comes with the later migrations
    risk, codes = ScriptedRisk(), Codes()
    payments = build_payments(
        runtime.engine, runtime.writer, runtime.reader, world.clock, risk=risk, codes=codes
    )
    try:
        yield Screened(world, payments, risk, codes)
    finally:
        runtime.close()


def _setup(s: Screened, amount: int = 10_000) -> tuple[Merchant, str, Trade]:
    merchant = s.world.merchant()
    customer = s.world.customer(funds=50_000)
    return merchant, customer, s.world.trade(merchant, amount)


def test_accept_pays_and_asks_with_the_payment_event(screened: Screened) -> None:
    merchant, customer, trade = _setup(screened)
    paid = screened.payments.pay_with_wallet(trade.id, customer)
    assert paid.status is TradeStatus.SUCCEEDED
    (event,) = screened.risk.asked
    assert event.event_id == f"trade:{trade.id}:{customer}"
    assert event.subject == EventSubject("trade", str(trade.id))  # what a case shows staff
    assert event.amount == trade.amount
    assert event.merchant_id == merchant.id


def test_reject_moves_nothing_and_is_remembered(screened: Screened) -> None:
    _, customer, trade = _setup(screened)
    screened.risk.outcomes = [Outcome.REJECT]
    with pytest.raises(RiskRejected) as raised:
        screened.payments.pay_with_wallet(trade.id, customer)
    assert raised.value.details["reasons"] == ["R_TEST"]
    with pytest.raises(RiskRejected):  # a retry is refused without asking again
        screened.payments.pay_with_wallet(trade.id, customer)
    assert len(screened.risk.asked) == 1
    assert screened.world.available(customer) == 50_000
    assert screened.payments.query(trade.id).status is TradeStatus.WAITING


def test_challenge_needs_the_code_then_pays(screened: Screened) -> None:
    _, customer, trade = _setup(screened)
    screened.risk.outcomes = [Outcome.CHALLENGE]
    with pytest.raises(ChallengeRequired):
        screened.payments.pay_with_wallet(trade.id, customer)
    assert screened.world.available(customer) == 50_000
    (sent_to, code) = screened.codes.sent[-1]
    assert sent_to == customer
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ChallengeCodeInvalid):
        screened.payments.confirm_challenge(trade.id, customer, wrong)
    screened.payments.confirm_challenge(trade.id, customer, code)
    paid = screened.payments.pay_with_wallet(trade.id, customer)
    assert paid.status is TradeStatus.SUCCEEDED
    assert len(screened.risk.asked) == 1  # confirmed: not asked again
    assert screened.world.available(customer) == 40_000


def test_challenge_code_expires_and_tries_are_limited(screened: Screened) -> None:
    _, customer, trade = _setup(screened)
    screened.risk.outcomes = [Outcome.CHALLENGE]
    with pytest.raises(ChallengeRequired):
        screened.payments.pay_with_wallet(trade.id, customer)
    code = screened.codes.sent[-1][1]
    clock = screened.world.clock
    assert isinstance(clock, ManualClock)
    clock.advance(301)
    with pytest.raises(ChallengeExpired):
        screened.payments.confirm_challenge(trade.id, customer, code)


def test_review_holds_then_release_pays_the_merchant(screened: Screened) -> None:
    merchant, customer, trade = _setup(screened)
    screened.risk.outcomes = [Outcome.REVIEW]
    held = screened.payments.pay_with_wallet(trade.id, customer)
    assert held.status is TradeStatus.PROCESSING
    assert screened.world.available(customer) == 40_000  # reserved
    assert screened.world.posted(customer) == 50_000  # not moved
    assert screened.world.merchant_posted(merchant) == 0
    again = screened.payments.pay_with_wallet(trade.id, customer)  # a retry: still held
    assert again.status is TradeStatus.PROCESSING
    screened.world.clock.advance(3600)
    screened.payments.process_due()  # the worker leaves it alone:
    assert screened.payments.query(trade.id).status is TradeStatus.PROCESSING
    assert screened.world.merchant_posted(merchant) == 0
    paid = screened.payments.resolve_review(trade.id, customer, release=True)
    assert paid.status is TradeStatus.SUCCEEDED
    assert screened.world.posted(customer) == 40_000
    assert screened.world.merchant_posted(merchant) == trade.split.net.minor
    assert screened.payments.resolve_review(trade.id, customer, release=True) == paid


def test_review_confirmed_fraud_voids_the_hold_and_closes(screened: Screened) -> None:
    merchant, customer, trade = _setup(screened)
    screened.risk.outcomes = [Outcome.REVIEW]
    screened.payments.pay_with_wallet(trade.id, customer)
    closed = screened.payments.resolve_review(trade.id, customer, release=False)
    assert closed.status is TradeStatus.CLOSED
    assert screened.world.available(customer) == 50_000
    assert screened.world.posted(customer) == 50_000
    assert screened.world.merchant_posted(merchant) == 0


def test_review_hold_declined_leaves_the_trade_payable(screened: Screened) -> None:
    merchant, customer, _ = _setup(screened)
    trade = screened.world.trade(merchant, 90_000)
    screened.risk.outcomes = [Outcome.REVIEW]
    with pytest.raises(InsufficientFunds):
        screened.payments.pay_with_wallet(trade.id, customer)
    assert screened.payments.query(trade.id).status is TradeStatus.WAITING
    assert screened.world.available(customer) == 50_000
