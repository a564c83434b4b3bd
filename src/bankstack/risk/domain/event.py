"""What the risk engine is asked about: one event, pure data.

Every money-moving or security-relevant action becomes a ``RiskEvent`` before it happens:
a payment, a customer transfer, a login, a loan application, a change to an account (phone,
device, payout details). The engine decides on the event, then remembers it in its velocity
windows and link graph, so the next event sees it.

Amounts are ``Money`` (integer minor units); features derived from them stay integers.
``attributes`` carries what only one kind has (a loan application's answers, the field an
account change touches): strings, integers and booleans only, never floats. ``subject`` names
what the action concerns in the caller's own terms (the trade paid, the transfer sent), so
that a case can show it to staff without risk knowing how callers make their event ids; no
feature, rule or model reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from bankstack.kernel.money import Money

AttributeValue = str | int | bool
EVENT_ID_MAX = 128  # risk_decisions.event_id; a payment's "trade:<id>:<payer>" is up to 110


class EventKind(StrEnum):
    PAYMENT = "payment"  # a customer pays a merchant (QR, barcode, wallet)
    TRANSFER = "transfer"  # a customer sends money to another customer or account
    LOGIN = "login"
    LOAN_APPLICATION = "loan_application"
    ACCOUNT_CHANGE = "account_change"  # phone, device, payout account, limits

    @property
    def moves_money(self) -> bool:
        return self in {EventKind.PAYMENT, EventKind.TRANSFER}


_EMPTY: Mapping[str, AttributeValue] = MappingProxyType({})
SUBJECT_KINDS = frozenset({"trade", "transfer"})


@dataclass(frozen=True, slots=True)
class EventSubject:
    """The object an event is about: ``("trade", "<id>")`` or ``("transfer", "<id>")``."""

    kind: str
    ref_id: str

    def __post_init__(self) -> None:
        if self.kind not in SUBJECT_KINDS:
            raise ValueError(f"a subject is one of {sorted(SUBJECT_KINDS)}, not {self.kind!r}")
        if not self.ref_id or len(self.ref_id) > EVENT_ID_MAX:
            raise ValueError(f"a subject needs an id of 1-{EVENT_ID_MAX} characters")


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskEvent:
    event_id: str  # the caller's id for the action (trade id, transfer id ...): replays use it
    kind: EventKind
    occurred_at: int  # ns since the epoch
    customer_id: str  # who acts
    amount: Money | None = None  # payments and transfers (and a loan's requested amount)
    counterparty_id: str | None = None  # who receives (a customer, an account) for transfers
    merchant_id: str | None = None  # the merchant of a payment
    device_id: str | None = None
    ip: str | None = None
    phone: str | None = None
    channel: str = "api"
    customer_since: int | None = None  # ns: when the customer's account was opened
    attributes: Mapping[str, AttributeValue] = field(default_factory=lambda: _EMPTY)
    subject: EventSubject | None = None

    def __post_init__(self) -> None:
        if not self.event_id or len(self.event_id) > EVENT_ID_MAX:
            raise ValueError(f"a risk event needs an event_id of 1-{EVENT_ID_MAX} characters")
        if self.kind.moves_money and self.amount is None:
            raise ValueError(f"a {self.kind} event needs an amount")
        for name, value in self.attributes.items():
            if isinstance(value, float):
                raise TypeError(f"attribute {name!r} is a float; use integers or strings")

    @property
    def payee(self) -> str | None:
        """Whoever receives the money: the merchant of a payment, else the counterparty."""
        return self.merchant_id or self.counterparty_id
