"""Tricky transfer cases, pinned with exact values.

Each test runs against the reference model and against every driver of ``DRIVER_FACTORIES``,
so the values are checked on both sides of the model-based test (and on any database-backed
driver added there).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bankstack.ledger.domain import Account, AccountFlags, Transfer, TransferFlags
from tests.ledger_model.drivers import DRIVER_FACTORIES, LedgerDriver
from tests.ledger_model.reference import AMOUNT_MAX, NS, ReferenceLedger

LINKED = int(TransferFlags.LINKED)
PENDING = int(TransferFlags.PENDING)
POST = int(TransferFlags.POST_PENDING_TRANSFER)
VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
BAL_DR = int(TransferFlags.BALANCING_DEBIT)
BAL_CR = int(TransferFlags.BALANCING_CREDIT)
CLOSE_DR = int(TransferFlags.CLOSING_DEBIT)
DMNEC = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
CMNED = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)
CLOSED = int(AccountFlags.CLOSED)

START = 1_000 * NS
A, B, C = 1, 2, 3  # accounts

LEDGERS: dict[str, Callable[[], LedgerDriver]] = {"reference": ReferenceLedger, **DRIVER_FACTORIES}


@pytest.fixture(params=list(LEDGERS), ids=list(LEDGERS))
def ledger(request: pytest.FixtureRequest) -> LedgerDriver:
    driver = LEDGERS[request.param]()
    driver.now_ns = START
    return driver


def open_accounts(ledger: LedgerDriver, *accounts: Account) -> None:
    assert ledger.create_accounts(list(accounts)) == ["ok"] * len(accounts)


def move(id_: int, debit: int, credit: int, amount: int, flags: int = 0, **kw: int) -> Transfer:
    return Transfer(id_, debit, credit, amount, ledger=1, code=1, flags=flags, **kw)


def balances(ledger: LedgerDriver, account_id: int) -> tuple[int, int, int, int]:
    account = ledger.account(account_id)
    assert account is not None
    return account.balances()


def test_partial_post_releases_the_remainder(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1), Account(B, 1, 1))
    assert ledger.create_transfers([move(10, A, B, 100, PENDING)]) == ["ok"]
    assert balances(ledger, A) == (100, 0, 0, 0)
    assert balances(ledger, B) == (0, 0, 100, 0)

    assert ledger.create_transfers([Transfer(11, pending_id=10, amount=30, flags=POST)]) == ["ok"]
    assert balances(ledger, A) == (0, 30, 0, 0)  # 70 released, not posted
    assert balances(ledger, B) == (0, 0, 0, 30)
    post = ledger.transfer(11)
    assert post is not None
    assert (post.amount, post.debit_account_id, post.credit_account_id) == (30, A, B)
    # Resolved once: neither a second post nor a void can touch the remainder.
    assert ledger.create_transfers(
        [
            Transfer(12, pending_id=10, amount=70, flags=POST),
            Transfer(13, pending_id=10, flags=VOID),
        ]
    ) == ["pending_transfer_already_posted", "pending_transfer_already_posted"]
    assert balances(ledger, A) == (0, 30, 0, 0)


def test_post_after_expiry_is_refused_before_and_after_expire(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1), Account(B, 1, 1))  # timestamps START, START + 1
    assert ledger.create_transfers([move(10, A, B, 40, PENDING, timeout=1)]) == ["ok"]
    pending = ledger.transfer(10)
    assert pending is not None
    assert pending.timestamp == START + 2
    expires_at = START + 2 + NS

    # The post's timestamp is expires_at: expired, although expire() has not run yet.
    ledger.now_ns = expires_at
    assert ledger.create_transfers([Transfer(12, pending_id=10, flags=POST)]) == [
        "pending_transfer_expired"
    ]
    assert balances(ledger, A) == (40, 0, 0, 0)

    assert ledger.expire(expires_at) == [10]
    assert balances(ledger, A) == (0, 0, 0, 0)
    assert balances(ledger, B) == (0, 0, 0, 0)
    assert ledger.create_transfers([Transfer(13, pending_id=10, flags=VOID)]) == [
        "pending_transfer_expired"
    ]
    assert ledger.expire(expires_at + NS) == []  # expires once


def test_post_one_nanosecond_before_expiry_succeeds(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1), Account(B, 1, 1))
    assert ledger.create_transfers([move(10, A, B, 40, PENDING, timeout=2)]) == ["ok"]
    ledger.now_ns = START + 2 + 2 * NS - 1
    assert ledger.create_transfers(
        [Transfer(11, pending_id=10, flags=POST, amount=AMOUNT_MAX)]
    ) == ["ok"]
    assert balances(ledger, B) == (0, 0, 0, 40)
    assert ledger.expire(START + 10 * NS) == []  # posted, so never expires


def test_void_of_the_closing_transfer_reopens_the_account(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1), Account(B, 1, 1))
    assert ledger.create_transfers([move(10, A, B, 5, PENDING | CLOSE_DR)]) == ["ok"]
    closed = ledger.account(A)
    assert closed is not None
    assert closed.flags & CLOSED
    assert ledger.create_transfers([move(11, A, B, 1), move(12, B, A, 1)]) == [
        "debit_account_already_closed",
        "credit_account_already_closed",
    ]
    assert ledger.create_transfers([Transfer(13, pending_id=10, flags=VOID)]) == ["ok"]
    reopened = ledger.account(A)
    assert reopened is not None
    assert (reopened.flags, reopened.balances()) == (0, (0, 0, 0, 0))
    # Open again, but the ids refused while it was closed stay burnt.
    assert ledger.create_transfers([move(11, A, B, 1), move(14, A, B, 1)]) == [
        "id_already_failed",
        "ok",
    ]


def test_balancing_clamps_to_the_limit(ledger: LedgerDriver):
    open_accounts(
        ledger,
        Account(A, 1, 1, flags=DMNEC, credit_limit=10),
        Account(B, 1, 1),
        Account(C, 1, 1, flags=CMNED, credit_limit=7),
    )
    assert ledger.create_transfers([move(10, B, A, 50), move(11, A, B, 100, BAL_DR)]) == [
        "ok",
        "ok",
    ]
    balancing = ledger.transfer(11)
    assert balancing is not None
    assert balancing.amount == 60  # credits 50 + limit 10
    assert balances(ledger, A) == (0, 60, 0, 50)
    # At the limit: a balancing transfer moves nothing, and says ok.
    assert ledger.create_transfers([move(12, A, B, 100, BAL_DR | PENDING)]) == ["ok"]
    assert ledger.transfer(12) is not None
    assert balances(ledger, A) == (0, 60, 0, 50)
    # A debit line does not let credits pass debits: balancing credit into A clamps at
    # A's debits_posted - credits_posted = 10, not at 10 + its credit limit.
    assert ledger.create_transfers([move(13, B, A, 100, BAL_CR)]) == ["ok"]
    assert balances(ledger, A) == (0, 60, 0, 60)
    # C's credit line: credits may pass debits by 7; pending credits count.
    assert ledger.create_transfers([move(14, B, C, 5, PENDING), move(15, B, C, 100, BAL_CR)]) == [
        "ok",
        "ok",
    ]
    assert balances(ledger, C) == (0, 0, 5, 2)


def test_transient_failure_then_retry_answers_id_already_failed(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1, flags=DMNEC), Account(B, 1, 1))
    assert ledger.create_transfers([move(10, A, B, 20)]) == ["exceeds_credits"]
    assert ledger.create_transfers([move(11, B, A, 100)]) == ["ok"]  # now A could pay
    assert ledger.create_transfers([move(10, A, B, 20)]) == ["id_already_failed"]
    assert ledger.create_transfers([move(10, A, B, 999, PENDING)]) == ["id_already_failed"]
    assert ledger.transfer(10) is None
    assert ledger.create_transfers([move(12, A, B, 20)]) == ["ok"]
    # A validation failure is not transient: that id may be used again.
    assert ledger.create_transfers([move(13, A, A, 1)]) == ["accounts_must_be_different"]
    assert ledger.create_transfers([move(13, A, B, 1)]) == ["ok"]


def test_exists_with_different_amount(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1), Account(B, 1, 1))
    assert ledger.create_transfers([move(10, A, B, 10)]) == ["ok"]
    assert ledger.create_transfers([move(10, A, B, 10), move(10, A, B, 11)]) == [
        "exists",
        "exists_with_different_amount",
    ]
    # Balancing: the amount was a bound; a retry differs only if it asks for less than moved.
    open_accounts(ledger, Account(C, 1, 1, flags=DMNEC))
    assert ledger.create_transfers([move(11, B, C, 8), move(12, C, A, 50, BAL_DR)]) == [
        "ok",
        "ok",
    ]
    assert ledger.create_transfers(
        [move(12, C, A, 50, BAL_DR), move(12, C, A, 8, BAL_DR), move(12, C, A, 7, BAL_DR)]
    ) == ["exists", "exists", "exists_with_different_amount"]
    # A partial post: "the full pending amount" (AMOUNT_MAX) is a different amount.
    assert ledger.create_transfers(
        [move(13, A, B, 100, PENDING), Transfer(14, pending_id=13, amount=30, flags=POST)]
    ) == ["ok", "ok"]
    assert ledger.create_transfers(
        [
            Transfer(14, pending_id=13, amount=30, flags=POST),
            Transfer(14, pending_id=13, amount=AMOUNT_MAX, flags=POST),
            Transfer(14, pending_id=13, amount=29, flags=POST),
        ]
    ) == ["exists", "exists_with_different_amount", "exists_with_different_amount"]
    # A full post matches AMOUNT_MAX; a void matches 0, AMOUNT_MAX and the pending amount.
    assert (
        ledger.create_transfers(
            [
                move(15, A, B, 9, PENDING),
                Transfer(16, pending_id=15, amount=AMOUNT_MAX, flags=POST),
                move(17, A, B, 9, PENDING),
                Transfer(18, pending_id=17, flags=VOID),
            ]
        )
        == ["ok"] * 4
    )
    assert ledger.create_transfers(
        [
            Transfer(16, pending_id=15, amount=9, flags=POST),
            Transfer(16, pending_id=15, amount=AMOUNT_MAX, flags=POST),
            Transfer(18, pending_id=17, amount=9, flags=VOID),
            Transfer(18, pending_id=17, amount=AMOUNT_MAX, flags=VOID),
            Transfer(18, pending_id=17, amount=8, flags=VOID),
        ]
    ) == ["exists", "exists", "exists", "exists", "exists_with_different_amount"]


def test_void_amounts(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1), Account(B, 1, 1))
    assert ledger.create_transfers([move(10, A, B, 50, PENDING)]) == ["ok"]
    assert ledger.create_transfers(
        [
            Transfer(11, pending_id=10, amount=51, flags=VOID),
            Transfer(12, pending_id=10, amount=49, flags=VOID),
            Transfer(13, pending_id=10, amount=51, flags=POST),
        ]
    ) == [
        "exceeds_pending_transfer_amount",
        "pending_transfer_has_different_amount",
        "exceeds_pending_transfer_amount",
    ]
    assert ledger.create_transfers(
        [Transfer(14, pending_id=10, amount=AMOUNT_MAX, flags=VOID)]
    ) == ["ok"]
    void = ledger.transfer(14)
    assert void is not None
    assert void.amount == 50
    assert balances(ledger, A) == (0, 0, 0, 0)


def test_chain_rollback_leaves_everything_byte_identical(ledger: LedgerDriver):
    open_accounts(
        ledger, Account(A, 1, 1), Account(B, 1, 1, flags=DMNEC), Account(C, 1, 1, flags=CMNED)
    )
    assert (
        ledger.create_transfers(
            [move(1, A, B, 30), move(2, C, A, 12), move(3, A, C, 10, PENDING, timeout=5)]
        )
        == ["ok"] * 3
    )
    before = {i: ledger.account(i) for i in (A, B, C)}
    chain = [
        move(10, A, B, 7, LINKED),
        move(11, B, A, 5, LINKED | PENDING | CLOSE_DR),
        Transfer(12, pending_id=3, amount=4, flags=POST | LINKED),
        Transfer(13, pending_id=11, flags=VOID | LINKED),
        move(14, B, C, 38),  # B: debits 38 > credits 30 + 7
    ]
    assert ledger.create_transfers(chain) == [
        "linked_event_failed",
        "linked_event_failed",
        "linked_event_failed",
        "linked_event_failed",
        "exceeds_credits",
    ]
    assert {i: ledger.account(i) for i in (A, B, C)} == before
    assert [ledger.transfer(i) for i in (10, 11, 12, 13, 14)] == [None] * 5
    # The rolled-back members' ids are free; the failing member's is burnt; pending 3 is live.
    assert ledger.create_transfers(
        [move(10, A, B, 1), move(14, B, C, 1), Transfer(12, pending_id=3, flags=POST, amount=4)]
    ) == ["ok", "id_already_failed", "ok"]


def test_a_chain_open_at_the_end_of_a_submission(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1), Account(B, 1, 1, flags=DMNEC))
    # Before the open chain, an independent event commits; the open chain does not, although
    # each of its members alone would have.
    assert ledger.create_transfers(
        [move(1, A, B, 10), move(2, A, B, 5, LINKED), move(3, B, A, 5, LINKED)]
    ) == ["ok", "linked_event_failed", "linked_event_chain_open"]
    assert balances(ledger, B) == (0, 0, 0, 10)
    assert (ledger.transfer(2), ledger.transfer(3)) == (None, None)
    # Members are evaluated (TigerBeetle): one that fails keeps its own result, and a
    # transient failure burns its id; the last event answers chain_open whatever happened.
    assert ledger.create_transfers(
        [move(4, A, B, 1, LINKED), move(5, B, A, 99, LINKED), move(6, A, B, 1, LINKED)]
    ) == ["linked_event_failed", "exceeds_credits", "linked_event_chain_open"]
    assert ledger.create_transfers([move(5, B, A, 1), move(4, A, B, 1), move(6, A, B, 1)]) == [
        "id_already_failed",
        "ok",
        "ok",
    ]
    # A lone linked event is an open chain of one.
    assert ledger.create_transfers([move(7, A, B, 1, LINKED)]) == ["linked_event_chain_open"]
    assert ledger.create_transfers([move(7, A, B, 1)]) == ["ok"]
    # Every event took a timestamp, accepted or not.
    t7 = ledger.transfer(7)
    assert t7 is not None
    assert t7.timestamp == START + 2 + 3 + 3 + 3 + 1


def test_overflows_timeout_near_the_end_of_time(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1), Account(B, 1, 1))
    ledger.now_ns = 2**63 - 5 * NS  # + 5 s is 2**63: past TIMESTAMP_MAX
    assert ledger.create_transfers(
        [move(10, A, B, 1, PENDING, timeout=5), move(11, A, B, 1, PENDING, timeout=4)]
    ) == ["overflows_timeout", "ok"]


def test_accounts_closed_bit_is_state_not_identity(ledger: LedgerDriver):
    open_accounts(ledger, Account(A, 1, 1), Account(B, 1, 1))
    assert ledger.create_transfers([move(10, A, B, 1, PENDING | CLOSE_DR)]) == ["ok"]
    assert ledger.create_accounts(
        [Account(A, 1, 1), Account(A, 1, 1, flags=CLOSED), Account(A, 1, 1, flags=DMNEC)]
    ) == ["exists", "exists", "exists_with_different_flags"]
    assert ledger.create_accounts([Account(B, 1, 1, flags=CLOSED)]) == [
        "exists_with_different_flags"
    ]
