"""Payments trades and refunds as the Alipay protocol reports them.

- ``trade_no`` is the payments trade id as a decimal string (at most 39 digits, within the
  protocol's 64 characters); ``parse_trade_no`` turns it back, and anything that cannot be
  one of ours is simply a trade that does not exist.
- Status: ``waiting`` and ``processing`` (a payment in flight) are ``WAIT_BUYER_PAY``;
  ``succeeded`` is ``TRADE_SUCCESS``; ``closed`` (closed unpaid, or everything paid was
  refunded) is ``TRADE_CLOSED``. ``TRADE_FINISHED`` means "paid, and no longer refundable";
  payments has no refund deadline (a paid trade stays refundable until refunded in full), so
  it is never reported.
- ``buyer_id`` is the payments customer who paid (or, before payment, the one the trade is
  for); ``buyer_logon_id`` is that id masked, as the protocol shows a logon name.

``view_from_event`` reads a trade as an outbox event carried it (``payments.events`` payload
``data``): the state at that event, not the state now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bankstack.gateway.alipay.commands import ASSET, RefundView, TradeStatus, TradeView
from bankstack.kernel.ids import U128_MAX
from bankstack.kernel.money import Money
from bankstack.payments import Refund, Trade, TradeNotFound
from bankstack.payments import TradeStatus as PaymentsStatus

_STATUS: Final[dict[str, TradeStatus]] = {
    PaymentsStatus.WAITING.value: TradeStatus.WAIT_BUYER_PAY,
    PaymentsStatus.PROCESSING.value: TradeStatus.WAIT_BUYER_PAY,
    PaymentsStatus.SUCCEEDED.value: TradeStatus.TRADE_SUCCESS,
    PaymentsStatus.CLOSED.value: TradeStatus.TRADE_CLOSED,
}
_MAX_DIGITS: Final = len(str(U128_MAX))
_SHOWN_HEAD: Final = 3
_SHOWN_TAIL: Final = 4
_MASK_ABOVE: Final = 10  # ids this long show head and tail; shorter ones only their first char


def trade_no(trade_id: int) -> str:
    return str(trade_id)


def parse_trade_no(text: str) -> int:
    """The trade id a ``trade_no`` stands for; raises ``TradeNotFound`` if it stands for none."""
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        value = int(text)
        if 0 < value <= U128_MAX:
            return value
    raise TradeNotFound("no such trade", trade=text)


def alipay_status(status: str) -> TradeStatus:
    return _STATUS[status]


def mask(customer_id: str | None) -> str | None:
    """``2088000000000101`` -> ``208****0101``; short ids keep only their first character."""
    if not customer_id:
        return None
    if len(customer_id) > _MASK_ABOVE:
        return f"{customer_id[:_SHOWN_HEAD]}****{customer_id[-_SHOWN_TAIL:]}"
    return f"{customer_id[0]}***"


def _nonzero(amount: Money) -> Money | None:
    return amount if amount.minor else None


def trade_view(
    trade: Trade, *, qr_code: str | None = None, refunded_at_ns: int | None = None
) -> TradeView:
    buyer = trade.payer_id or trade.buyer_id
    return TradeView(
        trade_no=trade_no(trade.id),
        out_trade_no=trade.out_trade_no,
        status=alipay_status(trade.status.value),
        total_amount=trade.amount,
        subject=trade.subject,
        created_at_ns=trade.created_at,
        paid_amount=_nonzero(trade.paid),
        refunded_amount=_nonzero(trade.refunded_amount),
        buyer_id=buyer,
        buyer_logon_id=mask(buyer),
        qr_code=qr_code,
        paid_at_ns=trade.paid_at,
        closed_at_ns=trade.closed_at,
        refunded_at_ns=refunded_at_ns,
    )


def refund_view(trade: Trade, refund: Refund, *, fund_change: bool) -> RefundView:
    buyer = trade.payer_id or trade.buyer_id
    return RefundView(
        trade_no=trade_no(trade.id),
        out_trade_no=trade.out_trade_no,
        out_request_no=refund.out_refund_no,
        refund_amount=refund.amount,
        total_amount=trade.amount,
        refunded_total=trade.refunded_amount,
        fund_change=fund_change,
        refunded_at_ns=refund.succeeded_at or refund.created_at,
        buyer_id=buyer,
        buyer_logon_id=mask(buyer),
    )


def _money(data: Mapping[str, Any], name: str) -> Money:
    value = data[name]
    if type(value) is not int:
        raise TypeError(f"{name} must be an integer of minor units")
    return Money(value, data.get("currency", ASSET))


def _optional_ns(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    return value if type(value) is int else None


def view_from_event(data: Mapping[str, Any], *, refunded_at_ns: int | None = None) -> TradeView:
    """The trade of a ``trade.*`` event payload, as it stood at that event."""
    buyer = data.get("payer_id") or data.get("buyer_id")
    return TradeView(
        trade_no=str(data["id"]),
        out_trade_no=str(data["out_trade_no"]),
        status=alipay_status(str(data["status"])),
        total_amount=_money(data, "amount"),
        subject=str(data["subject"]),
        created_at_ns=int(data["created_at"]),
        paid_amount=_nonzero(_money(data, "paid_amount")),
        refunded_amount=_nonzero(_money(data, "refunded_amount")),
        buyer_id=buyer,
        buyer_logon_id=mask(buyer),
        paid_at_ns=_optional_ns(data, "paid_at"),
        closed_at_ns=_optional_ns(data, "closed_at"),
        refunded_at_ns=refunded_at_ns,
    )
