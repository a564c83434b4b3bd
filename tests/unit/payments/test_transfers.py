"""The ledger steps of each payments action, and how the ledger's answer is read."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bankstack.kernel.money import Money
from bankstack.ledger import AMOUNT_MAX, TransferFlags
from bankstack.payments import EscrowTerms, LedgerRefused, RefundStatus, Split, events
from bankstack.payments import accounts as acc
from bankstack.payments.records import Refund
from bankstack.payments.transfers import (
    escrow_refund_transfers,
    escrow_release_transfers,
    funding_transfer,
    payment_transfers,
    refund_transfers,
    verdict,
)
from tests.unit.payments.test_domain import NOW, cny, new_trade, paid_trade

LINKED = int(TransferFlags.LINKED)
PENDING = int(TransferFlags.PENDING)
POST = int(TransferFlags.POST_PENDING_TRANSFER)
VOID = int(TransferFlags.VOID_PENDING_TRANSFER)


class TestIds:
    def test_derived_ids_are_stable_128_bit_and_distinct(self):
        a = acc.derived_id("trade:1:pay:1:net")
        assert a == acc.derived_id("trade:1:pay:1:net")
        assert 0 < a < 2**128
        assert a != acc.derived_id("trade:1:pay:2:net")
        assert acc.wallet_account_id("alice", "CNY") != acc.wallet_account_id("alice", "HKD")

    def test_currencies_have_ledgers(self):
        assert acc.ledger_of("CNY") == 1
        with pytest.raises(Exception, match="XXX"):
            acc.ledger_of("XXX")


class TestPayment:
    def test_one_linked_chain_from_the_payer_per_attempt(self):
        trade = new_trade().begin_payment("alice", 11, NOW)
        chain = payment_transfers(trade)
        assert [(t.debit_account_id, t.amount, t.flags) for t in chain] == [
            (11, 9_930, LINKED), (11, 60, LINKED), (11, 10, 0)
        ]  # fmt: skip
        assert [t.credit_account_id for t in chain] == [
            acc.merchant_account_id("m", "CNY"), acc.fee_account_id("CNY"), 99
        ]  # fmt: skip
        assert {t.user_data for t in chain} == {trade.id}
        assert payment_transfers(trade) == chain  # a resubmission is identical
        retry = trade.abandon_payment().begin_payment("alice", 11, NOW)
        assert {t.id for t in payment_transfers(retry)}.isdisjoint({t.id for t in chain})

    def test_zero_legs_are_left_out(self):
        trade = new_trade().begin_payment("alice", 11, NOW)
        free = dataclasses.replace(trade, split=Split(cny(10_000), cny(0), cny(0)))
        chain = payment_transfers(free)
        assert [(t.amount, t.flags) for t in chain] == [(10_000, 0)]

    def test_escrow_is_one_pending_transfer_without_a_ledger_timeout(self):
        trade = new_trade(escrow=EscrowTerms(60)).begin_payment("alice", 11, NOW)
        (hold,) = payment_transfers(trade)
        assert (hold.debit_account_id, hold.credit_account_id, hold.amount) == (
            11, acc.escrow_account_id("CNY"), 10_000
        )  # fmt: skip
        assert (hold.flags, hold.timeout) == (PENDING, 0)
        paid = trade.complete_payment(NOW)
        post, *legs = escrow_release_transfers(paid)
        assert (post.pending_id, post.amount, post.flags) == (hold.id, AMOUNT_MAX, POST | LINKED)
        assert [t.debit_account_id for t in legs] == [acc.escrow_account_id("CNY")] * 3
        assert sum(t.amount for t in legs) == 10_000
        (void,) = escrow_refund_transfers(paid)
        assert (void.pending_id, void.flags) == (hold.id, VOID)


def test_refund_chain_reverses_into_the_payer_wallet():
    trade = paid_trade()
    refund = Refund(
        id=5, trade_id=trade.id, merchant_id="m", out_trade_no="o", out_refund_no="r",
        amount=cny(100), legs=Split(cny(99), cny(1), cny(0)), status=RefundStatus.PROCESSING,
        attempt=2, payee_account_id=11, created_at=NOW,
    )  # fmt: skip
    chain = refund_transfers(refund, trade)
    assert [(t.debit_account_id, t.credit_account_id, t.amount, t.flags) for t in chain] == [
        (acc.merchant_account_id("m", "CNY"), 11, 99, LINKED),
        (acc.fee_account_id("CNY"), 11, 1, 0),
    ]
    assert chain[0].id == acc.derived_id("refund:5:2:net")


def test_funding_is_idempotent_by_reference():
    a = funding_transfer("alice", Money(5, "CNY"), "ref1")
    assert a == funding_transfer("alice", Money(5, "CNY"), "ref1")
    assert a.id != funding_transfer("alice", Money(5, "CNY"), "ref2").id


class TestVerdict:
    @pytest.mark.parametrize(
        "results",
        [["ok"], ["ok", "ok", "ok"], ["exists"], ["exists", "linked_event_failed"]],
    )
    def test_applied(self, results):
        assert verdict(results, what="t").applied

    @pytest.mark.parametrize(
        ("results", "reason"),
        [
            (["linked_event_failed", "exceeds_credits"], "insufficient_funds"),
            (["id_already_failed", "linked_event_failed"], "attempt_already_failed"),
            (["debit_account_already_closed"], "account_closed"),
            (["credit_account_not_found"], "account_not_found"),
        ],
    )
    def test_declined(self, results, reason):
        outcome = verdict(results, what="t")
        assert (outcome.applied, outcome.reason) == (False, reason)

    @pytest.mark.parametrize(
        "results", [["exists_with_different_amount"], ["accounts_must_be_different"], []]
    )
    def test_anything_else_is_a_bug(self, results):
        with pytest.raises(LedgerRefused):
            verdict(results, what="t")


def test_event_payloads_carry_ids_amounts_status_and_version():
    trade = paid_trade(escrow=EscrowTerms(60))
    record = events.trade_event(events.TRADE_SUCCEEDED, trade, NOW)
    assert (record.topic, record.key, record.occurred_at) == ("trade.succeeded", "7", NOW)
    payload = json.loads(record.payload)
    assert payload["type"] == "trade.succeeded"
    data = payload["data"]
    assert (data["id"], data["amount"], data["currency"], data["status"], data["version"]) == (
        "7", 10_000, "CNY", "succeeded", 3
    )  # fmt: skip
    escrow = json.loads(events.escrow_event(events.ESCROW_HELD, trade, NOW).payload)["data"]
    assert (escrow["object"], escrow["status"], escrow["version"]) == ("escrow", "held", 1)
