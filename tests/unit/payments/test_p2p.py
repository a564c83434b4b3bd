"""Customer transfers, the pure parts: the command, the record, its ledger steps, its events,
its risk event id and its AML movement."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from bankstack.kernel.money import Money
from bankstack.ledger import AMOUNT_MAX, TransferFlags
from bankstack.payments import (
    CurrencyNotSupported,
    CustomerTransfer,
    InvalidPaymentRequest,
    SendMoney,
    TransferRef,
    TransferStatus,
    TransferToSelf,
    events,
)
from bankstack.payments import accounts as acc
from bankstack.payments.adapters.risk_events import transfer_movement_of
from bankstack.payments.p2p import risk_event_id, transfer_of
from bankstack.payments.p2p_ledger import (
    hold_transfer,
    in_flight_step,
    move_transfer,
    post_transfer,
    void_transfer,
)
from bankstack.risk.domain.event import EVENT_ID_MAX

NOW = 1_800_000_000_000_000_000
S = TransferStatus
GOOD: dict[str, Any] = {
    "sender": "alice",
    "recipient": "bob",
    "amount": Money(1234, "CNY"),
    "reference": "r-1",
}


def transfer(**changes: Any) -> CustomerTransfer:
    base = CustomerTransfer(
        id=SendMoney(**GOOD).transfer_id,
        sender="alice",
        recipient="bob",
        amount=Money(1234, "CNY"),
        reference="r-1",
        status=S.PROCESSING,
        created_at=NOW,
        updated_at=NOW,
        processing_since=NOW,
    )
    return dataclasses.replace(base, **changes)


class TestSendMoney:
    @pytest.mark.parametrize(
        "change",
        [
            {"sender": "a:b"},
            {"recipient": ""},
            {"reference": ""},
            {"reference": "x" * 65},
            {"reference": "a:b"},
            {"amount": Money(0, "CNY")},
            {"amount": 12},
        ],
    )
    def test_malformed_input_is_refused(self, change: dict[str, Any]):
        with pytest.raises(InvalidPaymentRequest):
            SendMoney(**{**GOOD, **change})

    def test_sending_to_yourself_is_refused_with_its_own_code(self):
        with pytest.raises(TransferToSelf) as refused:
            SendMoney(**{**GOOD, "recipient": "alice"})
        assert refused.value.code == "transfer_to_self"

    def test_an_unsupported_currency_is_refused(self):
        with pytest.raises(CurrencyNotSupported):
            SendMoney(**{**GOOD, "amount": Money(100, "BTC")})

    def test_the_id_is_derived_from_sender_and_reference_only(self):
        one = SendMoney(**GOOD).transfer_id
        assert one == SendMoney(**{**GOOD, "amount": Money(1, "CNY")}).transfer_id
        assert one == TransferRef.by_reference("alice", "r-1").transfer_id
        assert one != SendMoney(**{**GOOD, "reference": "r-2"}).transfer_id
        assert one != SendMoney(**{**GOOD, "sender": "carol"}).transfer_id
        assert 0 < one < 2**128


class TestRecord:
    def test_moving_bumps_the_version_and_tracks_processing_since(self):
        challenged = transfer(status=S.PENDING_CHALLENGE, processing_since=None)
        confirmed = challenged.moved(S.PROCESSING, NOW + 5)
        assert (confirmed.version, confirmed.updated_at) == (2, NOW + 5)
        assert confirmed.processing_since == NOW + 5
        done = confirmed.moved(S.COMPLETED, NOW + 9, completed_at=NOW + 9)
        assert done.processing_since is None
        assert done.completed_at == NOW + 9
        assert done.version == 3

    def test_same_request_compares_recipient_and_amount(self):
        stored = transfer()
        assert stored.same_request("bob", Money(1234, "CNY"))
        assert not stored.same_request("bob", Money(1235, "CNY"))
        assert not stored.same_request("carol", Money(1234, "CNY"))
        assert not stored.same_request("bob", Money(1234, "HKD"))


class TestLedgerSteps:
    def test_the_move_is_wallet_to_wallet_with_a_derived_id(self):
        step = move_transfer(transfer())
        assert step.debit_account_id == acc.wallet_account_id("alice", "CNY")
        assert step.credit_account_id == acc.wallet_account_id("bob", "CNY")
        assert (step.amount, step.flags, step.ledger) == (1234, 0, acc.ledger_of("CNY"))
        assert step.code == acc.TransferCode.CUSTOMER_TRANSFER
        assert step == move_transfer(transfer())  # a retry submits the very same transfer
        assert in_flight_step(transfer()) == step

    def test_a_review_holds_the_same_movement_pending(self):
        held = transfer(via_hold=True)
        hold = in_flight_step(held)
        assert hold == hold_transfer(held)
        assert hold.flags == int(TransferFlags.PENDING)
        assert hold.id != move_transfer(held).id
        assert (hold.debit_account_id, hold.amount) == (move_transfer(held).debit_account_id, 1234)

    def test_post_and_void_name_the_hold(self):
        held = transfer(via_hold=True, status=S.HELD_FOR_REVIEW)
        post, void = post_transfer(held), void_transfer(held)
        assert post.pending_id == void.pending_id == hold_transfer(held).id
        assert post.flags == int(TransferFlags.POST_PENDING_TRANSFER)
        assert post.amount == AMOUNT_MAX
        assert void.flags == int(TransferFlags.VOID_PENDING_TRANSFER)
        assert len({post.id, void.id, hold_transfer(held).id}) == 3


class TestRiskEventIds:
    def test_round_trip_and_length(self):
        transfer_id = 2**128 - 2
        event_id = risk_event_id(transfer_id)
        assert len(event_id) <= EVENT_ID_MAX
        assert transfer_of(event_id) == transfer_id

    @pytest.mark.parametrize("event_id", ["trade:12:alice", "transfer:", "transfer:x1", "t:1"])
    def test_other_event_ids_are_not_transfers(self, event_id: str):
        assert transfer_of(event_id) is None


class TestEvents:
    @pytest.mark.parametrize(
        ("status", "topic"),
        [
            (S.PENDING_CHALLENGE, "transfer.challenged"),
            (S.HELD_FOR_REVIEW, "transfer.held"),
            (S.COMPLETED, "transfer.completed"),
            (S.RETURNED, "transfer.returned"),
            (S.REJECTED, "transfer.rejected"),
            (S.FAILED, "transfer.failed"),
        ],
    )
    def test_each_settled_status_is_announced(self, status: TransferStatus, topic: str):
        record = events.transfer_status_event(transfer(status=status), NOW)
        assert record is not None
        assert (record.topic, record.key) == (topic, str(transfer().id))
        assert topic in events.TRANSFER_TOPICS
        assert topic not in events.TOPICS  # not a merchant's webhook

    def test_processing_is_not_announced(self):
        assert events.transfer_status_event(transfer(), NOW) is None

    def test_the_body_carries_integer_minor_units(self):
        record = events.transfer_status_event(transfer(status=S.COMPLETED, completed_at=NOW), NOW)
        assert record is not None
        body = json.loads(record.payload)["data"]
        assert body["amount"] == 1234
        assert body["currency"] == "CNY"
        assert body["id"] == str(transfer().id)
        assert (body["sender_id"], body["recipient_id"]) == ("alice", "bob")


class TestAmlMovement:
    def test_a_completed_transfer_is_an_account_to_account_movement(self):
        done = transfer(status=S.COMPLETED, completed_at=NOW)
        body = events.transfer_body(done)
        movement = transfer_movement_of(body)
        assert movement is not None
        assert (movement.payer, movement.payee, movement.source) == ("alice", "bob", "transfer")
        assert movement.amount == Money(1234, "CNY")
        assert movement.occurred_at == NOW
        assert movement.movement_id == f"transfer:{done.id}"

    def test_an_uncompleted_transfer_is_no_movement(self):
        assert transfer_movement_of(events.transfer_body(transfer())) is None
