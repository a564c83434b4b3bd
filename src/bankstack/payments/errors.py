"""Payments errors: one class per cause, each with a stable snake_case ``code``.

The category (kernel base class) tells the gateway how to answer; the ``code`` is what
partners branch on, so it never changes meaning once released.

BankstackError
 ├── ValidationFailed
 │    ├── InvalidPaymentRequest    code invalid_request (field named in details)
 │    ├── CurrencyNotSupported     currency_not_supported
 │    ├── CurrencyMismatch         currency_mismatch
 │    ├── AuthCodeInvalid          auth_code_invalid
 │    ├── SettlementFileInvalid    settlement_file_invalid
 │    └── TransferToSelf           transfer_to_self
 ├── NotFound
 │    ├── MerchantNotFound, WalletNotFound, TradeNotFound, RefundNotFound, TransferNotFound
 ├── Forbidden
 │    └── TradeBuyerMismatch       trade_buyer_mismatch
 ├── Conflict
 │    ├── MerchantConflict, OutTradeNoConflict, OutRefundNoConflict, FundingReferenceConflict
 │    ├── TransferReferenceConflict
 │    ├── TradeAlreadyPaid, TradeClosed, TradeNotPaid, TradePaymentInProgress
 │    ├── RefundExceedsPaid, RefundInProgress
 │    ├── InsufficientFunds, MerchantInsufficientFunds, PaymentDeclined
 │    ├── AuthCodeUsed, AuthCodeExpired
 │    └── EscrowDisputed, EscrowNotHeld, EscrowNotDisputed, EscrowNotReleased, NotAnEscrowTrade
 └── LedgerRefused                ledger_refused: the ledger refused a movement that the
                                  payments rules allowed (a bug or a misconfiguration)
"""

from __future__ import annotations

from bankstack.kernel.errors import BankstackError, Conflict, Forbidden, NotFound, ValidationFailed


class InvalidPaymentRequest(ValidationFailed):
    code = "invalid_request"


class CurrencyNotSupported(ValidationFailed):
    code = "currency_not_supported"


class CurrencyMismatch(ValidationFailed):
    code = "currency_mismatch"


class AuthCodeInvalid(ValidationFailed):
    code = "auth_code_invalid"


class SettlementFileInvalid(ValidationFailed):
    code = "settlement_file_invalid"


class MerchantNotFound(NotFound):
    code = "merchant_not_found"


class WalletNotFound(NotFound):
    code = "wallet_not_found"


class TradeNotFound(NotFound):
    code = "trade_not_found"


class RefundNotFound(NotFound):
    code = "refund_not_found"


class TradeBuyerMismatch(Forbidden):
    code = "trade_buyer_mismatch"


class MerchantConflict(Conflict):
    code = "merchant_conflict"


class OutTradeNoConflict(Conflict):
    code = "out_trade_no_conflict"


class OutRefundNoConflict(Conflict):
    code = "out_refund_no_conflict"


class FundingReferenceConflict(Conflict):
    code = "funding_reference_conflict"


class TradeAlreadyPaid(Conflict):
    code = "trade_already_paid"


class TradeClosed(Conflict):
    code = "trade_closed"


class TradeNotPaid(Conflict):
    code = "trade_not_paid"


class TradePaymentInProgress(Conflict):
    code = "trade_payment_in_progress"
    retryable = True


class RefundExceedsPaid(Conflict):
    code = "refund_exceeds_paid"


class RefundInProgress(Conflict):
    code = "refund_in_progress"
    retryable = True


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class MerchantInsufficientFunds(Conflict):
    code = "merchant_insufficient_funds"


class PaymentDeclined(Conflict):
    code = "payment_declined"


class AuthCodeUsed(Conflict):
    code = "auth_code_used"


class AuthCodeExpired(Conflict):
    code = "auth_code_expired"


class EscrowDisputed(Conflict):
    code = "escrow_disputed"


class EscrowNotHeld(Conflict):
    code = "escrow_not_held"


class EscrowNotDisputed(Conflict):
    code = "escrow_not_disputed"


class EscrowNotReleased(Conflict):
    code = "escrow_not_released"


class NotAnEscrowTrade(Conflict):
    code = "not_an_escrow_trade"


class TransferToSelf(ValidationFailed):
    code = "transfer_to_self"


class TransferNotFound(NotFound):
    code = "transfer_not_found"


class TransferReferenceConflict(Conflict):
    """The sender used this reference for a transfer with another recipient or amount."""

    code = "transfer_reference_conflict"


class LedgerRefused(BankstackError):
    code = "ledger_refused"


# -- risk screening (screening.py) -------------------------------------------------------


class RiskRejected(Forbidden):
    """The risk engine rejected this payer paying this trade, or this customer transfer;
    ``decision_id`` and the reason codes are in the details (for support; the customer sees a
    plain refusal)."""

    code = "risk_rejected"


class ChallengeRequired(Forbidden):
    """The customer must confirm the payment (or transfer) with the one-time code just sent."""

    code = "challenge_required"


class ChallengeCodeInvalid(ValidationFailed):
    code = "challenge_code_invalid"


class ChallengeExpired(Conflict):
    """The code expired or was tried too often: paying again sends a new one."""

    code = "challenge_expired"


class NoChallenge(Conflict):
    code = "no_challenge"
