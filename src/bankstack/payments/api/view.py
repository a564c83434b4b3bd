"""What the cashier page says about a trade, computed from it (pure: no I/O, no HTML).

The page speaks of a trade in the customer's words, not the state machine's: ``waiting``
past its timeout is already *expired* to the customer even before the worker closes it, a
trade closed at or after its timeout *expired*, a closed trade that had been paid was
*refunded*, and any other closed one was *closed* by the merchant. Amounts are the kernel's
exact decimal string with the currency's symbol in front and thousands grouped; times are
UTC, and the time left is rounded down to the minute, so it never promises too much.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from bankstack.kernel.clock import NS_PER_SECOND, ns_to_datetime
from bankstack.kernel.money import Money
from bankstack.payments.domain import Trade, TradeStatus

# Symbols shown before an amount; the ISO code is always shown next to it as well, so a
# symbol two currencies share (CNY and JPY both use ¥) is never ambiguous.
CURRENCY_SYMBOLS: Final[dict[str, str]] = {
    "CNY": "¥",
    "JPY": "¥",
    "HKD": "HK$",
    "MOP": "MOP$",
    "TWD": "NT$",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "SGD": "S$",
    "AUD": "A$",
    "CAD": "C$",
    "KRW": "₩",
    "INR": "₹",
    "THB": "฿",
    "PHP": "₱",
    "VND": "₫",
}

Tone = Literal["ok", "info", "warn", "error"]


class Phase(StrEnum):
    WAITING = "waiting"
    PROCESSING = "processing"
    PAID = "paid"
    CLOSED = "closed"
    EXPIRED = "expired"
    REFUNDED = "refunded"


# phase -> (label, explanation, tone of the badge)
_WORDING: Final[dict[Phase, tuple[str, str, Tone]]] = {
    Phase.WAITING: ("Waiting for payment", "Choose your wallet below and tap Pay.", "info"),
    Phase.PROCESSING: (
        "Payment in progress",
        "Your payment is being confirmed. This page refreshes by itself.",
        "info",
    ),
    Phase.PAID: ("Paid", "Payment received. Thank you!", "ok"),
    Phase.CLOSED: (
        "Closed",
        "The merchant closed this order. It can no longer be paid.",
        "warn",
    ),
    Phase.EXPIRED: (
        "Expired",
        (
            "This order was not paid in time and can no longer be paid. "
            "Ask the merchant for a new code."
        ),
        "warn",
    ),
    Phase.REFUNDED: ("Refunded", "This order was paid and then refunded in full.", "warn"),
}


@dataclass(frozen=True, slots=True)
class Notice:
    """A message above the page: the outcome of the customer's last action."""

    tone: Tone
    title: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeView:
    trade_id: str
    merchant_name: str
    subject: str
    amount: str
    currency: str
    phase: Phase
    label: str
    explanation: str
    tone: Tone
    expires_at_iso: str
    expires_at_text: str
    time_left: str | None
    paid_at_text: str | None
    cashier_url: str

    @property
    def payable(self) -> bool:
        return self.phase is Phase.WAITING

    @property
    def shows_qr(self) -> bool:
        return self.phase in {Phase.WAITING, Phase.PROCESSING}


def phase_of(trade: Trade, now_ns: int) -> Phase:
    if trade.status is TradeStatus.SUCCEEDED:
        return Phase.PAID
    if trade.status is TradeStatus.PROCESSING:
        return Phase.PROCESSING
    if trade.status is TradeStatus.WAITING:
        return Phase.EXPIRED if trade.is_expired(now_ns) else Phase.WAITING
    if trade.paid_at is not None:
        return Phase.REFUNDED
    if trade.closed_at is not None and trade.closed_at >= trade.expires_at:
        return Phase.EXPIRED
    return Phase.CLOSED


def format_amount(money: Money) -> str:
    """``Money(123456, "CNY")`` -> ``"¥1,234.56"``; without a known symbol ``"1,234.56"``."""
    text = money.format()
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, frac = digits.partition(".")
    grouped = f"{int(whole):,}"
    return f"{sign}{CURRENCY_SYMBOLS.get(money.asset, '')}{grouped}{dot}{frac}"


def format_time_left(remaining_ns: int) -> str:
    """Rounded down to the minute: ``"1 h 59 min"``, ``"3 min"``, ``"less than a minute"``."""
    minutes = max(remaining_ns, 0) // (60 * NS_PER_SECOND)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    if mins:
        return f"{mins} min"
    return "less than a minute"


def format_utc(ns: int) -> str:
    return ns_to_datetime(ns).strftime("%Y-%m-%d %H:%M UTC")


def trade_view(trade: Trade, *, merchant_name: str, cashier_url: str, now_ns: int) -> TradeView:
    phase = phase_of(trade, now_ns)
    label, explanation, tone = _WORDING[phase]
    moment = ns_to_datetime(trade.expires_at).replace(microsecond=0)
    return TradeView(
        trade_id=str(trade.id),
        merchant_name=merchant_name,
        subject=trade.subject,
        amount=format_amount(trade.amount),
        currency=trade.currency,
        phase=phase,
        label=label,
        explanation=explanation,
        tone=tone,
        expires_at_iso=moment.isoformat().replace("+00:00", "Z"),
        expires_at_text=format_utc(trade.expires_at),
        time_left=format_time_left(trade.expires_at - now_ns) if phase is Phase.WAITING else None,
        paid_at_text=format_utc(trade.paid_at) if trade.paid_at is not None else None,
        cashier_url=cashier_url,
    )
