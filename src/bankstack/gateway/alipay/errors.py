"""Errors an ``AlipayTrades`` implementation raises, with the stable codes the gateway maps.

The gateway maps an error by the last dotted segment of its ``code``
(``payments.trade_already_paid`` and ``trade_already_paid`` both map to
``ACQ.TRADE_HAS_SUCCESS``), so the payments service may raise its own classes as long as the
names match; these are ready-made ones. See ``codes.BUSINESS_ERRORS`` and ERRORS.md.

BankstackError
 ├── ValidationFailed
 │    ├── AmountExceedsLimit      the amount is over the merchant's or product's limit
 │    └── AuthCodeInvalid         the buyer's payment code is unknown or expired
 ├── NotFound
 │    └── TradeNotFound
 ├── Conflict
 │    ├── OutTradeNoConflict      the out_trade_no exists with different parameters
 │    ├── TradeAlreadyPaid
 │    ├── TradeClosed
 │    ├── TradeFinished           paid and past the refund period
 │    ├── TradeStatusInvalid      the trade's state does not allow this operation
 │    ├── RefundExceedsPaid       the refunds would exceed what the buyer paid
 │    ├── RefundRequestConflict   the out_request_no exists with a different refund
 │    └── InsufficientFunds       the buyer cannot pay
 └── Forbidden
      ├── PaymentRejectedByRisk   risk.decide rejected the payment
      └── MerchantForbidden       the merchant may not use this product
"""

from __future__ import annotations

from bankstack.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed


class AmountExceedsLimit(ValidationFailed):
    code = "payments.amount_exceeds_limit"


class AuthCodeInvalid(ValidationFailed):
    code = "payments.auth_code_invalid"


class TradeNotFound(NotFound):
    code = "payments.trade_not_found"


class OutTradeNoConflict(Conflict):
    code = "payments.out_trade_no_conflict"


class TradeAlreadyPaid(Conflict):
    code = "payments.trade_already_paid"


class TradeClosed(Conflict):
    code = "payments.trade_closed"


class TradeFinished(Conflict):
    code = "payments.trade_finished"


class TradeStatusInvalid(Conflict):
    code = "payments.trade_status_invalid"


class RefundExceedsPaid(Conflict):
    code = "payments.refund_exceeds_paid"


class RefundRequestConflict(Conflict):
    code = "payments.refund_request_conflict"


class InsufficientFunds(Conflict):
    code = "payments.insufficient_funds"


class PaymentRejectedByRisk(Forbidden):
    code = "payments.payment_rejected_by_risk"


class MerchantForbidden(Forbidden):
    code = "payments.merchant_forbidden"
