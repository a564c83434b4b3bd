"""Customer-to-customer transfers on both tiers: screened by risk first (accept, reject,
challenge, review), idempotent by the sender's reference, moved once however often or however
concurrently they are sent, and money conserved on every path."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest

from bankstack.kernel.money import Money
from bankstack.ledger import Account, AccountResult, Transfer, TransferResult
from bankstack.payments import (
    ChallengeCodeInvalid,
    ChallengeExpired,
    ChallengeRequired,
    CustomerTransfer,
    InsufficientFunds,
    NoChallenge,
    PaymentsService,
    RiskRejected,
    SendMoney,
    TransferNotFound,
    TransferRef,
    TransferReferenceConflict,
    TransferStatus,
    WalletNotFound,
)
from bankstack.payments.adapters.factory import build_payments
from bankstack.payments.ports import LedgerWriter
from bankstack.risk import EventKind, EventSubject, Outcome
from tests._risk import ScriptedRisk
from tests.integration.payments.conftest import World, cny, make_world
from tests.integration.payments.test_screening import Codes

S = TransferStatus
FUNDS = 50_000


class CrashingLedger:
    """The ledger writer, except that it can die once before a submission reaches it."""

    def __init__(self, writer: LedgerWriter) -> None:
        self.writer = writer
        self.crash_next = False

    def create_accounts(self, accounts: Sequence[Account]) -> list[AccountResult]:
        return self.writer.create_accounts(accounts)

    def create_transfers(self, transfers: Sequence[Transfer]) -> list[TransferResult]:
        if self.crash_next:
            self.crash_next = False
            raise ConnectionError("the process died before the ledger answered")
        return self.writer.create_transfers(transfers)


@dataclass
class Bank:
    world: World
    payments: PaymentsService
    risk: ScriptedRisk
    codes: Codes
    ledger: CrashingLedger
    alice: str
    bob: str

    def send(self, amount: int, reference: str = "r-1", **changes: str) -> CustomerTransfer:
        return self.payments.send_money(self.cmd(amount, reference, **changes))

    def cmd(self, amount: int, reference: str = "r-1", **changes: str) -> SendMoney:
        parties = {"sender": self.alice, "recipient": self.bob, **changes}
        return SendMoney(amount=cny(amount), reference=reference, **parties)

    def balances(self) -> tuple[int, int, int, int]:
        """(alice posted, alice available, bob posted, bob available)."""
        w = self.world
        return (
            w.posted(self.alice),
            w.available(self.alice),
            w.posted(self.bob),
            w.available(self.bob),
        )

    def topics(self, transfer: CustomerTransfer) -> list[str]:
        return [topic for topic, _ in self.world.events(transfer.id)]


@pytest.fixture
def bank(db_url: str) -> Iterator[Bank]:
    world, runtime = make_world(db_url)
    risk, codes, ledger = ScriptedRisk(), Codes(), CrashingLedger(runtime.writer)
    payments = build_payments(
        runtime.engine, ledger, runtime.reader, world.clock, risk=risk, codes=codes
    )
    alice, bob = world.customer("alice", FUNDS), world.customer("bob", 0)
    try:
        yield Bank(world, payments, risk, codes, ledger, alice, bob)
    finally:
        runtime.close()


def test_accept_moves_the_money_exactly_once(bank: Bank) -> None:
    sent = bank.send(12_345)
    assert sent.status is S.COMPLETED
    assert bank.balances() == (FUNDS - 12_345,) * 2 + (12_345,) * 2
    (event,) = bank.risk.asked
    assert (event.kind, event.customer_id, event.counterparty_id) == (
        EventKind.TRANSFER, bank.alice, bank.bob
    )  # fmt: skip
    assert event.event_id == f"transfer:{sent.id}"
    assert event.subject == EventSubject("transfer", str(sent.id))
    assert event.amount == cny(12_345)
    assert event.customer_since == bank.payments.get_wallet(bank.alice, "CNY").created_at
    assert bank.send(12_345) == sent  # a retry: the same transfer, nothing moves, risk not asked
    assert len(bank.risk.asked) == 1
    assert bank.balances()[0] == FUNDS - 12_345
    assert bank.topics(sent) == ["transfer.completed"]


def test_insufficient_funds_moves_nothing_and_stays_declined(bank: Bank) -> None:
    with pytest.raises(InsufficientFunds):
        bank.send(FUNDS + 1)
    failed = bank.payments.get_transfer(bank.cmd(FUNDS + 1).transfer_id)
    assert failed.status is S.FAILED
    assert failed.completed_at is None
    bank.world.fund(bank.alice, 10)
    with pytest.raises(InsufficientFunds):  # the reference stays declined, as the ledger id
        bank.send(FUNDS + 1)
    assert bank.balances() == (FUNDS + 10, FUNDS + 10, 0, 0)
    assert bank.topics(failed) == ["transfer.failed"]


def test_reject_moves_nothing_and_is_remembered(bank: Bank) -> None:
    bank.risk.outcomes = [Outcome.REJECT]
    with pytest.raises(RiskRejected) as refused:
        bank.send(1_000)
    assert refused.value.details["reasons"] == ["R_TEST"]
    with pytest.raises(RiskRejected):
        bank.send(1_000)
    assert len(bank.risk.asked) == 1
    rejected = bank.payments.get_transfer(TransferRef.by_reference(bank.alice, "r-1"))
    assert (rejected.status, rejected.decision_id) == (S.REJECTED, "dec_1")
    assert bank.balances() == (FUNDS, FUNDS, 0, 0)
    assert bank.topics(rejected) == ["transfer.rejected"]


def test_challenge_waits_for_the_right_code(bank: Bank) -> None:
    bank.risk.outcomes = [Outcome.CHALLENGE]
    with pytest.raises(ChallengeRequired):
        bank.send(2_000)
    assert bank.balances() == (FUNDS, FUNDS, 0, 0)
    sent_to, code = bank.codes.sent[-1]
    assert sent_to == bank.alice
    ref = TransferRef.by_reference(bank.alice, "r-1")
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ChallengeCodeInvalid):
        bank.payments.confirm_transfer(ref, wrong)
    assert bank.balances() == (FUNDS, FUNDS, 0, 0)
    done = bank.payments.confirm_transfer(ref, code)
    assert done.status is S.COMPLETED
    assert bank.payments.confirm_transfer(ref, code) == done  # a retry of the confirmation
    assert bank.send(2_000) == done
    assert len(bank.risk.asked) == 1
    assert bank.balances() == (FUNDS - 2_000, FUNDS - 2_000, 2_000, 2_000)
    assert bank.topics(done) == ["transfer.challenged", "transfer.completed"]


def test_an_expired_code_needs_sending_again(bank: Bank) -> None:
    bank.risk.outcomes = [Outcome.CHALLENGE, Outcome.CHALLENGE]
    with pytest.raises(ChallengeRequired):
        bank.send(2_000)
    first = bank.codes.sent[-1][1]
    bank.world.clock.advance(301)
    ref = TransferRef.by_reference(bank.alice, "r-1")
    with pytest.raises(ChallengeExpired):
        bank.payments.confirm_transfer(ref, first)
    with pytest.raises(ChallengeRequired):  # sending again asks risk again: a new code
        bank.send(2_000)
    assert len(bank.codes.sent) == 2
    assert bank.payments.confirm_transfer(ref, bank.codes.sent[-1][1]).status is S.COMPLETED
    assert bank.balances()[2] == 2_000


def test_review_holds_the_money_then_release_completes_it(bank: Bank) -> None:
    bank.risk.outcomes = [Outcome.REVIEW]
    held = bank.send(3_000)
    assert held.status is S.HELD_FOR_REVIEW
    assert bank.balances() == (FUNDS, FUNDS - 3_000, 0, 0)  # reserved; bob gets nothing yet
    assert bank.send(3_000) == held  # a retry: still held, risk not asked again
    bank.world.clock.advance(3600)
    bank.payments.process_due()  # the worker leaves a held transfer alone
    assert bank.payments.get_transfer(held.id).status is S.HELD_FOR_REVIEW
    done = bank.payments.resolve_transfer_review(held.id, release=True)
    assert done.status is S.COMPLETED
    assert bank.balances() == (FUNDS - 3_000, FUNDS - 3_000, 3_000, 3_000)
    assert bank.payments.resolve_transfer_review(held.id, release=False) == done  # decided
    assert len(bank.risk.asked) == 1
    assert bank.topics(done) == ["transfer.held", "transfer.completed"]


def test_review_confirmed_fraud_returns_the_money(bank: Bank) -> None:
    bank.risk.outcomes = [Outcome.REVIEW]
    held = bank.send(3_000)
    returned = bank.payments.resolve_transfer_review(held.id, release=False)
    assert returned.status is S.RETURNED
    assert bank.balances() == (FUNDS, FUNDS, 0, 0)
    assert bank.payments.resolve_transfer_review(held.id, release=False) == returned
    assert bank.topics(returned) == ["transfer.held", "transfer.returned"]
    with pytest.raises(NoChallenge):  # only held transfers have a review to decide
        bank.payments.resolve_transfer_review(bank.send(10, "r-2").id, release=True)


def test_a_hold_the_balance_cannot_cover_is_declined(bank: Bank) -> None:
    bank.risk.outcomes = [Outcome.REVIEW]
    with pytest.raises(InsufficientFunds):
        bank.send(FUNDS + 1)
    assert bank.payments.get_transfer(bank.cmd(1).transfer_id).status is S.FAILED
    assert bank.balances() == (FUNDS, FUNDS, 0, 0)


def test_the_same_reference_with_other_parameters_conflicts(bank: Bank) -> None:
    sent = bank.send(1_000)
    carol = bank.world.customer("carol", 0)
    for amount, recipient in ((1_001, bank.bob), (1_000, carol)):
        with pytest.raises(TransferReferenceConflict) as conflict:
            bank.send(amount, recipient=recipient)
        assert conflict.value.code == "transfer_reference_conflict"
    assert bank.payments.get_transfer(sent.id) == sent
    assert bank.balances()[2] == 1_000


def test_both_wallets_must_exist_in_the_currency(bank: Bank) -> None:
    with pytest.raises(WalletNotFound):
        bank.send(100, recipient=bank.world.name("nobody"))
    with pytest.raises(WalletNotFound):
        bank.payments.send_money(
            SendMoney(
                sender=bank.alice, recipient=bank.bob, amount=Money(100, "HKD"), reference="r-1"
            )
        )
    with pytest.raises(TransferNotFound):
        bank.payments.get_transfer(bank.cmd(100).transfer_id)
    assert bank.risk.asked == []


@pytest.mark.parametrize("outcome", [Outcome.ACCEPT, Outcome.REVIEW])
def test_concurrent_duplicates_move_the_money_once(bank: Bank, outcome: Outcome) -> None:
    bank.risk.outcomes = [outcome] * 8
    start, answers, errors = threading.Barrier(8), [], []

    def send() -> None:
        start.wait()
        try:
            answers.append(bank.send(4_000))
        except Exception as error:  # noqa: BLE001 - the test reports any failure below
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({answer.id for answer in answers}) == 1
    if outcome is Outcome.ACCEPT:
        assert bank.balances() == (FUNDS - 4_000, FUNDS - 4_000, 4_000, 4_000)
    else:
        assert bank.balances() == (FUNDS, FUNDS - 4_000, 0, 0)
    assert len(bank.topics(answers[0])) == 1


def test_a_step_left_in_flight_is_settled_by_the_worker(bank: Bank) -> None:
    bank.ledger.crash_next = True
    with pytest.raises(ConnectionError):
        bank.send(5_000)
    stuck = bank.payments.get_transfer(bank.cmd(5_000).transfer_id)
    assert stuck.status is S.PROCESSING
    assert bank.balances() == (FUNDS, FUNDS, 0, 0)
    bank.world.clock.advance(31)
    report = bank.payments.process_due()
    assert report.recovered >= 1
    assert bank.payments.get_transfer(stuck.id).status is S.COMPLETED
    assert bank.balances() == (FUNDS - 5_000, FUNDS - 5_000, 5_000, 5_000)


def test_money_is_conserved_on_every_path(bank: Bank) -> None:
    carol = bank.world.customer("carol", 20_000)
    parties = (bank.alice, bank.bob, carol)

    def total() -> tuple[int, int]:
        posted = sum(bank.world.posted(p) for p in parties)
        return posted, sum(bank.world.available(p) for p in parties)

    before = total()
    bank.risk.outcomes = [Outcome.ACCEPT, Outcome.REJECT, Outcome.REVIEW, Outcome.REVIEW]
    bank.send(1_000, "a")
    with pytest.raises(RiskRejected):
        bank.send(1_000, "b")
    released, returned = bank.send(2_000, "c"), bank.send(3_000, "d", sender=carol)
    with pytest.raises(InsufficientFunds):
        bank.send(FUNDS, "e")
    assert total() == (before[0], before[1] - 5_000)  # only what is held is unavailable
    bank.payments.resolve_transfer_review(released.id, release=True)
    bank.payments.resolve_transfer_review(returned.id, release=False)
    assert total() == before
    assert bank.balances() == (FUNDS - 3_000, FUNDS - 3_000, 3_000, 3_000)
