"""The other payments records: merchants, wallets, escrow, refunds, payment codes, risk
checks and customer transfers (pure).

A refund is ``processing`` from the moment its amount is reserved on the trade until the
ledger answers; then ``succeeded``, or ``failed`` with the reason (the reservation is
released). A failed refund may be retried under the same ``out_refund_no``: it becomes
``processing`` again with the next ``attempt``, which names fresh ledger transfer ids.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bankstack.kernel.money import Money
from bankstack.payments.fees import Split, ppm_to_rate


class EscrowStatus(StrEnum):
    HELD = "held"
    DISPUTED = "disputed"
    RELEASING = "releasing"
    REFUNDING = "refunding"
    RELEASED = "released"
    REFUNDED = "refunded"


class DeadlineAction(StrEnum):
    RELEASE = "release"
    REFUND = "refund"


class DisputeOutcome(StrEnum):
    SELLER = "seller"
    BUYER = "buyer"


@dataclass(frozen=True, slots=True)
class EscrowTerms:
    """Hold the payment until the buyer confirms, at most ``deadline_s`` after payment."""

    deadline_s: int
    on_deadline: DeadlineAction = DeadlineAction.REFUND


@dataclass(frozen=True, slots=True, kw_only=True)
class Escrow:
    status: EscrowStatus
    deadline_at: int
    version: int = 1
    dispute_reason: str | None = None
    resolved_by: str | None = None


class RefundStatus(StrEnum):
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Merchant:
    """A merchant: settles in one currency into its own ledger account.

    ``fee_ppm`` and ``commission_ppm`` are the platform fee and the partner (ISV)
    commission, in parts per million of the trade amount (see fees.py).
    """

    id: str
    name: str
    currency: str
    fee_ppm: int
    settlement_account_id: int
    partner_id: str | None = None
    commission_ppm: int = 0
    partner_account_id: int | None = None
    created_at: int = 0

    @property
    def fee_rate(self) -> Decimal:
        return ppm_to_rate(self.fee_ppm)

    @property
    def commission_rate(self) -> Decimal:
        return ppm_to_rate(self.commission_ppm)

    def same_terms(self, other: Merchant) -> bool:
        """True when ``other`` registers this merchant again with the same terms."""
        mine = dataclasses.replace(self, created_at=0)
        return mine == dataclasses.replace(other, created_at=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Wallet:
    """A customer's wallet in one currency: a ledger account that cannot go negative."""

    customer_id: str
    currency: str
    account_id: int
    created_at: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund:
    id: int
    trade_id: int
    merchant_id: str
    out_trade_no: str
    out_refund_no: str
    amount: Money
    legs: Split
    status: RefundStatus
    attempt: int
    payee_account_id: int
    created_at: int
    reason: str = ""
    failure_code: str | None = None
    processing_since: int | None = None
    succeeded_at: int | None = None
    version: int = 1

    def _next(self, **changes: object) -> Refund:
        return dataclasses.replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]

    def succeed(self, now: int) -> Refund:
        return self._next(status=RefundStatus.SUCCEEDED, succeeded_at=now, processing_since=None)

    def fail(self, code: str) -> Refund:
        return self._next(status=RefundStatus.FAILED, failure_code=code, processing_since=None)

    def retry(self, legs: Split, now: int) -> Refund:
        return self._next(
            status=RefundStatus.PROCESSING,
            legs=legs,
            attempt=self.attempt + 1,
            failure_code=None,
            processing_since=now,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentCode:
    """A customer's one-time payment code, as shown in the wallet app as a barcode.

    Only the code's SHA-256 is stored; the code itself is returned once, when issued.
    """

    code_hash: str
    customer_id: str
    issued_at: int
    expires_at: int
    used_at: int | None = None
    trade_id: int | None = None


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str
    customer_id: str
    expires_at: int


class RiskCheckStatus(StrEnum):
    """Where a risk check of one payer on one trade stands (risk/ decided; payments acts)."""

    REJECTED = "rejected"  # the payer may not pay this trade
    CHALLENGED = "challenged"  # a one-time code was sent; the payer must confirm it
    CONFIRMED = "confirmed"  # the payer confirmed the code: the payment may go ahead
    HELD = "held"  # paid into a hold until the review case is decided
    RELEASED = "released"  # the case cleared the payer: the hold paid the merchant
    RETURNED = "returned"  # the case confirmed fraud: the hold was voided, the trade closed


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskCheck:
    trade_id: int
    payer_id: str
    decision_id: str
    status: RiskCheckStatus
    created_at: int
    updated_at: int
    code_hash: str | None = None  # SHA-256 of the one-time code; the code itself is never stored
    code_expires_at: int | None = None
    code_attempts: int = 0
    hold_attempt: int | None = None  # the trade's pay_attempt that the hold belongs to

    def moved(self, status: RiskCheckStatus, now: int, **changes: object) -> RiskCheck:
        return dataclasses.replace(self, status=status, updated_at=now, **changes)  # type: ignore[arg-type]


class TransferStatus(StrEnum):
    """Where a customer-to-customer transfer stands (p2p.py moves it; p2p_review.py ends a
    hold). ``processing`` marks a ledger step in flight, so a retry or the worker resumes that
    step instead of starting another; ``failed`` is final, as the ledger's memory of the
    declined id is: the sender sends again under a new reference."""

    PROCESSING = "processing"  # accepted (or confirmed): the move or the hold is in flight
    PENDING_CHALLENGE = "pending_challenge"  # a one-time code was sent to the sender
    HELD_FOR_REVIEW = "held_for_review"  # the sender's money is reserved until the case ends
    COMPLETED = "completed"  # the recipient has the money
    REJECTED = "rejected"  # risk refused it; nothing moved
    RETURNED = "returned"  # the review confirmed fraud: the hold was voided
    FAILED = "failed"  # the ledger declined it (insufficient funds, closed account)


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerTransfer:
    """One customer sending money to another, named by ``(sender, reference)`` forever."""

    id: int
    sender: str
    recipient: str
    amount: Money
    reference: str
    status: TransferStatus
    created_at: int
    updated_at: int
    decision_id: str | None = None  # the risk decision acted on (None without screening)
    via_hold: bool = False  # risk asked for a review: the money goes through a pending hold
    code_hash: str | None = None  # SHA-256 of the one-time code; the code is never stored
    code_expires_at: int | None = None
    code_attempts: int = 0
    failure_code: str | None = None  # why the ledger declined it (``failed``)
    processing_since: int | None = None  # set while a ledger step is in flight
    completed_at: int | None = None
    version: int = 1

    @property
    def currency(self) -> str:
        return self.amount.asset

    def same_request(self, recipient: str, amount: Money) -> bool:
        """True when a send with these parameters asks for this very transfer."""
        return (recipient, amount) == (self.recipient, self.amount)

    def moved(self, status: TransferStatus, now: int, **changes: object) -> CustomerTransfer:
        """The next version in ``status``; ``processing_since`` follows the status."""
        since = (self.processing_since or now) if status is TransferStatus.PROCESSING else None
        return dataclasses.replace(
            self,
            status=status,
            updated_at=now,
            processing_since=since,
            version=self.version + 1,
            **changes,  # type: ignore[arg-type]
        )
