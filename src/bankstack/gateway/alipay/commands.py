"""The typed commands the Alipay gateway hands to the trades port, and the results it reads.

The gateway turns each ``biz_content`` into one of these after validating every field the
protocol defines, so a port implementation never sees a raw string amount or an unchecked
``out_trade_no``. Amounts are ``Money`` in CNY (the protocol's ``total_amount`` is yuan with
two decimals); times are nanoseconds since the epoch, rendered in Beijing time by the gateway.

A trade is named by ``TradeRef``: the protocol lets a merchant give ``trade_no`` (ours),
``out_trade_no`` (theirs) or both, and ``trade_no`` wins; the gateway applies that rule, so a
``TradeRef`` always carries exactly one of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bankstack.kernel.money import Money

ASSET: Final = "CNY"


class SignType(StrEnum):
    RSA2 = "RSA2"  # SHA256withRSA, keys of at least 2048 bits
    RSA = "RSA"  # SHA1withRSA, the legacy algorithm


class TradeStatus(StrEnum):
    WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
    TRADE_CLOSED = "TRADE_CLOSED"  # unpaid and closed, or fully refunded
    TRADE_SUCCESS = "TRADE_SUCCESS"  # paid; refundable
    TRADE_FINISHED = "TRADE_FINISHED"  # paid and past the refund period


class Scene(StrEnum):
    BAR_CODE = "bar_code"
    WAVE_CODE = "wave_code"


class CancelAction(StrEnum):
    CLOSE = "close"  # the trade was unpaid and is now closed
    REFUND = "refund"  # the trade was paid and is now refunded in full
    NONE = ""  # nothing had to be done (already closed by an earlier cancel)


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeRef:
    """One trade of one merchant, by ``trade_no`` or else by ``out_trade_no``."""

    merchant_id: str
    trade_no: str | None = None
    out_trade_no: str | None = None

    def __post_init__(self) -> None:
        if (self.trade_no is None) == (self.out_trade_no is None):
            msg = "a TradeRef names a trade by exactly one of trade_no and out_trade_no"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeOrder:
    """What every new trade carries; ``out_trade_no`` is the merchant's idempotency key.

    The same ``out_trade_no`` with the same order must return the existing trade (the same QR
    code); with a different order it must fail with ``out_trade_no_conflict``.
    """

    app_id: str
    merchant_id: str
    out_trade_no: str
    total_amount: Money
    subject: str
    body: str | None = None
    timeout_s: int | None = None  # from timeout_express; None: the service's default
    notify_url: str | None = None  # where trade status changes are to be notified
    operator_id: str | None = None
    store_id: str | None = None
    terminal_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Precreate:
    """A merchant-presented QR code (``alipay.trade.precreate``)."""

    order: TradeOrder


@dataclass(frozen=True, slots=True, kw_only=True)
class PayByCode:
    """Charge the code a buyer shows (``alipay.trade.pay``)."""

    order: TradeOrder
    scene: Scene
    auth_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTrade:
    """A trade for a known buyer, paid in the buyer's app (``alipay.trade.create``)."""

    order: TradeOrder
    buyer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund:
    """Refund part or all of a paid trade, at most once per ``out_request_no``.

    ``out_request_no`` None means the merchant gave none: the protocol then names the refund
    by the trade's ``out_trade_no`` (one full-or-partial refund per trade).
    """

    ref: TradeRef
    refund_amount: Money
    out_request_no: str | None = None
    reason: str | None = None
    operator_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundQuery:
    ref: TradeRef
    out_request_no: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseTrade:
    ref: TradeRef
    operator_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTrade:
    """Reverse a trade whatever its state: close it if unpaid, refund it in full if paid."""

    ref: TradeRef


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeView:
    """A trade as the protocol reports it."""

    trade_no: str
    out_trade_no: str
    status: TradeStatus
    total_amount: Money
    subject: str
    created_at_ns: int
    paid_amount: Money | None = None  # what the buyer paid (buyer_pay_amount, receipt_amount)
    refunded_amount: Money | None = None  # refunded so far (refund_fee)
    buyer_id: str | None = None
    buyer_logon_id: str | None = None  # masked, e.g. "159****5620"
    qr_code: str | None = None
    paid_at_ns: int | None = None
    closed_at_ns: int | None = None
    refunded_at_ns: int | None = None  # the latest refund


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundView:
    trade_no: str
    out_trade_no: str
    out_request_no: str
    refund_amount: Money  # this refund
    total_amount: Money  # the trade's amount
    refunded_total: Money  # every refund of the trade so far, this one included
    fund_change: bool  # False when this answer replays an earlier, identical refund
    refunded_at_ns: int
    buyer_id: str | None = None
    buyer_logon_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOutcome:
    trade_no: str
    out_trade_no: str
    action: CancelAction
    retry: bool = False  # True: the cancel did not complete; the merchant should call again
    refunded_at_ns: int | None = None
