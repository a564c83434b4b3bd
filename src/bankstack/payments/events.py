"""Payments events, written to the outbox in the same transaction as the change they report.

Topics: ``trade.created``, ``trade.succeeded``, ``trade.closed``, ``refund.succeeded``,
``refund.failed``, ``escrow.held``, ``escrow.released``, ``escrow.refunded``,
``escrow.disputed``. The record key is the object's id (decimal string). The payload is the
whole object as it stands after the change, JSON with ids as decimal strings, amounts as
integer minor units next to their ``currency``, and the object's ``version``: versions only
grow, so a consumer that sees events twice or out of order keeps the highest version.
An escrow is its own object (``object: "escrow"``, id = the trade id) with its own version.

Customer transfers (``transfer.challenged``, ``transfer.held``, ``transfer.completed``,
``transfer.returned``, ``transfer.rejected``, ``transfer.failed``) are ``TRANSFER_TOPICS``, apart
from ``TOPICS``: those are what merchants are told (partner webhooks), and a transfer between
two customers is no merchant's business. The AML feed reads ``transfer.completed``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from bankstack.kernel.events import OutboxRecord
from bankstack.payments.domain import Trade
from bankstack.payments.records import CustomerTransfer, Refund, TransferStatus

TRADE_CREATED: Final = "trade.created"
TRADE_SUCCEEDED: Final = "trade.succeeded"
TRADE_CLOSED: Final = "trade.closed"
REFUND_SUCCEEDED: Final = "refund.succeeded"
REFUND_FAILED: Final = "refund.failed"
ESCROW_HELD: Final = "escrow.held"
ESCROW_RELEASED: Final = "escrow.released"
ESCROW_REFUNDED: Final = "escrow.refunded"
ESCROW_DISPUTED: Final = "escrow.disputed"

TOPICS: Final = (
    TRADE_CREATED,
    TRADE_SUCCEEDED,
    TRADE_CLOSED,
    REFUND_SUCCEEDED,
    REFUND_FAILED,
    ESCROW_HELD,
    ESCROW_RELEASED,
    ESCROW_REFUNDED,
    ESCROW_DISPUTED,
)


TRANSFER_CHALLENGED: Final = "transfer.challenged"
TRANSFER_HELD: Final = "transfer.held"
TRANSFER_COMPLETED: Final = "transfer.completed"
TRANSFER_RETURNED: Final = "transfer.returned"
TRANSFER_REJECTED: Final = "transfer.rejected"
TRANSFER_FAILED: Final = "transfer.failed"

TRANSFER_TOPICS: Final = (
    TRANSFER_CHALLENGED,
    TRANSFER_HELD,
    TRANSFER_COMPLETED,
    TRANSFER_RETURNED,
    TRANSFER_REJECTED,
    TRANSFER_FAILED,
)

# The topic announcing that a transfer reached a status (``processing`` is a step in flight,
# not a state anyone acts on: it is not announced).
_TRANSFER_TOPIC_OF: Final = {
    TransferStatus.PENDING_CHALLENGE: TRANSFER_CHALLENGED,
    TransferStatus.HELD_FOR_REVIEW: TRANSFER_HELD,
    TransferStatus.COMPLETED: TRANSFER_COMPLETED,
    TransferStatus.RETURNED: TRANSFER_RETURNED,
    TransferStatus.REJECTED: TRANSFER_REJECTED,
    TransferStatus.FAILED: TRANSFER_FAILED,
}


def _record(topic: str, key: int, body: dict[str, Any], now: int) -> OutboxRecord:
    payload = {"type": topic, "occurred_at": now, "data": body}
    return OutboxRecord(topic, str(key), json.dumps(payload, sort_keys=True), now)


def trade_body(trade: Trade) -> dict[str, Any]:
    split = trade.split
    return {
        "object": "trade",
        "id": str(trade.id),
        "version": trade.version,
        "status": trade.status.value,
        "merchant_id": trade.merchant_id,
        "out_trade_no": trade.out_trade_no,
        "subject": trade.subject,
        "currency": trade.currency,
        "amount": trade.amount.minor,
        "net": split.net.minor,
        "fee": split.fee.minor,
        "commission": split.commission.minor,
        "paid_amount": trade.paid.minor,
        "refunded_amount": trade.refunded_amount.minor,
        "buyer_id": trade.buyer_id,
        "payer_id": trade.payer_id,
        "created_at": trade.created_at,
        "expires_at": trade.expires_at,
        "paid_at": trade.paid_at,
        "closed_at": trade.closed_at,
        "escrow": trade.escrow_terms is not None,
    }


def escrow_body(trade: Trade) -> dict[str, Any]:
    escrow, terms = trade.held_escrow(), trade.escrow_terms
    return {
        "object": "escrow",
        "id": str(trade.id),
        "trade_id": str(trade.id),
        "version": escrow.version,
        "status": escrow.status.value,
        "merchant_id": trade.merchant_id,
        "currency": trade.currency,
        "amount": trade.amount.minor,
        "deadline_at": escrow.deadline_at,
        "on_deadline": terms.on_deadline.value if terms else None,
        "dispute_reason": escrow.dispute_reason,
        "resolved_by": escrow.resolved_by,
    }


def refund_body(refund: Refund) -> dict[str, Any]:
    return {
        "object": "refund",
        "id": str(refund.id),
        "version": refund.version,
        "status": refund.status.value,
        "trade_id": str(refund.trade_id),
        "merchant_id": refund.merchant_id,
        "out_trade_no": refund.out_trade_no,
        "out_refund_no": refund.out_refund_no,
        "currency": refund.amount.asset,
        "amount": refund.amount.minor,
        "net": refund.legs.net.minor,
        "fee": refund.legs.fee.minor,
        "commission": refund.legs.commission.minor,
        "failure_code": refund.failure_code,
        "succeeded_at": refund.succeeded_at,
    }


def trade_event(topic: str, trade: Trade, now: int) -> OutboxRecord:
    return _record(topic, trade.id, trade_body(trade), now)


def escrow_event(topic: str, trade: Trade, now: int) -> OutboxRecord:
    return _record(topic, trade.id, escrow_body(trade), now)


def refund_event(topic: str, refund: Refund, now: int) -> OutboxRecord:
    return _record(topic, refund.id, refund_body(refund), now)


def transfer_body(transfer: CustomerTransfer) -> dict[str, Any]:
    return {
        "object": "transfer",
        "id": str(transfer.id),
        "version": transfer.version,
        "status": transfer.status.value,
        "sender_id": transfer.sender,
        "recipient_id": transfer.recipient,
        "reference": transfer.reference,
        "currency": transfer.currency,
        "amount": transfer.amount.minor,
        "decision_id": transfer.decision_id,
        "failure_code": transfer.failure_code,
        "created_at": transfer.created_at,
        "completed_at": transfer.completed_at,
    }


def transfer_event(topic: str, transfer: CustomerTransfer, now: int) -> OutboxRecord:
    return _record(topic, transfer.id, transfer_body(transfer), now)


def transfer_status_event(transfer: CustomerTransfer, now: int) -> OutboxRecord | None:
    """The event announcing the status ``transfer`` is in, or None for ``processing``."""
    topic = _TRANSFER_TOPIC_OF.get(transfer.status)
    return None if topic is None else transfer_event(topic, transfer, now)
