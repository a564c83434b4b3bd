"""Payments events, written to the outbox in the same transaction as the change they report.

Topics: ``trade.created``, ``trade.succeeded``, ``trade.closed``, ``refund.succeeded``,
``refund.failed``, ``escrow.held``, ``escrow.released``, ``escrow.refunded``,
``escrow.disputed``. The record key is the object's id (decimal string). The payload is the
whole object as it stands after the change, JSON with ids as decimal strings, amounts as
integer minor units next to their ``currency``, and the object's ``version``: versions only
grow, so a consumer that sees events twice or out of order keeps the highest version.
An escrow is its own object (``object: "escrow"``, id = the trade id) with its own version.
"""

from __future__ import annotations

import json
from typing import Any, Final

from bankstack.kernel.events import OutboxRecord
from bankstack.payments.domain import Trade
from bankstack.payments.records import Refund

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
