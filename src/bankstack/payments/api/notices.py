"""What the cashier says, and with which HTTP status, when a payment is refused.

The payments errors carry a stable ``code`` and a category; here each code a customer can
meet gets plain words that say what happened and whether money moved (it never did: a
refused payment is declined before or by the ledger, as one all-or-nothing chain). The
status follows the category as everywhere in bankstack (422 bad input, 409 conflict with the
trade's state, 403 not this customer's trade, 503 retry), except that an unknown customer is
a 422: on this page it is a mistyped form field, not a missing resource.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Final

from bankstack.kernel.errors import (
    BankstackError,
    Conflict,
    Forbidden,
    Unavailable,
    ValidationFailed,
)
from bankstack.payments.api.view import Notice
from bankstack.payments.errors import WalletNotFound

_NOTHING_CHARGED: Final = "Nothing was charged."

_WORDS: Final[dict[str, tuple[str, str]]] = {
    "insufficient_funds": (
        "Not enough money in the wallet",
        (
            f"The wallet balance does not cover this payment. {_NOTHING_CHARGED} "
            "Top up the wallet or pay from another one."
        ),
    ),
    "trade_already_paid": (
        "Already paid",
        "This order has already been paid. Nothing more was charged.",
    ),
    "trade_closed": (
        "This order can no longer be paid",
        f"The order is closed or its time ran out. {_NOTHING_CHARGED}",
    ),
    "trade_payment_in_progress": (
        "A payment is already in progress",
        "Another payment of this order is being confirmed. Wait a moment, then refresh.",
    ),
    "wallet_not_found": (
        "Unknown customer",
        f"This customer has no wallet in the order's currency. {_NOTHING_CHARGED}",
    ),
    "invalid_request": (
        "Check the customer id",
        "A customer id is 1 to 64 letters, digits, dots, dashes or underscores.",
    ),
    "trade_buyer_mismatch": (
        "This order is for another customer",
        f"Only the customer it was made for can pay it. {_NOTHING_CHARGED}",
    ),
    "payment_declined": ("Payment declined", f"The payment was declined. {_NOTHING_CHARGED}"),
    "risk_rejected": (
        "Payment declined",
        (
            f"For your safety this payment was declined. {_NOTHING_CHARGED} "
            "If you made it, contact the bank's support."
        ),
    ),
    "challenge_code_invalid": (
        "That code is not right",
        f"Check the 6-digit code and type it again. {_NOTHING_CHARGED}",
    ),
    "challenge_expired": (
        "The code expired",
        f"The code is no longer valid. Pay again to get a new one. {_NOTHING_CHARGED}",
    ),
    "no_challenge": (
        "Nothing to confirm",
        "No payment of this order is waiting for a code. Pay first.",
    ),
}

CODE_SENT: Final = Notice(
    "info",
    "Confirm it is you",
    "We sent a 6-digit code to the customer's phone. Type it below to finish paying. "
    "Nothing is charged until then.",
)

NOT_A_DEMO_CUSTOMER: Final = Notice(
    "error", "Choose a demo customer", f"Pay as one of the listed customers. {_NOTHING_CHARGED}"
)
TRADE_NOT_FOUND: Final = Notice(
    "error",
    "Payment not found",
    "There is no payment at this address. Check the link or scan the merchant's code again.",
)
UNREADABLE_FORM: Final = Notice(
    "error",
    "The form could not be read",
    f"Please send it again from this page. {_NOTHING_CHARGED}",
)
FAILED: Final = Notice(
    "error",
    "Something went wrong",
    "Something failed on our side. Trying again is safe: an order is never charged twice.",
)


def refusal(error: BankstackError) -> tuple[HTTPStatus, Notice]:
    """The HTTP status and the message for a refused payment."""
    status = _status(error)
    if status is HTTPStatus.INTERNAL_SERVER_ERROR:  # a bug: its words are for the log only
        return status, FAILED
    if status is HTTPStatus.SERVICE_UNAVAILABLE:
        return status, Notice(
            "warn",
            "Please try again",
            "The payment service is busy. Trying again is safe: an order is never charged twice.",
        )
    title, text = _WORDS.get(error.code, ("Payment refused", error.message))
    return status, Notice("error", title, text)


def _status(error: BankstackError) -> HTTPStatus:
    if isinstance(error, WalletNotFound | ValidationFailed):
        return HTTPStatus.UNPROCESSABLE_ENTITY
    if isinstance(error, Conflict):
        return HTTPStatus.CONFLICT
    if isinstance(error, Forbidden):
        return HTTPStatus.FORBIDDEN
    if isinstance(error, Unavailable):
        return HTTPStatus.SERVICE_UNAVAILABLE
    return HTTPStatus.INTERNAL_SERVER_ERROR
