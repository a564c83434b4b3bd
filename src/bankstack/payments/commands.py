"""What callers send to the payments service and what they get back, with input checks.

Commands are frozen dataclasses that validate themselves on construction, so a service
method never sees a malformed one: partner numbers (``out_trade_no``, ``out_refund_no``)
are 1-64 of ``[A-Za-z0-9_-]``; merchant, partner and customer ids 1-64 of
``[A-Za-z0-9_.-]`` (no ``:``, which separates the parts of derived ledger ids); amounts are
``Money`` greater than zero and within the ledger's 64-bit range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from bankstack.kernel.money import Money
from bankstack.ledger import AMOUNT_MAX
from bankstack.payments.accounts import customer_transfer_id, ledger_of
from bankstack.payments.domain import Trade
from bankstack.payments.errors import InvalidPaymentRequest, TransferToSelf
from bankstack.payments.records import DeadlineAction, EscrowTerms, Refund

PARTNER_NO: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
PARTY_ID: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SUBJECT_MAX: Final = 256
DEFAULT_TIMEOUT_S: Final = 2 * 3600  # a QR code is valid two hours, as Alipay's
TIMEOUT_RANGE_S: Final = (60, 15 * 86_400)
ESCROW_DEADLINE_RANGE_S: Final = (1, 180 * 86_400)


def check_pattern(value: object, pattern: re.Pattern[str], field_name: str) -> None:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise InvalidPaymentRequest(
            f"{field_name} must match {pattern.pattern}", field=field_name, value=repr(value)
        )


def check_amount(amount: object, field_name: str = "amount") -> None:
    if not isinstance(amount, Money) or not 0 < amount.minor <= AMOUNT_MAX:
        raise InvalidPaymentRequest(
            f"{field_name} must be Money above zero", field=field_name, value=repr(amount)
        )


def _text(value: object, longest: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest


def check_range(value: object, bounds: tuple[int, int], field_name: str) -> None:
    low, high = bounds
    if type(value) is not int or not low <= value <= high:
        raise InvalidPaymentRequest(
            f"{field_name} must be an int in [{low}, {high}]", field=field_name
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterMerchant:
    merchant_id: str
    name: str
    currency: str
    fee_rate: Decimal
    partner_id: str | None = None
    commission_rate: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        check_pattern(self.merchant_id, PARTY_ID, "merchant_id")
        if self.partner_id is not None:
            check_pattern(self.partner_id, PARTY_ID, "partner_id")
        elif self.commission_rate != 0:
            raise InvalidPaymentRequest("a commission needs a partner", field="commission_rate")
        if not self.name or len(self.name) > SUBJECT_MAX:
            raise InvalidPaymentRequest("name must be 1-256 characters", field="name")


@dataclass(frozen=True, slots=True, kw_only=True)
class FundWallet:
    """Money entering a wallet from outside (a top-up), idempotent by ``reference``."""

    customer_id: str
    amount: Money
    reference: str

    def __post_init__(self) -> None:
        check_pattern(self.customer_id, PARTY_ID, "customer_id")
        check_pattern(self.reference, PARTNER_NO, "reference")
        check_amount(self.amount)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTrade:
    """A trade to pay by QR (``precreate``), at the cashier (``create``) or by code.

    ``buyer_id`` fixes who may pay; ``escrow`` makes it a guaranteed transaction.
    Creating again with the same ``out_trade_no`` and the same parameters returns the
    existing trade; with different ones it raises ``out_trade_no_conflict``.
    """

    merchant_id: str
    out_trade_no: str
    amount: Money
    subject: str
    buyer_id: str | None = None
    timeout_s: int = DEFAULT_TIMEOUT_S
    escrow: EscrowTerms | None = None

    def __post_init__(self) -> None:
        check_pattern(self.merchant_id, PARTY_ID, "merchant_id")
        check_pattern(self.out_trade_no, PARTNER_NO, "out_trade_no")
        check_amount(self.amount)
        if not _text(self.subject, SUBJECT_MAX):
            raise InvalidPaymentRequest("subject must be 1-256 characters", field="subject")
        if self.buyer_id is not None:
            check_pattern(self.buyer_id, PARTY_ID, "buyer_id")
        check_range(self.timeout_s, TIMEOUT_RANGE_S, "timeout_s")
        if self.escrow is not None:
            check_range(self.escrow.deadline_s, ESCROW_DEADLINE_RANGE_S, "escrow.deadline_s")
            if not isinstance(self.escrow.on_deadline, DeadlineAction):
                raise InvalidPaymentRequest(
                    "escrow.on_deadline must be release or refund", field="escrow.on_deadline"
                )


@dataclass(frozen=True, slots=True, kw_only=True)
class PayByCode:
    """Barcode payment: create (or find) the trade and pay it with the customer's code."""

    trade: CreateTrade
    auth_code: str

    def __post_init__(self) -> None:
        if not _text(self.auth_code, 32) or not self.auth_code.isdigit():
            raise InvalidPaymentRequest("auth_code must be digits", field="auth_code")


@dataclass(frozen=True, slots=True)
class TradeRef:
    """Names a trade by id or by ``(merchant_id, out_trade_no)``; the id wins when both are
    given. With ``merchant_id`` next to an id, a trade of another merchant is not found."""

    trade_id: int | None = None
    merchant_id: str | None = None
    out_trade_no: str | None = None

    def __post_init__(self) -> None:
        if self.trade_id is None and (self.merchant_id is None or self.out_trade_no is None):
            raise InvalidPaymentRequest(
                "name a trade by trade_id or by merchant_id and out_trade_no", field="trade"
            )

    @classmethod
    def by_id(cls, trade_id: int, merchant_id: str | None = None) -> TradeRef:
        return cls(trade_id=trade_id, merchant_id=merchant_id)

    @classmethod
    def by_out_trade_no(cls, merchant_id: str, out_trade_no: str) -> TradeRef:
        return cls(merchant_id=merchant_id, out_trade_no=out_trade_no)


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundTrade:
    trade: TradeRef
    out_refund_no: str
    amount: Money
    reason: str = ""

    def __post_init__(self) -> None:
        check_pattern(self.out_refund_no, PARTNER_NO, "out_refund_no")
        check_amount(self.amount, "refund_amount")
        if len(self.reason) > SUBJECT_MAX:
            raise InvalidPaymentRequest("reason is at most 256 characters", field="reason")


@dataclass(frozen=True, slots=True, kw_only=True)
class SendMoney:
    """A customer sends ``amount`` to another customer's wallet in the same currency.

    ``reference`` is the sender's idempotency key: sending again with the same reference and
    the same recipient and amount answers that transfer, with others raises
    ``transfer_reference_conflict``.
    """

    sender: str
    recipient: str
    amount: Money
    reference: str

    def __post_init__(self) -> None:
        check_pattern(self.sender, PARTY_ID, "sender")
        check_pattern(self.recipient, PARTY_ID, "recipient")
        check_pattern(self.reference, PARTNER_NO, "reference")
        check_amount(self.amount)
        ledger_of(self.amount.asset)  # raises currency_not_supported
        if self.sender == self.recipient:
            raise TransferToSelf("a customer cannot send money to themselves", field="recipient")

    @property
    def transfer_id(self) -> int:
        return customer_transfer_id(self.sender, self.reference)


@dataclass(frozen=True, slots=True)
class TransferRef:
    """Names a customer transfer by id, or by its sender and reference (which derive it)."""

    transfer_id: int

    @classmethod
    def by_reference(cls, sender: str, reference: str) -> TransferRef:
        check_pattern(sender, PARTY_ID, "sender")
        check_pattern(reference, PARTNER_NO, "reference")
        return cls(customer_transfer_id(sender, reference))


@dataclass(frozen=True, slots=True)
class PrecreateResult:
    trade: Trade
    qr_code: str
    """What the QR code encodes: the cashier URL of the trade."""
    qr_svg: str
    """The QR code as an SVG document."""


@dataclass(frozen=True, slots=True)
class CancelResult:
    trade: Trade
    action: str
    """``close`` (was unpaid), ``refund`` (paid: refunded in full) or ``none`` (already closed)."""
    refund: Refund | None = None


@dataclass(frozen=True, slots=True)
class WalletBalance:
    account_id: int
    posted: Money
    """Credits minus debits posted."""
    available: Money
    """Posted minus what pending transfers (escrow holds) reserve."""


@dataclass(frozen=True, slots=True)
class DueReport:
    expired: int = 0
    escrow_released: int = 0
    escrow_refunded: int = 0
    recovered: int = 0
    failures: tuple[str, ...] = field(default_factory=tuple)
