"""The ``/v1`` wire shapes of payments objects: amounts, trades, refunds (spec G).

Amounts are ``{"amount": <minor units>, "currency": "CNY"}``; times RFC 3339 UTC; ids
prefixed (``trd_``, ``rfd_``; ``tfr_`` for the customer transfers ``/admin`` shows)
32-hex-digit forms of the payments ids. Test and live data are kept apart by scoping merchant
and customer ids: a test-mode app works on ``test.<id>``, a namespace live ids cannot enter,
and every object says which mode it is in (``livemode``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from bankstack.kernel.errors import NotFound
from bankstack.kernel.money import Money
from bankstack.payments import Trade, TradeNotFound, TransferNotFound
from bankstack.payments.records import CustomerTransfer, Refund

TRADE_PREFIX: Final = "trd_"
REFUND_PREFIX: Final = "rfd_"
TRANSFER_PREFIX: Final = "tfr_"
TEST_SCOPE: Final = "test."


class AmountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Annotated[StrictInt, Field(gt=0, le=2**63 - 1, description="Minor units")]
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]

    def money(self) -> Money:
        return Money(self.amount, self.currency)


def scoped(party_id: str, *, livemode: bool) -> str:
    """The payments-side id of a merchant or customer for this mode."""
    return party_id if livemode else TEST_SCOPE + party_id


def unscoped(party_id: str | None) -> str | None:
    return party_id.removeprefix(TEST_SCOPE) if party_id is not None else None


def trade_id(public_id: str) -> int:
    return _parse(public_id, TRADE_PREFIX)


def transfer_id(public_id: str) -> int:
    return _parse(public_id, TRANSFER_PREFIX, TransferNotFound)


def _parse(public_id: str, prefix: str, missing: type[NotFound] = TradeNotFound) -> int:
    digits = public_id.removeprefix(prefix)
    if not public_id.startswith(prefix) or len(digits) != 32:  # noqa: PLR2004 - 128 bits
        raise missing(f"no such object: {public_id}")
    try:
        return int(digits, 16)
    except ValueError as error:
        raise missing(f"no such object: {public_id}") from error


def money_view(money: Money) -> dict[str, Any]:
    return {"amount": money.minor, "currency": money.asset}


def _time(ns: int | None) -> str | None:
    if ns is None:
        return None
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")


def trade_view(trade: Trade, *, livemode: bool, cashier_url: str) -> dict[str, Any]:
    escrow = trade.escrow
    return {
        "object": "trade",
        "id": f"{TRADE_PREFIX}{trade.id:032x}",
        "out_trade_no": trade.out_trade_no,
        "merchant_id": unscoped(trade.merchant_id),
        "livemode": livemode,
        "status": str(trade.status),
        "subject": trade.subject,
        "amount": money_view(trade.amount),
        "paid": money_view(trade.paid),
        "refunded": money_view(trade.refunded_amount),
        "fee": money_view(trade.split.fee),
        "net": money_view(trade.split.net),
        "buyer_id": unscoped(trade.buyer_id),
        "payer_id": unscoped(trade.payer_id),
        "cashier_url": cashier_url,
        "created": _time(trade.created_at),
        "expires_at": _time(trade.expires_at),
        "paid_at": _time(trade.paid_at),
        "closed_at": _time(trade.closed_at),
        "escrow": None
        if escrow is None
        else {
            "status": str(escrow.status),
            "deadline_at": _time(escrow.deadline_at),
            "dispute_reason": escrow.dispute_reason,
        },
        "version": trade.version,
    }


def refund_view(refund: Refund, *, livemode: bool) -> dict[str, Any]:
    return {
        "object": "refund",
        "id": f"{REFUND_PREFIX}{refund.id:032x}",
        "trade_id": f"{TRADE_PREFIX}{refund.trade_id:032x}",
        "out_trade_no": refund.out_trade_no,
        "out_refund_no": refund.out_refund_no,
        "livemode": livemode,
        "status": str(refund.status),
        "amount": money_view(refund.amount),
        "reason": refund.reason,
        "failure_code": refund.failure_code,
        "created": _time(refund.created_at),
        "succeeded_at": _time(refund.succeeded_at),
        "version": refund.version,
    }


def transfer_view(transfer: CustomerTransfer) -> dict[str, Any]:
    """A customer transfer as staff see it; the mode is the sender's scope."""
    return {
        "object": "transfer",
        "id": f"{TRANSFER_PREFIX}{transfer.id:032x}",
        "livemode": not transfer.sender.startswith(TEST_SCOPE),
        "status": str(transfer.status),
        "sender": unscoped(transfer.sender),
        "recipient": unscoped(transfer.recipient),
        "amount": money_view(transfer.amount),
        "reference": transfer.reference,
        "decision_id": transfer.decision_id,
        "failure_code": transfer.failure_code,
        "created": _time(transfer.created_at),
        "completed_at": _time(transfer.completed_at),
        "version": transfer.version,
    }


def list_view(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "next_cursor": None}


TradeMethod = Literal["qr", "cashier", "barcode"]
