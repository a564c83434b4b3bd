"""Answer codes of the Alipay protocol, and the table from bankstack error codes to them.

Every answer carries ``code`` and ``msg``; a failure adds ``sub_code`` and ``sub_msg``. The HTTP
status is always 200. ``code`` is the class (10000 success, 10003 waiting for the buyer,
20000 system error: query before retrying, 40001 missing parameter, 40002 invalid parameter,
40004 business failure); merchants branch on ``sub_code``. ERRORS.md publishes both tables;
a unit test keeps it in step with this module.

A port error maps by the last dotted segment of its ``code`` (``BUSINESS_ERRORS``); an error
outside the table maps by its category (``CATEGORY_DEFAULTS``), and anything that is not a
``BankstackError`` is ``20000 isp.unknow-error`` (sic: the protocol's spelling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bankstack.kernel.errors import (
    BankstackError,
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)

MESSAGES: Final[dict[str, str]] = {
    "10000": "Success",
    "10003": "Order success pay inprocess",
    "20000": "Service Currently Unavailable",
    "20001": "Insufficient Token Permissions",
    "40001": "Missing Required Arguments",
    "40002": "Invalid Arguments",
    "40004": "Business Failed",
    "40006": "Insufficient Permissions",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """The ``code``/``msg``/``sub_code``/``sub_msg`` head of an answer."""

    code: str
    sub_code: str | None = None
    sub_msg: str | None = None

    @property
    def msg(self) -> str:
        return MESSAGES[self.code]

    def fields(self) -> dict[str, object]:
        head: dict[str, object] = {"code": self.code, "msg": self.msg}
        if self.sub_code is not None:
            head["sub_code"] = self.sub_code
            head["sub_msg"] = self.sub_msg or ""
        return head


SUCCESS: Final = Outcome("10000")
PAY_IN_PROGRESS: Final = Outcome("10003")
UNKNOWN_ERROR: Final = Outcome("20000", "isp.unknow-error", "System busy; query the trade.")


class Rejected(Exception):
    """The gateway refuses the request with ``outcome`` instead of calling the port."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(f"{outcome.code} {outcome.sub_code}: {outcome.sub_msg}")
        self.outcome = outcome


_MISSING_SUB_CODES: Final[dict[str, str]] = {
    "method": "isv.missing-method",
    "app_id": "isv.missing-app-id",
    "sign": "isv.missing-signature",
    "sign_type": "isv.missing-signature-type",
    "timestamp": "isv.missing-timestamp",
    "version": "isv.missing-version",
    "biz_content": "isv.missing-biz-content",
}


def missing(param: str) -> Rejected:
    """40001: a public parameter the protocol requires is absent or empty."""
    sub_code = _MISSING_SUB_CODES.get(param, "isv.missing-parameter")
    return Rejected(Outcome("40001", sub_code, f"Missing parameter: {param}"))


def invalid(sub_code: str, sub_msg: str) -> Rejected:
    """40002: a public parameter is malformed, unknown or fails verification."""
    return Rejected(Outcome("40002", sub_code, sub_msg))


def invalid_biz(sub_msg: str) -> Rejected:
    """40004 ACQ.INVALID_PARAMETER: a ``biz_content`` field fails the protocol's rules."""
    return Rejected(Outcome("40004", "ACQ.INVALID_PARAMETER", sub_msg))


# name (the last segment of a bankstack error code) -> (code, sub_code, sub_msg)
BUSINESS_ERRORS: Final[dict[str, tuple[str, str, str]]] = {
    "trade_already_paid": ("40004", "ACQ.TRADE_HAS_SUCCESS", "The trade has already been paid"),
    "trade_closed": ("40004", "ACQ.TRADE_HAS_CLOSE", "The trade is closed; use a new out_trade_no"),
    "trade_finished": ("40004", "ACQ.TRADE_HAS_FINISHED", "The trade is finished"),
    "out_trade_no_conflict": (
        "40004",
        "ACQ.CONTEXT_INCONSISTENT",
        "The out_trade_no exists with different parameters",
    ),
    "trade_not_found": ("40004", "ACQ.TRADE_NOT_EXIST", "The trade does not exist"),
    "trade_status_invalid": (
        "40004",
        "ACQ.TRADE_STATUS_ERROR",
        "The trade's status does not allow this operation",
    ),
    "refund_exceeds_paid": (
        "40004",
        "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
        "The refunds would exceed the amount paid",
    ),
    "refund_request_conflict": (
        "40004",
        "ACQ.DISCORDANT_REPEAT_REQUEST",
        "The out_request_no exists with a different refund",
    ),
    "insufficient_funds": (
        "40004",
        "ACQ.BUYER_BALANCE_NOT_ENOUGH",
        "The buyer's balance is not enough",
    ),
    "auth_code_invalid": (
        "40004",
        "ACQ.PAYMENT_AUTH_CODE_INVALID",
        "The payment code is invalid or expired",
    ),
    "amount_exceeds_limit": ("40004", "ACQ.TOTAL_FEE_EXCEED", "The amount exceeds the limit"),
    "payment_rejected_by_risk": (
        "40004",
        "ACQ.PAYMENT_REQUEST_HAS_RISK",
        "The payment was refused by risk control",
    ),
    "merchant_forbidden": ("40004", "ACQ.ACCESS_FORBIDDEN", "The merchant may not do this"),
    # Further names the payments domain raises today (bankstack.payments.errors).
    "trade_not_paid": ("40004", "ACQ.TRADE_STATUS_ERROR", "The trade is not paid"),
    "trade_payment_in_progress": ("20000", "ACQ.SYSTEM_ERROR", "Payment in progress; query it"),
    "refund_in_progress": ("20000", "ACQ.SYSTEM_ERROR", "Refund in progress; query it"),
    "out_refund_no_conflict": (
        "40004",
        "ACQ.DISCORDANT_REPEAT_REQUEST",
        "The out_request_no exists with a different refund",
    ),
    "payment_declined": ("40004", "ACQ.PAYMENT_FAIL", "The payment was declined"),
    "auth_code_used": ("40004", "ACQ.PAYMENT_AUTH_CODE_INVALID", "The payment code was used"),
    "auth_code_expired": ("40004", "ACQ.PAYMENT_AUTH_CODE_INVALID", "The payment code expired"),
    "trade_buyer_mismatch": ("40004", "ACQ.TRADE_BUYER_NOT_MATCH", "The buyer does not match"),
    "merchant_insufficient_funds": (
        "40004",
        "ACQ.SELLER_BALANCE_NOT_ENOUGH",
        "The merchant's balance is not enough for the refund",
    ),
    "invalid_request": ("40004", "ACQ.INVALID_PARAMETER", "A parameter is invalid"),
    "currency_not_supported": ("40004", "ACQ.INVALID_PARAMETER", "The currency is not supported"),
    "currency_mismatch": (
        "40004",
        "ACQ.AMOUNT_OR_CURRENCY_ERROR",
        "The merchant does not settle in this currency",
    ),
    "merchant_not_found": (
        "40004",
        "ACQ.PARTNER_ERROR",
        "The app's merchant is not registered for payments",
    ),
    "wallet_not_found": ("40004", "ACQ.INVALID_PARAMETER", "The buyer_id is not a known buyer"),
    "refund_not_found": ("40004", "ACQ.INVALID_PARAMETER", "The refund does not exist"),
    "escrow_disputed": ("40004", "ACQ.REASON_TRADE_BEEN_FREEZEN", "The trade is under dispute"),
    "escrow_not_held": ("40004", "ACQ.TRADE_STATUS_ERROR", "The escrow is not held"),
    "escrow_not_disputed": ("40004", "ACQ.TRADE_STATUS_ERROR", "The escrow is not disputed"),
    "escrow_not_released": (
        "40004",
        "ACQ.TRADE_STATUS_ERROR",
        "The payment is still held in escrow",
    ),
    "not_an_escrow_trade": ("40004", "ACQ.TRADE_STATUS_ERROR", "The trade has no escrow"),
    "ledger_refused": ("20000", "ACQ.SYSTEM_ERROR", "System error; query the trade"),
    "risk_rejected": (
        "40004",
        "ACQ.PAYMENT_REQUEST_HAS_RISK",
        "The payment was refused by risk control",
    ),
    # Answered 10003 (WAIT_BUYER_PAY) by alipay.trade.pay; the row is for any other path.
    "challenge_required": (
        "40004",
        "ACQ.PAYMENT_REQUEST_HAS_RISK",
        "The buyer must confirm the payment",
    ),
    "challenge_code_invalid": ("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter"),
    "challenge_expired": ("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter"),
    "no_challenge": ("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter"),
    # Raised by payments, but never by the trade methods the gateway calls.
    "settlement_file_invalid": ("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter"),
    "merchant_conflict": ("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter"),
    "funding_reference_conflict": ("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter"),
    "transfer_to_self": ("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter"),
    "transfer_not_found": ("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter"),
    "transfer_reference_conflict": ("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter"),
}

# Checked in order: the first category the error belongs to gives the answer.
CATEGORY_DEFAULTS: Final[tuple[tuple[type[BankstackError], Outcome], ...]] = (
    (Unavailable, Outcome("20000", "ACQ.SYSTEM_ERROR", "System busy; query the trade.")),
    (ValidationFailed, Outcome("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter")),
    (NotFound, Outcome("40004", "ACQ.INVALID_PARAMETER", "Invalid parameter")),
    (
        Conflict,
        Outcome("40004", "ACQ.TRADE_STATUS_ERROR", "The trade's status does not allow this"),
    ),
    (Forbidden, Outcome("40004", "ACQ.ACCESS_FORBIDDEN", "Access forbidden")),
    (Unauthenticated, Outcome("40004", "ACQ.ACCESS_FORBIDDEN", "Access forbidden")),
)


def error_name(error: BankstackError) -> str:
    """``payments.trade_closed`` -> ``trade_closed``: the name the table is keyed by."""
    return error.code.rsplit(".", 1)[-1]


def outcome_for_error(error: BaseException) -> Outcome:
    """The answer for an error the port raised; never leaks the error's own message."""
    if not isinstance(error, BankstackError):
        return UNKNOWN_ERROR
    name = error_name(error)
    if name in BUSINESS_ERRORS:
        return Outcome(*BUSINESS_ERRORS[name])
    for category, outcome in CATEGORY_DEFAULTS:
        if isinstance(error, category):
            return outcome
    return UNKNOWN_ERROR
